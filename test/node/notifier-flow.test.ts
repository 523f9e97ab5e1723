/**
 * The notifier end to end, against a real anvil with the real contract, a real SMTP server on
 * loopback and real HTTP requests: subscribe → confirm → paid message → exactly one email; one-click
 * unsubscribe; reply and refund emails to a subscribed sender; the 24-hour reminder.
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
  notifierConfig,
  postJson,
  registerKey,
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
let n: RunningNotifier;
let db: ReturnType<typeof tempDb>;

/** Waits until the watcher has processed `block` and the outbox has nothing pending. */
async function settled(block: bigint, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const cursor = n.watcher.cursor ?? -1n;
    if (cursor >= block && n.store.stats().outbox.pending === 0) return;
    if (Date.now() > end) throw new Error(`not settled at block ${block}: cursor ${cursor}, ${JSON.stringify(n.store.stats().outbox)}`);
    await sleep(25);
  }
}

const ofKind = (kind: string, to?: string) => (m: ReceivedMail) => m.kind === kind && (to === undefined || m.envelopeTo.includes(to));

function assertNoContent(m: ReceivedMail) {
  assert.ok(!m.raw.includes(SECRET_CONTENT), 'the message text must never be mailed');
  assert.ok(!m.raw.toLowerCase().includes(ENVELOPE.slice(2, 40).toLowerCase()), 'the ciphertext must never be mailed');
}

