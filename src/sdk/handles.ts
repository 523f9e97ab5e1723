/**
 * Handles: the public names creators claim (`@alice`). Same rule as `PaidChat.isValidHandle`:
 * 3–32 characters of a–z, 0–9, `_` and `-`, the first one a letter or digit. On chain a handle is a
 * `bytes32`, left-aligned ASCII, zero padded.
 */
import { bytesToHex, hexToBytes, isHex, type Hex } from 'viem';
import { PaidChatError } from './errors.js';

/** Shortest handle, in characters (= bytes, handles are ASCII). */
export const HANDLE_MIN_LENGTH = 3;
/** Longest handle: it must fit in a bytes32. */
export const HANDLE_MAX_LENGTH = 32;

const HANDLE_RULE =
  'A handle is 3 to 32 characters of a-z, 0-9, "_" and "-", and starts with a letter or a digit (a leading "@" is optional).';
const VALID = /^[a-z0-9][a-z0-9_-]{2,31}$/;
const ZERO32 = `0x${'0'.repeat(64)}` as const;

/** Why a (trimmed, '@'-stripped, ASCII-lowercased) candidate is not a valid handle, or null if it is. */
function problem(h: string): { reason: string; text: string } | null {
  if (VALID.test(h)) return null;
  if (h.length === 0) return { reason: 'empty', text: 'No handle was given.' };
  const bad = [...h].find((ch) => !/^[a-z0-9_-]$/.test(ch));
  if (bad !== undefined) {
    const shown = /^[\x21-\x7e]$/.test(bad) ? `"${bad}"` : `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return { reason: 'bad-character', text: `It contains ${shown}, which a handle cannot hold.` };
  }
  if (!/^[a-z0-9]$/.test(h[0]!)) return { reason: 'bad-start', text: `It starts with "${h[0]}".` };
  if (h.length < HANDLE_MIN_LENGTH) return { reason: 'too-short', text: `It is only ${h.length} character${h.length === 1 ? '' : 's'} long.` };
  return { reason: 'too-long', text: `It is ${h.length} characters long.` };
}

/** Trim, drop one leading '@', lowercase ASCII A–Z (and nothing else). */
function canonical(input: string): string {
  let h = input.trim();
  if (h.startsWith('@')) h = h.slice(1);
  return h.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Turns what a user typed (`" @Alice "`) into the canonical handle (`"alice"`): trims whitespace,
 * strips one leading '@', lowercases ASCII A–Z only, then checks the on-chain rule.
 * Non-ASCII letters are never folded or transliterated; they make the handle invalid.
 *
 * @throws PaidChatError `HANDLE_INVALID` with details `{ input, normalized, reason }`
 *   (`reason`: 'empty' | 'bad-character' | 'bad-start' | 'too-short' | 'too-long' | 'not-a-string').
 */
export function normalizeHandle(input: string): string {
  if (typeof input !== 'string') {
    throw new PaidChatError('HANDLE_INVALID', `A handle must be text. ${HANDLE_RULE}`, {
      input,
      normalized: null,
      reason: 'not-a-string',
    });
  }
  const h = canonical(input);
  const p = problem(h);
  if (p) {
    const label = h.length > 40 ? `${h.slice(0, 40)}…` : h;
    throw new PaidChatError(
      'HANDLE_INVALID',
      `"@${label}" is not a valid handle. ${p.text} ${HANDLE_RULE}`,
      { input, normalized: h, reason: p.reason },
    );
  }
  return h;
}

/** True when {@link normalizeHandle} would accept `input`. Never throws. */
export function isValidHandle(input: string): boolean {
  return typeof input === 'string' && problem(canonical(input)) === null;
}

/**
 * The on-chain form of a handle: bytes32, left-aligned ASCII, zero padded.
 * The input is normalised first, so `'@Alice'` and `'alice'` give the same value.
 *
 * @throws PaidChatError `HANDLE_INVALID` (see {@link normalizeHandle}).
 */
export function handleToBytes32(handle: string): Hex {
  const h = normalizeHandle(handle);
  const out = new Uint8Array(32);
  for (let i = 0; i < h.length; i++) out[i] = h.charCodeAt(i);
  return bytesToHex(out);
}

/**
 * Reads a bytes32 handle from the chain. Returns '' for bytes32(0) (no handle).
 *
 * @throws PaidChatError `HANDLE_INVALID` when the value is not 32 bytes of hex or is not a valid
 *   handle (the contract never stores such a value, so this means a wrong contract or a bad RPC).
 */
export function bytes32ToHandle(hex: Hex): string {
  if (typeof hex !== 'string' || !isHex(hex, { strict: true }) || hex.length !== 66) {
    throw new PaidChatError(
      'HANDLE_INVALID',
      'The handle read from the chain is not a 32-byte value. Check that the app points at the right PaidChat contract and RPC.',
      { value: hex, reason: 'not-bytes32' },
    );
  }
  if (hex.toLowerCase() === ZERO32) return '';
  const bytes = hexToBytes(hex);
  let len = 0;
  while (len < 32 && bytes[len] !== 0) len++;
  let h = '';
  for (let i = 0; i < len; i++) h += String.fromCharCode(bytes[i]!);
  const trailing = bytes.subarray(len).some((b) => b !== 0);
  if (trailing || problem(h) !== null) {
    throw new PaidChatError(
      'HANDLE_INVALID',
      'The handle read from the chain is not a valid handle. Check that the app points at the right PaidChat contract.',
      { value: hex, reason: trailing ? 'bad-padding' : 'bad-handle' },
    );
  }
  return h;
}

/** Display form of a canonical handle: `'alice'` → `'@alice'`. */
export function formatHandle(handle: string): string {
  return `@${handle}`;
}
