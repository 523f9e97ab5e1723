/** In-memory token buckets, one per key (client IP, address). */
import type { RateLimit } from './config.js';

export class TokenBuckets {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #maxKeys: number;

  constructor(limit: RateLimit, maxKeys = 100_000) {
    this.#capacity = limit.capacity;
    this.#refillPerMs = limit.capacity / limit.perMs;
    this.#maxKeys = maxKeys;
  }

  /** Takes one token for `key`; when none is left, says after how many seconds one will be. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSec: number } {
    let b = this.#buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.#capacity, b.tokens + (now - b.at) * this.#refillPerMs);
      b.at = now;
    } else {
      if (this.#buckets.size >= this.#maxKeys) this.#sweep(now);
      b = { tokens: this.#capacity, at: now };
      this.#buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / this.#refillPerMs / 1000)) };
  }

  /** Drops buckets that are full again (they hold no information). */
  #sweep(now: number) {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#refillPerMs >= this.#capacity) this.#buckets.delete(k);
    }
    if (this.#buckets.size >= this.#maxKeys) this.#buckets.clear();
  }
}
