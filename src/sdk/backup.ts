/**
 * Encrypted key backups.
 *
 * A passphrase derives a **backup key** (scrypt from @noble/hashes, memory-hard, then an X25519
 * key pair). Only its public half is kept on the device, so every key made later is sealed to it at
 * once (ECIES with eciesjs) while the private key itself can stay non-extractable. A backup file is
 * those sealed copies plus the scrypt parameters: useless without the passphrase, restorable on any
 * browser with it.
 *
 * File format (JSON, `format: "harmony-paid-chat-key-backup"`, `version: 1`):
 *   { format, version, createdAt, kdf: { name: "scrypt", N, r, p, salt }, backupKey,
 *     entries: [{ kind, chainId, contract, account, peer?, keyId?, publicKey, sealed }] }
 * `sealed` (base64) = eciesjs.encrypt(backupKey, privateKey ‖ sha256(entry's public facts)): kind,
 * chain, contract, account, peer, key id and public key, so an entry relabelled in any of them (another
 * conversation, another inbox key id) is refused. An inbox key sealed while its registration was
 * pending is sealed again with its key id once confirmed; if the page closed first, its entry carries
 * no key id, restores as pending and is matched against the chain by its public key.
 */
import { x25519 } from '@noble/curves/ed25519';
import { scryptAsync } from '@noble/hashes/scrypt';
import { sha256 } from '@noble/hashes/sha2';
import { encrypt, decrypt } from 'eciesjs';
import { Config } from 'eciesjs/config';
import { bytesToHex, getAddress, hexToBytes, isAddress, isHex, type Address, type Hex } from 'viem';
import { PaidChatError } from './errors.js';
import type { KeyKind, ScryptParams } from './keystore.js';

export const BACKUP_FORMAT = 'harmony-paid-chat-key-backup';
export const BACKUP_VERSION = 1;
/** scrypt cost for new backup keys: N = 2^17, r = 8, p = 1 (128 MiB, about a second in a browser). */
export const DEFAULT_SCRYPT = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
/**
 * The smallest cost a backup file may ask for (files are hostile input too). Cheaper files are read
 * (tests make them, to stay fast), but a device never adopts a cost below its own floor
 * (DEFAULT_SCRYPT.N unless the caller says otherwise): see `Keyring.restoreBackup`.
 */
export const MIN_SCRYPT_N = 2 ** 10;
export const MAX_SCRYPT_N = 2 ** 20;
export const MIN_PASSPHRASE_LENGTH = 12;
const MAX_FILE_BYTES = 1_000_000;

/** The public facts of a backed-up key. */
export interface BackupEntryMeta {
  kind: KeyKind;
  chainId: number;
  contract: Address;
  account: Address;
  /** Conversation keys: the creator the conversation is with. */
  peer?: Address;
  /** Inbox keys: the on-chain key id (when known). */
  keyId?: number;
  publicKey: Hex;
}

export interface BackupEntry extends BackupEntryMeta {
  sealed: string;
}

export interface BackupFile {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  createdAt: string;
  kdf: ScryptParams;
  backupKey: Hex;
  entries: BackupEntry[];
}

const ECIES = (() => {
  const c = new Config();
  c.ellipticCurve = 'x25519';
  c.symmetricAlgorithm = 'aes-256-gcm';
  c.symmetricNonceLength = 12;
  return Object.freeze(c);
})();

/**
 * Refuses passphrases too weak to protect keys against an offline guesser.
 *
 * @throws PaidChatError `PASSPHRASE_WEAK` with `details.reason` 'too-short' | 'repetitive'.
 */
export function checkPassphrase(passphrase: string): void {
  const p = typeof passphrase === 'string' ? passphrase.normalize('NFKC') : '';
  if ([...p].length < MIN_PASSPHRASE_LENGTH) {
    throw new PaidChatError('PASSPHRASE_WEAK', `Use a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters (a few unrelated words are easy to remember).`, {
      reason: 'too-short',
      min: MIN_PASSPHRASE_LENGTH,
    });
  }
  if (new Set(p).size < 5) {
    throw new PaidChatError('PASSPHRASE_WEAK', 'This passphrase repeats too few characters to be safe. Use a few unrelated words.', { reason: 'repetitive' });
  }
}

function metaHash(m: BackupEntryMeta): Uint8Array {
  const text = [m.kind, m.chainId, m.contract, m.account, m.peer ?? '', m.keyId ?? '', m.publicKey].join('|').toLowerCase();
  return sha256(new TextEncoder().encode(text));
}

