/**
 * SDK numbers against anvil: envelope size for a 140-byte text, RPC round trips and time for a
 * page of 50 out of an inbox of 1,000, and decryptions per second. Writes bench/out/sdk.json.
 */
import { encodeFunctionData, type Hex } from 'viem';
import { paidChatAbi } from '../src/sdk/generated/paid-chat.js';
import { createPaidChat } from '../src/sdk/index.js';
import { deriveMessagingKey, keyDerivationMessage } from '../src/sdk/keys.js';
import { sealEnvelope, openEnvelope, ENVELOPE_KIND_MESSAGE } from '../src/sdk/envelope.js';
import { startTestChain, GAS_PRICE } from '../test/support/chain.js';
import { TestWallet } from '../test/support/test-wallet.js';
import { startRpcProxy } from '../test/support/rpc-proxy.js';
import { report } from './lib.js';

const INBOX = 1_000;
const PAGE = 50;

export async function runSdkBench() {
  const tc = await startTestChain();
  const proxy = await startRpcProxy(tc.rpcUrl);
  try {
    const wallet = (i: number) => Object.assign(new TestWallet({ index: i, rpcUrl: tc.rpcUrl, chainId: tc.chain.id }), { authorized: true });
    const creator = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: wallet(1) as any });
    await creator.claimHandle({ handle: 'satoshi', price: '1' });
    // Senders: 4 accounts; the SDK seals each envelope, then raw transactions fill the inbox fast.
    const senders = [2, 3, 4, 5].map((i) => ({ i, chat: createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: wallet(i) as any }) }));
    const creatorProfile = await creator.getProfile('@satoshi');
    const keys = new Map<number, Awaited<ReturnType<typeof deriveMessagingKey>>>();
    for (const s of senders) {
      await s.chat.send({ to: '@satoshi', text: 'hello' }); // registers the key
      const sig = await tc.accounts[s.i].signMessage({
        message: keyDerivationMessage({ chainId: tc.chain.id, contract: tc.contract, account: tc.accounts[s.i].address }),
      });
      keys.set(s.i, deriveMessagingKey(sig));
    }
    const nonces = new Map<number, number>();
    for (const s of senders) nonces.set(s.i, await tc.publicClient.getTransactionCount({ address: tc.accounts[s.i].address }));
    const hashes: Hex[] = [];
    for (let n = senders.length; n < INBOX; n++) {
      const s = senders[n % senders.length];
      const env = sealEnvelope({
        kind: ENVELOPE_KIND_MESSAGE,
        text: `message number ${n} — ${'·'.repeat(n % 40)}`,
        authorKey: keys.get(s.i)!,
        readerPublicKey: creatorProfile.publicKey!,
        context: { chainId: tc.chain.id, contract: tc.contract, author: tc.accounts[s.i].address, reader: creatorProfile.address },
      });
      const nonce = nonces.get(s.i)!;
      nonces.set(s.i, nonce + 1);
      hashes.push(
        await tc.wallet(s.i).sendTransaction({
          to: tc.contract,
          data: encodeFunctionData({ abi: paidChatAbi, functionName: 'sendMessage', args: [creatorProfile.address, 30n * 86_400n, `0x${Buffer.from(env).toString('hex')}`] }),
          value: 10n ** 18n,
          nonce,
          gas: 200_000n,
          type: 'legacy',
          gasPrice: GAS_PRICE,
        } as any),
      );
    }
    await tc.publicClient.waitForTransactionReceipt({ hash: hashes[hashes.length - 1] });

    const reader = createPaidChat({ chain: tc.chain, rpcUrl: proxy.url, contract: tc.contract, wallet: wallet(1) as any });
    await reader.unlock();
    await reader.inbox({ limit: PAGE }); // warm up
    const runs: { ms: number; requests: number }[] = [];
    let cursor: bigint | undefined;
    for (let r = 0; r < 5; r++) {
      proxy.reset();
      const t = performance.now();
      const page = await reader.inbox({ limit: PAGE, cursor });
      runs.push({ ms: performance.now() - t, requests: proxy.requests });
      if (page.items.length !== PAGE || !page.items.every((m) => m.verified)) throw new Error('page not fully decrypted');
      cursor = page.nextCursor;
    }
    const inboxPageMs = Math.round(runs.map((r) => r.ms).sort((a, b) => a - b)[2]);
    const inboxPageRpcRequests = Math.max(...runs.map((r) => r.requests));

    // Decryption throughput (one envelope opened repeatedly, as the inbox does per message).
    const a = keys.get(2)!;
    const env = sealEnvelope({
      kind: ENVELOPE_KIND_MESSAGE,
      text: 'x'.repeat(140),
      authorKey: a,
      readerPublicKey: creatorProfile.publicKey!,
      context: { chainId: tc.chain.id, contract: tc.contract, author: tc.accounts[2].address, reader: creatorProfile.address },
    });
    const creatorSig = await tc.accounts[1].signMessage({
      message: keyDerivationMessage({ chainId: tc.chain.id, contract: tc.contract, account: tc.accounts[1].address }),
    });
    const creatorKey = deriveMessagingKey(creatorSig);
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 2000) {
      openEnvelope({
        envelope: env,
        myKey: creatorKey,
        otherPublicKey: a.publicKey,
        context: { chainId: tc.chain.id, contract: tc.contract, author: tc.accounts[2].address, reader: creatorProfile.address, kind: ENVELOPE_KIND_MESSAGE },
      });
      n++;
    }
    const decryptPerSecond = Math.round(n / ((performance.now() - t0) / 1000));
    const result = { envelopeBytes140: env.length, inboxSize: INBOX, pageSize: PAGE, inboxPageRpcRequests, inboxPageMs, decryptPerSecond, runs };
    report(
      'sdk',
      [
        { metric: 'envelope bytes for a 140-byte text', value: env.length, bar: 'aim ≤ 200' },
        { metric: `RPC round trips, page of ${PAGE} of ${INBOX}`, value: inboxPageRpcRequests, bar: '≤ 4' },
        { metric: `page of ${PAGE} of ${INBOX} (median ms, loopback)`, value: inboxPageMs },
        { metric: 'envelopes decrypted per second', value: decryptPerSecond },
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
