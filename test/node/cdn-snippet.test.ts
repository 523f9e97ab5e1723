/**
 * CDN users and site builders: the snippets in README.md and the Webflow guide pin this exact
 * version with Subresource Integrity hashes that match the built files (cdn/integrity.json, written
 * by the build); and a Webflow-style published page holding exactly the guide's snippet in an Embed
 * element loads the widget in Chromium — the unpkg URLs answered with the built files, bytes
 * unchanged — while one changed byte makes the browser refuse it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { launchChromium, ensureBuild, shadowText, ROOT } from '../support/browser.js';
import { ensurePackageBuild, packageVersion, sri, CDN_ENTRIES } from '../../scripts/lib/package-build.js';
import { readIntegrity, withSnippets, snippetIn, cdnBase, cdnSnippets } from '../../scripts/lib/snippets.js';

const version = packageVersion();
let browser: Browser;

before(async () => {
  ensureBuild();
  ensurePackageBuild();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

test('cdn/integrity.json holds the SRI hashes of the built files, for this version', () => {
  const i = readIntegrity();
  assert.equal(i.version, version);
  for (const f of [...CDN_ENTRIES, ...i.preload]) assert.equal(i.files[f], sri(join(ROOT, 'cdn', f)), f);
  assert.ok(i.preload.length >= 1 && i.preload.every((f) => readFileSync(join(ROOT, 'cdn/harmony-paid-chat.js'), 'utf8').includes(`./${f}`)));
});

test('README.md and docs/webflow.md pin this version with those hashes (run npm run build && npm run docs)', () => {
  const i = readIntegrity();
  for (const file of ['README.md', 'docs/webflow.md']) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    assert.equal(text, withSnippets(text, i), `${file}: the CDN snippets are stale`);
    assert.equal(snippetIn(text, 'module'), cdnSnippets(i).module);
    assert.ok(text.includes(`harmony-paid-chat@${version}/cdn/`));
    assert.doesNotMatch(text, new RegExp(`harmony-paid-chat@(?!${version.replace(/\./g, '\\.')})\\d`), `${file} names another version`);
  }
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.equal(snippetIn(readme, 'classic'), cdnSnippets(i).classic);
  assert.ok(readme.indexOf('<!-- cdn:module') < readme.indexOf('## Quick start'), 'the pinned snippet is the README\'s first code block');
});

/** A page shaped like a published Webflow site: Webflow's base styles, a section, an Embed element. */
function webflowPage(embed: string): string {
  return `<!DOCTYPE html><!-- This site was created in Webflow. https://webflow.com --><html data-wf-page="65f0c0ffee" data-wf-site="65f0c0ffee" lang="en">
<head><meta charset="utf-8"><title>Creator site</title><meta content="width=device-width, initial-scale=1" name="viewport">
<style>html{height:100%;-ms-text-size-adjust:100%;-webkit-text-size-adjust:100%}body{margin:0;min-height:100%;background-color:#fff;font-family:Arial,sans-serif;font-size:14px;line-height:20px;color:#333}
*{box-sizing:border-box}button,input,textarea{color:inherit;font:inherit;margin:0}.w-embed:before,.w-embed:after{content:" ";display:table}.w-embed:after{clear:both}
.section{padding:40px 5%}.heading{font-size:38px;line-height:44px;margin:0 0 10px}</style></head>
<body><div class="section"><h1 class="heading">Write to me</h1><div class="w-embed w-script">${embed}</div></div></body></html>`;
}

