/**
 * One account's messaging keys on this device: its inbox keys (if it holds a handle) and its
 * conversation keys (one or more per creator it writes to), kept in a {@link KeyStore}, sealed to the
 * account's backup key when one is set, and restored from backup files.
 *
 * Rules it keeps:
 * - a key is written to the store before anything is sealed with it or registered on chain, so
 *   closing the page mid-way never leaves a message or an on-chain key without its private half;
 * - once a backup passphrase is set, every key is sealed to the backup key when it is made and kept
 *   non-extractable; before that, keys stay extractable so that they can still be backed up;
 * - a backup is restored only into its own chain, contract and account, and only the entries the
 *   caller's filter allows (the SDK passes the page's scope: see `client.ts`).
 */
import { bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import {
  backupEntry,
  fromB64,
  newBackupKey,
  openFromBackup,
  parseBackupFile,
  sealToBackup,
  serializeBackup,
  unlockBackup,
  deriveBackupKey,
  freshKdf,
  DEFAULT_SCRYPT,
  type BackupEntryMeta,
} from './backup.js';
import { PaidChatError } from './errors.js';
import { generateMessagingKey, messagingKeyFromSecret, MessagingKey } from './keys.js';
import { scopeId, type KeyKind, type KeyStore, type StoredBackupKey, type StoredKey } from './keystore.js';

export interface KeyringScope {
  chainId: number;
  contract: Address;
  account: Address;
}

/** What the device holds, without any private part. */
export interface HeldKey {
  kind: KeyKind;
  publicKey: Hex;
  keyId?: number;
  peer?: Address;
  backedUp: boolean;
  extractable: boolean;
  createdAt: number;
}

export type SkipReason = 'other-account' | 'other-chain' | 'out-of-scope' | 'already-held';

export interface RestoreReport {
  restored: HeldKey[];
  skipped: { entry: BackupEntryMeta; reason: SkipReason }[];
}

export type EntryFilter = (meta: BackupEntryMeta) => boolean;

function held(k: StoredKey): HeldKey {
  return {
    kind: k.kind,
    publicKey: k.publicKey,
    ...(k.keyId !== undefined ? { keyId: k.keyId } : {}),
    ...(k.peer ? { peer: k.peer } : {}),
    backedUp: k.sealed !== undefined,
    extractable: k.extractable,
    createdAt: k.createdAt,
  };
}

const same = (a?: string, b?: string) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

export class Keyring {
  readonly scope: KeyringScope;
  readonly id: string;
  readonly #store: KeyStore;
  readonly #keys = new Map<Hex, MessagingKey>();
  /**
   * Raw private halves of inbox keys sealed while pending, kept in this object's memory only until
   * the registering transaction ends ({@link confirmInboxKey} or {@link deleteKey}), so that the seal
   * can be made again with the key id. After a reload they are gone: such a key stays backed up
   * without its key id (restored as pending, then matched against the chain).
   */
  readonly #pendingSecrets = new Map<Hex, Uint8Array>();

  constructor(store: KeyStore, scope: KeyringScope) {
    this.#store = store;
    this.scope = scope;
    this.id = scopeId(scope.chainId, scope.contract, scope.account);
  }

  #meta(k: Pick<StoredKey, 'kind' | 'peer' | 'keyId' | 'publicKey'>): BackupEntryMeta {
    return {
      kind: k.kind,
      chainId: this.scope.chainId,
      contract: this.scope.contract,
      account: this.scope.account,
      ...(k.peer ? { peer: k.peer } : {}),
      ...(k.keyId !== undefined ? { keyId: k.keyId } : {}),
      publicKey: k.publicKey,
    };
  }

  /** The public facts `k.sealed` was sealed with (its key id only when it was known then). */
  #sealedMeta(k: StoredKey): BackupEntryMeta {
    const { keyId: _, ...rest } = k;
    return this.#meta(k.sealedKeyId !== undefined ? { ...rest, keyId: k.sealedKeyId } : rest);
  }

  #key(stored: StoredKey): MessagingKey {
    let k = this.#keys.get(stored.publicKey);
    if (!k) {
      k = new MessagingKey(stored.privateKey, hexToBytes(stored.publicKey));
      this.#keys.set(stored.publicKey, k);
    }
    return k;
  }

  async #all(): Promise<StoredKey[]> {
    return this.#store.keys(this.id);
  }

  /** Every key held, oldest first. */
  async held(): Promise<HeldKey[]> {
    return (await this.#all()).map(held);
  }

  /** The inbox key registered as `keyId`, when this device holds it. */
  async inboxKey(keyId: number): Promise<MessagingKey | undefined> {
    const k = (await this.#all()).find((s) => s.kind === 'inbox' && s.keyId === keyId);
    return k && this.#key(k);
  }

  /** Inbox keys made here whose registration was not confirmed (the page closed mid-way, or the transaction failed). */
  async pendingInboxKeys(): Promise<HeldKey[]> {
    return (await this.#all()).filter((s) => s.kind === 'inbox' && s.keyId === undefined).map(held);
  }

  /** This device's conversation keys with `peer`, oldest first. */
  async conversationKeys(peer: Address): Promise<MessagingKey[]> {
    return (await this.#all()).filter((s) => s.kind === 'conversation' && same(s.peer, peer)).map((s) => this.#key(s));
  }

  /** The conversation key with `peer` whose public half is `publicKey`, when held. */
  async conversationKey(peer: Address, publicKey: Uint8Array): Promise<MessagingKey | undefined> {
    const hex = bytesToHex(publicKey);
    const k = (await this.#all()).find((s) => s.kind === 'conversation' && same(s.peer, peer) && s.publicKey === hex);
    return k && this.#key(k);
  }

  async #create(kind: KeyKind, peer?: Address): Promise<MessagingKey> {
    const backup = await this.#store.backupKey(this.id);
    const { key, secret } = await generateMessagingKey({ extractable: true });
    try {
      const base = { kind, ...(peer ? { peer } : {}), publicKey: key.publicKeyHex };
      const stored: StoredKey = {
        id: `${this.id}/${key.publicKeyHex}`,
        scope: this.id,
        ...base,
        privateKey: key.handle,
        extractable: true,
        createdAt: Date.now(),
      };
      if (backup) {
        const locked = await messagingKeyFromSecret(secret, { extractable: false });
        stored.sealed = sealToBackup(backup.publicKey, secret, this.#meta(base));
        stored.privateKey = locked.handle;
        stored.extractable = locked.extractable;
        if (kind === 'inbox') this.#pendingSecrets.set(key.publicKeyHex, secret.slice());
      }
      await this.#store.putKey(stored);
      return this.#key(stored);
    } finally {
      secret.fill(0);
    }
  }

  /** A new conversation key with `peer`, kept before it is used. */
  createConversationKey(peer: Address): Promise<MessagingKey> {
    return this.#create('conversation', peer);
  }

  /** A new inbox key, kept as pending until {@link confirmInboxKey} records its on-chain id. */
  createInboxKey(): Promise<MessagingKey> {
    return this.#create('inbox');
  }

  async #find(publicKey: Hex): Promise<StoredKey | undefined> {
    const hex = publicKey.toLowerCase();
    return (await this.#all()).find((s) => s.publicKey === hex);
  }

  #dropPendingSecret(publicKey: Hex): Uint8Array | undefined {
    const secret = this.#pendingSecrets.get(publicKey.toLowerCase() as Hex);
    this.#pendingSecrets.delete(publicKey.toLowerCase() as Hex);
    return secret;
  }

  /**
   * Records the on-chain id of an inbox key (after the transaction that registered it). A key sealed
   * while pending is sealed again with its key id, when this object still has its private half.
   */
  async confirmInboxKey(publicKey: Hex, keyId: number): Promise<void> {
    const k = await this.#find(publicKey);
    const secret = this.#dropPendingSecret(publicKey);
    try {
      if (!k || k.kind !== 'inbox') throw new PaidChatError('KEY_MISSING', 'That inbox key is not kept on this device.', { publicKey });
      const confirmed: StoredKey = { ...k, keyId };
      const backup = k.sealed && k.sealedKeyId !== keyId && secret ? await this.#store.backupKey(this.id) : undefined;
      if (backup) Object.assign(confirmed, { sealed: sealToBackup(backup.publicKey, secret!, this.#meta(confirmed)), sealedKeyId: keyId });
      await this.#store.putKey(confirmed);
    } finally {
      secret?.fill(0);
    }
  }

  /** Forgets one key (e.g. an inbox key whose registration failed). */
  async deleteKey(publicKey: Hex): Promise<void> {
    this.#dropPendingSecret(publicKey)?.fill(0);
    const k = await this.#find(publicKey);
    if (!k) return;
    this.#keys.delete(k.publicKey);
    await this.#store.deleteKey(k.id);
  }

  /** Whether a backup passphrase is set here, and how many keys are not in a backup yet. */
  async backupStatus(): Promise<{ passphraseSet: boolean; notBackedUp: number; keys: number }> {
    const [backup, all] = await Promise.all([this.#store.backupKey(this.id), this.#all()]);
    return { passphraseSet: backup !== undefined, notBackedUp: all.filter((k) => !k.sealed).length, keys: all.length };
  }

  /**
   * Sets the backup passphrase: seals every key not yet backed up and makes it non-extractable.
   * Changing an existing passphrase needs the current one (`current`), to re-seal every key.
   *
   * @throws PaidChatError `PASSPHRASE_WEAK`, `BACKUP_PASSPHRASE_WRONG` (wrong `current`).
   */
  async setBackupPassphrase(passphrase: string, opts: { current?: string; cost?: { N?: number } } = {}): Promise<void> {
    const existing = await this.#store.backupKey(this.id);
    let oldSecret: Uint8Array | undefined;
    if (existing) {
      if (opts.current === undefined) {
        throw new PaidChatError('BACKUP_PASSPHRASE_WRONG', 'A backup passphrase is already set for this account here; give the current one to change it.', {
          reason: 'current-needed',
        });
      }
      const d = await deriveBackupKey(opts.current, existing.kdf);
      if (d.publicKey !== existing.publicKey.toLowerCase()) {
        d.secret.fill(0);
        throw new PaidChatError('BACKUP_PASSPHRASE_WRONG', 'The current passphrase is not right. Check it and try again.', {});
      }
      oldSecret = d.secret;
    }
    try {
      const fresh = await newBackupKey(passphrase, opts.cost);
      const backup: StoredBackupKey = { scope: this.id, ...fresh };
      for (const k of await this.#all()) {
        let secret: Uint8Array;
        if (k.sealed && oldSecret) secret = openFromBackup(oldSecret, k.sealed, this.#sealedMeta(k));
        else if (k.extractable) secret = await this.#key(k).exportSecret();
        else continue; // cannot happen: a non-extractable key is always sealed
        await this.#lock(k, secret, backup);
      }
      await this.#store.putBackupKey(backup);
    } finally {
      oldSecret?.fill(0);
    }
  }

  /**
   * The backup file (JSON text) of the keys `filter` allows. Needs no passphrase: every entry is
   * already sealed to the backup key.
   *
   * @throws PaidChatError `KEY_MISSING` when there is nothing to back up; `BACKUP_INVALID`
   *   (reason 'no-passphrase') when no backup passphrase is set yet.
   */
  async exportBackup(filter: EntryFilter = () => true): Promise<string> {
    const backup = await this.#store.backupKey(this.id);
    if (!backup) {
      throw new PaidChatError('BACKUP_INVALID', 'Set a backup passphrase first: the backup is sealed with it.', { reason: 'no-passphrase' });
    }
    const entries = (await this.#all())
      .filter((k) => k.sealed && filter(this.#sealedMeta(k)))
      .map((k) => backupEntry(this.#sealedMeta(k), k.sealed!));
    if (entries.length === 0) throw new PaidChatError('KEY_MISSING', 'There is no key on this device to back up yet.', {});
    return serializeBackup(backup.publicKey, backup.kdf, entries);
  }

  /** The public facts of a backup file, read without its passphrase (to check it belongs here first). */
  inspectBackup(text: string): BackupEntryMeta[] {
    return parseBackupFile(text).entries.map(({ sealed: _, ...meta }) => meta);
  }

  /**
   * Restores the keys of a backup file that belong to this account, chain and contract and that
   * `filter` allows. Restored keys are kept non-extractable and sealed to this device's backup key
   * (when none was set here: the file's, or a new one from the same passphrase when the file's scrypt
   * cost is below `opts.cost.N`, default {@link DEFAULT_SCRYPT}). Every wanted entry is opened and
   * checked before anything is stored, so a refused file changes nothing.
   *
   * @throws PaidChatError `BACKUP_INVALID` (a damaged or altered file), `BACKUP_PASSPHRASE_WRONG`.
   */
  async restoreBackup(text: string, passphrase: string, filter: EntryFilter = () => true, opts: { cost?: { N?: number } } = {}): Promise<RestoreReport> {
    const file = parseBackupFile(text);
    const report: RestoreReport = { restored: [], skipped: [] };
    const wanted: BackupEntryMeta[] = [];
    const have = new Set((await this.#all()).map((k) => k.publicKey));
    for (const { sealed: _, ...meta } of file.entries) {
      let reason: SkipReason | undefined;
      if (!same(meta.account, this.scope.account)) reason = 'other-account';
      else if (meta.chainId !== this.scope.chainId || !same(meta.contract, this.scope.contract)) reason = 'other-chain';
      else if (!filter(meta)) reason = 'out-of-scope';
      else if (have.has(meta.publicKey)) reason = 'already-held';
      if (reason) report.skipped.push({ entry: meta, reason });
      else wanted.push(meta);
    }
    if (wanted.length === 0) return report;
    const secret = await unlockBackup(file, passphrase);
    const opened: { meta: BackupEntryMeta; key: Uint8Array }[] = [];
    try {
      // 1. Open and check every entry; nothing is stored yet.
      for (const meta of wanted) {
        const sealed = file.entries.find((e) => e.publicKey === meta.publicKey)!.sealed;
        opened.push({ meta, key: openFromBackup(secret, fromB64(sealed)!, meta) });
      }
      // 2. The device's backup key. A file's scrypt cost is adopted only when it is at least the
      // floor (DEFAULT_SCRYPT.N for every real user; tests pass a lower floor to stay fast): a cheaper
      // file (however it was made) is re-keyed here with the passphrase in hand, at the floor and with
      // a new salt, so restoring it never leaves this device's later backups cheaper to guess.
      let local = await this.#store.backupKey(this.id);
      if (!local) {
        const floor = opts.cost?.N ?? DEFAULT_SCRYPT.N;
        if (file.kdf.N >= floor) local = { scope: this.id, publicKey: file.backupKey, kdf: file.kdf };
        else {
          const kdf = freshKdf({ N: floor });
          const d = await deriveBackupKey(passphrase, kdf);
          d.secret.fill(0);
          local = { scope: this.id, publicKey: d.publicKey, kdf };
        }
        await this.#store.putBackupKey(local);
        await this.#sealUnsealed(local);
      }
      // 3. Store the opened keys, sealed to the device's backup key.
      for (const { meta, key } of opened) {
        const locked = await messagingKeyFromSecret(key, { extractable: false });
        const stored: StoredKey = {
          id: `${this.id}/${meta.publicKey}`,
          scope: this.id,
          kind: meta.kind,
          ...(meta.peer ? { peer: meta.peer } : {}),
          ...(meta.keyId !== undefined ? { keyId: meta.keyId, sealedKeyId: meta.keyId } : {}),
          publicKey: meta.publicKey,
          privateKey: locked.handle,
          extractable: locked.extractable,
          sealed: sealToBackup(local.publicKey, key, meta),
          createdAt: Date.now(),
        };
        await this.#store.putKey(stored);
        report.restored.push(held(stored));
      }
    } finally {
      secret.fill(0);
      for (const { key } of opened) key.fill(0);
    }
    return report;
  }

  /** Seals the keys made before a backup key existed (they are extractable until then). */
  async #sealUnsealed(backup: StoredBackupKey): Promise<void> {
    for (const k of await this.#all()) {
      if (!k.sealed && k.extractable) await this.#lock(k, await this.#key(k).exportSecret(), backup);
    }
  }

  /** Stores `k` sealed to `backup` and non-extractable, from its raw private key (wiped after). */
  async #lock(k: StoredKey, secret: Uint8Array, backup: StoredBackupKey): Promise<void> {
    try {
      const locked = await messagingKeyFromSecret(secret, { extractable: false });
      await this.#store.putKey({
        ...k,
        privateKey: locked.handle,
        extractable: locked.extractable,
        sealed: sealToBackup(backup.publicKey, secret, this.#meta(k)),
        ...(k.keyId !== undefined ? { sealedKeyId: k.keyId } : {}),
      });
      this.#keys.delete(k.publicKey);
    } finally {
      secret.fill(0);
    }
  }

  /** Forgets every key of this account on this device, and its backup key ("sign out of this site"). */
  async forget(): Promise<void> {
    this.#keys.clear();
    for (const secret of this.#pendingSecrets.values()) secret.fill(0);
    this.#pendingSecrets.clear();
    await this.#store.clear(this.id);
  }
}
