/**
 * Exactly once across crashes: the notifier runs as a child process (`node --import tsx
 * notifier/src/main.ts …`, its default four SMTP connections). The test SMTP server kills it with
 * SIGKILL from its onData handler after N accepted notifications — once every accepted one is
 * recorded, so the kill falls outside the one window no SMTP client can close — and rejects what is
 * in flight. After a restart every notification has arrived exactly once, counted at the SMTP server
 * by raw count and by Message-ID. Then: downtime → catch-up from the cursor; and the documented
 * window (killed between the server's 250 and the commit) → one resend with the same Message-ID.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseEventLogs, type Hex } from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { freePort } from '../../scripts/lib/anvil.js';
import { startTestChain, GAS_PRICE, ONE, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { ADMIN_TOKEN, ENVELOPE, claimHandle, reply, sendMessage, sleep, subscribeAndConfirm, tempDb, tx, until } from '../support/notifier.js';

const CREATORS = [1, 2];
const SENDERS = [3, 4];
const EMAIL: Record<number, string> = { 1: 'one@example.com', 2: 'two@example.com', 3: 'three@example.com' };
const BATCH = 12;
const KILL_AFTER = 5;

let tc: TestChain;
let smtp: TestSmtp;
let db: ReturnType<typeof tempDb>;
let port: number;
let child: ChildProcess | undefined;
let output = '';
const base = () => `http://127.0.0.1:${port}`;

function spawnNotifier(): ChildProcess {
  const args = [
    '--import', 'tsx', 'notifier/src/main.ts',
    '--chain', 'local',
    '--rpc-url', tc.rpcUrl,
    '--contract', tc.contract,
    '--from-block', String(tc.deployBlock),
    '--smtp-url', smtp.url,
    '--from', 'Paid Chat <notify@paidchat.test>',
    '--db', db.path,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--poll-interval', '100ms',
    '--retry-base', '100ms',
    '--retry-max', '1s',
    '--smtp-timeout', '2s',
    '--admin-token', ADMIN_TOKEN,
    '--rate-ip', '1000/1s',
    '--log-level', 'info',
  ];
  const c = spawn(process.execPath, args, { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
  c.stdout!.on('data', (d) => (output += d));
  c.stderr!.on('data', (d) => (output += d));
  child = c;
  return c;
}

async function waitHealthy(c: ChildProcess, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (c.exitCode !== null || c.signalCode !== null) throw new Error(`the notifier exited (${c.exitCode ?? c.signalCode}):\n${output.slice(-3000)}`);
    try {
      const r = await fetch(`${base()}/v1/health`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`the notifier did not come up:\n${output.slice(-3000)}`);
    await sleep(50);
  }
}

const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));

async function status(): Promise<any> {
  const r = await fetch(`${base()}/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return r.json();
}

async function outboxRows(): Promise<{ key: string; status: string; attempts: number }[]> {
  const { default: Database } = await import('better-sqlite3');
  const d = new Database(db.path, { readonly: true });
  try {
    return (d.prepare("SELECT key, status, attempts FROM outbox WHERE channel = 'email' ORDER BY id").all() as any[]).map((r) => ({ ...r, key: r.key.replace(/^email:/, '') }));
  } finally {
    d.close();
  }
}

/** Sends `BATCH` paid messages that are all mined in ONE block (one log window, one outbox transaction). */
async function sendBatchInOneBlock(): Promise<bigint[]> {
  await tc.testClient.setAutomine(false);
  const hashes: Hex[] = [];
  try {
    for (let i = 0; i < BATCH; i++) {
      const from = SENDERS[i % SENDERS.length]!;
      const to = CREATORS[Math.floor(i / 2) % CREATORS.length]!;
      hashes.push(
        await tc.wallet(from).writeContract({
          address: tc.contract,
          abi: paidChatAbi,
          functionName: 'sendMessage',
          args: [tc.accounts[to]!.address, 30n * 86_400n, ENVELOPE],
          value: ONE(1 + i),
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
  const blocks = new Set<bigint>();
  for (const hash of hashes) {
    const r = await tc.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    assert.equal(r.status, 'success');
    blocks.add(r.blockNumber);
    ids.push(parseEventLogs({ abi: paidChatAbi, eventName: 'MessageSent', logs: r.logs })[0]!.args.id);
  }
  assert.equal(blocks.size, 1, 'all in one block');
  return ids;
}

function notifications() {
  return smtp.received.filter((m) => m.kind !== 'confirmation');
}

function assertExactlyOnce(expectedKeys: string[]) {
  const notes = notifications();
  const byId = new Map<string, number>();
  for (const m of notes) byId.set(m.messageId, (byId.get(m.messageId) ?? 0) + 1);
  const dups = [...byId].filter(([, c]) => c > 1);
  assert.deepEqual(dups, [], 'no Message-ID twice');
  assert.equal(notes.length, expectedKeys.length, `raw count: ${notes.length} emails for ${expectedKeys.length} notifications`);
  const got = notes.map((m) => `${m.kind}:${m.headers.get('x-paidchat-message')}`).sort();
  assert.deepEqual(got, [...expectedKeys].sort());
}

describe('notifier as a child process: SIGKILL mid-batch, restart, downtime', () => {
  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    port = await freePort();
    await claimHandle(tc, 1, 'creator-one', ONE(1));
    await claimHandle(tc, 2, 'creator-two', ONE(1));
    const c = spawnNotifier();
    await waitHealthy(c);
    for (const i of [1, 2]) await subscribeAndConfirm(base(), smtp, tc.accounts[i]!, EMAIL[i]!, 'inbox');
    await subscribeAndConfirm(base(), smtp, tc.accounts[3]!, EMAIL[3]!, 'outbox');
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
    if (process.exitCode) process.stderr.write(output.slice(-4000));
  });

  const expected: string[] = [];

  test(`SIGKILL after ${KILL_AFTER} of ${BATCH} accepted, restart: each notification exactly once`, async () => {
    let accepted = 0;
    let killing: Promise<void> | undefined;
    let dead = false;
    const first = child!;
    smtp.decide = async (mail) => {
      if (mail.kind === 'confirmation') return { accept: true };
      if (!killing && accepted === KILL_AFTER) {
        killing = (async () => {
          // Every accepted email recorded as sent, then the kill: outside the acceptance→commit window.
          await until(async () => (await outboxRows()).filter((r) => r.status === 'sent').length >= KILL_AFTER, 10_000, 'the accepted ones recorded');
          first.kill('SIGKILL'); // the notifier dies while this message (and others) are in flight …
          await exited(first);
          dead = true;
        })();
      }
      if (killing && !dead) {
        await killing;
        return { accept: false, code: 451, message: 'try again later' }; // … and they are not accepted
      }
      accepted++;
      return { accept: true };
    };
    const ids = await sendBatchInOneBlock();
    expected.push(...ids.map((id) => `message:${id}`));
    await exited(first);
    assert.equal(first.signalCode, 'SIGKILL');
    assert.equal(notifications().length, KILL_AFTER);

    const rows = await outboxRows();
    assert.equal(rows.length, BATCH, 'the whole window was queued in one transaction');
    assert.equal(rows.filter((r) => r.status === 'sent').length, KILL_AFTER, 'each accepted email was recorded as sent');
    const unsent = rows.filter((r) => r.status !== 'sent');
    assert.equal(unsent.length, BATCH - KILL_AFTER);
    assert.ok(unsent.every((r) => r.status === 'pending' || r.status === 'sending'), 'the rest: pending, or in the dead process\'s hands');
    assert.ok(unsent.some((r) => r.status === 'sending'), 'some were in flight when it died');

    const second = spawnNotifier();
    await waitHealthy(second);
    await smtp.waitFor(() => notifications().length >= BATCH, 20_000, `${BATCH} notifications`);
    await sleep(500); // more polls and sender passes: nothing else arrives
    assertExactlyOnce(expected);
    const s = await status();
    assert.equal(s.outbox.sent, BATCH);
    assert.equal(s.outbox.pending, 0);
    assert.equal(s.outbox.failed, 0);
  });

  test('down for a while (SIGKILL while idle): catches up from the persisted cursor, exactly once', async () => {
    smtp.decide = undefined;
    const c = child!;
    const cursorBefore = BigInt((await status()).cursor);
    c.kill('SIGKILL');
    await exited(c);
    // While it is down: two new messages (separate blocks), a reply and a refund to subscriber 3.
    const a = await sendMessage(tc, 3, 1, ONE(2));
    const b = await sendMessage(tc, 4, 2, ONE(3));
    const r = await sendMessage(tc, 3, 2, ONE(4));
    await reply(tc, 2, r.id);
    const f = await sendMessage(tc, 3, 1, ONE(5));
    await tc.increaseTime(31 * 86_400);
    await tx(tc, 5, 'refund', [f.id]);
    expected.push(`message:${a.id}`, `message:${b.id}`, `message:${r.id}`, `reply:${r.id}`, `message:${f.id}`, `refund:${f.id}`);
    const head = await tc.publicClient.getBlockNumber();
    assert.ok(head > cursorBefore);

    const again = spawnNotifier();
    await waitHealthy(again);
    await smtp.waitFor(() => notifications().length >= expected.length, 20_000, `${expected.length} notifications`);
    await sleep(500);
    assertExactlyOnce(expected);
    const s = await status();
    assert.ok(BigInt(s.cursor) >= head, 'caught up to the head');
    assert.equal(s.outbox.pending, 0);
  });

  test('the documented window: killed after the server ACCEPTED but before "sent" was recorded → one resend with the SAME Message-ID', async () => {
    const c = child!;
    let killed = false;
    smtp.decide = (mail) => {
      if (!killed && mail.kind === 'message') {
        killed = true;
        c.kill('SIGKILL'); // dies before it can read the 250 and record the row as sent
      }
      return { accept: true };
    };
    const m = await sendMessage(tc, 4, 1, ONE(6));
    await exited(c);
    smtp.decide = undefined;
    const key = `message:${m.id}:${m.txHash}`; // chain events' keys name their transaction
    assert.equal((await outboxRows()).find((r) => r.key === key)?.status, 'sending', 'not recorded as sent: still in the dead process\'s hands');
    const again = spawnNotifier();
    await waitHealthy(again);
    await smtp.waitFor((rs) => rs.filter((x) => x.headers.get('x-paidchat-message') === String(m.id)).length >= 2, 20_000, 'the resend');
    await sleep(300);
    const copies = notifications().filter((x) => x.headers.get('x-paidchat-message') === String(m.id));
    assert.equal(copies.length, 2, 'accepted once before the crash, once after');
    assert.equal(copies[0]!.messageId, copies[1]!.messageId, 'same Message-ID: receivers deduplicate it');
    assert.equal((await outboxRows()).find((r) => r.key === key)?.status, 'sent');
  });
});
