/**
 * The notifier's own pages: `/h/:handle` (a minimal page hosting the <harmony-paid-chat> widget),
 * `/widget/*` (the widget bundle from the static directory) and `/`.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Hono } from 'hono';
import { normalizeHandle } from 'harmony-paid-chat';
import { escapeHtml, simplePage, PAGE_STYLE } from './html.js';
import { HttpError } from './signed.js';
import { basePath as pathOf, methods, page } from './http-kit.js';
import type { HttpContext } from './http.js';

const STATIC_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const WIDGET_SCRIPT = 'harmony-paid-chat.js';

/** Adds the pages to `app`. */
export function pageRoutes(app: Hono, ctx: HttpContext): void {
  const { cfg } = ctx;
  const basePath = () => pathOf(ctx.publicUrl());
  const staticDir = resolve(cfg.staticDir);
  const rpcOrigin = (() => {
    try {
      return new URL(ctx.widgetRpcUrl).origin;
    } catch {
      return '';
    }
  })();

  app.get('/h/:handle', (c) => {
    let handle: string;
    try {
      const raw = /^\/h\/([^/]+)$/.exec(new URL(c.req.url).pathname)?.[1] ?? '';
      handle = normalizeHandle(decodeURIComponent(raw));
    } catch {
      return page(c, simplePage(404, 'No such handle', '<p>That is not a valid handle (3–32 characters of a-z, 0-9, _ and -).</p>'));
    }
    const built = existsSync(resolve(staticDir, WIDGET_SCRIPT));
    const attrs = [
      ['handle', handle],
      ['chain', typeof cfg.chain === 'number' ? String(cfg.chain) : cfg.chain],
      ['rpc-url', ctx.widgetRpcUrl],
      ['contract', ctx.contract],
      ['notifier-url', ctx.publicUrl()],
    ]
      .map(([k, v]) => `${k}="${escapeHtml(v)}"`)
      .join(' ');
    const note = built
      ? ''
      : `<p class="note">The chat widget is not built on this server yet (<code>${escapeHtml(cfg.staticDir)}/${WIDGET_SCRIPT}</code> is missing). The operator can build it with the project's rollup config and restart nothing: this page picks it up on the next load.</p>`;
    const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@${escapeHtml(handle)} · Harmony Paid Chat</title>
<style>${PAGE_STYLE}</style>
<script type="module" src="${escapeHtml(basePath())}/widget/${WIDGET_SCRIPT}"></script>
</head>
<body>
<main>
<h1>Message @${escapeHtml(handle)}</h1>
<harmony-paid-chat ${attrs}></harmony-paid-chat>
<noscript><p class="note">The chat needs JavaScript and a wallet.</p></noscript>
${note}
</main>
</body>
</html>
`;
    const connect = ["'self'", rpcOrigin].filter(Boolean).join(' ');
    return c.body(body, 200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'`,
      'cache-control': 'no-cache',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
  });
  app.all('/h/:handle', methods('GET'));

  app.get('/widget/*', (c) => {
    const rel = new URL(c.req.url).pathname.slice('/widget/'.length);
    let decoded: string;
    try {
      decoded = decodeURIComponent(rel);
    } catch {
      throw new HttpError(404, 'not_found', 'No such file.');
    }
    const file = resolve(staticDir, decoded);
    if (decoded.includes('\0') || !file.startsWith(staticDir + sep)) throw new HttpError(404, 'not_found', 'No such file.');
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error();
      size = st.size;
    } catch {
      throw new HttpError(404, 'not_found', `No such file in the widget bundle${existsSync(staticDir) ? '' : ` (${cfg.staticDir}/ is not built)`}.`);
    }
    return c.body(Readable.toWeb(createReadStream(file)) as any, 200, {
      'content-type': STATIC_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(size),
      'cache-control': 'public, max-age=300',
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
    });
  });
  app.all('/widget/*', methods('GET'));

  app.get('/', (c) =>
    page(
      c,
      simplePage(
        200,
        'Harmony Paid Chat notifier',
        `<p>This service emails people about their paid messages on ${escapeHtml(ctx.chainName)}, and delivers signed webhooks to creators' tools. Subscribe from the chat widget; every email has a one-click unsubscribe link.</p>`,
      ),
    ),
  );
  app.all('/', methods('GET'));
}
