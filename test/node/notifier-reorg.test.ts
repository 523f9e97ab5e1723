/**
 * Reorgs, on anvil (snapshot → blocks → revert → other blocks: the chain the notifier saw is
 * replaced by another one of the same or greater height, with other transactions):
 *
 * - with `--confirmations 2` a message in a block that is orphaned before it has two confirmations
 *   is never mailed nor sent as a webhook; the message that replaced it is, once;
 * - with `--confirmations 0` (Harmony's setting, where this cannot happen) a reorg deeper than the
 *   confirmations is detected by the block hashes the watcher keeps: the undelivered email and
 *   webhook of the orphaned block are dropped, the new chain's event is derived and delivered once,
 *   and what had already gone out is reported as such;
 * - an event's key (outbox row, webhook-id, Message-ID) names its transaction: an event of the new
 *   chain that reuses an orphaned message id is another event, delivered even when the orphaned one
 *   had already gone out.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestChain, ONE, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import {
  claimHandle,
  health,
  notifierConfig,
  postJson,
  sendMessage,
  signedBody,
  sleep,
  startTestNotifier,
  startWebhookReceiver,
  subscribeAndConfirm,
  tempDb,
  until,
} from '../support/notifier.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

const CREATOR = 1;
const ALICE = 2;
const BOB = 3;

async function registerHook(n: RunningNotifier, tc: TestChain, url: string) {
  const r = await postJson(`${n.url}/v1/webhooks`, await signedBody(n.url, tc.accounts[CREATOR]!, { type: 'add-webhook', url }, { info: await health(n.url) }));
  assert.equal(r.status, 201, r.text);
}

describe('reorgs with --confirmations 2: an orphaned block is never read', () => {
  let tc: TestChain;
  let smtp: TestSmtp;
  let db: ReturnType<typeof tempDb>;
  let n: RunningNotifier & { lines: string[] };
  let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;

  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    hooks = await startWebhookReceiver();
    await claimHandle(tc, CREATOR, 'satoshi', ONE(1));
    n = await startTestNotifier(notifierConfig(tc, smtp, db.path, { confirmations: 2 }));
    await subscribeAndConfirm(n.url, smtp, tc.accounts[CREATOR]!, 'satoshi@example.com');
    await registerHook(n, tc, hooks.url);
  });

  after(async () => {
    await n?.stop();
    await hooks?.close();
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
  });

  test("alice's message is orphaned with one confirmation; bob's replaces it: only bob's is mailed, once", async () => {
    const head = await tc.publicClient.getBlockNumber();
    await tc.testClient.mine({ blocks: 2 });
    await until(() => (n.watcher.cursorBlock ?? 0n) >= head, 10_000, 'caught up to two behind the head');
    const snap = await tc.snapshot();
    const orphan = await sendMessage(tc, ALICE, CREATOR, ONE(1));
    await tc.testClient.mine({ blocks: 1 }); // one confirmation: not yet read
    await sleep(500);
    assert.ok((n.watcher.cursorBlock ?? 0n) < orphan.blockNumber, 'the watcher stays two blocks behind');
    await tc.revert(snap);
    const kept = await sendMessage(tc, BOB, CREATOR, ONE(2));
    assert.equal(kept.id, orphan.id, 'the same message id, now from bob');
    assert.equal(kept.blockNumber, orphan.blockNumber, 'at the same height');
    await tc.testClient.mine({ blocks: 3 });
    const mails = await smtp.waitFor((rs) => rs.some((m) => m.kind === 'message'), 10_000, "bob's email");
    await hooks.waitFor((r) => r.length >= 1);
    await sleep(600);
    const notes = mails.filter((m) => m.kind === 'message');
    assert.equal(notes.length, 1);
    assert.ok(notes[0]!.text.includes(tc.accounts[BOB]!.address), 'from bob');
    assert.ok(!smtp.received.some((m) => m.text.includes(tc.accounts[ALICE]!.address)), 'nothing about alice, ever');
    assert.equal(hooks.received.length, 1);
    assert.equal(hooks.received[0]!.json.data.sender, tc.accounts[BOB]!.address);
    assert.equal(n.watcher.reorgs, 0, 'nothing had to be undone');
  });
});

describe('reorgs with --confirmations 0: deeper than the confirmations, found by the block hashes and undone', () => {
  let tc: TestChain;
  let smtp: TestSmtp;
  let db: ReturnType<typeof tempDb>;
  let n: RunningNotifier & { lines: string[] };
  let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;

  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    hooks = await startWebhookReceiver();
    await claimHandle(tc, CREATOR, 'satoshi', ONE(1));
    n = await startTestNotifier(notifierConfig(tc, smtp, db.path, { confirmations: 0, webhookRetryBaseMs: 5000, webhookRetryMaxMs: 5000 }));
    await subscribeAndConfirm(n.url, smtp, tc.accounts[CREATOR]!, 'satoshi@example.com');
    await registerHook(n, tc, hooks.url);
  });

  after(async () => {
    await n?.stop();
    await hooks?.close();
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
  });

  test('undelivered email and webhook of the orphaned block are dropped; the replacing event is delivered once', async () => {
    await until(async () => (n.watcher.cursorBlock ?? 0n) >= (await tc.publicClient.getBlockNumber()), 10_000, 'caught up');
    await smtp.close(); // nothing can be delivered for now …
    hooks.decide = () => 503; // … not even the webhook (retried in 5 s)
    const snap = await tc.snapshot();
    const orphan = await sendMessage(tc, ALICE, CREATOR, ONE(1));
    await until(async () => (await n.store.db.get<any>("SELECT * FROM outbox WHERE key = ?", [`email:message:${orphan.id}:${orphan.txHash}`]))?.status === 'pending', 10_000, "alice's email queued");
    await until(() => hooks.attempts.length >= 1, 10_000, 'a first webhook attempt');
    await tc.revert(snap);
    await sendMessage(tc, BOB, CREATOR, ONE(2));
    await tc.testClient.mine({ blocks: 1 });
    await until(() => n.watcher.reorgs >= 1, 10_000, 'the reorg detected');
    assert.ok(n.lines.some((l) => l.includes('chain reorganisation')), 'logged');
    hooks.decide = undefined;
    await smtp.reopen();
    const mails = await smtp.waitFor((rs) => rs.some((m) => m.kind === 'message'), 10_000, "bob's email");
    await hooks.waitFor((r) => r.length >= 1, 15_000, "bob's webhook");
    await sleep(600);
    const notes = mails.filter((m) => m.kind === 'message');
    assert.equal(notes.length, 1, 'one email');
    assert.ok(notes[0]!.text.includes(tc.accounts[BOB]!.address), 'about the new chain: from bob');
    assert.ok(!smtp.received.some((m) => m.text.includes(tc.accounts[ALICE]!.address)), 'never about the orphaned block');
    assert.equal(hooks.received.length, 1);
    assert.equal(hooks.received[0]!.json.data.sender, tc.accounts[BOB]!.address);
    const attemptsForAlice = hooks.attempts.filter((a) => a.json?.data?.sender === tc.accounts[ALICE]!.address);
    assert.equal(attemptsForAlice.filter((a) => hooks.received.includes(a)).length, 0, "alice's webhook was never taken");
    assert.ok(attemptsForAlice.every((a) => a.id !== hooks.received[0]!.id), "bob's event has a webhook-id of its own");
  });

  test('an email that already went out for a block later orphaned is reported, not sent again; the event replacing it (same message id, another transaction) is delivered', async () => {
    const snap = await tc.snapshot();
    const gone = await sendMessage(tc, ALICE, CREATOR, ONE(3));
    const isGone = (m: TestSmtp['received'][number]) => m.headers.get('x-paidchat-message') === String(gone.id);
    await smtp.waitFor((rs) => rs.some(isGone), 10_000, 'the email');
    await hooks.waitFor((r) => r.some((w) => w.json.data.id === String(gone.id)), 10_000, 'the webhook');
    await tc.revert(snap);
    const replacing = await sendMessage(tc, BOB, CREATOR, ONE(4));
    assert.equal(replacing.id, gone.id, 'the same message id, from bob, in another transaction');
    assert.notEqual(replacing.txHash, gone.txHash);
    await tc.testClient.mine({ blocks: 2 });
    await until(() => n.watcher.reorgs >= 2, 10_000, 'the second reorg');
    assert.ok(n.lines.some((l) => l.includes('notifications for orphaned blocks had already gone out') && l.includes(`message:${gone.id}`)));
    const mails = (await smtp.waitFor((rs) => rs.filter(isGone).length >= 2, 10_000, "bob's email for the same message id")).filter(isGone);
    const hooked = (await hooks.waitFor((r) => r.filter((w) => w.json.data.id === String(gone.id)).length >= 2, 15_000, "bob's webhook")).filter((w) => w.json.data.id === String(gone.id));
    await sleep(600);
    assert.equal(smtp.received.filter(isGone).length, 2, "alice's (already out) and bob's, nothing more");
    assert.ok(mails[0]!.text.includes(tc.accounts[ALICE]!.address) && mails[1]!.text.includes(tc.accounts[BOB]!.address));
    assert.notEqual(mails[0]!.messageId, mails[1]!.messageId, 'another Message-ID');
    assert.deepEqual(hooked.map((w) => w.json.data.sender), [tc.accounts[ALICE]!.address, tc.accounts[BOB]!.address]);
    assert.deepEqual(hooked.map((w) => w.json.data.txHash), [gone.txHash, replacing.txHash]);
    assert.notEqual(hooked[0]!.id, hooked[1]!.id, 'another webhook-id');
  });
});
