/**
 * The local demo's web server: the CDN build (/cdn), the demo pages (/demo, their small TypeScript
 * helpers bundled on request with esbuild), the demo's config (/demo-config.json) and a mailbox
 * page (/mailbox) showing what the notifier sent to the local SMTP sink.
 *
 * A bad request never takes it down (it runs inside `npm start` with everything else): a URL it
 * cannot parse or a malformed percent-escape is a 400, a path outside /cdn and /demo a 404, and any
 * other failure a 500 for that request only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
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

  const plain = (res: ServerResponse, status: number, text: string) => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => plain(res, 500, 'internal error'));
  });
  // A request line Node cannot parse at all: answer 400 on the socket instead of dropping it.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    let path: string;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
      path = decodeURIComponent(url.pathname);
    } catch {
      return plain(res, 400, 'bad request: malformed URL or percent-escape');
    }
    if (path.includes('\0')) return plain(res, 400, 'bad request');
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
      else return plain(res, 404, 'not found');
      if (!file.startsWith(join(root, 'cdn') + sep) && !file.startsWith(join(root, 'demo') + sep) && file !== join(root, 'demo')) {
        return plain(res, 404, 'not found');
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
      plain(res, 404, 'not found');
    }
  }
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
