/** Small, dependency-free display helpers shared by the element's views. */
import type { MIN_PASSPHRASE_LENGTH } from '../sdk/backup.js';

/**
 * The shortest backup passphrase the SDK accepts, without loading the SDK's backup code in the
 * first bundle (the type fails to compile if the SDK's constant changes).
 */
export const PASSPHRASE_MIN: typeof MIN_PASSPHRASE_LENGTH = 12;

const WEI_PER_ONE = 10n ** 18n;

/** Wei → ONE as a plain decimal string ("10", "9.9", "0.000001"). */
export function oneFromWei(wei: bigint): string {
  const neg = wei < 0n;
  const w = neg ? -wei : wei;
  const whole = w / WEI_PER_ONE;
  const frac = (w % WEI_PER_ONE).toString().padStart(18, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** "10 ONE". */
export function ones(wei: bigint): string {
  return `${oneFromWei(wei)} ONE`;
}

/** A decimal amount of ONE as the user may type it: digits, optionally up to 18 decimals. */
export const AMOUNT_PATTERN = /^\s*\d+(\.\d{1,18})?\s*$/;

/** Parses a typed ONE amount to wei, or undefined when it is not a plain decimal amount. */
export function weiFromOne(text: string): bigint | undefined {
  if (!AMOUNT_PATTERN.test(text)) return undefined;
  const [whole, frac = ''] = text.trim().split('.');
  return BigInt(whole!) * WEI_PER_ONE + BigInt(frac.padEnd(18, '0'));
}

export function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** A reply window in words: "7 days", "1 day", "12 hours", "90 minutes". */
export function describeWindow(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0) return plural(seconds / 86_400, 'day');
  if (seconds > 0 && seconds % 3_600 === 0) return plural(seconds / 3_600, 'hour');
  if (seconds >= 86_400) return `${(seconds / 86_400).toFixed(1)} days`;
  if (seconds >= 3_600) return `${(seconds / 3_600).toFixed(1)} hours`;
  return plural(Math.max(1, Math.round(seconds / 60)), 'minute');
}

/** Time left in short words: "6 d 23 h", "5 h 10 min", "12 min", "under a minute". */
export function describeTimeLeft(seconds: number): string {
  if (seconds < 60) return 'under a minute';
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

/** "@satoshi". */
export function at(handle: string): string {
  return `@${handle}`;
}
