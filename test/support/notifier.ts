/**
 * Test support for the notifier: contract transactions straight through viem wallet clients
 * (legacy, Harmony gas price), signed subscription requests, and a notifier started in-process
 * (or its config as command-line flags for a child process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLogs, stringToHex, type Address, type Hex } from 'viem';
import type { HDAccount } from 'viem/accounts';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { configWith, type NotifierConfig } from '../../notifier/src/config.js';
import { startNotifier, type RunningNotifier, type StartOptions } from '../../notifier/src/service.js';
import { createLogger } from '../../notifier/src/log.js';
import { newNonce, subscriptionMessage, type NotifierInfo } from '../../src/index.js';
import { writePaidChat, type TestChain } from './chain.js';
import type { TestSmtp } from './smtp.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const SECRET_CONTENT = 'SECRET-CONTENT-do-not-mail-me';
/** Envelope bytes that carry a recognisable plaintext: it must never appear in an email. */
export const ENVELOPE: Hex = stringToHex(`${SECRET_CONTENT}-${'x'.repeat(40)}`);

/** A PaidChat transaction from dev account `from` (see test/support/chain.ts). */
export const tx = writePaidChat;

export const keyX = (i: number): Hex => stringToHex(`test-key-${i}`, { size: 32 });

export async function registerKey(tc: TestChain, i: number) {
  return tx(tc, i, 'registerKey', [keyX(i), 2]);
}

export async function claimHandle(tc: TestChain, i: number, handle: string, price: bigint, windowSec = 0) {
  return tx(tc, i, 'claimHandle', [stringToHex(handle, { size: 32 }), price, windowSec, keyX(i), 2]);
}

/** Sends a paid message; returns its id and block. */
export async function sendMessage(tc: TestChain, from: number, to: number, value: bigint, maxWindow = 30n * 86_400n) {
  const r = await tx(tc, from, 'sendMessage', [tc.accounts[to]!.address, maxWindow, ENVELOPE], value);
  const [ev] = parseEventLogs({ abi: paidChatAbi, eventName: 'MessageSent', logs: r.logs });
  if (!ev) throw new Error('no MessageSent');
  return { id: ev.args.id, deadline: ev.args.deadline, blockNumber: r.blockNumber, txHash: r.transactionHash };
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
    retryBaseMs: 100,
    retryMaxMs: 1000,
    smtpTimeoutMs: 2000,
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

/** Fields and signature of a subscription request, signed by `signer` (default: for its own address). */
export async function signedRequest(
  baseUrl: string,
  signer: HDAccount,
  email: string,
  o: { address?: Address; nonce?: string; issuedAt?: Date; expiresAt?: Date; info?: NotifierInfo } = {},
) {
  const info = o.info ?? ((await (await fetch(`${baseUrl}/v1/health`)).json()) as NotifierInfo);
  const issued = o.issuedAt ?? new Date();
  const expires = o.expiresAt ?? new Date(issued.getTime() + 600_000);
  const fields = {
    address: o.address ?? signer.address,
    email,
    nonce: o.nonce ?? newNonce(),
    issuedAt: issued.toISOString(),
    expiresAt: expires.toISOString(),
  };
  const message = subscriptionMessage({ ...fields, domain: info.domain, uri: info.uri, chainId: info.chainId });
  const signature = await signer.signMessage({ message });
  return { ...fields, signature };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
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

/** The confirmation link inside a confirmation email. */
export function confirmLink(text: string): string {
  const m = /https?:\/\/\S+\/v1\/confirm\?token=[A-Za-z0-9_-]+/.exec(text);
  if (!m) throw new Error(`no confirmation link in:\n${text}`);
  return m[0];
}

/** Subscribes `signer` with `email` through the real API and follows the emailed link. */
export async function subscribeAndConfirm(baseUrl: string, smtp: TestSmtp, signer: HDAccount, email: string): Promise<void> {
  const before = smtp.received.length;
  const r = await postJson(`${baseUrl}/v1/subscriptions`, await signedRequest(baseUrl, signer, email));
  if (r.status !== 202) throw new Error(`subscription refused: ${r.status} ${r.text}`);
  const [mail] = (
    await smtp.waitFor((rs) => rs.slice(before).some((m) => m.kind === 'confirmation' && m.envelopeTo.includes(email)), 10_000, `confirmation to ${email}`)
  )
    .slice(before)
    .filter((m) => m.kind === 'confirmation' && m.envelopeTo.includes(email));
  const page = await fetch(confirmLink(mail!.text));
  if (page.status !== 200) throw new Error(`confirm link answered ${page.status}`);
}

/** Rows of a table, read with a separate connection (the service keeps its own). */
export async function tableCounts(dbPath: string): Promise<Record<string, number>> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const out: Record<string, number> = {};
    for (const t of ['nonces', 'pending_subscriptions', 'subscriptions', 'outbox', 'reminders']) {
      out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  } finally {
    db.close();
  }
}

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
