/**
 * The SDK against a real anvil (Istanbul rules) and the real contract: the whole story, threads,
 * keys (rotation, backup, restore, lost keys), what a scoped page may hold, every typed error,
 * hostile envelopes, and how many RPC round trips a page costs.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { custom, http, parseEther, toHex, type Address, type Hex, type Transport } from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import {
  createPaidChat,
  memoryKeyStore,
  PaidChatError,
  toOneAddress,
  toPaidChatError,
  Keyring,
  type KeyStore,
  type PaidChat,
  type PaidChatErrorCode,
  type PaidChatOptions,
} from '../../src/sdk/index.js';
import { startTestChain, GAS_PRICE, type TestChain } from '../support/chain.js';
import { TestWallet } from '../support/test-wallet.js';
import { startRpcProxy, type RpcProxy } from '../support/rpc-proxy.js';
import { freePort } from '../../scripts/lib/anvil.js';
import { createSafe } from '../support/safe.js';
import { fillConversation } from '../../scripts/lib/fill-conversation.js';

let tc: TestChain;
let proxy: RpcProxy;
const ONE = (n: string) => parseEther(n);
const PASS = 'correct horse battery staple';
const CHEAP = { cost: { N: 1024 } };
const SITE = 'https://satoshi.example';

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

/** One device: its key store survives across the clients made for it (like one browser's IndexedDB). */
const devices = new Map<string, KeyStore>();
const device = (name: string) => {
  let s = devices.get(name);
  if (!s) devices.set(name, (s = memoryKeyStore()));
  return s;
};

/** A client for dev account i through an EIP-1193 wallet, already granted the account, on device `dev`. */
function clientFor(i: number, extra: Partial<PaidChatOptions> & { dev?: string } = {}, connected = true): { chat: PaidChat; wallet: TestWallet } {
  const wallet = new TestWallet({ index: i, rpcUrl: tc.rpcUrl, chainId: tc.chain.id });
  wallet.authorized = connected;
  const { dev, ...opts } = extra;
  const chat = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: wallet as any, keyStore: device(dev ?? `account-${i}`), ...opts });
  return { chat, wallet };
}

async function gasCost(hash: Hex) {
  const r = await tc.publicClient.getTransactionReceipt({ hash });
  return r.gasUsed * r.effectiveGasPrice;
}

const balance = (i: number) => tc.publicClient.getBalance({ address: tc.accounts[i]!.address });
const raw = async (from: number, functionName: string, args: readonly unknown[], value = 0n) => {
  const hash = await tc.wallet(from).writeContract({ address: tc.contract, abi: paidChatAbi, functionName, args, value, type: 'legacy', gasPrice: GAS_PRICE } as any);
  return tc.publicClient.waitForTransactionReceipt({ hash });
};

before(async () => {
  tc = await startTestChain();
  proxy = await startRpcProxy(tc.rpcUrl);
});
after(async () => {
  await proxy?.close();
  await tc?.stop();
});

