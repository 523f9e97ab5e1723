/**
 * Wires the notifier together: the database (SQLite or PostgreSQL), the SDK's chain client, the
 * watcher, the outbox (email and webhook loops), the keeper (when configured) and the HTTP API.
 * `startNotifier(config)` is what `main.ts` runs, and what tests and the bench start in-process.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createAdaptorServer } from '@hono/node-server';
import { getChainId } from 'viem/actions';
import { defineChain, getAddress, type Address, type Chain, type PublicClient } from 'viem';
import { createPaidChat, explorerTxUrl, isPaidChatError, VERSION, type PaidChat } from 'harmony-paid-chat';
import { Store, type OutboxRow } from './store/store.js';
import { Watcher } from './watcher.js';
import { Mailer, backoffMs, classifySmtpError } from './mailer.js';
import { ChannelLoop, Marker, type Outcome } from './outbox.js';
import { createApp } from './http.js';
import { createLogger, type Logger } from './log.js';
import { notificationMessageId, renderNotification, unsubscribeToken } from './emails.js';
import { parseFacts, webhookBody, type NotificationFacts } from './facts.js';
import { WebhookClient } from './webhooks.js';
import { Keeper } from './keeper.js';
import type { NotifierConfig } from './config.js';

export interface RunningNotifier {
  /** Where the HTTP server listens (http://host:port). */
  url: string;
  /** The public base URL used in links. */
  publicUrl: string;
  config: NotifierConfig;
  instanceId: string;
  store: Store;
  chat: PaidChat;
  watcher: Watcher;
  email: ChannelLoop;
  webhooks: ChannelLoop;
  keeper?: Keeper;
  status(): Promise<Record<string, unknown>>;
  /** Runs the retention and clean-up pass now (it also runs every few minutes). */
  housekeeping(now?: number): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  onSettled?: (row: OutboxRow, outcome: Outcome['outcome']) => void;
  /** Interval of the retention pass (default 10 min). */
  housekeepingIntervalMs?: number;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function chainFor(cfg: NotifierConfig): Chain | NotifierConfig['chain'] {
  if (typeof cfg.chain !== 'number') return cfg.chain;
  return defineChain({ id: cfg.chain, name: `EVM chain ${cfg.chain}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [cfg.rpcUrl!] } } });
}

export async function startNotifier(cfg: NotifierConfig, opts: StartOptions = {}): Promise<RunningNotifier> {
  const log = opts.log ?? createLogger(cfg.logLevel);
  let chat: PaidChat;
  try {
    chat = createPaidChat({ chain: chainFor(cfg) as any, rpcUrl: cfg.rpcUrl, contract: cfg.contract });
  } catch (e) {
    if (isPaidChatError(e, 'CONTRACT_NOT_FOUND')) {
      throw new Error(`No PaidChat contract is known on chain "${cfg.chain}": pass --contract 0x… (or NOTIFIER_CONTRACT).`);
    }
    throw e;
  }
  const reader = chat.reader as unknown as PublicClient;
  const chainId = chat.chain.id;
  const contract = getAddress(chat.contract) as Address;
  const rpcUrl = chat.chain.rpcUrls.default.http[0]!;
  try {
    const actual = await getChainId(reader);
    if (actual !== chainId) throw new Error(`The RPC at ${rpcUrl} serves chain ${actual}, but --chain ${cfg.chain} is ${chainId}.`);
  } catch (e) {
    if (String((e as Error).message).startsWith('The RPC at')) throw e;
    log.warn('cannot reach the RPC yet; will keep trying', { error: String((e as Error)?.message ?? e).slice(0, 300) });
  }
  const scope = `${chainId}:${contract}`;
  const store = await Store.open(cfg.dbPath, {
    synchronous: cfg.sqliteSynchronous,
    poolSize: cfg.dbPool,
    onError: (e) => log.warn('database connection lost; reconnecting', { error: e.message }),
  });
  const shared = store.dialect === 'postgres';
  const instanceId = `${randomBytes(6).toString('hex')}`;
  const stops: (() => Promise<void> | void)[] = [];
  try {
    await store.bindScope(scope);
    const secret = await store.secret(cfg.secret);
    await store.registerInstance(instanceId, { pid: process.pid, version: VERSION, startedAt: new Date().toISOString() });
    // SQLite holds one instance: any claim left in the file is a dead process's. PostgreSQL: only
    // the claims of instances that stopped beating.
    const reclaimed = await store.reclaim(instanceId, cfg.instanceTimeoutMs, !shared);
    if (reclaimed) log.info('took back deliveries a stopped instance had in hand', { rows: reclaimed });
    const startedAt = Date.now();

    let publicUrl = cfg.publicUrl ?? '';
    let server: Server | undefined;
    let watcher: Watcher;
    let email: ChannelLoop;
    let webhooks: ChannelLoop;
    let keeper: Keeper | undefined;

    const status = async () => {
      const s = await store.stats();
      const cursor = await store.cursor(scope);
      return {
        status: 'ok',
        chainId,
        contract,
        database: store.dialect,
        instance: instanceId,
        instances: (await store.liveInstances(cfg.instanceTimeoutMs)).map((i) => ({ id: i.id, ...JSON.parse(i.info), heartbeatAt: new Date(Number(i.heartbeat_at)).toISOString() })),
        watcher: { leader: watcher.leader, holder: shared ? ((await store.leaseHolder('watcher')) ?? null) : instanceId, reorgs: watcher.reorgs },
        confirmations: cfg.confirmations,
        cursor: cursor?.block.toString() ?? null,
        cursorHash: cursor?.hash ?? null,
        head: watcher.head?.toString() ?? null,
        lagBlocks: watcher.head !== undefined && cursor !== undefined ? Number(watcher.head - cursor.block) : null,
        chainTime: watcher.chainTime !== undefined ? new Date(Number(watcher.chainTime) * 1000).toISOString() : null,
        lastPollAt: watcher.lastTickAt ? new Date(watcher.lastTickAt).toISOString() : null,
        lastPollError: watcher.lastError ? { at: new Date(watcher.lastError.at).toISOString(), message: watcher.lastError.message } : null,
        sender: {
          backingOffUntil: email.backingOffUntil ? new Date(email.backingOffUntil).toISOString() : null,
          lastError: email.lastError ? { at: new Date(email.lastError.at).toISOString(), reason: email.lastError.reason } : null,
        },
        webhookSender: { lastError: webhooks.lastError ? { at: new Date(webhooks.lastError.at).toISOString(), reason: webhooks.lastError.reason } : null },
        keeper: keeper ? keeper.status() : null,
        ...s,
        lastErrors: s.lastErrors.map((r) => ({ ...r, updated_at: new Date(r.updated_at).toISOString(), next_attempt_at: new Date(Math.min(r.next_attempt_at, 8.64e15)).toISOString() })),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      };
    };

    const mailerOpts = (host: string) => ({ smtpUrl: cfg.smtpUrl, timeoutMs: cfg.smtpTimeoutMs, clientName: host });
    const confirmationMailer = { current: undefined as Mailer | undefined };
    const app = createApp({
      cfg,
      store,
      log,
      get mailer() {
        return confirmationMailer.current!;
      },
      get from() {
        return fromAddress();
      },
      secret,
      chainId,
      chainName: chat.chain.name,
      contract,
      reader,
      publicUrl: () => publicUrl,
      widgetRpcUrl: cfg.widgetRpcUrl ?? rpcUrl,
      status,
    });
    server = createAdaptorServer({ fetch: app.fetch }) as Server;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    const srv = server;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(cfg.port, cfg.host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    stops.push(
      () =>
        new Promise<void>((r) => {
          srv.close(() => r());
          srv.closeAllConnections();
        }),
    );
    const port = (srv.address() as AddressInfo).port;
    const url = `http://${urlHost(cfg.host)}:${port}`;
    if (!publicUrl) publicUrl = url;
    const publicHost = new URL(publicUrl).hostname;
    if (!publicUrl.startsWith('https://') && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(publicHost)) {
      log.warn('the public URL is not https: mail providers expect https List-Unsubscribe links (RFC 8058)', { publicUrl });
    }
    const fromAddress = () => cfg.from ?? `Harmony Paid Chat <notifications@${/^[\d.]+$|:/.test(publicHost) ? 'localhost' : publicHost}>`;
    confirmationMailer.current = new Mailer(mailerOpts(publicHost));
    const mailers = Array.from({ length: cfg.smtpConnections }, () => new Mailer(mailerOpts(publicHost)));
    stops.push(() => {
      for (const m of [...mailers, confirmationMailer.current!]) m.close();
    });
    const webhookClient = new WebhookClient({ timeoutMs: cfg.webhookTimeoutMs, allowHttpLoopback: cfg.webhookAllowHttpLoopback, maxSockets: cfg.webhookConcurrency });
    stops.push(() => webhookClient.close());

    const pageUrlFor = (handle: string): string => {
      if (!handle) return publicUrl;
      const template = cfg.pageUrl ?? `${publicUrl}/h/{handle}`;
      if (template.includes('{handle}')) return template.replaceAll('{handle}', encodeURIComponent(handle));
      const u = new URL(template);
      u.searchParams.set('handle', handle);
      return u.toString();
    };
    const unsubscribeUrl = (unsubId: string) => `${publicUrl}/v1/unsubscribe?token=${unsubscribeToken(secret, unsubId)}`;

    const marker = new Marker(store, log, instanceId, opts.onSettled);
    email = new ChannelLoop({
      channel: 'email',
      marker,
      store,
      log,
      instanceId,
      concurrency: cfg.smtpConnections,
      idleMs: Math.max(250, Math.min(cfg.pollIntervalMs, 2000)),
      onSettled: opts.onSettled,
      async deliver(row, w): Promise<Outcome> {
        const { facts: rawFacts, unsubId } = JSON.parse(row.payload) as { facts: unknown; unsubId: string };
        const facts = parseFacts(JSON.stringify(rawFacts)) as NotificationFacts;
        const sub = (await store.subscriptionsById([Number(row.target)])).get(Number(row.target));
        if (!sub) return { outcome: 'skipped', reason: 'unsubscribed before sending' };
        if (sub.unsub_id !== unsubId) return { outcome: 'skipped', reason: 'the subscription changed before sending' };
        if (row.kind === 'reminder') {
          try {
            if (!(await watcher.stillWaiting(facts.id))) return { outcome: 'skipped', reason: 'the message is no longer waiting for a reply' };
          } catch (e) {
            return { outcome: 'retry', delayMs: backoffMs(row.attempts + 1, cfg.retryBaseMs, cfg.retryMaxMs), error: `RPC: ${String((e as Error)?.message ?? e).slice(0, 300)}` };
          }
        }
        const key = row.key.replace(/^email:/, '');
        const rendered = renderNotification(facts, {
          pageUrl: pageUrlFor(facts.recipient.handle),
          unsubscribeUrl: unsubscribeUrl(sub.unsub_id),
          subscriber: sub.address as Address,
          topic: sub.topic,
          email: sub.email,
          reminderLeadSec: cfg.reminderLeadSec,
          chainName: chat.chain.name,
        });
        try {
          const mailer = mailers[w]!;
          const composed = await mailer.compose({
            from: fromAddress(),
            to: sub.email,
            ...rendered,
            messageId: notificationMessageId(scope, key, publicHost),
            headers: {
              'List-Unsubscribe': `<${unsubscribeUrl(sub.unsub_id)}>`,
              'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
              'Auto-Submitted': 'auto-generated',
              'X-PaidChat-Notification': row.kind,
              ...(facts.kind === 'follow-up' ? { 'X-PaidChat-Thread': `${facts.thread}:${facts.index}` } : { 'X-PaidChat-Message': facts.id.toString() }),
            },
          });
          const info = await mailer.transmit(composed);
          return { outcome: 'sent', response: info.response };
        } catch (e) {
          const f = classifySmtpError(e);
          if (f.permanent) {
            log.error('notification failed permanently', { key: row.key, reason: f.reason });
            return { outcome: 'failed', error: f.reason };
          }
          const delayMs = backoffMs(row.attempts + 1, cfg.retryBaseMs, cfg.retryMaxMs);
          log.warn('notification delivery failed, will retry', { key: row.key, attempt: row.attempts + 1, delayMs, reason: f.reason });
          return { outcome: 'retry', delayMs, error: f.reason, connection: f.connection };
        }
      },
    });

    webhooks = new ChannelLoop({
      channel: 'webhook',
      marker,
      store,
      log,
      instanceId,
      concurrency: cfg.webhookConcurrency,
      idleMs: Math.max(250, Math.min(cfg.pollIntervalMs, 2000)),
      onSettled: opts.onSettled,
      async deliver(row): Promise<Outcome> {
        const hook = (await store.webhooksById([row.target])).get(row.target);
        if (!hook) return { outcome: 'skipped', reason: 'the endpoint was removed' };
        if (hook.disabled_at) return { outcome: 'skipped', reason: 'the endpoint is disabled' };
        const facts = parseFacts(row.payload);
        const body = webhookBody(facts, { chainId, contract, now: Number(row.created_at) });
        const retry = (error: string): Outcome => {
          if (row.attempts + 1 >= cfg.webhookMaxAttempts) {
            log.error('webhook delivery failed for good', { key: row.key, attempts: row.attempts + 1, error });
            return { outcome: 'failed', error };
          }
          const delayMs = backoffMs(row.attempts + 1, cfg.webhookRetryBaseMs, cfg.webhookRetryMaxMs);
          log.warn('webhook delivery failed, will retry', { key: row.key, attempt: row.attempts + 1, delayMs, error });
          return { outcome: 'retry', delayMs, error };
        };
        try {
          const r = await webhookClient.send({ url: hook.url, id: row.event_id, body, secret: hook.secret });
          if (r.status >= 200 && r.status < 300) return { outcome: 'sent', response: r.response };
          if (r.status === 410) {
            // Standard Webhooks: 410 Gone means "stop sending": the endpoint is switched off.
            await store.disableWebhook(hook.id);
            log.warn('webhook endpoint answered 410 Gone: disabled', { id: hook.id });
            return { outcome: 'failed', error: `410 Gone: endpoint disabled` };
          }
          return retry(`HTTP ${r.response}`);
        } catch (e) {
          return retry(String((e as { code?: string })?.code ? `${(e as { code: string }).code}: ${(e as Error).message}` : ((e as Error)?.message ?? e)).slice(0, 300));
        }
      },
    });

    watcher = new Watcher({
      reader,
      contract,
      store,
      log,
      scope,
      instanceId,
      shared,
      leaseMs: cfg.instanceTimeoutMs,
      fromBlock: cfg.fromBlock,
      confirmations: cfg.confirmations,
      reminderLeadSec: cfg.reminderLeadSec,
      pollIntervalMs: cfg.pollIntervalMs,
      webhooks: cfg.webhooks,
      explorerTxUrl: (hash) => explorerTxUrl(chat.chain, hash),
      onEnqueued: () => {
        email.wake();
        webhooks.wake();
        // The other instances (PostgreSQL) hear of it at once instead of on their next look.
        if (shared) store.db.notify('notifier_outbox').catch(() => undefined);
      },
    });
    if (shared) {
      const stopListening = await store.db.listen('notifier_outbox', () => {
        email.wake();
        webhooks.wake();
      });
      stops.push(stopListening);
    }

    if (cfg.keeperKeyFile) {
      keeper = new Keeper({
        reader,
        chain: chat.chain,
        rpcUrl,
        contract,
        store,
        log,
        keyFile: cfg.keeperKeyFile,
        maxGasPrice: cfg.keeperMaxGasPrice,
        batch: cfg.keeperBatch,
        intervalMs: cfg.keeperIntervalMs,
        minBalance: cfg.keeperMinBalance,
        maxAttempts: cfg.keeperMaxAttempts,
        retryBaseMs: Math.max(cfg.retryBaseMs, 1000),
        shared,
        instanceId,
        leaseMs: cfg.instanceTimeoutMs,
      });
    }

    // Heartbeats (and, with PostgreSQL, taking back the work of instances that stopped).
    const beat = setInterval(
      () => {
        void (async () => {
          try {
            await store.heartbeat(instanceId);
            if (shared) {
              const n = await store.reclaim(instanceId, cfg.instanceTimeoutMs);
              if (n) {
                log.warn('took back deliveries from an instance that stopped', { rows: n });
                email.wake();
                webhooks.wake();
              }
            }
          } catch (e) {
            log.warn('heartbeat failed', { error: String((e as Error)?.message ?? e) });
          }
        })();
      },
      Math.max(200, Math.min(5000, cfg.instanceTimeoutMs / 5)),
    );
    beat.unref();
    stops.push(() => clearInterval(beat));

    const housekeeping = async (now = Date.now()) => {
      const r = await store.prune({ now, retentionMs: cfg.retentionMs, capWindowMs: cfg.rateEmail.perMs, scope, keepBlocks: Math.max(1024, cfg.confirmations * 4) });
      const total = Object.values(r).reduce((a, b) => a + b, 0);
      if (total) log.info('housekeeping', r);
      return r;
    };
    const hk = setInterval(() => {
      housekeeping().catch((e) => log.warn('housekeeping failed', { error: String(e) }));
    }, opts.housekeepingIntervalMs ?? 10 * 60_000);
    hk.unref();
    stops.push(() => clearInterval(hk));

    email.start();
    webhooks.start();
    watcher.start();
    keeper?.start();
    log.info('notifier started', {
      url,
      publicUrl,
      chainId,
      contract,
      instance: instanceId,
      db: store.db.where,
      database: store.dialect,
      smtp: cfg.smtpUrl.replace(/\/\/[^@/]*@/, '//***@'),
      keeper: keeper ? keeper.account.address : 'off',
      webhooks: cfg.webhooks ? 'on' : 'off',
    });

    let stopping: Promise<void> | undefined;
    return {
      url,
      publicUrl,
      config: cfg,
      instanceId,
      store,
      chat,
      watcher,
      email,
      webhooks,
      keeper,
      status,
      housekeeping,
      stop() {
        stopping ??= (async () => {
          const all = stops.splice(0);
          await all[0]!(); // the HTTP server: no new requests
          await Promise.all([watcher.stop(), email.stop(), webhooks.stop(), keeper?.stop()]);
          await store.removeInstance(instanceId).catch(() => undefined);
          for (const s of all.slice(1).reverse()) await Promise.resolve(s()).catch(() => undefined);
          await store.close();
          log.info('notifier stopped');
        })();
        return stopping;
      },
    };
  } catch (e) {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    await store.close().catch(() => undefined);
    throw e;
  }
}
