/**
 * The notifier's state in one SQLite file (better-sqlite3, WAL, synchronous=FULL by default):
 *
 *   meta                   key/value: schema version, chain scope, generated secret
 *   cursor                 the last block whose logs are fully turned into outbox rows
 *   nonces                 nonces of accepted subscription requests, until their expiry
 *   pending_subscriptions  signed requests waiting for the emailed link (token hashed, expiring)
 *   subscriptions          confirmed address → email, with the id its unsubscribe links carry
 *   reminders              open messages whose "24 h left" reminder is not due yet
 *   outbox                 every notification, unique by key (kind:messageId), with its rendered
 *                          email, deterministic Message-ID, delivery status and attempts
 *
 * Outbox rows and the cursor are written in one transaction per log window (see watcher.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

export type NotificationKind = 'message' | 'reply' | 'refund' | 'reminder';
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'skipped';

export interface OutboxRow {
  id: number;
  key: string;
  kind: NotificationKind;
  chain_message_id: string;
  address: string;
  email: string;
  unsub_id: string;
  subject: string;
  text_body: string;
  html_body: string;
  mail_message_id: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  block_number: number;
  tx_hash: string | null;
  smtp_response: string | null;
}

export interface NewNotification {
  key: string;
  kind: NotificationKind;
  chainMessageId: bigint;
  address: string;
  email: string;
  unsubId: string;
  subject: string;
  text: string;
  html: string;
  mailMessageId: string;
  blockNumber: bigint;
  txHash?: string;
}

export interface Subscription {
  address: string;
  email: string;
  unsub_id: string;
  confirmed_at: number;
}

export interface ReminderRow {
  message_id: string;
  recipient: string;
  sender: string;
  amount: string;
  deadline: number;
  due_at: number;
  block_number: number;
}

export type ConfirmResult =
  | { status: 'confirmed' | 'already'; address: string; email: string }
  | { status: 'expired' }
  | { status: 'invalid' };

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursor (
  scope      TEXT PRIMARY KEY,
  last_block INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
  nonce      TEXT PRIMARY KEY,
  address    TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_subscriptions (
  id           INTEGER PRIMARY KEY,
  address      TEXT NOT NULL,
  email        TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  nonce        TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  confirmed_at INTEGER
);
CREATE TABLE IF NOT EXISTS subscriptions (
  address      TEXT PRIMARY KEY,
  email        TEXT NOT NULL,
  unsub_id     TEXT NOT NULL UNIQUE,
  confirmed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reminders (
  message_id   TEXT PRIMARY KEY,
  recipient    TEXT NOT NULL,
  sender       TEXT NOT NULL,
  amount       TEXT NOT NULL,
  deadline     INTEGER NOT NULL,
  due_at       INTEGER NOT NULL,
  block_number INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reminders_due ON reminders (due_at);
CREATE TABLE IF NOT EXISTS outbox (
  id               INTEGER PRIMARY KEY,
  key              TEXT NOT NULL UNIQUE,
  kind             TEXT NOT NULL CHECK (kind IN ('message', 'reply', 'refund', 'reminder')),
  chain_message_id TEXT NOT NULL,
  address          TEXT NOT NULL,
  email            TEXT NOT NULL,
  unsub_id         TEXT NOT NULL,
  subject          TEXT NOT NULL,
  text_body        TEXT NOT NULL,
  html_body        TEXT NOT NULL,
  mail_message_id  TEXT NOT NULL UNIQUE,
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  sent_at          INTEGER,
  block_number     INTEGER NOT NULL,
  tx_hash          TEXT,
  smtp_response    TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at, id);
`;

export class Store {
  readonly db: Database.Database;
  readonly #s;

  constructor(path: string, opts: { synchronous?: 'full' | 'normal' } = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL (default): a committed cursor / "sent" mark survives power loss, not only a process
    // crash. NORMAL (WAL): survives any process crash; a power loss may roll back the last commits.
    this.db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const v = this.getMeta('schema_version');
    if (v === undefined) this.setMeta('schema_version', String(SCHEMA_VERSION));
    else if (Number(v) > SCHEMA_VERSION) throw new Error(`The database ${path} has schema ${v}; this notifier knows ${SCHEMA_VERSION}. Upgrade the notifier.`);
    const d = this.db;
    this.#s = {
      getMeta: d.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: d.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      getCursor: d.prepare<[string], { last_block: number }>('SELECT last_block FROM cursor WHERE scope = ?'),
      setCursor: d.prepare(
        'INSERT INTO cursor (scope, last_block, updated_at) VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET last_block = excluded.last_block, updated_at = excluded.updated_at',
      ),
      insertNonce: d.prepare('INSERT INTO nonces (nonce, address, expires_at) VALUES (?, ?, ?)'),
      hasNonce: d.prepare<[string], { n: number }>('SELECT 1 AS n FROM nonces WHERE nonce = ?'),
      deleteNonce: d.prepare('DELETE FROM nonces WHERE nonce = ?'),
      insertPending: d.prepare(
        'INSERT INTO pending_subscriptions (address, email, token_hash, nonce, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deletePending: d.prepare('DELETE FROM pending_subscriptions WHERE id = ?'),
      pendingByToken: d.prepare<[string], { id: number; address: string; email: string; expires_at: number; confirmed_at: number | null }>(
        'SELECT id, address, email, expires_at, confirmed_at FROM pending_subscriptions WHERE token_hash = ?',
      ),
      markPendingConfirmed: d.prepare('UPDATE pending_subscriptions SET confirmed_at = ? WHERE id = ?'),
      upsertSubscription: d.prepare(
        'INSERT INTO subscriptions (address, email, unsub_id, confirmed_at) VALUES (?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET email = excluded.email, unsub_id = excluded.unsub_id, confirmed_at = excluded.confirmed_at',
      ),
      subscription: d.prepare<[string], Subscription>('SELECT address, email, unsub_id, confirmed_at FROM subscriptions WHERE address = ?'),
      subscriptionByUnsub: d.prepare<[string], Subscription>('SELECT address, email, unsub_id, confirmed_at FROM subscriptions WHERE unsub_id = ?'),
      deleteSubscriptionByUnsub: d.prepare('DELETE FROM subscriptions WHERE unsub_id = ?'),
      insertReminder: d.prepare(
        'INSERT OR IGNORE INTO reminders (message_id, recipient, sender, amount, deadline, due_at, block_number) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteReminder: d.prepare('DELETE FROM reminders WHERE message_id = ?'),
      dueReminders: d.prepare<[number, number], ReminderRow>('SELECT * FROM reminders WHERE due_at <= ? ORDER BY due_at, message_id LIMIT ?'),
      enqueue: d.prepare(
        `INSERT OR IGNORE INTO outbox (key, kind, chain_message_id, address, email, unsub_id, subject, text_body, html_body, mail_message_id,
           status, attempts, next_attempt_at, created_at, updated_at, block_number, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)`,
      ),
      due: d.prepare<[number, number], OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?"),
      nextDue: d.prepare<[], { t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending'"),
      markSent: d.prepare("UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, updated_at = ?, smtp_response = ?, last_error = NULL WHERE id = ? AND status = 'pending'"),
      markRetry: d.prepare("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ?, last_error = ? WHERE id = ? AND status = 'pending'"),
      markFailed: d.prepare("UPDATE outbox SET status = 'failed', attempts = attempts + 1, updated_at = ?, last_error = ? WHERE id = ? AND status = 'pending'"),
      markSkipped: d.prepare("UPDATE outbox SET status = 'skipped', updated_at = ?, last_error = ? WHERE id = ? AND status = 'pending'"),
      pruneNonces: d.prepare('DELETE FROM nonces WHERE expires_at < ?'),
      prunePending: d.prepare('DELETE FROM pending_subscriptions WHERE expires_at < ?'),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in one IMMEDIATE transaction (all or nothing). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  getMeta(key: string): string | undefined {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Binds the database to one chain + contract; refuses another one later. */
  bindScope(scope: string): void {
    const current = this.#s.getMeta.get('scope')?.value;
    if (current === undefined) this.#s.setMeta.run('scope', scope);
    else if (current !== scope) {
      throw new Error(`This database belongs to ${current}, not ${scope}. Use another --db for another chain or contract.`);
    }
  }

  /** The HMAC key for unsubscribe links: the configured one, else one generated once and kept here. */
  secret(configured?: string): string {
    if (configured) return configured;
    let s = this.#s.getMeta.get('secret')?.value;
    if (!s) {
      s = randomBytes(32).toString('base64url');
      this.#s.setMeta.run('secret', s);
    }
    return s;
  }

  // ------------------------------------------------------------------ cursor

  cursor(scope: string): bigint | undefined {
    const r = this.#s.getCursor.get(scope);
    return r ? BigInt(r.last_block) : undefined;
  }

  setCursor(scope: string, block: bigint): void {
    this.#s.setCursor.run(scope, Number(block), Date.now());
  }

  // ------------------------------------------------------------------ subscriptions

  hasNonce(nonce: string): boolean {
    return this.#s.hasNonce.get(nonce) !== undefined;
  }

  /** Records the nonce and the pending subscription atomically; 'nonce_used' if the nonce is taken. */
  addPending(p: { address: string; email: string; tokenHash: string; nonce: string; nonceExpiresAt: number; now: number; expiresAt: number }):
    | { id: number }
    | 'nonce_used' {
    try {
      return this.tx(() => {
        this.#s.insertNonce.run(p.nonce, p.address, p.nonceExpiresAt);
        const r = this.#s.insertPending.run(p.address, p.email, p.tokenHash, p.nonce, p.now, p.expiresAt);
        return { id: Number(r.lastInsertRowid) };
      });
    } catch (e: any) {
      if (e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE') return 'nonce_used';
      throw e;
    }
  }

  /** Undoes addPending (the confirmation email could not be sent). */
  removePending(id: number, nonce: string): void {
    this.tx(() => {
      this.#s.deletePending.run(id);
      this.#s.deleteNonce.run(nonce);
    });
  }

  confirm(tokenHash: string, now: number, newUnsubId: () => string): ConfirmResult {
    return this.tx(() => {
      const p = this.#s.pendingByToken.get(tokenHash);
      if (!p) return { status: 'invalid' } as const;
      if (p.confirmed_at !== null) return { status: 'already', address: p.address, email: p.email } as const;
      if (p.expires_at < now) return { status: 'expired' } as const;
      this.#s.markPendingConfirmed.run(now, p.id);
      this.#s.upsertSubscription.run(p.address, p.email, newUnsubId(), now);
      return { status: 'confirmed', address: p.address, email: p.email } as const;
    });
  }

  subscription(address: string): Subscription | undefined {
    return this.#s.subscription.get(address);
  }

  subscriptionByUnsub(unsubId: string): Subscription | undefined {
    return this.#s.subscriptionByUnsub.get(unsubId);
  }

  unsubscribe(unsubId: string): boolean {
    return this.#s.deleteSubscriptionByUnsub.run(unsubId).changes > 0;
  }

  // ------------------------------------------------------------------ reminders

  scheduleReminder(r: { messageId: bigint; recipient: string; sender: string; amount: bigint; deadline: bigint; dueAt: bigint; blockNumber: bigint }): void {
    this.#s.insertReminder.run(r.messageId.toString(), r.recipient, r.sender, r.amount.toString(), Number(r.deadline), Number(r.dueAt), Number(r.blockNumber));
  }

  dropReminder(messageId: bigint | string): void {
    this.#s.deleteReminder.run(messageId.toString());
  }

  dueReminders(chainNowSec: bigint, limit = 100): ReminderRow[] {
    return this.#s.dueReminders.all(Number(chainNowSec), limit);
  }

  // ------------------------------------------------------------------ outbox

  /** Inserts a notification unless its key exists; true when inserted. */
  enqueue(n: NewNotification, now = Date.now()): boolean {
    return (
      this.#s.enqueue.run(
        n.key,
        n.kind,
        n.chainMessageId.toString(),
        n.address,
        n.email,
        n.unsubId,
        n.subject,
        n.text,
        n.html,
        n.mailMessageId,
        now,
        now,
        now,
        Number(n.blockNumber),
        n.txHash ?? null,
      ).changes > 0
    );
  }

  due(now: number, limit: number): OutboxRow[] {
    return this.#s.due.all(now, limit);
  }

  nextDueAt(): number | undefined {
    return this.#s.nextDue.get()?.t ?? undefined;
  }

  markSent(id: number, response: string, now = Date.now()): void {
    this.#s.markSent.run(now, now, response.slice(0, 500), id);
  }

  markRetry(id: number, nextAttemptAt: number, error: string, now = Date.now()): void {
    this.#s.markRetry.run(nextAttemptAt, now, error.slice(0, 1000), id);
  }

  markFailed(id: number, error: string, now = Date.now()): void {
    this.#s.markFailed.run(now, error.slice(0, 1000), id);
  }

  markSkipped(id: number, reason: string, now = Date.now()): void {
    this.#s.markSkipped.run(now, reason.slice(0, 1000), id);
  }

  prune(now = Date.now()): void {
    this.tx(() => {
      this.#s.pruneNonces.run(now);
      this.#s.prunePending.run(now);
    });
  }

  // ------------------------------------------------------------------ status

  stats() {
    const d = this.db;
    const byStatus = Object.fromEntries(
      d.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all().map((r) => [r.status, r.n]),
    );
    const byKind = Object.fromEntries(
      d.prepare<[], { kind: string; n: number }>("SELECT kind, COUNT(*) AS n FROM outbox WHERE status = 'sent' GROUP BY kind").all().map((r) => [r.kind, r.n]),
    );
    const lastErrors = d
      .prepare<[], Pick<OutboxRow, 'key' | 'kind' | 'status' | 'attempts' | 'last_error' | 'updated_at' | 'next_attempt_at'>>(
        `SELECT key, kind, status, attempts, last_error, updated_at, next_attempt_at FROM outbox
         WHERE last_error IS NOT NULL AND status IN ('pending', 'failed') ORDER BY updated_at DESC LIMIT 20`,
      )
      .all();
    const one = (sql: string) => (d.prepare<[], { n: number }>(sql).get()?.n ?? 0) as number;
    return {
      outbox: { pending: 0, sent: 0, failed: 0, skipped: 0, ...byStatus } as Record<OutboxStatus, number>,
      sentByKind: byKind,
      retrying: one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND attempts > 0"),
      lastErrors,
      subscriptions: one('SELECT COUNT(*) AS n FROM subscriptions'),
      pendingConfirmations: one('SELECT COUNT(*) AS n FROM pending_subscriptions WHERE confirmed_at IS NULL'),
      remindersScheduled: one('SELECT COUNT(*) AS n FROM reminders'),
    };
  }
}
