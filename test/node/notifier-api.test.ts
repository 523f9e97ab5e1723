/**
 * The notifier's HTTP API with real requests: every malformed, forged, expired, replayed or
 * foreign subscription request is refused with its specific code and leaves the database and the
 * mailbox untouched; CORS, rate limits, confirmation links, the widget page and static files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestChain, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { confirmLink, notifierConfig, postJson, signedRequest, sleep, startTestNotifier, tableCounts, tempDb } from '../support/notifier.js';
import { subscriptionMessage, requestSubscription, type NotifierInfo } from '../../src/index.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

let tc: TestChain;
let smtp: TestSmtp;
let db: ReturnType<typeof tempDb>;
let n: RunningNotifier;
let info: NotifierInfo;
const ALLOWED = 'https://creator.example';

const empty = { nonces: 0, pending_subscriptions: 0, subscriptions: 0, outbox: 0, reminders: 0 };

describe('notifier HTTP API', () => {
  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    const cdn = join(db.dir, 'cdn');
    mkdirSync(cdn);
    writeFileSync(join(cdn, 'harmony-paid-chat.js'), 'export const widget = 1;\n');
    n = await startTestNotifier(
      notifierConfig(tc, smtp, db.path, {
        allowedOrigins: [ALLOWED],
        staticDir: cdn,
        widgetRpcUrl: 'https://rpc.example/?q="><script>alert(1)</script>',
      }),
    );
    info = (await (await fetch(`${n.url}/v1/health`)).json()) as NotifierInfo;
  });

  after(async () => {
    await n?.stop();
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
  });

  test('GET /v1/health names the domain, URI and chain the signed text must use', () => {
    assert.equal(info.status, 'ok');
    assert.equal(info.uri, n.publicUrl);
    assert.equal(info.domain, new URL(n.publicUrl).host);
    assert.equal(info.chainId, tc.chain.id);
    assert.equal(info.contract.toLowerCase(), tc.contract.toLowerCase());
  });

  test('the signed text names service, domain, address, email, nonce, chain, issued-at and expiry', () => {
    const text = subscriptionMessage({
      domain: 'notify.example',
      uri: 'https://notify.example',
      address: tc.accounts[1]!.address.toLowerCase(),
      email: 'a@example.com',
      nonce: 'abcDEF12345',
      chainId: 1666600000,
      issuedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:10:00.000Z',
    });
    assert.equal(
      text,
      [
        'notify.example wants you to sign in with your Ethereum account:',
        tc.accounts[1]!.address,
        '',
        'Subscribe a@example.com to email notifications from the harmony-paid-chat notifier about paid messages, replies, refunds and reply deadlines for this address.',
        '',
        'URI: https://notify.example',
        'Version: 1',
        'Chain ID: 1666600000',
        'Nonce: abcDEF12345',
        'Issued At: 2026-01-01T00:00:00.000Z',
        'Expiration Time: 2026-01-01T00:10:00.000Z',
      ].join('\n'),
    );
    assert.throws(() => subscriptionMessage({ domain: 'x.example', uri: 'https://x.example', address: tc.accounts[1]!.address, email: 'a@example.com\nBcc: b@example.com', nonce: 'abcdefgh', chainId: 1, issuedAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-01T00:01:00Z' }));
  });

  describe('refusals: specific code, nothing stored, nothing mailed', () => {
    const url = () => `${n.url}/v1/subscriptions`;
    const alice = () => tc.accounts[1]!;
    const bob = () => tc.accounts[2]!;
    const valid = () => signedRequest(n.url, alice(), 'alice@example.com', { info });

    const cases: [string, () => Promise<{ status: number; json: any }>, number, string, string?][] = [
      ['wrong content type', async () => postJson(url(), JSON.stringify(await valid()), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      ['form content type', async () => postJson(url(), 'address=0x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
      ['oversized body', async () => postJson(url(), JSON.stringify({ ...(await valid()), pad: 'x'.repeat(9000) })), 413, 'body_too_large'],
      ['not JSON', async () => postJson(url(), '{"address": '), 400, 'json_invalid'],
      ['invalid UTF-8', async () => postJson(url(), Buffer.from([0x7b, 0xff, 0x7d]) as any), 400, 'json_invalid'],
      ['a JSON array', async () => postJson(url(), [await valid()]), 400, 'body_invalid'],
      ['JSON null', async () => postJson(url(), 'null'), 400, 'body_invalid'],
      ['a missing field', async () => postJson(url(), { ...(await valid()), signature: undefined }), 400, 'field_missing', 'signature'],
      ['an unknown field', async () => postJson(url(), { ...(await valid()), admin: true }), 400, 'field_unknown', 'admin'],
      ['a number for the email', async () => postJson(url(), { ...(await valid()), email: 42 }), 400, 'field_invalid', 'email'],
      ['a malformed address', async () => postJson(url(), { ...(await valid()), address: '0x1234' }), 400, 'address_invalid', 'address'],
      ['a bad email (no @)', async () => postJson(url(), { ...(await valid()), email: 'alice.example.com' }), 400, 'email_invalid', 'email'],
      ['a bad email (header injection)', async () => postJson(url(), { ...(await valid()), email: 'a@example.com\r\nBcc: evil@example.com' }), 400, 'email_invalid', 'email'],
      ['a bad email (space)', async () => postJson(url(), { ...(await valid()), email: 'al ice@example.com' }), 400, 'email_invalid', 'email'],
      ['a bad email (no TLD)', async () => postJson(url(), { ...(await valid()), email: 'alice@localhost' }), 400, 'email_invalid', 'email'],
      ['a short nonce', async () => postJson(url(), { ...(await valid()), nonce: 'abc' }), 400, 'nonce_invalid', 'nonce'],
      ['a non-ISO time', async () => postJson(url(), { ...(await valid()), expiresAt: 'tomorrow' }), 400, 'timestamp_invalid', 'expiresAt'],
      ['another chain', async () => postJson(url(), { ...(await valid()), chainId: 1666600000 }), 400, 'chain_mismatch'],
      ['a malformed signature', async () => postJson(url(), { ...(await valid()), signature: '0x1234' }), 400, 'signature_malformed', 'signature'],
      [
        'a forged signature (random bytes)',
        async () => postJson(url(), { ...(await valid()), signature: `0x${'ab'.repeat(64)}1b` }),
        401,
        'signature_invalid',
      ],
      [
        'a signature over another email',
        async () => postJson(url(), { ...(await valid()), email: 'mallory@example.com' }),
        401,
        'signature_invalid',
      ],
      [
        "someone else's address (bob signs a request naming alice)",
        async () => postJson(url(), await signedRequest(n.url, bob(), 'bob@example.com', { info, address: alice().address })),
        401,
        'signature_invalid',
      ],
      [
        "alice's signature presented for bob's address",
        async () => {
          const r = await valid();
          return postJson(url(), { ...r, address: bob().address });
        },
        401,
        'signature_invalid',
      ],
      [
        'an expired request',
        async () => postJson(url(), await signedRequest(n.url, alice(), 'alice@example.com', { info, issuedAt: new Date(Date.now() - 20 * 60_000), expiresAt: new Date(Date.now() - 10 * 60_000) })),
        400,
        'expired',
      ],
      [
        'a request dated in the future beyond the skew',
        async () => postJson(url(), await signedRequest(n.url, alice(), 'alice@example.com', { info, issuedAt: new Date(Date.now() + 10 * 60_000) })),
        400,
        'issued_in_future',
      ],
      [
        'a request living longer than an hour',
        async () => postJson(url(), await signedRequest(n.url, alice(), 'alice@example.com', { info, expiresAt: new Date(Date.now() + 2 * 3_600_000) })),
        400,
        'lifetime_too_long',
      ],
      [
        'expiry before issue',
        async () => postJson(url(), await signedRequest(n.url, alice(), 'alice@example.com', { info, issuedAt: new Date(), expiresAt: new Date(Date.now() - 1000) })),
        400,
        'timestamp_invalid',
      ],
      ['a disallowed Origin', async () => postJson(url(), await valid(), { origin: 'https://evil.example' }), 403, 'origin_not_allowed'],
      ['GET instead of POST', async () => {
        const r = await fetch(url());
        return { status: r.status, json: await r.json() };
      }, 405, 'method_not_allowed'],
    ];

    for (const [name, run, status, code, field] of cases) {
      test(name, async () => {
        const mails = smtp.received.length;
        const r = await run();
        assert.equal(r.status, status, JSON.stringify(r.json));
        assert.equal(r.json?.error?.code, code, JSON.stringify(r.json));
        assert.equal(typeof r.json.error.message, 'string');
        assert.ok(r.json.error.message.length > 10);
        if (field) assert.equal(r.json.error.details?.field, field);
        assert.deepEqual(await tableCounts(db.path), empty, 'nothing stored');
        assert.equal(smtp.received.length, mails, 'nothing mailed');
      });
    }

    test('a reused nonce: first accepted, the replay refused (409) and nothing more stored', async () => {
      const body = await valid();
      const first = await postJson(url(), body);
      assert.equal(first.status, 202, JSON.stringify(first.json));
      const counts = await tableCounts(db.path);
      assert.deepEqual(counts, { ...empty, nonces: 1, pending_subscriptions: 1 });
      const replay = await postJson(url(), body);
      assert.equal(replay.status, 409);
      assert.equal(replay.json.error.code, 'nonce_used');
      // Even with another (validly signed) email, the nonce is spent.
      const other = await postJson(url(), await signedRequest(n.url, alice(), 'alice2@example.com', { info, nonce: body.nonce }));
      assert.equal(other.json.error.code, 'nonce_used');
      assert.deepEqual(await tableCounts(db.path), counts);
      await smtp.waitFor((rs) => rs.filter((m) => m.kind === 'confirmation').length === 1);
      await sleep(100);
      assert.equal(smtp.received.filter((m) => m.kind === 'confirmation').length, 1, 'one confirmation email');
    });
  });

  test('requestSubscription() (the helper the element uses) builds, signs and posts the same text', async () => {
    const carol = tc.accounts[3]!;
    const r = await requestSubscription({
      notifierUrl: n.url,
      address: carol.address,
      email: 'carol@example.com',
      signText: async (message) => carol.signMessage({ message }),
    });
    assert.equal(r.status, 'confirmation_sent');
    assert.equal(r.address, carol.address);
    await smtp.waitFor((rs) => rs.some((m) => m.kind === 'confirmation' && m.envelopeTo.includes('carol@example.com')));
  });

  test('confirmation links: malformed and unknown tokens are refused', async () => {
    const bad = await fetch(`${n.url}/v1/confirm?token=nope`);
    assert.equal(bad.status, 404);
    assert.match(bad.headers.get('content-type') ?? '', /text\/html/);
    const unknown = await fetch(`${n.url}/v1/confirm?token=${'A'.repeat(43)}`);
    assert.equal(unknown.status, 404);
    assert.equal((await tableCounts(db.path)).subscriptions, 0);
  });

  test('CORS: preflight and responses only for allowed origins', async () => {
    const ok = await fetch(`${n.url}/v1/subscriptions`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /content-type/);
    const no = await fetch(`${n.url}/v1/subscriptions`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(no.status, 403);
    assert.equal(no.headers.get('access-control-allow-origin'), null);
    const health = await fetch(`${n.url}/v1/health`, { headers: { origin: ALLOWED } });
    assert.equal(health.headers.get('access-control-allow-origin'), ALLOWED);
    const other = await fetch(`${n.url}/v1/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const dave = tc.accounts[4]!;
    const post = await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, dave, 'dave@example.com', { info }), { origin: ALLOWED });
    assert.equal(post.status, 202);
    assert.equal(post.headers.get('access-control-allow-origin'), ALLOWED);
  });

  test('GET /h/:handle hosts the widget with escaped attributes and a strict CSP', async () => {
    const res = await fetch(`${n.url}/h/Satoshi`);
    assert.equal(res.status, 200);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /connect-src 'self' https:\/\/rpc\.example/);
    assert.match(html, /<script type="module" src="\/widget\/harmony-paid-chat\.js"><\/script>/);
    assert.match(html, /<harmony-paid-chat handle="satoshi" chain="local" rpc-url="[^"]*" contract="0x[0-9a-fA-F]{40}" notifier-url="[^"]*"><\/harmony-paid-chat>/);
    assert.ok(html.includes('rpc-url="https://rpc.example/?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'), 'attribute escaped');
    assert.ok(!html.includes('<script>alert(1)'), 'no injected script');
    assert.ok(!html.includes('is not built'), 'bundle present: no note');
    const invalid = await fetch(`${n.url}/h/${encodeURIComponent('<script>x</script>')}`);
    assert.equal(invalid.status, 404);
    assert.ok(!(await invalid.text()).includes('<script>x'));
  });

  test('/widget/ serves the bundle and nothing outside the static directory', async () => {
    const js = await fetch(`${n.url}/widget/harmony-paid-chat.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /text\/javascript/);
    assert.equal(await js.text(), 'export const widget = 1;\n');
    for (const p of ['/widget/%2e%2e%2fnotifier.sqlite', '/widget/..%2F..%2Fetc%2Fpasswd', '/widget/missing.js', '/widget/']) {
      assert.equal((await fetch(`${n.url}${p}`)).status, 404, p);
    }
  });

  test('unknown paths and methods get JSON errors', async () => {
    const r = await fetch(`${n.url}/v1/nope`);
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as any).error.code, 'not_found');
    const m = await fetch(`${n.url}/v1/health`, { method: 'DELETE' });
    assert.equal(m.status, 405);
  });
});

describe('notifier rate limits, link expiry, missing widget bundle', () => {
  let tc2: TestChain;
  let smtp2: TestSmtp;
  let db2: ReturnType<typeof tempDb>;
  let db3: ReturnType<typeof tempDb>;
  let ipLimited: RunningNotifier;
  let addrLimited: RunningNotifier;

  before(async () => {
    tc2 = await startTestChain();
    smtp2 = await startTestSmtp();
    db2 = tempDb();
    db3 = tempDb();
    ipLimited = await startTestNotifier(notifierConfig(tc2, smtp2, db2.path, { rateIp: { capacity: 3, perMs: 60_000 } }));
    addrLimited = await startTestNotifier(notifierConfig(tc2, smtp2, db3.path, { rateAddress: { capacity: 2, perMs: 3_600_000 }, confirmTtlSec: 1 }));
  });

  after(async () => {
    await ipLimited?.stop();
    await addrLimited?.stop();
    await smtp2?.close();
    await tc2?.stop();
    db2?.cleanup();
    db3?.cleanup();
  });

  test('per IP: the 4th request within a minute → 429 with Retry-After, nothing stored', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof postJson>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await postJson(`${ipLimited.url}/v1/subscriptions`, { bogus: true });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [400, 400, 400, 429]);
    assert.equal(last!.json.error.code, 'rate_limited');
    const retry = Number(last!.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    const valid = await postJson(`${ipLimited.url}/v1/subscriptions`, await signedRequest(ipLimited.url, tc2.accounts[1]!, 'a@example.com'));
    assert.equal(valid.status, 429, 'even a valid request waits');
    assert.deepEqual(await tableCounts(db2.path), empty);
  });

  test('per address: the 3rd signed request for one address → 429; the others are unaffected', async () => {
    const a = tc2.accounts[1]!;
    const results: number[] = [];
    for (let i = 0; i < 3; i++) {
      results.push((await postJson(`${addrLimited.url}/v1/subscriptions`, await signedRequest(addrLimited.url, a, `a${i}@example.com`))).status);
    }
    assert.deepEqual(results, [202, 202, 429]);
    const b = await postJson(`${addrLimited.url}/v1/subscriptions`, await signedRequest(addrLimited.url, tc2.accounts[2]!, 'b@example.com'));
    assert.equal(b.status, 202);
    const counts = await tableCounts(db3.path);
    assert.equal(counts.pending_subscriptions, 3);
    assert.equal(counts.nonces, 3);
  });

  test('an expired confirmation link → 410 and no subscription', async () => {
    const mail = (await smtp2.waitFor((rs) => rs.some((m) => m.envelopeTo.includes('b@example.com')))).find((m) => m.envelopeTo.includes('b@example.com'))!;
    await sleep(1100);
    const r = await fetch(confirmLink(mail.text));
    assert.equal(r.status, 410);
    assert.equal((await tableCounts(db3.path)).subscriptions, 0);
  });

  test('/h/:handle without a built bundle still renders, with a clear note', async () => {
    const r = await fetch(`${addrLimited.url}/h/satoshi`);
    assert.equal(r.status, 200);
    const html = await r.text();
    assert.match(html, /is missing/);
    assert.match(html, /<harmony-paid-chat handle="satoshi"/);
    const js = await fetch(`${addrLimited.url}/widget/harmony-paid-chat.js`);
    assert.equal(js.status, 404);
  });
});

