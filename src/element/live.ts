/**
 * Live updates: follows new blocks through the SDK's watch (polling, with backoff while the RPC is
 * down) and refreshes only what an event changed — one message, the newest page of one
 * conversation, a hidden or blocked flag — so that a new message, reply or follow-up shows within
 * about a poll and a round trip of being mined, without a reload.
 *
 * - A hidden tab stops polling (`document.visibilityState`); when it shows again the watch reads
 *   the events it missed (or, after a long absence, reads the view again).
 * - A dropped RPC is retried with a growing wait and shown in the `live` line ("Reconnecting in
 *   8 s…"); when it answers again the line clears and the events of the outage arrive.
 */
import type { ChatEvent } from '../sdk/types.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { shortAddress } from '../sdk/address.js';
import { HarmonyMessageReceivedEvent, type HarmonyMessageReceivedDetail } from './events.js';

/** Polling interval on Harmony (a block every ~2 s) and on the local test chain. */
export const POLL_MS = { harmony: 2_000, local: 1_000 };
/** Longest wait between attempts while the RPC is down. */
export const MAX_BACKOFF_MS = 30_000;
/** After a longer absence than this many blocks, read the view again instead of every event. */
export const MAX_CATCH_UP_BLOCKS = 600n;

export type LiveState = 'off' | 'live' | 'paused' | 'offline';

type Target =
  | { kind: 'conversation' }
  | { kind: 'thread'; visitor: string }
  | { kind: 'message'; id: bigint }
  | { kind: 'new-message'; id: bigint; txHash: `0x${string}` }
  | { kind: 'all' };

const lower = (a: string) => a.toLowerCase();

export class Live {
  state: LiveState = 'off';
  /** While offline: when the next attempt is (ms since epoch) and how many failed. */
  retryAt?: number;
  failures = 0;
  /** The last block seen by a successful poll. */
  head?: bigint;
  /** Transactions this tab sent (their effects are read by the action itself). */
  readonly ownTx = new Set<string>();

  readonly #c: ChatController;
  #watch?: { stop(): void; pollNow(): void };
  #wanted = false;
  #pending = new Map<string, Target>();
  #flush?: ReturnType<typeof setTimeout>;
  #countdown?: ReturnType<typeof setInterval>;
  #listening = false;
  #retries = 0;

  constructor(c: ChatController) {
    this.#c = c;
  }

  get interval(): number {
    return this.#c.chat.chain.id === 31_337 ? POLL_MS.local : POLL_MS.harmony;
  }

  /** Follows the chain for the connected account (while the page shows the widget). */
  start(): void {
    this.#wanted = true;
    this.#listen();
    if (globalThis.document?.visibilityState === 'hidden') {
      this.state = 'paused';
      return;
    }
    this.#startWatch();
  }

