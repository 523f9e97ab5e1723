/**
 * The notifier's HTTP side against abuse, with real requests, a real SMTP sink and anvil: the
 * per-recipient cap counts mailboxes (plus-addresses and Gmail dots do not multiply it); the per-IP
 * limit counts an IPv6 client by its /64; behind a reverse proxy with a path prefix the pages' forms
 * and scripts go through the prefix; the confirm and unsubscribe buttons refuse cross-site posts;
 * and a refused webhook URL does not tell whether its name resolves.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestChain, type TestChain } from '../support/chain.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { confirmLink, health, notifierConfig, postJson, signedBody, signedRequest, sleep, startTestNotifier, tempDb } from '../support/notifier.js';
import { unsubscribeToken } from '../../notifier/src/emails.js';
import type { RunningNotifier } from '../../notifier/src/service.js';

const PUBLIC = 'https://notify.example/paid-chat';

let tc: TestChain;
let smtp: TestSmtp;
const dbs: ReturnType<typeof tempDb>[] = [];
let capped: RunningNotifier;
let ipLimited: RunningNotifier;
let prefixed: RunningNotifier;

before(async () => {
  tc = await startTestChain();
  smtp = await startTestSmtp();
  for (let i = 0; i < 3; i++) dbs.push(tempDb());
  capped = await startTestNotifier(notifierConfig(tc, smtp, dbs[0]!.path, { rateEmail: { capacity: 3, perMs: 86_400_000 }, trustProxy: true }));
  ipLimited = await startTestNotifier(notifierConfig(tc, smtp, dbs[1]!.path, { rateIp: { capacity: 3, perMs: 60_000 }, trustProxy: true }));
  prefixed = await startTestNotifier(notifierConfig(tc, smtp, dbs[2]!.path, { publicUrl: PUBLIC, webhookAllowHttpLoopback: false }));
});

after(async () => {
  for (const x of [capped, ipLimited, prefixed]) await x?.stop();
  await smtp?.close();
  await tc?.stop();
  for (const d of dbs) d.cleanup();
});

const to = (m: TestSmtp['received'][number]) => m.envelopeTo.join(',').toLowerCase();

describe('the per-recipient cap counts mailboxes', () => {
  for (const [name, addresses] of [
    ['plus-addresses', Array.from({ length: 8 }, (_, i) => (i % 2 ? `Victim+${i}@Example.com` : `victim+${i}@example.com`))],
    ['Gmail dots and googlemail.com', Array.from({ length: 8 }, (_, i) => `${'jdoe'.slice(0, 1 + (i % 3))}.${'jdoe'.slice(1 + (i % 3))}${i % 2 ? '+x' : ''}@${i % 4 < 2 ? 'gmail.com' : 'googlemail.com'}`)],
  ] as const) {
    test(`${name}: eight wallets from eight IPs → 3 confirmation emails, then 429`, async () => {
      const mine = (m: TestSmtp['received'][number]) => addresses.some((a) => to(m) === a.toLowerCase());
      const before = smtp.received.filter(mine).length;
      const statuses: number[] = [];
      for (let i = 0; i < addresses.length; i++) {
        const r = await postJson(`${capped.url}/v1/subscriptions`, await signedRequest(capped.url, tc.accounts[i]!, addresses[i]!), { 'x-forwarded-for': `198.51.100.${i + 1}` });
        statuses.push(r.status);
        if (r.status === 429) assert.equal(r.json.error.details.scope, 'email');
      }
      assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429, 429, 429]);
      await sleep(300);
      assert.equal(smtp.received.filter(mine).length - before, 3);
    });
  }
});

test('the per-IP limit counts an IPv6 client by its /64', async () => {
  const statuses: number[] = [];
  for (const ip of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff:ffff:ffff:fffe', '2001:db8:1:2:1234::9']) {
    statuses.push((await postJson(`${ipLimited.url}/v1/subscriptions`, { bogus: 'x' }, { 'x-forwarded-for': ip })).status);
  }
  assert.deepEqual(statuses, [400, 400, 400, 429], 'four addresses of one /64 share its allowance');
  assert.equal((await postJson(`${ipLimited.url}/v1/subscriptions`, { bogus: 'x' }, { 'x-forwarded-for': '2001:db8:1:3::1' })).status, 400, 'the next /64 has its own');
});

describe('behind a path prefix (--public-url https://notify.example/paid-chat), and cross-site posts', () => {
  const email = 'prefixed@example.com';
  let token = '';

  test('the emailed link and the confirmation form go through the prefix', async () => {
    assert.equal((await health(prefixed.url)).uri, PUBLIC);
    const r = await postJson(`${prefixed.url}/v1/subscriptions`, await signedRequest(prefixed.url, tc.accounts[1]!, email));
    assert.equal(r.status, 202, r.text);
    const mail = (await smtp.waitFor((rs) => rs.some((m) => to(m) === email), 10_000, 'the confirmation')).find((m) => to(m) === email)!;
    const link = confirmLink(mail.text);
    assert.ok(link.startsWith(`${PUBLIC}/v1/confirm?token=`), link);
    token = new URL(link).searchParams.get('token')!;
    const html = await (await fetch(`${prefixed.url}/v1/confirm?token=${token}`)).text();
    assert.match(html, /<form method="post" action="\/paid-chat\/v1\/confirm">/);
    const widget = await (await fetch(`${prefixed.url}/h/satoshi`)).text();
    assert.match(widget, /<script type="module" src="\/paid-chat\/widget\/harmony-paid-chat\.js">/);
  });

  test('POST /v1/confirm from another site (Origin or Sec-Fetch-Site) → 403, nothing confirmed', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${prefixed.url}/v1/confirm`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: `token=${token}` });
    const crossSite: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site', origin: 'null' }, { origin: 'https://notify.example.evil.example' }];
    for (const headers of crossSite) {
      const r = await post(headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.match(await r.text(), /works only on the page the email links to/);
    }
    assert.equal(await prefixed.store.subscription(tc.accounts[1]!.address, 'inbox'), undefined);
    // From the page itself: a browser sends Origin: null (the page's Referrer-Policy is no-referrer) and Sec-Fetch-Site: same-origin.
    const ok = await post({ origin: 'null', 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /Email notifications are on/);
  });

  test('the unsubscribe page posts through the prefix; a cross-site post is refused, a mail client’s one-click works', async () => {
    const sub = (await prefixed.store.subscription(tc.accounts[1]!.address, 'inbox'))!;
    const unsub = unsubscribeToken(await prefixed.store.secret(prefixed.config.secret), sub.unsub_id);
    const html = await (await fetch(`${prefixed.url}/v1/unsubscribe?token=${unsub}`)).text();
    assert.ok(html.includes(`action="/paid-chat/v1/unsubscribe?token=${unsub}"`), html);
    const post = (headers: Record<string, string>) =>
      fetch(`${prefixed.url}/v1/unsubscribe?token=${unsub}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: 'List-Unsubscribe=One-Click' });
    assert.equal((await post({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.ok(await prefixed.store.subscription(tc.accounts[1]!.address, 'inbox'), 'still subscribed');
    assert.equal((await post({ origin: 'https://notify.example' })).status, 200, 'from the notifier’s own origin');
    assert.equal(await prefixed.store.subscription(tc.accounts[1]!.address, 'inbox'), undefined);
  });

  test('a webhook host that does not resolve and one that resolves to loopback get the same refusal', async () => {
    const info = await health(prefixed.url);
    const messages: string[] = [];
    for (const [url, host] of [
      ['https://localhost/hook', 'localhost'],
      ['https://no-such-host.invalid/hook', 'no-such-host.invalid'],
    ] as const) {
      const r = await postJson(`${prefixed.url}/v1/webhooks`, await signedBody(prefixed.url, tc.accounts[2]!, { type: 'add-webhook', url }, { info }));
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'url_invalid');
      messages.push(r.json.error.message.replace(host, 'HOST'));
    }
    assert.equal(messages[0], messages[1]);
    assert.doesNotMatch(messages[0]!, /resolves only|does not resolve|private/);
  });
});
