/**
 * Webhooks for creators' tools, end to end on anvil: an endpoint registered with a signed request
 * (an EOA, and a Safe through EIP-1271) gets every new message, reply, follow-up and refund as a
 * Standard Webhooks delivery — `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
 * HMAC-SHA256>` checked here with node:crypto independently of the service — retried with backoff
 * under the same id until it is taken, once per event id (also across a restart), and never with
 * any message text. http:// is accepted only for loopback with the development flag; private
 * addresses never.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startTestChain, ONE, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { createSafe } from '../support/safe.js';
import {
  ENVELOPE,
  ORIGIN,
  SECRET_CONTENT,
  claimHandle,
  fetchFrom,
  followUp,
  health,
  notifierConfig,
  postJson,
  reply,
  safeSigner,
  sendMessage,
  signedBody,
  sleep,
  startTestNotifier,
  startWebhookReceiver,
  tempDb,
  tx,
  until,
  type ReceivedWebhook,
} from '../support/notifier.js';
import { listWebhooks, registerWebhook, removeWebhook } from '../../src/index.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

const CREATOR = 1;
const VISITOR = 2;
const DAY = 86_400;

let tc: TestChain;
let smtp: TestSmtp;
let db: ReturnType<typeof tempDb>;
let n: RunningNotifier;
let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
let secret = '';

/** Standard Webhooks verification, written here from the spec (not the service's code). */
function verify(w: ReceivedWebhook, key: string): boolean {
  const bytes = Buffer.from(key.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', bytes).update(`${w.id}.${w.timestamp}.${w.body}`).digest('base64');
  return w.signature.split(' ').some((s) => s === `v1,${expected}`);
}

describe('notifier webhooks', () => {
  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    hooks = await startWebhookReceiver();
    await claimHandle(tc, CREATOR, 'satoshi', ONE(1));
    n = await startTestNotifier(notifierConfig(tc, smtp, db.path, { webhookRetryBaseMs: 200, webhookRetryMaxMs: 400 }));
  });

  after(async () => {
    await n?.stop();
    await hooks?.close();
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
  });

  test('a creator registers an endpoint with a signed request; the secret is answered once', async () => {
    const r = await registerWebhook({
      notifierUrl: n.url,
      origin: ORIGIN,
      address: tc.accounts[CREATOR]!.address,
      url: hooks.url,
      fetch: fetchFrom() as any,
      signText: (message) => tc.accounts[CREATOR]!.signMessage({ message }),
    });
    assert.match(r.id, /^wh_/);
    assert.equal(r.url, hooks.url);
    assert.match(r.secret!, /^whsec_[A-Za-z0-9+/]{43}=$/);
    secret = r.secret!;
    const list = await listWebhooks({ notifierUrl: n.url, origin: ORIGIN, address: tc.accounts[CREATOR]!.address, fetch: fetchFrom() as any, signText: (m) => tc.accounts[CREATOR]!.signMessage({ message: m }) });
    assert.deepEqual(list.webhooks.map((w) => [w.id, w.url, 'secret' in w]), [[r.id, hooks.url, false]], 'listed without its secret');
  });

  test('refusals: not https, private addresses, a URL other than the one signed, another site, a forged signature', async () => {
    const creator = tc.accounts[CREATOR]!;
    const info = await health(n.url);
    const body = (url: string, o = {}) => signedBody(n.url, creator, { type: 'add-webhook', url }, { info, ...o });
    const cases: [string, () => Promise<{ status: number; json: any }>, number, string][] = [
      ['http to a public host', async () => postJson(`${n.url}/v1/webhooks`, await body('http://example.com/hook')), 400, 'url_invalid'],
      ['https to a private address', async () => postJson(`${n.url}/v1/webhooks`, await body('https://10.1.2.3/hook')), 400, 'url_invalid'],
      ['https to the metadata address', async () => postJson(`${n.url}/v1/webhooks`, await body('https://169.254.169.254/latest')), 400, 'url_invalid'],
      ['credentials in the URL', async () => postJson(`${n.url}/v1/webhooks`, await body('https://user:pw@example.com/hook')), 400, 'url_invalid'],
      ['not canonical', async () => postJson(`${n.url}/v1/webhooks`, { ...(await body('https://EXAMPLE.com/hook')), url: 'https://EXAMPLE.com/hook' }), 400, 'url_invalid'],
      ['the body names another URL than the message', async () => postJson(`${n.url}/v1/webhooks`, { ...(await body('https://example.com/a')), url: 'https://example.com/b' }), 400, 'statement_mismatch'],
      ['from another site', async () => postJson(`${n.url}/v1/webhooks`, await body(hooks.url), { origin: 'https://evil.example' }), 403, 'origin_mismatch'],
      ['a forged signature', async () => postJson(`${n.url}/v1/webhooks`, { ...(await body(hooks.url)), signature: `0x${'cd'.repeat(65)}` }), 401, 'signature_invalid'],
    ];
    for (const [name, run, status, code] of cases) {
      const r = await run();
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, code, name);
    }
    assert.equal((await n.store.webhooksOf(creator.address)).length, 1, 'nothing registered');
  });

  test('a new message, the reply, follow-ups and a refund → one signed delivery each, no text', async () => {
    const m1 = await sendMessage(tc, VISITOR, CREATOR, ONE(1));
    const m2 = await sendMessage(tc, VISITOR, CREATOR, ONE(2));
    await reply(tc, CREATOR, m1.id);
    await followUp(tc, VISITOR, m1.id);
    await followUp(tc, CREATOR, m1.id);
    await tc.increaseTime(8 * DAY);
    await tx(tc, 5, 'refund', [m2.id]);
    const types = ['message.sent', 'message.sent', 'message.replied', 'followup.posted', 'followup.posted', 'message.refunded'];
    await hooks.waitFor((r) => r.length >= types.length, 15_000, 'six deliveries');
    await sleep(500);
    assert.deepEqual(hooks.received.map((w) => w.json.type).sort(), [...types].sort());
    assert.equal(new Set(hooks.received.map((w) => w.id)).size, types.length, 'one id per event');
    for (const w of hooks.received) {
      assert.match(w.id, /^msg_[A-Za-z0-9_-]{27}$/);
      assert.ok(Math.abs(Number(w.timestamp) - Date.now() / 1000) < 60, 'timestamp of the attempt');
      assert.ok(verify(w, secret), `signature verifies: ${w.signature}`);
      assert.ok(!verify(w, `whsec_${Buffer.alloc(32, 1).toString('base64')}`), 'and not with another key');
      assert.equal(w.headers['content-type'], 'application/json');
      assert.ok(!w.body.includes(SECRET_CONTENT) && !w.body.toLowerCase().includes(ENVELOPE.slice(14, 60).toLowerCase()), 'no message text, encrypted or not');
      assert.equal(w.json.data.recipient, tc.accounts[CREATOR]!.address);
      assert.equal(w.json.data.recipientHandle, 'satoshi');
      assert.equal(w.json.data.chainId, tc.chain.id);
    }
    const sent = hooks.received.find((w) => w.json.type === 'message.sent' && w.json.data.id === m1.id.toString())!;
    assert.equal(sent.json.data.amount, ONE(1).toString());
    assert.equal(sent.json.data.sender, tc.accounts[VISITOR]!.address);
    assert.equal(sent.json.data.deadline, new Date(Number(m1.deadline) * 1000).toISOString());
    const replied = hooks.received.find((w) => w.json.type === 'message.replied')!;
    assert.equal(replied.json.data.payout, ONE('0.99').toString());
    assert.equal(replied.json.data.fee, ONE('0.01').toString());
    const ups = hooks.received.filter((w) => w.json.type === 'followup.posted');
    assert.deepEqual(ups.map((w) => w.json.data.author).sort(), [tc.accounts[CREATOR]!.address, tc.accounts[VISITOR]!.address].sort());
    assert.equal(hooks.received.find((w) => w.json.type === 'message.refunded')!.json.data.amount, ONE(2).toString());
  });

  test('an endpoint that fails is retried with backoff under the same webhook-id, and counted once', async () => {
    const before = { received: hooks.received.length, attempts: hooks.attempts.length };
    let failures = 0;
    hooks.decide = () => (failures++ < 2 ? 503 : 200);
    try {
      const m = await sendMessage(tc, VISITOR, CREATOR, ONE(3));
      await hooks.waitFor((r) => r.length > before.received, 10_000, 'the retried delivery');
      await sleep(600);
      const attempts = hooks.attempts.slice(before.attempts);
      assert.equal(attempts.length, 3, 'two refusals, then taken');
      assert.equal(new Set(attempts.map((a) => a.id)).size, 1, 'the same webhook-id on every attempt');
      assert.ok(attempts.every((a) => verify(a, secret)));
      assert.ok(attempts[1]!.at - attempts[0]!.at >= 150 && attempts[2]!.at - attempts[1]!.at >= 300, `backoff: ${attempts.map((a) => a.at - attempts[0]!.at)}`);
      assert.equal(hooks.received.length, before.received + 1);
      assert.equal(hooks.received.at(-1)!.json.data.id, m.id.toString());
      const row = await n.store.db.get<any>("SELECT * FROM outbox WHERE channel = 'webhook' AND status = 'sent' ORDER BY id DESC LIMIT 1");
      assert.equal(row.attempts, 3);
    } finally {
      hooks.decide = undefined;
    }
  });

  test('once per event id: a restart that reads every block again delivers nothing again', async () => {
    const count = hooks.attempts.length;
    const cfg = n.config;
    await n.stop();
    // Back to the deployment block: every window is read and applied again.
    const { default: Database } = await import('better-sqlite3');
    const d = new Database(db.path);
    d.prepare('UPDATE cursor SET last_block = ?, last_hash = NULL').run(Number(tc.deployBlock));
    d.close();
    n = await startTestNotifier(cfg);
    const head = await tc.publicClient.getBlockNumber();
    await until(() => (n.watcher.cursorBlock ?? 0n) >= head, 10_000, 'the replay');
    await sleep(800);
    assert.equal(hooks.attempts.length, count);
  });

  test('a sender may register one too (events of its own messages); a Safe registers through EIP-1271', async () => {
    const visitorHooks = await startWebhookReceiver();
    const safeHooks = await startWebhookReceiver();
    try {
      const info = await health(n.url);
      const v = await postJson(`${n.url}/v1/webhooks`, await signedBody(n.url, tc.accounts[VISITOR]!, { type: 'add-webhook', url: visitorHooks.url }, { info }));
      assert.equal(v.status, 201, v.text);
      const safe = await createSafe(tc, 7, { fund: ONE(20) });
      const s = await postJson(`${n.url}/v1/webhooks`, await signedBody(n.url, safeSigner(tc, safe), { type: 'add-webhook', url: safeHooks.url }, { info }));
      assert.equal(s.status, 201, s.text);
      const m = await sendMessage(tc, VISITOR, CREATOR, ONE(4));
      await visitorHooks.waitFor((r) => r.length === 1);
      assert.equal(visitorHooks.received[0]!.json.data.id, m.id.toString());
      assert.ok(verify(visitorHooks.received[0]!, v.json.secret));
      assert.equal(safeHooks.received.length, 0, "the Safe is no party to it");
    } finally {
      await visitorHooks.close();
      await safeHooks.close();
    }
  });

  test('410 Gone switches the endpoint off; a removed endpoint gets nothing more', async () => {
    hooks.decide = () => 410;
    try {
      await sendMessage(tc, VISITOR, CREATOR, ONE(5));
      await until(async () => (await n.store.webhooksOf(tc.accounts[CREATOR]!.address))[0]?.disabled_at, 10_000, 'the endpoint disabled');
    } finally {
      hooks.decide = undefined;
    }
    const r = await removeWebhook({ notifierUrl: n.url, origin: ORIGIN, address: tc.accounts[CREATOR]!.address, url: hooks.url, fetch: fetchFrom() as any, signText: (m) => tc.accounts[CREATOR]!.signMessage({ message: m }) });
    assert.equal(r.status, 'removed');
    const count = hooks.attempts.length;
    await sendMessage(tc, VISITOR, CREATOR, ONE(6));
    await sleep(800);
    assert.equal(hooks.attempts.length, count);
  });
});

