/**
 * What the widget costs a visitor, measured on the real build in real Chromium:
 *  - initialGzipBytes: JS loaded before the first click (entry + its static imports)
 *  - connectAndSendGzipBytes: all JS loaded to connect (host/EIP-6963 provider) and send a message
 *  - connectAndSendViaOnboardGzipBytes: the same when the wallet is picked in web3-onboard's modal
 *  - classicGzipBytes: the single classic-script file
 *  - firstRenderMs: navigation start → the creator's card shows its price (median of 5)
 * Sizes are gzip -9 of each distinct file. Writes bench/out/bundle.json.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { createWalletClient, http } from 'viem';
import { createPaidChat } from '../src/sdk/index.js';
import { startTestChain } from '../scripts/lib/chain.js';
import { TestWallet } from '../scripts/lib/test-wallet.js';
import { ROOT, ensureBuild, launchChromium, startPageServer, bridgeWallet, shadowText, waitShadow } from '../scripts/lib/browser.js';
import { report } from './lib.js';

/** A string only WalletConnect's module has: it must load only when a visitor asks for it. */
const WALLETCONNECT_MARK = 'WalletConnect requires a projectId';
const hasWalletConnect = (files: Iterable<string>) => [...files].some((f) => readFileSync(join(ROOT, f), 'utf8').includes(WALLETCONNECT_MARK));

const gz = (file: string) => gzipSync(readFileSync(join(ROOT, file)), { level: 9 }).length;
const sum = (files: Iterable<string>) => [...files].reduce((n, f) => n + gz(f), 0);

/** The entry and every chunk it imports statically (what loads before any click). */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(ROOT, file), 'utf8');
    const dir = file.slice(0, file.lastIndexOf('/') + 1);
    // Static: `import … from "./x.js"` and `import "./x.js"`; dynamic `import("./x.js")` is skipped.
    for (const m of code.matchAll(/(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]*?from\s*)?["'](\.\.?\/[^"']+)["']/g)) {
      visit(normalizePath(dir + m[1]));
    }
  };
  visit(entry);
  return seen;
}

function normalizePath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '..') out.pop();
    else if (part !== '.') out.push(part);
  }
  return out.join('/');
}

