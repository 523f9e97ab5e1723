/**
 * Known-answer vectors for envelope format 2 → test/vectors/envelopes.json. Deterministic: every
 * secret, salt and address is derived from a fixed label, so the file is reproducible and a test
 * checks that it is not stale. Each positive vector lists the intermediate values (shared secret,
 * HKDF info, okm) so that an independent implementation can find where it differs.
 *
 *   tsx scripts/vectors.ts            write the file
 *   tsx scripts/vectors.ts --check    exit 1 if the committed file differs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { x25519 } from '@noble/curves/ed25519';
import { gcm } from '@noble/ciphers/aes';
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, getAddress, hexToBytes, type Hex } from 'viem';
import { ENVELOPE_HEADER_BYTES, ENVELOPE_KIND, PADDED_TEXT_BYTES, envelopeInfo, sealEnvelope, type EnvelopeKind } from '../src/sdk/envelope.js';
import { messagingKeyFromSecret } from '../src/sdk/keys.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const VECTORS_FILE = resolve(root, 'test/vectors/envelopes.json');

const bytes = (label: string, n = 32) => sha256(new TextEncoder().encode(`harmony-paid-chat vectors: ${label}`)).slice(0, n);
const address = (label: string) => getAddress(bytesToHex(bytes(label, 20)));

export interface PositiveVector {
  description: string;
  kind: EnvelopeKind;
  chainId: number;
  contract: Hex;
  author: Hex;
  reader: Hex;
  ref: string;
  keyId: number;
  visitorSecret: Hex;
  visitorPublic: Hex;
  creatorSecret: Hex;
  creatorPublic: Hex;
  salt: Hex;
  text: string;
  textBytes: number;
  info: Hex;
  shared: Hex;
  okm: Hex;
  envelope: Hex;
}

export interface NegativeVector {
  description: string;
  /** Which party opens it, with the keys and context of `base` (the positive vector it was made from). */
  base: number;
  opener: 'creator' | 'visitor';
  envelope: Hex;
  /** Overrides of the base vector's context (to show a copy into another transaction fails). */
  context?: { author?: Hex; reader?: Hex; ref?: string; kind?: EnvelopeKind };
  code: string;
  reason?: string;
}

