/**
 * Encrypted envelopes, format version 2: what goes on chain as `bytes envelope`.
 *
 * Every envelope belongs to one conversation between a visitor (who pays) and a creator (who holds
 * a handle). The visitor seals with their conversation key, the creator with an inbox key whose
 * public half is registered on chain under a key id. Layout (211 bytes, whatever the text length):
 *
 *   offset  size  field
 *   0       1     version (2)
 *   1       1     kind: 1 message, 2 reply, 3 visitor follow-up, 4 creator follow-up
 *   2       4     inbox key id (big-endian): the creator's key this is sealed to (kinds 1, 3) or with (2, 4)
 *   6       32    conversation key: the visitor's X25519 public key (author of 1, 3; reader of 2, 4)
 *   38      16    salt, random per envelope
 *   54      141   AES-256-GCM ciphertext of the padded text: length byte, UTF-8 text, zeros
 *   195     16    AES-GCM tag
 *
 *   shared   = X25519(own private key, other party's public key)
 *   okm      = HKDF-SHA256(ikm = shared, salt = salt, info, 44 bytes)
 *   aes key  = okm[0..32], nonce = okm[32..44]       (a new key for every envelope)
 *   info     = "harmony-paid-chat/v2" ‖ chainId (u64) ‖ contract (20) ‖ kind (u8) ‖ author (20) ‖ reader (20) ‖ ref (u64)
 *   AAD      = bytes 0..54 (version, kind, key id, conversation key, salt)
 *
 * `ref` is 0 for a first message, the replied message's id for a reply, and the thread id for a
 * follow-up: an envelope copied into another transaction, conversation or message does not open.
 * Known-answer vectors: `test/vectors/envelopes.json`.
 */
import { gcm } from '@noble/ciphers/aes';
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, hexToBytes, isHex, type Hex } from 'viem';
import { parseAddress } from './address.js';
import { PaidChatError } from './errors.js';
import { MessagingKey, parsePublicKey } from './keys.js';
import { decodeMessageText, encodeMessageText, MAX_MESSAGE_BYTES } from './text.js';

export const ENVELOPE_VERSION = 2;
export const ENVELOPE_KIND = Object.freeze({ message: 1, reply: 2, visitorFollowUp: 3, creatorFollowUp: 4 } as const);
export type EnvelopeKindName = keyof typeof ENVELOPE_KIND;
export type EnvelopeKind = (typeof ENVELOPE_KIND)[EnvelopeKindName];
/** Kind bytes set aside for later features; refused (with their own label) by this version. */
export const RESERVED_ENVELOPE_KINDS = Object.freeze({ channelPost: 5, anonymousDropOff: 6 } as const);

export const ENVELOPE_SALT_BYTES = 16;
export const ENVELOPE_TAG_BYTES = 16;
/** The padded plaintext: a length byte and up to 140 bytes of text. */
export const PADDED_TEXT_BYTES = 1 + MAX_MESSAGE_BYTES;
export const ENVELOPE_HEADER_BYTES = 1 + 1 + 4 + 32 + ENVELOPE_SALT_BYTES;
/** Every v2 envelope has this size: 211 bytes. */
export const ENVELOPE_BYTES = ENVELOPE_HEADER_BYTES + PADDED_TEXT_BYTES + ENVELOPE_TAG_BYTES;
export const HKDF_INFO_LABEL = 'harmony-paid-chat/v2';

const KIND_NAMES = new Map<number, EnvelopeKindName>(Object.entries(ENVELOPE_KIND).map(([k, v]) => [v, k as EnvelopeKindName]));
const LABEL = new TextEncoder().encode(HKDF_INFO_LABEL);
const U64_MAX = (1n << 64n) - 1n;

/** True for kinds the visitor writes (sealed to the creator's inbox key). */
export function isVisitorKind(kind: EnvelopeKind): boolean {
  return kind === ENVELOPE_KIND.message || kind === ENVELOPE_KIND.visitorFollowUp;
}

/** The on-chain facts an envelope is bound to. */
export interface EnvelopeContext {
  chainId: number | bigint;
  /** PaidChat contract (0x… or one1…). */
  contract: string;
  /** Who sends the transaction that carries it. */
  author: string;
  /** Who it is for. */
  reader: string;
  /** 0 / omitted for a first message; the message id for a reply; the thread id for a follow-up. */
  ref?: bigint | number;
}