export async function runBundleBench() {
  ensureBuild();
  const initialFiles = staticClosure('cdn/harmony-paid-chat.js');
  const tc = await startTestChain();
  const satoshi = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: createWalletClient({ account: tc.accounts[1], chain: tc.chain, transport: http(tc.rpcUrl) }) });
  await satoshi.claimHandle({ handle: 'satoshi', price: '1' });
  const tag = `<harmony-paid-chat handle="@satoshi" chain="local" rpc-url="${tc.rpcUrl}" contract="${tc.contract}"></harmony-paid-chat>`;
  const page = (body: string) => `<!doctype html><html lang="en"><head><title>bench</title><script type="module" src="/cdn/harmony-paid-chat.js"></script></head><body>${body}</body></html>`;
  const server = await startPageServer({
    '/widget.html': { html: page(tag) },
    '/legacy-wallet.html': { html: page(`<script src="/legacy.js"></script>${tag}`) },
  });
  const browser = await launchChromium();
  try {
    const jsLoaded = (p: import('puppeteer-core').Page) => {
      const files = new Set<string>();
      p.on('response', (r) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/cdn/') && u.pathname.endsWith('.js')) files.add(u.pathname.slice(1));
      });
      return files;
    };

    // First render, five times.
    const renders: number[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await browser.newPage();
      await p.goto(`${server.url}/widget.html`);
      await shadowText(p, '[part~="price"]', /ONE/);
      renders.push(await p.evaluate(() => performance.now()));
      await p.close();
    }
    const firstRenderMs = Math.round(renders.sort((a, b) => a - b)[2]);

    // Connect with the host's provider, then send.
    const p = await browser.newPage();
    const loaded = jsLoaded(p);
    await bridgeWallet(p, new TestWallet({ index: 2, rpcUrl: tc.rpcUrl, chainId: tc.chain.id }));
    await p.goto(`${server.url}/widget.html`);
    await shadowText(p, '[part~="price"]', /ONE/);
    const beforeClick = new Set(loaded);
    await (await waitShadow(p, '[part~="connect-button"]')).click();
    const input = await waitShadow(p, '[part~="input"]', 20_000);
    await input!.type('gm from the bundle bench');
    await (await waitShadow(p, '[part~="send-button"]:not([disabled])')).click();
    const receipt = await shadowText(p, '[part~="receipt"]', /Delivered/, 30_000);
    if (!/Delivered/.test(receipt)) throw new Error(`send did not complete: "${receipt}"`);
    const sendFiles = new Set(loaded);
    await p.close();

    // A legacy window.ethereum only: the element opens web3-onboard's modal.
    const q = await browser.newPage();
    const onboardLoaded = jsLoaded(q);
    await q.setRequestInterception(true);
    q.on('request', (r) =>
      new URL(r.url()).pathname === '/legacy.js'
        ? r.respond({ contentType: 'text/javascript', body: 'window.ethereum={isMetaMask:true,request:async()=>{throw Object.assign(new Error("bench"),{code:4001})},on(){},removeListener(){}};' })
        : r.continue(),
    );
    await q.goto(`${server.url}/legacy-wallet.html`);
    await shadowText(q, '[part~="price"]', /ONE/);
    await (await waitShadow(q, '[part~="connect-button"]')).click();
    await q.waitForFunction(() => !!document.querySelector('onboard-v2'), { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 1500)); // let the modal fetch what it shows
    await q.close();

    const result = {
      initialGzipBytes: sum(initialFiles),
      initialFiles: [...initialFiles],
      beforeClickLoadedGzipBytes: sum(beforeClick),
      connectAndSendGzipBytes: sum(sendFiles),
      connectAndSendFiles: sendFiles.size,
      connectAndSendViaOnboardGzipBytes: sum(new Set([...sendFiles, ...onboardLoaded])),
      onboardFiles: onboardLoaded.size,
      classicGzipBytes: gz('cdn/harmony-paid-chat.classic.js'),
      walletConnectInFirstLoad: hasWalletConnect(initialFiles),
      walletConnectInConnectAndSend: hasWalletConnect(sendFiles),
      walletConnectInClassic: hasWalletConnect(['cdn/harmony-paid-chat.classic.js']),
      firstRenderMs,
      firstRenderRuns: renders.map(Math.round),
    };
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    report(
      'bundle',
      [
        { metric: 'initial (before the first click), gzip', value: kb(result.initialGzipBytes), bar: '≤ 25 KB (aim 20)', met: result.initialGzipBytes <= 25 * 1024 },
        { metric: 'loaded by Chromium before the first click', value: kb(result.beforeClickLoadedGzipBytes) },
        { metric: 'connect (host/EIP-6963 wallet) and send', value: kb(result.connectAndSendGzipBytes), bar: '≤ 350 KB (aim 250)', met: result.connectAndSendGzipBytes <= 350 * 1024 },
        { metric: 'connect via web3-onboard modal and send', value: kb(result.connectAndSendViaOnboardGzipBytes) },
        { metric: 'classic script (one file; WalletConnect stays a chunk)', value: kb(result.classicGzipBytes) },
        { metric: 'WalletConnect in first load / connect+send / classic', value: `${result.walletConnectInFirstLoad} / ${result.walletConnectInConnectAndSend} / ${result.walletConnectInClassic}`, bar: 'false / false / false', met: !result.walletConnectInFirstLoad && !result.walletConnectInConnectAndSend && !result.walletConnectInClassic },
        { metric: 'first render (median of 5, ms)', value: result.firstRenderMs },
      ],
      result,
    );
    return result;
  } finally {
    await browser.close();
    await server.close();
    await tc.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runBundleBench();