describe('notifier webhooks without the development flag', () => {
  let tc2: TestChain;
  let smtp2: TestSmtp;
  let db2: ReturnType<typeof tempDb>;
  let strict: RunningNotifier;

  before(async () => {
    tc2 = await startTestChain();
    smtp2 = await startTestSmtp();
    db2 = tempDb();
    strict = await startTestNotifier(notifierConfig(tc2, smtp2, db2.path, { webhookAllowHttpLoopback: false }));
  });

  after(async () => {
    await strict?.stop();
    await smtp2?.close();
    await tc2?.stop();
    db2?.cleanup();
  });

  test('http:// to loopback, and https:// to loopback, are refused', async () => {
    for (const url of ['http://127.0.0.1:9/hook', 'https://127.0.0.1:9/hook', 'https://localhost:9/hook']) {
      const r = await postJson(`${strict.url}/v1/webhooks`, await signedBody(strict.url, tc2.accounts[1]!, { type: 'add-webhook', url }));
      assert.equal(r.status, 400, `${url}: ${r.text}`);
      assert.equal(r.json.error.code, 'url_invalid');
    }
  });
});

/**
 * An endpoint that never finishes answering (it trickles header bytes, so the socket is never quiet)
 * must not hold a delivery worker: the attempt fails after --webhook-timeout, counted from its start,
 * and is retried; the other endpoints keep getting theirs; stop() does not wait on it.
 */
