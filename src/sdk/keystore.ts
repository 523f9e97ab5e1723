/**
 * Where messaging keys are kept between visits. A key store holds, per *scope* (one account on one
 * chain and contract), the private keys of this device and the public half of the backup key. It
 * never decides what may be kept: that is the keyring's job (`keyring.ts`).
 *
 * In a browser the store is IndexedDB (`keystore-idb.ts`), which the browser keeps per origin: a
 * key made on one site is not visible to another. Node and tests use {@link memoryKeyStore}.
 */
import type { Address, Hex } from 'viem';
import type { PrivateKeyHandle } from './keys.js';

export type KeyKind = 'inbox' | 'conversation';

/** One private key of this device. */
export interface StoredKey {
  /** `${scope}/${publicKey}` */
  id: string;
  scope: string;
  kind: KeyKind;
  /** Conversation keys: the creator (handle owner) the conversation is with. */
  peer?: Address;
  /** Inbox keys: the on-chain key id; absent while the transaction registering it is pending. */
  keyId?: number;
  publicKey: Hex;
  privateKey: PrivateKeyHandle;
  /** False once the private key is a non-extractable WebCrypto key. */
  extractable: boolean;
  /** The private key sealed to this scope's backup key (eciesjs); absent until a backup passphrase is set. */
  sealed?: Uint8Array;
  /**
   * The key id bound into `sealed` (its public facts include it). Absent when the key was sealed
   * while its registration was pending: the backup entry then carries no key id either.
   */
  sealedKeyId?: number;
  createdAt: number;
}

/** The public half of a scope's backup key and how the passphrase derives its private half. */
export interface StoredBackupKey {
  scope: string;
  publicKey: Hex;
  kdf: ScryptParams;
}

export interface ScryptParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: Hex;
}

export interface KeyStore {
  /** Every key of `scope`, oldest first. */
  keys(scope: string): Promise<StoredKey[]>;
  putKey(key: StoredKey): Promise<void>;
  deleteKey(id: string): Promise<void>;
  backupKey(scope: string): Promise<StoredBackupKey | undefined>;
  putBackupKey(backup: StoredBackupKey): Promise<void>;
  /** Forgets every key and the backup key of `scope`. */
  clear(scope: string): Promise<void>;
}

/** The scope string of an account on a chain and contract (lowercase). */
export function scopeId(chainId: number, contract: Address, account: Address): string {
  return `${chainId}:${contract.toLowerCase()}:${account.toLowerCase()}`;
}

/** A key store in this process's memory: gone when it ends. For Node, tests and private windows. */
export function memoryKeyStore(): KeyStore {
  const keys = new Map<string, StoredKey>();
  const backups = new Map<string, StoredBackupKey>();
  return {
    async keys(scope) {
      return [...keys.values()].filter((k) => k.scope === scope).sort((a, b) => a.createdAt - b.createdAt);
    },
    async putKey(key) {
      keys.set(key.id, { ...key });
    },
    async deleteKey(id) {
      keys.delete(id);
    },
    async backupKey(scope) {
      const b = backups.get(scope);
      return b && { ...b };
    },
    async putBackupKey(backup) {
      backups.set(backup.scope, { ...backup });
    },
    async clear(scope) {
      for (const [id, k] of keys) if (k.scope === scope) keys.delete(id);
      backups.delete(scope);
    },
  };
}
