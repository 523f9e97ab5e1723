/**
 * Encrypted envelopes: what `PaidChat.sendMessage` / `reply` carry in their `envelope` bytes.
 *
 * Format v1 (all kinds):
 *
 * | bytes | content |
 * |---|---|
 * | 0 | version, 0x01 |
 * | 1 | kind: 0x01 message, 0x02 reply (0x03 thread message, 0x04 channel post, 0x05 anonymous drop-off reserved) |
 * | 2..13 | AES-256-GCM nonce (12 bytes, random) |
 * | 14..29 | GCM tag (16 bytes) |
 * | 30.. | ciphertext of the UTF-8 text (1..140 bytes for messages and replies) |
 *
 * Bytes 2.. are exactly eciesjs `symEncrypt` output (nonce ‖ tag ‖ ciphertext). The AAD is the two
 * header bytes. The AES key is
 * `HKDF-SHA256(ikm = ECDH(author key, reader key) as a compressed point, salt = none, info)` with
 * `info = "harmony-paid-chat/v1" ‖ chainId (u64 BE) ‖ contract (20) ‖ kind (1) ‖ author (20) ‖ reader (20) ‖ refId (u64 BE)`.
 *
 * Static-static ECDH lets both the reader and the author (outbox) open an envelope. Binding the
 * chain, contract, on-chain author and reader addresses and (for replies) the message id means an
 * envelope copied into another account's transaction, to another message, chain or contract does
 * not decrypt.
 */
import { Config } from 'eciesjs/config';
import { deriveKey, symDecrypt, symEncrypt } from 'eciesjs/utils';
import { hexToBytes, isHex, type Hex } from 'viem';
import { parseAddress } from './address.js';
import { PaidChatError } from './errors.js';
import { MessagingKey } from './keys.js';
import { decodeMessageText, encodeMessageText, MAX_MESSAGE_BYTES } from './text.js';

/** The only envelope format version this code writes and reads. */
export const ENVELOPE_VERSION = 1;
/** Kind byte of a first (paid) message to a handle; carried by `MessageSent`. */
export const ENVELOPE_KIND_MESSAGE = 0x01;
/** Kind byte of the recipient's reply to a message; carried by `MessageReplied`. */
export const ENVELOPE_KIND_REPLY = 0x02;
/** Kind bytes set aside for later protocol versions; refused by v1 code. */
export const RESERVED_ENVELOPE_KINDS = { threadMessage: 0x03, channelPost: 0x04, anonymousDropOff: 0x05 } as const;
/** Envelope kinds this version writes and reads (the kind byte). */
export type EnvelopeKind = typeof ENVELOPE_KIND_MESSAGE | typeof ENVELOPE_KIND_REPLY;
/** Readable name of each supported kind, for messages and UIs. */
export const ENVELOPE_KIND_NAMES: Readonly<Record<EnvelopeKind, 'message' | 'reply'>> = Object.freeze({ 1: 'message', 2: 'reply' });

/** Header bytes (version, kind). */
export const ENVELOPE_HEADER_BYTES = 2;
/** AES-GCM nonce length. */
export const ENVELOPE_NONCE_BYTES = 12;
/** AES-GCM tag length. */
export const ENVELOPE_TAG_BYTES = 16;
/** Bytes an envelope adds to its text: header + nonce + tag = 30. */
export const envelopeOverhead = ENVELOPE_HEADER_BYTES + ENVELOPE_NONCE_BYTES + ENVELOPE_TAG_BYTES;
/** Largest envelope the contract accepts (`PaidChat.MAX_ENVELOPE_BYTES`); longer input is refused before any work. */
export const MAX_ENVELOPE_BYTES = 320;
/** ASCII prefix of the HKDF info. */
export const HKDF_INFO_LABEL = 'harmony-paid-chat/v1';

/** Size of the envelope for a text of `textBytes` UTF-8 bytes: `textBytes + 30` (170 for 140). */
export function envelopeSize(textBytes: number): number {
  return textBytes + envelopeOverhead;
}

/** One AEAD configuration for every call: AES-256-GCM, 12-byte nonce. Never the global ECIES_CONFIG. */
const SYM_CONFIG: Config = (() => {
  const c = new Config();
  c.ellipticCurve = 'secp256k1';
  c.isEphemeralKeyCompressed = true;
  c.isHkdfKeyCompressed = true;
  c.symmetricAlgorithm = 'aes-256-gcm';
  c.symmetricNonceLength = ENVELOPE_NONCE_BYTES;
  return Object.freeze(c);
})();

