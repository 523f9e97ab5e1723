/**
 * The notifier's state, the same on SQLite and PostgreSQL (see schema.ts for the tables). Every
 * change that must be all-or-nothing is one transaction here; the callers (watcher, outbox, HTTP,
 * keeper) hold no state of their own that a crash could lose.
 *
 * Several instances on one PostgreSQL database share the work: the outbox is claimed row by row
 * (`FOR UPDATE SKIP LOCKED`, the claim naming the instance), each instance records a heartbeat, and
 * rows in the hands of an instance that stopped beating go back to `pending`. The watcher and the
 * keeper run in one instance at a time (a lease), and the cursor only moves by compare-and-set.
 */
import { randomBytes } from 'node:crypto';
import { isPostgresUrl, openPostgres, openSqlite, type Param, type Queryable, type SqlDriver } from './driver.js';
import { SCHEMA_VERSION, schema } from './schema.js';
import { canonicalEmail, mailboxDomains } from './mailbox.js';

export type Channel = 'email' | 'webhook';
export type NotificationKind = 'message' | 'reply' | 'refund' | 'follow-up' | 'reminder';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';
export type Topic = 'inbox' | 'outbox';

export interface OutboxRow {
  id: number;
  key: string;
  channel: Channel;
  kind: NotificationKind;
  target: string;
  event_id: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  claimed_by: string | null;
  last_error: string | null;
  response: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  block_number: number;
  block_hash: string | null;
}

export interface NewOutboxRow {
  key: string;
  channel: Channel;
  kind: NotificationKind;
  target: string;
  eventId: string;
  payload: string;
  blockNumber: bigint;
  blockHash?: string;
}

export interface Subscription {
  id: number;
  address: string;
  topic: Topic;
  email: string;
  unsub_id: string;
  confirmed_at: number;
}

export interface Webhook {
  id: string;
  address: string;
  url: string;
  secret: string;
  created_at: number;
  disabled_at: number | null;
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

export type PendingState =
  | { status: 'pending' | 'confirmed'; address: string; topic: Topic; email: string; expiresAt: number }
  | { status: 'expired' | 'superseded' | 'invalid' };

export type ConfirmResult =
  | { status: 'confirmed' | 'already'; address: string; topic: Topic; email: string }
  | { status: 'expired' | 'superseded' | 'invalid' };

export type Mark =
  | { id: number; outcome: 'sent'; response: string }
  | { id: number; outcome: 'retry'; nextAttemptAt: number; error: string }
  | { id: number; outcome: 'failed'; error: string }
  | { id: number; outcome: 'skipped'; reason: string }
  | { id: number; outcome: 'release' };

const OUTBOX_COLUMNS = '(key, channel, kind, target, event_id, payload, status, attempts, next_attempt_at, created_at, updated_at, block_number, block_hash)';

export class Store {
  readonly db: SqlDriver;

  private constructor(db: SqlDriver) {
    this.db = db;
  }

  get dialect() {
    return this.db.dialect;
  }

  /** Opens (and creates) the database named by `db`: a file path (SQLite) or a postgres:// URL. */
  static async open(db: string, opts: { synchronous?: 'full' | 'normal'; poolSize?: number; onError?: (e: Error) => void } = {}): Promise<Store> {
    const driver = isPostgresUrl(db) ? openPostgres(db, { poolSize: opts.poolSize, onError: opts.onError }) : openSqlite(db, { synchronous: opts.synchronous });
    const store = new Store(driver);
    try {
      await store.#init();
    } catch (e) {
      await driver.close().catch(() => undefined);
      throw e;
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

  // ------------------------------------------------------------------ instances and leases

  async registerInstance(id: string, info: Record<string, unknown>): Promise<void> {
    await this.db.run(`INSERT INTO instances (id, started_at, heartbeat_at, info) VALUES (?, ${this.nowSql}, ${this.nowSql}, ?)`, [id, JSON.stringify(info)]);
  }

  async heartbeat(id: string): Promise<void> {
    await this.db.run(`UPDATE instances SET heartbeat_at = ${this.nowSql} WHERE id = ?`, [id]);
  }

  async removeInstance(id: string): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run("UPDATE outbox SET status = 'pending', claimed_by = NULL WHERE status = 'sending' AND claimed_by = ?", [id]);
      await q.run('DELETE FROM leases WHERE holder = ?', [id]);
      await q.run('DELETE FROM instances WHERE id = ?', [id]);
    });
  }

