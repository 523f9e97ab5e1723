/**
 * Reading the chain for the views: the visitor's conversation with the page's creator, the
 * creator's inbox (its sort, filter and hidden messages, and which senders are blocked) and the
 * conversations opened from it, and the chain's clock. Besides full loads it offers small,
 * targeted refreshes — one message, the newest page of one conversation — so that a live update
 * (see `live.ts`) reads only what changed. Every entry arrives opened or with an honest read
 * state; one that cannot be read never stops the rest.
 */
import type { Address } from 'viem';
import type { ChatMessage, ConversationEntry, ConversationPage, ThreadInfo } from '../sdk/types.js';
import type { ChatController } from './chat-controller.js';

/** A message is "close to its deadline" when less than this is left (or a tenth of its window). */
export const URGENT_SECONDS = 24 * 3_600;

/** How many of the newest entries a live refresh of a conversation reads. */
const REFRESH_LIMIT = 20;

export interface ConversationView {
  entries: ConversationEntry[];
  thread?: ThreadInfo;
  cursor?: ConversationPage['cursor'];
  loaded: boolean;
  /** Visitor: the creator refuses messages from this wallet (known even before a first message). */
  blocked?: boolean;
}

export type InboxSort = 'newest' | 'amount' | 'time-left';

const empty = (): ConversationView => ({ entries: [], loaded: false });

export const entryKey = (e: ConversationEntry): string => (e.type === 'message' ? `m:${e.message.id}` : `f:${e.followUp.thread}:${e.followUp.index}`);

/**
 * Merges the newest page of a conversation into what is shown: entries of the page replace their
 * older copies, older entries stay before them. When the page does not reach what is shown (more
 * new entries than a page), the page replaces the view and older ones load on request again.
 */
export function mergeNewest(view: ConversationView, page: ConversationPage): ConversationView {
  const fresh = new Set(page.entries.map(entryKey));
  const overlap = view.entries.some((e) => fresh.has(entryKey(e)));
  if (!view.loaded || (!overlap && page.cursor)) return { entries: page.entries, thread: page.thread, cursor: page.cursor, loaded: true, blocked: page.thread?.blocked ?? view.blocked };
  const older = view.entries.filter((e) => !fresh.has(entryKey(e)));
  return { entries: [...older, ...page.entries], thread: page.thread ?? view.thread, cursor: view.cursor, loaded: true, blocked: page.thread?.blocked ?? view.blocked };
}

const lower = (a: string) => a.toLowerCase();

export class Reads {
  /** Visitor: the conversation with the page's creator, oldest first. */
  mine: ConversationView = empty();
  /** Creator: the inbox, newest first (every loaded message, hidden ones included). */
  inbox: ChatMessage[] = [];
  inboxCursor?: bigint;
  inboxLoaded = false;
  /** Creator: conversations read from the inbox, by the visitor's address (lowercase). */
  readonly threads = new Map<string, ConversationView>();
  /** Creator: which inbox message shows its conversation, by the visitor's address (lowercase). */
  readonly expanded = new Map<string, bigint>();
  /** Creator: senders of loaded messages and whether this creator blocks them (lowercase address). */
  readonly blocked = new Map<string, boolean>();
  /** Creator: how the inbox is shown. */
  sort: InboxSort = 'newest';
  unansweredOnly = false;
  showHidden = false;
  feeBps = 100;
  /** Chain time minus local time, in seconds (time travel on a test chain, clock skew). */
  chainOffset = 0;

  readonly #c: ChatController;
  #ticker?: ReturnType<typeof setInterval>;

  constructor(c: ChatController) {
    this.#c = c;
  }

  // ---------------------------------------------------------------- time

  now(): number {
    return Date.now() / 1000 + this.chainOffset;
  }

  secondsLeft(m: ChatMessage): number {
    return Number(m.deadline) - this.now();
  }

