/**
 * Wires the notifier together: SQLite store, SDK client, chain watcher, outbox sender, HTTP API.
 * `startNotifier(config)` is what `main.ts` runs, and what tests and the bench start in-process.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getChainId } from 'viem/actions';
import { getAddress, type Address } from 'viem';
import { createPaidChat, isPaidChatError, type PaidChat } from 'harmony-paid-chat';
import { Store, type OutboxRow } from './db.js';
import { Watcher } from './watcher.js';
import { Mailer, Sender } from './sender.js';
import { createHttpHandler } from './http.js';
import { createLogger, type Logger } from './log.js';
import { notificationKey, notificationMessageId, renderNotification, unsubscribeToken } from './emails.js';
import type { NotifierConfig } from './config.js';

export interface RunningNotifier {
  /** Where the HTTP server listens (http://host:port). */
  url: string;
  /** The public base URL used in links. */
  publicUrl: string;
  config: NotifierConfig;
  store: Store;
  chat: PaidChat;
  watcher: Watcher;
  sender: Sender;
  status(): Record<string, unknown>;
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  onSettled?: (row: OutboxRow, outcome: 'sent' | 'failed' | 'skipped' | 'retry') => void;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startNotifier(cfg: NotifierConfig, opts: StartOptions = {}): Promise<RunningNotifier> {
  const log = opts.log ?? createLogger(cfg.logLevel);
  let chat: PaidChat;
  try {
    chat = createPaidChat({ chain: cfg.chain, rpcUrl: cfg.rpcUrl, contract: cfg.contract });
  } catch (e) {
    if (isPaidChatError(e, 'CONTRACT_NOT_FOUND')) {
      throw new Error(`No PaidChat contract is known on chain "${cfg.chain}": pass --contract 0x… (or NOTIFIER_CONTRACT).`);
    }
    throw e;
  }
  const chainId = chat.chain.id;
  const contract = getAddress(chat.contract) as Address;
  try {
    const actual = await getChainId(chat.reader);
    if (actual !== chainId) {
      throw new Error(`The RPC at ${chat.chain.rpcUrls.default.http[0]} serves chain ${actual}, but --chain ${cfg.chain} is ${chainId}.`);
    }
  } catch (e) {
    if (String((e as Error).message).startsWith('The RPC at')) throw e;
    log.warn('cannot reach the RPC yet; will keep trying', { error: String((e as Error)?.message ?? e).slice(0, 300) });
  }
  const scope = `${chainId}:${contract}`;
  const store = new Store(cfg.dbPath, { synchronous: cfg.sqliteSynchronous });
  store.bindScope(scope);
  const secret = store.secret(cfg.secret);
  const startedAt = Date.now();

  let publicUrl = cfg.publicUrl ?? '';
  const server: Server = createServer();
  const mailerHolder: { mailer?: Mailer } = {};
  let watcher: Watcher;
  let sender: Sender;

  const status = () => {
    const s = store.stats();
    const cursor = watcher.cursor;
    return {
      status: 'ok',
      chainId,
      contract,
      cursor: cursor?.toString() ?? null,
      head: watcher.head?.toString() ?? null,
      lagBlocks: watcher.head !== undefined && cursor !== undefined ? Number(watcher.head - cursor) : null,
      chainTime: watcher.chainTime !== undefined ? new Date(Number(watcher.chainTime) * 1000).toISOString() : null,
      lastPollAt: watcher.lastTickAt ? new Date(watcher.lastTickAt).toISOString() : null,
      lastPollError: watcher.lastError ? { at: new Date(watcher.lastError.at).toISOString(), message: watcher.lastError.message } : null,
      sender: {
        backingOffUntil: sender.backingOffUntil ? new Date(sender.backingOffUntil).toISOString() : null,
        lastError: sender.lastError ? { at: new Date(sender.lastError.at).toISOString(), reason: sender.lastError.reason } : null,
      },
      ...s,
      lastErrors: s.lastErrors.map((r) => ({ ...r, updated_at: new Date(r.updated_at).toISOString(), next_attempt_at: new Date(r.next_attempt_at).toISOString() })),
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
  };

  const handler = createHttpHandler({
    cfg,
    store,
    log,
    get mailer() {
      return mailerHolder.mailer!;
    },
    get from() {
      return fromAddress();
    },
    secret,
    chainId,
    chainName: chat.chain.name,
    contract,
    publicUrl: () => publicUrl,
    widgetRpcUrl: cfg.widgetRpcUrl ?? chat.chain.rpcUrls.default.http[0]!,
    status,
  });
  server.on('request', (req, res) => void handler(req, res));
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(cfg.host)}:${port}`;
  if (!publicUrl) publicUrl = url;
  const publicHost = new URL(publicUrl).hostname;
  if (!publicUrl.startsWith('https://') && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(publicHost)) {
    log.warn('the public URL is not https: mail providers expect https List-Unsubscribe links (RFC 8058)', { publicUrl });
  }
  const fromAddress = () => cfg.from ?? `Harmony Paid Chat <notifications@${/^[\d.]+$|:/.test(publicHost) ? 'localhost' : publicHost}>`;
  const mailer = new Mailer({ smtpUrl: cfg.smtpUrl, timeoutMs: cfg.smtpTimeoutMs, clientName: publicHost });
  mailerHolder.mailer = mailer;

  const pageUrlFor = (handle: string): string => {
    if (!handle) return publicUrl;
    const template = cfg.pageUrl ?? `${publicUrl}/h/{handle}`;
    if (template.includes('{handle}')) return template.replaceAll('{handle}', encodeURIComponent(handle));
    const u = new URL(template);
    u.searchParams.set('handle', handle);
    return u.toString();
  };
  const unsubscribeUrl = (unsubId: string) => `${publicUrl}/v1/unsubscribe?token=${unsubscribeToken(secret, unsubId)}`;

  sender = new Sender({
    store,
    mailer,
    log,
    from: fromAddress(),
    retryBaseMs: cfg.retryBaseMs,
    retryMaxMs: cfg.retryMaxMs,
    headersFor: (row) => ({
      'List-Unsubscribe': `<${unsubscribeUrl(row.unsub_id)}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Auto-Submitted': 'auto-generated',
      'X-PaidChat-Notification': row.kind,
      'X-PaidChat-Message': row.chain_message_id,
    }),
    stillWaiting: (id) => watcher.stillWaiting(id),
    onSettled: opts.onSettled,
    idleMs: Math.max(250, Math.min(cfg.pollIntervalMs, 2000)),
  });
  watcher = new Watcher({
    chat,
    store,
    log,
    scope,
    fromBlock: cfg.fromBlock,
    confirmations: cfg.confirmations,
    reminderLeadSec: cfg.reminderLeadSec,
    pollIntervalMs: cfg.pollIntervalMs,
    build: (facts, sub, blockNumber) => {
      const key = notificationKey(facts.kind, facts.id);
      const rendered = renderNotification(facts, {
        pageUrl: pageUrlFor(facts.recipient.handle),
        unsubscribeUrl: unsubscribeUrl(sub.unsub_id),
        subscriber: sub.address as Address,
        email: sub.email,
        reminderLeadSec: cfg.reminderLeadSec,
        chainName: chat.chain.name,
      });
      return {
        key,
        kind: facts.kind,
        chainMessageId: facts.id,
        address: sub.address,
        email: sub.email,
        unsubId: sub.unsub_id,
        ...rendered,
        mailMessageId: notificationMessageId(scope, key, publicHost),
        blockNumber,
        txHash: facts.txHash,
      };
    },
    onEnqueued: () => sender.wake(),
  });

  sender.start();
  watcher.start();
  const housekeeping = setInterval(() => {
    try {
      store.prune();
    } catch (e) {
      log.warn('housekeeping failed', { error: String(e) });
    }
  }, 10 * 60_000);
  housekeeping.unref();
  log.info('notifier started', { url, publicUrl, chainId, contract, db: cfg.dbPath, smtp: cfg.smtpUrl.replace(/\/\/[^@/]*@/, '//***@') });

  let stopping: Promise<void> | undefined;
  return {
    url,
    publicUrl,
    config: cfg,
    store,
    chat,
    watcher,
    sender,
    status,
    stop() {
      stopping ??= (async () => {
        clearInterval(housekeeping);
        server.close();
        server.closeAllConnections();
        await Promise.all([watcher.stop(), sender.stop()]);
        mailer.close();
        store.close();
        log.info('notifier stopped');
      })();
      return stopping;
    },
  };
}