  /**
   * Rows claimed by an instance that stopped beating for `timeoutMs` (killed, or cut off) go back to
   * `pending`; the instance is forgotten. With `all`, every claim not held by `self` (SQLite: one
   * instance per file, so at start every claim is a dead one). Returns how many rows came back.
   */
  async reclaim(self: string, timeoutMs: number, all = false): Promise<number> {
    return this.db.tx(async (q) => {
      const dead = all
        ? await q.all<{ id: string }>('SELECT id FROM instances WHERE id <> ?', [self])
        : await q.all<{ id: string }>(`SELECT id FROM instances WHERE id <> ? AND heartbeat_at < ${this.nowSql} - ?`, [self, timeoutMs]);
      let n = 0;
      for (const { id } of dead) {
        n += await q.run("UPDATE outbox SET status = 'pending', claimed_by = NULL WHERE status = 'sending' AND claimed_by = ?", [id]);
        await q.run('DELETE FROM leases WHERE holder = ?', [id]);
        await q.run('DELETE FROM instances WHERE id = ?', [id]);
      }
      // Claims by instances that are not registered at all (e.g. removed meanwhile).
      n += await q.run("UPDATE outbox SET status = 'pending', claimed_by = NULL WHERE status = 'sending' AND claimed_by NOT IN (SELECT id FROM instances)");
      return n;
    });
  }

  async liveInstances(timeoutMs: number): Promise<{ id: string; info: string; heartbeat_at: number }[]> {
    return this.db.all(`SELECT id, info, heartbeat_at FROM instances WHERE heartbeat_at >= ${this.nowSql} - ? ORDER BY started_at`, [timeoutMs]);
  }