describe('the whole story', () => {
  test('claim, a paid message read verified, reply OK with exact payouts, the conversation for both, refund after the window; no signature is ever asked', async () => {
    const { chat: satoshi, wallet: sw } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const { chat: admirer, wallet: aw } = clientFor(2, { scope: { handle: '@satoshi' } });
    const claim = await satoshi.claimHandle({ handle: '@Satoshi', price: '10' });
    assert.equal(claim.keyId, 1);
    assert.deepEqual(await satoshi.sitesOf(tc.accounts[1].address), [SITE]);
    const profile = await admirer.getProfile('@satoshi');
    assert.deepEqual([profile.handle, profile.price, profile.window, profile.keyId, profile.hasKey], ['satoshi', ONE('10'), 7 * 86_400, 1, true]);

    const sent = await admirer.send({ to: '@satoshi', text: 'Hi satoshi 👋 — what was the first block like?' });
    assert.equal(sent.thread, 1);
    const [m] = (await satoshi.inbox()).items;
    assert.deepEqual([m!.text, m!.verified, m!.readState, m!.status, m!.amount, m!.payout, m!.keyId], [
      'Hi satoshi 👋 — what was the first block like?',
      true,
      'ok',
      'waiting',
      ONE('10'),
      ONE('9.9'),
      1,
    ]);

    const before = await balance(1);
    const fees = (await tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName: 'accruedFees' })) as bigint;
    const r = await satoshi.reply({ id: m!.id, text: 'OK' });
    assert.equal((await balance(1)) - before + (await gasCost(r.txHash)), ONE('9.9'));
    assert.equal(((await tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName: 'accruedFees' })) as bigint) - fees, ONE('0.1'));

    const conv = await admirer.conversation({ with: '@satoshi' });
    assert.equal(conv.thread?.open, true);
    const e = conv.entries[0]!;
    assert.ok(e.type === 'message');
    assert.deepEqual([e.message.text, e.message.reply, e.message.status, e.message.verified], ['Hi satoshi 👋 — what was the first block like?', 'OK', 'replied', true]);

    const second = await admirer.send({ to: 'satoshi', text: 'Still there?', amount: '12.5' });
    await rejects(admirer.refund(second.id), 'NOT_YET_REFUNDABLE');
    await tc.increaseTime(7 * 86_400);
    await rejects(satoshi.reply({ id: second.id, text: 'late' }), 'REPLY_WINDOW_CLOSED');
    const b2 = await balance(2);
    const rf = await admirer.refund(second.id);
    assert.equal((await balance(2)) - b2 + (await gasCost(rf.txHash)), ONE('12.5'));
    await rejects(admirer.refund(second.id), 'ALREADY_SETTLED');
    const latest = (await admirer.conversation({ with: '@satoshi' })).entries.at(-1)!;
    assert.ok(latest.type === 'message');
    assert.deepEqual([latest.message.status, latest.message.text], ['refunded', 'Still there?']);
    for (const w of [sw, aw]) {
      assert.ok(!w.calls.some((c) => c === 'personal_sign' || c.startsWith('eth_signTypedData')), `no signature was asked: ${w.calls.join(',')}`);
    }
    const tx = await tc.publicClient.getTransaction({ hash: sent.txHash });
    assert.equal(tx.type, 'legacy');
    assert.ok(tx.gasPrice! >= 100_000_000_000n);
  });

  test('follow-ups after a reply, a follow-up price paid out at once minus the fee, close, and reopening', async () => {
    const { chat: satoshi } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const { chat: fan } = clientFor(3, { scope: { handle: '@satoshi' } });
    const visitor = tc.accounts[3].address;
    const first = await fan.send({ to: '@satoshi', text: 'question' });
    await rejects(fan.postFollowUp({ with: '@satoshi', text: 'too early' }), 'THREAD_NOT_OPEN');
    await satoshi.reply({ id: first.id, text: 'answer' });
    await fan.postFollowUp({ with: '@satoshi', text: 'thanks, and…' });
    await satoshi.postFollowUp({ with: visitor, text: 'you are welcome' });
    await satoshi.updateProfile({ followUpPrice: '2' });
    await rejects(fan.postFollowUp({ with: '@satoshi', text: 'cheap', amount: '1' }), 'PRICE_TOO_LOW');
    const b = await balance(1);
    const paid = await fan.postFollowUp({ with: '@satoshi', text: 'worth it' });
    assert.equal((await balance(1)) - b, ONE('1.98'));
    assert.equal(paid.index, 2);
    await rejects(satoshi.postFollowUp({ with: visitor, text: 'gift', amount: '1' }), 'VALUE_NOT_ACCEPTED');
    for (const reader of [fan, satoshi]) {
      const page = await reader.conversation({ with: reader === fan ? '@satoshi' : visitor });
      const shown = page.entries.map((x) => (x.type === 'message' ? `m:${x.message.text}/${x.message.reply}` : `${x.followUp.by}:${x.followUp.text}:${x.followUp.readState}`));
      assert.deepEqual(shown, ['m:question/answer', 'visitor:thanks, and…:ok', 'creator:you are welcome:ok', 'visitor:worth it:ok']);
    }
    await fan.closeThread({ with: '@satoshi' });
    await rejects(satoshi.postFollowUp({ with: visitor, text: 'closed?' }), 'THREAD_NOT_OPEN');
    const again = await fan.send({ to: '@satoshi', text: 'new question' });
    await satoshi.reply({ id: again.id, text: 'new answer' });
    await satoshi.postFollowUp({ with: visitor, text: 'open again' });
    await satoshi.updateProfile({ followUpPrice: '0' });
  });

  test('one1 addresses are accepted wherever an address is', async () => {
    const { chat } = clientFor(4);
    const one = toOneAddress(tc.accounts[1].address);
    assert.match(one, /^one1/);
    assert.equal((await chat.getProfile(one)).handle, 'satoshi');
    assert.ok((await chat.send({ to: one, text: 'via one1' })).id > 0n);
  });
});

