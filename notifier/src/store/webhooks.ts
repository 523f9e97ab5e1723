/**
 * Webhook endpoints: registration (capped per address; registering again re-enables and re-keys),
 * removal (dropping deliveries still to be made), lookups and disabling.
 */
import type { Queryable } from './driver.js';
import { chunks, marks } from './base.js';
import { SubscriptionStore } from './subscriptions.js';

export interface Webhook {
  id: string;
  address: string;
  url: string;
  secret: string;
  created_at: number;
  disabled_at: number | null;
}

export class WebhookStore extends SubscriptionStore {
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

  /** Inside a window's transaction (the watcher). */
  async webhooksFor(q: Queryable, addresses: string[]): Promise<Webhook[]> {
    const out: Webhook[] = [];
    for (const chunk of chunks(addresses, 500)) {
      out.push(...(await q.all<Webhook>(`SELECT * FROM webhooks WHERE disabled_at IS NULL AND address IN (${marks(chunk.length)})`, chunk)));
    }
    return out;
  }
}
