/**
 * The chain cursor (moved only by compare-and-set), the block hashes remembered to detect a reorg,
 * and the rewind that undoes what was derived from the blocks a reorg replaced.
 */
import type { Queryable } from './driver.js';
import { InstanceStore } from './instances.js';

export class ChainStore extends InstanceStore {
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
}