describe('keys: rotation, backup, restore, lost keys', () => {
  test('rotation keeps history readable where the old key is kept; a fresh device reads only after a restore; a lost key is labelled', async () => {
    const { chat: alice } = clientFor(5, { dev: 'alice-laptop', scope: { handle: '@alice', origin: SITE } });
    const { chat: bob } = clientFor(6, { scope: { handle: '@alice' } });
    await alice.claimHandle({ handle: 'alice', price: '0' });
    await alice.setBackupPassphrase(PASS, CHEAP);
    const m1 = await bob.send({ to: '@alice', text: 'to key 1' });
    await alice.reply({ id: m1.id, text: 'from key 1' });
    const backup = await alice.exportBackup();
    const rot = await alice.rotateInboxKey();
    assert.equal(rot.keyId, 2);
    const m2 = await bob.send({ to: '@alice', text: 'to key 2' });
    const inbox = (await alice.inbox()).items;
    assert.deepEqual(inbox.map((m) => [m.text, m.keyId]), [['to key 2', 2], ['to key 1', 1]]);
    await alice.reply({ id: m2.id, text: 'from key 2' });
    // The visitor reads replies sealed with either key (their ids and keys are on chain).
    const conv = (await bob.conversation({ with: '@alice' })).entries.map((e) => (e.type === 'message' ? [e.message.text, e.message.reply] : []));
    assert.deepEqual(conv, [['to key 1', 'from key 1'], ['to key 2', 'from key 2']]);

    // A new browser: nothing is readable, each item says why; the old backup restores key 1 only.
    const { chat: phone } = clientFor(5, { dev: 'alice-phone', scope: { handle: '@alice', origin: SITE } });
    const status = await phone.keyStatus();
    assert.deepEqual([status.role, status.inbox!.currentKeyId, status.inbox!.holdsCurrent, status.inbox!.siteAllowed], ['creator', 2, false, true]);
    let items = (await phone.inbox()).items;
    assert.deepEqual(items.map((m) => [m.readState, m.error?.code, m.error?.details.keyId]), [
      ['key-not-held', 'KEY_NOT_HELD', 2],
      ['key-not-held', 'KEY_NOT_HELD', 1],
    ]);
    await rejects(phone.reply({ id: m1.id, text: 'x' }), 'ALREADY_SETTLED');
    await rejects(phone.restoreBackup(backup, 'not the passphrase'), 'BACKUP_PASSPHRASE_WRONG');
    assert.equal((await phone.heldKeys()).length, 0, 'a wrong passphrase stores nothing');
    await rejects(phone.restoreBackup('{"format":"nope"}', PASS), 'BACKUP_INVALID');
    const report = await phone.restoreBackup(backup, PASS);
    assert.equal(report.restored.length, 1);
    items = (await phone.inbox()).items;
    assert.deepEqual(items.map((m) => [m.readState, m.text ?? m.error?.details.keyId]), [['key-not-held', 2], ['ok', 'to key 1']]);
    // A fresh backup (after the rotation) restores both; signing out forgets them.
    const full = await alice.exportBackup();
    await phone.restoreBackup(full, PASS);
    assert.deepEqual((await phone.inbox()).items.map((m) => m.readState), ['ok', 'ok']);
    await phone.forgetKeys();
    assert.deepEqual((await phone.inbox()).items.map((m) => m.readState), ['key-not-held', 'key-not-held']);
  });

  test('a visitor whose conversation key is lost can still write; the reply to the new message is readable, the old one labelled', async () => {
    const { chat: bobNew } = clientFor(6, { dev: 'bob-new-browser', scope: { handle: '@alice' } });
    const { chat: alice } = clientFor(5, { dev: 'alice-laptop', scope: { handle: '@alice', origin: SITE } });
    const m = await bobNew.send({ to: '@alice', text: 'from my new browser' });
    await alice.reply({ id: m.id, text: 'got it' });
    const entries = (await bobNew.conversation({ with: '@alice' })).entries.filter((e) => e.type === 'message').map((e) => (e as any).message);
    const last = entries.at(-1);
    assert.deepEqual([last.text, last.reply], ['from my new browser', 'got it']);
    assert.ok(entries.slice(0, -1).every((x: any) => x.readState === 'key-not-held' && /another browser/.test(x.error.message)));
  });

  test('a send whose inbox key was replaced after it was read is sealed again to the new key', async () => {
    const { chat: alice } = clientFor(5, { dev: 'alice-laptop', scope: { handle: '@alice', origin: SITE } });
    let rotated = false;
    const upstream = http(tc.rpcUrl)({ chain: tc.chain, retryCount: 0 });
    // A transport that replaces alice's key just before the visitor's gas estimate reaches the node.
    const transport = custom({
      async request({ method, params }: { method: string; params?: unknown }) {
        if (method === 'eth_estimateGas' && !rotated) {
          rotated = true;
          await alice.rotateInboxKey();
        }
        return upstream.request({ method, params } as any);
      },
    });
    const { chat: bob } = clientFor(6, { transport, scope: { handle: '@alice' } });
    const sent = await bob.send({ to: '@alice', text: 'sealed twice' });
    assert.ok(rotated);
    const [m] = (await alice.inbox({ limit: 1 })).items;
    assert.deepEqual([m!.id, m!.text, m!.keyId], [sent.id, 'sealed twice', 3]);
    // The contract itself refuses an envelope that names a replaced key.
    const stale = `0x0201${'00000001'}${'ab'.repeat(205)}` as Hex;
    await assert.rejects(raw(6, 'sendMessage', [tc.accounts[5].address, 7n * 86_400n, stale]), /StaleInboxKey/);
  });
});

describe('any wallet', () => {
  test('a Safe 1.4.1 contract wallet and a wallet with randomised signatures claim, send, read, reply and follow up through the same SDK', async () => {
    const safe = await createSafe(tc, 9, { fund: ONE('100') });
    const safeWallet = new TestWallet({ index: 9, rpcUrl: tc.rpcUrl, chainId: tc.chain.id, safe: safe.address });
    safeWallet.authorized = true;
    const creator = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: safeWallet as any, keyStore: device('safe'), scope: { handle: '@safe-creator', origin: SITE } });
    assert.equal(await creator.connect(), safe.address);
    const claim = await creator.claimHandle({ handle: 'safe-creator', price: '1' });
    assert.equal(claim.keyId, 1);
    const hedged = new TestWallet({ index: 8, rpcUrl: tc.rpcUrl, chainId: tc.chain.id, randomSignatures: true });
    hedged.authorized = true;
    const visitor = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: hedged as any, keyStore: device('hedged'), scope: { handle: '@safe-creator' } });
    const sent = await visitor.send({ to: '@safe-creator', text: 'hello, Safe' });
    const [m] = (await creator.inbox()).items;
    assert.deepEqual([m!.id, m!.text, m!.verified], [sent.id, 'hello, Safe', true]);
    const before = await tc.publicClient.getBalance({ address: safe.address });
    await creator.reply({ id: sent.id, text: 'replied from a Safe' });
    assert.equal((await tc.publicClient.getBalance({ address: safe.address })) - before, ONE('0.99'), 'the Safe pays no gas itself and receives the payout');
    await visitor.postFollowUp({ with: '@safe-creator', text: 'and a follow-up' });
    const entries = (await visitor.conversation({ with: '@safe-creator' })).entries;
    assert.deepEqual(
      entries.map((e) => (e.type === 'message' ? e.message.reply : e.followUp.text)),
      ['replied from a Safe', 'and a follow-up'],
    );
    // A Safe sends too.
    const safeOnSatoshi = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: safeWallet as any, keyStore: device('safe-on-satoshi'), scope: { handle: '@satoshi' } });
    const back = await safeOnSatoshi.send({ to: '@satoshi', text: 'from a Safe', amount: '10' });
    assert.equal((await clientFor(1, { scope: { handle: '@satoshi', origin: SITE } }).chat.getMessage(back.id)).text, 'from a Safe');
    for (const w of [safeWallet, hedged]) assert.ok(!w.calls.includes('personal_sign'), 'no signature was asked');
  });
});

