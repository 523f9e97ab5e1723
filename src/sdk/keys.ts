/**
 * Messaging keys. No wallet exposes its private key, so each account derives a separate secp256k1
 * messaging key from its wallet's signature over a fixed, app-, chain-, contract- and account-scoped
 * message ({@link keyDerivationMessage}). Only the public half goes on chain
 * (`PaidChat.registerKey(keyX, keyPrefix)`: the compressed key split into its x coordinate and its
 * 0x02/0x03 prefix byte).
 *
 * Derivation works while the wallet signs deterministically (RFC 6979). Always compare a re-derived
 * key with the registered one ({@link assertKeyMatches}) and never overwrite a registered key silently.
 */
import { PublicKey } from 'eciesjs';
import { getPublicKey, getSharedPoint, isValidPrivateKey } from 'eciesjs/utils';
import { bytesToHex, hexToBytes, isHex, keccak256, type Address, type Hex } from 'viem';
import { parseAddress } from './address.js';
import { PaidChatError } from './errors.js';

/** Order of the secp256k1 group. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;
const MASK_255 = (1n << 255n) - 1n;

/** Version of {@link keyDerivationMessage}; changing the message changes every derived key. */
export const KEY_DERIVATION_VERSION = 1;
/** Prefix of the backup strings made by {@link exportMessagingKey}. */
export const KEY_EXPORT_PREFIX = 'hpc-key-1:';

/** A compressed secp256k1 public key's prefix byte, as stored on chain. */
export type KeyPrefix = 2 | 3;

/** Keeps the number of cached ECDH results per key bounded. */
const ECDH_CACHE_LIMIT = 256;

let readSecret: (key: MessagingKey) => Uint8Array;

function bytesToBigInt(b: Uint8Array): bigint {
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  return x;
}

function bigIntTo32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * A messaging key pair. The secret is held in a private field: it is not enumerable, not shown by
 * `console.log`, and left out of `JSON.stringify` (see {@link MessagingKey.toJSON}). The only way to
 * get it out is {@link exportMessagingKey}.
 */
export class MessagingKey {
  readonly #secret: Uint8Array;
  readonly #public: Uint8Array;
  readonly #ecdh = new Map<string, Uint8Array>();
  /** x coordinate of the public key, as registered on chain (`bytes32 keyX`). */
  readonly keyX: Hex;
  /** Prefix byte of the compressed public key, as registered on chain (`uint8 keyPrefix`). */
  readonly keyPrefix: KeyPrefix;

  static {
    readSecret = (key) => key.#secret;
  }

