/**
 * Messaging keys (protocol v2): X25519 key pairs made on the user's device, never derived from a
 * wallet signature. No wallet prompt can therefore leak one, and every wallet (an EOA, a wallet
 * with randomised signatures, a smart-contract wallet such as Safe or 1wallet) works the same way.
 *
 * Where the platform has WebCrypto X25519 (Chromium 133+, Firefox 130+, Safari 17+, Node 20), the
 * private half lives in a `CryptoKey`; kept `extractable: false` once it is backed up, it can be
 * used by the page but never read out of it. Elsewhere the private half is raw bytes held by
 * @noble/curves.
 *
 * Two kinds of keys exist (see `keyring.ts`): a creator's **inbox key** (its public half registered
 * on chain with a key id) and a visitor's **conversation key** for one creator (its public half
 * travels inside the visitor's envelopes).
 */
import { x25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes, isHex, type Hex } from 'viem';
import { PaidChatError } from './errors.js';

/** Bytes of an X25519 public or private key. */
export const KEY_BYTES = 32;

type Subtle = SubtleCrypto;

function subtle(): Subtle | undefined {
  return (globalThis as { crypto?: Crypto }).crypto?.subtle;
}

let webCryptoX25519: Promise<boolean> | undefined;

/** Whether this platform's WebCrypto can do X25519 (then private keys can be non-extractable). */
export function hasWebCryptoX25519(): Promise<boolean> {
  webCryptoX25519 ??= (async () => {
    const s = subtle();
    if (!s) return false;
    try {
      const pair = (await s.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
      const bits = await s.deriveBits({ name: 'X25519', public: pair.publicKey } as AlgorithmIdentifier, pair.privateKey, 256);
      return bits.byteLength === 32;
    } catch {
      return false;
    }
  })();
  return webCryptoX25519;
}

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** Checks and copies a 32-byte X25519 public key given as bytes or 0x-hex. */
export function parsePublicKey(value: Uint8Array | string, what = 'messaging key'): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (value instanceof Uint8Array) bytes = value.slice();
  else if (typeof value === 'string' && isHex(value, { strict: true })) bytes = hexToBytes(value);
  if (!bytes || bytes.length !== KEY_BYTES) {
    throw new PaidChatError('KEY_INVALID', `The ${what} is not a 32-byte X25519 public key.`, {
      reason: 'bad-length',
      length: bytes?.length ?? null,
    });
  }
  if (isZero(bytes)) {
    throw new PaidChatError('KEY_INVALID', `The ${what} is all zeros, which is not a usable X25519 public key.`, { reason: 'zero' });
  }
  return bytes;
}

/** The private half as stored: a WebCrypto key, or raw bytes where WebCrypto has no X25519. */
export type PrivateKeyHandle = CryptoKey | Uint8Array;

/**
 * An X25519 key pair. The private half is held in a private field: it is not enumerable, not shown
 * by `console.log`, left out of `JSON.stringify`, and — when it is a non-extractable `CryptoKey` —
 * cannot be read at all, only used.
 */
export class MessagingKey {
  readonly #private: PrivateKeyHandle;
  readonly #public: Uint8Array;
  readonly #agreed = new Map<string, Promise<Uint8Array>>();

  /** @internal Use {@link generateMessagingKey}, {@link messagingKeyFromSecret} or a keyring. */
  constructor(privateKey: PrivateKeyHandle, publicKey: Uint8Array) {
    this.#private = privateKey instanceof Uint8Array ? privateKey.slice() : privateKey;
    this.#public = parsePublicKey(publicKey);
  }

  /** The public key (32 bytes); a fresh copy on each read. */
  get publicKey(): Uint8Array {
    return this.#public.slice();
  }

