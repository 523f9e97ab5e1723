/**
 * Worker thread of the notifier bench: submits pre-signed raw transactions at a given rate (in
 * JSON-RPC batches every 20 ms, senders interleaved so each sender's nonces arrive in order) and
 * watches the head every 10 ms, so that the bench's main thread — which runs the SMTP sink and the
 * webhook receiver — stays responsive. Reports when each block was first seen (Date.now(),
 * comparable with the main thread's clock).
 */
import { parentPort, workerData } from 'node:worker_threads';

const { rpcUrl, order, ratePerSecond } = workerData as { rpcUrl: string; order: string[]; ratePerSecond: number };

let id = 0;
async function rpc(body: unknown): Promise<any> {
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}
const blockNumber = async () => Number.parseInt((await rpc({ jsonrpc: '2.0', id: ++id, method: 'eth_blockNumber', params: [] })).result, 16);

const seenAt: [number, number][] = [];
let watching = true;
let last = await blockNumber();
const watch = (async () => {
  while (watching) {
    try {
      const b = await blockNumber();
      if (b > last) {
        const now = Date.now();
        for (let x = last + 1; x <= b; x++) seenAt.push([x, now]);
        last = b;
      }
    } catch {
      /* anvil busy: try again */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
})();

const started = Date.now();
const tickMs = 20;
const errors: string[] = [];
let sent = 0;
const inflight: Promise<void>[] = [];
for (let tick = 0; sent < order.length; tick++) {
  const due = Math.min(order.length, Math.round(((tick + 1) * tickMs * ratePerSecond) / 1000));
  const batch = order.slice(sent, due).map((raw) => ({ jsonrpc: '2.0', id: ++id, method: 'eth_sendRawTransaction', params: [raw] }));
  sent = due;
  if (batch.length) {
    inflight.push(
      rpc(batch).then(
        (rs: any[]) => {
          for (const r of rs) if (r.error) errors.push(r.error.message);
        },
        (e) => void errors.push(String(e)),
      ),
    );
  }
  const wait = started + (tick + 1) * tickMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
await Promise.all(inflight);
parentPort!.postMessage({ type: 'submitted', started, finished: Date.now(), errors: errors.slice(0, 10), errorCount: errors.length });
parentPort!.once('message', async () => {
  watching = false;
  await watch;
  parentPort!.postMessage({ type: 'done', seenAt });
});
