/**
 * Watches the contract by polling: reads MessageSent / MessageReplied / MessageRefunded through the
 * SDK in windows of at most 1024 blocks, and for each window writes — in ONE SQLite transaction —
 * the notifications it implies (unique keys: a replayed window inserts nothing) and the new cursor.
 * A crash anywhere leaves either the whole window applied or none of it; after downtime the loop
 * simply continues from the persisted cursor.
 *
 * Reminders: every MessageSent whose reply window is longer than the lead time schedules a reminder
 * at `deadline − lead`; when the chain's clock passes it, the contract view is asked whether the
 * message still waits, and only then a reminder is queued (the sender asks once more before mailing).
 */
import { getBlock, readContract } from 'viem/actions';
import { getAddress, type Address, type Hex } from 'viem';
import { bytes32ToHandle, logWindows, withRetry, paidChatAbi, explorerTxUrl, type ChatEvent as AnyChatEvent, type PaidChat } from 'harmony-paid-chat';

/** The events that mail someone (follow-ups and key changes are not mailed yet). */
type ChatEvent = Extract<AnyChatEvent, { type: 'message' | 'reply' | 'refund' }>;
const MAILED = new Set(['message', 'reply', 'refund']);
import type { Store, Subscription, NewNotification } from './db.js';
import type { Logger } from './log.js';
import type { NotificationFacts, Party } from './emails.js';

export const STATUS_WAITING = 1;

export interface WatcherOptions {
  chat: PaidChat;
  store: Store;
  log: Logger;
  scope: string;
  fromBlock?: bigint;
  confirmations: number;
  reminderLeadSec: number;
  pollIntervalMs: number;
  /** Builds the outbox row of a notification for a subscription (pure, synchronous). */
  build(facts: NotificationFacts, sub: Subscription, blockNumber: bigint): NewNotification;
  /** Rows were queued: wake the sender. */
  onEnqueued(count: number): void;
}

type RawMessageView = { id: bigint; sender: Address; recipient: Address; amount: bigint; deadline: bigint; status: number };

export class Watcher {
  readonly #o: WatcherOptions;
  #stopped = true;
  #timer?: ReturnType<typeof setTimeout>;
  #running?: Promise<void>;
  #wakeSleep?: () => void;
  #warnedAhead = false;
  head?: bigint;
  chainTime?: bigint;
  lastTickAt?: number;
  lastError?: { at: number; message: string };

  constructor(o: WatcherOptions) {
    this.#o = o;
  }

