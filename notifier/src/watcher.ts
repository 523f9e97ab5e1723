/**
 * Watches the contract by polling: reads MessageSent / MessageReplied / MessageRefunded /
 * FollowUpPosted in windows of at most 1024 blocks, up to `confirmations` blocks behind the head,
 * and for each window writes — in ONE transaction — every email and webhook delivery it implies
 * (unique keys: a replayed window inserts nothing), the reminders and the keeper's list, the hashes
 * of the blocks it read, and the new cursor (compare-and-set: two instances never both advance it).
 *
 * Reorgs: the cursor carries the hash of its block. When the chain's block at the cursor has another
 * hash, the watcher walks back through the hashes it remembered to the newest block still on the
 * chain, and undoes what came after it: unsent deliveries are deleted (the new chain's events are
 * derived again under the same keys), reminders and settlements from the orphaned blocks are
 * forgotten. With `confirmations` ≥ a reorg's depth no orphaned block is ever read at all; Harmony
 * is final on commit (0).
 *
 * Reminders: every MessageSent whose reply window is longer than the lead time schedules a reminder
 * at `deadline − lead`; when the chain's clock passes it, the contract view is asked whether the
 * message still waits, and only then a reminder is queued (the sender asks once more before mailing).
 */
import { getBlock, getLogs, readContract } from 'viem/actions';
import { getAbiItem } from 'viem/utils';
import { getAddress, type Address, type Hex, type PublicClient } from 'viem';
import { bytes32ToHandle, MAX_LOG_RANGE, withRetry, paidChatAbi } from 'harmony-paid-chat';
import type { Store } from './store/store.js';
import type { Logger } from './log.js';
import { applyWindow, EVENT_NAMES, reminderRows, STATUS_WAITING, type Context, type Log, type RawMessageView } from './watcher-rows.js';

export { STATUS_WAITING };

const EVENTS = EVENT_NAMES.map((name) => getAbiItem({ abi: paidChatAbi, name }));

export interface WatcherOptions {
  reader: PublicClient;
  contract: Address;
  store: Store;
  log: Logger;
  scope: string;
  instanceId: string;
  /** Lease the watcher role (several instances on one PostgreSQL database). */
  shared: boolean;
  leaseMs: number;
  fromBlock?: bigint;
  confirmations: number;
  reminderLeadSec: number;
  pollIntervalMs: number;
  webhooks: boolean;
  explorerTxUrl(hash: string): string | undefined;
  /** Rows were queued: wake the outbox. */
  onEnqueued(count: number): void;
}

/** A small map that forgets its oldest entries. */
class Lru<K, V> {
  readonly #m = new Map<K, V>();
  constructor(readonly max: number) {}
  get(k: K): V | undefined {
    return this.#m.get(k);
  }
  set(k: K, v: V): void {
    this.#m.delete(k);
    this.#m.set(k, v);
    if (this.#m.size > this.max) this.#m.delete(this.#m.keys().next().value as K);
  }
  delete(k: K): void {
    this.#m.delete(k);
  }
}

export class Watcher {
  readonly #o: WatcherOptions;
  #stopped = true;
  #timer?: ReturnType<typeof setTimeout>;
  #running?: Promise<void>;
  #wakeSleep?: () => void;
  #warnedAhead = false;
  #leader = false;
  #window = Number(MAX_LOG_RANGE);
  readonly #handles = new Lru<string, { handle: string; at: number }>(50_000);
  readonly #threads = new Lru<number, { sender: Address; recipient: Address }>(100_000);
  readonly #blockTimes = new Lru<bigint, bigint>(10_000);
  head?: bigint;
  cursorBlock?: bigint;
  chainTime?: bigint;
  lastTickAt?: number;
  lastError?: { at: number; message: string };
  reorgs = 0;

  constructor(o: WatcherOptions) {
    this.#o = o;
  }

