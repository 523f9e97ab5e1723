/**
 * Test support for the notifier: protocol-2 contract transactions straight through viem wallet
 * clients (legacy, Harmony gas price; envelopes with the v2 header and a recognisable body that must
 * never be mailed), signed requests (EIP-4361 via the SDK, from an EOA or a Safe through EIP-1271),
 * a notifier started in-process, and a loopback webhook receiver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, concatHex, hashMessage, parseEventLogs, stringToHex, type Address, type Hex } from "viem";
import type { HDAccount } from 'viem/accounts';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { configWith, type NotifierConfig } from '../../notifier/src/config.js';
import { startNotifier, type RunningNotifier, type StartOptions } from '../../notifier/src/service.js';
import { createLogger } from '../../notifier/src/log.js';
import { newNonce, notifierSignInMessage, type NotifierAction, type NotifierInfo, type SubscriptionTopic } from '../../src/index.js';
import { writePaidChat, type TestChain } from './chain.js';
import type { TestSmtp } from './smtp.js';
import type { SafeWallet } from './safe.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const SECRET_CONTENT = 'SECRET-CONTENT-do-not-mail-me';
/** The site the tests' requests come from (their Origin header and their messages' domain). */
export const ORIGIN = 'https://creator.example';

export const KIND = { message: 1, reply: 2, followUp: 3 } as const;

/** A v2 envelope (version 2, kind, key id big-endian) whose body carries a recognisable plaintext: it must never appear in an email or a webhook. */
export function envelope(kind: number, keyId = 1): Hex {
  const head = new Uint8Array(6);
  head[0] = 2;
  head[1] = kind;
  new DataView(head.buffer).setUint32(2, keyId);
  return concatHex([bytesToHex(head), stringToHex(`${SECRET_CONTENT}-${'x'.repeat(40)}`)]);
}
export const ENVELOPE: Hex = envelope(KIND.message);

/** A PaidChat transaction from dev account `from` (see ./chain.ts). */
export const tx = writePaidChat;

export const keyX = (i: number): Hex => stringToHex(`test-key-${i}`, { size: 32 });

/** Claims a handle with an inbox key (id 1) and no sites (v2: `claimHandle(handle, price, window, key, sites)`). */
export async function claimHandle(tc: TestChain, i: number, handle: string, price: bigint, windowSec = 0) {
  return tx(tc, i, 'claimHandle', [stringToHex(handle, { size: 32 }), price, windowSec, keyX(i), '0x']);
}

/** Sends a paid message sealed (in its header) to the recipient's key `keyId`; returns its id, thread and block. */
export async function sendMessage(tc: TestChain, from: number, to: number, value: bigint, maxWindow = 30n * 86_400n, keyId = 1) {
  const r = await tx(tc, from, 'sendMessage', [tc.accounts[to]!.address, maxWindow, envelope(KIND.message, keyId)], value);
  const [ev] = parseEventLogs({ abi: paidChatAbi, eventName: 'MessageSent', logs: r.logs });
  if (!ev) throw new Error('no MessageSent');
  return { id: ev.args.id, thread: ev.args.thread, deadline: ev.args.deadline, blockNumber: r.blockNumber, txHash: r.transactionHash };
}

export async function reply(tc: TestChain, creator: number, id: bigint) {
  return tx(tc, creator, 'reply', [id, envelope(KIND.reply)]);
}

export async function followUp(tc: TestChain, from: number, ticket: bigint, value = 0n) {
  return tx(tc, from, 'postFollowUp', [ticket, envelope(KIND.followUp)], value);
}

