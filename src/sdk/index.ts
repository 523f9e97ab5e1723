/**
 * harmony-paid-chat SDK: headless, DOM-free, the same in the browser and in Node.
 *
 *   import { createPaidChat } from 'harmony-paid-chat';
 *   const chat = createPaidChat({ chain: 'harmony', wallet: window.ethereum, scope: { handle: '@satoshi', origin: location.origin } });
 */
export { createPaidChat, PaidChat, type PaidChatOptions, type WalletInput } from './client.js';
export type {
  ChatMessage,
  ChatEvent,
  ConversationEntry,
  ConversationPage,
  FollowUp,
  FollowUpResult,
  KeyStatus,
  MessageStatus,
  Page,
  Profile,
  ReadState,
  ReplyResult,
  SendResult,
  ThreadInfo,
  TxResult,
} from './types.js';
export { toPaidChatError, REVERT_CODES } from './revert.js';
export { formatOne, parseOne, describeWindow, MIN_WINDOW_SECONDS, MAX_WINDOW_SECONDS } from './units.js';
export { MIN_GAS_PRICE, GAS_MARGIN_PERCENT } from './transact.js';
export { PaidChatError, isPaidChatError, type PaidChatErrorCode } from './errors.js';
export { CHAINS, DEFAULT_CONTRACTS, harmony, harmonyTestnet, local, resolveChain, explorerTxUrl, type ChainName } from './chains.js';
export { MAX_LOG_RANGE, logWindows, withRetry, type RetryInfo, type RetryPolicy } from './rpc.js';
export type { WatchHandle, WatchOptions } from './watch.js';
export { normalizeHandle, isValidHandle, formatHandle, handleToBytes32, bytes32ToHandle } from './handles.js';
export { parseAddress, toOneAddress, fromOneAddress, shortAddress } from './address.js';
export { MAX_MESSAGE_BYTES, utf8Length, encodeMessageText } from './text.js';
export { normalizeOrigin, parseSites, formatSites, siteAllowed, MAX_SITES_BYTES } from './sites.js';
export { MessagingKey, generateMessagingKey, messagingKeyFromSecret, hasWebCryptoX25519, parsePublicKey } from './keys.js';
export { Keyring, type HeldKey, type RestoreReport, type KeyringScope } from './keyring.js';
export { memoryKeyStore, scopeId, type KeyStore, type StoredKey, type StoredBackupKey } from './keystore.js';
export { indexedDbKeyStore, hasIndexedDb } from './keystore-idb.js';
export {
  BACKUP_FORMAT,
  DEFAULT_SCRYPT,
  MIN_PASSPHRASE_LENGTH,
  checkPassphrase,
  parseBackupFile,
  type BackupFile,
  type BackupEntryMeta,
} from './backup.js';
export {
  sealEnvelope,
  openEnvelope,
  readEnvelopeHeader,
  envelopeInfo,
  ENVELOPE_VERSION,
  ENVELOPE_KIND,
  ENVELOPE_BYTES,
  RESERVED_ENVELOPE_KINDS,
  type EnvelopeKind,
  type EnvelopeContext,
  type EnvelopeHeader,
} from './envelope.js';
export { paidChatAbi } from './generated/paid-chat.js';
export {
  NOTIFIER_PROTOCOL_VERSION,
  SUBSCRIPTION_MESSAGE_VERSION,
  NOTIFIER_SERVICE_NAME,
  MAX_EMAIL_LENGTH,
  MAX_WEBHOOK_URL_LENGTH,
  NOTIFIER_ERROR_CODES,
  SUBSCRIPTION_TOPICS,
  NotifierRequestError,
  emailProblem,
  isValidEmail,
  isValidNonce,
  newNonce,
  webhookUrlProblem,
  notifierStatement,
  notifierSignInMessage,
  fetchNotifierInfo,
  requestSubscription,
  registerWebhook,
  removeWebhook,
  listWebhooks,
  type NotifierAction,
  type NotifierErrorCode,
  type NotifierErrorBody,
  type NotifierInfo,
  type NotifierMessageFields,
  type SignedRequestBody,
  type SignedRequestOptions,
  type SubscriptionTopic,
  type SubscriptionAccepted,
  type WebhookEndpoint,
} from './notifier-client.js';
export { VERSION } from './version.js';
