/**
 * SDK numbers against anvil: envelope sizes (1- and 140-byte texts), RPC round trips and time for
 * a page of 50 out of an inbox of 1,000 and out of a 1,000-entry conversation, and envelopes opened
 * per second. Writes bench/out/sdk.json.
 */
import type { Address, Hex } from 'viem';
import { createPaidChat, Keyring, memoryKeyStore, type PaidChat } from '../src/sdk/index.js';
import { ENVELOPE_KIND, openEnvelope, sealEnvelope } from '../src/sdk/envelope.js';
import { generateMessagingKey, type MessagingKey } from '../src/sdk/keys.js';
import { startTestChain } from '../scripts/lib/chain.js';
import { TestWallet } from '../scripts/lib/test-wallet.js';
import { startRpcProxy, type RpcProxy } from '../scripts/lib/rpc-proxy.js';
import { fillConversation, rawSender } from '../scripts/lib/fill-conversation.js';
import { report } from './lib.js';

const SIZE = 1_000;
const PAGE = 50;
const SITE = 'https://bench.example';

async function measurePages(proxy: RpcProxy, read: (cursor: any) => Promise<{ next: any; ok: boolean }>) {
  await read(undefined); // warm up (scope checks, caches)
  const runs: { ms: number; requests: number }[] = [];
  let cursor: any;
  for (let r = 0; r < 5; r++) {
    proxy.reset();
    const t = performance.now();
    const { next, ok } = await read(cursor);
    runs.push({ ms: performance.now() - t, requests: proxy.requests });
    if (!ok) throw new Error('page not fully opened');
    cursor = next;
  }
  return { ms: Math.round(runs.map((r) => r.ms).sort((a, b) => a - b)[2]!), requests: Math.max(...runs.map((r) => r.requests)), runs };
}

export async function runSdkBench() {
  const tc = await startTestChain();
  const proxy = await startRpcProxy(tc.rpcUrl);
  try {
    const wallet = (i: number) => Object.assign(new TestWallet({ index: i, rpcUrl: tc.rpcUrl, chainId: tc.chain.id }), { authorized: true });
    const creatorStore = memoryKeyStore();
    const client = (i: number, rpcUrl?: string): PaidChat =>
      createPaidChat({ chain: tc.chain, rpcUrl, contract: tc.contract, wallet: wallet(i) as any, keyStore: i === 1 ? creatorStore : memoryKeyStore(), scope: { handle: 'satoshi', origin: SITE } });
    const creator = client(1);
    await creator.claimHandle({ handle: 'satoshi', price: '0' });
    const profile = await creator.getProfile('@satoshi');
    const creatorKey = (await new Keyring(creatorStore, { chainId: tc.chain.id, contract: tc.contract, account: profile.address }).inboxKey(1))!;
    const ctx = { chainId: tc.chain.id, contract: tc.contract };

    // Envelope sizes.
    const { key: someone } = await generateMessagingKey();
    const seal = (text: string) =>
      sealEnvelope({ kind: ENVELOPE_KIND.message, text, authorKey: someone, readerPublicKey: profile.publicKey!, keyId: 1, context: { ...ctx, author: tc.accounts[2]!.address, reader: profile.address } });
    const envelopeBytes1 = (await seal('x')).length;
    const envelopeBytes140 = (await seal('x'.repeat(140))).length;

    // An inbox of 1,000 from 4 senders, sealed by the SDK, sent as raw transactions.
    const senders = [2, 3, 4, 5].map((i) => ({ i, send: rawSender(tc, i) }));
    const senderKeys = new Map<number, MessagingKey>();
    for (const s of senders) senderKeys.set(s.i, (await generateMessagingKey()).key);
    let last: Hex | undefined;
    for (let n = 0; n < SIZE; n++) {
      const s = senders[n % senders.length]!;
      const env = await sealEnvelope({
        kind: ENVELOPE_KIND.message,
        text: `message number ${n} — ${'·'.repeat(n % 40)}`,
        authorKey: senderKeys.get(s.i)!,
        readerPublicKey: profile.publicKey!,
        keyId: 1,
        context: { ...ctx, author: tc.accounts[s.i]!.address, reader: profile.address },
      });
      last = await s.send('sendMessage', [profile.address, 30n * 86_400n, `0x${Buffer.from(env).toString('hex')}`]);
    }
    await tc.publicClient.waitForTransactionReceipt({ hash: last! });
    const reader = client(1, proxy.url);
    const inbox = await measurePages(proxy, async (cursor) => {
      const page = await reader.inbox({ limit: PAGE, cursor });
      return { next: page.nextCursor, ok: page.items.length === PAGE && page.items.every((m) => m.verified) };
    });

    // A conversation of 1,000 entries: a paid message, its reply, then follow-ups from both sides.
    const visitor = client(6);
    const v = tc.accounts[6]!.address as Address;
    const first = await visitor.send({ to: '@satoshi', text: 'opening question' });
    await creator.reply({ id: first.id, text: 'OK' });
    await fillConversation(tc, { first, visitorIndex: 6, creatorIndex: 1, creator: { address: profile.address, keyId: 1, publicKey: profile.publicKey!, key: creatorKey }, count: SIZE - 2 });
    const thread = await measurePages(proxy, async (cursor) => {
      const page = await reader.conversation({ with: v, limit: PAGE, cursor });
      return { next: page.cursor, ok: page.entries.length === PAGE && page.entries.every((e) => (e.type === 'message' ? e.message.verified : e.followUp.verified)) };
    });

    // Envelopes opened per second (a fresh salt each, as on chain; shared secrets cached per key, as in a page).
    const envs = await Promise.all(Array.from({ length: 200 }, (_, i) => seal(`text ${i} ${'x'.repeat(120)}`)));
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 2000) {
      await openEnvelope({ envelope: envs[n % envs.length]!, kind: ENVELOPE_KIND.message, myKey: creatorKey, otherPublicKey: someone.publicKey, context: { ...ctx, author: tc.accounts[2]!.address, reader: profile.address } });
      n++;
    }
    const openPerSecond = Math.round(n / ((performance.now() - t0) / 1000));

    const result = {
      envelopeBytes1,
      envelopeBytes140,
      inboxSize: SIZE,
      pageSize: PAGE,
      inboxPageRpcRequests: inbox.requests,
      inboxPageMs: inbox.ms,
      threadSize: SIZE,
      threadPageRpcRequests: thread.requests,
      threadPageMs: thread.ms,
      openPerSecond,
      runs: { inbox: inbox.runs, thread: thread.runs },
    };
    report(
      'sdk',
      [
        { metric: 'envelope bytes, 1-byte text', value: envelopeBytes1, bar: '= 140-byte', met: envelopeBytes1 === envelopeBytes140 },
        { metric: 'envelope bytes, 140-byte text', value: envelopeBytes140 },
        { metric: `RPC round trips, page of ${PAGE} of a ${SIZE}-message inbox`, value: inbox.requests, bar: '≤ 2', met: inbox.requests <= 2 },
        { metric: `inbox page (median ms, loopback)`, value: inbox.ms },
        { metric: `RPC round trips, page of ${PAGE} of a ${SIZE}-entry conversation`, value: thread.requests, bar: '≤ 2', met: thread.requests <= 2 },
        { metric: `conversation page (median ms, loopback)`, value: thread.ms },
        { metric: 'envelopes opened per second', value: openPerSecond },
      ],
      result,
    );
    return result;
  } finally {
    await proxy.close();
    await tc.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runSdkBench();
