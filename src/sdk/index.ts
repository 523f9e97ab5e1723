/**
 * harmony-paid-chat SDK: headless, DOM-free, the same in the browser and in Node.
 *
 *   import { createPaidChat } from 'harmony-paid-chat';
 *   const chat = createPaidChat({ chain: 'harmony', wallet: window.ethereum });
 */
export {
  createPaidChat,
  PaidChat,
  toPaidChatError,
  formatOne,
  parseOne,
  MIN_GAS_PRICE,
  GAS_MARGIN_PERCENT,
  type PaidChatOptions,
  type Profile,
  type ChatMessage,
  type MessageStatus,
  type Page,
  type SendResult,
  type TxResult,
  type ChatEvent,
  type WalletInput,
} from './client.js';
export { PaidChatError, isPaidChatError, type PaidChatErrorCode } from './errors.js';
export {
  CHAINS,
  DEFAULT_CONTRACTS,
  harmony,
  harmonyTestnet,
  local,
  resolveChain,
  explorerTxUrl,
  type ChainName,
} from './chains.js';
export { MAX_LOG_RANGE, logWindows, withRetry, type RetryInfo, type RetryPolicy } from './rpc.js';
export { normalizeHandle, isValidHandle, formatHandle, handleToBytes32, bytes32ToHandle } from './handles.js';
export { parseAddress, toOneAddress, fromOneAddress, shortAddress } from './address.js';
export { MAX_MESSAGE_BYTES, utf8Length, encodeMessageText } from './text.js';
export { keyDerivationMessage, deriveMessagingKey, exportMessagingKey, importMessagingKey, type MessagingKey } from './keys.js';
export { sealEnvelope, openEnvelope, ENVELOPE_KIND_MESSAGE, ENVELOPE_KIND_REPLY } from './envelope.js';
export { paidChatAbi } from './generated/paid-chat.js';
export {
  SUBSCRIPTION_MESSAGE_VERSION,
  NOTIFIER_SERVICE_NAME,
  MAX_EMAIL_LENGTH,
  NOTIFIER_ERROR_CODES,
  NotifierRequestError,
  emailProblem,
  isValidEmail,
  isValidNonce,
  parseIsoUtc,
  newNonce,
  subscriptionMessage,
  fetchNotifierInfo,
  requestSubscription,
  type NotifierErrorCode,
  type NotifierErrorBody,
  type NotifierInfo,
  type SubscriptionMessageFields,
  type SubscriptionRequest,
  type SubscriptionAccepted,
} from './notifier-client.js';
export { VERSION } from './version.js';