export function tempDb(prefix = 'notifier-test-'): { path: string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: join(dir, 'notifier.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function notifierConfig(tc: TestChain, smtp: TestSmtp, dbPath: string, overrides: Partial<NotifierConfig> = {}): NotifierConfig {
  return configWith({
    chain: 'local',
    rpcUrl: tc.rpcUrl,
    contract: tc.contract,
    fromBlock: tc.deployBlock,
    smtpUrl: smtp.url,
    from: 'Paid Chat <notify@paidchat.test>',
    dbPath,
    host: '127.0.0.1',
    port: 0,
    pollIntervalMs: 100,
    adminToken: ADMIN_TOKEN,
    rateIp: { capacity: 1000, perMs: 1000 },
    rateAddress: { capacity: 100, perMs: 1000 },
    rateEmail: { capacity: 100, perMs: 86_400_000 },
    retryBaseMs: 100,
    retryMaxMs: 1000,
    smtpTimeoutMs: 2000,
    smtpConnections: 2,
    webhookAllowHttpLoopback: true,
    webhookRetryBaseMs: 100,
    webhookRetryMaxMs: 1000,
    webhookTimeoutMs: 2000,
    instanceTimeoutMs: 3000,
    staticDir: join(dbPath, '..', 'no-cdn'),
    logLevel: 'silent',
    ...overrides,
  });
}

/** Starts the notifier in this process; logs go to `lines` (and to stderr with NOTIFIER_TEST_LOG=1). */
export async function startTestNotifier(cfg: NotifierConfig, opts: StartOptions = {}): Promise<RunningNotifier & { lines: string[] }> {
  const lines: string[] = [];
  const log = createLogger(process.env.NOTIFIER_TEST_LOG ? 'debug' : 'info', (line) => {
    lines.push(line);
    if (process.env.NOTIFIER_TEST_LOG) process.stderr.write(line + '\n');
  });
  const n = await startNotifier(cfg, { log, ...opts });
  return Object.assign(n, { lines });
}

export async function health(baseUrl: string): Promise<NotifierInfo> {
  return (await (await fetch(`${baseUrl}/v1/health`)).json()) as NotifierInfo;
}

/** Something that signs a message for an address: a dev account (EOA) or a Safe (EIP-1271). */
export type Signer = { address: Address; signText(message: string): Promise<Hex> };

export const eoa = (account: HDAccount): Signer => ({ address: account.address, signText: (message) => account.signMessage({ message }) });

/**
 * A Safe 1.4.1 as a signer: its owner signs the EIP-712 SafeMessage over the EIP-191 hash of the
 * text; the Safe's CompatibilityFallbackHandler answers EIP-1271 `isValidSignature` for it.
 */
export function safeSigner(tc: TestChain, safe: SafeWallet): Signer {
  return {
    address: safe.address,
    signText: (message) =>
      tc.accounts[safe.ownerIndex]!.signTypedData({
        domain: { chainId: tc.chain.id, verifyingContract: safe.address },
        types: { SafeMessage: [{ name: 'message', type: 'bytes' }] },
        primaryType: 'SafeMessage',
        message: { message: hashMessage(message) },
      }),
  };
}

/** The body of a signed request for `action` (fields for the JSON body included). */
export async function signedBody(
  baseUrl: string,
  signer: Signer | HDAccount,
  action: NotifierAction,
  o: { origin?: string; address?: Address; nonce?: string; issuedAt?: Date; expiresAt?: Date; info?: NotifierInfo; chainId?: number; notifierUri?: string } = {},
) {
  const s: Signer = 'signText' in signer ? signer : eoa(signer);
  const info = o.info ?? (await health(baseUrl));
  const issuedAt = o.issuedAt ?? new Date();
  const message = notifierSignInMessage({
    origin: o.origin ?? ORIGIN,
    notifierUri: o.notifierUri ?? info.uri,
    address: o.address ?? s.address,
    chainId: o.chainId ?? info.chainId,
    nonce: o.nonce ?? newNonce(),
    issuedAt,
    expirationTime: o.expiresAt ?? new Date(issuedAt.getTime() + 600_000),
    action,
  });
  const fields = action.type === 'subscribe' ? { email: action.email, topic: action.topic } : action.type === 'list-webhooks' ? {} : { url: action.url };
  return { message, signature: await s.signText(message), ...fields };
}

/** A signed subscription request body (default topic inbox). */
export async function signedRequest(baseUrl: string, signer: Signer | HDAccount, email: string, o: Parameters<typeof signedBody>[3] & { topic?: SubscriptionTopic } = {}) {
  return signedBody(baseUrl, signer, { type: 'subscribe', email, topic: o.topic ?? 'inbox' }, o);
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as any) : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** A fetch that sends ORIGIN as the Origin header, as a browser on that site would (for the SDK helpers). */
export const fetchFrom =
  (origin = ORIGIN) =>
  (input: string, init: any = {}) =>
    fetch(input, { ...init, headers: { ...(init.headers ?? {}), origin } });

/** The confirmation link inside a confirmation email. */
export function confirmLink(text: string): string {
  const m = /https?:\/\/\S+\/v1\/confirm\?token=[A-Za-z0-9_-]+/.exec(text);
  if (!m) throw new Error(`no confirmation link in:\n${text}`);
  return m[0];
}

/** Presses the "Confirm" button of a confirmation page: POST /v1/confirm with the token. */
export async function pressConfirm(link: string) {
  const u = new URL(link);
  return fetch(`${u.origin}/v1/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${encodeURIComponent(u.searchParams.get('token')!)}`,
  });
}