describe('scope: a page holds only its own conversation', () => {
  test('a page for @satoshi refuses to send to, read, or restore anything else', async () => {
    const { chat: bobOnSatoshiPage } = clientFor(6, { dev: 'bob-on-satoshi-site', scope: { handle: '@satoshi' } });
    await rejects(bobOnSatoshiPage.send({ to: '@alice', text: 'hi' }), 'OUT_OF_SCOPE');
    await rejects(bobOnSatoshiPage.conversation({ with: '@alice' }), 'OUT_OF_SCOPE');
    const { chat: bobOnAlicePage } = clientFor(6, { dev: 'bob-on-alice', scope: { handle: '@alice' } });
    await bobOnAlicePage.send({ to: '@alice', text: 'a key for alice only' });
    await bobOnAlicePage.setBackupPassphrase(PASS, CHEAP);
    const file = await bobOnAlicePage.exportBackup();
    const e = await rejects(bobOnSatoshiPage.inspectBackup(file), 'OUT_OF_SCOPE', /other conversations/);
    assert.ok(e.message.includes('@satoshi'));
    await rejects(bobOnSatoshiPage.restoreBackup(file, PASS), 'OUT_OF_SCOPE');
    assert.ok((await bobOnSatoshiPage.heldKeys()).every((k) => k.peer?.toLowerCase() !== tc.accounts[5].address.toLowerCase()));
  });

  test("a creator's inbox opens only on its sites and only for its owner; a backup with inbox keys is refused elsewhere", async () => {
    const { chat: aliceElsewhere } = clientFor(5, { dev: 'alice-laptop', scope: { handle: '@alice', origin: 'https://fan.example' } });
    const e = await rejects(aliceElsewhere.inbox(), 'SITE_NOT_ALLOWED', /satoshi\.example/);
    assert.deepEqual(e.details.sites, [SITE]);
    await rejects(aliceElsewhere.rotateInboxKey(), 'SITE_NOT_ALLOWED');
    const status = await aliceElsewhere.keyStatus();
    assert.equal(status.inbox!.siteAllowed, false);
    const { chat: aliceHome } = clientFor(5, { dev: 'alice-laptop', scope: { handle: '@alice', origin: SITE } });
    const file = await aliceHome.exportBackup();
    await rejects(aliceElsewhere.inspectBackup(file), 'OUT_OF_SCOPE', /your own sites/);
    const { chat: aliceOnSatoshi } = clientFor(5, { dev: 'alice-elsewhere', scope: { handle: '@satoshi', origin: SITE } });
    await rejects(aliceOnSatoshi.inspectBackup(file), 'OUT_OF_SCOPE');
    await rejects(aliceOnSatoshi.inbox(), 'NOT_HANDLE_OWNER');
    // Adding the site from home lets the inbox open there.
    await aliceHome.setSites([SITE, 'https://fan.example']);
    // (A page that already read the sites sees the change within PaidChat.SCOPE_FACTS_TTL_MS; a fresh one at once.)
    const { chat: fanPage } = clientFor(5, { dev: 'alice-laptop', scope: { handle: '@alice', origin: 'https://fan.example' } });
    assert.equal((await fanPage.keyStatus()).inbox!.siteAllowed, true);
    await aliceHome.setSites([SITE]);
    await rejects(aliceHome.setSites(['http://insecure.example']), 'SITES_INVALID');
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
    await rejects(clientFor(1).chat.claimHandle({ handle: 'another', price: '1' }), 'ALREADY_HAS_HANDLE');
    await rejects(chat.claimHandle({ handle: 'okhandle', price: '1', window: 60 }), 'WINDOW_OUT_OF_RANGE');
    await rejects(chat.claimHandle({ handle: 'okhandle', price: '-1' }), 'AMOUNT_INVALID');
    assert.equal((await chat.heldKeys()).filter((k) => k.kind === 'inbox').length, 0, 'no key is left behind by a refused claim');
  });

  test('price too low, self message, not recipient, unknown message', async () => {
    const { chat } = clientFor(4);
    const e = await rejects(chat.send({ to: '@satoshi', text: 'cheap', amount: '9.99' }), 'PRICE_TOO_LOW', /at least 10 ONE/);
    assert.equal(e.details.required, ONE('10'));
    await rejects(clientFor(1).chat.send({ to: '@satoshi', text: 'me' }), 'SELF_MESSAGE');
    const sent = await clientFor(2).chat.send({ to: '@satoshi', text: 'for satoshi only' });
    await rejects(chat.reply({ id: sent.id, text: 'not mine' }), 'NOT_RECIPIENT');
    await rejects(chat.getMessage(123456n), 'MESSAGE_NOT_FOUND');
  });

  test('a blocked sender is refused before paying; hidden messages are flagged and still refundable', async () => {
    const { chat: satoshi } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const { chat: spammer, wallet } = clientFor(7);
    const m = await spammer.send({ to: '@satoshi', text: 'buy my coin' });
    await satoshi.setHidden([m.id], true);
    assert.equal((await satoshi.getMessage(m.id)).hidden, true);
    await satoshi.setBlocked(tc.accounts[7].address, true);
    const nonce = await tc.publicClient.getTransactionCount({ address: tc.accounts[7].address });
    await rejects(spammer.send({ to: '@satoshi', text: 'again' }), 'SENDER_BLOCKED', /nothing was paid/i);
    assert.equal(await tc.publicClient.getTransactionCount({ address: tc.accounts[7].address }), nonce);
    assert.ok(!wallet.calls.slice(-3).includes('eth_sendTransaction'));
    await tc.increaseTime(7 * 86_400);
    await spammer.refund(m.id);
    assert.equal((await satoshi.getMessage(m.id)).status, 'refunded');
    await satoshi.setBlocked(tc.accounts[7].address, false);
  });

  test('wrong chain: a specific error, then switchChain fixes it', async () => {
    const { chat, wallet } = clientFor(2);
    wallet.chainId = 1666600000;
    wallet.knownChains.add(1666600000);
    wallet.knownChains.delete(tc.chain.id);
    await rejects(chat.send({ to: '@satoshi', text: 'hi' }), 'WRONG_CHAIN', /switch/i);
    await chat.switchChain();
    assert.equal(wallet.chainId, tc.chain.id);
    assert.ok(wallet.calls.includes('wallet_addEthereumChain'));
  });

  test('a rejected wallet prompt is USER_REJECTED and nothing is sent', async () => {
    const { chat, wallet } = clientFor(2);
    const count = await tc.publicClient.getTransactionCount({ address: tc.accounts[2].address });
    wallet.rejectNext(1);
    await rejects(chat.send({ to: '@satoshi', text: 'maybe' }), 'USER_REJECTED', /declined/);
    assert.equal(await tc.publicClient.getTransactionCount({ address: tc.accounts[2].address }), count);
    // A rejected claim leaves no pending inbox key behind.
    const { chat: c8, wallet: w8 } = clientFor(8);
    w8.rejectNext(1);
    await rejects(c8.claimHandle({ handle: 'never-mind', price: '0' }), 'USER_REJECTED');
    assert.equal((await c8.heldKeys()).length, 0);
  });

  test('an RPC that is down: bounded retries with backoff, reported, then RPC_UNAVAILABLE', async () => {
    const port = await freePort();
    const retries: number[] = [];
    const chat = createPaidChat({
      chain: tc.chain,
      rpcUrl: `http://127.0.0.1:${port}`,
      contract: tc.contract,
      keyStore: memoryKeyStore(),
      retry: { attempts: 3, baseDelayMs: 20, onRetry: (i) => retries.push(i.delayMs) },
    });
    await rejects(chat.getProfile('@satoshi'), 'RPC_UNAVAILABLE', /tried 3 times/);
    assert.deepEqual(retries, [20, 40]);
  });
});