  get leader(): boolean {
    return this.#leader;
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
    if (this.#leader && this.#o.shared) await this.#o.store.releaseLease('watcher', this.#o.instanceId).catch(() => undefined);
  }

  /** Polls now instead of after the interval (tests). */
  poke(): void {
    this.#wakeSleep?.();
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (this.#o.shared) {
          const was = this.#leader;
          this.#leader = await this.#o.store.lease('watcher', this.#o.instanceId, this.#o.leaseMs);
          if (this.#leader !== was) this.#o.log.info(this.#leader ? 'this instance now watches the chain' : 'another instance watches the chain');
        } else this.#leader = true;
        if (this.#leader) await this.tick();
        this.lastError = undefined;
      } catch (e) {
        const message = String((e as Error)?.message ?? e).slice(0, 500);
        this.lastError = { at: Date.now(), message };
        this.#o.log.warn('chain poll failed, will retry', { error: message });
      }
      if (this.#stopped) break;
      await new Promise<void>((r) => {
        this.#wakeSleep = r;
        this.#timer = setTimeout(r, this.#leader ? this.#o.pollIntervalMs : Math.max(this.#o.pollIntervalMs, this.#o.leaseMs / 3));
      });
    }
  }

  #retry<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, { attempts: 3, baseDelayMs: 200 }, 'the RPC');
  }

  #block(n: bigint) {
    return this.#retry(() => getBlock(this.#o.reader, { blockNumber: n }));
  }