const LABEL_BYTES = new TextEncoder().encode(HKDF_INFO_LABEL);
const INFO_BYTES = LABEL_BYTES.length + 8 + 20 + 1 + 20 + 20 + 8;
const U64_MAX = (1n << 64n) - 1n;
function isKind(k: unknown): k is EnvelopeKind {
  return k === ENVELOPE_KIND_MESSAGE || k === ENVELOPE_KIND_REPLY;
}

/** Who wrote to whom, where: the on-chain facts an envelope is bound to. */
export interface EnvelopeContext {
  /** EVM chain id. */
  chainId: number | bigint;
  /** PaidChat contract address (0x… or one1…). */
  contract: string;
  /** Address that sent the transaction carrying the envelope (the message's sender; for a reply, the recipient who replies). */
  author: string;
  /** Address the envelope is for (for a message, the recipient; for a reply, the original sender). */
  reader: string;
  /** For a reply: id of the message replied to (required, > 0). For a message: omit or 0. */
  refId?: bigint | number;
  /**
   * Optional kind check: when set, it must equal the envelope's kind (sealing: the `kind` param;
   * opening: the kind byte). Same as `OpenEnvelopeParams.kind`.
   */
  kind?: EnvelopeKind;
}

function contextError(text: string, details: Record<string, unknown>): PaidChatError {
  return new PaidChatError('ENVELOPE_INVALID', `${text} This is a bug in the calling code: pass the on-chain facts of the message.`, {
    reason: 'bad-context',
    ...details,
  });
}

function toU64(value: bigint | number | undefined, name: string): bigint {
  if (value === undefined) return 0n;
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else throw contextError(`${name} must be an integer, got ${String(value)}.`, { [name]: value });
  if (v < 0n || v > U64_MAX) throw contextError(`${name} ${v} is outside 0..2^64-1.`, { [name]: value });
  return v;
}