export async function generateVectors(): Promise<{ format: string; version: number; notes: string[]; positive: PositiveVector[]; negative: NegativeVector[] }> {
  const visitorSecret = bytes('visitor conversation key');
  const creatorSecret = bytes('creator inbox key');
  const visitorKey = await messagingKeyFromSecret(visitorSecret, { extractable: true });
  const creatorKey = await messagingKeyFromSecret(creatorSecret, { extractable: true });
  const contract = address('contract');
  const visitor = address('visitor');
  const creator = address('creator');
  const chainId = 1666600000;
  const messageId = (7n << 32n) | 3n;
  const cases: { description: string; kind: EnvelopeKind; text: string; ref: bigint; keyId: number }[] = [
    { description: 'first message, 1 byte', kind: ENVELOPE_KIND.message, text: 'K', ref: 0n, keyId: 1 },
    { description: 'first message, 140 bytes of mixed UTF-8', kind: ENVELOPE_KIND.message, text: 'Hi @satoshi 👋 ' + 'é'.repeat(20) + '中文' + 'x'.repeat(140 - 17 - 40 - 6 - 1) + '!', ref: 0n, keyId: 1 },
    { description: 'reply "OK" to message 7<<32|3, sealed with inbox key 2', kind: ENVELOPE_KIND.reply, text: 'OK', ref: messageId, keyId: 2 },
    { description: "visitor's follow-up in thread 5", kind: ENVELOPE_KIND.visitorFollowUp, text: 'Thanks, one more question?', ref: 5n, keyId: 2 },
    { description: "creator's follow-up in thread 5", kind: ENVELOPE_KIND.creatorFollowUp, text: 'Sure, ask away.', ref: 5n, keyId: 2 },
  ];
  const positive: PositiveVector[] = [];
  for (const [i, c] of cases.entries()) {
    const byVisitor = c.kind === ENVELOPE_KIND.message || c.kind === ENVELOPE_KIND.visitorFollowUp;
    const [author, reader] = byVisitor ? [visitor, creator] : [creator, visitor];
    const salt = bytes(`salt ${i}`, 16);
    const context = { chainId, contract, author, reader, ref: c.ref };
    const env = await sealEnvelope({
      kind: c.kind,
      text: c.text,
      authorKey: byVisitor ? visitorKey : creatorKey,
      readerPublicKey: byVisitor ? creatorKey.publicKey : visitorKey.publicKey,
      keyId: c.keyId,
      context,
      salt,
    });
    const shared = x25519.getSharedSecret(visitorSecret, creatorKey.publicKey);
    const info = envelopeInfo(c.kind, context);
    positive.push({
      description: c.description,
      kind: c.kind,
      chainId,
      contract,
      author,
      reader,
      ref: c.ref.toString(),
      keyId: c.keyId,
      visitorSecret: bytesToHex(visitorSecret),
      visitorPublic: visitorKey.publicKeyHex,
      creatorSecret: bytesToHex(creatorSecret),
      creatorPublic: creatorKey.publicKeyHex,
      salt: bytesToHex(salt),
      text: c.text,
      textBytes: new TextEncoder().encode(c.text).length,
      info: bytesToHex(info),
      shared: bytesToHex(shared),
      okm: bytesToHex(hkdf(sha256, shared, salt, info, 44)),
      envelope: bytesToHex(env),
    });
  }

  // Negative vectors, made from positive ones.
  const base = hexToBytes(positive[0]!.envelope);
  const flip = (at: number) => {
    const e = base.slice();
    e[at]! ^= 0x01;
    return bytesToHex(e);
  };
  /** An envelope whose ciphertext authenticates but whose plaintext breaks the padding rules. */
  const sealRaw = (padded: Uint8Array) => {
    const v = positive[0]!;
    const e = base.slice(0, ENVELOPE_HEADER_BYTES);
    const okm = hexToBytes(v.okm);
    const ct = gcm(okm.slice(0, 32), okm.slice(32, 44), e).encrypt(padded);
    const out = new Uint8Array(ENVELOPE_HEADER_BYTES + ct.length);
    out.set(e);
    out.set(ct, ENVELOPE_HEADER_BYTES);
    return bytesToHex(out);
  };
  const padded = (len: number, body: number[], tail: number[] = []) => {
    const p = new Uint8Array(PADDED_TEXT_BYTES);
    p[0] = len;
    p.set(body, 1);
    p.set(tail, 1 + body.length);
    return p;
  };
  const withByte = (at: number, value: number) => {
    const e = base.slice();
    e[at] = value;
    return bytesToHex(e);
  };
  const negative: NegativeVector[] = [
    { description: 'a flipped bit in the tag', base: 0, opener: 'creator', envelope: flip(base.length - 1), code: 'DECRYPT_FAILED' },
    { description: 'a flipped bit in the ciphertext', base: 0, opener: 'visitor', envelope: flip(100), code: 'DECRYPT_FAILED' },
    { description: 'a flipped bit in the salt (authenticated data)', base: 0, opener: 'creator', envelope: flip(40), code: 'DECRYPT_FAILED' },
    { description: 'the key id changed from 1 to 2 (authenticated data)', base: 0, opener: 'visitor', envelope: withByte(5, 2), code: 'DECRYPT_FAILED' },
    {
      description: "copied into another sender's transaction",
      base: 0,
      opener: 'creator',
      envelope: positive[0]!.envelope,
      context: { author: address('somebody else') },
      code: 'DECRYPT_FAILED',
    },
    { description: 'a message envelope placed in a reply', base: 0, opener: 'creator', envelope: positive[0]!.envelope, context: { kind: ENVELOPE_KIND.reply, ref: '1' }, code: 'ENVELOPE_INVALID', reason: 'kind-mismatch' },
    { description: 'format version 1', base: 0, opener: 'creator', envelope: withByte(0, 1), code: 'ENVELOPE_INVALID', reason: 'old-version' },
    { description: 'format version 3 (newer)', base: 0, opener: 'creator', envelope: withByte(0, 3), code: 'ENVELOPE_INVALID', reason: 'newer-version' },
    { description: 'a first byte that is no version', base: 0, opener: 'creator', envelope: withByte(0, 0xc3), code: 'ENVELOPE_INVALID', reason: 'unknown-version' },
    { description: 'reserved kind 5 (channel post)', base: 0, opener: 'creator', envelope: withByte(1, 5), code: 'ENVELOPE_INVALID', reason: 'reserved-kind' },
    { description: 'unknown kind 9', base: 0, opener: 'creator', envelope: withByte(1, 9), code: 'ENVELOPE_INVALID', reason: 'unknown-kind' },
    { description: 'truncated by one byte', base: 0, opener: 'creator', envelope: bytesToHex(base.slice(0, -1)), code: 'ENVELOPE_INVALID', reason: 'bad-length' },
    { description: 'key id 0', base: 0, opener: 'creator', envelope: bytesToHex(Uint8Array.from(base, (b, i) => (i >= 2 && i < 6 ? 0 : b))), code: 'ENVELOPE_INVALID', reason: 'bad-key' },
    { description: 'padding: length byte 0', base: 0, opener: 'creator', envelope: sealRaw(padded(0, [])), code: 'ENVELOPE_INVALID', reason: 'bad-padding' },
    { description: 'padding: length byte 141', base: 0, opener: 'creator', envelope: sealRaw(padded(141, [0x41])), code: 'ENVELOPE_INVALID', reason: 'bad-padding' },
    { description: 'padding: a non-zero byte after the text', base: 0, opener: 'creator', envelope: sealRaw(padded(1, [0x41], [0x00, 0x07])), code: 'ENVELOPE_INVALID', reason: 'bad-padding' },
    { description: 'text that is not UTF-8', base: 0, opener: 'creator', envelope: sealRaw(padded(2, [0xc3, 0x28])), code: 'ENVELOPE_INVALID', reason: 'bad-utf8' },
  ];
  return {
    format: 'harmony-paid-chat envelope, version 2',
    version: 2,
    notes: [
      'shared = X25519(visitorSecret, creatorPublic) = X25519(creatorSecret, visitorPublic)',
      'okm = HKDF-SHA256(ikm = shared, salt = salt, info = info, L = 44); AES-256-GCM key = okm[0..32], nonce = okm[32..44]',
      'info = "harmony-paid-chat/v2" ‖ chainId (u64 BE) ‖ contract (20) ‖ kind (u8) ‖ author (20) ‖ reader (20) ‖ ref (u64 BE)',
      'envelope = version ‖ kind ‖ keyId (u32 BE) ‖ visitorPublic ‖ salt ‖ AES-GCM(padded text, AAD = the 54 bytes before) ‖ tag',
      'padded text = length (u8, 1..140) ‖ UTF-8 text ‖ zeros, 141 bytes',
      'negative vectors: open with the keys and context of positive[base] (plus context overrides) as `opener`; expect `code` (and `reason`)',
    ],
    positive,
    negative,
  };
}

export async function vectorsText(): Promise<string> {
  return `${JSON.stringify(await generateVectors(), null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await vectorsText();
  if (process.argv.includes('--check')) {
    if (readFileSync(VECTORS_FILE, 'utf8') !== text) {
      console.error('stale: test/vectors/envelopes.json (run tsx scripts/vectors.ts)');
      process.exit(1);
    }
  } else {
    writeFileSync(VECTORS_FILE, text);
    console.log('wrote test/vectors/envelopes.json');
  }
}
