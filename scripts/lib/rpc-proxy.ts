/**
 * A loopback HTTP proxy in front of anvil that counts JSON-RPC round trips (HTTP requests) and
 * the calls inside them, so tests and benches can measure what the SDK really sends.
 */
import { createServer, type Server } from 'node:http';
import { freePort } from './anvil.js';

export interface RpcProxy {
  url: string;
  /** HTTP requests (round trips) since the last reset. */
  requests: number;
  /** JSON-RPC calls (a batch counts each of its calls). */
  calls: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const port = await freePort();
  const state = { requests: 0, calls: [] as string[] };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'POST') {
      state.requests++;
      try {
        const parsed = JSON.parse(body);
        for (const c of Array.isArray(parsed) ? parsed : [parsed]) state.calls.push(c.method);
      } catch {
        /* forwarded as is */
      }
    }
    const upstream = await fetch(target, {
      method: req.method,
      headers: { 'content-type': 'application/json' },
      body: req.method === 'POST' ? body : undefined,
    });
    res.writeHead(upstream.status, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'access-control-allow-headers': '*',
    });
    res.end(await upstream.text());
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get calls() {
      return state.calls;
    },
    reset() {
      state.requests = 0;
      state.calls = [];
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