  get cursor(): bigint | undefined {
    return this.#o.store.cursor(this.#o.scope);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#wakeSleep?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.tick();
        this.lastError = undefined;
      } catch (e) {
        const message = String((e as Error)?.message ?? e).slice(0, 500);
        this.lastError = { at: Date.now(), message };
        this.#o.log.warn('chain poll failed, will retry', { error: message });
      }
      if (this.#stopped) break;
      await new Promise<void>((r) => {
        this.#wakeSleep = r;
        this.#timer = setTimeout(r, this.#o.pollIntervalMs);
      });
    }
  }

  async #retry<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, { attempts: 3, baseDelayMs: 200 }, 'the RPC');
  }

  /** One poll: catch up to the head window by window, then queue due reminders. */
  async tick(): Promise<void> {
    const { chat, store, scope, log } = this.#o;
    // One request gives the head and the chain's clock (reminders, and most reminder decisions).
    const latest = await this.#retry(() => getBlock(chat.reader, { blockTag: 'latest' }));
    const head = latest.number - BigInt(this.#o.confirmations);
    const now = this.#o.confirmations === 0 ? latest.timestamp : (await this.#retry(() => getBlock(chat.reader, { blockNumber: head }))).timestamp;
    this.head = head;
    let cursor = store.cursor(scope);
    if (cursor === undefined) {
      cursor = this.#o.fromBlock !== undefined ? this.#o.fromBlock - 1n : head;
      store.setCursor(scope, cursor);
      log.info('starting cursor', { block: cursor });
    }
    if (cursor > head && !this.#warnedAhead) {
      this.#warnedAhead = true;
      log.warn('the cursor is ahead of the chain head: was the chain reset? (use a fresh --db for a new chain)', { cursor, head });
    }
    for (const [fromBlock, toBlock] of logWindows(cursor + 1n, head)) {
      if (this.#stopped) return;
      const t0 = Date.now();
      const events = (await chat.events({ fromBlock, toBlock })).filter((e): e is ChatEvent => MAILED.has(e.type));
      const t1 = Date.now();
      const ctx = await this.#context(events, now);
      const t2 = Date.now();
      let queued = 0;
      store.tx(() => {
        for (const e of events) queued += this.#apply(e, ctx);
        store.setCursor(scope, toBlock);
      });
      if (events.length) {
        log.info('window applied', { fromBlock, toBlock, events: events.length, queued, ms: { logs: t1 - t0, context: t2 - t1, write: Date.now() - t2 } });
      }
      if (queued) this.#o.onEnqueued(queued);
    }
    if (this.#stopped) return;
    await this.#reminders(now);
    this.lastTickAt = Date.now();
  }

  /**
   * Handles of the parties, and — only where the reminder decision needs it — the timestamps of the
   * blocks with new messages (async, before the transaction). A message's block is never later than
   * the head, so when `deadline − lead` is after the head's time the reminder is certainly due later
   * than the send, and no block needs fetching (the usual case: windows are days, the lead a day).
   */
  async #context(events: ChatEvent[], headTime: bigint): Promise<{ handles: Map<string, string>; times: Map<bigint, bigint> }> {
    const { chat } = this.#o;
    const handles = new Map<string, string>();
    const times = new Map<bigint, bigint>();
    if (events.length === 0) return { handles, times };
    const lead = BigInt(this.#o.reminderLeadSec);
    const addresses = [...new Set(events.flatMap((e) => [e.sender, e.recipient]))];
    const blocks = [
      ...new Set(
        events.flatMap((e) => {
          if (e.type !== 'message') return [];
          if (e.deadline - lead > headTime) {
            times.set(e.blockNumber, headTime); // an upper bound is enough
            return [];
          }
          return [e.blockNumber];
        }),
      ),
    ];
    await Promise.all([
      this.#handles(addresses, handles),
      ...blocks.map(async (b) => times.set(b, (await this.#retry(() => getBlock(chat.reader, { blockNumber: b }))).timestamp)),
    ]);
    return { handles, times };
  }

  /** Handles of many addresses with the contract's `profilesOf` view (≤ 100 per call). */
  async #handles(addresses: Address[], into: Map<string, string>): Promise<void> {
    const { chat } = this.#o;
    const pages: Address[][] = [];
    for (let i = 0; i < addresses.length; i += 100) pages.push(addresses.slice(i, i + 100));
    await Promise.all(
      pages.map(async (page) => {
        const profiles = (await this.#retry(() =>
          readContract(chat.reader, { address: chat.contract, abi: paidChatAbi, functionName: 'profilesOf', args: [page] }),
        )) as readonly { handle: Hex }[];
        page.forEach((a, i) => into.set(a, bytes32ToHandle(profiles[i]!.handle)));
      }),
    );
  }

  #party(address: Address, handles: Map<string, string>): Party {
    return { address: getAddress(address), handle: handles.get(address) ?? '' };
  }

  /** Inside the window's transaction: reminders and outbox rows for one event. Returns rows queued. */
  #apply(e: ChatEvent, ctx: { handles: Map<string, string>; times: Map<bigint, bigint> }): number {
    const { store } = this.#o;
    const sender = this.#party(e.sender, ctx.handles);
    const recipient = this.#party(e.recipient, ctx.handles);
    const explorerUrl = explorerTxUrl(this.#o.chat.chain, e.txHash);
    const queue = (to: Party, facts: NotificationFacts) => {
      const sub = store.subscription(to.address);
      if (!sub) return 0;
      return store.enqueue(this.#o.build(facts, sub, e.blockNumber)) ? 1 : 0;
    };
    switch (e.type) {
      case 'message': {
        const sentAt = ctx.times.get(e.blockNumber) ?? 0n;
        const dueAt = e.deadline - BigInt(this.#o.reminderLeadSec);
        if (dueAt > sentAt) {
          store.scheduleReminder({ messageId: e.id, recipient: recipient.address, sender: sender.address, amount: e.amount, deadline: e.deadline, dueAt, blockNumber: e.blockNumber });
        }
        return queue(recipient, { kind: 'message', id: e.id, sender, recipient, amount: e.amount, deadline: e.deadline, txHash: e.txHash, explorerUrl });
      }
      case 'reply':
        store.dropReminder(e.id);
        return queue(sender, { kind: 'reply', id: e.id, sender, recipient, amount: e.payout, fee: e.fee, txHash: e.txHash, explorerUrl });
      case 'refund':
        store.dropReminder(e.id);
        return queue(sender, { kind: 'refund', id: e.id, sender, recipient, amount: e.amount, txHash: e.txHash, explorerUrl });
    }
  }

  /** The contract's view of a message. */
  async messageView(id: bigint): Promise<RawMessageView> {
    const { chat } = this.#o;
    return (await this.#retry(() =>
      readContract(chat.reader, { address: chat.contract, abi: paidChatAbi, functionName: 'getMessage', args: [id] }),
    )) as RawMessageView;
  }

  /** True while the message waits for a reply and its deadline has not passed (per the chain's clock). */
  async stillWaiting(id: bigint): Promise<boolean> {
    return (await this.messageView(id)).status === STATUS_WAITING;
  }

  async #reminders(now: bigint): Promise<void> {
    const { store, log } = this.#o;
    this.chainTime = now;
    for (;;) {
      if (this.#stopped) return;
      const due = store.dueReminders(now, 100);
      if (due.length === 0) return;
      const views = await Promise.all(due.map((r) => this.messageView(BigInt(r.message_id))));
      const parties = [...new Set(due.flatMap((r) => [r.sender, r.recipient]))] as Address[];
      const handles = new Map<string, string>();
      await this.#handles(parties, handles);
      let queued = 0;
      store.tx(() => {
        due.forEach((r, i) => {
          const v = views[i]!;
          store.dropReminder(r.message_id);
          if (v.status !== STATUS_WAITING || v.deadline <= now) return;
          const sub = store.subscription(r.recipient);
          if (!sub) return;
          const facts: NotificationFacts = {
            kind: 'reminder',
            id: BigInt(r.message_id),
            sender: this.#party(r.sender as Address, handles),
            recipient: this.#party(r.recipient as Address, handles),
            amount: BigInt(r.amount),
            deadline: BigInt(r.deadline),
          };
          if (store.enqueue(this.#o.build(facts, sub, BigInt(r.block_number)))) queued++;
        });
      });
      log.info('reminders due', { checked: due.length, queued });
      if (queued) this.#o.onEnqueued(queued);
    }
  }
}