/** Derives the backup key pair from a passphrase and the scrypt parameters. */
export async function deriveBackupKey(passphrase: string, kdf: ScryptParams): Promise<{ secret: Uint8Array; publicKey: Hex }> {
  const secret = await scryptAsync(new TextEncoder().encode(passphrase.normalize('NFKC')), hexToBytes(kdf.salt), {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    dkLen: 32,
    maxmem: 2 ** 31,
  });
  return { secret, publicKey: bytesToHex(x25519.getPublicKey(secret)) };
}

/** Fresh scrypt parameters (a new random salt) at cost `N` (default {@link DEFAULT_SCRYPT}). */
export function freshKdf(cost: { N?: number } = {}): ScryptParams {
  return {
    name: 'scrypt',
    N: cost.N ?? DEFAULT_SCRYPT.N,
    r: DEFAULT_SCRYPT.r,
    p: DEFAULT_SCRYPT.p,
    salt: bytesToHex(crypto.getRandomValues(new Uint8Array(16))),
  };
}

/** A new backup key for `passphrase` (checked first). */
export async function newBackupKey(
  passphrase: string,
  cost: { N?: number } = {},
): Promise<{ publicKey: Hex; kdf: ScryptParams }> {
  checkPassphrase(passphrase);
  const kdf = freshKdf(cost);
  const { secret, publicKey } = await deriveBackupKey(passphrase, kdf);
  secret.fill(0);
  return { publicKey, kdf };
}

/** Seals a private key to a backup public key (no passphrase needed). */
export function sealToBackup(backupKey: Hex, secret: Uint8Array, meta: BackupEntryMeta): Uint8Array {
  const plain = new Uint8Array(64);
  plain.set(secret, 0);
  plain.set(metaHash(meta), 32);
  try {
    return encrypt(hexToBytes(backupKey), plain, ECIES);
  } finally {
    plain.fill(0);
  }
}

/**
 * Opens one sealed entry with the backup key's private half, and checks that it is the private key
 * of `meta.publicKey` for exactly these facts.
 *
 * @throws PaidChatError `BACKUP_INVALID` with `details.reason` 'sealed-damaged' | 'key-mismatch'.
 */
export function openFromBackup(backupSecret: Uint8Array, sealed: Uint8Array, meta: BackupEntryMeta): Uint8Array {
  let plain: Uint8Array;
  try {
    plain = decrypt(backupSecret, sealed, ECIES);
  } catch (cause) {
    throw new PaidChatError('BACKUP_INVALID', 'A key in this backup file is damaged and cannot be opened. Use another copy of the file.', { reason: 'sealed-damaged' }, { cause });
  }
  const secret = plain.slice(0, 32);
  const ok =
    plain.length === 64 &&
    bytesToHex(x25519.getPublicKey(secret)) === meta.publicKey.toLowerCase() &&
    bytesToHex(plain.subarray(32)) === bytesToHex(metaHash(meta));
  plain.fill(0);
  if (!ok) {
    secret.fill(0);
    throw new PaidChatError('BACKUP_INVALID', 'A key in this backup file does not match what the file says it is: the file was altered.', {
      reason: 'key-mismatch',
      publicKey: meta.publicKey,
    });
  }
  return secret;
}

