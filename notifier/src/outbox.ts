/**
 * The outbox's delivery loops, one per channel (email, webhook). Each claims due rows for this
 * instance (other instances on the same PostgreSQL database skip them), hands them to N workers
 * (one SMTP connection each; N webhook requests), and records every outcome — sent, retry at a
 * later time, failed, skipped — in group commits: a mark waits only for the commit in progress.
 *
 * Exactly once, and its one honest limit: a row is marked sent right after the server accepted it.
 * If the process dies between the acceptance (SMTP 250 after DATA, or a webhook's 2xx) and that
 * commit, the row goes back to `pending` and is delivered again — with the same Message-ID / the
 * same webhook-id, which receivers deduplicate by. At most `connections` emails (and the webhooks in
 * flight) can be in that window at once; no client can close it (acceptance and commit are two
 * systems).
 */
import type { Channel, Mark, OutboxRow, Store } from './store/store.js';
import type { Logger } from './log.js';

export type Outcome =
  | { outcome: 'sent'; response: string }
  | { outcome: 'retry'; delayMs: number; error: string; connection?: boolean }
  | { outcome: 'failed'; error: string }
  | { outcome: 'skipped'; reason: string };

export interface ChannelOptions {
  channel: Channel;
  store: Store;
  log: Logger;
  instanceId: string;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Look again this often when nothing is due (new rows wake the loop at once). */
  idleMs: number;
  /** Makes one delivery; `worker` (0 … concurrency−1) picks its own connection. Must not throw. */
  deliver(row: OutboxRow, worker: number): Promise<Outcome>;
  onSettled?: (row: OutboxRow, outcome: Outcome['outcome']) => void;
  /** Shared by the channels: one commit records the outcomes of both. */
  marker?: Marker;
}

/**
 * Group commit of delivery outcomes: outcomes that arrive within 10 ms share one transaction (one
 * fsync with SQLite's synchronous=FULL instead of one per email; at most ~100 commits a second).
 */
export class Marker {
  #queue: { mark: Mark; row: OutboxRow; outcome?: Outcome['outcome'] }[] = [];
  #flushing?: Promise<void>;
  #lastFlush = 0;
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    /** The instance whose claims these outcomes are: rows another instance took over are left alone. */
    private readonly instanceId: string,
    private readonly onSettled?: ChannelOptions['onSettled'],
    private readonly groupMs = 10,
  ) {}

  push(row: OutboxRow, mark: Mark, outcome?: Outcome['outcome']): Promise<void> {
    this.#queue.push({ mark, row, outcome });
    this.#flushing ??= this.#flush();
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    try {
      for (let failures = 0; this.#queue.length > 0; ) {
        // Wait for the outcomes arriving meanwhile (at least until the I/O callbacks have run).
        const wait = this.#lastFlush + this.groupMs - Date.now();
        await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
        const batch = this.#queue;
        this.#queue = [];
        try {
          await this.store.mark(batch.map((b) => b.mark), this.instanceId);
          this.#lastFlush = Date.now();
          failures = 0;
          for (const b of batch) if (b.outcome) this.onSettled?.(b.row, b.outcome);
        } catch (e) {
          // The database is unreachable: keep the outcomes and try again (the rows stay "sending").
          this.#queue.unshift(...batch);
          this.log.error('cannot record delivery outcomes; retrying', { error: String((e as Error)?.message ?? e), rows: batch.length });
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures++)));
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }
}

export class ChannelLoop {
  readonly #o: ChannelOptions;
  readonly #marker: Marker;
  #stopped = true;
  #loop?: Promise<void>;
  readonly #sleepers = new Set<() => void>();
  #woken = false;
  /** While the server is unreachable (SMTP), until when nothing is tried. */
  backingOffUntil?: number;
  lastError?: { at: number; reason: string };
  delivered = 0;

  constructor(o: ChannelOptions) {
    this.#o = o;
    this.#marker = o.marker ?? new Marker(o.store, o.log, o.instanceId, o.onSettled);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeAll();
    await this.#loop;
    await this.#marker.drain();
  }

  /** New rows: look now — unless backing off from an unreachable server. */
  wake(): void {
    if (this.backingOffUntil !== undefined && Date.now() < this.backingOffUntil) return;
    this.#wakeAll();
  }

