/** Amounts of ONE and reply windows: parsing what people type and saying it back. */
import { formatEther, parseEther } from 'viem';
import { PaidChatError } from './errors.js';

export const MIN_WINDOW_SECONDS = 3_600;
export const MAX_WINDOW_SECONDS = 30 * 86_400;

/** Amount in ONE as a decimal string ("10", "0.5"). */
export function formatOne(wei: bigint): string {
  return formatEther(wei);
}

/**
 * Parses an amount given as wei (bigint) or ONE (decimal string/number).
 *
 * @throws PaidChatError `AMOUNT_INVALID`.
 */
export function parseOne(amount: bigint | string | number): bigint {
  if (typeof amount === 'bigint') {
    if (amount < 0n) throw new PaidChatError('AMOUNT_INVALID', 'An amount cannot be negative.', { amount });
    return amount;
  }
  const s = String(amount).trim();
  if (!/^\d+(\.\d{1,18})?$/.test(s)) {
    throw new PaidChatError('AMOUNT_INVALID', `"${s}" is not an amount of ONE. Use digits with up to 18 decimals, like 10 or 0.5.`, { amount: s });
  }
  const wei = parseEther(s);
  if (wei >= 1n << 96n) throw new PaidChatError('AMOUNT_INVALID', `${s} ONE is more than the contract can hold for one message.`, { amount: s });
  return wei;
}

/** "7 days", "12 hours", "5400 seconds". */
export function describeWindow(seconds: number | bigint): string {
  const s = Number(seconds);
  if (s % 86_400 === 0) return `${s / 86_400} day${s === 86_400 ? '' : 's'}`;
  if (s % 3_600 === 0) return `${s / 3_600} hour${s === 3_600 ? '' : 's'}`;
  return `${s} seconds`;
}

/** @throws PaidChatError `WINDOW_OUT_OF_RANGE` unless 0 (the default, 7 days) or 1 hour – 30 days. */
export function checkWindow(window: number): void {
  if (!Number.isInteger(window) || (window !== 0 && (window < MIN_WINDOW_SECONDS || window > MAX_WINDOW_SECONDS))) {
    throw new PaidChatError('WINDOW_OUT_OF_RANGE', 'The reply window must be between 1 hour and 30 days.', { window });
  }
}

/** The most message ids one transaction takes (the contract's `MAX_PAGE`). */
export const MAX_IDS_PER_TX = 100;

/**
 * Checks a list of message ids before any wallet prompt.
 *
 * @throws PaidChatError `MESSAGE_NOT_FOUND` when the list is empty, `TOO_MANY_IDS` above {@link MAX_IDS_PER_TX}.
 */
export function checkIdCount(ids: readonly bigint[]): void {
  if (ids.length === 0) throw new PaidChatError('MESSAGE_NOT_FOUND', 'No message ids were given.');
  if (ids.length > MAX_IDS_PER_TX) {
    throw new PaidChatError('TOO_MANY_IDS', `${ids.length} ids were given; at most ${MAX_IDS_PER_TX} fit in one transaction. Split them.`, {
      count: ids.length,
      max: MAX_IDS_PER_TX,
    });
  }
}
