/**
 * The notifier on PostgreSQL (a real server: a throwaway cluster of Debian's `postgresql` on
 * loopback, started here): the same service in-process (subscription, email, webhook, unsubscribe,
 * retention); then two instances as child processes on one database — they share the sending, and a
 * SIGKILL of either (mid-batch, or of the one watching the chain) loses nothing and duplicates
 * nothing: every notification arrives exactly once, counted at the SMTP server by raw count and by
 * Message-ID.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseEventLogs, type Hex } from 'viem';
import pg from 'pg';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { freePort } from '../../scripts/lib/anvil.js';
import { startTestChain, GAS_PRICE, ONE, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp, type ReceivedMail } from '../support/smtp.js';
import { startPostgres, type TestPostgres } from '../support/notifier-postgres.js';
import {
  ADMIN_TOKEN,
  ENVELOPE,
  claimHandle,
  health,
  notifierConfig,
  postJson,
  reply,
  sendMessage,
  signedBody,
  sleep,
  startTestNotifier,
  startWebhookReceiver,
  subscribeAndConfirm,
  until,
} from '../support/notifier.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

const required = process.env.HPC_REQUIRE_ALL_PARTS === '1';
let pgServer: TestPostgres | undefined;
let tc: TestChain;
let smtp: TestSmtp;

before(async () => {
  pgServer = await startPostgres();
  if (!pgServer && required) throw new Error('PostgreSQL is not installed (apt-get install postgresql); HPC_REQUIRE_ALL_PARTS=1 requires this test to run.');
  tc = await startTestChain({ accounts: 12 });
  smtp = await startTestSmtp();
  await claimHandle(tc, 1, 'creator-one', ONE(1));
  await claimHandle(tc, 2, 'creator-two', ONE(1));
});

after(async () => {
  await smtp?.close();
  await tc?.stop();
  await pgServer?.stop();
});

const notes = () => smtp.received.filter((m) => m.kind !== 'confirmation');

async function query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('the notifier on PostgreSQL, in-process', () => {
  let n: RunningNotifier & { lines: string[] };
  let url: string;

  before(async (t) => {
    if (!pgServer) return void (t as unknown as { skip?: (m: string) => void }).skip?.('PostgreSQL is not installed');
    url = await pgServer.createDatabase('inprocess');
    n = await startTestNotifier(notifierConfig(tc, smtp, url));
  });
  after(async () => {
    await n?.stop();
  });

  test('subscription, email, webhook, sender email, unsubscribe and retention work the same', async (t) => {
    if (!pgServer) return t.skip('PostgreSQL is not installed');
    assert.equal(((await n.status()) as any).database, 'postgres');
    await subscribeAndConfirm(n.url, smtp, tc.accounts[1]!, 'one@example.com');
    await subscribeAndConfirm(n.url, smtp, tc.accounts[3]!, 'three@example.com', 'outbox');
    const hooks = await startWebhookReceiver();
    try {
      const r = await postJson(`${n.url}/v1/webhooks`, await signedBody(n.url, tc.accounts[1]!, { type: 'add-webhook', url: hooks.url }, { info: await health(n.url) }));
      assert.equal(r.status, 201, r.text);
      const m = await sendMessage(tc, 3, 1, ONE(2));
      await reply(tc, 1, m.id);
      await smtp.waitFor((rs) => rs.some((x) => x.kind === 'message' && x.envelopeTo.includes('one@example.com')) && rs.some((x) => x.kind === 'reply'), 10_000, 'message and reply emails');
      await hooks.waitFor((w) => w.length === 2, 10_000, 'two webhooks');
    } finally {
      await hooks.close();
    }
    const rows = await until(async () => {
      const r = await query(url, "SELECT channel, kind, status FROM outbox WHERE status = 'sent' ORDER BY id");
      return r.length >= 4 ? r : undefined;
    }, 5000, 'four deliveries recorded');
    assert.deepEqual(rows.map((r) => `${r.channel}:${r.kind}`).sort(), ['email:message', 'email:reply', 'webhook:message', 'webhook:reply']);
    const mail = smtp.received.filter((x) => x.kind === 'message' && x.envelopeTo.includes('one@example.com')).at(-1)!;
    const unsub = /^<(.+)>$/.exec(mail.headers.get('list-unsubscribe')!)![1]!;
    assert.equal((await fetch(unsub, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status, 200);
    const mentions = await query(url, "SELECT COUNT(*)::int AS n FROM (SELECT email FROM subscriptions UNION ALL SELECT email FROM pending_subscriptions) x WHERE email = 'one@example.com'");
    assert.equal(mentions[0].n, 0);
    const pruned = await n.housekeeping(Date.now() + 31 * 86_400_000);
    assert.equal(pruned.outbox, 4);
  });
});

describe('two instances on one PostgreSQL database, as child processes', () => {
  let url = '';
  const children = new Map<string, ChildProcess>();
  const ports = new Map<string, number>();
  const output = new Map<string, string>();

  function spawnNotifier(name: string): ChildProcess {
    const args = [
      '--import', 'tsx', 'notifier/src/main.ts',
      '--chain', 'local', '--rpc-url', tc.rpcUrl, '--contract', tc.contract,
      '--from-block', String(tc.deployBlock),
      '--smtp-url', smtp.url, '--from', `Paid Chat <notify-${name}@paidchat.test>`,
      '--db', url, '--host', '127.0.0.1', '--port', String(ports.get(name)),
      '--poll-interval', '100ms', '--retry-base', '100ms', '--retry-max', '500ms', '--smtp-timeout', '2s',
      '--instance-timeout', '2s', '--admin-token', ADMIN_TOKEN, '--rate-ip', '1000/1s', '--log-level', 'info',
    ];
    const c = spawn(process.execPath, args, { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
    output.set(name, '');
    c.stdout!.on('data', (d) => output.set(name, (output.get(name)! + d).slice(-20_000)));
    c.stderr!.on('data', (d) => output.set(name, (output.get(name)! + d).slice(-20_000)));
    children.set(name, c);
    return c;
  }
  const base = (name: string) => `http://127.0.0.1:${ports.get(name)}`;
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));

  async function up(name: string) {
    const c = spawnNotifier(name);
    await until(async () => {
      if (c.exitCode !== null) throw new Error(`${name} exited:\n${output.get(name)}`);
      return fetch(`${base(name)}/v1/health`).then((r) => r.ok, () => false);
    }, 30_000, `${name} healthy`);
  }
  const status = async (name: string) => (await fetch(`${base(name)}/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json() as Promise<any>;
  const sentRows = () => query<{ key: string; claimed_by: string }>(url, "SELECT key, claimed_by FROM outbox WHERE channel = 'email' AND status = 'sent'");
  const instanceOf = async (name: string) => (await status(name)).instance as string;

  function assertExactlyOnce(expected: string[], list: ReceivedMail[] = notes()) {
    const byId = new Map<string, number>();
    for (const m of list) byId.set(m.messageId, (byId.get(m.messageId) ?? 0) + 1);
    assert.deepEqual([...byId].filter(([, c]) => c > 1), [], 'no Message-ID twice');
    assert.equal(list.length, expected.length, `raw count: ${list.length} emails for ${expected.length} notifications`);
    assert.deepEqual(list.map((m) => `${m.kind}:${m.headers.get('x-paidchat-message')}`).sort(), [...expected].sort());
  }

  /** `count` paid messages mined in ONE block (one window, one transaction of outbox rows). */
  async function batchInOneBlock(count: number, value = ONE(1)): Promise<bigint[]> {
    await tc.testClient.setAutomine(false);
    const hashes: Hex[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const from = 3 + (i % 6);
        hashes.push(
          await tc.wallet(from).writeContract({
            address: tc.contract,
            abi: paidChatAbi,
            functionName: 'sendMessage',
            args: [tc.accounts[1 + (i % 2)]!.address, 30n * 86_400n, ENVELOPE],
            value,
            type: 'legacy',
            gasPrice: GAS_PRICE,
            gas: 300_000n,
          } as any),
        );
      }
      await tc.testClient.mine({ blocks: 1 });
    } finally {
      await tc.testClient.setAutomine(true);
    }
    const ids: bigint[] = [];
    for (const hash of hashes) {
      const r = await tc.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      ids.push(parseEventLogs({ abi: paidChatAbi, eventName: 'MessageSent', logs: r.logs })[0]!.args.id);
    }
    return ids;
  }

  before(async (t) => {
    if (!pgServer) return void (t as unknown as { skip?: (m: string) => void }).skip?.('PostgreSQL is not installed');
    url = await pgServer.createDatabase('shared');
    for (const name of ['a', 'b']) ports.set(name, await freePort());
    await up('a');
    await up('b');
    smtp.received.length = 0;
    await subscribeAndConfirm(base('a'), smtp, tc.accounts[1]!, 'one@example.com');
    await subscribeAndConfirm(base('b'), smtp, tc.accounts[2]!, 'two@example.com');
  });

  after(async () => {
    for (const c of children.values()) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await exited(c);
      }
    }
    if (process.exitCode) for (const [name, out] of output) process.stderr.write(`--- ${name}\n${out.slice(-4000)}\n`);
  });

  const expected: string[] = [];

  test('they share the sending of one batch', async (t) => {
    if (!pgServer) return t.skip('PostgreSQL is not installed');
    smtp.decide = async () => {
      await sleep(15); // a mail server that takes a moment: both instances have work in hand
      return { accept: true };
    };
    try {
      const ids = await batchInOneBlock(40);
      expected.push(...ids.map((id) => `message:${id}`));
      await smtp.waitFor(() => notes().length >= expected.length, 30_000, `${expected.length} notifications`);
      await sleep(500);
    } finally {
      smtp.decide = undefined;
    }
    assertExactlyOnce(expected);
    const by = new Map<string, number>();
    for (const r of await sentRows()) by.set(r.claimed_by, (by.get(r.claimed_by) ?? 0) + 1);
    const [ia, ib] = [await instanceOf('a'), await instanceOf('b')];
    assert.ok((by.get(ia) ?? 0) > 0 && (by.get(ib) ?? 0) > 0, `both sent some: ${JSON.stringify(Object.fromEntries(by))}`);
    assert.ok(notes().some((m) => m.envelopeFrom.includes('notify-a')) && notes().some((m) => m.envelopeFrom.includes('notify-b')));
  });

  test('SIGKILL of one instance mid-batch: the other takes over what it had in hand; exactly once', async (t) => {
    if (!pgServer) return t.skip('PostgreSQL is not installed');
    const before = notes().length;
    let accepted = 0;
    let killing: Promise<void> | undefined;
    let dead = false;
    const victim = children.get('a')!;
    const victimId = await instanceOf('a');
    smtp.decide = async (mail) => {
      if (mail.kind === 'confirmation') return { accept: true };
      await sleep(10);
      if (!killing && accepted >= 10 && mail.envelopeFrom.includes('notify-a')) {
        killing = (async () => {
          // Every accepted email recorded as sent first: the kill falls outside the acceptance→commit window.
          await until(async () => (await sentRows()).length >= before + accepted, 10_000, 'the accepted ones recorded');
          victim.kill('SIGKILL');
          await exited(victim);
          dead = true;
        })();
      }
      if (killing && !dead) {
        await killing;
        return { accept: false, code: 451, message: 'try again later' };
      }
      accepted++;
      return { accept: true };
    };
    try {
      const ids = await batchInOneBlock(40, ONE(2));
      expected.push(...ids.map((id) => `message:${id}`));
      await until(() => dead, 20_000, 'the kill');
      assert.equal(victim.signalCode, 'SIGKILL');
      const inHand = await query(url, "SELECT COUNT(*)::int AS n FROM outbox WHERE status = 'sending' AND claimed_by = $1", [victimId]);
      assert.ok(inHand[0].n > 0, 'it died with work in hand');
      await smtp.waitFor(() => notes().length >= expected.length, 30_000, `${expected.length} notifications`);
      await sleep(800);
      t.diagnostic(`rows in the killed instance's hands when it died: ${inHand[0].n}`);
    } finally {
      smtp.decide = undefined;
    }
    assertExactlyOnce(expected);
    assert.equal((await query(url, "SELECT COUNT(*)::int AS n FROM outbox WHERE status <> 'sent' AND channel = 'email'"))[0].n, 0);
    const s = await status('b');
    assert.equal(s.instances.length, 1, 'the dead instance was forgotten');
  });

  test('SIGKILL of the instance watching the chain: the other takes the watch over; exactly once; a restarted one joins', async (t) => {
    if (!pgServer) return t.skip('PostgreSQL is not installed');
    await up('a'); // back as a new instance
    const holder = (await status('b')).watcher.holder as string;
    const name = holder === (await instanceOf('a')) ? 'a' : 'b';
    const other = name === 'a' ? 'b' : 'a';
    const leader = children.get(name)!;
    leader.kill('SIGKILL');
    await exited(leader);
    const m1 = await sendMessage(tc, 9, 1, ONE(3));
    const m2 = await sendMessage(tc, 10, 2, ONE(3));
    expected.push(`message:${m1.id}`, `message:${m2.id}`);
    await smtp.waitFor(() => notes().length >= expected.length, 30_000, 'the messages sent while the watcher was dead');
    await until(async () => (await status(other)).watcher.leader, 10_000, `${other} watching`);
    await up(name);
    const m3 = await sendMessage(tc, 11, 1, ONE(4));
    expected.push(`message:${m3.id}`);
    await smtp.waitFor(() => notes().length >= expected.length, 30_000, 'one more');
    await sleep(800);
    assertExactlyOnce(expected);
    assert.equal((await status(other)).instances.length, 2);
  });
});