describe('notifier: subscription, notifications, unsubscribe, reminders', () => {
  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    await claimHandle(tc, SATOSHI, 'satoshi', ONE(10));
    await claimHandle(tc, ADMIRER, 'satoshi-admirer', 0n);
    await registerKey(tc, ANON);
    await claimHandle(tc, QUICK, 'quick', ONE(1), 3_600);
    n = await startTestNotifier(notifierConfig(tc, smtp, db.path));
  });

  after(async () => {
    await n?.stop();
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
  });

  test('subscribe → confirmation email → link → a paid message → exactly one email with the facts and List-Unsubscribe', async () => {
    const satoshi = tc.accounts[SATOSHI]!;
    const admirer = tc.accounts[ADMIRER]!;
    const r = await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, satoshi, 'satoshi@example.com'));
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.status, 'confirmation_sent');
    const [confirmation] = await smtp.waitFor((rs) => rs.some(ofKind('confirmation', 'satoshi@example.com')), 10_000);
    assert.match(confirmation!.text, new RegExp(satoshi.address));

    // Nothing is mailed before the link is followed.
    const early = await sendMessage(tc, ADMIRER, SATOSHI, ONE(10));
    await settled(early.blockNumber);
    assert.equal(smtp.received.filter(ofKind('message')).length, 0, 'no notification before confirmation');

    const link = confirmLink(confirmation!.text);
    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Email notifications are on/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal((await fetch(link)).status, 200, 'following the link again says "already confirmed"');

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
    assert.match(m.text, /@satoshi-admirer/);
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
    const row = n.store.db.prepare('SELECT * FROM outbox WHERE key = ?').get(`message:${sent.id}`) as any;
    assert.equal(row.status, 'sent');
    assert.equal(row.mail_message_id, m.messageId);
    assert.equal((n.store.db.prepare('SELECT COUNT(*) AS c FROM outbox WHERE key = ?').get(`message:${early.id}`) as { c: number }).c, 0);
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

  test('one-click unsubscribe (RFC 8058 POST) stops the emails; GET shows a confirm page', async () => {
    const last = smtp.received.filter(ofKind('message')).at(-1)!;
    const url = /^<(.+)>$/.exec(last.headers.get('list-unsubscribe')!)![1]!;
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<form method="post"/);
    assert.match(html, /satoshi@example\.com/);
    assert.equal((await tableCounts(db.path)).subscriptions, 1, 'GET changes nothing');

    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    assert.equal(res.status, 200);
    assert.equal(n.store.subscription(tc.accounts[SATOSHI]!.address), undefined);
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

  test('reply and refund → emails to the subscribed sender', async () => {
    await subscribeAndConfirm(n.url, smtp, tc.accounts[ADMIRER]!, 'admirer@example.com');
    const toReply = await sendMessage(tc, ADMIRER, SATOSHI, ONE(10));
    const toRefund = await sendMessage(tc, ADMIRER, SATOSHI, ONE(20));
    await tx(tc, SATOSHI, 'reply', [toReply.id, '0x0102030405']);
    const [reply] = (await smtp.waitFor((rs) => rs.some(ofKind('reply', 'admirer@example.com')), 10_000, 'the reply email')).filter(ofKind('reply'));
    assert.match(reply!.subject, /@satoshi replied/);
    assert.match(reply!.text, /Paid out:\s+9\.9 ONE/);
    assert.match(reply!.text, /Protocol fee:\s+0\.1 ONE/);
    assert.ok(reply!.text.includes(`#${toReply.id}`));
    assert.ok(reply!.text.includes(`${n.publicUrl}/h/satoshi`));
    assert.equal(reply!.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assertNoContent(reply!);

    await tc.increaseTime(7 * DAY);
    await tx(tc, 5, 'refund', [toRefund.id]); // anyone may refund
    const [refund] = (await smtp.waitFor((rs) => rs.some(ofKind('refund', 'admirer@example.com')), 10_000, 'the refund email')).filter(ofKind('refund'));
    assert.match(refund!.subject, /Refunded: 20 ONE/);
    assert.match(refund!.text, /Returned:\s+20 ONE/);
    assert.ok(refund!.text.includes(`#${toRefund.id}`));
    assertNoContent(refund!);
    // The sender's own messages never mail the sender as "new message".
    assert.equal(smtp.received.filter(ofKind('message', 'admirer@example.com')).length, 0);
  });

  test('24 h before the deadline of a still-waiting message → one reminder to the recipient (anvil time travel)', async () => {
    await subscribeAndConfirm(n.url, smtp, tc.accounts[SATOSHI]!, 'satoshi@example.com');
    await subscribeAndConfirm(n.url, smtp, tc.accounts[QUICK]!, 'quick@example.com');
    const waiting = await sendMessage(tc, ADMIRER, SATOSHI, ONE(10));
    const answered = await sendMessage(tc, ANON, SATOSHI, ONE(11));
    const short = await sendMessage(tc, ADMIRER, QUICK, ONE(1)); // 1-hour window: no reminder
    await settled(short.blockNumber);
    const scheduled = n.store.db.prepare('SELECT message_id FROM reminders').all().map((r: any) => r.message_id);
    assert.ok(scheduled.includes(waiting.id.toString()) && scheduled.includes(answered.id.toString()));
    assert.ok(!scheduled.includes(short.id.toString()), 'a window shorter than the lead time schedules no reminder');
    await tx(tc, SATOSHI, 'reply', [answered.id, '0x0102']);
    await settled((await tc.publicClient.getBlockNumber()));
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
    assert.ok(m.text.includes(`${n.publicUrl}/h/satoshi`));
    assert.equal(m.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assertNoContent(m);
    assert.equal((await tableCounts(db.path)).reminders, 0, 'reminders are consumed');
  });

  test('GET /v1/status needs the admin token and shows counts and the cursor', async () => {
    assert.equal((await fetch(`${n.url}/v1/status`)).status, 401);
    assert.equal((await fetch(`${n.url}/v1/status`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
    const res = await fetch(`${n.url}/v1/status`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    assert.equal(res.status, 200);
    const s = (await res.json()) as any;
    assert.equal(s.outbox.failed, 0);
    assert.ok(s.outbox.sent >= 5);
    assert.ok(s.sentByKind.message >= 2 && s.sentByKind.reply === 1 && s.sentByKind.refund === 1 && s.sentByKind.reminder === 1);
    assert.equal(BigInt(s.cursor), BigInt(s.head));
    assert.equal(s.subscriptions, 3);
  });
});