  isUrgent(m: ChatMessage): boolean {
    const left = this.secondsLeft(m);
    const window = this.#c.host.card?.window ?? 7 * 86_400;
    return m.status === 'waiting' && left > 0 && (left < URGENT_SECONDS || left < window / 10);
  }

  payoutOf(amount: bigint): bigint {
    return amount - (amount * BigInt(this.feeBps)) / 10_000n;
  }

  get totals(): { earned: bigint; held: bigint; waiting: number } {
    let earned = 0n;
    let held = 0n;
    let waiting = 0;
    for (const m of this.inbox) {
      if (m.status === 'replied') earned += m.payout ?? this.payoutOf(m.amount);
      if (m.status === 'waiting') {
        held += m.amount;
        waiting++;
      }
    }
    return { earned, held, waiting };
  }

  /** The visitor's paid messages in their conversation (newest last). */
  get myMessages(): ChatMessage[] {
    return this.mine.entries.flatMap((e) => (e.type === 'message' ? [e.message] : []));
  }

  // ---------------------------------------------------------------- the inbox as shown

  get hiddenCount(): number {
    return this.inbox.filter((m) => m.hidden).length;
  }

  /** The inbox after the creator's filter and sort (hidden messages only when asked for). */
  get shownInbox(): ChatMessage[] {
    const list = this.inbox.filter((m) => (this.showHidden || !m.hidden) && (!this.unansweredOnly || m.status === 'waiting'));
    const newest = (a: ChatMessage, b: ChatMessage) => (a.id === b.id ? 0 : a.id > b.id ? -1 : 1);
    if (this.sort === 'amount') return list.sort((a, b) => (a.amount === b.amount ? newest(a, b) : a.amount > b.amount ? -1 : 1));
    if (this.sort === 'time-left') {
      // Messages that can still be answered, soonest deadline first; then the rest, newest first.
      const open = (m: ChatMessage) => m.status === 'waiting';
      return list.sort((a, b) => (open(a) !== open(b) ? (open(a) ? -1 : 1) : open(a) ? Number(a.deadline - b.deadline) || newest(a, b) : newest(a, b)));
    }
    return list.sort(newest);
  }

  isBlocked(sender: string): boolean {
    return this.blocked.get(lower(sender)) === true;
  }

  // ---------------------------------------------------------------- loading

  /** Loads what the connected account sees here: its key status, then the conversation or the inbox. */
  async load(): Promise<void> {
    const c = this.#c;
    const card = c.host.card;
    if (!card || !c.session.account || c.session.phase !== 'ready') return;
    try {
      this.chainOffset = Number(await c.chat.latestTimestamp()) - Date.now() / 1000;
      if (card.free) return;
      const status = await c.keys.refresh();
      if (c.role === 'creator') {
        if (status?.inbox?.siteAllowed) {
          await this.loadInbox();
          await Promise.all([...this.threads.keys()].map((visitor) => this.loadThread(visitor)));
        }
      } else if (c.role === 'visitor') {
        await this.loadConversation();
      }
      c.activity.clearError('load');
    } catch (e) {
      c.activity.fail('load', e);
    }
    c.host.requestUpdate();
  }

  /** The visitor's conversation with the page's creator (the newest page; older ones on request). */
  async loadConversation(older = false): Promise<void> {
    const c = this.#c;
    const card = c.host.card;
    if (!card || card.free || c.role !== 'visitor') return;
    try {
      const [page, blocked] = await Promise.all([
        c.chat.conversation({ with: card.handle, cursor: older ? this.mine.cursor : undefined, limit: 50 }),
        older ? Promise.resolve(this.mine.blocked) : c.chat.isBlocked({ recipient: card.owner }),
      ]);
      this.mine = {
        entries: older ? [...page.entries, ...this.mine.entries] : page.entries,
        thread: page.thread,
        cursor: page.cursor,
        loaded: true,
        blocked: page.thread?.blocked ?? blocked,
      };
      c.activity.clearError('load');
    } catch (e) {
      c.activity.fail('load', e);
    }
    c.host.requestUpdate();
  }

