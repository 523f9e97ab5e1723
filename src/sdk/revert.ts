/** Turning what viem, a wallet or the contract throws into a {@link PaidChatError} with a stable code. */
import { BaseError, ContractFunctionRevertedError, InsufficientFundsError, UserRejectedRequestError } from 'viem';
import { PaidChatError, type PaidChatErrorCode } from './errors.js';
import { bytes32ToHandle } from './handles.js';
import { describeWindow, formatOne } from './units.js';

/** Each custom error of the contract, and the code it becomes. */
export const REVERT_CODES: Record<string, PaidChatErrorCode> = {
  HandleInvalid: 'HANDLE_INVALID',
  HandleTaken: 'HANDLE_TAKEN',
  AlreadyHasHandle: 'ALREADY_HAS_HANDLE',
  NoHandle: 'HANDLE_NOT_FOUND',
  WindowOutOfRange: 'WINDOW_OUT_OF_RANGE',
  KeyInvalid: 'KEY_INVALID',
  NoInboxKey: 'KEY_MISSING',
  StaleInboxKey: 'KEY_STALE',
  SitesTooLong: 'SITES_INVALID',
  SelfMessage: 'SELF_MESSAGE',
  SenderBlocked: 'SENDER_BLOCKED',
  PriceTooLow: 'PRICE_TOO_LOW',
  WindowTooLong: 'WINDOW_TOO_LONG',
  EnvelopeSize: 'ENVELOPE_INVALID',
  AmountTooLarge: 'AMOUNT_INVALID',
  UnknownMessage: 'MESSAGE_NOT_FOUND',
  NotRecipient: 'NOT_RECIPIENT',
  ReplyWindowClosed: 'REPLY_WINDOW_CLOSED',
  NotYetRefundable: 'NOT_YET_REFUNDABLE',
  NothingToRefund: 'NOT_YET_REFUNDABLE',
  AlreadySettled: 'ALREADY_SETTLED',
  UnknownThread: 'THREAD_NOT_FOUND',
  TooManyIds: 'TOO_MANY_IDS',
  ZeroAddress: 'ADDRESS_INVALID',
  NotAParty: 'NOT_A_PARTY',
  ThreadNotOpen: 'THREAD_NOT_OPEN',
  ValueNotAccepted: 'VALUE_NOT_ACCEPTED',
  NothingToWithdraw: 'NOTHING_TO_WITHDRAW',
};

const at = (ts: unknown) => new Date(Number(ts) * 1000).toISOString();

function revertMessage(name: string, args: readonly unknown[]): string {
  const a = args as any[];
  switch (name) {
    case 'PriceTooLow':
      return `The price is ${formatOne(a[0])} ONE; ${formatOne(a[1])} ONE is too little. Send at least ${formatOne(a[0])} ONE.`;
    case 'HandleTaken':
      return `@${bytes32ToHandle(a[0])} is already taken. Choose another handle.`;
    case 'HandleInvalid':
      return 'That handle is not valid: use 3–32 characters a-z, 0-9, _ or -, starting with a letter or digit.';
    case 'AlreadyHasHandle':
      return `This wallet already holds @${bytes32ToHandle(a[1])}. Release it first, or use another wallet.`;
    case 'NoHandle':
      return 'That account holds no handle (it may have been released). Check the handle and try again.';
    case 'WindowOutOfRange':
      return `The reply window must be between ${describeWindow(a[1])} and ${describeWindow(a[2])}.`;
    case 'SelfMessage':
      return 'You cannot send a paid message to yourself.';
    case 'SenderBlocked':
      return 'This creator does not accept messages from your address. Nothing was sent and nothing was paid.';
    case 'WindowTooLong':
      return `The creator's reply window changed to ${describeWindow(a[0])}. Reload and check the terms before sending.`;
    case 'StaleInboxKey':
      return `The creator replaced their inbox key (now key #${a[1]}) after this message was sealed. Send again: it will be sealed to the new key.`;
    case 'NoInboxKey':
      return 'This account has no inbox key, so nobody can write to it yet.';
    case 'ReplyWindowClosed':
      return `The reply window closed at ${at(a[1])}; the sender can now take a refund.`;
    case 'NotYetRefundable':
      return `Not refundable yet: the creator can reply until ${at(a[1])}.`;
    case 'NothingToRefund':
      return 'None of these messages is refundable now.';
    case 'AlreadySettled':
      return `Message ${a[0]} is already ${Number(a[1]) === 3 ? 'replied to' : 'refunded'}.`;
    case 'NotRecipient':
      return 'Only the recipient of this message can do this. Connect the wallet that owns the handle.';
    case 'NotAParty':
      return 'Only the two people in this conversation can write in it.';
    case 'ThreadNotOpen':
      return 'This conversation is not open for follow-ups: the creator has not replied to a paid message in it since it was last closed.';
    case 'ValueNotAccepted':
      return 'A creator cannot send coins with a follow-up.';
    case 'UnknownMessage':
      return `There is no message ${a[0]}.`;
    case 'UnknownThread':
      return `There is no conversation ${a[0]}.`;
    case 'KeyInvalid':
      return 'The messaging key is not valid.';
    case 'SitesTooLong':
      return `The list of sites is ${a[0]} bytes; at most ${a[1]} fit.`;
    case 'TooManyIds':
      return `${a[0]} ids were given; at most ${a[1]} fit in one transaction. Split them.`;
    case 'ZeroAddress':
      return 'The zero address (0x000…000) is nobody: give a real address.';
    case 'NothingToWithdraw':
      return 'There is nothing to withdraw.';
    default:
      return `The contract refused: ${name}.`;
  }
}

const REJECTED = 'You declined in your wallet. Nothing was sent; try again when ready.';

/** Turns any error from viem, a wallet or the contract into a PaidChatError. */
export function toPaidChatError(e: unknown): PaidChatError {
  if (e instanceof PaidChatError) return e;
  if (e instanceof BaseError) {
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data?.errorName) {
      const name = reverted.data.errorName;
      const args = reverted.data.args ?? [];
      return new PaidChatError(REVERT_CODES[name] ?? 'TRANSACTION_FAILED', revertMessage(name, args), { revert: name, args }, { cause: e });
    }
    if (e.walk((x) => x instanceof UserRejectedRequestError || (x as any)?.code === 4001)) {
      return new PaidChatError('USER_REJECTED', REJECTED, {}, { cause: e });
    }
    if (e.walk((x) => x instanceof InsufficientFundsError)) {
      return new PaidChatError('INSUFFICIENT_FUNDS', 'Your wallet does not hold enough ONE for the amount plus gas.', {}, { cause: e });
    }
  }
  if ((e as any)?.code === 4001) return new PaidChatError('USER_REJECTED', REJECTED, {}, { cause: e });
  const msg = e instanceof BaseError ? e.shortMessage : e instanceof Error ? e.message : String(e);
  return new PaidChatError('TRANSACTION_FAILED', `The transaction failed: ${msg}`, {}, { cause: e });
}
