/**
 * Notifier bench (`npm run bench -- notifier` → bench/out/notifier.json). Real parts on loopback:
 * anvil (Istanbul rules, the real contract), the notifier as its own process with its default
 * settings except the poll interval (and, for the loopback receiver, the webhook development flag),
 * an SMTP sink and a webhook receiver in this process, and the load from a worker thread that submits
 * pre-signed raw transactions. Every creator is subscribed (email) and has a webhook endpoint, so each
 * paid message is one email and one webhook.
 *
 *  1. paced (SQLite): 1,000 messages at 50/s, one block per transaction — the headline latency, from
 *     the moment the bench saw the block holding the transaction to the SMTP server accepting the email;
 *  2. sustained (SQLite): Harmony's ceiling for 60 s — anvil mines a block every second with a 100 M gas
 *     limit and the load offers 500 paid messages a second (Harmony's 80 M gas per 2 s block holds
 *     about 460–470 sends of ~87k gas a second); mails per second from the first block to the last
 *     accepted email, and the latency under that load;
 *  3. both again on PostgreSQL (a throwaway cluster of Debian's postgresql on loopback), one instance.
 *
 * Emails and webhooks are counted at the receivers: duplicates by raw count against unique message
 * ids, and by Message-ID / webhook-id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { encodeFunctionData, getAbiItem, type Hex } from "viem";
import { paidChatAbi } from '../src/sdk/generated/paid-chat.js';
import { freePort } from '../scripts/lib/anvil.js';
import { startTestChain, GAS_PRICE, ONE, type TestChain } from '../scripts/lib/chain.js';
import { parseMail } from '../scripts/lib/smtp.js';
import { startPostgres } from '../scripts/lib/notifier-postgres.js';
import { ADMIN_TOKEN, ENVELOPE, claimHandle, confirmLink, health, postJson, pressConfirm, signedBody, signedRequest, tempDb } from '../scripts/lib/notifier.js';
import { report } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface NotifierBenchOptions {
  pacedMessages?: number;
  pacedRatePerSecond?: number;
  sustainedSeconds?: number;
  sustainedRatePerSecond?: number;
  creators?: number;
  senders?: number;
  pollIntervalMs?: number;
  postgres?: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

interface Seen {
  first: number;
  count: number;
}

/** An SMTP sink that reads only the headers it needs (the notification's kind and message, its Message-ID). */
async function startSink() {
  const notes = new Map<string, Seen>();
  const messageIds = new Map<string, number>();
  const confirmations: ReturnType<typeof parseMail>[] = [];
  let raw = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 50,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const at = Date.now();
        const text = Buffer.concat(chunks).toString('utf8');
        const head = text.slice(0, text.indexOf('\r\n\r\n'));
        const header = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(head)?.[1]?.trim();
        const kind = header('x-paidchat-notification');
        if (kind === 'confirmation') confirmations.push(parseMail(text, '', session.envelope.rcptTo.map((r) => r.address)));
        else if (kind) {
          raw++;
          const id = header('x-paidchat-message')!;
          const s = notes.get(id);
          if (s) s.count++;
          else notes.set(id, { first: at, count: 1 });
          const mid = header('message-id')!;
          messageIds.set(mid, (messageIds.get(mid) ?? 0) + 1);
        }
        callback(null, 'queued');
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}/?ignoreTLS=true`,
    notes,
    messageIds,
    confirmations,
    raw: () => raw,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A webhook receiver: checks each signature, counts deliveries by webhook-id and by message id. */
async function startHookSink() {
  const byMessage = new Map<string, Seen>();
  const byWebhookId = new Map<string, number>();
  const secrets = new Map<string, string>();
  let raw = 0;
  let badSignatures = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const secret = secrets.get(req.url ?? '');
      const expected = secret ? `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${req.headers['webhook-timestamp']}.${body}`).digest('base64')}` : '';
      if (String(req.headers['webhook-signature']) !== expected) badSignatures++;
      raw++;
      byWebhookId.set(id, (byWebhookId.get(id) ?? 0) + 1);
      const mid = JSON.parse(body).data.id as string;
      const s = byMessage.get(mid);
      if (s) s.count++;
      else byMessage.set(mid, { first: at, count: 1 });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    base,
    secrets,
    byMessage,
    byWebhookId,
    raw: () => raw,
    badSignatures: () => badSignatures,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Pre-signs `count` sendMessage transactions, interleaved over the senders in nonce order. */
