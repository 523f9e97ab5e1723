/**
 * SMTP failures against a real loopback SMTP server: the server down for a while (closed, then
 * reopened on the same port) → retried with backoff and delivered once it returns; a permanent
 * 550 → recorded as failed with the reason and visible in /v1/status; a transient 451 → retried.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestChain, ONE, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import {
  ADMIN_TOKEN,
  claimHandle,
  notifierConfig,
  postJson,
  sendMessage,
  signedRequest,
  sleep,
  startTestNotifier,
  subscribeAndConfirm,
  tableCounts,
  tempDb,
  until as untilAsync,
} from '../support/notifier.js';
import { backoffMs, classifySmtpError } from '../../notifier/src/mailer.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

let tc: TestChain;
let smtp: TestSmtp;
let db: ReturnType<typeof tempDb>;
let n: RunningNotifier & { lines: string[] };

async function status(): Promise<any> {
  return (await fetch(`${n.url}/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
}

function row(key: string): Promise<any> {
  return n.store.db.get('SELECT * FROM outbox WHERE key = ?', [`email:${key}`]);
}
const until = untilAsync;

describe('notifier: SMTP outages and rejections', () => {
  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    await claimHandle(tc, 1, 'alpha', ONE(1));
    await claimHandle(tc, 2, 'bravo', ONE(1));
    n = await startTestNotifier(notifierConfig(tc, smtp, db.path, { retryBaseMs: 200, retryMaxMs: 800, smtpConnections: 3 }));
    await subscribeAndConfirm(n.url, smtp, tc.accounts[1]!, 'alpha@example.com');
    await subscribeAndConfirm(n.url, smtp, tc.accounts[2]!, 'bounce@example.com');
  });

  after(async () => {
    await n?.stop();
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
  });

  test('classification and backoff', () => {
    assert.deepEqual(classifySmtpError(Object.assign(new Error('x'), { responseCode: 550, response: '550 no such user' })), { permanent: true, connection: false, reason: '550 no such user' });
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { responseCode: 451 })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { responseCode: 421 })).connection, true);
    assert.equal(classifySmtpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' })).connection, true);
    const mid = () => 0.5;
    assert.deepEqual([1, 2, 3, 4, 5, 10].map((a) => backoffMs(a, 100, 1000, mid)), [100, 200, 400, 800, 1000, 1000]);
  });

  test('SMTP down for a while → the signed request is refused with 503 mail_unavailable, nothing stored', async () => {
    await smtp.close();
    try {
      const before = await tableCounts(db.path);
      const r = await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, tc.accounts[4]!, 'delta@example.com'));
      assert.equal(r.status, 503);
      assert.equal(r.json.error.code, 'mail_unavailable');
      assert.deepEqual(await tableCounts(db.path), before);
    } finally {
      await smtp.reopen();
    }
  });

  test('SMTP down for a while → retried with backoff, delivered once it is back, exactly once', async () => {
    await smtp.close();
    const downAt = Date.now();
    const msgs = [await sendMessage(tc, 3, 1, ONE(1)), await sendMessage(tc, 3, 1, ONE(2)), await sendMessage(tc, 3, 1, ONE(3))];
    const first = `message:${msgs[0]!.id}:${msgs[0]!.txHash}`;
    await until(async () => ((await row(first))?.attempts ?? 0) >= 3, 10_000, 'three failed attempts');
    const r = await row(first);
    assert.equal(r.status, 'pending');
    assert.match(r.last_error, /ECONNREFUSED|ECONNECTION|ESOCKET|connect/i);
    const s = await status();
    assert.ok(s.retrying >= 1);
    assert.ok(s.lastErrors.some((e: any) => e.key === `email:${first}` && e.status === 'pending'));
    assert.ok(s.sender.backingOffUntil !== null);
    // Backoff: 3 attempts took at least base + 2·base (200 + 400 ms, jitter ±20 %).
    assert.ok(Date.now() - downAt >= 450, `attempts were spaced out (${Date.now() - downAt} ms)`);
    // While down, one row at a time is tried (whatever --smtp-connections): the others are not hammered.
    const tried = await Promise.all(msgs.map(async (m) => (await row(`message:${m.id}:${m.txHash}`)).attempts));
    assert.ok(tried.slice(1).every((a) => a <= 2), `attempts per row: ${tried}`);

    const before = smtp.received.length;
    await smtp.reopen();
    await smtp.waitFor((rs) => rs.length >= before + 3, 10_000, 'the three delayed emails');
    await sleep(400);
    const got = smtp.received.slice(before);
    assert.equal(got.length, 3);
    assert.deepEqual(got.map((m) => m.headers.get('x-paidchat-message')).sort(), msgs.map((m) => String(m.id)).sort(), 'each of them');
    assert.equal(new Set(got.map((m) => m.messageId)).size, 3);
    await until(async () => (await row(first)).status === 'sent', 5000, 'sent mark');
    assert.ok((await row(first)).attempts >= 4);
    assert.equal((await row(first)).last_error, null);
  });

  test('a permanent 550 → recorded as failed with the reason, visible in /v1/status; other mail still flows', async () => {
    smtp.decide = (m) => (m.envelopeTo.includes('bounce@example.com') && m.kind !== 'confirmation' ? { accept: false, code: 550, message: 'mailbox unavailable' } : { accept: true });
    try {
      const bounced = await sendMessage(tc, 3, 2, ONE(1));
      const ok = await sendMessage(tc, 3, 1, ONE(1));
      const key = `message:${bounced.id}:${bounced.txHash}`;
      await until(async () => (await row(key))?.status === 'failed', 10_000, 'the failed row');
      await smtp.waitFor((rs) => rs.some((m) => m.headers.get('x-paidchat-message') === String(ok.id)), 10_000, 'the other email');
      await sleep(500);
      const r = await row(key);
      assert.equal(r.attempts, 1, 'no retry after a permanent failure');
      assert.match(r.last_error, /550|mailbox unavailable/);
      assert.equal(smtp.rejected.filter((m) => m.headers.get('x-paidchat-message') === String(bounced.id)).length, 1);
      const s = await status();
      assert.equal(s.outbox.failed, 1);
      const e = s.lastErrors.find((x: any) => x.key === `email:${key}`);
      assert.ok(e, JSON.stringify(s.lastErrors));
      assert.equal(e.status, 'failed');
      assert.match(e.last_error, /mailbox unavailable/);
      assert.ok(n.lines.some((l) => l.includes('failed permanently') && l.includes(key)), 'logged');
    } finally {
      smtp.decide = undefined;
    }
  });

  test('a transient 451 for one recipient → retried and delivered', async () => {
    let refusals = 0;
    smtp.decide = (m) => (m.kind === 'message' && refusals++ < 2 ? { accept: false, code: 451, message: 'greylisted' } : { accept: true });
    try {
      const msg = await sendMessage(tc, 3, 1, ONE(7));
      await smtp.waitFor((rs) => rs.some((m) => m.headers.get('x-paidchat-message') === String(msg.id)), 10_000, 'the greylisted email');
      const r = await until(async () => { const x = await row(`message:${msg.id}:${msg.txHash}`); return x?.status === 'sent' ? x : undefined; }, 5_000, 'sent');
      assert.equal(r.attempts, 3);
    } finally {
      smtp.decide = undefined;
    }
  });
});