  get publicKeyHex(): Hex {
    return bytesToHex(this.#public);
  }

  /** False only for a non-extractable WebCrypto key. */
  get extractable(): boolean {
    return this.#private instanceof Uint8Array || this.#private.extractable;
  }

  /** @internal The stored form of the private half (for a key store). */
  get handle(): PrivateKeyHandle {
    return this.#private;
  }

  /**
   * X25519 with another party's public key: the 32-byte shared secret (both sides get the same).
   * Results are cached per public key for the life of this object.
   *
   * @throws PaidChatError `KEY_INVALID` when `peer` is not a usable public key (wrong length,
   *   zero, or a low-order point that gives an all-zero secret).
   */
  async agree(peer: Uint8Array): Promise<Uint8Array> {
    const pk = parsePublicKey(peer, "other party's key");
    const id = bytesToHex(pk);
    let p = this.#agreed.get(id);
    if (!p) {
      p = this.#agree(pk);
      this.#agreed.set(id, p);
      p.catch(() => this.#agreed.delete(id));
    }
    return p.then((s) => s.slice());
  }

  async #agree(peer: Uint8Array): Promise<Uint8Array> {
    let secret: Uint8Array;
    try {
      if (this.#private instanceof Uint8Array) {
        secret = x25519.getSharedSecret(this.#private, peer);
      } else {
        const s = subtle()!;
        const pub = await s.importKey('raw', peer as BufferSource, { name: 'X25519' }, true, []);
        secret = new Uint8Array(await s.deriveBits({ name: 'X25519', public: pub } as AlgorithmIdentifier, this.#private, 256));
      }
    } catch (cause) {
      throw new PaidChatError('KEY_INVALID', "The other party's key is not a usable X25519 public key (a low-order point).", { reason: 'low-order' }, { cause });
    }
    // RFC 7748 §6.1: a low-order public key gives an all-zero secret; refuse it.
    if (isZero(secret)) {
      throw new PaidChatError('KEY_INVALID', "The other party's key is not a usable X25519 public key (a low-order point).", { reason: 'low-order' });
    }
    return secret;
  }

  /**
   * The raw private key, only for an extractable key (to seal it into a backup). Wipe it after use.
   *
   * @throws PaidChatError `KEY_NOT_EXTRACTABLE` for a non-extractable key.
   */
  async exportSecret(): Promise<Uint8Array> {
    if (this.#private instanceof Uint8Array) return this.#private.slice();
    if (!this.#private.extractable) {
      throw new PaidChatError('KEY_NOT_EXTRACTABLE', 'This key is kept non-extractable on this device; it cannot be read out, only used.');
    }
    const jwk = await subtle()!.exportKey('jwk', this.#private);
    return fromB64url(jwk.d!);
  }

  /** True when both hold the same public key. */
  equals(other: MessagingKey): boolean {
    return other instanceof MessagingKey && bytesToHex(other.#public) === bytesToHex(this.#public);
  }

  /** Public parts only; the private half is never serialised. */
  toJSON(): { publicKey: Hex } {
    return { publicKey: this.publicKeyHex };
  }

  toString(): string {
    return `MessagingKey(${this.publicKeyHex})`;
  }
}

/**
 * A key pair from a raw 32-byte private key (a restored backup, a test vector). With WebCrypto
 * X25519 the private half becomes a `CryptoKey` (non-extractable unless `extractable`).
 *
 * @throws PaidChatError `KEY_INVALID` when `secret` is not 32 bytes.
 */
export async function messagingKeyFromSecret(secret: Uint8Array, opts: { extractable?: boolean } = {}): Promise<MessagingKey> {
  if (!(secret instanceof Uint8Array) || secret.length !== KEY_BYTES) {
    throw new PaidChatError('KEY_INVALID', 'A messaging private key must be 32 bytes.', { reason: 'bad-secret' });
  }
  const pub = x25519.getPublicKey(secret);
  if (!(await hasWebCryptoX25519())) return new MessagingKey(secret, pub);
  const jwk: JsonWebKey = { kty: 'OKP', crv: 'X25519', d: b64url(secret), x: b64url(pub) };
  const key = await subtle()!.importKey('jwk', jwk, { name: 'X25519' }, opts.extractable ?? false, ['deriveBits']);
  return new MessagingKey(key, pub);
}

/**
 * A new random key pair, and its raw private key (to seal into a backup; wipe it after use).
 */
export async function generateMessagingKey(opts: { extractable?: boolean } = {}): Promise<{ key: MessagingKey; secret: Uint8Array }> {
  const secret = x25519.utils.randomSecretKey();
  const key = await messagingKeyFromSecret(secret, opts);
  return { key, secret };
}

/** The public key of a raw private key. */
export function publicKeyOfSecret(secret: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secret);
}