describe('hostile envelopes from the chain', () => {
  test('a copied ciphertext, an old or newer format, a reserved kind and garbage are each labelled; the real message still reads', async () => {
    const { chat: satoshi } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const { chat: admirer } = clientFor(2);
    const original = await admirer.send({ to: '@satoshi', text: 'the real one' });
    const [log] = (await tc.publicClient.getContractEvents({
      address: tc.contract,
      abi: paidChatAbi,
      eventName: 'MessageSent',
      args: { id: original.id },
      fromBlock: original.blockNumber,
      toBlock: original.blockNumber,
    })) as any[];
    const copied = log.args.envelope as Hex;
    const keyId = toHex((await satoshi.getProfile('@satoshi')).keyId, { size: 4 }).slice(2);
    const body = (n: number) => 'cd'.repeat(n);
    const hostile: [Hex, string, string, string | undefined][] = [
      [copied, 'unreadable', 'DECRYPT_FAILED', undefined],
      [`0x0101${keyId}${body(205)}`, 'unreadable', 'ENVELOPE_INVALID', 'old-version'],
      [`0x0301${keyId}${body(205)}`, 'newer-version', 'ENVELOPE_INVALID', 'newer-version'],
      [`0x0205${keyId}${body(205)}`, 'unreadable', 'ENVELOPE_INVALID', 'reserved-kind'],
      [`0x0201${keyId}${body(3)}`, 'unreadable', 'ENVELOPE_INVALID', 'bad-length'],
      [`0x0201${keyId}${body(205)}`, 'unreadable', 'DECRYPT_FAILED', undefined],
    ];
    for (const [env] of hostile) await raw(9, 'sendMessage', [tc.accounts[1].address, 7n * 86_400n, env], ONE('10'));
    const { items } = await satoshi.inbox({ limit: hostile.length + 1 });
    const fromMallory = items.filter((m) => m.sender.toLowerCase() === tc.accounts[9].address.toLowerCase()).reverse();
    assert.deepEqual(
      fromMallory.map((m) => [m.readState, m.error?.code, m.error?.details.reason, m.verified, m.text]),
      hostile.map(([, state, code, reason]) => [state, code, reason, false, undefined]),
    );
    const real = items.find((m) => m.id === original.id)!;
    assert.deepEqual([real.text, real.verified], ['the real one', true]);
  });
});

