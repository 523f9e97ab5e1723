/**
 * The notifier's HTTP API with real requests: every malformed, forged, expired, replayed, foreign or
 * misbound signed request is refused with its specific code and leaves the database and the mailbox
 * untouched; any site may call it (CORS without credentials) but a signature only counts from the
 * site it names; contract wallets (a Safe, EIP-1271) subscribe like any wallet; the per-IP,
 * per-address and per-recipient caps; malformed URLs get a 400, never a crash; link expiry; the
 * widget page and static files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startTestChain, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { createSafe } from '../support/safe.js';
import {
  ORIGIN,
  confirmLink,
  fetchFrom,
  health,
  notifierConfig,
  postJson,
  pressConfirm,
  safeSigner,
  signedRequest,
  sleep,
  startTestNotifier,
  tableCounts,
  tempDb,
} from '../support/notifier.js';
import { notifierSignInMessage, notifierStatement, requestSubscription, type NotifierInfo } from '../../src/index.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

let tc: TestChain;
let smtp: TestSmtp;
let db: ReturnType<typeof tempDb>;
let n: RunningNotifier;
let info: NotifierInfo;

const empty = { nonces: 0, pending_subscriptions: 0, subscriptions: 0, outbox: 0, reminders: 0, webhooks: 0 };

/** One raw HTTP/1.1 request over a socket (for request lines fetch() will not send); resolves to the status line. */
function raw(base: string, request: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.end(request));
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('end', () => resolve(out.split('\r\n')[0] ?? ''));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  });
}