async function signLoad(tc: TestChain, senders: number[], creators: number[], count: number, nonces: Map<number, number>): Promise<Hex[]> {
  const order: Hex[] = [];
  for (let i = 0; i < count; i++) {
    const s = senders[i % senders.length]!;
    const to = creators[(i + Math.floor(i / senders.length)) % creators.length]!;
    const account = tc.accounts[s]!;
    const nonce = nonces.get(s)!;
    nonces.set(s, nonce + 1);
    order.push(
      await account.signTransaction({
        type: 'legacy',
        chainId: tc.chain.id,
        to: tc.contract,
        nonce,
        gas: 200_000n,
        gasPrice: GAS_PRICE,
        value: ONE('0.01'),
        data: encodeFunctionData({ abi: paidChatAbi, functionName: 'sendMessage', args: [tc.accounts[to]!.address, 30n * 86_400n, ENVELOPE] }),
      }),
    );
  }
  return order;
}

async function runLoad(tc: TestChain, order: Hex[], ratePerSecond: number) {
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./notifier-load.ts', import.meta.url).href)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { rpcUrl: tc.rpcUrl, order, ratePerSecond } });
  const inbox: any[] = [];
  const waiting: ((m: any) => void)[] = [];
  let failure: unknown;
  worker.on('message', (m) => (waiting.length ? waiting.shift()!(m) : inbox.push(m)));
  worker.on('error', (e) => {
    failure = e;
    waiting.shift()?.({ type: 'error' });
  });
  const next = () => new Promise<any>((r) => (inbox.length ? r(inbox.shift()) : waiting.push(r)));
  return {
    submitted: async () => {
      const m = await next();
      if (failure) throw failure;
      if (m.errorCount) throw new Error(`${m.errorCount} transactions were refused: ${m.errors.join(' | ')}`);
      return m as { started: number; finished: number };
    },
    finish: async () => {
      worker.postMessage('stop');
      const m = await next();
      await worker.terminate();
      if (failure) throw failure;
      return new Map((m.seenAt as [number, number][]).map(([b, t]) => [BigInt(b), t]));
    },
  };
}

/** Message id and block of every MessageSent in [from, to]. */
async function sentMessages(tc: TestChain, from: bigint, to: bigint): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const event = getAbiItem({ abi: paidChatAbi, name: 'MessageSent' });
  for (let f = from; f <= to; f += 5n) {
    const logs = await tc.publicClient.getLogs({ address: tc.contract, event: event as any, fromBlock: f, toBlock: f + 4n > to ? to : f + 4n });
    for (const l of logs as any[]) out.set(String(l.args.id), l.blockNumber);
  }
  return out;
}