describe('reading is cheap', () => {
  test('a page of 50 from an inbox of 120 costs 2 RPC round trips (a view call, then the logs); the next page continues', async () => {
    const rcpt = clientFor(8, { scope: { handle: '@busy', origin: SITE } });
    await rcpt.chat.claimHandle({ handle: 'busy', price: '0' });
    const senders = [2, 3, 4].map((i) => clientFor(i).chat);
    for (let i = 0; i < 120; i++) await senders[i % 3]!.send({ to: '@busy', text: `message ${i}` });
    const reader = createPaidChat({ chain: tc.chain, rpcUrl: proxy.url, contract: tc.contract, wallet: rcpt.wallet as any, keyStore: device('account-8'), scope: { handle: '@busy', origin: SITE } });
    await reader.inbox({ limit: 1 }); // scope checks (profile, sites) are read once per call; measure the page itself below
    proxy.reset();
    const page = await reader.inbox({ limit: 50 });
    assert.equal(page.items.length, 50);
    assert.equal(page.items[0]!.text, 'message 119');
    assert.ok(page.items.every((m) => m.verified));
    assert.equal(proxy.requests, 2, `${proxy.requests} round trips: ${proxy.calls.join(', ')}`);
    const next = await reader.inbox({ limit: 50, cursor: page.nextCursor });
    assert.equal(next.items[0]!.text, 'message 69');
  });

  test('watch reports new messages, replies and follow-ups for an account', async () => {
    const { chat: satoshi } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const { chat: admirer } = clientFor(2);
    const seen: string[] = [];
    const stop = satoshi.watch({ account: tc.accounts[1].address, pollingIntervalMs: 50, onEvent: (e) => seen.push(e.type) });
    try {
      await new Promise((r) => setTimeout(r, 120));
      const s = await admirer.send({ to: '@satoshi', text: 'watch me' });
      await satoshi.reply({ id: s.id, text: 'seen' });
      await admirer.postFollowUp({ with: '@satoshi', text: 'and this' });
      const deadline = Date.now() + 5000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen.slice(0, 3), ['message', 'reply', 'follow-up']);
    } finally {
      stop();
    }
  });
});

describe('what the element needs (live view, spam controls, truthful amounts)', () => {
  test('send, reply and follow-up results carry the amount, the fee and what the creator nets; isBlocked reads a block before any thread exists', async () => {
    const { chat: satoshi } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const { chat: fan } = clientFor(5, { scope: { handle: '@satoshi' } });
    const fanAddress = tc.accounts[5].address;
    assert.equal(await fan.isBlocked({ recipient: tc.accounts[1].address }), false);
    await satoshi.setBlocked(fanAddress, true);
    assert.equal(await fan.isBlocked({ recipient: tc.accounts[1].address }), true);
    assert.equal(await satoshi.isBlocked({ sender: fanAddress }), true);
    await rejects(fan.send({ to: '@satoshi', text: 'blocked' }), 'SENDER_BLOCKED');
    await satoshi.setBlocked(fanAddress, false);
    assert.equal(await satoshi.isBlocked({ sender: toOneAddress(fanAddress) }), false);

    const sent = await fan.send({ to: '@satoshi', text: 'net?', amount: '20' });
    assert.deepEqual([sent.amount, sent.fee, sent.payout], [ONE('20'), ONE('0.2'), ONE('19.8')]);
    const replied = await satoshi.reply({ id: sent.id, text: 'yes' });
    assert.deepEqual([replied.thread, replied.payout, replied.fee], [sent.thread, ONE('19.8'), ONE('0.2')]);
    await satoshi.updateProfile({ followUpPrice: '3' });
    try {
      const f = await fan.postFollowUp({ with: '@satoshi', text: 'paid follow-up' });
      assert.deepEqual([f.thread, f.amount, f.payout, f.fee], [sent.thread, ONE('3'), ONE('2.97'), ONE('0.03')]);
      const c = await satoshi.postFollowUp({ with: fanAddress, text: 'free for me' });
      assert.deepEqual([c.thread, c.amount, c.payout, c.fee], [sent.thread, 0n, 0n, 0n]);
    } finally {
      await satoshi.updateProfile({ followUpPrice: '0' });
    }
  });

  test('watch: blocks and hides are reported; pollNow polls at once; a long gap is skipped and reported', async () => {
    const { chat: satoshi } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const { chat: fan } = clientFor(6, { scope: { handle: '@satoshi' } });
    const seen: string[] = [];
    const gaps: [bigint, bigint][] = [];
    const start = await tc.publicClient.getBlockNumber();
    const w = fan.watch({ account: tc.accounts[6].address, fromBlock: start + 1n, pollingIntervalMs: 60_000, onEvent: (e) => seen.push(e.type) });
    try {
      const m = await fan.send({ to: '@satoshi', text: 'hide me' });
      await satoshi.setBlocked(tc.accounts[6].address, true);
      await satoshi.setBlocked(tc.accounts[6].address, false);
      w.pollNow();
      const deadline = Date.now() + 5_000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(seen, ['message', 'block-changed', 'block-changed']);
      const mine: string[] = [];
      const cw = satoshi.watch({ account: tc.accounts[1].address, pollingIntervalMs: 60_000, onEvent: (e) => mine.push(e.type === 'hidden-changed' ? `hidden:${e.ids.join()}:${e.hidden}` : e.type) });
      try {
        await new Promise((r) => setTimeout(r, 100));
        await satoshi.setHidden([m.id], true);
        cw.pollNow();
        const d2 = Date.now() + 5_000;
        while (mine.length < 1 && Date.now() < d2) await new Promise((r) => setTimeout(r, 25));
        assert.deepEqual(mine, [`hidden:${m.id}:true`]);
      } finally {
        cw();
      }
    } finally {
      w.stop();
    }
    const head = await tc.publicClient.getBlockNumber();
    const skipped: string[] = [];
    const g = fan.watch({
      account: tc.accounts[6].address,
      fromBlock: head - 50n,
      maxCatchUpBlocks: 10n,
      pollingIntervalMs: 60_000,
      onEvent: (e) => skipped.push(e.type),
      onGap: (from, to) => gaps.push([from, to]),
    });
    try {
      const deadline = Date.now() + 5_000;
      while (gaps.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(gaps, [[head - 50n, head]]);
      assert.deepEqual(skipped, []);
    } finally {
      g.stop();
    }
  });

  test('watch: a dropped RPC is reported with a growing wait, and the events of the outage arrive once it is back', async () => {
    let down = false;
    const transport: Transport = (params) => {
      const t = http(tc.rpcUrl)(params);
      return { ...t, request: (async (args: any) => {
        if (down) throw new TypeError('fetch failed');
        return t.request(args);
      }) as typeof t.request };
    };
    const wallet = new TestWallet({ index: 6, rpcUrl: tc.rpcUrl, chainId: tc.chain.id });
    const reader = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: wallet as any, transport, keyStore: device('account-6'), retry: { attempts: 1 } });
    const { chat: satoshi } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const errors: { code: string; retryInMs: number }[] = [];
    const polls: bigint[] = [];
    const seen: string[] = [];
    const w = reader.watch({
      account: tc.accounts[6].address,
      pollingIntervalMs: 40,
      maxBackoffMs: 200,
      onEvent: (e) => seen.push(e.type),
      onPoll: (h) => polls.push(h),
      onError: (e, info) => errors.push({ code: e.code, retryInMs: info.retryInMs }),
    });
    try {
      const wait = async (ok: () => boolean) => {
        const deadline = Date.now() + 5_000;
        while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.ok(ok());
      };
      await wait(() => polls.length > 0);
      down = true;
      await wait(() => errors.length >= 4);
      assert.deepEqual(errors.slice(0, 4).map((e) => e.retryInMs), [80, 160, 200, 200]);
      await satoshi.setBlocked(tc.accounts[6].address, true); // happens while the reader cannot see the chain
      const before = polls.length;
      down = false;
      await wait(() => seen.includes('block-changed') && polls.length > before);
      await satoshi.setBlocked(tc.accounts[6].address, false);
    } finally {
      w.stop();
    }
  });
});

