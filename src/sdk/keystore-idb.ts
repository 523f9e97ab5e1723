/**
 * The browser's key store: IndexedDB, which the browser keeps per origin, so keys made on one site
 * are invisible to every other. `CryptoKey` objects are stored as they are (structured clone), so a
 * non-extractable key stays non-extractable across visits. Uses only the `indexedDB` global (also
 * present in workers); no DOM.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { PaidChatError } from './errors.js';
import type { KeyStore, StoredBackupKey, StoredKey } from './keystore.js';

interface Schema extends DBSchema {
  keys: { key: string; value: StoredKey; indexes: { scope: string } };
  backup: { key: string; value: StoredBackupKey };
}

export const KEYSTORE_DB_NAME = 'harmony-paid-chat-keys';
const VERSION = 1;

/** Whether this environment has IndexedDB at all. */
export function hasIndexedDb(): boolean {
  return typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'object';
}

/**
 * A key store in this origin's IndexedDB.
 *
 * @throws PaidChatError `STORAGE_UNAVAILABLE` (on first use) when the browser refuses IndexedDB,
 *   e.g. in some private windows or with storage blocked for the site.
 */
export function indexedDbKeyStore(name = KEYSTORE_DB_NAME): KeyStore {
  let db: Promise<IDBPDatabase<Schema>> | undefined;
  const open = () => {
    db ??= openDB<Schema>(name, VERSION, {
      upgrade(d) {
        d.createObjectStore('keys', { keyPath: 'id' }).createIndex('scope', 'scope');
        d.createObjectStore('backup', { keyPath: 'scope' });
      },
    }).catch((cause) => {
      db = undefined;
      throw new PaidChatError(
        'STORAGE_UNAVAILABLE',
        'This browser does not let the site keep data (IndexedDB is blocked, e.g. in a private window), so keys cannot be kept between visits.',
        {},
        { cause },
      );
    });
    return db;
  };
  return {
    async keys(scope) {
      const all = await (await open()).getAllFromIndex('keys', 'scope', scope);
      return all.sort((a, b) => a.createdAt - b.createdAt);
    },
    async putKey(key) {
      await (await open()).put('keys', key);
    },
    async deleteKey(id) {
      await (await open()).delete('keys', id);
    },
    async backupKey(scope) {
      return (await open()).get('backup', scope);
    },
    async putBackupKey(backup) {
      await (await open()).put('backup', backup);
    },
    async clear(scope) {
      const d = await open();
      const tx = d.transaction(['keys', 'backup'], 'readwrite');
      const ids = await tx.objectStore('keys').index('scope').getAllKeys(scope);
      await Promise.all([...ids.map((id) => tx.objectStore('keys').delete(id)), tx.objectStore('backup').delete(scope), tx.done]);
    },
  };
}
