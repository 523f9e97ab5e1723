/**
 * The lazily loaded half of `<harmony-paid-chat>`: imported on the first click, it brings the
 * controller (with the full SDK, its crypto and the wallet code), the connected views and their
 * styles.
 */
import keys from './styles/keys.styles.js';
import messages from './styles/messages.styles.js';

export { ChatController } from './chat-controller.js';
export { renderConnected, renderWalletNotice } from './chat-views.js';

/** Styles of the connected views, adopted into the element's shadow root when this module loads. */
export const connectedStyles = [messages, keys];