  /** Takes or renews the lease `name` for `holder` for `ttlMs`; true when `holder` has it. */
  async lease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.db.tx(async (q) => {
      await q.run(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ${this.nowSql} + ?) ON CONFLICT (name) DO NOTHING`, [name, holder, ttlMs]);
      const n = await q.run(`UPDATE leases SET holder = ?, expires_at = ${this.nowSql} + ? WHERE name = ? AND (holder = ? OR expires_at < ${this.nowSql})`, [holder, ttlMs, name, holder]);
      return n > 0;
    });
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    return (await this.db.get<{ holder: string }>(`SELECT holder FROM leases WHERE name = ? AND expires_at >= ${this.nowSql}`, [name]))?.holder;
  }

  // ------------------------------------------------------------------ cursor and block hashes

  async cursor(scope: string, q: Queryable = this.db): Promise<{ block: bigint; hash: string | null } | undefined> {
    const r = await q.get<{ last_block: number; last_hash: string | null }>('SELECT last_block, last_hash FROM cursor WHERE scope = ?', [scope]);
    return r ? { block: BigInt(r.last_block), hash: r.last_hash } : undefined;
  }

  /** Sets the cursor only if nobody moved it since `expected` was read (undefined: none yet); true when set. */
  async moveCursor(q: Queryable, scope: string, expected: bigint | undefined, block: bigint, hash: string | null): Promise<boolean> {
    if (expected === undefined) {
      return (await q.run('INSERT INTO cursor (scope, last_block, last_hash, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (scope) DO NOTHING', [scope, block, hash, Date.now()])) > 0;
    }
    return (await q.run('UPDATE cursor SET last_block = ?, last_hash = ?, updated_at = ? WHERE scope = ? AND last_block = ?', [block, hash, Date.now(), scope, expected])) > 0;
  }

  async rememberBlocks(q: Queryable, scope: string, blocks: Map<bigint, string>): Promise<void> {
    for (const [number, hash] of blocks) {
      await q.run('INSERT INTO block_hashes (scope, number, hash) VALUES (?, ?, ?) ON CONFLICT (scope, number) DO UPDATE SET hash = excluded.hash', [scope, number, hash]);
    }
  }

  /** Remembered block hashes at or below `atOrBelow`, newest first. */
  async blockHashes(scope: string, atOrBelow: bigint, limit = 64): Promise<{ number: bigint; hash: string }[]> {
    const rows = await this.db.all<{ number: number; hash: string }>('SELECT number, hash FROM block_hashes WHERE scope = ? AND number <= ? ORDER BY number DESC LIMIT ?', [scope, atOrBelow, limit]);
    return rows.map((r) => ({ number: BigInt(r.number), hash: r.hash }));
  }

  /**
   * Undoes everything derived from blocks after `ancestor` (a reorg replaced them): outbox rows not
   * yet delivered are deleted — also those in flight, whose outcome then changes nothing — so the new
   * chain's events are derived again under the same keys; reminders and open messages from those
   * blocks go, settlements seen in them are forgotten, and the cursor returns to `ancestor`. Rows
   * already delivered (or in flight, which may have been) are reported.
   */
  async rewind(scope: string, from: bigint, ancestor: bigint, ancestorHash: string | null): Promise<{ deleted: number; alreadySent: { key: string; status: string; block_number: number }[] } | undefined> {
    return this.db.tx(async (q) => {
      const moved = await q.run('UPDATE cursor SET last_block = ?, last_hash = ?, updated_at = ? WHERE scope = ? AND last_block = ?', [ancestor, ancestorHash, Date.now(), scope, from]);
      if (!moved) return undefined;
      const alreadySent = await q.all<{ key: string; status: string; block_number: number }>(
        "SELECT key, status, block_number FROM outbox WHERE block_number > ? AND status IN ('sending', 'sent', 'failed') ORDER BY id",
        [ancestor],
      );
      const deleted = await q.run("DELETE FROM outbox WHERE block_number > ? AND status IN ('pending', 'sending', 'skipped')", [ancestor]);
      await q.run('DELETE FROM reminders WHERE block_number > ?', [ancestor]);
      await q.run('UPDATE reminders SET settled_block = NULL WHERE settled_block > ?', [ancestor]);
      await q.run('DELETE FROM open_messages WHERE block_number > ?', [ancestor]);
      await q.run('UPDATE open_messages SET settled_block = NULL WHERE settled_block > ?', [ancestor]);
      await q.run('DELETE FROM block_hashes WHERE scope = ? AND number > ?', [scope, ancestor]);
      return { deleted, alreadySent };
    });
  }

  // ------------------------------------------------------------------ subscriptions

  async hasNonce(nonce: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS n FROM nonces WHERE nonce = ?', [nonce])) !== undefined;
  }

  /** Records a used nonce (webhook requests); false when it was used already. */
  async useNonce(nonce: string, address: string, expiresAt: number): Promise<boolean> {
    return (await this.db.run('INSERT INTO nonces (nonce, address, expires_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING', [nonce, address, expiresAt])) > 0;
  }

  /**
   * Records a signed subscription request, all at once: its nonce, one confirmation email counted
   * against the address's daily cap (`emailKey`: an HMAC of the address), and the pending row, which
   * supersedes every older unconfirmed request for the same wallet address and topic.
   */
  async addPending(p: {
    address: string;
    topic: Topic;
    email: string;
    emailKey: string;
    tokenHash: string;
    nonce: string;
    nonceExpiresAt: number;
    now: number;
    expiresAt: number;
    perEmail: { max: number; windowMs: number };
  }): Promise<{ id: number } | 'nonce_used' | { quota: { retryAfterMs: number } }> {
    return this.db.tx(async (q) => {
      if (!(await q.run('INSERT INTO nonces (nonce, address, expires_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING', [p.nonce, p.address, p.nonceExpiresAt]))) return 'nonce_used';
      // One request at a time per email address (PostgreSQL; SQLite's write lock already serialises).
      if (this.dialect === 'postgres') await q.run('SELECT pg_advisory_xact_lock(hashtext(CAST(? AS text)))', [`email:${p.emailKey}`]);
      const since = p.now - p.perEmail.windowMs;
      const recent = await q.all<{ sent_at: number }>('SELECT sent_at FROM email_sends WHERE email_key = ? AND sent_at > ? ORDER BY sent_at', [p.emailKey, since]);
      if (recent.length >= p.perEmail.max) {
        throw new QuotaExceeded(recent[0]!.sent_at + p.perEmail.windowMs - p.now);
      }
      const row = await q.get<{ id: number }>(
        'INSERT INTO pending_subscriptions (address, topic, email, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
        [p.address, p.topic, p.email, p.tokenHash, p.now, p.expiresAt],
      );
      const id = Number(row!.id);
      await q.run(
        'UPDATE pending_subscriptions SET superseded_at = ?, superseded_by = ? WHERE address = ? AND topic = ? AND id <> ? AND confirmed_at IS NULL AND superseded_at IS NULL',
        [p.now, id, p.address, p.topic, id],
      );
      await q.run('INSERT INTO email_sends (email_key, sent_at, pending) VALUES (?, ?, ?)', [p.emailKey, p.now, id]);
      return { id };
    }).catch((e) => {
      if (e instanceof QuotaExceeded) return { quota: { retryAfterMs: Math.max(1000, e.retryAfterMs) } };
      throw e;
    });
  }

  /** Undoes addPending (the confirmation email could not be sent): as if the request never came. */
  async undoPending(id: number, nonce: string): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM pending_subscriptions WHERE id = ?', [id]);
      await q.run('UPDATE pending_subscriptions SET superseded_at = NULL, superseded_by = NULL WHERE superseded_by = ?', [id]);
      await q.run('DELETE FROM email_sends WHERE pending = ?', [id]);
      await q.run('DELETE FROM nonces WHERE nonce = ?', [nonce]);
    });
  }

  /** What a confirmation link stands for, without changing anything (the page a GET shows). */
  async pendingState(tokenHash: string, now: number): Promise<PendingState> {
    const p = await this.db.get<{ address: string; topic: Topic; email: string; expires_at: number; confirmed_at: number | null; superseded_at: number | null }>(
      'SELECT address, topic, email, expires_at, confirmed_at, superseded_at FROM pending_subscriptions WHERE token_hash = ?',
      [tokenHash],
    );
    if (!p) return { status: 'invalid' };
    if (p.confirmed_at !== null) return { status: 'confirmed', address: p.address, topic: p.topic, email: p.email, expiresAt: p.expires_at };
    if (p.superseded_at !== null) return { status: 'superseded' };
    if (p.expires_at < now) return { status: 'expired' };
    return { status: 'pending', address: p.address, topic: p.topic, email: p.email, expiresAt: p.expires_at };
  }

  /** The POST from the confirmation page: only the newest, unexpired request for its address and topic confirms. */
  async confirm(tokenHash: string, now: number, newUnsubId: () => string): Promise<ConfirmResult> {
    return this.db.tx(async (q) => {
      const p = await q.get<{ id: number; address: string; topic: Topic; email: string; expires_at: number; confirmed_at: number | null; superseded_at: number | null }>(
        `SELECT id, address, topic, email, expires_at, confirmed_at, superseded_at FROM pending_subscriptions WHERE token_hash = ?${this.dialect === 'postgres' ? ' FOR UPDATE' : ''}`,
        [tokenHash],
      );
      if (!p) return { status: 'invalid' } as const;
      if (p.confirmed_at !== null) return { status: 'already', address: p.address, topic: p.topic, email: p.email } as const;
      if (p.superseded_at !== null) return { status: 'superseded' } as const;
      if (p.expires_at < now) return { status: 'expired' } as const;
      await q.run('UPDATE pending_subscriptions SET confirmed_at = ? WHERE id = ?', [now, p.id]);
      await q.run(
        'UPDATE pending_subscriptions SET superseded_at = ?, superseded_by = ? WHERE address = ? AND topic = ? AND id <> ? AND confirmed_at IS NULL AND superseded_at IS NULL',
        [now, p.id, p.address, p.topic, p.id],
      );
      await q.run(
        'INSERT INTO subscriptions (address, topic, email, unsub_id, confirmed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (address, topic) DO UPDATE SET email = excluded.email, unsub_id = excluded.unsub_id, confirmed_at = excluded.confirmed_at',
        [p.address, p.topic, p.email, newUnsubId(), now],
      );
      return { status: 'confirmed', address: p.address, topic: p.topic, email: p.email } as const;
    });
  }

  async subscription(address: string, topic: Topic): Promise<Subscription | undefined> {
    return this.db.get<Subscription>('SELECT * FROM subscriptions WHERE address = ? AND topic = ?', [address, topic]);
  }

  async subscriptionsById(ids: number[]): Promise<Map<number, Subscription>> {
    const out = new Map<number, Subscription>();
    for (const chunk of chunks(ids, 500)) {
      for (const s of await this.db.all<Subscription>(`SELECT * FROM subscriptions WHERE id IN (${marks(chunk.length)})`, chunk)) out.set(Number(s.id), s);
    }
    return out;
  }

  async subscriptionByUnsub(unsubId: string): Promise<Subscription | undefined> {
    return this.db.get<Subscription>('SELECT * FROM subscriptions WHERE unsub_id = ?', [unsubId]);
  }

  /**
   * One-click unsubscribe: the mailbox of this subscription leaves the notifier — every subscription
   * that mails it (any wallet, any topic; the address compared as canonicalEmail does: case, `+tag`,
   * Gmail dots), every pending request naming it; the outbox rows of those subscriptions still to be
   * sent are dropped and the server replies kept on the sent ones (which may quote the address) are
   * erased. Returns the subscriptions removed.
   */
  async unsubscribe(unsubId: string, now = Date.now()): Promise<number> {
    return this.db.tx(async (q) => {
      const sub = await q.get<{ email: string }>('SELECT email FROM subscriptions WHERE unsub_id = ?', [unsubId]);
      if (!sub) return 0;
      const mailbox = canonicalEmail(sub.email);
      const sameMailbox = async (table: string) => {
        const rows: { id: number; email: string }[] = [];
        for (const domain of mailboxDomains(sub.email)) {
          rows.push(...(await q.all<{ id: number; email: string }>(`SELECT id, email FROM ${table} WHERE lower(email) LIKE ? ESCAPE '!'`, [`%@${domain.replace(/[!%_]/g, '!$&')}`])));
        }
        return rows.filter((r) => canonicalEmail(r.email) === mailbox).map((r) => String(r.id));
      };
      const ids = await sameMailbox('subscriptions');
      for (const chunk of chunks(ids, 500)) {
        const m = marks(chunk.length);
        await q.run(`UPDATE outbox SET status = 'skipped', last_error = 'unsubscribed', updated_at = ? WHERE channel = 'email' AND status = 'pending' AND target IN (${m})`, [now, ...chunk]);
        await q.run(`UPDATE outbox SET response = NULL, last_error = NULL WHERE channel = 'email' AND target IN (${m}) AND status <> 'sending'`, chunk);
      }
      for (const chunk of chunks(await sameMailbox('pending_subscriptions'), 500)) await q.run(`DELETE FROM pending_subscriptions WHERE id IN (${marks(chunk.length)})`, chunk);
      let removed = 0;
      for (const chunk of chunks(ids, 500)) removed += await q.run(`DELETE FROM subscriptions WHERE id IN (${marks(chunk.length)})`, chunk);
      return removed;
    });
  }

  // ------------------------------------------------------------------ webhooks

  async addWebhook(w: { id: string; address: string; url: string; secret: string; now: number; max: number }): Promise<Webhook | 'too_many'> {
    return this.db.tx(async (q) => {
      if (this.dialect === 'postgres') await q.run('SELECT pg_advisory_xact_lock(hashtext(CAST(? AS text)))', [`webhooks:${w.address}`]);
      const existing = await q.get<Webhook>('SELECT * FROM webhooks WHERE address = ? AND url = ?', [w.address, w.url]);
      if (existing) {
        // Registering again re-enables it and issues a new secret (the old one may be lost).
        await q.run('UPDATE webhooks SET secret = ?, disabled_at = NULL WHERE id = ?', [w.secret, existing.id]);
        return { ...existing, secret: w.secret, disabled_at: null };
      }
      const n = (await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhooks WHERE address = ?', [w.address]))!.n;
      if (Number(n) >= w.max) return 'too_many' as const;
      await q.run('INSERT INTO webhooks (id, address, url, secret, created_at) VALUES (?, ?, ?, ?, ?)', [w.id, w.address, w.url, w.secret, w.now]);
      return { id: w.id, address: w.address, url: w.url, secret: w.secret, created_at: w.now, disabled_at: null };
    });
  }

  /** Removes the endpoint; its deliveries still to be made are dropped. */
  async removeWebhook(address: string, url: string, now = Date.now()): Promise<boolean> {
    return this.db.tx(async (q) => {
      const w = await q.get<{ id: string }>('SELECT id FROM webhooks WHERE address = ? AND url = ?', [address, url]);
      if (!w) return false;
      await q.run("UPDATE outbox SET status = 'skipped', last_error = 'endpoint removed', updated_at = ? WHERE channel = 'webhook' AND status = 'pending' AND target = ?", [now, w.id]);
      await q.run('DELETE FROM webhooks WHERE id = ?', [w.id]);
      return true;
    });
  }

  async webhooksOf(address: string): Promise<Webhook[]> {
    return this.db.all<Webhook>('SELECT * FROM webhooks WHERE address = ? ORDER BY created_at', [address]);
  }

  async webhooksById(ids: string[]): Promise<Map<string, Webhook>> {
    const out = new Map<string, Webhook>();
    for (const chunk of chunks(ids, 500)) {
      for (const w of await this.db.all<Webhook>(`SELECT * FROM webhooks WHERE id IN (${marks(chunk.length)})`, chunk)) out.set(w.id, w);
    }
    return out;
  }

  async disableWebhook(id: string, now = Date.now()): Promise<void> {
    await this.db.run('UPDATE webhooks SET disabled_at = ? WHERE id = ?', [now, id]);
  }

  // ------------------------------------------------------------------ inside a window's transaction

  async subscriptionsFor(q: Queryable, addresses: string[]): Promise<Subscription[]> {
    const out: Subscription[] = [];
    for (const chunk of chunks(addresses, 500)) out.push(...(await q.all<Subscription>(`SELECT * FROM subscriptions WHERE address IN (${marks(chunk.length)})`, chunk)));
    return out;
  }

  async webhooksFor(q: Queryable, addresses: string[]): Promise<Webhook[]> {
    const out: Webhook[] = [];
    for (const chunk of chunks(addresses, 500)) {
      out.push(...(await q.all<Webhook>(`SELECT * FROM webhooks WHERE disabled_at IS NULL AND address IN (${marks(chunk.length)})`, chunk)));
    }
    return out;
  }

  /** Inserts outbox rows whose key is new; returns how many were inserted. */
  async enqueue(q: Queryable, rows: NewOutboxRow[], now = Date.now()): Promise<number> {
    let n = 0;
    for (const chunk of chunks(rows, 100)) {
      const values = chunk.map(() => "(?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)").join(', ');
      const params: Param[] = chunk.flatMap((r) => [r.key, r.channel, r.kind, r.target, r.eventId, r.payload, now, now, now, r.blockNumber, r.blockHash ?? null]);
      n += await q.run(`INSERT INTO outbox ${OUTBOX_COLUMNS} VALUES ${values} ON CONFLICT (key) DO NOTHING`, params);
    }
    return n;
  }

  async scheduleReminders(q: Queryable, rows: { messageId: bigint; recipient: string; sender: string; amount: bigint; deadline: bigint; dueAt: bigint; blockNumber: bigint }[]): Promise<void> {
    for (const chunk of chunks(rows, 100)) {
      await q.run(
        `INSERT INTO reminders (message_id, recipient, sender, amount, deadline, due_at, block_number) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (message_id) DO NOTHING`,
        chunk.flatMap((r) => [r.messageId.toString(), r.recipient, r.sender, r.amount.toString(), r.deadline, r.dueAt, r.blockNumber]),
      );
    }
  }

  async openMessages(q: Queryable, rows: { messageId: bigint; deadline: bigint; blockNumber: bigint }[]): Promise<void> {
    for (const chunk of chunks(rows, 150)) {
      await q.run(
        `INSERT INTO open_messages (message_id, deadline, block_number) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT (message_id) DO NOTHING`,
        chunk.flatMap((r) => [r.messageId.toString(), r.deadline, r.blockNumber]),
      );
    }
  }

  /** A reply or refund in `block` settles these messages: no reminder, nothing for the keeper (undone by a rewind). */
  async settle(q: Queryable, settled: { messageId: bigint; blockNumber: bigint }[]): Promise<void> {
    for (const s of settled) {
      await q.run('UPDATE reminders SET settled_block = ? WHERE message_id = ? AND settled_block IS NULL', [s.blockNumber, s.messageId.toString()]);
      await q.run('UPDATE open_messages SET settled_block = ? WHERE message_id = ? AND settled_block IS NULL', [s.blockNumber, s.messageId.toString()]);
    }
  }

  // ------------------------------------------------------------------ reminders and the keeper's list

  async dueReminders(chainNowSec: bigint, limit = 100): Promise<ReminderRow[]> {
    return this.db.all<ReminderRow>('SELECT * FROM reminders WHERE settled_block IS NULL AND due_at <= ? ORDER BY due_at, message_id LIMIT ?', [chainNowSec, limit]);
  }

  async dropReminders(q: Queryable, ids: string[]): Promise<void> {
    for (const chunk of chunks(ids, 500)) await q.run(`DELETE FROM reminders WHERE message_id IN (${marks(chunk.length)})`, chunk);
  }

  /** Messages whose deadline passed (chain time) and that nobody settled yet, the keeper's next batch. */
  async refundable(chainNowSec: bigint, now: number, limit: number): Promise<{ message_id: string; deadline: number; keeper_attempts: number }[]> {
    return this.db.all(
      'SELECT message_id, deadline, keeper_attempts FROM open_messages WHERE settled_block IS NULL AND deadline <= ? AND keeper_next_at <= ? ORDER BY deadline, message_id LIMIT ?',
      [chainNowSec, now, limit],
    );
  }

  async countRefundable(chainNowSec: bigint): Promise<number> {
    return Number((await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM open_messages WHERE settled_block IS NULL AND deadline <= ?', [chainNowSec]))?.n ?? 0);
  }

  /** The keeper found these settled on chain already (by someone else): forget them. */
  async forgetOpen(ids: string[]): Promise<void> {
    for (const chunk of chunks(ids, 500)) await this.db.run(`DELETE FROM open_messages WHERE message_id IN (${marks(chunk.length)})`, chunk);
  }

  /** Refunded (or being refunded): not picked again before `nextAt` (the watcher settles them meanwhile). */
  async deferOpen(ids: string[], nextAt: number): Promise<void> {
    for (const chunk of chunks(ids, 500)) await this.db.run(`UPDATE open_messages SET keeper_next_at = ? WHERE message_id IN (${marks(chunk.length)})`, [nextAt, ...chunk]);
  }

  /** A refund attempt for these failed: try again after `nextAt`, at most `maxAttempts` times in all. */
  async keeperFailed(ids: string[], nextAt: number, maxAttempts: number): Promise<string[]> {
    const gaveUp: string[] = [];
    await this.db.tx(async (q) => {
      for (const id of ids) {
        await q.run('UPDATE open_messages SET keeper_attempts = keeper_attempts + 1, keeper_next_at = ? WHERE message_id = ?', [nextAt, id]);
        const r = await q.get<{ keeper_attempts: number }>('SELECT keeper_attempts FROM open_messages WHERE message_id = ?', [id]);
        if (r && r.keeper_attempts >= maxAttempts) {
          gaveUp.push(id);
          // Far in the future: an operator sees it in /v1/status; a restart does not retry it.
          await q.run('UPDATE open_messages SET keeper_next_at = ? WHERE message_id = ?', [Number.MAX_SAFE_INTEGER, id]);
        }
      }
    });
    return gaveUp;
  }

  // ------------------------------------------------------------------ the outbox

  /** Claims up to `limit` due rows of `channel` for `instance` (skipping rows other instances hold). */
  async claim(channel: Channel, instance: string, now: number, limit: number): Promise<OutboxRow[]> {
    const lock = this.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.db.all<OutboxRow>(
      `UPDATE outbox SET status = 'sending', claimed_by = ?, updated_at = ?
       WHERE id IN (SELECT id FROM outbox WHERE channel = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?${lock})
       RETURNING *`,
      [instance, now, channel, now, limit],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) })).sort((a, b) => a.id - b.id);
  }

  async nextDueAt(channel: Channel): Promise<number | undefined> {
    const r = await this.db.get<{ t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM outbox WHERE channel = ? AND status = 'pending'", [channel]);
    return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
  }

  /**
   * Records the outcome of several deliveries by `instance` in one transaction (group commit). Only
   * rows this instance still holds change: a row another instance took over (this one stalled past
   * --instance-timeout and was counted dead) is left to its new holder.
   */
  async mark(marksList: Mark[], instance: string, now = Date.now()): Promise<void> {
    if (marksList.length === 0) return;
    await this.db.tx(async (q) => {
      for (const m of marksList) {
        switch (m.outcome) {
          case 'sent':
            await q.run(
              "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, updated_at = ?, response = ?, last_error = NULL WHERE id = ? AND status = 'sending' AND claimed_by = ?",
              [now, now, m.response.slice(0, 500), m.id, instance],
            );
            break;
          case 'retry':
            await q.run(
              "UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?, updated_at = ?, last_error = ?, claimed_by = NULL WHERE id = ? AND status = 'sending' AND claimed_by = ?",
              [m.nextAttemptAt, now, m.error.slice(0, 1000), m.id, instance],
            );
            break;
          case 'failed':
            await q.run("UPDATE outbox SET status = 'failed', attempts = attempts + 1, updated_at = ?, last_error = ?, claimed_by = NULL WHERE id = ? AND status = 'sending' AND claimed_by = ?", [
              now,
              m.error.slice(0, 1000),
              m.id,
              instance,
            ]);
            break;
          case 'skipped':
            await q.run("UPDATE outbox SET status = 'skipped', updated_at = ?, last_error = ?, claimed_by = NULL WHERE id = ? AND status = 'sending' AND claimed_by = ?", [now, m.reason.slice(0, 1000), m.id, instance]);
            break;
          case 'release':
            await q.run("UPDATE outbox SET status = 'pending', claimed_by = NULL WHERE id = ? AND status = 'sending' AND claimed_by = ?", [m.id, instance]);
            break;
        }
      }
    });
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

class QuotaExceeded extends Error {
  constructor(readonly retryAfterMs: number) {
    super('quota');
  }
}

export function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
