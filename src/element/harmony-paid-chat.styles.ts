/**
 * Styles of `<harmony-paid-chat>`, by concern. Nothing here reaches the host page: no global
 * styles, no fonts.
 */
import base from './styles/base.styles.js';
import keys from './styles/keys.styles.js';
import messages from './styles/messages.styles.js';
import tokens from './styles/tokens.styles.js';

export default [tokens, base, messages, keys];
