/** In-memory token buckets, one per key (client network, address). */
import { isIP } from 'node:net';
import type { RateLimit } from './config.js';

/**
 * The rate-limit key of a client IP: an IPv4 address as is, an IPv6 address by its /64 (one
 * subscriber line or host usually holds a whole /64, so counting /128s would let it multiply its
 * allowance by 2^64). IPv4-mapped IPv6 addresses count as the IPv4 address.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('%')[0]!.split('::') as [string, string?];
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::1.2.3.4) is two groups; it only matters for the last 64 bits, dropped here.
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length - (right.some((g) => g.includes('.')) ? 1 : 0)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

export class TokenBuckets {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  /** In order of last use (a key used again moves to the end): the first is the least recently used. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #maxKeys: number;

  constructor(limit: RateLimit, maxKeys = 100_000) {
    this.#capacity = limit.capacity;
    this.#refillPerMs = limit.capacity / limit.perMs;
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token for `key`; when none is left, says after how many seconds one will be. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSec: number } {
    let b = this.#buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.#capacity, b.tokens + (now - b.at) * this.#refillPerMs);
      b.at = now;
      this.#buckets.delete(key);
      this.#buckets.set(key, b);
    } else {
      while (this.#buckets.size >= this.#maxKeys) this.#evict();
      b = { tokens: this.#capacity, at: now };
      this.#buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / this.#refillPerMs / 1000)) };
  }

  /**
   * Makes room by dropping the least recently used bucket (O(1)): a flood of new keys pushes out
   * the oldest ones — most of them full again by then — never every bucket at once, so it cannot
   * reset the buckets of the clients being limited right now.
   */
  #evict() {
    const oldest = this.#buckets.keys().next();
    if (!oldest.done) this.#buckets.delete(oldest.value);
  }
}
