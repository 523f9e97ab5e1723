/**
 * Reading from the chain the way Harmony needs it: one batched HTTP transport, bounded retries
 * with exponential backoff that the caller can show, and log queries paged in ≤ 1024-block windows.
 */
import {
  createClient,
  http,
  HttpRequestError,
  TimeoutError,
  RpcRequestError,
  type Chain,
  type Client,
  type Transport,
} from 'viem';
import { PaidChatError } from './errors.js';

/** Harmony's eth_getLogs refuses ranges wider than this many blocks. */
export const MAX_LOG_RANGE = 1024n;

export interface RetryInfo {
  attempt: number;
  attempts: number;
  delayMs: number;
  error: unknown;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 4. */
  attempts?: number;
  /** First backoff delay; doubles each time. Default 250 ms. */
  baseDelayMs?: number;
  onRetry?: (info: RetryInfo) => void;
}

export function createReadClient(chain: Chain, transport?: Transport): Client<Transport, Chain> {
  const url = chain.rpcUrls.default.http[0];
  return createClient({
    chain,
    // viem's own retries are off: `withRetry` below retries and reports each attempt.
    transport: transport ?? http(url, { batch: { batchSize: 100, wait: 0 }, retryCount: 0, timeout: 15_000 }),
    pollingInterval: chain.id === 31_337 ? 250 : 2_000,
  });
}

/** True for failures of the transport (unreachable, timeout, 5xx), not for answers the node gave. */
export function isTransportError(e: unknown): boolean {
  let cur: any = e;
  for (let i = 0; cur && i < 8; i++) {
    if (cur instanceof HttpRequestError) return cur.status === undefined || cur.status >= 500 || cur.status === 429;
    if (cur instanceof TimeoutError) return true;
    if (cur instanceof RpcRequestError) return false;
    if (cur instanceof TypeError && /fetch|network/i.test(String(cur.message))) return true;
    if (cur?.code === 'ECONNREFUSED' || cur?.code === 'ECONNRESET') return true;
    cur = cur.cause;
  }
  return false;
}

export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy = {}, what = 'the RPC'): Promise<T> {
  const attempts = policy.attempts ?? 4;
  const base = policy.baseDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransportError(e)) throw e;
      if (attempt >= attempts) {
        throw new PaidChatError(
          'RPC_UNAVAILABLE',
          `Can't reach ${what} (tried ${attempts} times with backoff). Check your connection or the rpc-url setting, then try again.`,
          { attempts },
          { cause: e },
        );
      }
      const delayMs = base * 2 ** (attempt - 1);
      policy.onRetry?.({ attempt, attempts, delayMs, error: e });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

/** Splits [from, to] (inclusive) into windows of at most MAX_LOG_RANGE blocks. */
export function logWindows(from: bigint, to: bigint, max = MAX_LOG_RANGE): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  for (let start = from; start <= to; start += max) {
    const end = start + max - 1n < to ? start + max - 1n : to;
    out.push([start, end]);
  }
  return out;
}

/**
 * Groups block numbers into few ranges for eth_getLogs: neighbours closer than `gap` blocks share
 * a query, no range is wider than MAX_LOG_RANGE.
 */
export function blockClusters(blocks: Iterable<bigint>, gap = 16n): [bigint, bigint][] {
  const sorted = [...new Set(blocks)].filter((b) => b > 0n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last && b - last[1] <= gap && b - last[0] < MAX_LOG_RANGE) last[1] = b;
    else out.push([b, b]);
  }
  return out;
}