/** Subscribes `signer` with `email` through the real API, opens the emailed link and presses Confirm. */
export async function subscribeAndConfirm(baseUrl: string, smtp: TestSmtp, signer: Signer | HDAccount, email: string, topic: SubscriptionTopic = 'inbox'): Promise<void> {
  const before = smtp.received.length;
  const r = await postJson(`${baseUrl}/v1/subscriptions`, await signedRequest(baseUrl, signer, email, { topic }));
  if (r.status !== 202) throw new Error(`subscription refused: ${r.status} ${r.text}`);
  const [mail] = (
    await smtp.waitFor((rs) => rs.slice(before).some((m) => m.kind === 'confirmation' && m.envelopeTo.includes(email)), 10_000, `confirmation to ${email}`)
  )
    .slice(before)
    .filter((m) => m.kind === 'confirmation' && m.envelopeTo.includes(email));
  const link = confirmLink(mail!.text);
  const shown = await fetch(link);
  if (shown.status !== 200) throw new Error(`confirm link answered ${shown.status}`);
  const confirmed = await pressConfirm(link);
  if (confirmed.status !== 200 || !/Email notifications are on/.test(await confirmed.text())) throw new Error(`confirming answered ${confirmed.status}`);
}

/** Rows per table, read with a separate connection (the service keeps its own). */
export async function tableCounts(dbPath: string, tables = ['nonces', 'pending_subscriptions', 'subscriptions', 'outbox', 'reminders', 'webhooks']): Promise<Record<string, number>> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    return out;
  } finally {
    db.close();
  }
}

/** Every row of a table whose text mentions `needle` (SQLite file), as "table: row". */
export async function rowsMentioning(dbPath: string, needle: string): Promise<string[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    const out: string[] = [];
    for (const t of tables) {
      for (const row of db.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[]) {
        const text = JSON.stringify(row);
        if (text.toLowerCase().includes(needle.toLowerCase())) out.push(`${t}: ${text.slice(0, 200)}`);
      }
    }
    return out;
  } finally {
    db.close();
  }
}

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  json: any;
  at: number;
}

/** A loopback HTTP server that records webhook deliveries; `decide` picks the status code per delivery. */
export async function startWebhookReceiver(): Promise<{
  url: string;
  received: ReceivedWebhook[];
  attempts: ReceivedWebhook[];
  decide?: (w: ReceivedWebhook, attempt: number) => number;
  waitFor(pred: (r: ReceivedWebhook[]) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
  server: Server;
}> {
  const r: any = { received: [], attempts: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const w: ReceivedWebhook = {
        headers: req.headers,
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body,
        json,
        at: Date.now(),
      };
      r.attempts.push(w);
      const status = r.decide ? r.decide(w, r.attempts.length - 1) : 200;
      if (status >= 200 && status < 300) r.received.push(w);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/paid-chat`;
  r.server = server;
  r.waitFor = (pred: (x: ReceivedWebhook[]) => boolean, timeoutMs = 10_000, what = 'webhooks') => until(() => (pred(r.received) ? r.received : undefined), timeoutMs, what);
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

