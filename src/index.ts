/** Package root: the headless SDK. The element lives in `harmony-paid-chat/element`. */
export * from './sdk/index.js';
