/**
 * The lazily loaded half of `<harmony-paid-chat>`: imported on the first click, it brings the
 * controller (with the full SDK, its crypto and the wallet code) and the connected views.
 */
export { ChatController } from './chat-controller.js';
export { renderConnected, renderWalletNotice } from './chat-views.js';
