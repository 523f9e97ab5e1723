/**
 * The bottom of the Store chain (see store.ts): the driver, transactions, the database clock and the
 * `meta` table (scope binding, the generated secret), plus the helpers every concern uses to build
 * `IN (…)` lists in bounded chunks.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable, SqlDriver } from './driver.js';

export class StoreBase {
  readonly db: SqlDriver;

  protected constructor(db: SqlDriver) {
    this.db = db;
  }

  get dialect() {
    return this.db.dialect;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.db.tx(fn);
  }

  /** The database's own clock in ms (PostgreSQL: shared by every instance). */
  get nowSql(): string {
    return this.db.dialect === 'postgres' ? '(extract(epoch from clock_timestamp()) * 1000)::bigint' : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  /** Binds the database to one chain + contract; refuses another one later. */
  async bindScope(scope: string): Promise<void> {
    await this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', ['scope', scope]);
    const current = await this.getMeta('scope');
    if (current !== scope) throw new Error(`This database belongs to ${current}, not ${scope}. Use another --db for another chain or contract.`);
  }

  /** The key for unsubscribe links and address hashes: the configured one, else one generated once and kept here. */
  async secret(configured?: string): Promise<string> {
    if (configured) return configured;
    await this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', ['secret', randomBytes(32).toString('base64url')]);
    return (await this.getMeta('secret'))!;
  }
}

export function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
