/**
 * SMTP for the outbox: one persistent connection per outbox worker (nodemailer's SMTPConnection and
 * MailComposer, no pool), how an SMTP failure is classified (permanent / transient / connection),
 * and the retry backoff. The retry decisions themselves are the outbox's, recorded in the database.
 */
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import MailComposer from 'nodemailer/lib/mail-composer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';

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

export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(maxMs, exp * (0.8 + 0.4 * random())));
}
