/**
 * The outbox rows: enqueue (inside a window's transaction, idempotent by key), claim by instance
 * (`FOR UPDATE SKIP LOCKED` on PostgreSQL), the next due time, and marking outcomes in one group commit.
 */
import type { Param, Queryable } from './driver.js';
import { chunks } from './base.js';
import { WebhookStore } from './webhooks.js';

export type Channel = 'email' | 'webhook';
export type NotificationKind = 'message' | 'reply' | 'refund' | 'follow-up' | 'reminder';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

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

export type Mark =
  | { id: number; outcome: 'sent'; response: string }
  | { id: number; outcome: 'retry'; nextAttemptAt: number; error: string }
  | { id: number; outcome: 'failed'; error: string }
  | { id: number; outcome: 'skipped'; reason: string }
  | { id: number; outcome: 'release' };

const OUTBOX_COLUMNS = '(key, channel, kind, target, event_id, payload, status, attempts, next_attempt_at, created_at, updated_at, block_number, block_hash)';

export class OutboxStore extends WebhookStore {
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
}
