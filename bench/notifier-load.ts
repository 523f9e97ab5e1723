/**
 * Worker thread of the notifier bench: submits pre-signed transactions and watches the head every
 * 10 ms, so that the bench's main thread — which runs the SMTP server — stays responsive. Either
 * paced (`ratePerSecond`: one transaction every 1/rate s, senders interleaved in nonce order) or
 * as a burst (one loop per sender, as fast as anvil takes them). Reports submission and
 * block-seen times (Date.now(), comparable with the main thread's).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPublicClient, http, type Hex } from 'viem';

const { rpcUrl, signed, ratePerSecond } = workerData as { rpcUrl: string; signed: Hex[][]; ratePerSecond?: number };
const client = createPublicClient({ transport: http(rpcUrl, { batch: false }) });
const seenAt: [string, number][] = [];
let watching = true;

let last = await client.getBlockNumber({ cacheTime: 0 });
const watch = (async () => {
  while (watching) {
    const b = await client.getBlockNumber({ cacheTime: 0 });
    if (b > last) {
      const now = Date.now();
      for (let x = last + 1n; x <= b; x++) seenAt.push([x.toString(), now]);
      last = b;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
})();

const submittedAt: [Hex, number][] = [];
const submit = async (raw: Hex) => {
  const t0 = Date.now();
  submittedAt.push([await client.sendRawTransaction({ serializedTransaction: raw }), t0]);
};
const started = Date.now();
if (ratePerSecond) {
  const order: Hex[] = [];
  for (let j = 0; order.length < signed.flat().length; j++) for (const list of signed) if (j < list.length) order.push(list[j]!);
  const gap = 1000 / ratePerSecond;
  for (const [i, raw] of order.entries()) {
    const wait = started + i * gap - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await submit(raw);
  }
} else {
  await Promise.all(signed.map(async (list) => { for (const raw of list) await submit(raw); }));
}
parentPort!.postMessage({ type: 'submitted', started, finished: Date.now() });
parentPort!.once('message', async () => {
  watching = false;
  await watch;
  parentPort!.postMessage({ type: 'done', submittedAt, seenAt });
});
