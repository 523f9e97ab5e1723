/**
 * The notifier end to end, against a real anvil with the real contract (protocol 2), a real SMTP
 * server on loopback and real HTTP requests: subscribe → open the link (a page: nothing changes) →
 * press Confirm → paid message → exactly one email; a newer request supersedes an older link;
 * one-click unsubscribe, after which the address is in no row; a sender's own subscription: reply,
 * creator follow-up and refund emails; the 24-hour reminder; retention.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toOneAddress } from '../../src/sdk/address.js';
import { startTestChain, ONE, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp, type ReceivedMail } from '../support/smtp.js';
import {
  ENVELOPE,
  SECRET_CONTENT,
  claimHandle,
  confirmLink,
  followUp,
  notifierConfig,
  postJson,
  pressConfirm,
  reply,
  rowsMentioning,
  sendMessage,
  signedRequest,
  sleep,
  startTestNotifier,
  subscribeAndConfirm,
  tableCounts,
  tempDb,
  tx,
} from '../support/notifier.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

const SATOSHI = 1; // creator @satoshi, price 10 ONE, 7-day window
const ADMIRER = 2; // sender with the handle @satoshi-admirer
const ANON = 3; // sender without a handle
const QUICK = 4; // creator @quick with a 1-hour window (shorter than the reminder lead)
const DAY = 86_400;

let tc: TestChain;
let smtp: TestSmtp;
let n: RunningNotifier & { lines: string[] };
let db: ReturnType<typeof tempDb>;

const row = (key: string) => n.store.db.get<any>('SELECT * FROM outbox WHERE key = ?', [key]);

/** Waits until the watcher has processed `block` and the outbox has nothing pending. */
async function settled(block: bigint, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const cursor = n.watcher.cursorBlock ?? -1n;
    const stats = await n.store.stats();
    if (cursor >= block && stats.outbox.pending === 0 && stats.outbox.sending === 0) return;
    if (Date.now() > end) throw new Error(`not settled at block ${block}: cursor ${cursor}, ${JSON.stringify(stats.outbox)}`);
    await sleep(25);
  }
}

const ofKind = (kind: string, to?: string) => (m: ReceivedMail) => m.kind === kind && (to === undefined || m.envelopeTo.includes(to));

function assertNoContent(m: ReceivedMail) {
  assert.ok(!m.raw.includes(SECRET_CONTENT), 'the message text must never be mailed');
  assert.ok(!m.raw.toLowerCase().includes(ENVELOPE.slice(14, 60).toLowerCase()), 'the ciphertext must never be mailed');
}