  /** One poll: check the cursor's block is still on the chain, catch up window by window, then queue due reminders. */
  async tick(): Promise<void> {
    const { store, scope, log } = this.#o;
    const latest = await this.#retry(() => getBlock(this.#o.reader, { blockTag: 'latest' }));
    const target = latest.number - BigInt(this.#o.confirmations);
    if (target < 0n) return;
    const targetBlock = target === latest.number ? latest : await this.#block(target);
    this.head = target;
    this.chainTime = targetBlock.timestamp;
    let cursor = await store.cursor(scope);
    if (cursor === undefined) {
      const start = this.#o.fromBlock !== undefined ? this.#o.fromBlock - 1n : target;
      const hash = start === target ? targetBlock.hash : start >= 0n ? (await this.#block(start)).hash : null;
      await store.tx((q) => store.moveCursor(q, scope, undefined, start, hash));
      cursor = (await store.cursor(scope))!;
      log.info('starting cursor', { block: cursor.block });
    }
    this.cursorBlock = cursor.block;

    // Is the cursor's block still the chain's? (One new block: its parent hash says so for free.)
    if (cursor.hash && cursor.block >= 0n) {
      let onChain: string | undefined;
      if (cursor.block === target) onChain = targetBlock.hash;
      else if (cursor.block + 1n === target) onChain = targetBlock.parentHash;
      else onChain = await this.#block(cursor.block).then((b) => b.hash, () => undefined);
      if (onChain !== cursor.hash) {
        await this.#rewind(cursor.block, target);
        return;
      }
    }
    if (cursor.block > target && !this.#warnedAhead) {
      this.#warnedAhead = true;
      log.warn('the cursor is ahead of the chain head: was the chain reset? (use a fresh --db for a new chain)', { cursor: cursor.block, head: target });
    }

    let expected = cursor.block;
    for (let fromBlock = cursor.block + 1n; fromBlock <= target; ) {
      if (this.#stopped) return;
      // Windows of at most 1024 blocks (Harmony's limit), smaller while the answers are too big.
      const toBlock = fromBlock + BigInt(this.#window) - 1n < target ? fromBlock + BigInt(this.#window) - 1n : target;
      const t0 = Date.now();
      const toHeader = toBlock === target ? targetBlock : await this.#block(toBlock);
      let logs: Log[];
      try {
        logs = (await this.#retry(() =>
          getLogs(this.#o.reader, { address: this.#o.contract, events: EVENTS as any, fromBlock, toBlock, strict: true } as any),
        )) as unknown as Log[];
      } catch (e) {
        if (this.#window > 1 && /too large|exceed|limit|too many|query returned more/i.test(String((e as Error)?.message ?? e))) {
          this.#window = Math.max(1, Math.floor(this.#window / 4));
          log.warn('the logs of a window were too many for one answer; reading smaller windows', { fromBlock, toBlock, window: this.#window });
          continue;
        }
        throw e;
      }
      if (this.#window < Number(MAX_LOG_RANGE)) this.#window = Math.min(Number(MAX_LOG_RANGE), this.#window * 2);
      // A reorg between reading the header and the logs: try again next poll.
      if (logs.some((l) => l.blockNumber === toBlock && l.blockHash !== toHeader.hash)) {
        log.warn('the chain changed while reading a window; reading it again', { fromBlock, toBlock });
        return;
      }
      logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
      const t1 = Date.now();
      const ctx = await this.#context(logs, targetBlock.timestamp);
      const t2 = Date.now();
      const blocks = new Map<bigint, string>([[toBlock, toHeader.hash]]);
      for (const l of logs) blocks.set(l.blockNumber, l.blockHash);
      const applied = await store.tx(async (q) => {
        if (!(await store.moveCursor(q, scope, expected, toBlock, toHeader.hash))) return undefined;
        await store.rememberBlocks(q, scope, blocks);
        return applyWindow(this.#o, q, logs, ctx);
      });
      if (applied === undefined) {
        log.warn('another instance moved the cursor; this one stops watching for now', { expected, toBlock });
        return;
      }
      expected = toBlock;
      this.cursorBlock = toBlock;
      fromBlock = toBlock + 1n;
      if (logs.length) {
        log.info('window applied', { fromBlock, toBlock, events: logs.length, queued: applied, ms: { logs: t1 - t0, context: t2 - t1, write: Date.now() - t2 } });
      }
      if (applied) this.#o.onEnqueued(applied);
    }
    if (this.#stopped) return;
    await this.#reminders(targetBlock.timestamp);
    this.lastTickAt = Date.now();
  }

  /** The block at the cursor is no longer the chain's: go back to the newest remembered block that is. */
  async #rewind(from: bigint, head: bigint): Promise<void> {
    const { store, scope, log } = this.#o;
    let ancestor: { number: bigint; hash: string | null } | undefined;
    let oldest: bigint | undefined;
    for (const b of await store.blockHashes(scope, from, 1024)) {
      oldest = b.number;
      if (b.number > head) continue;
      const onChain = await this.#block(b.number).then((x) => x.hash, () => undefined);
      if (onChain === b.hash) {
        ancestor = b;
        break;
      }
    }
    if (!ancestor) {
      // Deeper than anything remembered: start again below it, without a hash to check.
      const n = (oldest ?? from) - 1n;
      ancestor = { number: n, hash: n >= 0n ? await this.#block(n).then((x) => x.hash, () => null) : null };
      log.error('a reorg went deeper than the remembered blocks; reading again from below them', { from, to: n });
    }
    const r = await store.rewind(scope, from, ancestor.number, ancestor.hash);
    if (!r) return;
    this.reorgs++;
    this.cursorBlock = ancestor.number;
    log.warn('chain reorganisation: the blocks after the fork point are read again', { from, to: ancestor.number, undeliveredDropped: r.deleted });
    const out = r.alreadySent.filter((x) => x.status === 'sent');
    const maybe = r.alreadySent.filter((x) => x.status === 'sending');
    if (out.length || maybe.length) {
      log.error('notifications for orphaned blocks had already gone out (raise --confirmations for this chain)', {
        keys: out.slice(0, 20).map((x) => x.key),
        count: out.length,
        inFlight: maybe.slice(0, 20).map((x) => x.key),
      });
    }
  }

  /** Handles of the parties, the parties of follow-up threads, and block times (before the transaction). */
  async #context(logs: Log[], headTime: bigint): Promise<Context> {
    const handles = new Map<string, string>();
    const threads = new Map<number, { sender: Address; recipient: Address }>();
    const times = new Map<bigint, bigint>();
    if (logs.length === 0) return { handles, threads, times };
    const now = Date.now();
    const parties = new Set<Address>();
    const needThreads = new Set<number>();
    const blocks = new Set<bigint>();
    for (const l of logs) {
      const a = l.args;
      if (l.eventName === 'HandleClaimed' || l.eventName === 'HandleReleased') {
        this.#handles.delete(getAddress(a.account));
        continue;
      }
      blocks.add(l.blockNumber);
      if (l.eventName === 'FollowUpPosted') {
        parties.add(getAddress(a.author));
        parties.add(getAddress(a.reader));
        const t = Number(a.thread);
        const known = this.#threads.get(t);
        if (known) threads.set(t, known);
        else needThreads.add(t);
      } else {
        parties.add(getAddress(a.sender));
        parties.add(getAddress(a.recipient));
        if (a.thread !== undefined) {
          const t = { sender: getAddress(a.sender), recipient: getAddress(a.recipient) };
          this.#threads.set(Number(a.thread), t);
          threads.set(Number(a.thread), t);
          needThreads.delete(Number(a.thread));
        }
      }
    }
    const unknown = [...parties].filter((p) => {
      const h = this.#handles.get(p);
      if (h && now - h.at < 300_000) {
        handles.set(p, h.handle);
        return false;
      }
      return true;
    });
    await Promise.all([
      this.#lookupHandles(unknown, handles),
      ...[...needThreads].map(async (t) => {
        const v = (await this.#retry(() => readContract(this.#o.reader, { address: this.#o.contract, abi: paidChatAbi, functionName: 'getThread', args: [t] }))) as {
          sender: Address;
          recipient: Address;
        };
        const parties = { sender: getAddress(v.sender), recipient: getAddress(v.recipient) };
        this.#threads.set(t, parties);
        threads.set(t, parties);
      }),
      ...[...blocks].map(async (b) => {
        const known = this.#blockTimes.get(b);
        if (known !== undefined) return void times.set(b, known);
        // Many blocks in a catch-up window: the head's time is an upper bound good enough for reminders.
        if (blocks.size > 64) return void times.set(b, headTime);
        const t = (await this.#block(b)).timestamp;
        this.#blockTimes.set(b, t);
        times.set(b, t);
      }),
    ]);
    return { handles, threads, times };
  }

  /** Handles of many addresses with the contract's `profilesOf` view (≤ 100 per call). */
  async #lookupHandles(addresses: Address[], into: Map<string, string>): Promise<void> {
    const now = Date.now();
    const pages: Address[][] = [];
    for (let i = 0; i < addresses.length; i += 100) pages.push(addresses.slice(i, i + 100));
    await Promise.all(
      pages.map(async (page) => {
        const profiles = (await this.#retry(() =>
          readContract(this.#o.reader, { address: this.#o.contract, abi: paidChatAbi, functionName: 'profilesOf', args: [page] }),
        )) as readonly { handle: Hex }[];
        page.forEach((a, i) => {
          const handle = bytes32ToHandle(profiles[i]!.handle);
          into.set(a, handle);
          this.#handles.set(a, { handle, at: now });
        });
      }),
    );
  }

  /** The contract's view of a message. */
  async messageView(id: bigint): Promise<RawMessageView> {
    return (await this.#retry(() => readContract(this.#o.reader, { address: this.#o.contract, abi: paidChatAbi, functionName: 'getMessage', args: [id] }))) as RawMessageView;
  }

  /** True while the message waits for a reply and its deadline has not passed (per the chain's clock). */
  async stillWaiting(id: bigint): Promise<boolean> {
    return (await this.messageView(id)).status === STATUS_WAITING;
  }

  async #reminders(now: bigint): Promise<void> {
    const { store, log } = this.#o;
    for (;;) {
      if (this.#stopped) return;
      const due = await store.dueReminders(now, 100);
      if (due.length === 0) return;
      const views = await Promise.all(due.map((r) => this.messageView(BigInt(r.message_id))));
      const parties = [...new Set(due.flatMap((r) => [getAddress(r.sender), getAddress(r.recipient)]))];
      const handles = new Map<string, string>();
      await this.#lookupHandles(parties, handles);
      const queued = await store.tx(async (q) => {
        await store.dropReminders(q, due.map((r) => r.message_id));
        const subs = new Map((await store.subscriptionsFor(q, [...new Set(due.map((r) => getAddress(r.recipient)))])).filter((s) => s.topic === 'inbox').map((s) => [s.address, s]));
        return store.enqueue(q, reminderRows(this.#o.scope, now, due, views, subs, handles));
      });
      log.info('reminders due', { checked: due.length, queued });
      if (queued) this.#o.onEnqueued(queued);
    }
  }
}