describe('bad input gets a specific error before any prompt', () => {
  test('blocking the zero address, hiding more than 100 ids, closing a conversation that does not exist', async () => {
    const { chat: satoshi, wallet } = clientFor(1, { scope: { handle: '@satoshi', origin: SITE } });
    const zero = await rejects(satoshi.setBlocked('0x0000000000000000000000000000000000000000', true), 'ADDRESS_INVALID', /zero address/);
    assert.equal(zero.details.reason, 'zero-address');
    await rejects(satoshi.setBlocked('0x0', true), 'ADDRESS_INVALID');
    const many = await rejects(satoshi.setHidden(Array.from({ length: 101 }, (_, i) => BigInt(i + 1)), true), 'TOO_MANY_IDS', /at most 100/);
    assert.deepEqual([many.details.count, many.details.max], [101, 100]);
    await rejects(satoshi.refund(Array.from({ length: 101 }, (_, i) => BigInt(i + 1))), 'TOO_MANY_IDS');
    assert.deepEqual(wallet.calls, [], 'the wallet was never asked');
    // No conversation between account 7 and @alice.
    const { chat: stranger, wallet: sw } = clientFor(7, { scope: { handle: '@alice' } });
    await rejects(stranger.closeThread({ with: '@alice' }), 'THREAD_NOT_FOUND', /no conversation/);
    assert.ok(!sw.calls.includes('eth_sendTransaction'));
    // The contract's own errors for these map to the same codes (from a real estimate).
    const estimate = async (functionName: string, args: readonly unknown[]) => {
      try {
        await tc.publicClient.estimateContractGas({ address: tc.contract, abi: paidChatAbi, functionName, args, account: tc.accounts[1].address } as any);
      } catch (e) {
        return toPaidChatError(e).code;
      }
      assert.fail(`${functionName} did not revert`);
    };
    assert.equal(await estimate('closeThread', [999_999]), 'THREAD_NOT_FOUND');
    assert.equal(await estimate('setBlocked', ['0x0000000000000000000000000000000000000000', true]), 'ADDRESS_INVALID');
    assert.equal(await estimate('setHidden', [Array.from({ length: 101 }, (_, i) => BigInt(i + 1)), true]), 'TOO_MANY_IDS');
  });

  test('a malformed rpc-url is refused at once, without retries', async () => {
    for (const rpcUrl of ['localhost:8545', 'ftp://x', 'not a url', 'ws://127.0.0.1:8545']) {
      const retries: unknown[] = [];
      const t = Date.now();
      await rejects(
        () => createPaidChat({ chain: tc.chain, rpcUrl, contract: tc.contract, keyStore: memoryKeyStore(), retry: { onRetry: (i) => retries.push(i) } }),
        'RPC_URL_INVALID',
        /rpc-url/,
      );
      assert.deepEqual(retries, []);
      assert.ok(Date.now() - t < 100, 'no network attempt was made');
    }
    assert.equal(createPaidChat({ chain: tc.chain, rpcUrl: ` ${tc.rpcUrl} `, contract: tc.contract }).chain.rpcUrls.default.http[0], tc.rpcUrl);
  });

  test('a visitor, and a creator on another creator\'s page, cannot rotate an inbox key: NOT_HANDLE_OWNER, no key made', async () => {
    const { chat: bob } = clientFor(6, { dev: 'bob-rotates', scope: { handle: '@alice' } });
    await rejects(bob.rotateInboxKey(), 'NOT_HANDLE_OWNER');
    assert.deepEqual(await bob.heldKeys(), []);
    const { chat: satoshiOnAlice } = clientFor(1, { dev: 'satoshi-on-alice', scope: { handle: '@alice', origin: SITE } });
    await rejects(satoshiOnAlice.rotateInboxKey(), 'NOT_HANDLE_OWNER');
    assert.deepEqual(await satoshiOnAlice.heldKeys(), []);
  });
});