async function until(fn: () => boolean, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Phase {
  messages: number;
  emails: number;
  missing: number;
  webhooks: number;
  blocks: number;
  offeredPerSecond: number;
  p50LatencyMs: number;
  p95LatencyMs: number;
  maxLatencyMs: number;
  webhookP95LatencyMs: number;
  /** Emails accepted per second, from the first block of the phase to the last accepted email. */
  mailsPerSecond: number;
  seconds: number;
}

async function runDeployment(o: { db: 'sqlite' | 'postgres'; dbUrl: string; pacedMessages: number; pacedRate: number; sustainedSeconds: number; sustainedRate: number; creators: number; senders: number; pollIntervalMs: number }) {
  const tc = await startTestChain({ accounts: 1 + o.creators + o.senders, balance: 10_000_000 });
  const sink = await startSink();
  const hooks = await startHookSink();
  let child: ChildProcess | undefined;
  let log = '';
  try {
    const creators = Array.from({ length: o.creators }, (_, i) => 1 + i);
    const senders = Array.from({ length: o.senders }, (_, i) => 1 + o.creators + i);
    for (const i of creators) await claimHandle(tc, i, `creator-${i}`, ONE('0.01'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const args = [
      ...(process.env.NOTIFIER_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.NOTIFIER_BENCH_PROF}`] : []),
      '--import', 'tsx', 'notifier/src/main.ts',
      '--chain', 'local', '--rpc-url', tc.rpcUrl, '--contract', tc.contract,
      '--from-block', String(await tc.publicClient.getBlockNumber()),
      '--smtp-url', sink.url, '--from', 'Paid Chat <notify@paidchat.test>',
      '--db', o.dbUrl, '--port', String(port), '--poll-interval', `${o.pollIntervalMs}ms`,
      '--webhook-allow-http-loopback', '--rate-ip', '10000/1s', '--rate-address', '1000/1s',
      '--admin-token', ADMIN_TOKEN, '--log-level', process.env.NOTIFIER_BENCH_LOG ? 'info' : 'warn',
      ...(process.env.NOTIFIER_BENCH_ARGS ? process.env.NOTIFIER_BENCH_ARGS.split(' ') : []),
    ];
    child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => {
      log = (log + d).slice(-6000);
      if (process.env.NOTIFIER_BENCH_LOG) process.stderr.write(d);
    });
    child.stderr!.on('data', (d) => (log = (log + d).slice(-6000)));
    for (const t = Date.now(); ; ) {
      if (child.exitCode !== null) throw new Error(`notifier exited:\n${log}`);
      if (await fetch(`${base}/v1/health`).then((r) => r.ok, () => false)) break;
      if (Date.now() - t > 30_000) throw new Error(`notifier did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const info = await health(base);
    for (const i of creators) {
      const email = `creator-${i}@example.com`;
      const r = await postJson(`${base}/v1/subscriptions`, await signedRequest(base, tc.accounts[i]!, email, { info }));
      if (r.status !== 202) throw new Error(`subscription refused: ${r.text}`);
      await until(() => sink.confirmations.some((m) => m.envelopeTo.includes(email)), 10_000, `confirmation to ${email}`);
      const c = await pressConfirm(confirmLink(sink.confirmations.find((m) => m.envelopeTo.includes(email))!.text));
      if (c.status !== 200) throw new Error(`confirm answered ${c.status}`);
      const url = `${hooks.base}/creator-${i}`;
      const w = await postJson(`${base}/v1/webhooks`, await signedBody(base, tc.accounts[i]!, { type: 'add-webhook', url }, { info }));
      if (w.status !== 201) throw new Error(`webhook refused: ${w.text}`);
      hooks.secrets.set(`/creator-${i}`, w.json.secret);
    }
    const nonces = new Map<number, number>();
    for (const s of senders) nonces.set(s, await tc.publicClient.getTransactionCount({ address: tc.accounts[s]!.address, blockTag: 'pending' }));

    const phase = async (count: number, rate: number, what: string): Promise<Phase> => {
      const order = await signLoad(tc, senders, creators, count, nonces);
      const startBlock = (await tc.publicClient.getBlockNumber()) + 1n;
      const emailsBefore = sink.notes.size;
      const load = await runLoad(tc, order, rate);
      await load.submitted();
      await until(() => sink.notes.size >= emailsBefore + count && hooks.byMessage.size >= emailsBefore + count, 120_000 + count * 5, `${count} emails and webhooks (${what}): ${sink.notes.size - emailsBefore} / ${hooks.byMessage.size - emailsBefore}`);
      const seenAt = await load.finish();
      const endBlock = await tc.publicClient.getBlockNumber();
      const sent = await sentMessages(tc, startBlock, endBlock);
      const lat: number[] = [];
      const hookLat: number[] = [];
      let lastAccept = 0;
      let firstBlockAt = Infinity;
      for (const [id, block] of sent) {
        const seen = seenAt.get(block);
        if (seen === undefined) continue;
        firstBlockAt = Math.min(firstBlockAt, seen);
        const m = sink.notes.get(id);
        if (m) {
          lat.push(m.first - seen);
          lastAccept = Math.max(lastAccept, m.first);
        }
        const h = hooks.byMessage.get(id);
        if (h) hookLat.push(h.first - seen);
      }
      lat.sort((a, b) => a - b);
      hookLat.sort((a, b) => a - b);
      const seconds = (lastAccept - firstBlockAt) / 1000;
      // Mails per second are what the SMTP sink accepted, not what was offered.
      const delivered = [...sent.keys()].filter((id) => sink.notes.has(id)).length;
      return {
        messages: count,
        emails: delivered,
        missing: [...sent.keys()].filter((id) => !sink.notes.has(id)).length,
        webhooks: [...sent.keys()].filter((id) => hooks.byMessage.has(id)).length,
        blocks: new Set(sent.values()).size,
        offeredPerSecond: rate,
        p50LatencyMs: percentile(lat, 50),
        p95LatencyMs: percentile(lat, 95),
        maxLatencyMs: lat.at(-1) ?? NaN,
        webhookP95LatencyMs: percentile(hookLat, 95),
        mailsPerSecond: +(delivered / Math.max(0.001, seconds)).toFixed(1),
        seconds: +seconds.toFixed(2),
      };
    };

    const paced = await phase(o.pacedMessages, o.pacedRate, 'paced');
    let sustained: Phase | undefined;
    if (o.sustainedSeconds > 0) {
      // Harmony-like blocks: one a second, room for the load (Harmony: 80 M gas per 2 s).
      const rpc = (method: string, params: unknown[]) => fetch(tc.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) }).then((r) => r.json());
      await rpc('evm_setBlockGasLimit', ['0x5F5E100']); // 100 M
      await rpc('evm_setAutomine', [false]);
      await rpc('evm_setIntervalMining', [1]);
      sustained = await phase(o.sustainedSeconds * o.sustainedRate, o.sustainedRate, 'sustained');
    }
    await new Promise((r) => setTimeout(r, 3000)); // let any duplicate show up
    const status = (await (await fetch(`${base}/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as any;
    const dupByMessageId = [...sink.messageIds.values()].reduce((a, c) => a + c - 1, 0);
    const dupWebhookIds = [...hooks.byWebhookId.values()].reduce((a, c) => a + c - 1, 0);
    return {
      paced,
      sustained,
      emails: sink.notes.size,
      duplicates: Math.max(sink.raw() - sink.notes.size, dupByMessageId),
      webhooksDelivered: hooks.byWebhookId.size,
      webhookDuplicates: Math.max(hooks.raw() - hooks.byMessage.size, dupWebhookIds),
      webhookBadSignatures: hooks.badSignatures(),
      outbox: status.outbox,
      webhookOutbox: status.webhooks,
    };
  } finally {
    if (child && child.exitCode === null) {
      const c = child;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await sink.close();
    await hooks.close();
    await tc.stop();
  }
}

export async function runNotifierBench(opts: NotifierBenchOptions = {}) {
  const base = {
    pacedMessages: opts.pacedMessages ?? 1000,
    pacedRate: opts.pacedRatePerSecond ?? 50,
    creators: opts.creators ?? 4,
    senders: opts.senders ?? 40,
    pollIntervalMs: opts.pollIntervalMs ?? 250,
  };
  const sustainedSeconds = opts.sustainedSeconds ?? Number(process.env.NOTIFIER_BENCH_SECONDS ?? 60);
  const sustainedRate = opts.sustainedRatePerSecond ?? 500;
  const db = tempDb('notifier-bench-');
  let sqlite: Awaited<ReturnType<typeof runDeployment>>;
  try {
    sqlite = await runDeployment({ ...base, db: 'sqlite', dbUrl: db.path, sustainedSeconds, sustainedRate });
  } finally {
    db.cleanup();
  }
  let postgres: Awaited<ReturnType<typeof runDeployment>> | undefined;
  if (opts.postgres !== false) {
    const server = await startPostgres();
    if (!server) throw new Error('PostgreSQL is not installed (apt-get install postgresql): the bench measures the notifier on it too.');
    try {
      postgres = await runDeployment({ ...base, db: 'postgres', dbUrl: server.url, sustainedSeconds, sustainedRate });
    } finally {
      await server.stop();
    }
  }
  const s = sqlite.sustained;
  const result = {
    emails: sqlite.emails,
    duplicates: sqlite.duplicates,
    p95LatencyMs: sqlite.paced.p95LatencyMs,
    sustainedMailsPerSecond: s?.mailsPerSecond ?? null,
    webhooksDelivered: sqlite.webhooksDelivered,
    webhookDuplicates: sqlite.webhookDuplicates,
    postgres: postgres
      ? { emails: postgres.emails, duplicates: postgres.duplicates, p95LatencyMs: postgres.paced.p95LatencyMs, sustainedMailsPerSecond: postgres.sustained?.mailsPerSecond ?? null, webhooksDelivered: postgres.webhooksDelivered, webhookDuplicates: postgres.webhookDuplicates }
      : null,
    details: {
      latencyMeasuredFrom: 'the moment the bench saw the block holding the transaction (head polled every 10 ms) → the SMTP sink accepting the email (webhooks: → the receiver answering)',
      duplicatesCountedBy: 'raw emails (webhooks) against unique message ids, and repeated Message-IDs (webhook-ids); the larger of the two',
      sqlite: { paced: sqlite.paced, sustained: sqlite.sustained, webhookBadSignatures: sqlite.webhookBadSignatures, outbox: sqlite.outbox, webhookOutbox: sqlite.webhookOutbox },
      postgres: postgres ? { paced: postgres.paced, sustained: postgres.sustained, webhooksDelivered: postgres.webhooksDelivered, webhookDuplicates: postgres.webhookDuplicates, outbox: postgres.outbox } : null,
      config: {
        notifier: 'child process, default settings (8 SMTP connections, 8 webhook requests in flight, SQLite synchronous=FULL) except --poll-interval and --webhook-allow-http-loopback',
        pollIntervalMs: base.pollIntervalMs,
        creators: base.creators,
        senders: base.senders,
        paced: `${base.pacedMessages} messages at ${base.pacedRate}/s, one block per transaction`,
        sustained: `${sustainedSeconds} s at ${sustainedRate} messages/s offered, 1 s blocks, 100 M block gas limit`,
        machine: 'shared 2-core VM: anvil, the notifier, the load generator, the SMTP sink and the webhook receiver on the same two cores',
      },
      aim: { emails: '≥ 1000', duplicates: 0, p95LatencyMs: '≤ 2000', sustainedMailsPerSecond: '≥ 470', webhooksDelivered: '≥ 1000', webhookDuplicates: 0 },
    },
  };
  report(
    'notifier',
    [
      { metric: 'emails (SQLite, both runs)', value: result.emails, bar: '≥ 1000', met: result.emails >= 1000 },
      { metric: 'duplicates', value: result.duplicates, bar: '0', met: result.duplicates === 0 },
      { metric: 'p95 latency ms (paced)', value: result.p95LatencyMs, bar: '≤ 2000', met: result.p95LatencyMs <= 2000, note: `p50 ${sqlite.paced.p50LatencyMs}` },
      s
        ? { metric: 'sustained mails/s', value: s.mailsPerSecond, bar: '≥ 470', met: s.mailsPerSecond >= 470, note: `${s.messages} in ${s.seconds} s, p95 ${s.p95LatencyMs} ms, ${s.missing} missing` }
        : { metric: 'sustained mails/s', value: '-', note: 'not run (NOTIFIER_BENCH_SECONDS=0)' },
      { metric: 'webhooks delivered', value: result.webhooksDelivered, bar: '≥ 1000', met: result.webhooksDelivered >= 1000, note: `bad signatures ${sqlite.webhookBadSignatures}` },
      { metric: 'webhook duplicates', value: result.webhookDuplicates, bar: '0', met: result.webhookDuplicates === 0 },
      { metric: 'PostgreSQL: emails / duplicates / p95 ms (paced)', value: postgres ? `${postgres.emails} / ${postgres.duplicates} / ${postgres.paced.p95LatencyMs}` : '-', bar: '0 duplicates', met: !postgres || postgres.duplicates === 0 },
      {
        metric: 'PostgreSQL: sustained mails/s',
        value: postgres?.sustained?.mailsPerSecond ?? '-',
        note: postgres?.sustained ? `${postgres.sustained.messages} in ${postgres.sustained.seconds} s, p95 ${postgres.sustained.p95LatencyMs} ms, ${postgres.sustained.missing} missing` : 'not run',
      },
    ],
    result,
  );
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runNotifierBench();
}


