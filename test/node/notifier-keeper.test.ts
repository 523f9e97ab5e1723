/**
 * The keeper on anvil, moving time forward: nothing happens before the reply windows pass; then it
 * refunds every unanswered message in `refundMany` batches from its own funded key (senders get
 * their coins and their refund emails; the answered message is left alone); above its gas-price
 * ceiling it waits and says so; with no funds it warns loudly, retries each batch a bounded number
 * of times with backoff, then gives up and says which messages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEventLogs, parseGwei } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { startTestChain, ONE, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { claimHandle, notifierConfig, reply, sendMessage, sleep, startTestNotifier, subscribeAndConfirm, tempDb, until } from '../support/notifier.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

const CREATOR = 1;
const SENDERS = [2, 3];
const STATUS_REFUNDED = 4;
const STATUS_REPLIED = 3;

let tc: TestChain;
let smtp: TestSmtp;
const dbs: ReturnType<typeof tempDb>[] = [];
const running: (RunningNotifier & { lines: string[] })[] = [];
const open: { id: bigint; from: number; amount: bigint }[] = [];
let answered: bigint;

function keyFile(dir: string, name: string) {
  const key = generatePrivateKey();
  const file = join(dir, `${name}.key`);
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { file, address: privateKeyToAccount(key).address };
}

async function keeperNotifier(name: string, overrides: Parameters<typeof notifierConfig>[3], fund?: bigint) {
  const db = tempDb(`notifier-keeper-${name}-`);
  dbs.push(db);
  const k = keyFile(db.dir, name);
  if (fund !== undefined) await tc.testClient.setBalance({ address: k.address, value: fund });
  const n = await startTestNotifier(notifierConfig(tc, smtp, db.path, { keeperKeyFile: k.file, keeperIntervalMs: 3_600_000, keeperMinBalance: ONE(10), ...overrides }));
  running.push(n);
  return { n, address: k.address };
}

async function refundsBy(address: string) {
  const logs = await tc.publicClient.getContractEvents({ address: tc.contract, abi: paidChatAbi, eventName: 'MessageRefunded', fromBlock: 0n });
  const txs = new Map<string, number>();
  for (const l of logs) {
    const t = await tc.publicClient.getTransaction({ hash: l.transactionHash });
    if (t.from.toLowerCase() === address.toLowerCase()) txs.set(l.transactionHash, (txs.get(l.transactionHash) ?? 0) + 1);
  }
  return txs;
}

describe('notifier keeper', () => {
  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    await claimHandle(tc, CREATOR, 'quick', ONE(1), 3_600); // a 1-hour reply window
    for (let i = 0; i < 5; i++) {
      const from = SENDERS[i % 2]!;
      const amount = ONE(1 + i);
      open.push({ id: (await sendMessage(tc, from, CREATOR, amount)).id, from, amount });
    }
    answered = (await sendMessage(tc, SENDERS[0]!, CREATOR, ONE(9))).id;
    await reply(tc, CREATOR, answered);
  });

  after(async () => {
    for (const n of running) await n.stop();
    await smtp?.close();
    await tc?.stop();
    for (const d of dbs) d.cleanup();
  });

  test('with no funds: a loud warning, each batch retried with backoff a bounded number of times, then it gives up and says which', async () => {
    const { n, address } = await keeperNotifier('broke', { keeperMaxAttempts: 2, keeperBatch: 5 }, 0n);
    await until(() => (n.watcher.cursorBlock ?? 0n) >= tc.deployBlock + 8n, 10_000, 'caught up');
    const now = await tc.latestTimestamp();
    await tc.mineAt(now + 3_601n);
    n.keeper!.poke();
    await until(() => n.keeper!.status().gaveUp.length === 5, 15_000, 'giving up after two attempts');
    const s = n.keeper!.status();
    assert.equal(s.lowBalance, true);
    assert.equal(s.balance, '0');
    assert.ok(n.lines.some((l) => l.includes('KEEPER BALANCE LOW')), 'a loud warning');
    assert.ok(n.lines.some((l) => l.includes('cannot pay for the refund transaction')), 'the failure says why');
    const failures = n.lines.filter((l) => l.includes('keeper cannot pay') || l.includes('keeper refund failed'));
    assert.equal(failures.length, 2, 'exactly two attempts (--keeper-max-attempts 2)');
    assert.ok(n.lines.some((l) => l.includes('keeper gave up on messages')));
    assert.deepEqual([...s.gaveUp].sort(), open.map((o) => o.id.toString()).sort());
    const rounds = (await n.status()) as any;
    assert.equal(rounds.keeper.lowBalance, true, '/v1/status shows it');
    assert.equal((await refundsBy(address)).size, 0);
  });

  test('above its gas-price ceiling it waits and says so', async () => {
    const { n, address } = await keeperNotifier('frugal', { keeperMaxGasPrice: parseGwei('50') }, ONE(100));
    await until(() => (n.watcher.cursorBlock ?? 0n) >= (n.watcher.head ?? 1n), 10_000, 'caught up');
    n.keeper!.poke();
    await until(() => n.keeper!.status().waitingForGasPrice, 10_000, 'waiting for the gas price');
    assert.ok(n.lines.some((l) => l.includes('gas price is above its ceiling')));
    assert.equal(n.keeper!.status().transactions, 0);
    assert.equal(n.keeper!.status().lowBalance, false);
    assert.equal((await refundsBy(address)).size, 0);
  });

  test('funded: refunds every unanswered message in refundMany batches, senders get coins and emails; the answered one is left alone', async () => {
    const db = tempDb('notifier-keeper-main-');
    dbs.push(db);
    const k = keyFile(db.dir, 'main');
    await tc.testClient.setBalance({ address: k.address, value: ONE(100) });
    const balances = await Promise.all(SENDERS.map((i) => tc.publicClient.getBalance({ address: tc.accounts[i]!.address })));
    // The keeper is started before the subscription: refund emails go out once it is confirmed.
    const n = await startTestNotifier(notifierConfig(tc, smtp, db.path, { keeperKeyFile: k.file, keeperIntervalMs: 3_600_000, keeperBatch: 2 }));
    running.push(n);
    await subscribeAndConfirm(n.url, smtp, tc.accounts[SENDERS[0]!]!, 'sender@example.com', 'outbox');
    await until(() => (n.watcher.cursorBlock ?? 0n) >= (n.watcher.head ?? 1n), 10_000, 'caught up');
    n.keeper!.poke();
    await until(() => n.keeper!.status().refunded === 5, 20_000, 'five refunds');
    const s = n.keeper!.status();
    assert.equal(s.transactions, 3, '5 messages, batches of 2: three transactions');
    assert.equal(s.lastError, null);
    const txs = await refundsBy(k.address);
    assert.deepEqual([...txs.values()].sort(), [1, 2, 2]);
    for (const o of open) {
      const v = (await tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName: 'getMessage', args: [o.id] })) as { status: number };
      assert.equal(v.status, STATUS_REFUNDED, `message ${o.id} refunded`);
    }
    const still = (await tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName: 'getMessage', args: [answered] })) as { status: number };
    assert.equal(still.status, STATUS_REPLIED);
    // Each sender got exactly its coins back, paying no gas.
    for (const [j, i] of SENDERS.entries()) {
      const back = open.filter((o) => o.from === i).reduce((a, o) => a + o.amount, 0n);
      assert.equal(await tc.publicClient.getBalance({ address: tc.accounts[i]!.address }), balances[j]! + back);
    }
    const mails = await smtp.waitFor((rs) => rs.filter((m) => m.kind === 'refund').length >= 3, 10_000, 'three refund emails');
    assert.equal(mails.filter((m) => m.kind === 'refund' && m.envelopeTo.includes('sender@example.com')).length, 3);
    // Nothing left to do: another round sends nothing.
    n.keeper!.poke();
    await sleep(500);
    assert.equal(n.keeper!.status().transactions, 3);
    const refunded = await tc.publicClient.getContractEvents({ address: tc.contract, abi: paidChatAbi, eventName: 'MessageRefunded', fromBlock: 0n });
    assert.equal(parseEventLogs({ abi: paidChatAbi, logs: refunded as any }).length, 5);
  });
});
