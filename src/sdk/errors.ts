/**
 * Every failure a user or a developer can meet, as one error class with a stable `code` and the
 * facts that explain it in `details`. `message` says what happened and what to do.
 */
export type PaidChatErrorCode =
  // input
  | 'MESSAGE_EMPTY'
  | 'MESSAGE_TOO_LONG'
  | 'HANDLE_INVALID'
  | 'ADDRESS_INVALID'
  | 'AMOUNT_INVALID'
  | 'WINDOW_OUT_OF_RANGE'
  | 'SITES_INVALID'
  | 'TOO_MANY_IDS'
  | 'RPC_URL_INVALID'
  | 'WALLETCONNECT_PROJECT_ID_INVALID'
  // the contract's rules
  | 'HANDLE_TAKEN'
  | 'HANDLE_NOT_FOUND'
  | 'ALREADY_HAS_HANDLE'
  | 'NO_HANDLE'
  | 'PRICE_TOO_LOW'
  | 'WINDOW_TOO_LONG'
  | 'SELF_MESSAGE'
  | 'SENDER_BLOCKED'
  | 'REPLY_WINDOW_CLOSED'
  | 'NOT_YET_REFUNDABLE'
  | 'ALREADY_SETTLED'
  | 'NOT_RECIPIENT'
  | 'NOT_A_PARTY'
  | 'THREAD_NOT_OPEN'
  | 'VALUE_NOT_ACCEPTED'
  | 'MESSAGE_NOT_FOUND'
  | 'THREAD_NOT_FOUND'
  | 'NOTHING_TO_WITHDRAW'
  // wallet and network
  | 'WRONG_CHAIN'
  | 'NO_WALLET'
  | 'USER_REJECTED'
  | 'INSUFFICIENT_FUNDS'
  | 'RPC_UNAVAILABLE'
  | 'CONTRACT_NOT_FOUND'
  | 'TRANSACTION_FAILED'
  | 'TRANSACTION_UNCONFIRMED'
  | 'UNSUPPORTED_CHAIN'
  // keys and envelopes
  | 'KEY_MISSING'
  | 'KEY_INVALID'
  | 'KEY_NOT_FOUND'
  | 'KEY_NOT_HELD'
  | 'KEY_STALE'
  | 'KEY_NOT_EXTRACTABLE'
  | 'ENVELOPE_INVALID'
  | 'DECRYPT_FAILED'
  | 'STORAGE_UNAVAILABLE'
  // backups
  | 'BACKUP_INVALID'
  | 'BACKUP_PASSPHRASE_WRONG'
  | 'PASSPHRASE_WEAK'
  // what a page may hold
  | 'OUT_OF_SCOPE'
  | 'SITE_NOT_ALLOWED'
  | 'NOT_HANDLE_OWNER'
  // the notifier
  | 'NOTIFIER_UNAVAILABLE'
  | 'NOTIFIER_REFUSED';

export class PaidChatError extends Error {
  override name = 'PaidChatError';
  readonly code: PaidChatErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: PaidChatErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isPaidChatError(e: unknown, code?: PaidChatErrorCode): e is PaidChatError {
  return e instanceof PaidChatError && (code === undefined || e.code === code);
}