describe('a key whose registration was broadcast is never deleted', () => {
  test('a receipt that cannot be read after the broadcast leaves the new inbox key pending; the next visit confirms it from the chain', async () => {
    let loseReceipts = false;
    const upstream = http(tc.rpcUrl)({ chain: tc.chain, retryCount: 0 });
    // The node has the transaction (the wallet sent it), but this page never learns its outcome.
    const transport = custom({
      async request({ method, params }: { method: string; params?: unknown }) {
        if (loseReceipts && method === 'eth_getTransactionReceipt') throw new Error('The request timed out.');
        return upstream.request({ method, params } as any);
      },
    });
    const { chat: alice } = clientFor(5, { dev: 'alice-laptop', transport, scope: { handle: '@alice', origin: SITE } });
    const before = (await alice.getProfile('@alice')).keyId;
    loseReceipts = true;
    const e = await rejects(alice.rotateInboxKey(), 'TRANSACTION_UNCONFIRMED', /may still go through/);
    loseReceipts = false;
    assert.equal(e.details.sent, true);
    assert.match(String(e.details.txHash), /^0x[0-9a-f]{64}$/);
    const onChain = await alice.getProfile('@alice');
    assert.equal(onChain.keyId, before + 1, 'the rotation went through');
    const pending = (await alice.heldKeys()).filter((k) => k.kind === 'inbox' && k.keyId === undefined);
    assert.equal(pending.length, 1, 'the key is kept, pending');
    const status = await clientFor(5, { dev: 'alice-laptop', scope: { handle: '@alice', origin: SITE } }).chat.keyStatus();
    assert.deepEqual([status.inbox!.currentKeyId, status.inbox!.holdsCurrent, status.inbox!.pending.length], [onChain.keyId, true, 0]);
  });

  test('a registration refused before broadcast (estimate revert, rejected prompt) drops the key', async () => {
    const { chat: alice, wallet } = clientFor(5, { dev: 'alice-laptop', scope: { handle: '@alice', origin: SITE } });
    const held = (await alice.heldKeys()).length;
    wallet.rejectNext(1);
    const e = await rejects(alice.rotateInboxKey(), 'USER_REJECTED');
    assert.equal(e.details.sent, false);
    assert.equal((await alice.heldKeys()).length, held);
  });
});

describe('the visitor side of a key that does not exist', () => {
  test('a reply naming a creator key id that is not on chain is labelled KEY_NOT_FOUND; the message itself still reads', async () => {
    const { chat: fan } = clientFor(3, { scope: { handle: '@satoshi' } });
    const sent = await fan.send({ to: '@satoshi', text: 'which key?' });
    const [log] = (await tc.publicClient.getContractEvents({ address: tc.contract, abi: paidChatAbi, eventName: 'MessageSent', args: { id: sent.id }, fromBlock: sent.blockNumber, toBlock: sent.blockNumber })) as any[];
    const conversationKey = (log.args.envelope as Hex).slice(14, 78); // bytes 6..38: the visitor's conversation key
    const missing = toHex(999, { size: 4 }).slice(2);
    const reply = `0x0202${missing}${conversationKey}${'ef'.repeat(173)}` as Hex;
    await raw(1, 'reply', [sent.id, reply]);
    const m = await fan.getMessage(sent.id);
    assert.deepEqual([m.text, m.verified], ['which key?', true]);
    assert.deepEqual([m.replyReadState, m.replyError?.code, m.replyError?.details.keyId], ['unreadable', 'KEY_NOT_FOUND', 999]);
  });
});

describe('a conversation page is cheap', () => {
  test('a page of 50 from a 1,000-entry conversation costs 2 RPC round trips', async () => {
    const SIZE = 1_000;
    const creatorIndex = 8; // @busy
    const visitorIndex = 6;
    const creator = clientFor(creatorIndex, { scope: { handle: '@busy', origin: SITE } });
    const { chat: visitor } = clientFor(visitorIndex, { dev: 'bob-on-busy', scope: { handle: '@busy' } });
    const profile = await visitor.getProfile('@busy');
    const creatorKey = (await new Keyring(device('account-8'), { chainId: tc.chain.id, contract: tc.contract, account: profile.address }).inboxKey(profile.keyId))!;
    const first = await visitor.send({ to: '@busy', text: 'opening question' });
    await creator.chat.reply({ id: first.id, text: 'OK' });
    const v = tc.accounts[visitorIndex].address as Address;
    await fillConversation(tc, { first, visitorIndex, creatorIndex, creator: { address: profile.address, keyId: profile.keyId, publicKey: profile.publicKey!, key: creatorKey }, count: SIZE - 2 });
    const reader = createPaidChat({ chain: tc.chain, rpcUrl: proxy.url, contract: tc.contract, wallet: creator.wallet as any, keyStore: device('account-8'), scope: { handle: '@busy', origin: SITE } });
    await reader.conversation({ with: v, limit: 1 }); // scope checks are read once per call; measure the page itself below
    proxy.reset();
    const page = await reader.conversation({ with: v, limit: 50 });
    assert.equal(page.entries.length, 50);
    assert.ok(page.entries.every((e) => (e.type === 'message' ? e.message.verified : e.followUp.verified)), 'every entry opened');
    const last50 = page.entries.at(-1)!;
    assert.ok(last50.type === 'follow-up' && last50.followUp.text === `follow-up ${SIZE - 3}`);
    assert.equal(proxy.requests, 2, `${proxy.requests} round trips: ${proxy.calls.join(', ')}`);
    const next = await reader.conversation({ with: v, limit: 50, cursor: page.cursor });
    assert.equal(next.entries.length, 50);
  });
});
