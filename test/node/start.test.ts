/**
 * `npm start` on this checkout: comes up within a bounded time, the demo page renders the widget
 * in Chromium with the seeded states visible (as a visitor and as @satoshi), and Ctrl-C stops
 * every child. Its screenshots go to test-artifacts/; with UPDATE_SCREENSHOTS=1 (npm run
 * screenshots) also to docs/screenshots/, the README's.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import type { Browser, Page } from 'puppeteer-core';
import { freePort } from '../../scripts/lib/anvil.js';
import { launchChromium, shadowText, waitShadow, ROOT } from '../support/browser.js';

const START_BUDGET_MS = 120_000;
let child: ChildProcess;
let output = '';
let url = '';
let chainPort = 0;
let browser: Browser;
let startedInMs = 0;

const portOpen = (port: number) =>
  new Promise<boolean>((r) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });

before(async () => {
  const [port, notifierPort, smtpPort] = await Promise.all([freePort(), freePort(), freePort()]);
  chainPort = await freePort();
  const t0 = Date.now();
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/start.ts', '--port', String(port), '--chain-port', String(chainPort), '--notifier-port', String(notifierPort), '--smtp-port', String(smtpPort)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready within ${START_BUDGET_MS / 1000} s:\n${output}`)), START_BUDGET_MS);
    const check = () => {
      const m = output.match(/Open:\s+(http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
  startedInMs = Date.now() - t0;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

const SHOT_DIRS = process.env.UPDATE_SCREENSHOTS === '1' ? ['test-artifacts', 'docs/screenshots'] : ['test-artifacts'];

async function shot(page: Page, name: string, selector?: string) {
  for (const dir of SHOT_DIRS) mkdirSync(`${ROOT}/${dir}`, { recursive: true });
  // The demo's sticky dev-wallet bar would cover the element in an element screenshot.
  await page.evaluate("document.querySelector('.dev-wallet')?.style.setProperty('position', 'static')");
  const target = selector ? await page.$(selector) : page;
  for (const dir of SHOT_DIRS) await target!.screenshot({ path: `${ROOT}/${dir}/${name}.png` as `${string}.png` });
}

test(`npm start is ready within ${START_BUDGET_MS / 1000} s and prints one URL`, () => {
  assert.ok(startedInMs < START_BUDGET_MS);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/demo\/$/);
  assert.match(output, /seeded @satoshi \(10 ONE, 7 days\): 2 waiting, 2 replied, 2 refundable, 1 refunded, 2 follow-ups/);
  console.log(`npm start ready in ${(startedInMs / 1000).toFixed(1)} s`);
});

test('the demo shows the widget; a visitor sees their seeded messages and sends one; @satoshi sees every state', async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 480, height: 1100, deviceScaleFactor: 1 });
  await page.goto(url);
  assert.match(await shadowText(page, '[part~="price"]', /10 ONE/), /10 ONE/);
  await page.evaluate(() => sessionStorage.setItem('hpc-demo-role', '3')); // bob
  await page.reload();
  await (await waitShadow(page, '[part~="connect-button"]')).click();
  // Bob's keys were made by the seeding process; the demo restored his backup into this browser.
  const conversation = await shadowText(page, '[part~="conversation"]', /Also plain text\. Ask away\./, 30_000);
  assert.match(conversation, /Answered/);
  assert.match(conversation, /refundable/i);
  assert.match(conversation, /Plain text only\. OK!/, "@satoshi's reply, decrypted");
  assert.match(conversation, /Thanks! And \*italics\*\?[\s\S]*Also plain text\. Ask away\./, 'the follow-ups, in order');
  assert.doesNotMatch(conversation, /could not be read|does not hold/);
  await shot(page, 'visitor', 'harmony-paid-chat');

  // Bob's conversation is open, so the composer writes a follow-up; he chooses a paid message.
  await (await waitShadow(page, '[part~="mode-button"]')).evaluate((b) => (b as HTMLButtonElement).click()); // not by coordinates: the page is still settling
  await waitShadow(page, '[part~="amount"]');
  await (await waitShadow(page, '[part~="input"]')).type('Hello from the start test — 140 bytes max ✨');
  await (await waitShadow(page, '[part~="send-button"]:not([disabled])')).click();
  await shadowText(page, '[part~="steps"]', /Sending|Confirm/, 10_000);
  await shot(page, 'sending', 'harmony-paid-chat');
  assert.match(await shadowText(page, '[part~="receipt"]', /Delivered/, 30_000), /Delivered to @satoshi/);
  // The conversation now shows the new message too (oldest first: it is the last one).
  const readable = await shadowText(page, '[part~="conversation"]', /Is this bold[\s\S]*Hello from the start test/, 20_000);
  assert.match(readable, /Hello from the start test/);
  assert.doesNotMatch(readable, /could not be read|does not hold/);

  // Act as @satoshi with the dev wallet switcher: the inbox reads at once (no prompt).
  await page.select('.dev-wallet select', '1');
  const inbox = await shadowText(page, '[part~="inbox"]', /Hello from the start test/, 30_000);
  for (const state of [/In escrow/, /Answered/, /Not answered in time/, /Refunded/]) assert.match(inbox, state);
  assert.match(inbox, /<b>Is this bold\?<\/b> <script>alert\(1\)<\/script>/, 'markup in a message shows as text');
  assert.doesNotMatch(inbox, /could not be read|does not hold/);
  await page.setViewport({ width: 480, height: 1800, deviceScaleFactor: 1 });
  await shot(page, 'creator-inbox', 'harmony-paid-chat');

  const dark = await page.$$('harmony-paid-chat');
  assert.equal(dark.length, 3);
  for (const dir of SHOT_DIRS) await dark[1].screenshot({ path: `${ROOT}/${dir}/dark.png` });
  await page.close();
});

test('"Email me about new messages": the widget signs a subscription, the notifier confirms by email, then mails a new paid message', async () => {
  const base = url.replace(/\/demo\/$/, '');
  const config = await (await fetch(`${base}/demo-config.json`)).json();
  const page = await browser.newPage();
  await page.setViewport({ width: 480, height: 1400 });
  await page.evaluateOnNewDocument("sessionStorage.setItem('hpc-demo-role', '1')"); // @satoshi
  await page.goto(url);
  await (await waitShadow(page, '[part~="connect-button"]')).click();
  await (await waitShadow(page, '[part~="settings"] summary', 20_000)).click();
  await (await waitShadow(page, '[part~="email-input"]')).type('satoshi@example.com');
  await (await waitShadow(page, '[part~="email-button"]')).click();
  assert.match(await shadowText(page, '[part~="email-form"]', /Confirmation sent to satoshi@example.com/, 20_000), /Confirmation sent/);
  await page.close();

  const mailbox = async (pattern: RegExp) => {
    for (let i = 0; i < 100; i++) {
      const html = await (await fetch(`${base}/mailbox/`)).text();
      const m = html.match(pattern);
      if (m) return { html, match: m };
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`no mail matching ${pattern} in the local mailbox`);
  };
  const { match } = await mailbox(/http:\/\/127\.0\.0\.1:\d+\/v1\/confirm\?token=[A-Za-z0-9_-]+/);
  // The link shows a page; only its button (a POST) confirms.
  const shown = await fetch(match[0]);
  assert.equal(shown.status, 200);
  assert.match(await shown.text(), /<form method="post" action="\/v1\/confirm">/);
  const link = new URL(match[0]);
  const confirm = await fetch(`${link.origin}/v1/confirm`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${link.searchParams.get('token')}` });
  assert.equal(confirm.status, 200);
  assert.match(await confirm.text(), /Email notifications are on/);

  // A paid message from carol (dev account 4), sent with the SDK straight to the local chain.
  const { createWalletClient, http } = await import('viem');
  const { mnemonicToAccount } = await import('viem/accounts');
  const { createPaidChat } = await import('../../src/sdk/index.js');
  const { local } = await import('../../src/sdk/chains.js');
  const chain = { ...local, rpcUrls: { default: { http: [config.rpcUrl] } } };
  const carol = createPaidChat({
    chain,
    contract: config.contract,
    wallet: createWalletClient({ account: mnemonicToAccount('test test test test test test test test test test test junk', { addressIndex: 4 }), chain, transport: http(config.rpcUrl) }),
  });
  await carol.send({ to: '@satoshi', text: 'A secret question for satoshi', amount: '12' });
  const { html } = await mailbox(/12 ONE/);
  assert.match(html, /satoshi@example\.com/);
  assert.doesNotMatch(html, /A secret question/, 'the email never carries the message text');
  assert.match(html, /list-unsubscribe-post: List-Unsubscribe=One-Click/i);
});

test('Ctrl-C stops every child: the chain port is free again', async () => {
  assert.equal(await portOpen(chainPort), true);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
  for (let i = 0; i < 50 && (await portOpen(chainPort)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await portOpen(chainPort), false, 'anvil stopped');
});

test('a port in use is named before anything starts, with the flag that moves it; nothing else is touched', async () => {
  // Another program holds the chain port.
  const { createServer } = await import('node:net');
  const busy = createServer();
  const port = await freePort();
  await new Promise<void>((r) => busy.listen(port, '127.0.0.1', () => r()));
  try {
    const other = await freePort();
    const run = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--chain-port', String(port), '--port', String(other), '--no-notifier'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout!.on('data', (d) => (out += d));
    run.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => run.once('exit', (c) => r(c)));
    assert.equal(code, 1, out);
    assert.match(out, new RegExp(`Port ${port} \\(the local chain\\) is in use\\. Stop what holds it, or choose another: npm start -- --chain-port ${port + 1}`));
    assert.doesNotMatch(out, /· chain|Ready in/, 'nothing started');
    assert.equal(await portOpen(other), false, 'no demo server was started');
  } finally {
    busy.close();
  }
});
