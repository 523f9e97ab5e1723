/**
 * Reading and following the chain: the visitor's conversation with the page's creator, the
 * creator's inbox and the conversations opened from it (with follow-ups), the chain's clock, and a
 * watch that reloads when something concerning the account happens. Every entry arrives opened or
 * with an honest read state; one that cannot be read never stops the rest.
 */
import type { ChatEvent, ChatMessage, ConversationEntry, ConversationPage, ThreadInfo } from '../sdk/types.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';

/** A message is "close to its deadline" when less than this is left (or a tenth of its window). */
export const URGENT_SECONDS = 24 * 3_600;

export interface ConversationView {
  entries: ConversationEntry[];
  thread?: ThreadInfo;
  cursor?: ConversationPage['cursor'];
  loaded: boolean;
}

const empty = (): ConversationView => ({ entries: [], loaded: false });

export class Reads {
  /** Visitor: the conversation with the page's creator, oldest first. */
  mine: ConversationView = empty();
  /** Creator: the inbox, newest first. */
  inbox: ChatMessage[] = [];
  inboxCursor?: bigint;
  inboxLoaded = false;
  /** Creator: conversations opened from the inbox, by the visitor's address (lowercase). */
  readonly threads = new Map<string, ConversationView>();
  feeBps = 100;
  /** Chain time minus local time, in seconds (time travel on a test chain, clock skew). */
  chainOffset = 0;

  readonly #c: ChatController;
  #stopWatch?: () => void;
  #ticker?: ReturnType<typeof setInterval>;
  #refreshTimer?: ReturnType<typeof setTimeout>;

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
          for (const visitor of this.threads.keys()) await this.#loadThread(visitor);
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
      const page = await c.chat.conversation({ with: card.handle, cursor: older ? this.mine.cursor : undefined, limit: 50 });
      this.mine = {
        entries: older ? [...page.entries, ...this.mine.entries] : page.entries,
        thread: page.thread,
        cursor: page.cursor,
        loaded: true,
      };
      c.activity.clearError('load');
    } catch (e) {
      c.activity.fail('load', e);
    }
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
      this.inbox = more ? [...this.inbox, ...page.items] : page.items;
      this.inboxCursor = page.nextCursor;
      this.inboxLoaded = true;
    } catch (e) {
      c.activity.fail('load', e);
    }
    c.host.requestUpdate();
  }

  /** Creator: shows or hides the conversation with a visitor under the inbox. */
  async toggleThread(visitor: string): Promise<void> {
    const key = visitor.toLowerCase();
    if (this.threads.has(key)) {
      this.threads.delete(key);
      this.#c.host.requestUpdate();
      return;
    }
    this.threads.set(key, empty());
    this.#c.host.requestUpdate();
    await this.#loadThread(key);
  }

  async #loadThread(visitor: string): Promise<void> {
    const c = this.#c;
    try {
      const page = await c.chat.conversation({ with: visitor, limit: 50 });
      this.threads.set(visitor, { entries: page.entries, thread: page.thread, cursor: page.cursor, loaded: true });
    } catch (e) {
      c.activity.fail('load', e, visitor);
    }
    c.host.requestUpdate();
  }

  /** After a follow-up or a close: the visitor's own conversation, or the creator's view of one. */
  async reloadConversationWith(withWho: string, key: string): Promise<void> {
    if (key === 'mine') await this.loadConversation();
    else await this.#loadThread(withWho.toLowerCase());
  }

  reset(): void {
    this.mine = empty();
    this.inbox = [];
    this.inboxCursor = undefined;
    this.inboxLoaded = false;
    this.threads.clear();
  }

  // ---------------------------------------------------------------- following the chain

  startTicker(): void {
    this.#ticker ??= setInterval(() => this.#tick(), 30_000);
  }

  /** Refreshes "time left"; reloads when a waiting message's deadline has passed (it became refundable). */
  #tick(): void {
    const c = this.#c;
    const list = c.role === 'creator' ? this.inbox : this.myMessages;
    if (c.session.phase === 'ready' && !c.activity.busy && list.some((m) => m.status === 'waiting' && this.secondsLeft(m) <= 0)) void this.load();
    c.host.requestUpdate();
  }

  startWatch(): void {
    const c = this.#c;
    const account = c.session.account;
    if (!c.attached || this.#stopWatch || !account) return;
    const local = c.chat.chain.id === 31_337;
    this.#stopWatch = c.chat.watch({
      account,
      pollingIntervalMs: local ? 1_000 : 4_000,
      onEvent: (e) => this.#onChainEvent(e),
      onError: () => {
        /* the retry status already told the user; the next poll tries again */
      },
    });
  }

  get watching(): boolean {
    return this.#stopWatch !== undefined;
  }

  stopWatch(): void {
    this.#stopWatch?.();
    this.#stopWatch = undefined;
  }

  /** Stops every timer and the watch (the element left the page). */
  stop(): void {
    this.stopWatch();
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
  }

  #onChainEvent(e: ChatEvent): void {
    const c = this.#c;
    const me = c.session.account?.toLowerCase();
    if (!c.activity.busy) {
      if (e.type === 'message' && e.recipient.toLowerCase() === me && c.role === 'creator') c.host.announce(copy.inbox.newMessage(e.amount), 'info');
      if (e.type === 'reply' && e.sender.toLowerCase() === me && c.role === 'visitor') c.host.announce(copy.conversation.replied(c.host.card?.handle ?? ''), 'success');
    }
    this.#scheduleRefresh();
  }

  #scheduleRefresh(): void {
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      if (!this.#c.activity.busy) void this.load();
      else this.#scheduleRefresh();
    }, 300);
  }
}
