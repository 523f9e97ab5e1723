/**
 * Email subscriptions: request nonces, signed requests pending confirmation (with the per-mailbox
 * daily cap), confirmation, lookups, and the one-click unsubscribe of a whole mailbox.
 */
import type { Queryable } from './driver.js';
import { canonicalEmail, mailboxDomains } from './mailbox.js';
import { chunks, marks } from './base.js';
import { ChainStore } from './chain.js';

export type Topic = 'inbox' | 'outbox';

export interface Subscription {
  id: number;
  address: string;
  topic: Topic;
  email: string;
  unsub_id: string;
  confirmed_at: number;
}

export type PendingState =
  | { status: 'pending' | 'confirmed'; address: string; topic: Topic; email: string; expiresAt: number }
  | { status: 'expired' | 'superseded' | 'invalid' };

export type ConfirmResult =
  | { status: 'confirmed' | 'already'; address: string; topic: Topic; email: string }
  | { status: 'expired' | 'superseded' | 'invalid' };

export class SubscriptionStore extends ChainStore {
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

  /** Inside a window's transaction (the watcher). */
  async subscriptionsFor(q: Queryable, addresses: string[]): Promise<Subscription[]> {
    const out: Subscription[] = [];
    for (const chunk of chunks(addresses, 500)) out.push(...(await q.all<Subscription>(`SELECT * FROM subscriptions WHERE address IN (${marks(chunk.length)})`, chunk)));
    return out;
  }
}

class QuotaExceeded extends Error {
  constructor(readonly retryAfterMs: number) {
    super('quota');
  }
}
