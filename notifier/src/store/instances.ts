/**
 * Instances and leases: each instance registers and beats; claims held by one that stopped beating
 * go back to `pending` (reclaim); the watcher and the keeper run under a lease, one instance at a time.
 */
import { StoreBase } from './base.js';

export class InstanceStore extends StoreBase {
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
}
