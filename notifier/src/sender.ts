/**
 * The outbox's sender loop: takes pending rows in order, sends each through nodemailer with its
 * deterministic Message-ID and marks it sent before taking the next one. Transient failures
 * (connection errors, 4xx) are retried with exponential backoff; permanent ones (5xx) are recorded
 * as failed with the server's reason.
 *
 * One message is in flight at a time, so a crash can leave at most ONE notification accepted by the
 * SMTP server but not yet marked sent; it is sent again after the restart with the same Message-ID.
 */
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import MailComposer from 'nodemailer/lib/mail-composer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type { Store, OutboxRow } from './db.js';
import type { Logger } from './log.js';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

export interface ComposedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface SmtpFailure {
  permanent: boolean;
  /** The server is unreachable or closing: stop the batch and back off. */
  connection: boolean;
  reason: string;
}

/** Sorts an SMTP / socket error into permanent (5xx, bad envelope) or transient. */
export function classifySmtpError(e: unknown): SmtpFailure {
  const err = e as { responseCode?: number; code?: string; response?: string; message?: string };
  const code = typeof err?.responseCode === 'number' ? err.responseCode : undefined;
  const reason = `${err?.code ? `${err.code}: ` : ''}${(err?.response ?? err?.message ?? String(e)).trim()}`.slice(0, 500);
  if (code !== undefined && code >= 500 && code < 600) return { permanent: true, connection: false, reason };
  if (code === 421) return { permanent: false, connection: true, reason };
  if (code !== undefined && code >= 400 && code < 500) return { permanent: false, connection: false, reason };
  if (err?.code === 'EENVELOPE' || err?.code === 'EMESSAGE') return { permanent: true, connection: false, reason };
  return { permanent: false, connection: true, reason };
}

/**
 * One persistent SMTP connection, one message at a time (callers are serialised). No pool: the
 * pool would requeue messages on its own; here every retry decision is the outbox's, recorded in
 * the database. A connection reused after an idle pause that turns out to be closed by the server
 * before a byte of the message was written is replaced once, immediately (nothing was delivered).
 */
