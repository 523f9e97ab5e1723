/**
 * Every failure a user or a developer can meet, as one error class with a stable `code` and the
 * facts that explain it in `details`. `message` says what happened and what to do.
 */
export type PaidChatErrorCode =
  | 'MESSAGE_EMPTY'
  | 'MESSAGE_TOO_LONG'
  | 'HANDLE_INVALID'
  | 'HANDLE_TAKEN'
  | 'HANDLE_NOT_FOUND'
  | 'ALREADY_HAS_HANDLE'
  | 'NO_HANDLE'
  | 'ADDRESS_INVALID'
  | 'AMOUNT_INVALID'
  | 'PRICE_TOO_LOW'
  | 'WINDOW_OUT_OF_RANGE'
  | 'WINDOW_TOO_LONG'
  | 'SELF_MESSAGE'
  | 'WRONG_CHAIN'
  | 'NO_WALLET'
  | 'USER_REJECTED'
  | 'INSUFFICIENT_FUNDS'
  | 'REPLY_WINDOW_CLOSED'
  | 'NOT_YET_REFUNDABLE'
  | 'ALREADY_SETTLED'
  | 'NOT_RECIPIENT'
  | 'MESSAGE_NOT_FOUND'
  | 'NOTHING_TO_WITHDRAW'
  | 'KEY_MISSING'
  | 'KEY_MISMATCH'
  | 'KEY_INVALID'
  | 'LOCKED'
  | 'ENVELOPE_INVALID'
  | 'DECRYPT_FAILED'
  | 'RPC_UNAVAILABLE'
  | 'CONTRACT_NOT_FOUND'
  | 'TRANSACTION_FAILED'
  | 'UNSUPPORTED_CHAIN';

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