describe('notifier HTTP API', () => {
  before(async () => {
    tc = await startTestChain();
    smtp = await startTestSmtp();
    db = tempDb();
    const cdn = join(db.dir, 'cdn');
    mkdirSync(cdn);
    writeFileSync(join(cdn, 'harmony-paid-chat.js'), 'export const widget = 1;\n');
    n = await startTestNotifier(notifierConfig(tc, smtp, db.path, { staticDir: cdn, widgetRpcUrl: 'https://rpc.example/?q="><script>alert(1)</script>' }));
    info = await health(n.url);
  });

  after(async () => {
    await n?.stop();
    await smtp?.close();
    await tc?.stop();
    db?.cleanup();
  });

  test('GET /v1/health names the notifier URL and chain every signed message must use', () => {
    assert.equal(info.status, 'ok');
    assert.equal(info.uri, n.publicUrl);
    assert.equal(info.chainId, tc.chain.id);
    assert.equal(info.version, '2');
    assert.deepEqual(info.topics, ['inbox', 'outbox']);
    assert.equal(info.contract.toLowerCase(), tc.contract.toLowerCase());
  });

  test('the signed text is EIP-4361 for the page the person is on, naming what it allows and this notifier', () => {
    const text = notifierSignInMessage({
      origin: 'https://blog.creator.example',
      notifierUri: 'https://notify.example',
      address: tc.accounts[1]!.address.toLowerCase(),
      chainId: 1666600000,
      nonce: 'abcDEF12345',
      issuedAt: new Date('2026-01-01T00:00:00.000Z'),
      expirationTime: new Date('2026-01-01T00:10:00.000Z'),
      action: { type: 'subscribe', email: 'a@example.com', topic: 'inbox' },
    });
    assert.equal(
      text,
      [
        'https://blog.creator.example wants you to sign in with your Ethereum account:',
        tc.accounts[1]!.address,
        '',
        'Email a@example.com when someone sends me a paid message or a follow-up, and before a reply deadline (notifications by notify.example).',
        '',
        'URI: https://blog.creator.example',
        'Version: 1',
        'Chain ID: 1666600000',
        'Nonce: abcDEF12345',
        'Issued At: 2026-01-01T00:00:00.000Z',
        'Expiration Time: 2026-01-01T00:10:00.000Z',
        'Resources:',
        '- https://notify.example',
      ].join('\n'),
    );
    assert.match(notifierStatement({ type: 'subscribe', email: 'a@example.com', topic: 'outbox' }, 'n.example'), /replies to my paid messages/);
    assert.throws(() => notifierStatement({ type: 'subscribe', email: 'a@example.com\nBcc: b@example.com', topic: 'inbox' }, 'n.example'));
  });

  describe('refusals: specific code, nothing stored, nothing mailed', () => {
    const url = () => `${n.url}/v1/subscriptions`;
    const alice = () => tc.accounts[1]!;
    const bob = () => tc.accounts[2]!;
    const valid = () => signedRequest(n.url, alice(), 'alice@example.com', { info });
    const edit = async (f: (message: string) => string) => {
      const b = await valid();
      return { ...b, message: f(b.message) };
    };

    const cases: [string, () => Promise<{ status: number; json: any }>, number, string, string?][] = [
      ['wrong content type', async () => postJson(url(), JSON.stringify(await valid()), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      ['form content type', async () => postJson(url(), 'address=0x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
      ['oversized body', async () => postJson(url(), JSON.stringify({ ...(await valid()), pad: 'x'.repeat(9000) })), 413, 'body_too_large'],
      ['not JSON', async () => postJson(url(), '{"message": '), 400, 'json_invalid'],
      ['invalid UTF-8', async () => postJson(url(), Buffer.from([0x7b, 0xff, 0x7d]) as any), 400, 'json_invalid'],
      ['a JSON array', async () => postJson(url(), [await valid()]), 400, 'body_invalid'],
      ['JSON null', async () => postJson(url(), 'null'), 400, 'body_invalid'],
      ['a missing field', async () => postJson(url(), { ...(await valid()), signature: undefined }), 400, 'field_missing', 'signature'],
      ['an unknown field', async () => postJson(url(), { ...(await valid()), admin: 'yes' }), 400, 'field_unknown', 'admin'],
      ['a number for the email', async () => postJson(url(), { ...(await valid()), email: 42 }), 400, 'field_invalid', 'email'],
      ['a bad email (no @)', async () => postJson(url(), { ...(await valid()), email: 'alice.example.com' }), 400, 'email_invalid', 'email'],
      ['a bad email (header injection)', async () => postJson(url(), { ...(await valid()), email: 'a@example.com\r\nBcc: evil@example.com' }), 400, 'email_invalid', 'email'],
      ['a bad email (space)', async () => postJson(url(), { ...(await valid()), email: 'al ice@example.com' }), 400, 'email_invalid', 'email'],
      ['a bad email (no TLD)', async () => postJson(url(), { ...(await valid()), email: 'alice@localhost' }), 400, 'email_invalid', 'email'],
      ['an unknown topic', async () => postJson(url(), { ...(await valid()), topic: 'everything' }), 400, 'topic_invalid', 'topic'],
      ['a message that is not EIP-4361', async () => postJson(url(), { ...(await valid()), message: 'Subscribe me please' }), 400, 'message_invalid', 'message'],
      ['a short nonce', async () => postJson(url(), await edit((m) => m.replace(/Nonce: \w+/, 'Nonce: abc'))), 400, 'nonce_invalid'],
      ['no expiration time', async () => postJson(url(), await edit((m) => m.replace(/\nExpiration Time: [^\n]+/, ''))), 400, 'timestamp_invalid'],
      ['a non-RFC-3339 time', async () => postJson(url(), await edit((m) => m.replace(/Issued At: [^\n]+/, 'Issued At: yesterday'))), 400, 'timestamp_invalid'],
      ['another chain', async () => postJson(url(), await signedRequest(n.url, alice(), 'alice@example.com', { info, chainId: 1666600000 })), 400, 'chain_mismatch'],
      ['another notifier', async () => postJson(url(), await signedRequest(n.url, alice(), 'alice@example.com', { info, notifierUri: 'https://other-notifier.example' })), 400, 'notifier_mismatch'],
      ['a statement about another email than the body', async () => postJson(url(), { ...(await valid()), email: 'mallory@example.com' }), 400, 'statement_mismatch'],
      ['a statement about another topic than the body', async () => postJson(url(), { ...(await valid()), topic: 'outbox' }), 400, 'statement_mismatch'],
      ['a malformed signature', async () => postJson(url(), { ...(await valid()), signature: '0x12345' }), 400, 'signature_malformed', 'signature'],
      ['a forged signature (random bytes)', async () => postJson(url(), { ...(await valid()), signature: `0x${'ab'.repeat(64)}1b` }), 401, 'signature_invalid'],
      [
        'a signed message edited afterwards (another email in both the text and the body)',
        async () => {
          const b = await valid();
          return postJson(url(), { ...b, email: 'mallory@example.com', message: b.message.replace('alice@example.com', 'mallory@example.com') });
        },
        401,
        'signature_invalid',
      ],
      ["someone else's address (bob signs a message naming alice)", async () => postJson(url(), await signedRequest(n.url, bob(), 'bob@example.com', { info, address: alice().address })), 401, 'signature_invalid'],
      ["alice's signature over a message edited to bob's address", async () => postJson(url(), await edit((m) => m.replace(alice().address, bob().address))), 401, 'signature_invalid'],
      [
        'an expired request',
        async () => postJson(url(), await signedRequest(n.url, alice(), 'alice@example.com', { info, issuedAt: new Date(Date.now() - 20 * 60_000), expiresAt: new Date(Date.now() - 10 * 60_000) })),
        400,
        'expired',
      ],
      ['a request dated in the future beyond the skew', async () => postJson(url(), await signedRequest(n.url, alice(), 'alice@example.com', { info, issuedAt: new Date(Date.now() + 10 * 60_000) })), 400, 'issued_in_future'],
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
      ['signed for another site than the Origin it comes from', async () => postJson(url(), await valid(), { origin: 'https://evil.example' }), 403, 'origin_mismatch'],
      ['signed for another site, replayed with that site as Origin but http', async () => postJson(url(), await valid(), { origin: 'http://creator.example' }), 403, 'origin_mismatch'],
      ['signed for another port of the site', async () => postJson(url(), await valid(), { origin: 'https://creator.example:8443' }), 403, 'origin_mismatch'],
      ['no Origin header at all', async () => postJson(url(), await valid(), { origin: '' }), 403, 'origin_mismatch'],
      [
        'GET instead of POST',
        async () => {
          const r = await fetch(url());
          return { status: r.status, json: await r.json() };
        },
        405,
        'method_not_allowed',
      ],
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
      const nonce = /Nonce: (\w+)/.exec(body.message)![1]!;
      const other = await postJson(url(), await signedRequest(n.url, alice(), 'alice2@example.com', { info, nonce }));
      assert.equal(other.json.error.code, 'nonce_used');
      assert.deepEqual(await tableCounts(db.path), counts);
      await smtp.waitFor((rs) => rs.filter((m) => m.kind === 'confirmation').length === 1);
      await sleep(100);
      assert.equal(smtp.received.filter((m) => m.kind === 'confirmation').length, 1, 'one confirmation email');
    });
  });

  test('any site may call it without credentials (CORS *), and a request signed for that site works from it', async () => {
    const site = 'https://another-creator.example';
    const pre = await fetch(`${n.url}/v1/subscriptions`, {
      method: 'OPTIONS',
      headers: { origin: site, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/i);
    assert.equal(pre.headers.get('access-control-allow-credentials'), null, 'no credentials');
    const h = await fetch(`${n.url}/v1/health`, { headers: { origin: site } });
    assert.equal(h.headers.get('access-control-allow-origin'), '*');
    const dave = tc.accounts[4]!;
    const post = await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, dave, 'dave@example.com', { info, origin: site }), { origin: site });
    assert.equal(post.status, 202, post.text);
    assert.equal(post.headers.get('access-control-allow-origin'), '*');
    const mail = await smtp.waitFor((rs) => rs.some((m) => m.envelopeTo.includes('dave@example.com')));
    assert.match(mail.find((m) => m.envelopeTo.includes('dave@example.com'))!.text, /another-creator\.example/, 'the confirmation names the site');
  });

  test('requestSubscription() (the helper the element uses) builds, signs and posts a request bound to the page origin', async () => {
    const carol = tc.accounts[3]!;
    let signed = '';
    const r = await requestSubscription({
      notifierUrl: n.url,
      origin: ORIGIN,
      address: carol.address,
      email: 'carol@example.com',
      topic: 'outbox',
      fetch: fetchFrom(ORIGIN) as any,
      signText: async (message) => {
        signed = message;
        return carol.signMessage({ message });
      },
    });
    assert.equal(r.status, 'confirmation_sent');
    assert.equal(r.address, carol.address);
    assert.equal(r.topic, 'outbox');
    assert.match(signed, /^https:\/\/creator\.example wants you to sign in/, 'the wallet prompt names the site the person is on');
    await smtp.waitFor((rs) => rs.some((m) => m.kind === 'confirmation' && m.envelopeTo.includes('carol@example.com')));
  });

  test('a Safe (contract wallet, EIP-1271) subscribes with its owner approving the message; another key cannot', async () => {
    const safe = await createSafe(tc, 6);
    const good = await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, safeSigner(tc, safe), 'safe@example.com', { info }));
    assert.equal(good.status, 202, good.text);
    assert.equal(good.json.address, safe.address);
    const wrongOwner = safeSigner(tc, { ...safe, ownerIndex: 7 });
    const bad = await postJson(`${n.url}/v1/subscriptions`, await signedRequest(n.url, wrongOwner, 'safe2@example.com', { info }));
    assert.equal(bad.status, 401, bad.text);
    assert.equal(bad.json.error.code, 'signature_invalid');
    const mail = await smtp.waitFor((rs) => rs.some((m) => m.envelopeTo.includes('safe@example.com')));
    const link = confirmLink(mail.find((m) => m.envelopeTo.includes('safe@example.com'))!.text);
    assert.equal((await pressConfirm(link)).status, 200);
    assert.equal((await n.store.subscription(safe.address, 'inbox'))?.email, 'safe@example.com');
  });

  test('confirmation links: malformed and unknown tokens are refused; a malformed escape is a 400', async () => {
    const bad = await fetch(`${n.url}/v1/confirm?token=nope`);
    assert.equal(bad.status, 404);
    assert.match(bad.headers.get('content-type') ?? '', /text\/html/);
    const unknown = await fetch(`${n.url}/v1/confirm?token=${'A'.repeat(43)}`);
    assert.equal(unknown.status, 404);
    const escape = await fetch(`${n.url}/v1/confirm?token=%E0%A4%A`);
    assert.equal(escape.status, 400);
    assert.equal(((await escape.json()) as any).error.code, 'bad_request');
    const post = await fetch(`${n.url}/v1/confirm`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=%zz' });
    assert.equal(post.status, 400);
  });

  test('malformed requests get a 400/404 with a JSON error and the service keeps running', async () => {
    for (const path of ['/h/%E0%A4%A', '/widget/%E0%A4%A', '/v1/unsubscribe?token=%zz', '/%', '/v1/%ZZ/x', '/h/', '/v1/subscriptions/%']) {
      const r = await fetch(`${n.url}${path}`);
      assert.ok([400, 404, 405].includes(r.status), `${path}: ${r.status}`);
    }
    for (const line of ['GET /%%% HTTP/1.1', 'GET /v1/confirm?token=%%%% HTTP/1.1', 'BREW /v1/health HTTP/1.1', 'GET http://[::1 HTTP/1.1', 'GET ../../etc/passwd HTTP/1.1']) {
      const status = await raw(n.url, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(status, /^HTTP\/1\.1 (400|404|405)/, `${line} → ${status}`);
    }
    const r = await fetch(`${n.url}/v1/health`);
    assert.equal(r.status, 200, 'still up');
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

describe('notifier caps (per IP, per address, per recipient), restricted origins, link expiry, missing widget bundle', () => {
  let tc2: TestChain;
  let smtp2: TestSmtp;
  const dbs: ReturnType<typeof tempDb>[] = [];
  let ipLimited: RunningNotifier;
  let addrLimited: RunningNotifier;
  let emailLimited: RunningNotifier;
  let restricted: RunningNotifier;

  before(async () => {
    tc2 = await startTestChain();
    smtp2 = await startTestSmtp();
    for (let i = 0; i < 4; i++) dbs.push(tempDb());
    ipLimited = await startTestNotifier(notifierConfig(tc2, smtp2, dbs[0]!.path, { rateIp: { capacity: 3, perMs: 60_000 } }));
    addrLimited = await startTestNotifier(notifierConfig(tc2, smtp2, dbs[1]!.path, { rateAddress: { capacity: 2, perMs: 3_600_000 }, confirmTtlSec: 1 }));
    emailLimited = await startTestNotifier(notifierConfig(tc2, smtp2, dbs[2]!.path, { rateEmail: { capacity: 3, perMs: 86_400_000 }, trustProxy: true }));
    restricted = await startTestNotifier(notifierConfig(tc2, smtp2, dbs[3]!.path, { allowedOrigins: [ORIGIN] }));
  });

  after(async () => {
    for (const x of [ipLimited, addrLimited, emailLimited, restricted]) await x?.stop();
    await smtp2?.close();
    await tc2?.stop();
    for (const d of dbs) d.cleanup();
  });

  test('per IP: the 4th request within a minute → 429 with Retry-After, nothing stored', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof postJson>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await postJson(`${ipLimited.url}/v1/subscriptions`, { bogus: 'x' });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [400, 400, 400, 429]);
    assert.equal(last!.json.error.code, 'rate_limited');
    assert.equal(last!.json.error.details.scope, 'ip');
    const retry = Number(last!.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    const valid = await postJson(`${ipLimited.url}/v1/subscriptions`, await signedRequest(ipLimited.url, tc2.accounts[1]!, "a@example.com"));
    assert.equal(valid.status, 429, 'even a valid request waits');
    assert.deepEqual(await tableCounts(dbs[0]!.path), empty);
  });

  test('per address: the 3rd signed request for one address → 429; the others are unaffected', async () => {
    const a = tc2.accounts[1]!;
    const results: number[] = [];
    for (let i = 0; i < 3; i++) results.push((await postJson(`${addrLimited.url}/v1/subscriptions`, await signedRequest(addrLimited.url, a, `a${i}@example.com`))).status);
    assert.deepEqual(results, [202, 202, 429]);
    const b = await postJson(`${addrLimited.url}/v1/subscriptions`, await signedRequest(addrLimited.url, tc2.accounts[2]!, 'b@example.com'));
    assert.equal(b.status, 202);
    const counts = await tableCounts(dbs[1]!.path);
    assert.equal(counts.pending_subscriptions, 3);
    assert.equal(counts.nonces, 3);
  });

  test('per recipient: eight wallets from eight IPs ask to mail one address → 3 confirmation emails, then 429 (and nothing stored)', async () => {
    const before = smtp2.received.filter((m) => m.envelopeTo.includes('victim@example.com')).length;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await postJson(`${emailLimited.url}/v1/subscriptions`, await signedRequest(emailLimited.url, tc2.accounts[i % 10]!, i % 2 ? 'Victim@Example.com' : 'victim@example.com'), {
        'x-forwarded-for': `203.0.113.${i + 1}`,
      });
      statuses.push(r.status);
      if (r.status === 429) {
        assert.equal(r.json.error.details.scope, 'email');
        assert.ok(Number(r.headers.get('retry-after')) > 3600 * 23);
      }
    }
    assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429, 429, 429]);
    await sleep(300);
    const mails = smtp2.received.filter((m) => m.envelopeTo.some((t) => t.toLowerCase() === 'victim@example.com')).length - before;
    assert.equal(mails, 3);
    assert.equal((await tableCounts(dbs[2]!.path)).pending_subscriptions, 3, 'refused requests store nothing');
  });

  test('--allowed-origins restricts the sites (preflight and POST), for operators who want that', async () => {
    const no = await fetch(`${restricted.url}/v1/subscriptions`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(no.status, 403);
    assert.equal(no.headers.get('access-control-allow-origin'), null);
    const ok = await fetch(`${restricted.url}/v1/subscriptions`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
    const site = 'https://evil.example';
    const r = await postJson(`${restricted.url}/v1/subscriptions`, await signedRequest(restricted.url, tc2.accounts[3]!, 'x@example.com', { origin: site }), { origin: site });
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'origin_not_allowed');
  });

  test('an expired confirmation link → 410 (page and button) and no subscription', async () => {
    const mail = (await smtp2.waitFor((rs) => rs.some((m) => m.envelopeTo.includes('b@example.com')))).find((m) => m.envelopeTo.includes('b@example.com'))!;
    await sleep(1100);
    assert.equal((await fetch(confirmLink(mail.text))).status, 410);
    assert.equal((await pressConfirm(confirmLink(mail.text))).status, 410);
    assert.equal((await tableCounts(dbs[1]!.path)).subscriptions, 0);
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