describe('notifier: subscription, notifications, unsubscribe, reminders, retention', () => {
  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    await claimHandle(tc, SATOSHI, 'satoshi', ONE(10));
    await claimHandle(tc, ADMIRER, 'satoshi-admirer', 0n);
    await claimHandle(tc, QUICK, 'quick', ONE(1), 3_600);
    n = await startTestNotifier(notifierConfig(tc, smtp, db.path), { housekeepingIntervalMs: 3_600_000 });
  });

  after(async () => {
    await n?.stop();
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
  });

  test('subscribe → confirmation email → the link shows a page (GET and HEAD change nothing) → Confirm → a paid message → exactly one email', async () => {
    const satoshi = tc.accounts[SATOSHI]!;
    const admirer = tc.accounts[ADMIRER]!;
    const r = await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, satoshi, 'satoshi@example.com'));
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.status, 'confirmation_sent');
    assert.equal(r.json.topic, 'inbox');
    const [confirmation] = await smtp.waitFor((rs) => rs.some(ofKind('confirmation', 'satoshi@example.com')), 10_000);
    assert.match(confirmation!.text, new RegExp(satoshi.address));
    assert.match(confirmation!.text, /creator\.example/, 'the email names the site the request came from');

    // Nothing is mailed before the subscription is confirmed.
    const early = await sendMessage(tc, ADMIRER, SATOSHI, ONE(10));
    await settled(early.blockNumber);
    assert.equal(smtp.received.filter(ofKind('message')).length, 0, 'no notification before confirmation');

    const link = confirmLink(confirmation!.text);
    // What a mail scanner does with every link: GET and HEAD, repeatedly. Nothing changes.
    for (let i = 0; i < 3; i++) {
      const head = await fetch(link, { method: 'HEAD' });
      assert.equal(head.status, 200);
      const page = await fetch(link);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<form method="post" action="\/v1\/confirm">/);
      assert.match(html, /satoshi@example\.com/);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    }
    assert.equal((await tableCounts(db.path)).subscriptions, 0, 'GET and HEAD of the link confirm nothing');

    const confirmed = await pressConfirm(link);
    assert.equal(confirmed.status, 200);
    assert.match(await confirmed.text(), /Email notifications are on/);
    assert.match(await (await pressConfirm(link)).text(), /Already confirmed/, 'pressing again says "already confirmed"');

    const sent = await sendMessage(tc, ADMIRER, SATOSHI, ONE(10));
    const mails = await smtp.waitFor((rs) => rs.some(ofKind('message')), 10_000, 'the new-message email');
    await settled(sent.blockNumber);
    await sleep(300); // a few more polls: still exactly one
    const notes = smtp.received.filter(ofKind('message'));
    assert.equal(notes.length, 1, `exactly one email, got ${notes.length}`);
    const m = mails.find(ofKind('message'))!;
    assert.deepEqual(m.envelopeTo, ['satoshi@example.com']);
    assert.match(m.subject, /@satoshi-admirer/);
    assert.match(m.subject, /10 ONE/);
    assert.ok(m.text.includes(admirer.address), 'sender address (0x)');
    assert.ok(m.text.includes(toOneAddress(admirer.address)), 'sender address (one1)');
    assert.match(m.text, /Amount:\s+10 ONE/);
    const deadline = new Date(Number(sent.deadline) * 1000).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
    assert.ok(m.text.includes(deadline), `deadline ${deadline} in:\n${m.text}`);
    assert.ok(m.text.includes(`${n.publicUrl}/h/satoshi`), 'reply link to the widget page');
    assert.ok(m.text.includes(`#${sent.id}`));
    assertNoContent(m);
    const lu = m.headers.get('list-unsubscribe') ?? '';
    assert.match(lu, new RegExp(`^<${n.publicUrl.replace(/[.]/g, '\\.')}/v1/unsubscribe\\?token=[0-9a-f]{32}\\.[A-Za-z0-9_-]{43}>$`));
    assert.equal(m.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assert.match(m.messageId, /^<[0-9a-f]{40}\.message@127\.0\.0\.1>$/);
    const sentRow = await row(`email:message:${sent.id}:${sent.txHash}`);
    assert.equal(sentRow.status, 'sent');
    assert.equal(await row(`email:message:${early.id}:${early.txHash}`), undefined);
  });

  test('a newer request supersedes the older link: the old one cannot switch the mail back', async () => {
    const quick = tc.accounts[QUICK]!;
    const before = smtp.received.length;
    assert.equal((await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, quick, 'old@example.com'))).status, 202);
    assert.equal((await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, quick, 'new@example.com'))).status, 202);
    const mails = (await smtp.waitFor((rs) => rs.slice(before).filter(ofKind('confirmation')).length >= 2)).slice(before).filter(ofKind('confirmation'));
    const oldLink = confirmLink(mails.find((x) => x.envelopeTo.includes('old@example.com'))!.text);
    const newLink = confirmLink(mails.find((x) => x.envelopeTo.includes('new@example.com'))!.text);
    const oldPage = await fetch(oldLink);
    assert.equal(oldPage.status, 410);
    assert.match(await oldPage.text(), /replaced/);
    assert.equal((await pressConfirm(oldLink)).status, 410, 'the older link does not confirm');
    assert.equal((await pressConfirm(newLink)).status, 200);
    assert.equal((await pressConfirm(oldLink)).status, 410, 'nor after the newer one was confirmed');
    assert.equal((await n.store.subscription(quick.address, 'inbox'))?.email, 'new@example.com');
  });

  test('a sender without a handle is shown as 0x and one1 address', async () => {
    const before = smtp.received.length;
    const anon = tc.accounts[ANON]!.address;
    await sendMessage(tc, ANON, SATOSHI, ONE(12.5));
    const [m] = (await smtp.waitFor((rs) => rs.slice(before).some(ofKind('message')))).slice(before).filter(ofKind('message'));
    assert.ok(m!.subject.includes(`${anon.slice(0, 6)}…${anon.slice(-4)}`), m!.subject);
    assert.ok(m!.text.includes(`From:`) && m!.text.includes(anon) && m!.text.includes(toOneAddress(anon)));
    assert.match(m!.text, /12\.5 ONE/);
    assertNoContent(m!);
  });

  test('one-click unsubscribe (RFC 8058 POST) stops the emails and leaves the address in no row; GET shows a confirm page', async () => {
    const last = smtp.received.filter(ofKind('message')).at(-1)!;
    const url = /^<(.+)>$/.exec(last.headers.get('list-unsubscribe')!)![1]!;
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<form method="post"/);
    assert.match(html, /satoshi@example\.com/);
    assert.equal((await tableCounts(db.path)).subscriptions, 2, 'GET changes nothing');
    assert.ok((await rowsMentioning(db.path, 'satoshi@example.com')).length > 0);

    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    assert.equal(res.status, 200);
    assert.equal(await n.store.subscription(tc.accounts[SATOSHI]!.address, 'inbox'), undefined);
    assert.deepEqual(await rowsMentioning(db.path, 'satoshi@example.com'), [], 'the address is in no row of any table');
    const again = await fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    assert.equal(again.status, 200, 'idempotent');
    const bad = await fetch(url.replace(/token=[0-9a-f]/, 'token=0').replace(/.$/, 'A'), { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    assert.equal(bad.status, 404);

    const count = smtp.received.length;
    const after = await sendMessage(tc, ADMIRER, SATOSHI, ONE(10));
    await settled(after.blockNumber);
    await sleep(300);
    assert.equal(smtp.received.length, count, 'no email after unsubscribing');
  });

  test("a sender's subscription (outbox): the creator's reply, the creator's follow-up and the refund → emails to the sender", async () => {
    await subscribeAndConfirm(n.url, smtp, tc.accounts[ADMIRER]!, 'admirer@example.com', 'outbox');
    const toReply = await sendMessage(tc, ADMIRER, SATOSHI, ONE(10));
    const toRefund = await sendMessage(tc, ADMIRER, SATOSHI, ONE(20));
    await reply(tc, SATOSHI, toReply.id);
    const [r] = (await smtp.waitFor((rs) => rs.some(ofKind('reply', 'admirer@example.com')), 10_000, 'the reply email')).filter(ofKind('reply'));
    assert.match(r!.subject, /@satoshi replied/);
    assert.match(r!.text, /Paid out:\s+9\.9 ONE/);
    assert.match(r!.text, /Protocol fee:\s+0\.1 ONE/);
    assert.ok(r!.text.includes(`#${toReply.id}`));
    assert.ok(r!.text.includes(`${n.publicUrl}/h/satoshi`));
    assert.equal(r!.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assertNoContent(r!);

    await followUp(tc, SATOSHI, toReply.id); // the creator follows up: the sender hears of it
    const [f] = (await smtp.waitFor((rs) => rs.some(ofKind('follow-up', 'admirer@example.com')), 10_000, 'the follow-up email')).filter(ofKind('follow-up'));
    assert.match(f!.subject, /Follow-up from @satoshi/);
    assertNoContent(f!);
    await followUp(tc, ADMIRER, toReply.id); // the sender's own follow-up: no email to the sender
    await settled(await tc.publicClient.getBlockNumber());

    await tc.increaseTime(7 * DAY);
    await tx(tc, 5, 'refund', [toRefund.id]); // anyone may refund
    const [refund] = (await smtp.waitFor((rs) => rs.some(ofKind('refund', 'admirer@example.com')), 10_000, 'the refund email')).filter(ofKind('refund'));
    assert.match(refund!.subject, /Refunded: 20 ONE/);
    assert.match(refund!.text, /Returned:\s+20 ONE/);
    assert.ok(refund!.text.includes(`#${toRefund.id}`));
    assertNoContent(refund!);
    // The sender's own messages never mail the sender as "new message"; its own follow-up neither.
    assert.equal(smtp.received.filter(ofKind('message', 'admirer@example.com')).length, 0);
    assert.equal(smtp.received.filter(ofKind('follow-up', 'admirer@example.com')).length, 1);
  });

  test('24 h before the deadline of a still-waiting message → one reminder to the recipient (anvil time travel)', async () => {
    await subscribeAndConfirm(n.url, smtp, tc.accounts[SATOSHI]!, 'satoshi@example.com');
    const waiting = await sendMessage(tc, ADMIRER, SATOSHI, ONE(10));
    const answered = await sendMessage(tc, ANON, SATOSHI, ONE(11));
    const short = await sendMessage(tc, ADMIRER, QUICK, ONE(1)); // 1-hour window: no reminder
    await settled(short.blockNumber);
    const scheduled = (await n.store.db.all<{ message_id: string }>('SELECT message_id FROM reminders WHERE settled_block IS NULL')).map((r) => r.message_id);
    assert.ok(scheduled.includes(waiting.id.toString()) && scheduled.includes(answered.id.toString()));
    assert.ok(!scheduled.includes(short.id.toString()), 'a window shorter than the lead time schedules no reminder');
    await reply(tc, SATOSHI, answered.id);
    await settled(await tc.publicClient.getBlockNumber());
    assert.equal(smtp.received.filter(ofKind('reminder')).length, 0, 'not due yet');

    // Jump to 10 s past the reminder time: deadline − 24 h.
    const now = await tc.latestTimestamp();
    await tc.increaseTime(waiting.deadline - BigInt(DAY) - now + 10n);
    const mails = await smtp.waitFor((rs) => rs.some(ofKind('reminder')), 10_000, 'the reminder');
    await settled(await tc.publicClient.getBlockNumber());
    await sleep(300);
    const reminders = smtp.received.filter(ofKind('reminder'));
    assert.equal(reminders.length, 1, `one reminder, got ${reminders.map((m) => m.subject).join(' | ')}`);
    const m = mails.find(ofKind('reminder'))!;
    assert.deepEqual(m.envelopeTo, ['satoshi@example.com']);
    assert.match(m.subject, /Reminder: 1 day left to reply to @satoshi-admirer \(10 ONE\)/);
    assert.ok(m.text.includes(`#${waiting.id}`));
    assert.equal(m.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assertNoContent(m);
    assert.equal(Number((await n.store.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM reminders WHERE settled_block IS NULL'))!.n), 0, 'reminders are consumed');
  });

  test('GET /v1/status needs the admin token and shows counts and the cursor', async () => {
    assert.equal((await fetch(`${n.url}/v1/status`)).status, 401);
    assert.equal((await fetch(`${n.url}/v1/status`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
    const res = await fetch(`${n.url}/v1/status`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    assert.equal(res.status, 200);
    const s = (await res.json()) as any;
    assert.equal(s.outbox.failed, 0);
    assert.ok(s.outbox.sent >= 5);
    assert.ok(s.sentByKind.message >= 2 && s.sentByKind.reply === 1 && s.sentByKind.refund === 1 && s.sentByKind.reminder === 1 && s.sentByKind['follow-up'] === 1, JSON.stringify(s.sentByKind));
    assert.equal(BigInt(s.cursor), BigInt(s.head));
    assert.equal(s.subscriptions, 3);
    assert.equal(s.database, 'sqlite');
  });

  test('retention: delivered rows go after --retention; expired confirmation requests and nonces are deleted', async () => {
    const before = await tableCounts(db.path);
    assert.ok(before.outbox > 0);
    // A request nobody confirms.
    assert.equal((await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, tc.accounts[6]!, 'never@example.com'))).status, 202);
    const pending = (await tableCounts(db.path)).pending_subscriptions;
    assert.ok(pending >= 1);
    // Tomorrow (confirm TTL 24 h): the unconfirmed request and the nonces are gone, sent rows stay (30 d).
    const tomorrow = Date.now() + 25 * 3_600_000;
    const r1 = await n.housekeeping(tomorrow);
    assert.ok(r1.pendingSubscriptions >= 1 && r1.nonces >= 1, JSON.stringify(r1));
    assert.deepEqual(await rowsMentioning(db.path, 'never@example.com'), [], 'an unconfirmed request leaves nothing');
    assert.equal((await tableCounts(db.path)).outbox, before.outbox, 'delivered rows are kept for the retention time');
    // After the retention time: delivered rows are deleted.
    const r2 = await n.housekeeping(Date.now() + 31 * DAY * 1000);
    assert.equal(r2.outbox, before.outbox);
    assert.equal((await tableCounts(db.path)).outbox, 0);
  });
});