  /** Live: reads the newest entries of the visitor's conversation and merges them in. */
  async refreshConversation(): Promise<void> {
    const c = this.#c;
    const card = c.host.card;
    if (!card || card.free || c.role !== 'visitor') return;
    const page = await c.chat.conversation({ with: card.handle, limit: REFRESH_LIMIT });
    this.mine = mergeNewest(this.mine, page);
    c.host.requestUpdate();
  }

  async loadInbox(more = false): Promise<void> {
    const c = this.#c;
    try {
      const [page, fee] = await Promise.all([
        c.chat.inbox({ limit: 50, cursor: more ? this.inboxCursor : undefined }),
        this.inboxLoaded ? Promise.resolve(this.feeBps) : c.chat.feeBps(),
      ]);
      this.feeBps = fee;
      this.inbox = more ? [...this.inbox, ...page.items.filter((m) => !this.inbox.some((x) => x.id === m.id))] : page.items;
      this.inboxCursor = page.nextCursor;
      this.inboxLoaded = true;
      await this.refreshBlocked(page.items.map((m) => m.sender));
    } catch (e) {
      c.activity.fail('load', e);
    }
    c.host.requestUpdate();
  }

  /** Creator: reads whether each of `senders` is blocked (one JSON-RPC batch). */
  async refreshBlocked(senders: Address[]): Promise<void> {
    const unique = [...new Set(senders.map(lower))];
    const flags = await Promise.all(unique.map((s) => this.#c.chat.isBlocked({ sender: s })));
    unique.forEach((s, i) => this.blocked.set(s, flags[i]!));
  }

  /** Live: reads one message again (a reply, a refund, a deadline that passed) wherever it shows. */
  async refreshMessage(id: bigint): Promise<void> {
    const c = this.#c;
    const m = await c.chat.getMessage(id);
    const at = this.inbox.findIndex((x) => x.id === id);
    if (at >= 0) this.inbox = this.inbox.map((x) => (x.id === id ? m : x));
    const swap = (v: ConversationView): ConversationView =>
      v.entries.some((e) => e.type === 'message' && e.message.id === id)
        ? { ...v, entries: v.entries.map((e) => (e.type === 'message' && e.message.id === id ? { type: 'message' as const, message: m } : e)) }
        : v;
    this.mine = swap(this.mine);
    for (const [k, v] of this.threads) this.threads.set(k, swap(v));
    c.host.requestUpdate();
  }

  /** Live, creator: a new paid message at the top of the inbox (read once, opened with the inbox key). */
  async addInboxMessage(id: bigint): Promise<void> {
    if (!this.inboxLoaded || this.inbox.some((m) => m.id === id)) return;
    const m = await this.#c.chat.getMessage(id);
    if (this.inbox.some((x) => x.id === id)) return;
    this.inbox = [m, ...this.inbox].sort((a, b) => (a.id === b.id ? 0 : a.id > b.id ? -1 : 1));
    if (!this.blocked.has(lower(m.sender))) await this.refreshBlocked([m.sender]);
    this.#c.host.requestUpdate();
  }

  /** Live: flags of messages hidden or shown again (no read needed). */
  setHiddenFlags(ids: readonly bigint[], hidden: boolean): void {
    const set = new Set(ids.map(String));
    this.inbox = this.inbox.map((m) => (set.has(String(m.id)) ? { ...m, hidden } : m));
    this.#c.host.requestUpdate();
  }

  setBlockedFlag(sender: string, blocked: boolean): void {
    this.blocked.set(lower(sender), blocked);
    const v = this.threads.get(lower(sender));
    if (v?.thread) this.threads.set(lower(sender), { ...v, thread: { ...v.thread, blocked } });
    this.#c.host.requestUpdate();
  }

  /** Creator: shows or hides the conversation of an inbox message (one open per visitor). */
  async toggleThread(m: ChatMessage): Promise<void> {
    const key = lower(m.sender);
    if (this.expanded.get(key) === m.id) {
      this.expanded.delete(key);
      this.#c.host.requestUpdate();
      return;
    }
    this.expanded.set(key, m.id);
    if (this.threads.get(key)?.loaded) {
      this.#c.host.requestUpdate();
      return;
    }
    this.threads.set(key, empty());
    this.#c.host.requestUpdate();
    await this.loadThread(key);
  }

  /** Creator: the conversation with `visitor` (its newest page). */
  async loadThread(visitor: string): Promise<void> {
    const c = this.#c;
    try {
      const page = await c.chat.conversation({ with: visitor, limit: 50 });
      this.threads.set(lower(visitor), { entries: page.entries, thread: page.thread, cursor: page.cursor, loaded: true });
      if (page.thread) this.blocked.set(lower(visitor), page.thread.blocked);
      c.activity.clearError('load', lower(visitor));
    } catch (e) {
      c.activity.fail('load', e, lower(visitor));
    }
    c.host.requestUpdate();
  }

  /** Creator: older entries of the conversation with `visitor`. */
  async loadOlderThread(visitor: string): Promise<void> {
    const c = this.#c;
    const key = lower(visitor);
    const v = this.threads.get(key);
    if (!v?.cursor) return;
    try {
      const page = await c.chat.conversation({ with: visitor, cursor: v.cursor, limit: 50 });
      this.threads.set(key, { ...v, entries: [...page.entries, ...v.entries], cursor: page.cursor });
    } catch (e) {
      c.activity.fail('load', e, key);
    }
    c.host.requestUpdate();
  }

  /** Live, creator: the newest entries of an open conversation. */
  async refreshThread(visitor: string): Promise<void> {
    const key = lower(visitor);
    const v = this.threads.get(key);
    if (!v) return;
    const page = await this.#c.chat.conversation({ with: visitor, limit: REFRESH_LIMIT });
    this.threads.set(key, mergeNewest(v, page));
    if (page.thread) this.blocked.set(key, page.thread.blocked);
    this.#c.host.requestUpdate();
  }

  /** After a follow-up or a close: the visitor's own conversation, or the creator's view of one. */
  async reloadConversationWith(withWho: string, key: string): Promise<void> {
    if (key === 'mine') await this.refreshConversation().catch((e) => this.#c.activity.fail('load', e));
    else await this.refreshThread(withWho).catch((e) => this.#c.activity.fail('load', e, lower(withWho)));
  }

  /** The thread numbers shown here (the watch follows their closing). */
  get threadNumbers(): number[] {
    const out = new Set<number>();
    if (this.mine.thread) out.add(this.mine.thread.thread);
    for (const m of this.inbox) out.add(m.thread);
    for (const v of this.threads.values()) if (v.thread) out.add(v.thread.thread);
    return [...out].filter((t) => t > 0);
  }

  /** The visitor (lowercase) of a thread shown to the creator, if any. */
  visitorOfThread(thread: number): string | undefined {
    for (const [k, v] of this.threads) if (v.thread?.thread === thread) return k;
    return this.inbox.find((m) => m.thread === thread)?.sender.toLowerCase();
  }

  reset(): void {
    this.mine = empty();
    this.inbox = [];
    this.inboxCursor = undefined;
    this.inboxLoaded = false;
    this.threads.clear();
    this.expanded.clear();
    this.blocked.clear();
  }

  // ---------------------------------------------------------------- the clock

  startTicker(): void {
    this.#ticker ??= setInterval(() => this.#tick(), 30_000);
  }

  stopTicker(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /** Refreshes "time left"; reads again a waiting message whose deadline has passed (it became refundable). */
  #tick(): void {
    const c = this.#c;
    if (globalThis.document?.visibilityState === 'hidden') return;
    const list = c.role === 'creator' ? this.inbox : this.myMessages;
    if (c.session.phase === 'ready') {
      for (const m of list) if (m.status === 'waiting' && this.secondsLeft(m) <= 0) void this.refreshMessage(m.id).catch(() => undefined);
    }
    c.host.requestUpdate();
  }
}
