/**
 * The local demo's web server: the CDN build (/cdn), the demo pages (/demo, their small TypeScript
 * helpers bundled on request with esbuild), the demo's config (/demo-config.json) and a mailbox
 * page (/mailbox) showing what the notifier sent to the local SMTP sink.
 */
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  date: string;
  text: string;
  headers: Record<string, string>;
}

export interface DemoServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startDemoServer(opts: {
  port: number;
  config: Record<string, unknown>;
  mails?: () => Mail[];
}): Promise<DemoServer> {
  const bundles = new Map<string, string>();
  async function bundle(tsFile: string): Promise<string> {
    const cached = bundles.get(tsFile);
    if (cached) return cached;
    const out = await build({ entryPoints: [tsFile], bundle: true, write: false, format: 'esm', platform: 'browser', target: 'es2022', minify: true, logLevel: 'silent' });
    const code = out.outputFiles[0].text;
    bundles.set(tsFile, code);
    return code;
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    try {
      if (path === '/' || path === '/demo') {
        res.writeHead(302, { location: '/demo/' }).end();
        return;
      }
      if (path === '/demo-config.json') {
        res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' }).end(JSON.stringify(opts.config));
        return;
      }
      if (path === '/mailbox/' || path === '/mailbox') {
        const mails = (opts.mails?.() ?? []).slice().reverse();
        const rows = mails
          .map(
            (m) => `<article><h2>${escape(m.subject)}</h2><p><b>To</b> ${escape(m.to.join(', '))} · <b>From</b> ${escape(m.from)} · ${escape(m.date)}</p>` +
              `<details><summary>Headers</summary><pre>${escape(Object.entries(m.headers).map(([k, v]) => `${k}: ${v}`).join('\n'))}</pre></details><pre>${escape(m.text)}</pre></article>`,
          )
          .join('\n');
        res.writeHead(200, { 'content-type': TYPES['.html'], 'content-security-policy': "default-src 'self'; style-src 'self'" });
        res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local mailbox</title><link rel="stylesheet" href="/demo/demo.css"><meta http-equiv="refresh" content="5"></head><body><main><h1>Local mailbox (${mails.length})</h1><p>What the notifier sent to the local SMTP sink. Refreshes every 5 s. <a href="/demo/">Back to the demo</a></p>${rows || '<p>No mail yet. In the demo, as @satoshi, open Settings → "Email me about new messages".</p>'}</main></body></html>`);
        return;
      }
      let file: string;
      if (path.startsWith('/cdn/')) file = join(root, 'cdn', normalize(path.slice(5)));
      else if (path.startsWith('/demo/')) file = join(root, 'demo', normalize(path.slice(6)) || 'index.html');
      else {
        res.writeHead(404).end('not found');
        return;
      }
      if (!file.startsWith(join(root, 'cdn')) && !file.startsWith(join(root, 'demo'))) {
        res.writeHead(403).end();
        return;
      }
      if (path.endsWith('/')) file = join(file, 'index.html');
      if (file.endsWith('.js') && file.startsWith(join(root, 'demo'))) {
        const ts = file.replace(/\.js$/, '.ts');
        if (await stat(ts).then(() => true, () => false)) {
          res.writeHead(200, { 'content-type': TYPES['.js'] }).end(await bundle(ts));
          return;
        }
      }
      const body = await readFile(file);
      if (extname(file) === '.html') {
        // The pages hold the snippet exactly as a creator writes it; only this run's local
        // values (ports, contract) are filled in, escaped.
        const html = body.toString('utf8').replace(/\{\{(\w+)\}\}/g, (_m, key: string) => escape(String(opts.config[key] ?? '')));
        res.writeHead(200, { 'content-type': TYPES['.html'] }).end(html);
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((r, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => r());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
