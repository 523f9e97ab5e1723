/**
 * The notifier's state, the same on SQLite and PostgreSQL (see schema.ts for the tables). Every
 * change that must be all-or-nothing is one transaction here; the callers (watcher, outbox, HTTP,
 * keeper) hold no state of their own that a crash could lose.
 *
 * Several instances on one PostgreSQL database share the work: the outbox is claimed row by row
 * (`FOR UPDATE SKIP LOCKED`, the claim naming the instance), each instance records a heartbeat, and
 * rows in the hands of an instance that stopped beating go back to `pending`. The watcher and the
 * keeper run in one instance at a time (a lease), and the cursor only moves by compare-and-set.
 *
 * The Store is one class built as a short inheritance chain, one concern per file:
 *
 *   base.ts (driver, tx, clock, meta) ← instances.ts (instances, leases) ← chain.ts (cursor, block
 *   hashes, rewind) ← subscriptions.ts (nonces, pending requests, subscriptions) ← webhooks.ts
 *   (endpoints) ← outbox.ts (enqueue, claim, mark) ← reminders.ts (reminders, keeper's list) ← Store
 *
 * A chain rather than functions bound by a facade: every method keeps its body and its `this.db` as
 * it was, the callers keep calling `store.claim(…)` on one object, and no method is declared twice
 * (a facade would repeat some sixty signatures). The order of the chain carries no meaning beyond
 * "one file, one concern"; what spans every table (open/migrate, prune, stats) stays here.
 */
import { isPostgresUrl, openPostgres, openSqlite, type SqlDriver } from './driver.js';
import { SCHEMA_VERSION, schema } from './schema.js';
import type { OutboxRow } from './outbox.js';
import { ReminderStore } from './reminders.js';

export { chunks } from './base.js';
export type { Channel, NotificationKind, OutboxStatus, OutboxRow, NewOutboxRow, Mark } from './outbox.js';
export type { Topic, Subscription, PendingState, ConfirmResult } from './subscriptions.js';
export type { Webhook } from './webhooks.js';
export type { ReminderRow } from './reminders.js';

export class Store extends ReminderStore {
  private constructor(db: SqlDriver) {
    super(db);
  }

  /** Opens (and creates) the database named by `db`: a file path (SQLite) or a postgres:// URL. */
  static async open(db: string, opts: { synchronous?: 'full' | 'normal'; poolSize?: number; onError?: (e: Error) => void } = {}): Promise<Store> {
    const driver = isPostgresUrl(db) ? openPostgres(db, { poolSize: opts.poolSize, onError: opts.onError }) : openSqlite(db, { synchronous: opts.synchronous });
    const store = new Store(driver);
    try {
      await store.#init();
    } catch (e) {
      await driver.close().catch(() => undefined);
      if (!isPostgresUrl(db)) throw e;
      // Name the database (without its password) and the setting: a bare ECONNREFUSED says neither.
      const where = db.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
      throw new Error(`cannot open the PostgreSQL database ${where} (--db / NOTIFIER_DB): ${(e as Error).message}`, { cause: e });
    }
    return store;
  }