/** The clear header of an envelope: enough to pick the keys that open it. */
export interface EnvelopeHeader {
  version: number;
  kind: EnvelopeKind;
  kindName: EnvelopeKindName;
  /** The creator's inbox key id. */
  keyId: number;
  /** The visitor's conversation key. */
  conversationKey: Uint8Array;
  salt: Uint8Array;
}

function invalid(message: string, reason: string, details: Record<string, unknown> = {}): PaidChatError {
  return new PaidChatError('ENVELOPE_INVALID', message, { reason, ...details });
}

function contextError(message: string, details: Record<string, unknown> = {}): PaidChatError {
  return invalid(`${message} This is a bug in the calling code: pass the on-chain facts of the message.`, 'bad-context', details);
}

function u64(value: bigint | number | undefined, name: string): bigint {
  if (value === undefined) return 0n;
  const v = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
  if (v < 0n || v > U64_MAX) throw contextError(`${name} must be an integer in 0..2^64-1, got ${String(value)}.`, { [name]: String(value) });
  return v;
}

function putU64(out: Uint8Array, offset: number, v: bigint): void {
  for (let i = 7; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** The HKDF info for `kind` in `context`. Exported for test vectors. */
export function envelopeInfo(kind: EnvelopeKind, context: EnvelopeContext): Uint8Array {
  if (context === null || typeof context !== 'object') throw contextError('The envelope context is missing.');
  const chainId = u64(context.chainId, 'chainId');
  if (chainId === 0n) {
    throw new PaidChatError('UNSUPPORTED_CHAIN', `Chain id ${String(context.chainId)} is not a positive integer. Pass the numeric EVM chain id.`, {
      chainId: context.chainId,
    });
  }
  const ref = u64(context.ref, 'ref');
  if (kind === ENVELOPE_KIND.message ? ref !== 0n : ref === 0n) {
    throw contextError(kind === ENVELOPE_KIND.message ? 'A first message has no ref.' : `A ${KIND_NAMES.get(kind)} envelope needs ref (the message or thread id).`, { kind });
  }
  const info = new Uint8Array(LABEL.length + 8 + 20 + 1 + 20 + 20 + 8);
  let o = 0;
  info.set(LABEL, o);
  o += LABEL.length;
  putU64(info, o, chainId);
  o += 8;
  info.set(hexToBytes(parseAddress(context.contract)), o);
  o += 20;
  info[o++] = kind;
  info.set(hexToBytes(parseAddress(context.author)), o);
  o += 20;
  info.set(hexToBytes(parseAddress(context.reader)), o);
  o += 20;
  putU64(info, o, ref);
  return info;
}

function keyAndNonce(shared: Uint8Array, salt: Uint8Array, info: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdf(sha256, shared, salt, info, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

function checkKind(kind: unknown): EnvelopeKind {
  if (!KIND_NAMES.has(kind as number)) {
    throw invalid(`Unknown envelope kind ${String(kind)}; this version writes kinds 1–4. This is a bug in the calling code.`, 'unknown-kind', { kind });
  }
  return kind as EnvelopeKind;
}

function checkKeyId(keyId: unknown): number {
  if (!Number.isInteger(keyId) || (keyId as number) < 1 || (keyId as number) > 0xffffffff) {
    throw new PaidChatError('KEY_NOT_FOUND', `Inbox key id ${String(keyId)} does not exist: key ids start at 1.`, { keyId });
  }
  return keyId as number;
}

/** Parameters of {@link sealEnvelope}. */
export interface SealParams {
  kind: EnvelopeKind;
  /** The text as typed; 1..140 bytes of UTF-8, not blank. */
  text: string;
  /** The author's key: the visitor's conversation key (kinds 1, 3) or the creator's inbox key (2, 4). */
  authorKey: MessagingKey;
  /** The reader's public key: the creator's inbox key (1, 3) or the visitor's conversation key (2, 4). */
  readerPublicKey: Uint8Array;
  /** The creator's inbox key id: of `readerPublicKey` (1, 3) or of `authorKey` (2, 4). */
  keyId: number;
  context: EnvelopeContext;
  /** Test vectors only: a fixed salt. Never pass one otherwise. */
  salt?: Uint8Array;
}

/**
 * Encrypts `text` into a 211-byte envelope. Text rules are checked first.
 *
 * @throws PaidChatError `MESSAGE_EMPTY` / `MESSAGE_TOO_LONG`, `ENVELOPE_INVALID` (kind, context),
 *   `KEY_NOT_FOUND` (key id), `KEY_INVALID` (keys), `ADDRESS_INVALID`, `UNSUPPORTED_CHAIN`.
 */
export async function sealEnvelope(params: SealParams): Promise<Uint8Array> {
  const text = encodeMessageText(params.text);
  const kind = checkKind(params.kind);
  const keyId = checkKeyId(params.keyId);
  if (!(params.authorKey instanceof MessagingKey)) {
    throw new PaidChatError('KEY_MISSING', 'No key to seal with was given.', { role: 'author' });
  }
  const reader = parsePublicKey(params.readerPublicKey, "reader's key");
  const info = envelopeInfo(kind, params.context);
  const salt = params.salt ?? crypto.getRandomValues(new Uint8Array(ENVELOPE_SALT_BYTES));
  if (salt.length !== ENVELOPE_SALT_BYTES) throw contextError('The salt must be 16 bytes.');

  const out = new Uint8Array(ENVELOPE_BYTES);
  out[0] = ENVELOPE_VERSION;
  out[1] = kind;
  new DataView(out.buffer).setUint32(2, keyId);
  out.set(isVisitorKind(kind) ? params.authorKey.publicKey : reader, 6);
  out.set(salt, 38);
  const padded = new Uint8Array(PADDED_TEXT_BYTES);
  padded[0] = text.length;
  padded.set(text, 1);
  const shared = await params.authorKey.agree(reader);
  const { key, nonce } = keyAndNonce(shared, salt, info);
  try {
    out.set(gcm(key, nonce, out.subarray(0, ENVELOPE_HEADER_BYTES)).encrypt(padded), ENVELOPE_HEADER_BYTES);
  } finally {
    key.fill(0);
    shared.fill(0);
    padded.fill(0);
  }
  return out;
}

function toBytes(envelope: Uint8Array | Hex): Uint8Array {
  if (envelope instanceof Uint8Array) return envelope;
  if (typeof envelope === 'string' && isHex(envelope, { strict: true }) && envelope.length % 2 === 0 && envelope.length <= 2 + 2 * 320) {
    return hexToBytes(envelope);
  }
  throw invalid('The envelope is not bytes of at most 320 (the contract limit). It was not written by a Harmony Paid Chat app.', 'not-bytes');
}

/**
 * Reads an envelope's clear header, checking everything that can be checked without a key.
 * Treats the bytes as hostile: every problem is an `ENVELOPE_INVALID` with its own `reason`.
 *
 * @throws PaidChatError `ENVELOPE_INVALID` with `reason`: 'not-bytes' | 'empty' | 'old-version' |
 *   'newer-version' | 'unknown-version' | 'reserved-kind' | 'unknown-kind' | 'bad-length' | 'bad-key'.
 */
export function readEnvelopeHeader(envelope: Uint8Array | Hex): EnvelopeHeader {
  const env = toBytes(envelope);
  if (env.length === 0) throw invalid('The envelope is empty, so there is no message to show.', 'empty');
  const version = env[0]!;
  if (version !== ENVELOPE_VERSION) {
    if (version === 1) throw invalid('This message uses envelope format 1, which this version of the app no longer reads.', 'old-version', { version });
    if (version > ENVELOPE_VERSION && version < 16) {
      throw invalid(`This message uses envelope format ${version}, newer than this app reads (${ENVELOPE_VERSION}). Update the app to read it.`, 'newer-version', { version });
    }
    throw invalid(`The envelope starts with ${version}, which is no format version: it was not written by a Harmony Paid Chat app.`, 'unknown-version', { version });
  }
  const kindByte = env.length > 1 ? env[1]! : 0;
  if (!KIND_NAMES.has(kindByte)) {
    const reserved = Object.values(RESERVED_ENVELOPE_KINDS).includes(kindByte as never);
    throw invalid(
      reserved
        ? `This envelope is of kind ${kindByte}, which a later version of the app uses. Update the app to read it.`
        : `The envelope has unknown kind ${kindByte}: it was not written by a Harmony Paid Chat app.`,
      reserved ? 'reserved-kind' : 'unknown-kind',
      { kind: kindByte },
    );
  }
  if (env.length !== ENVELOPE_BYTES) {
    throw invalid(`The envelope is ${env.length} bytes; format 2 envelopes are always ${ENVELOPE_BYTES}. It is truncated or damaged.`, 'bad-length', { bytes: env.length });
  }
  const kind = kindByte as EnvelopeKind;
  const keyId = new DataView(env.buffer, env.byteOffset, env.byteLength).getUint32(2);
  if (keyId === 0) throw invalid('The envelope names inbox key 0, which never exists. It is damaged.', 'bad-key', { keyId });
  let conversationKey: Uint8Array;
  try {
    conversationKey = parsePublicKey(env.subarray(6, 38), 'conversation key');
  } catch {
    throw invalid('The envelope carries no usable conversation key. It is damaged.', 'bad-key');
  }
  return { version, kind, kindName: KIND_NAMES.get(kind)!, keyId, conversationKey, salt: env.slice(38, 54) };
}

/** Parameters of {@link openEnvelope}. */
export interface OpenParams {
  envelope: Uint8Array | Hex;
  /** The kind the event implies (MessageSent → message; MessageReplied → reply; FollowUpPosted → by author). */
  kind: EnvelopeKind;
  /** The reader's or author's own key: the conversation key (visitor) or the inbox key `header.keyId` (creator). */
  myKey: MessagingKey;
  /** The other side's public key: the creator's inbox key `header.keyId` (visitor) or `header.conversationKey` (creator). */
  otherPublicKey: Uint8Array;
  context: EnvelopeContext;
}

export interface OpenedEnvelope {
  text: string;
  header: EnvelopeHeader;
}

/**
 * Decrypts an envelope for either party. Returns the whole text or throws; never partial text.
 *
 * @throws PaidChatError `ENVELOPE_INVALID` (see {@link readEnvelopeHeader}, plus 'kind-mismatch',
 *   'bad-padding', 'bad-utf8', 'blank'), `DECRYPT_FAILED` when authentication fails (a wrong key,
 *   an envelope copied from another message or conversation, altered bytes), `KEY_INVALID`.
 */
export async function openEnvelope(params: OpenParams): Promise<OpenedEnvelope> {
  const env = toBytes(params.envelope);
  const header = readEnvelopeHeader(env);
  if (header.kind !== params.kind) {
    throw invalid(
      `Expected a ${KIND_NAMES.get(params.kind) ?? `kind ${params.kind}`} envelope, but this one says it is a ${header.kindName}. It was placed in the wrong transaction.`,
      'kind-mismatch',
      { expected: params.kind, kind: header.kind },
    );
  }
  const info = envelopeInfo(header.kind, params.context);
  const shared = await params.myKey.agree(params.otherPublicKey);
  const { key, nonce } = keyAndNonce(shared, header.salt, info);
  let padded: Uint8Array;
  try {
    padded = gcm(key, nonce, env.subarray(0, ENVELOPE_HEADER_BYTES)).decrypt(env.subarray(ENVELOPE_HEADER_BYTES));
  } catch (cause) {
    throw new PaidChatError(
      'DECRYPT_FAILED',
      'This message could not be opened: it was altered, copied from another message or conversation, or sealed with a key that does not belong to its sender.',
      { kind: header.kind, keyId: header.keyId },
      { cause },
    );
  } finally {
    key.fill(0);
    shared.fill(0);
  }
  try {
    const n = padded[0]!;
    if (n < 1 || n > MAX_MESSAGE_BYTES || padded.subarray(1 + n).some((b) => b !== 0)) {
      throw invalid('The envelope decrypted, but its padding is wrong: it was not written by a compatible app.', 'bad-padding', { length: n });
    }
    let text: string;
    try {
      text = decodeMessageText(padded.subarray(1, 1 + n));
    } catch {
      throw invalid('The envelope decrypted, but its text is not valid UTF-8 or is blank.', 'bad-utf8');
    }
    return { text, header };
  } finally {
    padded.fill(0);
  }
}

/** Hex of an envelope's header fields, for logs and debugging (never the ciphertext). */
export function describeEnvelope(envelope: Uint8Array | Hex): string {
  const h = readEnvelopeHeader(envelope);
  return `v${h.version} ${h.kindName} key#${h.keyId} conv=${bytesToHex(h.conversationKey).slice(0, 10)}…`;
}
