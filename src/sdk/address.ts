/**
 * Addresses in both forms users meet on Harmony: EIP-55 hex (`0x…`, what wallets and the EVM use)
 * and bech32 (`one1…`, what Harmony's explorer and `hmy_` API show). Both are the same 20 bytes.
 */
import { bech32 } from '@scure/base';
import { bytesToHex, getAddress, hexToBytes, isAddress, type Address } from 'viem';
import { PaidChatError } from './errors.js';

/** Human-readable part of Harmony bech32 addresses. */
export const ONE_ADDRESS_PREFIX = 'one';

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function invalid(input: unknown, text: string, reason: string, cause?: unknown): PaidChatError {
  const shown = typeof input === 'string' ? (input.length > 60 ? `${input.slice(0, 60)}…` : input) : String(input);
  return new PaidChatError(
    'ADDRESS_INVALID',
    `"${shown}" is not a valid address: ${text} Paste a full address that starts with 0x (42 characters) or one1 (42 characters).`,
    { input, reason },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Decodes a `one1…` address to its checksummed hex form.
 *
 * @throws PaidChatError `ADDRESS_INVALID` for a wrong prefix, a bad bech32 checksum (usually a typo),
 *   mixed case, or a payload that is not 20 bytes.
 */
export function fromOneAddress(one: string): Address {
  if (typeof one !== 'string') throw invalid(one, 'it is not text.', 'not-a-string');
  const s = one.trim();
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(s as `${string}1${string}`, 90);
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : '';
    if (/checksum/i.test(msg)) {
      throw invalid(one, 'its checksum does not match, so at least one character is wrong (a typo or a cut-off copy).', 'bad-checksum', cause);
    }
    if (/lowercase or uppercase/i.test(msg)) {
      throw invalid(one, 'it mixes upper- and lower-case letters.', 'mixed-case', cause);
    }
    throw invalid(one, 'it is not a well-formed one1 (bech32) address.', 'bad-bech32', cause);
  }
  if (decoded.prefix !== ONE_ADDRESS_PREFIX) {
    throw invalid(one, `it starts with "${decoded.prefix}1", but Harmony addresses start with "one1".`, 'wrong-prefix');
  }
  let bytes: Uint8Array;
  try {
    bytes = bech32.fromWords(decoded.words);
  } catch (cause) {
    throw invalid(one, 'its data part is malformed.', 'bad-bech32', cause);
  }
  if (bytes.length !== 20) {
    throw invalid(one, `it holds ${bytes.length} bytes instead of 20.`, 'wrong-length');
  }
  return getAddress(bytesToHex(bytes));
}

/**
 * Parses an address in either form (`0x…` or `one1…`, surrounding whitespace ignored) and returns
 * it as an EIP-55 checksummed hex address. All-lowercase and all-uppercase hex digits carry no
 * checksum and are accepted; mixed-case hex must carry a correct EIP-55 checksum.
 *
 * @throws PaidChatError `ADDRESS_INVALID` with details `{ input, reason }` for anything else.
 */
export function parseAddress(input: string): Address {
  if (typeof input !== 'string') throw invalid(input, 'it is not text.', 'not-a-string');
  const s = input.trim();
  if (s === '') throw invalid(input, 'it is empty.', 'empty');
  if (/^one1/i.test(s)) return fromOneAddress(s);
  if (/^0x/i.test(s)) {
    const hex = `0x${s.slice(2)}`;
    if (!HEX_ADDRESS.test(hex)) {
      const body = s.slice(2);
      if (!/^[0-9a-fA-F]*$/.test(body)) throw invalid(input, 'it contains characters other than 0-9 and a-f.', 'bad-hex');
      throw invalid(input, `it has ${body.length} hex digits instead of 40.`, 'wrong-length');
    }
    const body = hex.slice(2);
    const singleCase = body === body.toLowerCase() || body === body.toUpperCase();
    if (!singleCase && !isAddress(hex, { strict: true })) {
      throw invalid(input, 'its mix of upper- and lower-case letters (the EIP-55 checksum) is wrong, so at least one character is wrong.', 'bad-checksum');
    }
    return getAddress(hex.toLowerCase());
  }
  throw invalid(input, 'it starts neither with 0x nor with one1.', 'unknown-format');
}

/** True when {@link parseAddress} would accept `input`. Never throws. */
export function isValidAddress(input: string): boolean {
  try {
    parseAddress(input);
    return true;
  } catch {
    return false;
  }
}

/**
 * Harmony's bech32 form of an address (`one1…`, lowercase). Accepts either form as input.
 *
 * @throws PaidChatError `ADDRESS_INVALID` (see {@link parseAddress}).
 */
export function toOneAddress(address: string): string {
  const hex = parseAddress(address);
  return bech32.encode(ONE_ADDRESS_PREFIX, bech32.toWords(hexToBytes(hex)));
}

/**
 * Short display form: `'0x1234…abcd'` (checksummed), or with `format: 'one'` `'one1qqqq…w7vz'`.
 * Accepts either form as input.
 *
 * @throws PaidChatError `ADDRESS_INVALID` (see {@link parseAddress}).
 */
export function shortAddress(address: string, format: 'hex' | 'one' = 'hex'): string {
  if (format === 'one') {
    const one = toOneAddress(address);
    return `${one.slice(0, 8)}…${one.slice(-4)}`;
  }
  const hex = parseAddress(address);
  return `${hex.slice(0, 6)}…${hex.slice(-4)}`;
}