/** Opens `html` at https://creator.webflow.io/ with unpkg answered from cdn/ (optionally with one file changed). */
async function openWithCdn(html: string, tamper?: string): Promise<{ page: Page; errors: string[]; served: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const served: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.setRequestInterception(true);
  const base = cdnBase(version);
  page.on('request', (req: HTTPRequest) => {
    const url = req.url();
    if (url === 'https://creator.webflow.io/') return void req.respond({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
    if (url.startsWith(base)) {
      const rel = decodeURIComponent(url.slice(base.length).split('?')[0]!);
      let body: Buffer;
      try {
        body = readFileSync(join(ROOT, 'cdn', rel));
      } catch {
        return void req.respond({ status: 404, body: 'not found' });
      }
      if (rel === tamper) {
        // One byte changed, and the code still valid: only the integrity check can tell.
        body = Buffer.from(body);
        body[body.length - 1] = body[body.length - 1] === 0x20 ? 0x0a : 0x20;
      }
      served.push(rel);
      // unpkg answers with CORS headers, which SRI on a cross-origin script needs.
      return void req.respond({ status: 200, contentType: 'application/javascript; charset=utf-8', headers: { 'access-control-allow-origin': '*' }, body });
    }
    // Nothing else is reachable (no internet): the chain RPC fails like an unreachable network.
    void req.abort('internetdisconnected');
  });
  await page.goto('https://creator.webflow.io/', { waitUntil: 'load' });
  return { page, errors, served };
}

test("Webflow: a published page holding exactly the guide's snippet in an Embed element loads the pinned, SRI-checked widget", async () => {
  const guide = readFileSync(join(ROOT, 'docs/webflow.md'), 'utf8');
  const snippet = snippetIn(guide, 'module');
  const { page, errors, served } = await openWithCdn(webflowPage(snippet));
  // The widget is defined from the checked files and runs: Harmony mainnet has no deployment built
  // into the package yet, so it says exactly that (the guide tells users to add contract="0x…").
  await page.waitForFunction(() => customElements.get('harmony-paid-chat') !== undefined, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => (customElements.get('harmony-paid-chat') as any).version), version);
  assert.match(await shadowText(page, '[part~="error"]', /No PaidChat contract/), /No PaidChat contract is known on Harmony Mainnet \(chain 1666600000\)\. Pass its address as "contract"\./);
  assert.ok(await page.$('harmony-paid-chat >>> [part~="retry-button"]'), 'with a retry button');
  assert.ok(served.includes('harmony-paid-chat.js') && served.includes(readIntegrity().preload[0]!), `served: ${served}`);
  assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e)), []);
  await page.close();
});

test("the guide's classic snippet (one file, no modules) loads the same way", async () => {
  const guide = readFileSync(join(ROOT, 'docs/webflow.md'), 'utf8');
  const { page } = await openWithCdn(webflowPage(snippetIn(guide, 'classic')));
  await page.waitForFunction(() => customElements.get('harmony-paid-chat') !== undefined, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => (customElements.get('harmony-paid-chat') as any).version), version);
  assert.match(await shadowText(page, '[part~="error"]', /No PaidChat contract/), /No PaidChat contract is known on Harmony Mainnet/);
  await page.close();
});

test('the classic loader carries the module build\'s SRI hashes (its own hash, in the snippet, pins the chain)', () => {
  const i = readIntegrity();
  const loader = readFileSync(join(ROOT, 'cdn/harmony-paid-chat.classic.js'), 'utf8');
  assert.ok(loader.includes(i.files['harmony-paid-chat.js']!), 'the module entry\'s hash');
  for (const f of i.preload) assert.ok(loader.includes(`./${f}`) && loader.includes(i.files[f]!), `the preloaded ${f} and its hash`);
  assert.doesNotMatch(loader, /\bimport\s*\(/, 'no unchecked import()');
});

// Each snippet, with one file of what it loads up front changed: the browser refuses it. Under the classic
// snippet, the module entry and the preloaded chunk are checked through the hashes inside the loader.
for (const [snippet, tamper] of [
  ['module', 'harmony-paid-chat.js'],
  ['module', 'preloaded chunk'],
  ['classic', 'harmony-paid-chat.classic.js'],
  ['classic', 'harmony-paid-chat.js'],
  ['classic', 'preloaded chunk'],
] as const) {
  test(`SRI (${snippet} snippet): one changed byte in ${tamper} and the browser refuses it — no widget`, async () => {
    const file = tamper === 'preloaded chunk' ? readIntegrity().preload[0]! : tamper;
    const snippets = cdnSnippets(readIntegrity());
    const { page, errors, served } = await openWithCdn(webflowPage(snippets[snippet]), file);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(served.includes(file), `the changed ${file} was served (${served})`);
    assert.equal(await page.evaluate(() => customElements.get('harmony-paid-chat')), undefined);
    assert.ok(errors.some((e) => /integrity/i.test(e)), `the browser reports the integrity failure: ${errors.join(' | ')}`);
    await page.close();
  });
}
