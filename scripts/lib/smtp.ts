/**
 * Test support: a real SMTP server on loopback (the `smtp-server` package) that keeps what it
 * accepts, parsed just enough to check headers and the text part. A `decide` hook can reject a
 * message (with an SMTP code) or act in the middle of a delivery (e.g. kill the notifier).
 */
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  raw: string;
  envelopeFrom: string;
  envelopeTo: string[];
  /** Lower-case header names → unfolded values (the last one wins). */
  headers: Map<string, string>;
  messageId: string;
  subject: string;
  text: string;
  html: string;
  /** The kind from X-PaidChat-Notification (message, reply, refund, reminder, confirmation). */
  kind: string;
  acceptedAt: number;
}

export type Decision = { accept: true } | { accept: false; code: number; message: string };

export interface TestSmtp {
  port: number;
  url: string;
  /** Every accepted message, in order. */
  received: ReceivedMail[];
  /** Messages rejected by `decide`. */
  rejected: ReceivedMail[];
  /** Decides per message (default: accept). Runs after the whole message was read. */
  decide?: (mail: ReceivedMail, index: number) => Decision | Promise<Decision>;
  /** Resolves when `predicate(received)` holds (checked on every accepted message). */
  waitFor(predicate: (received: ReceivedMail[]) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedMail[]>;
  /** Stops listening (and drops open connections). */
  close(): Promise<void>;
  /** Starts listening again on the same port. */
  reopen(): Promise<void>;
  readonly listening: boolean;
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*(?==\?)?/g, (_m, _cs, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return headers;
}

function splitPart(raw: string): { headers: Map<string, string>; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m) return { headers: parseHeaders(raw), body: '' };
  return { headers: parseHeaders(raw.slice(0, m.index)), body: raw.slice(m.index + m[0].length) };
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const enc = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Finds the text/plain and text/html parts of a (possibly multipart) message. */
function collectParts(headers: Map<string, string>, body: string, out: { text: string; html: string }) {
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const p = splitPart(chunk.replace(/^\r?\n/, ''));
      collectParts(p.headers, p.body, out);
    }
  } else if (/^text\/html/i.test(type)) out.html ||= decodeBody(headers, body);
  else if (/^text\/plain/i.test(type)) out.text ||= decodeBody(headers, body);
}

export function parseMail(raw: string, envelopeFrom = '', envelopeTo: string[] = []): ReceivedMail {
  const { headers, body } = splitPart(raw);
  const parts = { text: '', html: '' };
  collectParts(headers, body, parts);
  return {
    raw,
    envelopeFrom,
    envelopeTo,
    headers,
    messageId: headers.get('message-id') ?? '',
    subject: decodeWords(headers.get('subject') ?? ''),
    text: parts.text,
    html: parts.html,
    kind: headers.get('x-paidchat-notification') ?? '',
    acceptedAt: 0,
  };
}

export async function startTestSmtp(opts: { port?: number } = {}): Promise<TestSmtp> {
  let server: SMTPServer | undefined;
  let port = opts.port ?? 0;
  const waiters = new Set<() => void>();
  let index = 0;

  const t: TestSmtp = {
    port: 0,
    url: '',
    received: [],
    rejected: [],
    get listening() {
      return server !== undefined;
    },
    waitFor(predicate, timeoutMs = 20_000, what = 'the expected emails') {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(t.received)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(t.received);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${t.received.length}: ${t.received.map((m) => `${m.kind}:${m.subject}`).join(' | ')}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async close() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
    async reopen() {
      if (server) return;
      await listen();
    },
  };

  async function listen() {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 50,
      banner: 'test smtp',
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          const mail = parseMail(
            Buffer.concat(chunks).toString('utf8'),
            session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            session.envelope.rcptTo.map((r) => r.address),
          );
          let d: Decision = { accept: true };
          try {
            if (t.decide) d = await t.decide(mail, index++);
          } catch (e) {
            d = { accept: false, code: 451, message: `test hook failed: ${e}` };
          }
          if (!d.accept) {
            t.rejected.push(mail);
            const err = new Error(d.message) as Error & { responseCode: number };
            err.responseCode = d.code;
            return callback(err);
          }
          mail.acceptedAt = Date.now();
          t.received.push(mail);
          callback(null, 'queued');
          for (const w of [...waiters]) w();
        });
      },
    });
    s.on('error', () => {
      /* connection errors of killed clients are expected */
    });
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    port = (s.server.address() as { port: number }).port;
    t.port = port;
    t.url = `smtp://127.0.0.1:${port}/?ignoreTLS=true`;
    server = s;
  }

  await listen();
  return t;
}