  #wakeAll(): void {
    if (this.#sleepers.size === 0) this.#woken = true;
    for (const s of [...this.#sleepers]) s();
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#woken || this.#stopped) {
      this.#woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }

  async #run(): Promise<void> {
    const { store, channel, instanceId, concurrency, log } = this.#o;
    let queue: OutboxRow[] = [];
    let refilling: Promise<void> | undefined;
    let idle = false;
    // After a connection failure only one row is tried at a time (a probe) until one gets through:
    // an unreachable server is not hammered with every due row.
    let suspect = false;
    let probe: Promise<unknown> | undefined;
    const release = (rows: OutboxRow[]) => {
      for (const b of rows) void this.#marker.push(b, { id: b.id, outcome: 'release' });
    };
    const refill = () =>
      (refilling ??= (async () => {
        try {
          if (this.#stopped || (this.backingOffUntil !== undefined && Date.now() < this.backingOffUntil)) return;
          const rows = await store.claim(channel, instanceId, Date.now(), suspect ? 1 : Math.max(concurrency * 2, 8));
          if (this.#stopped) return release(rows);
          queue.push(...rows);
          idle = rows.length === 0;
        } catch (e) {
          log.error(`${channel} outbox: claiming rows failed`, { error: String((e as Error)?.message ?? e) });
          idle = true;
        } finally {
          refilling = undefined;
        }
      })());

    const waitIdle = async () => {
      const due = await store.nextDueAt(channel).catch(() => undefined);
      await this.#sleep(due === undefined ? this.#o.idleMs : Math.max(0, Math.min(this.#o.idleMs, due - Date.now())));
    };
    let endProbe: (() => void) | undefined;
    const next = async (): Promise<{ row: OutboxRow; probe: boolean } | undefined> => {
      for (;;) {
        if (this.#stopped) return undefined;
        if (this.backingOffUntil !== undefined && Date.now() < this.backingOffUntil) {
          await this.#sleep(this.backingOffUntil - Date.now());
          continue;
        }
        if (suspect) {
          if (probe) {
            await probe;
            continue;
          }
          probe = new Promise<void>((r) => (endProbe = r));
          let row = queue.shift();
          if (!row) {
            await refill();
            row = queue.shift();
          }
          if (row) return { row, probe: true };
          probe = undefined;
          endProbe?.();
          if (idle) await waitIdle();
          continue;
        }
        const row = queue.shift();
        if (row) {
          if (queue.length < concurrency) void refill();
          return { row, probe: false };
        }
        await refill();
        if (queue.length) continue;
        if (idle) await waitIdle();
      }
    };

    const worker = async (w: number) => {
      for (;;) {
        const got = await next();
        if (!got) return;
        const { row } = got;
        let r: Outcome;
        try {
          r = await this.#o.deliver(row, w);
        } catch (e) {
          r = { outcome: 'retry', delayMs: 1000, error: `internal: ${String((e as Error)?.message ?? e)}` };
        }
        let mark: Mark;
        switch (r.outcome) {
          case 'sent':
            this.delivered++;
            this.backingOffUntil = undefined;
            suspect = false;
            mark = { id: row.id, outcome: 'sent', response: r.response };
            break;
          case 'retry':
            this.lastError = { at: Date.now(), reason: r.error };
            mark = { id: row.id, outcome: 'retry', nextAttemptAt: Date.now() + r.delayMs, error: r.error };
            if (r.connection) {
              // The server is unreachable: nothing is tried until the backoff has passed, then one
              // row at a time; what this instance holds goes back to the others.
              suspect = true;
              this.backingOffUntil = Date.now() + r.delayMs;
              const back = queue;
              queue = [];
              release(back);
            }
            break;
          case 'failed':
            this.lastError = { at: Date.now(), reason: r.error };
            mark = { id: row.id, outcome: 'failed', error: r.error };
            break;
          case 'skipped':
            mark = { id: row.id, outcome: 'skipped', reason: r.reason };
            break;
        }
        void this.#marker.push(row, mark, r.outcome);
        if (got.probe) {
          probe = undefined;
          endProbe?.();
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    // Stopped: give back what was claimed and not started.
    await refilling;
    release(queue);
    queue = [];
  }
}
