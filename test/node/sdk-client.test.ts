/**
 * The SDK against a real anvil (Istanbul rules) and the real contract: the whole story, every
 * typed error, hostile envelopes, one1 input, and how many RPC round trips a page costs.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseEther, type Hex } from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import {
  createPaidChat,
  PaidChatError,
  toOneAddress,
  type PaidChat,
  type PaidChatErrorCode,
} from '../../src/sdk/index.js';
import { startTestChain, GAS_PRICE, type TestChain } from '../support/chain.js';
import { TestWallet } from '../support/test-wallet.js';
import { startRpcProxy, type RpcProxy } from '../support/rpc-proxy.js';
import { freePort } from '../../scripts/lib/anvil.js';

let tc: TestChain;
let proxy: RpcProxy;
const ONE = (n: string) => parseEther(n);

async function rejects(p: Promise<unknown> | (() => unknown), code: PaidChatErrorCode, match?: RegExp): Promise<PaidChatError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof PaidChatError, `expected PaidChatError ${code}, got ${e}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (match) assert.match(e.message, match);
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

/**
 * A client for dev account i through an EIP-1193 wallet (as in a browser), already granted the
 * account (as after "Connect"), unless `connected` is false.
 */
function clientFor(i: number, extra: Partial<Parameters<typeof createPaidChat>[0]> = {}, connected = true): { chat: PaidChat; wallet: TestWallet } {
  const wallet = new TestWallet({ index: i, rpcUrl: tc.rpcUrl, chainId: tc.chain.id });
  wallet.authorized = connected;
  const chat = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: wallet as any, ...extra });
  return { chat, wallet };
}

async function gasCost(hash: Hex) {
  const r = await tc.publicClient.getTransactionReceipt({ hash });
  return r.gasUsed * r.effectiveGasPrice;
}

before(async () => {
  tc = await startTestChain();
  proxy = await startRpcProxy(tc.rpcUrl);
});
after(async () => {
  await proxy?.close();
  await tc?.stop();
});

describe('the whole story', () => {
  test('@satoshi claims, an admirer pays 10 ONE, satoshi reads it verified and replies OK, coins move exactly; a second message is refunded', async () => {
    const { chat: satoshi } = clientFor(1);
    const { chat: admirer } = clientFor(2);
    await satoshi.connect();
    await satoshi.claimHandle({ handle: '@Satoshi', price: '10' });
    const profile = await admirer.getProfile('@satoshi');
    assert.equal(profile.handle, 'satoshi');
    assert.equal(profile.price, ONE('10'));
    assert.equal(profile.window, 7 * 86_400);
    await admirer.claimHandle({ handle: 'satoshi-admirer', price: '0' });

    const sent = await admirer.send({ to: '@satoshi', text: 'Hi satoshi 👋 — what was the first block like?' });
    assert.equal(typeof sent.id, 'bigint');

    const inbox = await satoshi.inbox();
    assert.equal(inbox.items.length, 1);
    const m = inbox.items[0];
    assert.equal(m.text, 'Hi satoshi 👋 — what was the first block like?');
    assert.equal(m.verified, true);
    assert.equal(m.senderHandle, 'satoshi-admirer');
    assert.equal(m.status, 'waiting');
    assert.equal(m.amount, ONE('10'));

    const satoshiBefore = await tc.publicClient.getBalance({ address: tc.accounts[1].address });
    const feesBefore = (await tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName: 'accruedFees' })) as bigint;
    const r = await satoshi.reply({ id: m.id, text: 'OK' });
    const satoshiAfter = await tc.publicClient.getBalance({ address: tc.accounts[1].address });
    const feesAfter = (await tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName: 'accruedFees' })) as bigint;
    assert.equal(satoshiAfter - satoshiBefore + (await gasCost(r.txHash)), ONE('9.9'));
    assert.equal(feesAfter - feesBefore, ONE('0.1'));

    const outbox = await admirer.outbox();
    assert.equal(outbox.items[0].status, 'replied');
    assert.equal(outbox.items[0].text, 'Hi satoshi 👋 — what was the first block like?');
    assert.equal(outbox.items[0].reply, 'OK');
    assert.equal(outbox.items[0].recipientHandle, 'satoshi');

    // A second message goes unanswered and is refunded after the window.
    const second = await admirer.send({ to: 'satoshi', text: 'Still there?', amount: '12.5' });
    await rejects(admirer.refund(second.id), 'NOT_YET_REFUNDABLE');
    await tc.increaseTime(7 * 86_400);
    await rejects(satoshi.reply({ id: second.id, text: 'late' }), 'REPLY_WINDOW_CLOSED');
    const before = await tc.publicClient.getBalance({ address: tc.accounts[2].address });
    const rf = await admirer.refund(second.id);
    const afterBal = await tc.publicClient.getBalance({ address: tc.accounts[2].address });
    assert.equal(afterBal - before + (await gasCost(rf.txHash)), ONE('12.5'));
    await rejects(admirer.refund(second.id), 'ALREADY_SETTLED');
    const [latest] = (await admirer.outbox()).items;
    assert.equal(latest.status, 'refunded');
    assert.equal(latest.text, 'Still there?');
    assert.ok(latest.deadline > 0n, 'deadline of a settled message comes from its MessageSent log');
  });

  test('a first-time sender registers its key in the same transaction as its first send', async () => {
    const { chat, wallet } = clientFor(3);
    await chat.connect();
    const sent = await chat.send({ to: '@satoshi', text: 'first time here' });
    const tx = await tc.publicClient.getTransaction({ hash: sent.txHash });
    assert.equal(tx.type, 'legacy');
    assert.ok(tx.gasPrice! >= 100_000_000_000n);
    const sends = wallet.calls.filter((c) => c === 'eth_sendTransaction').length;
    assert.equal(sends, 1, 'one transaction: registerKeyAndSend');
    assert.equal((await chat.getProfileByAddress(tc.accounts[3].address)).hasKey, true);
  });

  test('one1 addresses are accepted wherever an address is', async () => {
    const { chat } = clientFor(3);
    const one = toOneAddress(tc.accounts[1].address);
    assert.match(one, /^one1/);
    const p = await chat.getProfile(one);
    assert.equal(p.handle, 'satoshi');
    const sent = await chat.send({ to: one, text: 'via one1' });
    assert.ok(sent.id > 0n);
  });
});