describe('notifier webhooks: an endpoint that trickles bytes', () => {
  let tc3: TestChain;
  let smtp3: TestSmtp;
  let db3: ReturnType<typeof tempDb>;
  let slowN: RunningNotifier | undefined;
  let good: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let slow: Awaited<ReturnType<typeof startTricklingReceiver>>;

  before(async () => {
    tc3 = await startTestChain();
    smtp3 = await startTestSmtp();
    db3 = tempDb();
    good = await startWebhookReceiver();
    slow = await startTricklingReceiver();
    await claimHandle(tc3, 1, 'slowpoke', ONE(1));
    await claimHandle(tc3, 3, 'quick', ONE(1));
    // One worker: before the deadline existed, the trickling endpoint held it for ever.
    slowN = await startTestNotifier(notifierConfig(tc3, smtp3, db3.path, { webhookConcurrency: 1, webhookTimeoutMs: 1000, webhookRetryBaseMs: 300, webhookRetryMaxMs: 300 }));
    const info = await health(slowN.url);
    for (const [i, url] of [[1, slow.url], [3, good.url]] as const) {
      const r = await postJson(`${slowN.url}/v1/webhooks`, await signedBody(slowN.url, tc3.accounts[i]!, { type: 'add-webhook', url }, { info }));
      assert.equal(r.status, 201, r.text);
    }
  });

  after(async () => {
    await slowN?.stop();
    await good?.close();
    await slow?.close();
    await smtp3?.close();
    await tc3?.stop();
    db3?.cleanup();
  });

  test('the attempt fails within the timeout and is retried; the other endpoint gets its deliveries meanwhile', async () => {
    const started = Date.now();
    await sendMessage(tc3, VISITOR, 1, ONE(1));
    await until(() => slow.attempts.length >= 1, 10_000, 'the first attempt');
    for (let i = 0; i < 3; i++) await sendMessage(tc3, VISITOR, 3, ONE(1));
    await good.waitFor((r) => r.length >= 3, 10_000, 'the other endpoint’s deliveries');
    await until(() => slow.attempts.length >= 3, 10_000, 'retries of the trickled one');
    const ids = new Set(slow.attempts.map((a) => a.id));
    assert.equal(ids.size, 1, 'one event, retried under its webhook-id');
    const gaps = slow.attempts.slice(1).map((a, i) => a.at - slow.attempts[i]!.at);
    assert.ok(gaps.every((g) => g >= 1000 && g < 2500), `each attempt ended at the 1 s deadline (+ 300 ms backoff): ${gaps}`);
    const row = await slowN!.store.db.get<any>("SELECT status, attempts, last_error FROM outbox WHERE channel = 'webhook' AND target = (SELECT id FROM webhooks WHERE url = ?)", [slow.url]);
    assert.ok(['pending', 'sending'].includes(row.status), row.status);
    assert.ok(row.attempts >= 2);
    assert.match(row.last_error, /ETIMEDOUT: no answer within 1000 ms/);
    assert.ok(Date.now() - started < 15_000);
  });

  test('a 2xx whose body never ends counts as delivered (the body is not waited for)', async () => {
    slow.mode = 'body';
    const before = slow.attempts.length;
    await until(async () => (await slowN!.store.db.get<any>("SELECT status FROM outbox WHERE channel = 'webhook' AND target = (SELECT id FROM webhooks WHERE url = ?)", [slow.url])).status === 'sent', 10_000, 'the delivery taken');
    assert.equal(slow.attempts.length, before + 1);
  });

  test('stop() does not wait on an endpoint that never answers', async () => {
    slow.mode = 'headers';
    await sendMessage(tc3, VISITOR, 1, ONE(1));
    const count = slow.attempts.length;
    await until(() => slow.attempts.length > count, 10_000, 'an attempt in flight');
    const t = Date.now();
    await slowN!.stop();
    slowN = undefined;
    assert.ok(Date.now() - t < 2500, `stopped within the 1 s deadline: ${Date.now() - t} ms`);
  });
});

/** A raw TCP endpoint: `headers` sends a status line and then one header line every 100 ms, never ending the head; `body` sends a 200 head and trickles the body. */
async function startTricklingReceiver() {
  const sockets = new Set<import('node:net').Socket>();
  const r = {
    url: '',
    mode: 'headers' as 'headers' | 'body',
    attempts: [] as { id: string; at: number }[],
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const { createServer } = await import('node:net');
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    socket.on('data', (c) => {
      head += c.toString('latin1');
      const m = /\r\nwebhook-id: *([^\r]+)\r\n[\s\S]*\r\n\r\n/i.exec(head);
      if (!m || timer) return;
      r.attempts.push({ id: m[1]!, at: Date.now() });
      if (r.mode === 'headers') {
        socket.write('HTTP/1.1 200 OK\r\n');
        timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
      } else {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n');
        timer = setInterval(() => socket.write('1\r\nx\r\n'), 100);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/slow`;
  return r;
}
