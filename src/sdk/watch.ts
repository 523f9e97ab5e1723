/**
 * The contract's events that concern an account, read in ≤ 1024-block windows (Harmony's limit),
 * and a watch that polls for new blocks with backoff while the RPC is down.
 */
import type { Address } from 'viem';
import { getBlockNumber, getLogs } from 'viem/actions';
import { getAbiItem } from 'viem/utils';
import { paidChatAbi } from './generated/paid-chat.js';
import { logWindows, withRetry } from './rpc.js';
import type { ReadContext } from './pages.js';
import type { ChatEvent } from './types.js';
import { toPaidChatError } from './revert.js';
import type { PaidChatError } from './errors.js';

const EVENTS = ['MessageSent', 'MessageReplied', 'MessageRefunded', 'FollowUpPosted', 'ThreadClosed', 'InboxKeyAdded', 'BlockChanged', 'HiddenChanged'] as const;

function toEvent(l: any): ChatEvent | undefined {
  const base = { blockNumber: l.blockNumber as bigint, txHash: l.transactionHash };
  const a = l.args;
  switch (l.eventName) {
    case 'MessageSent':
      return { type: 'message', id: a.id, thread: Number(a.thread), sender: a.sender, recipient: a.recipient, amount: a.amount, deadline: a.deadline, ...base };
    case 'MessageReplied':
      return { type: 'reply', id: a.id, thread: Number(a.thread), sender: a.sender, recipient: a.recipient, payout: a.payout, fee: a.fee, ...base };
    case 'MessageRefunded':
      return { type: 'refund', id: a.id, sender: a.sender, recipient: a.recipient, amount: a.amount, ...base };
    case 'FollowUpPosted':
      return { type: 'follow-up', thread: Number(a.thread), index: Number(a.index), author: a.author, reader: a.reader, payout: a.payout, fee: a.fee, ...base };
    case 'ThreadClosed':
      return { type: 'thread-closed', thread: Number(a.thread), by: a.by, ...base };
    case 'InboxKeyAdded':
      return { type: 'inbox-key', account: a.account, keyId: Number(a.keyId), ...base };
    case 'BlockChanged':
      return { type: 'block-changed', account: a.account, sender: a.sender, blocked: a.blocked, ...base };
    case 'HiddenChanged':
      return { type: 'hidden-changed', account: a.account, ids: [...a.ids], hidden: a.hidden, ...base };
    default:
      return undefined;
  }
}

/**
 * Events in [fromBlock, toBlock], oldest first. With `account`: those where it sends, receives,
 * writes or reads, its own key changes, blocks it makes or meets, its hidden messages, and the
 * closing of its threads (`threads`).
 */
export async function readEvents(
  ctx: ReadContext,
  opts: { account?: Address; threads?: number[]; fromBlock: bigint; toBlock: bigint },
): Promise<ChatEvent[]> {
  const byName = (name: (typeof EVENTS)[number]) => getAbiItem({ abi: paidChatAbi, name });
  const out: ChatEvent[] = [];
  for (const [fromBlock, toBlock] of logWindows(opts.fromBlock, opts.toBlock)) {
    const q = (event: any, args?: Record<string, unknown>) =>
      withRetry(() => getLogs(ctx.reader, { address: ctx.contract, event, args, fromBlock, toBlock } as any), ctx.retry);
    const a = opts.account;
    const queries = a
      ? [
          q(byName('MessageSent'), { sender: a }),
          q(byName('MessageSent'), { recipient: a }),
          q(byName('MessageReplied'), { sender: a }),
          q(byName('MessageReplied'), { recipient: a }),
          q(byName('MessageRefunded'), { sender: a }),
          q(byName('MessageRefunded'), { recipient: a }),
          q(byName('FollowUpPosted'), { author: a }),
          q(byName('FollowUpPosted'), { reader: a }),
          q(byName('InboxKeyAdded'), { account: a }),
          q(byName('BlockChanged'), { account: a }),
          q(byName('BlockChanged'), { sender: a }),
          q(byName('HiddenChanged'), { account: a }),
          ...(opts.threads?.length ? [q(byName('ThreadClosed'), { thread: opts.threads })] : []),
        ]
      : [withRetry(() => getLogs(ctx.reader, { address: ctx.contract, events: EVENTS.map(byName), fromBlock, toBlock } as any), ctx.retry)];
    const seen = new Set<string>();
    const logs = (await Promise.all(queries))
      .flat()
      .filter((l: any) => {
        const k = `${l.transactionHash}:${l.logIndex}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      })
      .sort((x: any, y: any) => (x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1));
    for (const l of logs) {
      const e = toEvent(l);
      if (e) out.push(e);
    }
  }
  return out;
}

export interface WatchOptions {
  account?: Address;
  threads?: () => number[];
  fromBlock?: bigint;
  /** Time between polls while all is well (default: the chain's polling interval). */
  pollingIntervalMs?: number;
  /** Longest wait between polls while the RPC fails (default 30 s); the wait doubles from the interval. */
  maxBackoffMs?: number;
  /**
   * When more blocks than this are behind (a tab that slept, say), skip them and call `onGap`
   * instead of reading their events in ≤ 1024-block windows (default: read everything).
   */
  maxCatchUpBlocks?: bigint;
  onEvent: (e: ChatEvent) => void;
  /** A poll failed; the next one is in `retryInMs` (doubling from the interval up to `maxBackoffMs`). */
  onError?: (e: PaidChatError, info: { failures: number; retryInMs: number }) => void;
  /** Called after each successful poll (e.g. to clear a "connection lost" notice). */
  onPoll?: (head: bigint) => void;
  /** Blocks `from`..`to` were skipped (see `maxCatchUpBlocks`): whatever shows them should be read again. */
  onGap?: (from: bigint, to: bigint) => void;
}

export interface WatchHandle {
  stop: () => void;
  /** Polls at once (and again at the usual interval after that), e.g. when a hidden tab shows again. */
  pollNow: () => void;
}

/** Polls for new blocks and reports new events; returns a handle that stops it or polls now. */
export function watchEvents(ctx: ReadContext, opts: WatchOptions): WatchHandle {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let next = opts.fromBlock;
  let failures = 0;
  const interval = opts.pollingIntervalMs ?? ctx.reader.pollingInterval;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  let running = false;
  let again = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, ms);
  };
  const tick = async () => {
    if (stopped) return;
    if (running) {
      again = true; // asked to poll while a poll runs: poll once more right after it
      return;
    }
    running = true;
    try {
      const head = await getBlockNumber(ctx.reader, { cacheTime: 0 });
      if (next === undefined) next = head + 1n;
      if (opts.maxCatchUpBlocks !== undefined && head >= next && head - next + 1n > opts.maxCatchUpBlocks) {
        const from = next;
        next = head + 1n;
        opts.onGap?.(from, head);
      }
      if (head >= next) {
        for (const e of await readEvents(ctx, { account: opts.account, threads: opts.threads?.(), fromBlock: next, toBlock: head })) {
          if (stopped) return;
          opts.onEvent(e);
        }
        next = head + 1n;
      }
      failures = 0;
      if (!stopped) opts.onPoll?.(head);
    } catch (e) {
      failures++;
      if (!stopped) opts.onError?.(toPaidChatError(e), { failures, retryInMs: Math.min(maxBackoff, interval * 2 ** failures) });
    } finally {
      running = false;
    }
    if (again && failures === 0) {
      again = false;
      schedule(0);
      return;
    }
    again = false;
    schedule(failures === 0 ? interval : Math.min(maxBackoff, interval * 2 ** failures));
  };
  schedule(0);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    pollNow: () => schedule(0),
  };
}