describe('typed errors', () => {
  test('text limits are checked before any wallet prompt', async () => {
    const { chat, wallet } = clientFor(4, {}, false);
    const e = await rejects(chat.send({ to: '@satoshi', text: 'x'.repeat(141) }), 'MESSAGE_TOO_LONG', /141 bytes/);
    assert.equal(e.details.bytes, 141);
    await rejects(chat.send({ to: '@satoshi', text: '😀'.repeat(35) + 'x' }), 'MESSAGE_TOO_LONG', /141/);
    await rejects(chat.send({ to: '@satoshi', text: '   ' }), 'MESSAGE_EMPTY');
    assert.deepEqual(wallet.calls, [], 'the wallet was never asked');
  });

  test('handles: malformed, taken, unknown, one per address', async () => {
    const { chat } = clientFor(4);
    await rejects(chat.claimHandle({ handle: 'ab', price: '1' }), 'HANDLE_INVALID');
    await rejects(chat.claimHandle({ handle: '@Sa toshi', price: '1' }), 'HANDLE_INVALID');
    await rejects(chat.claimHandle({ handle: '@satoshi', price: '1' }), 'HANDLE_TAKEN');
    await rejects(chat.getProfile('@nobody-here'), 'HANDLE_NOT_FOUND');
    await rejects(chat.send({ to: '@nobody-here', text: 'hi' }), 'HANDLE_NOT_FOUND');
    const { chat: satoshi } = clientFor(1);
    await rejects(satoshi.claimHandle({ handle: 'another', price: '1' }), 'ALREADY_HAS_HANDLE');
    await rejects(chat.claimHandle({ handle: 'okhandle', price: '1', window: 60 }), 'WINDOW_OUT_OF_RANGE');
    await rejects(chat.claimHandle({ handle: 'okhandle', price: '-1' }), 'AMOUNT_INVALID');
  });

  test('price too low, self message, not recipient, unknown message', async () => {
    const { chat } = clientFor(4);
    const e = await rejects(chat.send({ to: '@satoshi', text: 'cheap', amount: '9.99' }), 'PRICE_TOO_LOW', /at least 10 ONE/);
    assert.equal(e.details.required, ONE('10'));
    const { chat: satoshi } = clientFor(1);
    await rejects(satoshi.send({ to: '@satoshi', text: 'me' }), 'SELF_MESSAGE');
    const { chat: admirer } = clientFor(2);
    const sent = await admirer.send({ to: '@satoshi', text: 'for satoshi only' });
    await rejects(chat.reply({ id: sent.id, text: 'not mine' }), 'NOT_RECIPIENT');
    await rejects(chat.getMessage(123456n), 'MESSAGE_NOT_FOUND');
  });

  test('the contract itself refuses what a stale client would let through (price raised after reading)', async () => {
    const { chat: admirer } = clientFor(2);
    const { chat: satoshi } = clientFor(1);
    await satoshi.updateProfile({ price: '20' });
    try {
      // Bypass the client's own check by sending the old price straight to the contract.
      await assert.rejects(
        tc.wallet(2).writeContract({
          address: tc.contract,
          abi: paidChatAbi,
          functionName: 'sendMessage',
          args: [tc.accounts[1].address, 7n * 86_400n, '0x0101'],
          value: ONE('10'),
          type: 'legacy',
          gasPrice: GAS_PRICE,
        } as any),
        /PriceTooLow/,
      );
      await rejects(admirer.send({ to: '@satoshi', text: 'hi', amount: '10' }), 'PRICE_TOO_LOW');
    } finally {
      await satoshi.updateProfile({ price: '10' });
    }
  });

  test('wrong chain: a specific error, then switchChain fixes it', async () => {
    const { chat, wallet } = clientFor(2);
    wallet.chainId = 1666600000;
    wallet.knownChains.add(1666600000);
    wallet.knownChains.delete(tc.chain.id);
    await rejects(chat.send({ to: '@satoshi', text: 'hi' }), 'WRONG_CHAIN', /switch/i);
    await chat.switchChain(); // unknown to the wallet: 4902 → wallet_addEthereumChain
    assert.equal(wallet.chainId, tc.chain.id);
    assert.ok(wallet.calls.includes('wallet_addEthereumChain'));
  });

  test('a rejected wallet prompt is USER_REJECTED and nothing is sent', async () => {
    const { chat, wallet } = clientFor(2);
    await chat.unlock();
    const count = await tc.publicClient.getTransactionCount({ address: tc.accounts[2].address });
    wallet.rejectNext(1);
    await rejects(chat.send({ to: '@satoshi', text: 'maybe' }), 'USER_REJECTED', /declined/);
    assert.equal(await tc.publicClient.getTransactionCount({ address: tc.accounts[2].address }), count);
    const fresh = clientFor(5);
    fresh.wallet.rejectNext(1);
    await rejects(fresh.chat.unlock(), 'USER_REJECTED');
  });

  test('key mismatch: a key registered on chain that this wallet does not derive is never overwritten', async () => {
    const { chat } = clientFor(6);
    const hash = await tc.wallet(6).writeContract({
      address: tc.contract,
      abi: paidChatAbi,
      functionName: 'registerKey',
      args: ['0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 2],
      type: 'legacy',
      gasPrice: GAS_PRICE,
    } as any);
    await tc.publicClient.waitForTransactionReceipt({ hash });
    await rejects(chat.unlock(), 'KEY_MISMATCH');
    await rejects(chat.send({ to: '@satoshi', text: 'hi' }), 'KEY_MISMATCH');
    const p = await chat.getProfileByAddress(tc.accounts[6].address);
    assert.equal(p.hasKey, true, 'still the key that was registered');
  });

  test('export and import of the messaging key', async () => {
    const { chat } = clientFor(2);
    await chat.unlock();
    const backup = chat.exportKey();
    const { chat: again } = clientFor(2);
    await again.importKey(backup);
    assert.equal(again.unlocked, true);
    const { chat: other } = clientFor(3);
    await rejects(other.importKey(backup), 'KEY_MISMATCH');
    await rejects(clientFor(4).chat.importKey('not a key'), 'KEY_INVALID');
  });

  test('an RPC that is down: bounded retries with backoff, reported, then RPC_UNAVAILABLE', async () => {
    const port = await freePort();
    const retries: number[] = [];
    const chat = createPaidChat({
      chain: tc.chain,
      rpcUrl: `http://127.0.0.1:${port}`,
      contract: tc.contract,
      retry: { attempts: 3, baseDelayMs: 20, onRetry: (i) => retries.push(i.delayMs) },
    });
    await rejects(chat.getProfile('@satoshi'), 'RPC_UNAVAILABLE', /tried 3 times/);
    assert.deepEqual(retries, [20, 40]);
  });
});

describe('hostile envelopes from the chain', () => {
  test('a ciphertext copied into someone else\'s transaction does not verify; garbage does not crash', async () => {
    const { chat: satoshi } = clientFor(1);
    const { chat: admirer } = clientFor(2);
    const original = await admirer.send({ to: '@satoshi', text: 'the real one' });
    const log = (await tc.publicClient.getContractEvents({
      address: tc.contract,
      abi: paidChatAbi,
      eventName: 'MessageSent',
      args: { id: original.id },
      fromBlock: original.blockNumber,
      toBlock: original.blockNumber,
    })) as any[];
    const envelope = log[0].args.envelope as Hex;
    // Mallory registers the admirer's public key as her own and replays the envelope.
    const admirerProfile = await satoshi.getProfileByAddress(tc.accounts[2].address);
    const keyHex = ('0x' + Buffer.from(admirerProfile.publicKey!.slice(1)).toString('hex')) as Hex;
    const mallory = tc.wallet(7);
    for (const [functionName, args, value] of [
      ['registerKey', [keyHex, admirerProfile.publicKey![0]], 0n],
      ['sendMessage', [tc.accounts[1].address, 7n * 86_400n, envelope], ONE('10')],
      ['sendMessage', [tc.accounts[1].address, 7n * 86_400n, '0x01'], ONE('10')],
      ['sendMessage', [tc.accounts[1].address, 7n * 86_400n, '0x09' + 'ab'.repeat(60)], ONE('10')],
    ] as const) {
      const hash = await mallory.writeContract({ address: tc.contract, abi: paidChatAbi, functionName, args, value, type: 'legacy', gasPrice: GAS_PRICE } as any);
      await tc.publicClient.waitForTransactionReceipt({ hash });
    }
    await satoshi.unlock();
    const { items } = await satoshi.inbox({ limit: 4 });
    const fromMallory = items.filter((m) => m.sender.toLowerCase() === tc.accounts[7].address.toLowerCase());
    assert.equal(fromMallory.length, 3);
    for (const m of fromMallory) {
      assert.equal(m.verified, false);
      assert.equal(m.text, undefined);
      assert.ok(m.error instanceof PaidChatError);
    }
    const real = items.find((m) => m.id === original.id)!;
    assert.equal(real.text, 'the real one');
    assert.equal(real.verified, true);
  });
});

describe('reading is cheap', () => {
  test('a page of 50 from an inbox of 120 costs at most 4 RPC round trips', async () => {
    // A fresh recipient with 120 messages from 3 senders.
    const rcpt = clientFor(8);
    await rcpt.chat.claimHandle({ handle: 'busy', price: '0' });
    const senders = [2, 3, 4].map((i) => clientFor(i).chat);
    await senders[2].unlock().catch(() => undefined);
    for (let i = 0; i < 120; i++) await senders[i % 3].send({ to: '@busy', text: `message ${i}` });
    const reader = createPaidChat({ chain: tc.chain, rpcUrl: proxy.url, contract: tc.contract, wallet: rcpt.wallet as any });
    await reader.unlock();
    proxy.reset();
    const page = await reader.inbox({ limit: 50 });
    assert.equal(page.items.length, 50);
    assert.equal(page.items[0].text, 'message 119');
    assert.ok(page.items.every((m) => m.verified));
    assert.ok(proxy.requests <= 4, `${proxy.requests} round trips: ${proxy.calls.join(', ')}`);
    const next = await reader.inbox({ limit: 50, cursor: page.nextCursor });
    assert.equal(next.items[0].text, 'message 69');
  });

  test('watch reports new messages, replies and refunds for an account', async () => {
    const { chat: satoshi } = clientFor(1);
    const { chat: admirer } = clientFor(2);
    const seen: string[] = [];
    const stop = satoshi.watch({ account: tc.accounts[1].address, pollingIntervalMs: 50, onEvent: (e) => seen.push(e.type) });
    try {
      await new Promise((r) => setTimeout(r, 120));
      const s = await admirer.send({ to: '@satoshi', text: 'watch me' });
      await satoshi.reply({ id: s.id, text: 'seen' });
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen.slice(0, 2), ['message', 'reply']);
    } finally {
      stop();
    }
  });
});