export class Mailer {
  readonly #options: Record<string, unknown>;
  readonly #auth?: { user: string; pass: string };
  readonly #idleMs: number;
  #conn?: SMTPConnection;
  #messages = 0;
  #idleTimer?: ReturnType<typeof setTimeout>;
  #lock: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: { smtpUrl: string; timeoutMs: number; clientName: string; idleMs?: number }) {
    const parsed = parseConnectionUrl(opts.smtpUrl) as Record<string, any>;
    const { auth, ...rest } = parsed;
    this.#auth = auth && (auth.user || auth.pass) ? { user: auth.user, pass: auth.pass } : undefined;
    this.#options = {
      ...rest,
      name: opts.clientName,
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs * 2,
    };
    this.#idleMs = opts.idleMs ?? 30_000;
  }

  #drop(): void {
    const c = this.#conn;
    this.#conn = undefined;
    if (c) {
      try {
        c.close();
      } catch {
        /* already gone */
      }
    }
  }

  async #connect(): Promise<SMTPConnection> {
    const c = new SMTPConnection(this.#options as any);
    c.on('error', () => {
      if (this.#conn === c) this.#conn = undefined;
    });
    c.once('end', () => {
      if (this.#conn === c) this.#conn = undefined;
    });
    await new Promise<void>((resolve, reject) => {
      // Connection failures arrive as 'error' (or a bare 'end'), not through the callback.
      const fail = (err?: Error) => reject(err ?? Object.assign(new Error('The SMTP connection closed during the handshake.'), { code: 'ECONNECTION' }));
      c.once('error', fail);
      c.once('end', () => fail());
      c.connect((err?: Error | null) => {
        c.off('error', fail);
        if (err) reject(err);
        else resolve();
      });
    }).catch((e) => {
      try {
        c.close();
      } catch {
        /* ignore */
      }
      throw e;
    });
    if (this.#auth) {
      await new Promise<void>((resolve, reject) => c.login(this.#auth as any, (err) => (err ? reject(err) : resolve()))).catch((e) => {
        c.close();
        throw e;
      });
    }
    this.#conn = c;
    this.#messages = 0;
    return c;
  }

  async #transmit(envelope: { from: string; to: string[] }, raw: Buffer): Promise<{ response: string; accepted: unknown[] }> {
    for (let attempt = 0; ; attempt++) {
      const reused = this.#conn !== undefined && this.#messages > 0;
      const conn = this.#conn ?? (await this.#connect());
      const stream = Readable.from([raw]);
      try {
        const info = await new Promise<any>((resolve, reject) => conn.send(envelope as any, stream, (err, i) => (err ? reject(err) : resolve(i))));
        this.#messages++;
        return { response: String(info?.response ?? ''), accepted: info?.accepted ?? [] };
      } catch (e: any) {
        this.#messages++;
        const untouched = stream.readableDidRead === false;
        if ((e?.code === 'EENVELOPE' || e?.code === 'EMESSAGE') && e?.responseCode !== 421 && !(conn as any)._destroyed) {
          // The server refused this message; the session is fine once reset.
          await new Promise<void>((resolve) => conn.reset((err) => (err ? (this.#drop(), resolve()) : resolve())));
          throw e;
        }
        this.#drop();
        if (attempt === 0 && reused && untouched && !classifySmtpError(e).permanent) continue;
        throw e;
      }
    }
  }

  /** Builds the RFC 5322 message (CPU only; can run while another message is on the wire). */
  async compose(m: OutgoingMail): Promise<ComposedMail> {
    const composer = new MailComposer({
      from: m.from,
      to: m.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
      messageId: m.messageId,
      headers: m.headers,
      disableFileAccess: true,
      disableUrlAccess: true,
    } as any).compile();
    return { envelope: composer.getEnvelope() as { from: string; to: string[] }, raw: await composer.build() };
  }

  /** Sends one composed message; resolves when the server accepted it (250 after DATA). */
  transmit(c: ComposedMail): Promise<{ response: string; accepted: unknown[] }> {
    const run = async () => {
      if (this.#closed) throw Object.assign(new Error('The mailer is closed.'), { code: 'ECONNECTION' });
      if (this.#idleTimer) clearTimeout(this.#idleTimer);
      try {
        return await this.#transmit(c.envelope, c.raw);
      } finally {
        this.#idleTimer = setTimeout(() => this.#drop(), this.#idleMs);
        this.#idleTimer.unref();
      }
    };
    const p = this.#lock.then(run, run);
    this.#lock = p.catch(() => undefined);
    return p;
  }

  async send(m: OutgoingMail): Promise<{ response: string; accepted: unknown[] }> {
    return this.transmit(await this.compose(m));
  }

  close(): void {
    this.#closed = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const c = this.#conn;
    this.#conn = undefined;
    if (c) {
      try {
        c.quit();
      } catch {
        /* ignore */
      }
      setTimeout(() => c.close(), 1000).unref();
    }
  }
}

export interface SenderOptions {
  store: Store;
  mailer: Mailer;
  log: Logger;
  from: string;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Headers of a row (List-Unsubscribe…), computed when sending. */
  headersFor(row: OutboxRow): Record<string, string>;
  /** For reminders: is the message still waiting for a reply (contract view)? */
  stillWaiting(messageId: bigint): Promise<boolean>;
  /** Called after each row is settled (tests, the bench). */
  onSettled?: (row: OutboxRow, outcome: 'sent' | 'failed' | 'skipped' | 'retry') => void;
  batchSize?: number;
  idleMs?: number;
}

export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(maxMs, exp * (0.8 + 0.4 * random())));
}

export class Sender {
  readonly #o: SenderOptions;
  #stopped = true;
  #wake?: () => void;
  #woken = false;
  #loop?: Promise<void>;
  /** When the loop backs off because the server is unreachable, until when. */
  backingOffUntil?: number;
  lastError?: { at: number; reason: string };

  constructor(o: SenderOptions) {
    this.#o = o;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#woken = true;
    this.#wake?.();
    await this.#loop;
  }

  /**
   * New rows were enqueued: look now instead of at the next idle tick — unless the loop is backing
   * off from an unreachable server, which new rows do not make any more reachable.
   */
  wake(): void {
    if (this.backingOffUntil !== undefined && Date.now() < this.backingOffUntil) return;
    this.#woken = true;
    this.#wake?.();
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#woken || this.#stopped) {
      this.#woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
    this.#woken = false;
  }

  async #run(): Promise<void> {
    const idle = this.#o.idleMs ?? 1000;
    while (!this.#stopped) {
      let delay = idle;
      try {
        delay = await this.#drain(idle);
      } catch (e) {
        this.#o.log.error('sender loop error', { error: String((e as Error)?.message ?? e) });
        delay = Math.min(idle, 1000);
      }
      if (this.#stopped) break;
      await this.#sleep(delay);
    }
  }

  /** Sends everything due; returns how long to sleep before looking again. */
  async #drain(idle: number): Promise<number> {
    const { store } = this.#o;
    for (;;) {
      if (this.#stopped) return 0;
      const rows = store.due(Date.now(), this.#o.batchSize ?? 100);
      if (rows.length === 0) {
        this.backingOffUntil = undefined;
        const next = store.nextDueAt();
        return next === undefined ? idle : Math.max(0, Math.min(idle, next - Date.now()));
      }
      // Compose the next email while the current one is on the wire (one in flight, always).
      let next = this.#compose(rows[0]!);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const composed = next;
        if (i + 1 < rows.length) next = this.#compose(rows[i + 1]!);
        if (this.#stopped) return 0;
        const r = await this.#deliver(row, composed);
        if (r.backoffMs !== undefined) {
          this.backingOffUntil = Date.now() + r.backoffMs;
          return r.backoffMs;
        }
        this.backingOffUntil = undefined;
      }
    }
  }

  #compose(row: OutboxRow): Promise<ComposedMail | { error: unknown }> {
    return this.#o.mailer
      .compose({
        from: this.#o.from,
        to: row.email,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
        messageId: row.mail_message_id,
        headers: this.#o.headersFor(row),
      })
      .catch((error) => ({ error }));
  }

  async #deliver(row: OutboxRow, composing: Promise<ComposedMail | { error: unknown }>): Promise<{ backoffMs?: number }> {
    const { store, log } = this.#o;
    const sub = store.subscription(row.address);
    if (!sub || sub.unsub_id !== row.unsub_id) {
      store.markSkipped(row.id, sub ? 'the subscription changed before sending' : 'unsubscribed before sending');
      log.info('notification skipped', { key: row.key, reason: sub ? 'subscription changed' : 'unsubscribed' });
      this.#o.onSettled?.(row, 'skipped');
      return {};
    }
    if (row.kind === 'reminder') {
      let waiting: boolean;
      try {
        waiting = await this.#o.stillWaiting(BigInt(row.chain_message_id));
      } catch (e) {
        const delay = backoffMs(row.attempts + 1, this.#o.retryBaseMs, this.#o.retryMaxMs);
        store.markRetry(row.id, Date.now() + delay, `RPC: ${String((e as Error)?.message ?? e).slice(0, 300)}`);
        log.warn('reminder check failed, will retry', { key: row.key, delayMs: delay });
        this.#o.onSettled?.(row, 'retry');
        return {};
      }
      if (!waiting) {
        store.markSkipped(row.id, 'the message is no longer waiting for a reply');
        log.info('reminder skipped', { key: row.key, reason: 'settled or past deadline' });
        this.#o.onSettled?.(row, 'skipped');
        return {};
      }
    }
    try {
      const composed = await composing;
      if ('error' in composed) throw Object.assign(new Error(`The email could not be built: ${String((composed.error as Error)?.message ?? composed.error)}`), { code: 'EMESSAGE' });
      const t0 = Date.now();
      const info = await this.#o.mailer.transmit(composed);
      const t1 = Date.now();
      store.markSent(row.id, info.response);
      log.info('notification sent', { key: row.key, messageId: row.mail_message_id, attempts: row.attempts + 1, ms: { smtp: t1 - t0, mark: Date.now() - t1 } });
      this.#o.onSettled?.(row, 'sent');
      return {};
    } catch (e) {
      const f = classifySmtpError(e);
      this.lastError = { at: Date.now(), reason: f.reason };
      if (f.permanent) {
        store.markFailed(row.id, f.reason);
        log.error('notification failed permanently', { key: row.key, reason: f.reason });
        this.#o.onSettled?.(row, 'failed');
        return {};
      }
      const delay = backoffMs(row.attempts + 1, this.#o.retryBaseMs, this.#o.retryMaxMs);
      store.markRetry(row.id, Date.now() + delay, f.reason);
      log.warn('notification delivery failed, will retry', { key: row.key, attempt: row.attempts + 1, delayMs: delay, reason: f.reason });
      this.#o.onSettled?.(row, 'retry');
      return f.connection ? { backoffMs: delay } : {};
    }
  }
}
