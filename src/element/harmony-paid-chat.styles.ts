/**
 * Styles of `<harmony-paid-chat>`, by concern. The first load carries the tokens and the base
 * (card, claim form, buttons, status); the styles of the connected views (messages, the key panel)
 * arrive with them, after the first click (`chat.ts` → `connectedStyles`, adopted into the same
 * shadow root). Nothing here reaches the host page: no global styles, no fonts.
 */
import base from './styles/base.styles.js';
import tokens from './styles/tokens.styles.js';

export default [tokens, base];
