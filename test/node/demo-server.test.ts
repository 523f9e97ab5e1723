/**
 * The local demo's web server (part of `npm start`) answers every bad request with a 400 or 404 and
 * keeps running: a malformed percent-escape, a request line Node cannot parse, a NUL byte, a path out
 * of its folders. (It used to crash on the first malformed escape and take `npm start` down.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startDemoServer, type DemoServer } from '../../scripts/lib/demo-server.js';

let server: DemoServer;

before(async () => {
  server = await startDemoServer({ port: 0, config: { hello: 'demo' } });
});
after(async () => {
  await server?.close();
});

/** One raw request (fetch() normalises or refuses these); resolves to the status line. */
function raw(line: string): Promise<string> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.end(`${line}\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('end', () => resolve(out.split('\r\n')[0] ?? ''));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  });
}

test('malformed escapes, NUL bytes and unknown paths get 400/404; the server stays up', async () => {
  const cases: [string, number][] = [
    ['/%E0%A4%A', 400],
    ['/cdn/%zz.js', 400],
    ['/demo/%', 400],
    ['/cdn/a%00b.js', 400],
    ['/nope', 404],
    ['/cdn/missing.js', 404],
    ['/cdn/..%2F..%2Fpackage.json', 404],
    ['/demo/..%2Fpackage.json', 404],
  ];
  for (const [path, status] of cases) {
    const r = await fetch(`${server.url}${path}`);
    assert.equal(r.status, status, path);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
  }
  for (const [line, status] of [
    ['GET /%%% HTTP/1.1', /^HTTP\/1\.1 400/],
    ['GET /cdn/../../package.json HTTP/1.1', /^HTTP\/1\.1 404/],
    ['GET \u0000 HTTP/1.1', /^HTTP\/1\.1 400/],
    ['NOT A REQUEST', /^HTTP\/1\.1 400/],
  ] as const) {
    assert.match(await raw(line), status, line);
  }
  const ok = await fetch(`${server.url}/demo-config.json`);
  assert.equal(ok.status, 200, 'still serving');
  assert.deepEqual(await ok.json(), { hello: 'demo' });
});
