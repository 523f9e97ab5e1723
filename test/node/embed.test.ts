/**
 * The built CDN files in real Chromium, embedded the way hosts embed them: a page with a strict
 * Content-Security-Policy, the script loaded twice, the classic (non-module) build, and a foreign
 * page with aggressive global CSS — nothing leaks in or out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, http } from 'viem';
import type { Browser, Page } from 'puppeteer-core';
import { createPaidChat } from '../../src/sdk/index.js';
import { startTestChain, type TestChain } from '../support/chain.js';
import { launchChromium, ensureBuild, startPageServer, shadowText, waitShadow, bridgeWallet, type PageServer } from '../support/browser.js';
import { TestWallet } from '../support/test-wallet.js';

let tc: TestChain;
let browser: Browser;
let server: PageServer;

const STRICT_CSP = (rpc: string) =>
  `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${rpc}; object-src 'none'; base-uri 'none'`;

before(async () => {
  ensureBuild();
  tc = await startTestChain();
  const satoshi = createPaidChat({
    chain: tc.chain,
    contract: tc.contract,
    wallet: createWalletClient({ account: tc.accounts[1], chain: tc.chain, transport: http(tc.rpcUrl) }),
  });
  await satoshi.claimHandle({ handle: 'satoshi', price: '10' });
  const tag = `<harmony-paid-chat handle="@satoshi" chain="local" rpc-url="${tc.rpcUrl}" contract="${tc.contract}"></harmony-paid-chat>`;
  const css = `<style>* { font-family: 'Comic Sans MS' !important; color: #c00 !important; box-sizing: content-box !important; }
    button, input, textarea { all: unset; border: 5px dotted lime !important; padding: 30px !important; }
    p, div, span, section { margin: 40px !important; text-transform: uppercase; }</style>`;
  server = await startPageServer({
    '/csp.html': {
      html: `<!doctype html><html lang="en"><head><title>csp</title><script type="module" src="/cdn/harmony-paid-chat.js"></script></head><body>${tag}</body></html>`,
      headers: { 'content-security-policy': STRICT_CSP(tc.rpcUrl) },
    },
    '/csp-control.html': {
      html: `<!doctype html><html lang="en"><head><title>control</title></head><body><script>document.title = 'inline ran'</script></body></html>`,
      headers: { 'content-security-policy': STRICT_CSP(tc.rpcUrl) },
    },
    '/twice.html': {
      html: `<!doctype html><html lang="en"><head><title>twice</title><script type="module" src="/cdn/harmony-paid-chat.js"></script><script type="module" src="/cdn/harmony-paid-chat.js?again"></script><script src="/cdn/harmony-paid-chat.classic.js"></script></head><body>${tag}</body></html>`,
    },
    '/classic.html': {
      html: `<!doctype html><html lang="en"><head><title>classic</title><script src="/cdn/harmony-paid-chat.classic.js"></script></head><body>${tag}</body></html>`,
      headers: { 'content-security-policy': STRICT_CSP(tc.rpcUrl) },
    },
    '/foreign.html': {
      html: `<!doctype html><html lang="en"><head><title>foreign</title>${css}</head><body><p id="outside">Host text</p><button id="host-button">Host</button><script type="module" src="/cdn/harmony-paid-chat.js"></script>${tag}</body></html>`,
    },
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await tc?.stop();
});

async function open(path: string): Promise<{ page: Page; errors: string[]; violations: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const violations: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.location()?.url ?? '')) errors.push(m.text());
  });
  await page.evaluateOnNewDocument(
    "document.addEventListener('securitypolicyviolation', (e) => (window.__violations ||= []).push(e.violatedDirective + ' ' + e.blockedURI));",
  );
  await page.goto(server.url + path, { waitUntil: 'load' });
  return { page, errors, violations };
}

test('works under a strict CSP (script-src self, no unsafe-inline, no unsafe-eval): the card renders, no violation', async () => {
  const { page, errors } = await open('/csp.html');
  assert.match(await shadowText(page, '[part~="price"]', /10 ONE/), /10 ONE/);
  assert.match(await shadowText(page, '[part~="promise"]', /satoshi/), /satoshi/);
  const violations = await page.evaluate(() => (window as any).__violations ?? []);
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('under the same strict CSP a visitor sends and reads back (lazy chunks, WebCrypto keys, IndexedDB), and returns without a prompt', async () => {
  const visitor = new TestWallet({ index: 2, rpcUrl: tc.rpcUrl, chainId: tc.chain.id });
  for (let visit = 1; visit <= 2; visit++) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await bridgeWallet(page, visitor);
    await page.evaluateOnNewDocument(
      "document.addEventListener('securitypolicyviolation', (e) => (window.__violations ||= []).push(e.violatedDirective + ' ' + e.blockedURI));",
    );
    await page.goto(`${server.url}/csp.html`, { waitUntil: 'load' });
    await (await waitShadow(page, '[part~="connect-button"]')).click();
    const before = visitor.calls.length;
    if (visit === 1) {
      await (await waitShadow(page, '[part~="input"]', 20_000)).type('Under a strict CSP');
      await (await waitShadow(page, '[part~="send-button"]:not([disabled])')).click();
      assert.match(await shadowText(page, '[part~="receipt"]', /Delivered/, 30_000), /Delivered to @satoshi/);
    }
    assert.match(await shadowText(page, '[part~="conversation"]', /Under a strict CSP/, 20_000), /Under a strict CSP/);
    const prompts = visitor.calls.slice(before).filter((m) => /sign|sendTransaction/.test(m));
    assert.deepEqual(prompts, visit === 1 ? ['eth_sendTransaction'] : [], `visit ${visit}: wallet prompts`);
    assert.deepEqual(await page.evaluate(() => (window as any).__violations ?? []), []);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('control: the same CSP does block an inline script, and the check sees it', async () => {
  const { page } = await open('/csp-control.html');
  await new Promise((r) => setTimeout(r, 200));
  assert.notEqual(await page.title(), 'inline ran');
  const violations: string[] = await page.evaluate(() => (window as any).__violations ?? []);
  assert.ok(violations.some((v) => v.startsWith('script-src')), `violations seen: ${violations}`);
  await page.close();
});

test('the script loaded twice (two module copies and the classic build) defines the element once, without errors', async () => {
  const { page, errors } = await open('/twice.html');
  assert.match(await shadowText(page, '[part~="price"]', /10 ONE/), /10 ONE/);
  assert.deepEqual(errors.filter((e) => !/already registered/.test(e)), []);
  const count = await page.evaluate(() => document.querySelectorAll('harmony-paid-chat').length);
  assert.equal(count, 1);
  await page.close();
});

test('the classic-script build renders from a plain <script>', async () => {
  const { page, errors } = await open('/classic.html');
  assert.match(await shadowText(page, '[part~="price"]', /10 ONE/), /10 ONE/);
  assert.deepEqual(await page.evaluate(() => (window as any).__violations ?? []), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a foreign page with aggressive global CSS: nothing leaks in, nothing leaks out', async () => {
  const { page } = await open('/foreign.html');
  await shadowText(page, '[part~="price"]', /10 ONE/);
  const inside = await page.evaluate(() => {
    const root = document.querySelector('harmony-paid-chat')!.shadowRoot!;
    const btn = root.querySelector('[part~="connect-button"]') as HTMLElement;
    const s = getComputedStyle(btn);
    return { color: s.color, padding: s.paddingTop, border: s.borderTopStyle };
  });
  // Inherited properties (the font) flow in through the host by design (--harmony-font-family
  // defaults to inherit); the page's rules themselves do not match anything inside.
  assert.notEqual(inside.color, 'rgb(204, 0, 0)', "the host page's `* { color }` must not reach the button");
  assert.notEqual(inside.padding, '30px');
  assert.notEqual(inside.border, 'dotted');
  const outside = await page.evaluate(() => ({
    headStyles: document.head.querySelectorAll('style, link[rel=stylesheet]').length,
    adopted: document.adoptedStyleSheets.length,
    font: getComputedStyle(document.getElementById('outside')!).fontFamily,
    bodyMargin: getComputedStyle(document.body).margin,
    fontsLoaded: [...document.fonts].length,
  }));
  assert.equal(outside.headStyles, 1, 'the widget added no <style> or stylesheet link to the host page');
  assert.equal(outside.adopted, 0, 'the widget adopted no stylesheet into the host document');
  assert.match(outside.font, /Comic Sans/);
  assert.equal(outside.fontsLoaded, 0, 'the widget loads no fonts');
  await page.close();
});