function writeU64(out: Uint8Array, offset: number, v: bigint): void {
  for (let i = 7; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** HKDF info for `kind` in `context` (validates the context). */
function hkdfInfo(kind: EnvelopeKind, context: EnvelopeContext): Uint8Array {
  if (context === null || typeof context !== 'object') throw contextError('The envelope context is missing.', {});
  const chainId = context.chainId;
  if (!((typeof chainId === 'number' && Number.isSafeInteger(chainId) && chainId > 0) || (typeof chainId === 'bigint' && chainId > 0n && chainId <= U64_MAX))) {
    throw new PaidChatError('UNSUPPORTED_CHAIN', `Chain id ${String(chainId)} is not a positive 64-bit integer. Pass the numeric EVM chain id (e.g. 1666600000 for Harmony mainnet).`, {
      chainId,
    });
  }
  const refId = toU64(context.refId, 'refId');
  if (kind === ENVELOPE_KIND_REPLY && refId === 0n) throw contextError('A reply envelope needs refId, the id of the message it answers.', { kind });
  if (kind === ENVELOPE_KIND_MESSAGE && refId !== 0n) throw contextError(`A first message has no refId (got ${refId}); only replies refer to a message.`, { kind });
  const info = new Uint8Array(INFO_BYTES);
  let o = 0;
  info.set(LABEL_BYTES, o);
  o += LABEL_BYTES.length;
  writeU64(info, o, BigInt(chainId));
  o += 8;
  info.set(hexToBytes(parseAddress(context.contract)), o);
  o += 20;
  info[o++] = kind;
  info.set(hexToBytes(parseAddress(context.author)), o);
  o += 20;
  info.set(hexToBytes(parseAddress(context.reader)), o);
  o += 20;
  writeU64(info, o, refId);
  return info;
}

function requireKey(key: unknown, role: string): MessagingKey {
  if (!(key instanceof MessagingKey)) {
    throw new PaidChatError('KEY_MISSING', `No messaging key was given (${role}). Unlock with your wallet or import your key backup first.`, { role });
  }
  return key;
}

/** Parameters of {@link sealEnvelope}. */
export interface SealEnvelopeParams {
  /** {@link ENVELOPE_KIND_MESSAGE} or {@link ENVELOPE_KIND_REPLY}. */
  kind: EnvelopeKind;
  /** The text exactly as typed; checked by `encodeMessageText` (1..140 bytes of UTF-8, not blank). */
  text: string;
  /** The author's messaging key. */
  authorKey: MessagingKey;
  /** The reader's registered public key (from `publicKeyFromChain`), 33 bytes compressed. */
  readerPublicKey: Uint8Array;
  context: EnvelopeContext;
}

/**
 * Encrypts `text` for the reader. The text rules are checked first, then the kind and context.
 *
 * @throws PaidChatError `MESSAGE_EMPTY` / `MESSAGE_TOO_LONG` (text), `ENVELOPE_INVALID` (unknown kind,
 *   bad refId), `ADDRESS_INVALID`, `UNSUPPORTED_CHAIN` (context), `KEY_MISSING` / `KEY_INVALID` (keys).
 * @returns The envelope bytes, `envelopeSize(utf8Length(text))` long.
 */
export function sealEnvelope(params: SealEnvelopeParams): Uint8Array {
  const plain = encodeMessageText(params.text);
  const kind = params.kind;
  if (!isKind(kind)) {
    throw new PaidChatError(
      'ENVELOPE_INVALID',
      `Unknown envelope kind ${String(kind)}; this version writes ENVELOPE_KIND_MESSAGE (1) and ENVELOPE_KIND_REPLY (2). This is a bug in the calling code.`,
      { reason: 'unknown-kind', kind },
    );
  }
  if (params.context?.kind !== undefined && params.context.kind !== kind) {
    throw contextError(`The context says kind ${String(params.context.kind)} but the envelope kind is ${kind}.`, { kind, contextKind: params.context.kind });
  }
  const info = hkdfInfo(kind, params.context);
  const authorKey = requireKey(params.authorKey, 'author');
  const shared = authorKey.sharedPoint(params.readerPublicKey);
  const header = new Uint8Array([ENVELOPE_VERSION, kind]);
  const key = deriveKey(shared, undefined, info);
  let body: Uint8Array;
  try {
    body = symEncrypt(SYM_CONFIG, key, plain, header);
  } finally {
    key.fill(0);
    shared.fill(0);
  }
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + body.length);
  out.set(header, 0);
  out.set(body, ENVELOPE_HEADER_BYTES);
  return out;
}

/** Parameters of {@link openEnvelope}. */
export interface OpenEnvelopeParams {
  /** Envelope bytes from the event (`Uint8Array` or `0x…` hex). Treated as hostile input. */
  envelope: Uint8Array | Hex;
  /** The key of whoever is reading: the reader's key, or the author's own key for the outbox. */
  myKey: MessagingKey;
  /** The other party's public key as registered when the envelope was sealed (reader → author's key; author → reader's key). */
  otherPublicKey: Uint8Array;
  /** Same roles as when sealing: `author` wrote it, `reader` is who it was for. */
  context: EnvelopeContext;
  /**
   * Kind the caller expects ({@link ENVELOPE_KIND_MESSAGE} for MessageSent, {@link ENVELOPE_KIND_REPLY}
   * for MessageReplied); may also be given as `context.kind`. Strongly recommended.
   */
  kind?: EnvelopeKind;
}

/** What {@link openEnvelope} returns. */
export interface OpenedEnvelope {
  /** The whole text, exactly as the author typed it. */
  text: string;
  /** The envelope's kind byte. */
  kind: EnvelopeKind;
  /** The envelope's format version (always 1 here). */
  version: typeof ENVELOPE_VERSION;
}

function invalid(text: string, reason: string, details: Record<string, unknown> = {}): PaidChatError {
  return new PaidChatError('ENVELOPE_INVALID', text, { reason, ...details });
}

const NOT_COMPATIBLE = 'It was not written by a compatible Harmony Paid Chat app, so it cannot be shown.';

/**
 * Decrypts an envelope, for its reader or for its author. Returns the whole text or throws; never
 * partial text and never a raw library error.
 *
 * @throws PaidChatError `ENVELOPE_INVALID` with details `{ reason }` ('not-bytes' | 'empty' | 'too-long' |
 *   'unknown-version' | 'unknown-kind' | 'reserved-kind' | 'kind-mismatch' | 'truncated' | 'text-too-long' |
 *   'bad-utf8' | 'bad-context') when the bytes are not a v1 envelope of the expected kind.
 * @throws PaidChatError `DECRYPT_FAILED` when authentication fails: wrong key, wrong context (e.g. copied
 *   from another transaction or message), or altered bytes.
 * @throws PaidChatError `KEY_MISSING` / `KEY_INVALID` for a missing own key or an invalid other key;
 *   `ADDRESS_INVALID` / `UNSUPPORTED_CHAIN` for a bad context.
 */
export function openEnvelope(params: OpenEnvelopeParams): OpenedEnvelope {
  let env: Uint8Array;
  const raw = params.envelope;
  if (raw instanceof Uint8Array) env = raw;
  else if (typeof raw === 'string' && isHex(raw, { strict: true }) && raw.length % 2 === 0) {
    if (raw.length > 2 + 2 * MAX_ENVELOPE_BYTES) {
      throw invalid(`The envelope is longer than the ${MAX_ENVELOPE_BYTES}-byte limit. ${NOT_COMPATIBLE}`, 'too-long', { bytes: (raw.length - 2) / 2 });
    }
    env = hexToBytes(raw);
  } else throw invalid(`The envelope is neither bytes nor 0x-hex. ${NOT_COMPATIBLE}`, 'not-bytes');

  const n = env.length;
  if (n === 0) throw invalid('The envelope is empty, so there is no message to show.', 'empty');
  if (n > MAX_ENVELOPE_BYTES) throw invalid(`The envelope is ${n} bytes, over the ${MAX_ENVELOPE_BYTES}-byte limit. ${NOT_COMPATIBLE}`, 'too-long', { bytes: n });
  const version = env[0]!;
  if (version !== ENVELOPE_VERSION) {
    throw invalid(
      version > ENVELOPE_VERSION
        ? `The envelope has format version ${version}, newer than this app understands (version ${ENVELOPE_VERSION}). Update the app to read it.`
        : `The envelope has format version ${version}, which does not exist. ${NOT_COMPATIBLE}`,
      'unknown-version',
      { version },
    );
  }
  if (n < ENVELOPE_HEADER_BYTES) throw invalid(`The envelope is ${n} byte long, too short to hold a message. ${NOT_COMPATIBLE}`, 'truncated', { bytes: n });
  const kindByte = env[1]!;
  if (!isKind(kindByte)) {
    const reserved = Object.values(RESERVED_ENVELOPE_KINDS).includes(kindByte as never);
    throw invalid(
      reserved
        ? `The envelope is of kind ${kindByte}, which a later version of the app uses. Update the app to read it.`
        : `The envelope has unknown kind ${kindByte}. ${NOT_COMPATIBLE}`,
      reserved ? 'reserved-kind' : 'unknown-kind',
      { kind: kindByte },
    );
  }
  const kind: EnvelopeKind = kindByte;
  for (const expected of [params.kind, params.context?.kind]) {
    if (expected !== undefined && expected !== kind) {
      const want = isKind(expected) ? ENVELOPE_KIND_NAMES[expected] : `kind ${String(expected)}`;
      throw invalid(`Expected a ${want} envelope but this one says it is a ${ENVELOPE_KIND_NAMES[kind]}. ${NOT_COMPATIBLE}`, 'kind-mismatch', {
        expected,
        kind,
      });
    }
  }
  // Without an explicit kind, the context implies one: a refId means a reply, none a first message.
  const ref = params.context?.refId;
  const impliesReply = ref !== undefined && ref !== 0 && ref !== 0n;
  if (params.kind === undefined && params.context?.kind === undefined && (kind === ENVELOPE_KIND_REPLY) !== impliesReply) {
    const want = impliesReply ? 'a reply (a refId was given)' : 'a first message (no refId was given)';
    throw invalid(`Expected ${want} but this envelope says it is a ${ENVELOPE_KIND_NAMES[kind]}. ${NOT_COMPATIBLE}`, 'kind-mismatch', {
      expected: impliesReply ? ENVELOPE_KIND_REPLY : ENVELOPE_KIND_MESSAGE,
      kind,
    });
  }
  const textBytes = n - envelopeOverhead;
  if (textBytes < 1) throw invalid(`The envelope is ${n} bytes, too short to hold any text (at least ${envelopeOverhead + 1}). It is truncated or damaged.`, 'truncated', { bytes: n });
  if (textBytes > MAX_MESSAGE_BYTES) {
    throw invalid(`The envelope would hold ${textBytes} bytes of text, more than the ${MAX_MESSAGE_BYTES} a ${ENVELOPE_KIND_NAMES[kind]} may have. ${NOT_COMPATIBLE}`, 'text-too-long', {
      bytes: textBytes,
      max: MAX_MESSAGE_BYTES,
    });
  }

  const info = hkdfInfo(kind, params.context);
  const myKey = requireKey(params.myKey, 'reader or author');
  const shared = myKey.sharedPoint(params.otherPublicKey);
  const key = deriveKey(shared, undefined, info);
  let plain: Uint8Array;
  try {
    plain = symDecrypt(SYM_CONFIG, key, env.slice(ENVELOPE_HEADER_BYTES), env.slice(0, ENVELOPE_HEADER_BYTES));
  } catch (cause) {
    throw new PaidChatError(
      'DECRYPT_FAILED',
      'This message could not be decrypted. Either it was not encrypted for this conversation (for example copied ' +
        'from another transaction or message), it was altered, or a messaging key was changed after it was sent. ' +
        'If you registered a new key since, import the backup of your old key to read it.',
      { kind, bytes: n },
      { cause },
    );
  } finally {
    key.fill(0);
    shared.fill(0);
  }
  try {
    return { text: decodeMessageText(plain), kind, version: ENVELOPE_VERSION };
  } finally {
    plain.fill(0);
  }
}
