/**
 * Scope, with two real sites on two loopback origins in real Chromium: site A embeds @alpha ("@a"),
 * site B embeds @bravo ("@b"). A visitor writes to @b on site B (and @b replies there, on its own site), then writes
 * to @a on site A — where a hostile script, loaded before the element, wraps the wallet, keeps
 * every request, and afterwards takes everything it can reach (every IndexedDB record of site A,
 * CryptoKeys included; the element's open shadow root; every object reachable from the element;
 * the events; what the SDK answers) and tries every key it found on the visitor's envelopes with
 * @b, read from the chain. It opens nothing of that conversation — while the same attack does open
 * the visitor's conversation with @a (a positive control: the attack works on what site A may hold).
 * It saw no signature request at all. When the hostile page re-points the element at @b, still
 * nothing opens. And @b's own wallet connecting on site A (which is not among @b's sites) gets the
 * plain notice and nothing that opens, creates or restores its inbox keys — even with @b's real
 * backup file handed to the SDK there.
 *
 * The element is bundled with esbuild from src/ (one file); the sites are two tiny HTTP servers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as esbuild from 'esbuild';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import type { Address } from 'viem';
import { createPaidChat } from '../../src/sdk/index.js';
import { memoryKeyStore } from '../../src/sdk/keystore.js';
import { startTestChain, type TestChain } from '../support/chain.js';
import { launchChromium, ROOT } from '../support/browser.js';
import { TestWallet } from '../support/test-wallet.js';

const PASSPHRASE = 'correct horse battery staple';
let tc: TestChain;
let browser: Browser;
const servers: Server[] = [];
let siteA = '';
let siteB = '';
let elementJs = '';
let hostileJs = '';
const timings: Record<string, number> = {};

async function bundle(entry: string, format: 'esm' | 'iife' = 'esm'): Promise<string> {
  const t = Date.now();
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format,
    platform: 'browser',
    target: 'es2022',
    conditions: ['browser', 'import', 'default'],
    tsconfig: `${ROOT}/tsconfig.json`,
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    external: ['@web3-onboard/*'], // only imported when several wallets compete; never here
    logLevel: 'error',
  });
  timings[`bundle ${entry.split('/').pop()}`] = Date.now() - t;
  return out.outputFiles[0]!.text;
}

function page(handle: string, hostile: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${handle}</title>
${hostile ? '<script src="/hostile.js"></script>' : ''}
<script type="module" src="/element.js"></script></head><body>
<harmony-paid-chat handle="${handle}" chain="local" rpc-url="${tc.rpcUrl}" contract="${tc.contract}"></harmony-paid-chat></body></html>`;
}

async function site(pages: Record<string, string>): Promise<string> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/element.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(elementJs);
    if (path === '/hostile.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(hostileJs);
    const html = pages[path];
    if (html) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/**
 * A wallet extension in the page: `window.ethereum` (and the same object announced through
 * EIP-6963), backed by a TestWallet in Node. One per page; exposed before the page's scripts run.
 */
async function withWallet(p: Page, wallet: TestWallet): Promise<void> {
  await p.exposeFunction('__walletRequest', async (json: string) => {
    try {
      return { result: await wallet.request(JSON.parse(json)) };
    } catch (e: any) {
      return { error: { message: e?.message ?? String(e), code: e?.code ?? -32603 } };
    }
  });
  await p.evaluateOnNewDocument(`(() => {
    const provider = {
      isTestWallet: true,
      async request(args) {
        const r = await window.__walletRequest(JSON.stringify(args));
        if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
        return r.result;
      },
      on() {}, removeListener() {},
    };
    window.ethereum = provider;
    const info = { uuid: 'test-wallet', name: 'Test Wallet', icon: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg"/>', rdns: 'test.wallet' };
    const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
    window.addEventListener('eip6963:requestProvider', announce);
  })();`);
}

async function open(ctx: BrowserContext, url: string, wallet: TestWallet): Promise<Page> {
  const p = await ctx.newPage();
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await withWallet(p, wallet);
  await p.goto(url, { waitUntil: 'load' });
  (p as any).__errors = errors;
  return p;
}