  /** Stops following the chain (another account, another network, the element left the page). */
  stop(): void {
    this.#wanted = false;
    this.#stopWatch();
    this.#unlisten();
    this.state = 'off';
    this.head = undefined;
    this.#pending.clear();
    if (this.#flush) clearTimeout(this.#flush);
    this.#flush = undefined;
    this.#clearOffline();
  }

  get watching(): boolean {
    return this.#wanted;
  }

  /** Poll at once (e.g. right after this tab sent something). */
  pollNow(): void {
    this.#watch?.pollNow();
  }

  #startWatch(): void {
    const c = this.#c;
    const account = c.session.account;
    if (this.#watch || !account || !c.attached) return;
    this.state = 'live';
    this.#watch = c.chat.watch({
      account,
      threads: () => c.reads.threadNumbers,
      fromBlock: this.head === undefined ? undefined : this.head + 1n,
      pollingIntervalMs: this.interval,
      maxBackoffMs: MAX_BACKOFF_MS,
      maxCatchUpBlocks: MAX_CATCH_UP_BLOCKS,
      onEvent: (e) => this.#onEvent(e),
      onPoll: (head) => this.#onPoll(head),
      onError: (_e, info) => this.#onError(info.failures, info.retryInMs),
      onGap: () => this.#queue({ kind: 'all' }),
    });
  }

  #stopWatch(): void {
    this.#watch?.stop();
    this.#watch = undefined;
  }

  // ---------------------------------------------------------------- visibility

  #listen(): void {
    if (this.#listening || !globalThis.document) return;
    this.#listening = true;
    document.addEventListener('visibilitychange', this.#onVisibility);
  }

  #unlisten(): void {
    if (!this.#listening) return;
    this.#listening = false;
    document.removeEventListener('visibilitychange', this.#onVisibility);
  }

  #onVisibility = () => {
    if (!this.#wanted) return;
    if (document.visibilityState === 'hidden') {
      this.#stopWatch();
      this.state = 'paused';
      if (this.#countdown) clearInterval(this.#countdown);
      this.#countdown = undefined;
    } else {
      // Catch up from the last block seen: the watch reads what happened meanwhile.
      this.#startWatch();
      this.#c.host.requestUpdate();
    }
  };

  // ---------------------------------------------------------------- health

  #onPoll(head: bigint): void {
    this.head = head;
    if (this.state === 'offline') {
      this.#clearOffline();
      this.#c.host.announce(copy.live.back, 'success');
    }
    this.state = 'live';
    this.#c.host.requestUpdate();
  }

  #onError(failures: number, retryInMs: number): void {
    this.failures = failures;
    this.retryAt = Date.now() + retryInMs;
    if (this.state !== 'offline') {
      this.state = 'offline';
      this.#c.host.announce(copy.live.lost, 'warn');
      // The line counts down each second, so that the wait is never a frozen view.
      this.#countdown ??= setInterval(() => this.#c.host.requestUpdate(), 1_000);
    }
    this.#c.host.requestUpdate();
  }

  #clearOffline(): void {
    this.failures = 0;
    this.retryAt = undefined;
    if (this.#countdown) clearInterval(this.#countdown);
    this.#countdown = undefined;
  }

  /** Seconds until the next attempt while offline. */
  get retryInSeconds(): number {
    return Math.max(0, Math.ceil(((this.retryAt ?? Date.now()) - Date.now()) / 1000));
  }

  /** Tries the RPC now (the "Retry now" button of the live line). */
  retryNow(): void {
    this.#watch?.pollNow();
  }

  // ---------------------------------------------------------------- what changed

  #onEvent(e: ChatEvent): void {
    const c = this.#c;
    if (this.ownTx.delete(e.txHash)) return;
    const me = lower(c.session.account ?? '');
    const card = c.host.card;
    if (!card || card.free) return;
    const creator = lower(card.owner);
    const role = c.role;
    const mine = (a: string) => lower(a) === me;
    if (role === 'visitor') {
      // Only the conversation between this account and the page's creator.
      const withCreator = (a: string, b: string) => (mine(a) && lower(b) === creator) || (mine(b) && lower(a) === creator);
      switch (e.type) {
        case 'message':
          if (withCreator(e.sender, e.recipient)) this.#queue({ kind: 'conversation' });
          break;
        case 'reply':
        case 'refund':
          if (withCreator(e.sender, e.recipient)) {
            this.#queue({ kind: 'message', id: e.id });
            if (e.type === 'reply') {
              this.#queue({ kind: 'conversation' }); // the conversation opens for follow-ups
              if (!c.activity.busy) c.host.announce(copy.conversation.replied(card.handle), 'success');
              this.#received({ kind: 'reply', thread: e.thread, id: e.id, from: e.recipient, amount: 0n, payout: e.payout, txHash: e.txHash });
            }
          }
          break;
        case 'follow-up':
          if (withCreator(e.author, e.reader)) {
            this.#queue({ kind: 'conversation' });
            if (!mine(e.author)) {
              if (!c.activity.busy) c.host.announce(copy.live.followUpFrom(`@${card.handle}`), 'info');
              this.#received({ kind: 'follow-up', thread: e.thread, index: e.index, from: e.author, amount: 0n, payout: e.payout, txHash: e.txHash });
            }
          }
          break;
        case 'thread-closed':
          if (c.reads.mine.thread?.thread === e.thread) this.#queue({ kind: 'conversation' });
          break;
        case 'block-changed':
          if (mine(e.sender) && lower(e.account) === creator) {
            c.reads.mine = { ...c.reads.mine, blocked: e.blocked, ...(c.reads.mine.thread ? { thread: { ...c.reads.mine.thread, blocked: e.blocked } } : {}) };
            c.host.requestUpdate();
          }
          break;
        default:
          break;
      }
      return;
    }
    if (role !== 'creator' || !c.keys.status?.inbox?.siteAllowed) return;
    switch (e.type) {
      case 'message':
        if (mine(e.recipient)) {
          this.#queue({ kind: 'new-message', id: e.id, txHash: e.txHash });
          if (c.reads.threads.has(lower(e.sender))) this.#queue({ kind: 'thread', visitor: lower(e.sender) });
          if (!c.activity.busy) c.host.announce(copy.inbox.newMessage(e.amount), 'info');
        }
        break;
      case 'reply':
      case 'refund':
        if (mine(e.recipient)) {
          this.#queue({ kind: 'message', id: e.id });
          if (c.reads.threads.has(lower(e.sender))) this.#queue({ kind: 'thread', visitor: lower(e.sender) });
        }
        break;
      case 'follow-up': {
        const visitor = mine(e.author) ? e.reader : e.author;
        if (c.reads.threads.has(lower(visitor))) this.#queue({ kind: 'thread', visitor: lower(visitor) });
        if (!mine(e.author)) {
          if (!c.activity.busy) c.host.announce(copy.live.followUpFrom(shortAddress(e.author)), 'info');
          this.#received({ kind: 'follow-up', thread: e.thread, index: e.index, from: e.author, amount: e.payout + e.fee, payout: e.payout, txHash: e.txHash });
        }
        break;
      }
      case 'thread-closed': {
        const visitor = c.reads.visitorOfThread(e.thread);
        if (visitor && c.reads.threads.has(visitor)) this.#queue({ kind: 'thread', visitor });
        break;
      }
      case 'block-changed':
        if (mine(e.account)) c.reads.setBlockedFlag(e.sender, e.blocked);
        break;
      case 'hidden-changed':
        if (mine(e.account)) c.reads.setHiddenFlags(e.ids, e.hidden);
        break;
      case 'inbox-key':
        if (mine(e.account)) this.#queue({ kind: 'all' });
        break;
      default:
        break;
    }
  }

  #received(detail: HarmonyMessageReceivedDetail): void {
    this.#c.host.dispatchEvent(new HarmonyMessageReceivedEvent(detail));
  }

  /** Collects what to read again; one short moment later reads each once. */
  #queue(t: Target): void {
    const key = t.kind === 'thread' ? `thread:${t.visitor}` : t.kind === 'message' || t.kind === 'new-message' ? `${t.kind}:${t.id}` : t.kind;
    this.#pending.set(key, t);
    this.#flush ??= setTimeout(() => void this.#apply(), 30);
  }

  async #apply(): Promise<void> {
    this.#flush = undefined;
    const c = this.#c;
    if (c.activity.busy) {
      // An action of this tab is running; it reads what it changed itself. Try again shortly.
      this.#flush = setTimeout(() => void this.#apply(), 300);
      return;
    }
    const targets = [...this.#pending.values()];
    this.#pending.clear();
    if (targets.some((t) => t.kind === 'all')) {
      await c.reads.load();
      return;
    }
    const r = c.reads;
    const jobs: Promise<unknown>[] = [];
    for (const t of targets) {
      if (t.kind === 'conversation') jobs.push(r.refreshConversation());
      else if (t.kind === 'thread') jobs.push(r.refreshThread(t.visitor));
      else if (t.kind === 'new-message') {
        jobs.push(
          r.addInboxMessage(t.id).then(() => {
            const m = r.inbox.find((x) => x.id === t.id);
            if (m) this.#received({ kind: 'message', thread: m.thread, id: m.id, from: m.sender, amount: m.amount, payout: m.payout ?? r.payoutOf(m.amount), txHash: t.txHash });
          }),
        );
      }
      else if (t.kind === 'message') jobs.push(r.refreshMessage(t.id));
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (!failed) {
      this.#retries = 0;
      return;
    }
    // A read that failed (the RPC dropped between the poll and the read) is tried again, a few times.
    if (++this.#retries > 3) {
      this.#retries = 0;
      c.activity.fail('load', failed.reason);
      return;
    }
    for (const t of targets) this.#queue(t);
    if (this.#flush) clearTimeout(this.#flush);
    this.#flush = setTimeout(() => void this.#apply(), 1_000 * 2 ** this.#retries);
  }
}
