/**
 * Reminders and the keeper's list of open messages: scheduled and settled inside a window's
 * transaction (the watcher), read and retired by the outbox loop and the keeper.
 */
import type { Queryable } from './driver.js';
import { chunks, marks } from './base.js';
import { OutboxStore } from './outbox.js';

export interface ReminderRow {
  message_id: string;
  recipient: string;
  sender: string;
  amount: string;
  deadline: number;
  due_at: number;
  block_number: number;
}

export class ReminderStore extends OutboxStore {
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
}