/** Waits until `fn` (evaluated in the page, inside the element's shadow root) is truthy. */
async function until<T>(p: Page, what: string, fn: string, timeout = 30_000): Promise<T> {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await p.evaluate(`(() => { const root = document.querySelector('harmony-paid-chat')?.shadowRoot; if (!root) return undefined; ${fn} })()`);
    if (v) return v as T;
    if (Date.now() > end) {
      const shown = await p.evaluate(`document.querySelector('harmony-paid-chat')?.shadowRoot?.textContent?.replace(/\\s+/g, ' ')`);
      throw new Error(`Timed out waiting for ${what}; the element shows: ${shown}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const q = (sel: string) => `root.querySelector(${JSON.stringify(sel)})`;
const click = (p: Page, sel: string) => until(p, `${sel} to click`, `const b = ${q(sel)}; if (b && !b.disabled && b.getAttribute('aria-disabled') !== 'true') { b.click(); return true; }`);
const typeIn = (p: Page, sel: string, value: string) =>
  until(p, `${sel} to type in`, `const i = ${q(sel)}; if (!i) return false; i.value = ${JSON.stringify(value)}; i.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true })); return true;`);

before(async () => {
  const t = Date.now();
  [tc, elementJs, hostileJs] = await Promise.all([
    startTestChain({ accounts: 6 }),
    bundle(`${ROOT}/src/element/harmony-paid-chat.ts`),
    bundle(`${ROOT}/test/support/hostile-page.ts`, 'iife'), // a plain <script>, run before anything else
  ]);
  siteA = await site({ '/': page('@alpha', true), '/b.html': page('@bravo', true) });
  siteB = await site({ '/': page('@bravo', false) });
  assert.notEqual(new URL(siteA).origin, new URL(siteB).origin);
  browser = await launchChromium();
  timings.setup = Date.now() - t;
});

after(async () => {
  await browser?.close();
  for (const s of servers) await new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));
  await tc?.stop();
  console.log(`[measure] ${JSON.stringify(timings)}`);
});

const wallet = (i: number) => new TestWallet({ index: i, rpcUrl: tc.rpcUrl, chainId: tc.chain.id });

test('a hostile script on site A cannot open the visitor’s conversation with @b (site B); creator @b gets nothing for its inbox on site A', async () => {
  const t0 = Date.now();
  const creatorA = wallet(1);
  const creatorB = wallet(2);
  const visitor = wallet(3);

  // @a claims with site A as its only site (set-up through the SDK).
  const a = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: creatorA as any, keyStore: memoryKeyStore(), scope: { handle: 'alpha', origin: siteA } });
  await creatorA.request({ method: 'eth_requestAccounts' });
  await a.claimHandle({ handle: 'alpha', price: '1' });

  // @b claims through the element on its own site B, in its own browser profile.
  const bProfile = await browser.createBrowserContext();
  const bPage = await open(bProfile, `${siteB}/`, creatorB);
  await until(bPage, 'the claim form', `return ${q('#claim-pass')}`);
  await typeIn(bPage, '#claim-price', '1');
  await typeIn(bPage, '#claim-pass', PASSPHRASE);
  await typeIn(bPage, '#claim-pass-confirm', PASSPHRASE);
  await click(bPage, '[part~="claim-button"]');
  const bBackupUrl = await until<string>(bPage, 'the backup link', `return ${q('[part~="backup-link"]')}?.href`, 60_000);
  const bBackup = await bPage.evaluate(`fetch(${JSON.stringify(bBackupUrl)}).then((r) => r.text())`) as string;
  assert.deepEqual(await a.sitesOf(creatorB.address), [siteB]);

  // The visitor, in their own profile: writes to @b on site B.
  const vProfile = await browser.createBrowserContext();
  const vB = await open(vProfile, `${siteB}/`, visitor);
  await click(vB, '[part~="connect-button"]');
  await typeIn(vB, '#draft', 'secret for b only');
  await click(vB, '[part~="send-button"]');
  await until(vB, 'the receipt', `return ${q('[part~="receipt"]')}`, 60_000);

  // @b reads it on site B and replies there.
  await until(bPage, 'the message at @b', `return [...root.querySelectorAll('[part~="message-text"]')].some((n) => n.textContent === 'secret for b only')`, 30_000);
  await typeIn(bPage, '[part~="reply-input"]', 'reply meant for the visitor');
  await click(bPage, '[part~="reply-button"]');
  await until(vB, 'the reply at the visitor', `return ${q('[part~="reply"]')}?.textContent.includes('reply meant for the visitor')`, 30_000);

  // ---- the visitor on site A, with the hostile script loaded before the element
  const vA = await open(vProfile, `${siteA}/`, visitor);
  assert.equal(await vA.evaluate('typeof window.__loot'), 'function', 'the hostile script ran first');
  await click(vA, '[part~="connect-button"]');
  await typeIn(vA, '#draft', 'hello a');
  await click(vA, '[part~="send-button"]');
  await until(vA, 'the receipt on site A', `return ${q('[part~="receipt"]')}`, 60_000);
  await until(vA, 'the conversation with @a, read', `return [...root.querySelectorAll('[part~="message-text"]')].some((n) => n.textContent === 'hello a')`);

  const target = { rpcUrl: tc.rpcUrl, chainId: tc.chain.id, contract: tc.contract, visitor: visitor.address as Address, creator: creatorB.address as Address, creatorHandle: 'bravo', control: { creator: creatorA.address as Address } };
  const tLoot = Date.now();
  const loot: any = await vA.evaluate((t) => (window as any).__loot(t), target);
  timings.loot = Date.now() - tLoot;
  console.log(`[measure] site A loot: ${JSON.stringify({ requests: loot.requests, idbRecords: loot.idbRecords, counts: loot.counts, candidates: loot.candidates, target: { envelopes: loot.target.envelopes, tried: loot.target.tried, opened: loot.target.opened.length }, control: loot.control.opened.length })}`);

  // It saw every wallet request, and not one of them asked for a signature.
  assert.ok(loot.requests.includes('eth_sendTransaction'), `the hostile wrapper saw the payment: ${loot.requests}`);
  assert.deepEqual(loot.signatures, [], 'no signature was requested on site A');
  assert.deepEqual(loot.requests.filter((m: string) => /sign/i.test(m)), []);
  // It took what there was to take…
  assert.ok(loot.idbRecords >= 1 && loot.counts.idbPrivateKeys >= 1, `it read site A's key store: ${JSON.stringify(loot.counts)}`);
  assert.ok(loot.counts.cryptoKeys >= 1 || loot.counts.secrets >= 1, 'it holds key material of site A');
  assert.ok(loot.counts.reachedController >= 1 && loot.counts.reachedClient >= 1, `it reached the controller and the SDK client: ${JSON.stringify(loot.counts)}`);
  // …and with it the attack does open what site A legitimately holds (the positive control)…
  assert.ok(loot.control.opened.some((s: string) => s.startsWith('hello a')), `control: ${JSON.stringify(loot.control)}`);
  // …but not one envelope of the conversation with @b.
  assert.equal(loot.target.envelopes, 2, 'the message and the reply on chain');
  assert.ok(loot.target.tried >= 2 * loot.candidates && loot.candidates > 0);
  assert.deepEqual(loot.target.opened, [], `opened with keys from site A: ${loot.target.opened}`);
  assert.doesNotMatch(loot.shadowText, /secret for b only|reply meant for the visitor/);
  assert.doesNotMatch(loot.events.join('\n'), /secret for b only|reply meant/);
  assert.match(loot.sdk['element.conversationWithTarget'], /^error OUT_OF_SCOPE/);
  assert.match(loot.sdk['element.inbox'], /^error NOT_HANDLE_OWNER/);
  assert.match(loot.sdk['fresh.conversationWithTarget'], /^ok \[\["key-not-held","key-not-held"\]\]$/);
  assert.deepEqual((vA as any).__errors, []);

  // The hostile page re-points the element at @b: it shows the conversation's facts, opens nothing.
  await vA.evaluate(`document.querySelector('harmony-paid-chat').handle = '@bravo'`);
  await until(vA, 'labels for @bravo', `return root.querySelectorAll('[part~="read-state"]').length === 2`, 30_000);
  const again: any = await vA.evaluate((t) => (window as any).__loot(t), target);
  assert.deepEqual(again.target.opened, []);
  assert.deepEqual(again.signatures, []);
  assert.doesNotMatch(again.shadowText, /secret for b only|reply meant for the visitor/);

  // ---- creator @b connects on site A (not one of @b's sites), on a page that embeds @b
  const bOnA = await open(bProfile, `${siteA}/b.html`, creatorB);
  await click(bOnA, '[part~="connect-button"]');
  const notice = await until<string>(bOnA, 'the site notice', `return ${q('[part~="site-notice"]')}?.textContent`);
  assert.match(notice, new RegExp(`Your inbox opens only on your sites: ${siteB.replace(/[.:/]/g, '\\$&')}\\.`));
  for (const part of ['keys-button', 'keys', 'restore-file', 'rotate-button', 'inbox', 'passphrase-input']) {
    assert.equal(await bOnA.evaluate(`!!document.querySelector('harmony-paid-chat').shadowRoot.querySelector('[part~="${part}"]')`), false, `no ${part} on site A`);
  }
  const bLoot: any = await bOnA.evaluate((t) => (window as any).__loot(t), { ...target, control: undefined, backupFile: bBackup });
  assert.deepEqual(bLoot.signatures, []);
  assert.deepEqual(bLoot.target.opened, [], `the creator's conversation opened on site A: ${bLoot.target.opened}`);
  assert.match(bLoot.sdk['element.inbox'], /^error SITE_NOT_ALLOWED/);
  assert.match(bLoot.sdk['element.rotateInboxKey'], /^error SITE_NOT_ALLOWED/, 'no inbox key is made on site A');
  assert.match(bLoot.sdk['element.inspectBackup'], /^error OUT_OF_SCOPE: This backup holds your inbox keys, which open only on your own sites/);
  assert.match(bLoot.sdk['element.restoreBackup'], /^error OUT_OF_SCOPE/);
  assert.match(bLoot.sdk['element.keyStatus'], /"siteAllowed":false/);
  assert.doesNotMatch(bLoot.sdk['element.keyStatus'], /"heldKeyIds":\[1/);
  assert.doesNotMatch(bLoot.shadowText, /secret for b only/);
  assert.equal(await a.getProfile('bravo').then((p) => p.keyId), 1, 'no key was registered from site A');
  timings.test = Date.now() - t0;
});