  async #init(): Promise<void> {
    const d = this.db;
    if (d.dialect === 'sqlite') {
      const legacy = await d.get<{ n: number }>("SELECT COUNT(*) AS n FROM pragma_table_info('subscriptions') WHERE name = 'unsub_id'");
      const topic = await d.get<{ n: number }>("SELECT COUNT(*) AS n FROM pragma_table_info('subscriptions') WHERE name = 'topic'");
      if ((legacy?.n ?? 0) > 0 && (topic?.n ?? 0) === 0) {
        throw new Error(`The database ${d.where} was made by notifier protocol 1 (schema 1); this notifier (schema ${SCHEMA_VERSION}) does not migrate it. Start with a new --db (subscribers sign up again).`);
      }
      await d.exec(schema('sqlite'));
    } else {
      // Instances starting together must not race on CREATE TABLE.
      await d.tx(async (q) => {
        await q.run('SELECT pg_advisory_xact_lock(7366112051)');
        for (const stmt of schema('postgres').split(';').map((s) => s.trim()).filter(Boolean)) await q.run(stmt);
      });
    }
    const v = await this.getMeta('schema_version');
    if (v === undefined) await this.setMeta('schema_version', String(SCHEMA_VERSION));
    else if (Number(v) > SCHEMA_VERSION) throw new Error(`The database ${d.where} has schema ${v}; this notifier knows ${SCHEMA_VERSION}. Upgrade the notifier.`);
  }

  // ------------------------------------------------------------------ retention

  /**
   * Deletes what is no longer needed: expired nonces and confirmation requests, the daily-cap
   * records older than the cap's window, delivered / failed / skipped outbox rows older than
   * `retentionMs`, settled reminders and open messages, and block hashes far behind the cursor.
   */
  async prune(o: { now: number; retentionMs: number; capWindowMs: number; scope: string; keepBlocks: number }): Promise<Record<string, number>> {
    return this.db.tx(async (q) => {
      const cursor = await this.cursor(o.scope, q);
      const horizon = cursor ? cursor.block - BigInt(o.keepBlocks) : undefined;
      return {
        nonces: await q.run('DELETE FROM nonces WHERE expires_at < ?', [o.now]),
        pendingSubscriptions: await q.run('DELETE FROM pending_subscriptions WHERE expires_at < ?', [o.now]),
        emailSends: await q.run('DELETE FROM email_sends WHERE sent_at < ?', [o.now - o.capWindowMs]),
        outbox: await q.run("DELETE FROM outbox WHERE status IN ('sent', 'failed', 'skipped') AND updated_at < ?", [o.now - o.retentionMs]),
        reminders: horizon === undefined ? 0 : await q.run('DELETE FROM reminders WHERE settled_block IS NOT NULL AND settled_block < ?', [horizon]),
        openMessages: horizon === undefined ? 0 : await q.run('DELETE FROM open_messages WHERE settled_block IS NOT NULL AND settled_block < ?', [horizon]),
        blockHashes: horizon === undefined ? 0 : await q.run('DELETE FROM block_hashes WHERE scope = ? AND number < ?', [o.scope, horizon]),
      };
    });
  }

  // ------------------------------------------------------------------ status

  async stats() {
    const d = this.db;
    const byStatus = Object.fromEntries(
      (await d.all<{ channel: string; status: string; n: number }>('SELECT channel, status, COUNT(*) AS n FROM outbox GROUP BY channel, status')).map((r) => [`${r.channel}:${r.status}`, Number(r.n)]),
    );
    const sum = (channel: string) => ({
      pending: byStatus[`${channel}:pending`] ?? 0,
      sending: byStatus[`${channel}:sending`] ?? 0,
      sent: byStatus[`${channel}:sent`] ?? 0,
      failed: byStatus[`${channel}:failed`] ?? 0,
      skipped: byStatus[`${channel}:skipped`] ?? 0,
    });
    const byKind = Object.fromEntries(
      (await d.all<{ kind: string; n: number }>("SELECT kind, COUNT(*) AS n FROM outbox WHERE channel = 'email' AND status = 'sent' GROUP BY kind")).map((r) => [r.kind, Number(r.n)]),
    );
    const lastErrors = await d.all<Pick<OutboxRow, 'key' | 'channel' | 'kind' | 'status' | 'attempts' | 'last_error' | 'updated_at' | 'next_attempt_at'>>(
      `SELECT key, channel, kind, status, attempts, last_error, updated_at, next_attempt_at FROM outbox
       WHERE last_error IS NOT NULL AND status IN ('pending', 'failed') ORDER BY updated_at DESC LIMIT 20`,
    );
    const one = async (sql: string) => Number((await d.get<{ n: number }>(sql))?.n ?? 0);
    return {
      outbox: sum('email'),
      webhooks: sum('webhook'),
      sentByKind: byKind,
      retrying: await one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND attempts > 0"),
      lastErrors: lastErrors.map((r) => ({ ...r, updated_at: Number(r.updated_at), next_attempt_at: Number(r.next_attempt_at) })),
      subscriptions: await one('SELECT COUNT(*) AS n FROM subscriptions'),
      webhookEndpoints: await one('SELECT COUNT(*) AS n FROM webhooks WHERE disabled_at IS NULL'),
      pendingConfirmations: await one('SELECT COUNT(*) AS n FROM pending_subscriptions WHERE confirmed_at IS NULL AND superseded_at IS NULL'),
      remindersScheduled: await one('SELECT COUNT(*) AS n FROM reminders WHERE settled_block IS NULL'),
      openMessages: await one('SELECT COUNT(*) AS n FROM open_messages WHERE settled_block IS NULL'),
    };
  }
}
