/**
 * Real headless Chromium (puppeteer-core, never a downloaded browser) and a loopback server for
 * the built CDN files plus test pages with chosen headers (e.g. a strict CSP).
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ensureChrome, CHROME_FLAGS } from './chromium.js';
import type { TestWallet } from './test-wallet.js';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

export async function launchChromium(): Promise<Browser> {
  const executablePath = ensureChrome();
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: [...CHROME_FLAGS.filter((f) => !f.startsWith('--headless')), `--user-data-dir=/tmp/hpc-chrome-${process.pid}-${Date.now()}`],
  });
}

export { ensureBuild } from './build.js';

export interface PageServer {
  url: string;
  /** Every path the browser asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves /cdn/* from the build and the given pages (path → { html, headers }). */
export async function startPageServer(pages: Record<string, { html: string; headers?: Record<string, string> }>): Promise<PageServer> {
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const page = pages[path];
    if (page) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...page.headers }).end(page.html);
      return;
    }
    if (path.startsWith('/cdn/')) {
      const file = join(ROOT, 'cdn', normalize(path.slice(5)));
      if (file.startsWith(join(ROOT, 'cdn'))) {
        try {
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(await readFile(file));
          return;
        } catch {
          /* 404 below */
        }
      }
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/**
 * Gives the page an EIP-1193 provider that forwards to a TestWallet in Node, set as the `provider`
 * property of every <harmony-paid-chat> (call before navigation).
 */
export async function bridgeWallet(page: Page, wallet: TestWallet): Promise<void> {
  await page.exposeFunction('__hpcWalletRequest', async (json: string) => {
    try {
      return { result: await wallet.request(JSON.parse(json)) };
    } catch (e: any) {
      return { error: { message: e?.message ?? String(e), code: e?.code ?? -32603 } };
    }
  });
  // A string, not a function: tsx's transform would inject helpers the page does not have.
  await page.evaluateOnNewDocument(`
    (() => {
      const provider = {
        async request(args) {
          const r = await window.__hpcWalletRequest(JSON.stringify(args));
          if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
          return r.result;
        },
        on() {},
        removeListener() {},
      };
      window.__hpcProvider = provider;
      const attach = () => document.querySelectorAll('harmony-paid-chat').forEach((el) => { if (el.provider !== provider) el.provider = provider; });
      new MutationObserver(attach).observe(document, { childList: true, subtree: true });
      document.addEventListener('DOMContentLoaded', attach);
    })();
  `);
}

/**
 * Text of the first match inside the element's shadow root (deep selector), once it matches
 * `expect` (waits up to `timeout`; returns the last text seen either way).
 */
export async function shadowText(page: Page, selector: string, expect: RegExp = /\S/, timeout = 15_000): Promise<string> {
  const end = Date.now() + timeout;
  let text = '';
  for (;;) {
    const handle = await page.$(`harmony-paid-chat >>> ${selector}`);
    text = handle ? (await handle.evaluate((n) => n.textContent ?? '')).replace(/\s+/g, ' ').trim() : '';
    if (expect.test(text) || Date.now() > end) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for a match inside the element's shadow root (deep selector) and returns it. */
export async function waitShadow(page: Page, selector: string, timeout = 15_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const handle = await page.$(`harmony-paid-chat >>> ${selector}`);
    if (handle) return handle;
    if (Date.now() > end) {
      const text = await page.evaluate(() => document.querySelector('harmony-paid-chat')?.shadowRoot?.textContent?.replace(/\s+/g, ' '));
      throw new Error(`${selector} did not appear within ${timeout} ms; the widget says: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