function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Decodes standard base64; undefined when it is not. */
export function fromB64(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  try {
    const s = atob(text);
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

export function backupEntry(meta: BackupEntryMeta, sealed: Uint8Array): BackupEntry {
  return { ...meta, sealed: b64(sealed) };
}

/** The text of a backup file. */
export function serializeBackup(backupKey: Hex, kdf: ScryptParams, entries: BackupEntry[]): string {
  const file: BackupFile = { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(), kdf, backupKey, entries };
  return JSON.stringify(file, null, 2);
}

function bad(message: string, reason: string, details: Record<string, unknown> = {}): PaidChatError {
  return new PaidChatError('BACKUP_INVALID', message, { reason, ...details });
}

const isHexOf = (v: unknown, bytes: number): v is Hex => typeof v === 'string' && isHex(v, { strict: true }) && v.length === 2 + bytes * 2;

/**
 * Reads a backup file's text, checking every field before any passphrase is asked for.
 *
 * @throws PaidChatError `BACKUP_INVALID` with `details.reason`: 'not-text' | 'too-large' |
 *   'not-json' | 'not-a-backup' | 'newer-version' | 'bad-kdf' | 'bad-field' | 'empty'.
 */
export function parseBackupFile(text: unknown): BackupFile {
  if (typeof text !== 'string') throw bad('A backup must be the text of a backup file.', 'not-text');
  if (text.length > MAX_FILE_BYTES) throw bad('This file is far larger than any key backup; choose the .json file the app saved.', 'too-large');
  let v: any;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('This file is not a key backup (it is not JSON). Choose the .json file the app saved.', 'not-json');
  }
  if (!v || typeof v !== 'object' || v.format !== BACKUP_FORMAT) {
    throw bad('This file is not a Harmony Paid Chat key backup. Choose the .json file the app saved.', 'not-a-backup');
  }
  if (v.version !== BACKUP_VERSION) {
    throw bad(`This backup has format version ${String(v.version)}; this app reads version ${BACKUP_VERSION}. Update the app.`, 'newer-version', { version: v.version });
  }
  const k = v.kdf;
  if (
    !k ||
    k.name !== 'scrypt' ||
    !Number.isInteger(k.N) ||
    k.N < MIN_SCRYPT_N ||
    k.N > MAX_SCRYPT_N ||
    (k.N & (k.N - 1)) !== 0 ||
    k.r !== 8 ||
    k.p !== 1 ||
    !isHexOf(k.salt, 16)
  ) {
    throw bad('The backup file names key-derivation settings this app does not accept: it was altered or damaged.', 'bad-kdf');
  }
  if (!isHexOf(v.backupKey, 32)) throw bad('The backup file has no valid backup key: it was altered or damaged.', 'bad-field', { field: 'backupKey' });
  if (!Array.isArray(v.entries) || v.entries.length === 0) throw bad('This backup file holds no keys.', 'empty');
  if (v.entries.length > 1000) throw bad('This backup file holds more keys than any backup can.', 'too-large');
  const entries: BackupEntry[] = v.entries.map((e: any, i: number) => {
    const field = (f: string) => bad(`Key ${i + 1} in the backup file has an invalid "${f}": the file was altered or damaged.`, 'bad-field', { field: f, entry: i });
    if (!e || typeof e !== 'object') throw field('entry');
    if (e.kind !== 'inbox' && e.kind !== 'conversation') throw field('kind');
    if (!Number.isSafeInteger(e.chainId) || e.chainId <= 0) throw field('chainId');
    if (typeof e.contract !== 'string' || !isAddress(e.contract)) throw field('contract');
    if (typeof e.account !== 'string' || !isAddress(e.account)) throw field('account');
    if (e.kind === 'conversation' && (typeof e.peer !== 'string' || !isAddress(e.peer))) throw field('peer');
    if (e.keyId !== undefined && (!Number.isInteger(e.keyId) || e.keyId < 1 || e.keyId > 0xffffffff)) throw field('keyId');
    if (!isHexOf(e.publicKey, 32)) throw field('publicKey');
    if (!fromB64(e.sealed)) throw field('sealed');
    return {
      kind: e.kind,
      chainId: e.chainId,
      contract: getAddress(e.contract),
      account: getAddress(e.account),
      ...(e.kind === 'conversation' ? { peer: getAddress(e.peer) } : {}),
      ...(e.keyId !== undefined ? { keyId: e.keyId } : {}),
      publicKey: e.publicKey.toLowerCase() as Hex,
      sealed: e.sealed,
    };
  });
  return { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: String(v.createdAt ?? ''), kdf: { ...k, salt: k.salt.toLowerCase() }, backupKey: v.backupKey.toLowerCase(), entries };
}

/**
 * The backup key's private half from the passphrase.
 *
 * @throws PaidChatError `BACKUP_PASSPHRASE_WRONG` when the passphrase does not derive the file's backup key.
 */
export async function unlockBackup(file: BackupFile, passphrase: string): Promise<Uint8Array> {
  const { secret, publicKey } = await deriveBackupKey(typeof passphrase === 'string' ? passphrase : '', file.kdf);
  if (publicKey !== file.backupKey.toLowerCase()) {
    secret.fill(0);
    throw new PaidChatError('BACKUP_PASSPHRASE_WRONG', 'That passphrase does not open this backup. Check it (letters are case-sensitive) and try again.', {});
  }
  return secret;
}