  /**
   * @param secret 32-byte private scalar in [1, n-1]. Copied; the caller may wipe its array.
   * @throws PaidChatError `KEY_INVALID` when it is not a valid secp256k1 private key.
   */
  constructor(secret: Uint8Array) {
    if (!(secret instanceof Uint8Array) || secret.length !== 32 || !isValidPrivateKey('secp256k1', secret)) {
      throw new PaidChatError(
        'KEY_INVALID',
        'This is not a valid messaging private key (it must be 32 bytes, between 1 and the secp256k1 group order). ' +
          'Unlock again with your wallet or import a correct backup.',
        { reason: 'bad-secret' },
      );
    }
    this.#secret = Uint8Array.from(secret);
    const pub = getPublicKey('secp256k1', this.#secret);
    this.#public = pub;
    this.keyPrefix = pub[0] as KeyPrefix;
    this.keyX = bytesToHex(pub.subarray(1));
  }

  /** Compressed public key, 33 bytes (0x02/0x03 ‖ x). A fresh copy on each read. */
  get publicKey(): Uint8Array {
    return this.#public.slice();
  }

  /** The public key as 0x-prefixed hex (33 bytes, compressed). */
  get publicKeyHex(): Hex {
    return bytesToHex(this.#public);
  }

  /**
   * ECDH with another party's compressed public key: the compressed shared point (33 bytes). Both
   * parties get the same value (`a·B = b·A`). Results are cached per public key.
   *
   * @throws PaidChatError `KEY_INVALID` when `otherPublicKey` is not a valid point.
   */
  sharedPoint(otherPublicKey: Uint8Array): Uint8Array {
    const id = otherPublicKey instanceof Uint8Array ? bytesToHex(otherPublicKey) : '';
    const hit = this.#ecdh.get(id);
    if (hit) return hit.slice();
    if (!(otherPublicKey instanceof Uint8Array) || otherPublicKey.length !== 33) {
      throw new PaidChatError(
        'KEY_INVALID',
        "The other party's messaging key is not a 33-byte compressed public key, so no message can be encrypted to or read from them.",
        { reason: 'bad-length', length: otherPublicKey instanceof Uint8Array ? otherPublicKey.length : null },
      );
    }
    let point: Uint8Array;
    try {
      point = getSharedPoint('secp256k1', this.#secret, otherPublicKey, true);
    } catch (cause) {
      throw new PaidChatError(
        'KEY_INVALID',
        "The other party's messaging key is not a valid secp256k1 point, so no message can be encrypted to or read from them. " +
          'They need to register their messaging key again.',
        { reason: 'not-a-point', publicKey: id },
        { cause },
      );
    }
    if (this.#ecdh.size >= ECDH_CACHE_LIMIT) this.#ecdh.delete(this.#ecdh.keys().next().value!);
    this.#ecdh.set(id, point);
    return point.slice();
  }

  /** True when both hold the same key pair. */
  equals(other: MessagingKey): boolean {
    return other instanceof MessagingKey && equalBytes(this.#public, other.#public);
  }

  /** Public parts only; the secret is never serialised. */
  toJSON(): { publicKey: Hex; keyX: Hex; keyPrefix: KeyPrefix } {
    return { publicKey: this.publicKeyHex, keyX: this.keyX, keyPrefix: this.keyPrefix };
  }

  /** `MessagingKey(0x02…)`; never the secret. */
  toString(): string {
    return `MessagingKey(${this.publicKeyHex})`;
  }
}

/** Parameters that scope a derived messaging key. */
export interface KeyDerivationScope {
  /** EVM chain id (Harmony mainnet 1666600000, testnet 1666700000). */
  chainId: number | bigint;
  /** PaidChat contract address (0x… or one1…). */
  contract: string;
  /** The wallet account that signs (0x… or one1…). */
  account: string;
}

/**
 * The text the wallet signs (EIP-191 `personal_sign`) to derive the account's messaging key. It
 * names the app, chain, contract and account, so a signature for one never unlocks another.
 * It is ASCII only and fixed for a given scope; it must never change for version 1, or existing
 * keys could no longer be re-derived.
 *
 * @throws PaidChatError `ADDRESS_INVALID` for a bad contract/account, `UNSUPPORTED_CHAIN` for a bad chain id.
 */
export function keyDerivationMessage(scope: KeyDerivationScope): string {
  const chainId = scope.chainId;
  const okChain =
    (typeof chainId === 'number' && Number.isSafeInteger(chainId) && chainId > 0) ||
    (typeof chainId === 'bigint' && chainId > 0n && chainId < 1n << 64n);
  if (!okChain) {
    throw new PaidChatError('UNSUPPORTED_CHAIN', `Chain id ${String(chainId)} is not a positive integer. Pass the numeric EVM chain id (e.g. 1666600000 for Harmony mainnet).`, {
      chainId,
    });
  }
  const contract: Address = parseAddress(scope.contract);
  const account: Address = parseAddress(scope.account);
  return [
    'Harmony Paid Chat: unlock encrypted messages',
    '',
    'Signing this creates your messaging key. It unlocks your encrypted messages on Harmony Paid Chat:',
    'anyone who obtains this signature can read them.',
    'Only sign it on a site you trust. Signing is free and sends no transaction.',
    '',
    `Chain ID: ${chainId.toString()}`,
    `Contract: ${contract}`,
    `Account: ${account}`,
    `Version: ${KEY_DERIVATION_VERSION}`,
  ].join('\n');
}

/**
 * Derives the messaging key from a wallet's signature over {@link keyDerivationMessage}.
 *
 * Accepts a 65-byte signature (r ‖ s ‖ v, any v) or a 64-byte EIP-2098 compact one. `s` is
 * normalised to low-s (s > n/2 → n − s), so the high-s and low-s forms of the same signature give
 * the same key; `v` is ignored. secret = keccak256(r ‖ s_low), hashed again while it is 0 or ≥ n.
 *
 * The signature itself is secret-equivalent: do not log or store it.
 *
 * @throws PaidChatError `KEY_INVALID` when the value is not a well-formed signature.
 */
export function deriveMessagingKey(signature: Hex): MessagingKey {
  const fail = (text: string, reason: string) =>
    new PaidChatError('KEY_INVALID', `${text} Sign the key message with your wallet again; if this repeats, the wallet cannot be used for encrypted messages.`, { reason });
  if (typeof signature !== 'string' || !isHex(signature, { strict: true })) {
    throw fail('The wallet returned something that is not a hex signature.', 'not-hex');
  }
  const sig = hexToBytes(signature);
  if (sig.length !== 65 && sig.length !== 64) {
    throw fail(`The wallet returned a ${sig.length}-byte signature; a 65-byte (or 64-byte compact) secp256k1 signature was expected.`, 'bad-length');
  }
  const r = bytesToBigInt(sig.subarray(0, 32));
  let s = bytesToBigInt(sig.subarray(32, 64));
  if (sig.length === 64) s &= MASK_255; // EIP-2098: the top bit of s carries the y parity
  if (r === 0n || r >= N || s === 0n || s >= N) {
    throw fail('The wallet returned a signature whose r or s is out of range.', 'out-of-range');
  }
  if (s > HALF_N) s = N - s;
  const material = new Uint8Array(64);
  material.set(bigIntTo32(r), 0);
  material.set(bigIntTo32(s), 32);
  let secret = hexToBytes(keccak256(material));
  // Probability ~2^-128 per round; the loop is for correctness, not expected to run.
  while (!isValidPrivateKey('secp256k1', secret)) secret = hexToBytes(keccak256(secret));
  const key = new MessagingKey(secret);
  secret.fill(0);
  material.fill(0);
  return key;
}

/**
 * Rebuilds an account's compressed public key from its on-chain record and checks that it is a real
 * secp256k1 point. A malicious account can register any bytes; this never lets them crash a client.
 *
 * @throws PaidChatError `KEY_MISSING` when the account has no key (keyPrefix 0 / keyX 0).
 * @throws PaidChatError `KEY_INVALID` when the record is not a valid compressed public key.
 */
export function publicKeyFromChain(keyX: Hex, keyPrefix: number): Uint8Array {
  if (typeof keyX !== 'string' || !isHex(keyX, { strict: true }) || keyX.length !== 66) {
    throw new PaidChatError('KEY_INVALID', 'The messaging key read from the chain is not a 32-byte value. Check that the app points at the right PaidChat contract and RPC.', {
      keyX,
      keyPrefix,
      reason: 'not-bytes32',
    });
  }
  if (keyPrefix === 0 || /^0x0{64}$/.test(keyX)) {
    throw new PaidChatError(
      'KEY_MISSING',
      'This account has not registered a messaging key yet, so nothing can be encrypted to it. They need to open Harmony Paid Chat once and unlock it with their wallet.',
      { keyX, keyPrefix },
    );
  }
  if (keyPrefix !== 2 && keyPrefix !== 3) {
    throw new PaidChatError('KEY_INVALID', `The registered messaging key has prefix ${String(keyPrefix)}; only 2 or 3 are valid. The account must register its key again.`, {
      keyX,
      keyPrefix,
      reason: 'bad-prefix',
    });
  }
  const bytes = new Uint8Array(33);
  bytes[0] = keyPrefix;
  bytes.set(hexToBytes(keyX), 1);
  try {
    return new PublicKey(bytes, 'secp256k1').toBytes(true);
  } catch (cause) {
    throw new PaidChatError(
      'KEY_INVALID',
      'The registered messaging key is not a valid secp256k1 public key, so messages to or from this account cannot be encrypted or read. The account must register its key again.',
      { keyX, keyPrefix, reason: 'not-a-point' },
      { cause },
    );
  }
}

/**
 * A backup string for the messaging key: `hpc-key-1:` + 64 lowercase hex digits. Whoever has it can
 * read every message of the account: store it like a password.
 */
export function exportMessagingKey(key: MessagingKey): string {
  if (!(key instanceof MessagingKey)) {
    throw new PaidChatError('KEY_MISSING', 'There is no messaging key to export. Unlock with your wallet first.', {});
  }
  return KEY_EXPORT_PREFIX + bytesToHex(readSecret(key)).slice(2);
}

/**
 * Reads a backup string made by {@link exportMessagingKey} (surrounding whitespace and hex case are ignored).
 *
 * @throws PaidChatError `KEY_INVALID` with details `{ reason }` ('not-a-string' | 'unknown-version' |
 *   'not-a-key-backup' | 'bad-hex' | 'bad-length' | 'bad-secret').
 */
export function importMessagingKey(backup: string): MessagingKey {
  if (typeof backup !== 'string') {
    throw new PaidChatError('KEY_INVALID', 'A key backup must be text starting with "hpc-key-1:". Paste the whole backup string.', { reason: 'not-a-string' });
  }
  const s = backup.trim();
  const version = /^hpc-key-(\d+):/i.exec(s);
  if (!version) {
    throw new PaidChatError('KEY_INVALID', 'This is not a Harmony Paid Chat key backup: it must start with "hpc-key-1:". Paste the whole backup string.', {
      reason: 'not-a-key-backup',
    });
  }
  if (version[1] !== '1') {
    throw new PaidChatError(
      'KEY_INVALID',
      `This key backup has format version ${version[1]}, which this app does not know (it reads version 1). Update the app, or use a backup made by this version.`,
      { reason: 'unknown-version', version: Number(version[1]) },
    );
  }
  const body = s.slice(version[0].length);
  if (!/^[0-9a-fA-F]*$/.test(body)) {
    throw new PaidChatError('KEY_INVALID', 'The key backup contains characters other than hex digits after "hpc-key-1:". Paste it again exactly as it was saved.', {
      reason: 'bad-hex',
    });
  }
  if (body.length !== 64) {
    throw new PaidChatError('KEY_INVALID', `The key backup has ${body.length} hex digits after "hpc-key-1:" instead of 64; it is probably cut off. Paste the whole backup string.`, {
      reason: 'bad-length',
      digits: body.length,
    });
  }
  const secret = hexToBytes(`0x${body}`);
  try {
    return new MessagingKey(secret);
  } finally {
    secret.fill(0);
  }
}

/**
 * Checks that a derived or imported key is the one registered on chain.
 *
 * @throws PaidChatError `KEY_MISSING` when nothing is registered (prefix 0 / keyX 0): register first.
 * @throws PaidChatError `KEY_MISMATCH` with details `{ derivedKeyX, derivedPrefix, onChainKeyX, onChainPrefix }`
 *   when they differ. Never resolve this by silently registering the new key: messages sent to the
 *   old key would become unreadable.
 */
export function assertKeyMatches(derived: MessagingKey, onChainKeyX: Hex, onChainPrefix: number): void {
  if (onChainPrefix === 0 || /^0x0{64}$/i.test(String(onChainKeyX))) {
    throw new PaidChatError(
      'KEY_MISSING',
      'This account has no messaging key registered on chain yet. Register the key (one transaction) before sending or receiving messages.',
      { derivedKeyX: derived.keyX, derivedPrefix: derived.keyPrefix },
    );
  }
  const same = String(onChainKeyX).toLowerCase() === derived.keyX.toLowerCase() && onChainPrefix === derived.keyPrefix;
  if (!same) {
    throw new PaidChatError(
      'KEY_MISMATCH',
      'The messaging key unlocked now is not the one registered on chain for this account. This happens when the wallet ' +
        'produced a different signature than when the key was registered (a wallet that randomises its signatures, ' +
        'another wallet app or hardware device holding the same account, or a different account). Import your key ' +
        'backup, or sign with the wallet you registered with. Registering the new key instead is possible, but every ' +
        'message encrypted to the old key becomes unreadable.',
      { derivedKeyX: derived.keyX, derivedPrefix: derived.keyPrefix, onChainKeyX, onChainPrefix },
    );
  }
}
