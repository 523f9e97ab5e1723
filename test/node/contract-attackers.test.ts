/**
 * PaidChat against hostile or unusual counterparties: `Participant` contracts
 * (contracts/test/Receivers.sol) that refuse payment, burn gas, or re-enter the contract while
 * being paid, as senders and as creators; keepers that send with exactly the gas their estimate
 * gave; and a real Safe 1.4.1 contract wallet. Payouts must settle anyway (as withdrawable credit
 * when the receiver refuses), never twice, never be forced onto the credit path by a gas limit,
 * and the books must balance to the wei.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  parseEventLogs,
  stringToHex,
  zeroAddress,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { participantAbi, participantBytecode } from '../generated/test-contracts.js';
import { GAS_PRICE, ONE, startTestChain, type TestChain } from '../support/chain.js';
import { expectRevert } from '../support/revert.js';
import { createSafe, execSafeTransaction, safeAbi, type SafeWallet } from '../support/safe.js';

const chatErrors = paidChatAbi.filter((x) => x.type === 'error');
/** Participant's ABI plus PaidChat's errors, so reverts bubbling up through `exec` decode. */
const pAbi = [...participantAbi, ...chatErrors] as const;

const MODE_ACCEPT = 0;
const MODE_REVERT = 1;
const MODE_BURN_ALL = 2;
const MODE_REENTER = 3;
const MODE_BURN = 4;

const OWNER = 0;
const ALICE = 1; // EOA creator
const BOB = 2; // EOA visitor
const CAROL = 3; // EOA visitor
const CTRL = 4; // EOA that drives the Participant contracts
const SAFE_OWNER = 5; // EOA that owns the Safe
const FRANK = 6; // keeper
const PAYEE = 8; // EOA that receives withdrawn credit

const PUSH_GAS = 40_000n;
/** What `_push` requires to be left before its CALL: PUSH_GAS · 64/63 + the CALL's own cost. */
const PUSH_NEEDED = (PUSH_GAS * 64n) / 63n + 10_000n;
const KEY = ('0x' + '33'.repeat(32)) as Hex;
const KEY2 = ('0x' + '44'.repeat(32)) as Hex;
const PRICE = ONE('0.4');
const FOLLOW = ONE('0.05');
const WINDOW = 3600;
const MAX_WINDOW = BigInt(30 * 86_400);

let tc: TestChain;
const addr = (i: number): Address => tc.accounts[i].address;
const h = (s: string): Hex => stringToHex(s, { size: 32 });
const balance = (a: Address) => tc.publicClient.getBalance({ address: a });
const env = (keyId = 1, size = 100, kind = 1): Hex =>
  ('0x02' + kind.toString(16).padStart(2, '0') + keyId.toString(16).padStart(8, '0') + 'ef'.repeat(size - 6)) as Hex;
const feeOf = (v: bigint) => (v * 100n) / 10_000n;
const chatData = (functionName: string, args: readonly unknown[]) => encodeFunctionData({ abi: paidChatAbi, functionName, args } as never);

/** A PaidChat write from an EOA (gas estimated unless given). */
async function chat(from: number, functionName: string, args: readonly unknown[], value?: bigint, gas?: bigint): Promise<TransactionReceipt> {
  const receipt = await tc.wallet(from).writeContractSync({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    value,
    gas,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never);
  assert.equal(receipt.status, 'success', `${functionName} should succeed`);
  return receipt;
}

function chatSim(from: number, functionName: string, args: readonly unknown[], opts: { value?: bigint; gas?: bigint } = {}) {
  return tc.publicClient.simulateContract({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    value: opts.value,
    gas: opts.gas,
    account: tc.accounts[from],
  } as never);
}

/** A PaidChat call made by a Participant contract (through `exec`), sent by its controller EOA. */
async function via(p: Address, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
  const receipt = await tc.wallet(CTRL).writeContractSync({
    address: p,
    abi: pAbi,
    functionName: 'exec',
    args: [chatData(functionName, args)],
    value,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never);
  assert.equal(receipt.status, 'success', `${functionName} via participant should succeed`);
  return receipt;
}

function viaSim(p: Address, functionName: string, args: readonly unknown[], value?: bigint) {
  return tc.publicClient.simulateContract({
    address: p,
    abi: pAbi,
    functionName: 'exec',
    args: [chatData(functionName, args)],
    value,
    account: tc.accounts[CTRL],
  } as never);
}

function readChat(functionName: string, args: readonly unknown[] = []): Promise<any> {
  return tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName, args } as never);
}
function readP(p: Address, functionName: string): Promise<any> {
  return tc.publicClient.readContract({ address: p, abi: participantAbi, functionName } as never);
}

function events(r: TransactionReceipt, eventName: string) {
  return parseEventLogs({ abi: paidChatAbi, logs: r.logs, eventName: eventName as never }) as unknown as { args: Record<string, any> }[];
}
const eventArgs = (r: TransactionReceipt, eventName: string) => events(r, eventName).map((e) => e.args);

async function deployParticipant(): Promise<Address> {
  const hash = await tc.wallet(CTRL).deployContract({
    abi: participantAbi,
    bytecode: participantBytecode,
    args: [tc.contract],
    type: 'legacy',
    gasPrice: GAS_PRICE,
  });
  const receipt = await tc.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
  assert.equal(receipt.status, 'success');
  return getAddress(receipt.contractAddress!);
}

const setMode = async (p: Address, mode: number, opts: { burn?: bigint; data?: Hex } = {}) => {
  const r = await tc.wallet(CTRL).writeContractSync({
    address: p,
    abi: participantAbi,
    functionName: 'setMode',
    args: [mode, opts.burn ?? 0n, opts.data ?? '0x'],
    type: 'legacy',
    gasPrice: GAS_PRICE,
  } as never);
  assert.equal((r as TransactionReceipt).status, 'success');
};

/** Every message this test created, to sum the open escrows. */
let ids: bigint[] = [];

async function sendFrom(from: number | Address, to: Address, value = PRICE, keyId = 1): Promise<bigint> {
  const args = [to, MAX_WINDOW, env(keyId)];
  const r = typeof from === 'number' ? await chat(from, 'sendMessage', args, value) : await via(from, 'sendMessage', args, value);
  const [ev] = eventArgs(r, 'MessageSent');
  ids.push(ev.id);
  return ev.id;
}

/** contract balance == open escrows + totalCredits + accruedFees, to the wei. */
async function assertBooks() {
  let open = 0n;
  for (const id of ids) {
    const m = await readChat('getMessage', [id]);
    if (m.status === 1 || m.status === 2) open += m.amount;
  }
  const [bal, credits, fees] = await Promise.all([balance(tc.contract), readChat('totalCredits'), readChat('accruedFees')]);
  assert.equal(bal, open + credits + fees, `balance ${bal} == open ${open} + credits ${credits} + fees ${fees}`);
}

interface Frame {
  from: string;
  to: string;
  input: Hex;
  output?: Hex;
  error?: string;
  value?: Hex;
  gas?: Hex;
  gasUsed?: Hex;
  calls?: Frame[];
}
/** All call frames of a mined transaction (anvil's callTracer). */
async function frames(hash: Hex): Promise<Frame[]> {
  const root = (await tc.publicClient.request({
    method: 'debug_traceTransaction' as never,
    params: [hash, { tracer: 'callTracer' }] as never,
  })) as Frame;
  const out: Frame[] = [];
  const walk = (f: Frame) => {
    out.push(f);
    for (const c of f.calls ?? []) walk(c);
  };
  walk(root);
  return out;
}
/** Decoded errors of the calls `from` made into PaidChat that reverted. */
async function reentryErrors(hash: Hex, from: Address) {
  return (await frames(hash))
    .filter((f) => f.from.toLowerCase() === from.toLowerCase() && f.to.toLowerCase() === tc.contract.toLowerCase() && f.error)
    .map((f) => decodeErrorResult({ abi: paidChatAbi, data: f.output! }))
    .map((e) => ({ errorName: e.errorName, args: e.args ?? [] }));
}
/** The value-carrying calls PaidChat made to `to` in a mined transaction (the pushes). */
async function pushesTo(hash: Hex, to: Address) {
  return (await frames(hash)).filter(
    (f) => f.from.toLowerCase() === tc.contract.toLowerCase() && f.to.toLowerCase() === to.toLowerCase() && BigInt(f.value ?? '0x0') > 0n,
  );
}

before(async () => {
  tc = await startTestChain();
  await tc.testClient.setBlockTimestampInterval({ interval: 1 });
  await tc.testClient.mine({ blocks: 1 });
});
after(async () => {
  await tc?.stop();
});
let snap: Hex;
beforeEach(async () => {
  ids = [];
  snap = await tc.snapshot();
  // alice: EOA creator (key 1), follow-ups cost FOLLOW; bob, carol: EOA visitors.
  await chat(ALICE, 'claimHandle', [h('alice'), PRICE, WINDOW, KEY, '0x']);
  await chat(ALICE, 'updateProfile', [PRICE, WINDOW, FOLLOW]);
});
afterEach(async () => {
  await tc.revert(snap);
});

/** A Participant holding the handle 'vault' (PRICE, 1 h, follow-ups FOLLOW). */
async function participantCreator(): Promise<Address> {
  const p = await deployParticipant();
  await via(p, 'claimHandle', [h('vault'), PRICE, WINDOW, KEY, '0x']);
  await via(p, 'updateProfile', [PRICE, WINDOW, FOLLOW]);
  return p;
}

describe('creators that refuse payment', () => {
  for (const [mode, label] of [
    [MODE_REVERT, 'reverts on receive'],
    [MODE_BURN_ALL, 'burns all gas on receive'],
  ] as const) {
    it(`a creator that ${label}: the reply settles, the payout becomes credit, withdrawable to an EOA`, async () => {
      const p = await participantCreator();
      await setMode(p, mode);
      const value = PRICE + 1_001n;
      const id = await sendFrom(BOB, p, value);
      const fee = feeOf(value);
      const payout = value - fee;
      const contractBefore = await balance(tc.contract);

      const r = await via(p, 'reply', [id, env()]);
      assert.ok(r.gasUsed < 150_000n, `reply gas bounded: ${r.gasUsed}`);
      assert.equal(eventArgs(r, 'MessageReplied')[0].payout, payout);
      assert.deepEqual(eventArgs(r, 'PaymentDeferred'), [{ account: p, amount: payout }]);
      assert.equal((await readChat('getMessage', [id])).status, 3, 'REPLIED');
      assert.equal(await readChat('creditOf', [p]), payout);
      assert.equal(await readChat('totalCredits'), payout);
      assert.equal(await readChat('accruedFees'), fee);
      assert.equal(await balance(p), 0n);
      assert.equal(await balance(tc.contract), contractBefore, 'nothing left the contract');
      await expectRevert(viaSim(p, 'reply', [id, env()]), 'AlreadySettled', [id, 3]);
      await assertBooks();

      // Withdrawing to itself fails (it still refuses) and keeps the credit.
      await expectRevert(viaSim(p, 'withdrawCredit', [p]), 'TransferFailed', [p, payout]);
      await expectRevert(viaSim(p, 'withdrawCredit', [zeroAddress]), 'ZeroAddress', []);
      // Only the credited account can withdraw it.
      await expectRevert(chatSim(CTRL, 'withdrawCredit', [addr(CTRL)]), 'NothingToWithdraw', []);

      const payeeBefore = await balance(addr(PAYEE));
      const w = await via(p, 'withdrawCredit', [addr(PAYEE)]);
      assert.deepEqual(eventArgs(w, 'CreditWithdrawn'), [{ account: p, to: addr(PAYEE), amount: payout }]);
      assert.equal(await balance(addr(PAYEE)), payeeBefore + payout);
      assert.equal(await readChat('creditOf', [p]), 0n);
      assert.equal(await readChat('totalCredits'), 0n);
      assert.equal(await balance(tc.contract), contractBefore - payout);
      await expectRevert(viaSim(p, 'withdrawCredit', [addr(PAYEE)]), 'NothingToWithdraw', []);
      await assertBooks();
    });

    it(`a creator that ${label} cannot stop a visitor's follow-up: it is posted, the payout becomes credit`, async () => {
      const p = await participantCreator();
      const id = await sendFrom(BOB, p);
      await via(p, 'reply', [id, env()]);
      await setMode(p, mode);
      const value = FOLLOW + 7n;
      const fee = feeOf(value);
      const r = await chat(BOB, 'postFollowUp', [id, env()], value);
      assert.deepEqual(eventArgs(r, 'FollowUpPosted')[0].payout, value - fee);
      assert.deepEqual(eventArgs(r, 'PaymentDeferred'), [{ account: p, amount: value - fee }]);
      assert.equal((await readChat('getThread', [1])).followUps, 1n);
      assert.equal(await readChat('creditOf', [p]), value - fee, 'the reply before was paid directly (mode 0)');
      await assertBooks();
    });
  }

  it('the same contract accepting (mode 0) is paid directly, no credit', async () => {
    const p = await participantCreator();
    await setMode(p, MODE_ACCEPT);
    const id = await sendFrom(BOB, p);
    const r = await via(p, 'reply', [id, env()]);
    assert.equal(events(r, 'PaymentDeferred').length, 0);
    assert.equal(await balance(p), PRICE - feeOf(PRICE));
    assert.equal(await readP(p, 'received'), PRICE - feeOf(PRICE));
    assert.equal(await readChat('creditOf', [p]), 0n);
    await assertBooks();
  });
});

describe('senders that refuse refunds', () => {
  it('refund settles, the sender gets credit; a refundMany batch with it and EOAs settles all', async () => {
    const reverter = await deployParticipant();
    const burner = await deployParticipant();
    const single = await sendFrom(reverter, addr(ALICE));
    const r1 = await sendFrom(reverter, addr(ALICE), PRICE + 1n);
    const b1 = await sendFrom(BOB, addr(ALICE), PRICE + 2n);
    const r2 = await sendFrom(burner, addr(ALICE), PRICE + 3n);
    const c1 = await sendFrom(CAROL, addr(ALICE), PRICE + 4n);
    await setMode(reverter, MODE_REVERT);
    await setMode(burner, MODE_BURN_ALL);
    const { deadline } = await readChat('getMessage', [c1]);
    await tc.mineAt(deadline);

    const r = await chat(CAROL, 'refund', [single]);
    assert.deepEqual(eventArgs(r, 'PaymentDeferred'), [{ account: reverter, amount: PRICE }]);
    assert.equal((await readChat('getMessage', [single])).status, 4, 'REFUNDED');
    assert.equal(await readChat('creditOf', [reverter]), PRICE);
    await expectRevert(chatSim(CAROL, 'refund', [single]), 'AlreadySettled', [single, 4]);
    await assertBooks();

    const [bobBefore, carolBefore, contractBefore] = await Promise.all([balance(addr(BOB)), balance(addr(CAROL)), balance(tc.contract)]);
    const batch = await chat(OWNER, 'refundMany', [[r1, b1, r2, c1, single]]);
    assert.ok(batch.gasUsed < 400_000n, `batch gas ${batch.gasUsed}`);
    assert.deepEqual(
      eventArgs(batch, 'MessageRefunded').map((e) => e.id),
      [r1, b1, r2, c1],
    );
    assert.deepEqual(eventArgs(batch, 'PaymentDeferred'), [
      { account: reverter, amount: PRICE + 1n },
      { account: burner, amount: PRICE + 3n },
    ]);
    for (const id of [r1, b1, r2, c1]) assert.equal((await readChat('getMessage', [id])).status, 4);
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE + 2n);
    assert.equal(await balance(addr(CAROL)), carolBefore + PRICE + 4n);
    assert.equal(await balance(tc.contract), contractBefore - (PRICE + 2n) - (PRICE + 4n));
    assert.equal(await readChat('creditOf', [reverter]), 2n * PRICE + 1n);
    assert.equal(await readChat('creditOf', [burner]), PRICE + 3n);
    assert.equal(await readChat('totalCredits'), 3n * PRICE + 4n);
    await assertBooks();

    const payeeBefore = await balance(addr(PAYEE));
    await via(reverter, 'withdrawCredit', [addr(PAYEE)]);
    await via(burner, 'withdrawCredit', [addr(PAYEE)]);
    assert.equal(await balance(addr(PAYEE)), payeeBefore + 3n * PRICE + 4n);
    assert.equal(await readChat('totalCredits'), 0n);
    await assertBooks();
    assert.equal(await balance(tc.contract), 0n, 'everything settled and paid out');
  });

  it('a gas-burning sender cannot make a refund expensive: the receiver gets PUSH_GAS, no more', async () => {
    const burner = await deployParticipant();
    const id = await sendFrom(burner, addr(ALICE));
    await setMode(burner, MODE_BURN_ALL);
    await tc.mineAt((await readChat('getMessage', [id])).deadline);
    const r = await chat(CAROL, 'refund', [id], undefined, 3_000_000n);
    // 21k + the refund + at most PUSH_GAS + stipend burnt + the credit path: bounded, whatever the limit.
    assert.ok(r.gasUsed < 130_000n, `refund gas bounded: ${r.gasUsed}`);
    const [push] = await pushesTo(r.transactionHash, burner);
    assert.equal(BigInt(push.gas!), PUSH_GAS + 2_300n, 'PUSH_GAS plus the value stipend, whatever the tx gas limit');
    assert.equal(push.error !== undefined, true);
    assert.equal(await readChat('creditOf', [burner]), PRICE);
    await assertBooks();
  });
});

describe('re-entrancy', () => {
  for (const target of ['reply', 'refund'] as const) {
    it(`a creator re-entering ${target}(sameId) while being paid cannot double-settle`, async () => {
      const p = await participantCreator();
      const id = await sendFrom(BOB, p);
      const other = await sendFrom(CAROL, p); // stays open
      const data = target === 'reply' ? chatData('reply', [id, env()]) : chatData('refund', [id]);
      await setMode(p, MODE_REENTER, { data });
      const fee = feeOf(PRICE);
      const contractBefore = await balance(tc.contract);

      const r = await via(p, 'reply', [id, env()]);
      assert.equal(events(r, 'MessageReplied').length, 1, 'settled exactly once');
      assert.equal(events(r, 'MessageRefunded').length, 0);
      assert.equal(events(r, 'PaymentDeferred').length, 0, 'the push itself succeeded');
      assert.deepEqual(await reentryErrors(r.transactionHash, p), [{ errorName: 'AlreadySettled', args: [id, 3] }]);
      assert.equal(await readP(p, 'reentryOk'), false);
      assert.equal(await readP(p, 'received'), PRICE - fee, 'paid once');
      assert.equal(await balance(p), PRICE - fee);
      assert.equal(await balance(tc.contract), contractBefore - (PRICE - fee));
      assert.equal(await readChat('accruedFees'), fee);
      assert.equal(await readChat('totalCredits'), 0n);
      assert.equal((await readChat('getMessage', [id])).status, 3);
      assert.equal((await readChat('getMessage', [other])).status, 1, 'other message untouched');
      await assertBooks();
    });
  }

  it('a sender re-entering refund(sameId) / refundMany([sameId]) while being refunded is paid once', async () => {
    const p = await deployParticipant();
    const a = await sendFrom(p, addr(ALICE), PRICE + 5n);
    const b = await sendFrom(p, addr(ALICE), PRICE + 6n);
    await tc.mineAt((await readChat('getMessage', [b])).deadline);

    await setMode(p, MODE_REENTER, { data: chatData('refund', [a]) });
    const r = await chat(CAROL, 'refund', [a]);
    assert.equal(events(r, 'MessageRefunded').length, 1);
    assert.deepEqual(await reentryErrors(r.transactionHash, p), [{ errorName: 'AlreadySettled', args: [a, 4] }]);
    assert.equal(await readP(p, 'received'), PRICE + 5n);
    assert.equal(await readChat('creditOf', [p]), 0n);
    await assertBooks();

    await setMode(p, MODE_REENTER, { data: chatData('refundMany', [[b, a]]) });
    const r2 = await chat(CAROL, 'refundMany', [[b]]);
    assert.equal(events(r2, 'MessageRefunded').length, 1);
    assert.deepEqual(await reentryErrors(r2.transactionHash, p), [{ errorName: 'NothingToRefund', args: [] }]);
    assert.equal(await readP(p, 'received'), 2n * PRICE + 11n);
    assert.equal(await balance(p), 2n * PRICE + 11n);
    await assertBooks();
    assert.equal(await balance(tc.contract), 0n);
  });

  it('a sender re-entering refund(otherId) during a batch: each message is refunded exactly once', async () => {
    const p = await deployParticipant();
    const a = await sendFrom(p, addr(ALICE), PRICE + 1n);
    const b = await sendFrom(p, addr(ALICE), PRICE + 2n);
    const c = await sendFrom(BOB, addr(ALICE), PRICE + 3n);
    await tc.mineAt((await readChat('getMessage', [c])).deadline);
    await setMode(p, MODE_REENTER, { data: chatData('refund', [b]) });
    const contractBefore = await balance(tc.contract);
    const bobBefore = await balance(addr(BOB));
    const r = await chat(CAROL, 'refundMany', [[a, b, c]]);
    const refunded = eventArgs(r, 'MessageRefunded').map((e) => e.id as bigint);
    assert.deepEqual([...refunded].sort(), [a, b, c].sort(), 'each id refunded exactly once');
    const credit = (await readChat('creditOf', [p])) as bigint;
    const received = (await readP(p, 'received')) as bigint;
    assert.equal(received + credit, 2n * PRICE + 3n, 'p is owed exactly its two escrows');
    assert.equal(await balance(p), received);
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE + 3n);
    assert.equal(await balance(tc.contract), contractBefore - received - (PRICE + 3n));
    for (const id of [a, b, c]) assert.equal((await readChat('getMessage', [id])).status, 4);
    await assertBooks();
  });

  it('a credit withdrawal re-entering withdrawCredit is paid once', async () => {
    const p = await participantCreator();
    await setMode(p, MODE_REVERT);
    const id = await sendFrom(BOB, p);
    await via(p, 'reply', [id, env()]);
    const credit = (await readChat('creditOf', [p])) as bigint;
    assert.equal(credit, PRICE - feeOf(PRICE));
    await setMode(p, MODE_REENTER, { data: chatData('withdrawCredit', [p]) });
    const contractBefore = await balance(tc.contract);
    const r = await via(p, 'withdrawCredit', [p]);
    assert.equal(events(r, 'CreditWithdrawn').length, 1);
    assert.deepEqual(await reentryErrors(r.transactionHash, p), [{ errorName: 'NothingToWithdraw', args: [] }]);
    assert.equal(await readP(p, 'received'), credit);
    assert.equal(await balance(p), credit);
    assert.equal(await balance(tc.contract), contractBefore - credit);
    assert.equal(await readChat('creditOf', [p]), 0n);
    assert.equal(await readChat('totalCredits'), 0n);
    await assertBooks();
  });

  it('a creator re-entering postFollowUp while a follow-up pays it: both are recorded, in order, paid once', async () => {
    const p = await participantCreator();
    const id = await sendFrom(BOB, p);
    await via(p, 'reply', [id, env()]);
    await setMode(p, MODE_REENTER, { data: chatData('postFollowUp', [id, env(1, 40, 3)]) });
    const r = await chat(BOB, 'postFollowUp', [id, env()], FOLLOW);
    assert.deepEqual(await reentryErrors(r.transactionHash, p), [], 'the nested follow-up is allowed');
    assert.equal(await readP(p, 'reentryOk'), true);
    const posted = eventArgs(r, 'FollowUpPosted');
    assert.deepEqual(
      posted.map((e) => [e.index, e.author, e.payout]),
      [
        [0, addr(BOB), FOLLOW - feeOf(FOLLOW)],
        [1, p, 0n],
      ],
    );
    assert.equal((await readChat('getThread', [1])).followUps, 2n);
    assert.deepEqual(await readChat('followUpBlocks', [1, 0n, 10n]), [Number(r.blockNumber), Number(r.blockNumber)]);
    assert.equal(await readP(p, 'received'), PRICE - feeOf(PRICE) + FOLLOW - feeOf(FOLLOW));
    assert.equal(await readChat('totalCredits'), 0n);
    await assertBooks();
  });
});

describe('gas: a keeper that sends with exactly its estimate never forces a payout onto the credit path', () => {
  /** Estimates `functionName` from `from`, sends it with exactly that gas, returns the receipt and the estimate. */
  async function estimatedSend(from: number, functionName: string, args: readonly unknown[], value?: bigint) {
    const gas = await tc.publicClient.estimateContractGas({
      address: tc.contract,
      abi: paidChatAbi,
      functionName,
      args,
      value,
      account: tc.accounts[from],
    } as never);
    const receipt = await chat(from, functionName, args, value, gas);
    assert.ok(receipt.gasUsed <= gas);
    return { receipt, gas };
  }

  // The receivers here need `burn` gas and, given less, revert at once, handing most of the gas
  // back: exactly the receiver for which the cheapest successful gas limit (what an estimate
  // looks for) would be one that starves it and books a credit, if the contract let it.
  it('a sender burning 0 … 35k gas in receive is refunded directly with the estimated gas', async () => {
    const p = await deployParticipant();
    const burns = [0n, 10_000n, 20_000n, 30_000n, 35_000n];
    const sent: bigint[] = [];
    for (const _ of burns) sent.push(await sendFrom(p, addr(ALICE)));
    await tc.mineAt((await readChat('getMessage', [sent[sent.length - 1]])).deadline);
    for (const [i, burn] of burns.entries()) {
      await setMode(p, MODE_BURN, { burn });
      const before = await balance(p);
      const { receipt, gas } = await estimatedSend(FRANK, 'refund', [sent[i]]);
      assert.deepEqual(eventArgs(receipt, 'PaymentDeferred'), [], `burn ${burn}: paid directly with gas ${gas}`);
      assert.equal(await balance(p), before + PRICE, `burn ${burn}`);
      const [push] = await pushesTo(receipt.transactionHash, p);
      assert.equal(BigInt(push.gas!), PUSH_GAS + 2_300n, 'the receiver got all of PUSH_GAS');
      assert.ok(BigInt(push.gasUsed!) >= burn, `it used ${BigInt(push.gasUsed!)}`);
    }
    assert.equal(await readChat('totalCredits'), 0n);
    await assertBooks();
  });

  it('the same holds for reply payouts and follow-up payouts to a creator burning 35k gas', async () => {
    const p = await participantCreator();
    await setMode(p, MODE_BURN, { burn: 35_000n });
    const id = await sendFrom(BOB, p);
    // The creator's own reply, sent (through its controller) with the estimated gas.
    const data = chatData('reply', [id, env()]);
    const gas = await tc.publicClient.estimateContractGas({ address: p, abi: pAbi, functionName: 'exec', args: [data], account: tc.accounts[CTRL] } as never);
    const r = await tc.wallet(CTRL).writeContractSync({ address: p, abi: pAbi, functionName: 'exec', args: [data], gas, type: 'legacy', gasPrice: GAS_PRICE } as never);
    assert.equal((r as TransactionReceipt).status, 'success');
    assert.deepEqual(eventArgs(r as TransactionReceipt, 'PaymentDeferred'), []);
    assert.equal(await balance(p), PRICE - feeOf(PRICE));
    // A visitor's paid follow-up, sent with the estimated gas.
    const { receipt } = await estimatedSend(BOB, 'postFollowUp', [id, env()], FOLLOW);
    assert.deepEqual(eventArgs(receipt, 'PaymentDeferred'), []);
    assert.equal(await balance(p), PRICE - feeOf(PRICE) + FOLLOW - feeOf(FOLLOW));
    assert.equal(await readChat('totalCredits'), 0n);
    await assertBooks();
  });

  it('a receiver needing up to PUSH_GAS is paid whatever the gas limit; one needing more gets credit whatever the gas limit', async () => {
    const p = await deployParticipant();
    // Find (by bisection, with plenty of gas) the largest burn the receiver can do within PUSH_GAS.
    let lo = 30_000n;
    let hi = 45_000n;
    const paidWith = async (burn: bigint, gas?: bigint) => {
      const id = await sendFrom(p, addr(ALICE));
      await tc.mineAt((await readChat('getMessage', [id])).deadline);
      await setMode(p, MODE_BURN, { burn });
      const r = gas === undefined ? await estimatedSend(FRANK, 'refund', [id]) : { receipt: await chat(FRANK, 'refund', [id], undefined, gas), gas };
      return { direct: eventArgs(r.receipt, 'PaymentDeferred').length === 0, gas: r.gas };
    };
    const s = await tc.snapshot();
    while (hi - lo > 100n) {
      const mid = (lo + hi) / 2n;
      const { direct } = await paidWith(mid, 3_000_000n);
      await tc.revert(s);
      if (direct) lo = mid;
      else hi = mid;
    }
    // PUSH_GAS + the 2,300 stipend, less the receive hook's own dispatch and loop overhead.
    assert.ok(lo > 40_000n && lo < PUSH_GAS + 2_300n, `the receiver can burn up to about PUSH_GAS + stipend: ${lo}`);
    // Up to that: paid directly with the estimate, and with a huge limit.
    assert.deepEqual(await paidWith(lo).then((x) => x.direct), true, `burn ${lo} with the estimate`);
    assert.deepEqual(await paidWith(lo, 5_000_000n).then((x) => x.direct), true);
    // Beyond it: credit, however much gas the keeper gives.
    for (const gas of [undefined, 200_000n, 5_000_000n]) {
      assert.deepEqual(await paidWith(hi + 200n, gas).then((x) => x.direct), false, `burn ${hi + 200n} gas ${gas}`);
    }
    await assertBooks();
  });

  it('InsufficientGas(left, needed) below the threshold: reverts, nothing settles; at the threshold the receiver is paid', async () => {
    const p = await deployParticipant();
    const id = await sendFrom(p, addr(ALICE));
    await setMode(p, MODE_BURN, { burn: 35_000n });
    await tc.mineAt((await readChat('getMessage', [id])).deadline);
    // Probe with too little gas: the error says how much was left at the check.
    const probe = 60_000n;
    const err = await expectRevert(chatSim(FRANK, 'refund', [id], { gas: probe }), 'InsufficientGas');
    const [left, needed] = err.data!.args as [bigint, bigint];
    assert.equal(needed, PUSH_NEEDED);
    assert.ok(left < needed);
    // gasleft() grows one for one with the gas limit: the threshold is exact.
    const threshold = probe + (needed - left);
    await expectRevert(chatSim(FRANK, 'refund', [id], { gas: threshold - 1n }), 'InsufficientGas', [needed - 1n, needed]);
    // Mined with too little gas: reverted, message still refundable, no credit.
    const low = await tc.wallet(FRANK).writeContractSync({
      address: tc.contract,
      abi: paidChatAbi,
      functionName: 'refund',
      args: [id],
      gas: threshold - 1n,
      type: 'legacy',
      gasPrice: GAS_PRICE,
      throwOnReceiptRevert: false,
    } as never);
    assert.equal((low as TransactionReceipt).status, 'reverted');
    assert.equal((await readChat('getMessage', [id])).status, 2, 'still REFUNDABLE');
    assert.equal(await readChat('creditOf', [p]), 0n);
    // The estimate is never below the threshold.
    const estimate = await tc.publicClient.estimateContractGas({ address: tc.contract, abi: paidChatAbi, functionName: 'refund', args: [id], account: tc.accounts[FRANK] } as never);
    assert.ok(estimate >= threshold, `estimate ${estimate} >= threshold ${threshold}`);
    // At the threshold exactly: the 35k receiver is paid directly.
    const before = await balance(p);
    const ok = await chat(FRANK, 'refund', [id], undefined, threshold);
    assert.deepEqual(eventArgs(ok, 'PaymentDeferred'), []);
    assert.equal(await balance(p), before + PRICE);
    await assertBooks();
  });
});

describe('a Safe 1.4.1 contract wallet', () => {
  let safe: SafeWallet;
  beforeEach(async () => {
    safe = await createSafe(tc, SAFE_OWNER, { fund: ONE(10) });
  });

  const safeSend = async (to: Address, value: bigint) => {
    const r = await execSafeTransaction(tc, safe, SAFE_OWNER, { to: tc.contract, data: chatData('sendMessage', [to, MAX_WINDOW, env()]), value });
    const [ev] = eventArgs(r, 'MessageSent');
    assert.equal(ev.sender, safe.address);
    ids.push(ev.id);
    return { id: ev.id as bigint, receipt: r };
  };
  const safeReceived = (r: TransactionReceipt) =>
    parseEventLogs({ abi: safeAbi, logs: r.logs, eventName: 'SafeReceived' as never }) as unknown as { args: { sender: Address; value: bigint } }[];

  it('sends a paid message and is refunded directly: its receive hook runs within PUSH_GAS (more than a 2,300 stipend)', async () => {
    const { id } = await safeSend(addr(ALICE), PRICE + 3n);
    await tc.mineAt((await readChat('getMessage', [id])).deadline);
    const before = await balance(safe.address);
    const gas = await tc.publicClient.estimateContractGas({ address: tc.contract, abi: paidChatAbi, functionName: 'refund', args: [id], account: tc.accounts[FRANK] } as never);
    const r = await chat(FRANK, 'refund', [id], undefined, gas);
    assert.deepEqual(eventArgs(r, 'PaymentDeferred'), []);
    assert.equal(await balance(safe.address), before + PRICE + 3n);
    assert.deepEqual(safeReceived(r).map((e) => [e.args.sender, e.args.value]), [[getAddress(tc.contract), PRICE + 3n]]);
    const [push] = await pushesTo(r.transactionHash, safe.address);
    const used = BigInt(push.gasUsed!);
    assert.ok(used > 2_300n && used < PUSH_GAS, `the Safe's receive used ${used} gas`);
    await assertBooks();
  });

  it('holds a handle, replies and receives reply and follow-up payouts directly', async () => {
    const exec = (functionName: string, args: readonly unknown[]) =>
      execSafeTransaction(tc, safe, SAFE_OWNER, { to: tc.contract, data: chatData(functionName, args) });
    await exec('claimHandle', [h('safe-creator'), PRICE, WINDOW, KEY, '0x']);
    await exec('updateProfile', [PRICE, WINDOW, FOLLOW]);
    await exec('addInboxKey', [KEY2]);
    const id = await sendFrom(BOB, safe.address, PRICE, 2);
    const before = await balance(safe.address);
    const r = await exec('reply', [id, env(2, 60, 2)]);
    assert.deepEqual(eventArgs(r, 'PaymentDeferred'), []);
    assert.equal(await balance(safe.address), before + PRICE - feeOf(PRICE));
    const f = await chat(BOB, 'postFollowUp', [id, env(2)], FOLLOW);
    assert.deepEqual(eventArgs(f, 'PaymentDeferred'), []);
    assert.deepEqual(safeReceived(f).map((e) => e.args.value), [FOLLOW - feeOf(FOLLOW)]);
    assert.equal(await balance(safe.address), before + PRICE - feeOf(PRICE) + FOLLOW - feeOf(FOLLOW));
    // The creator's own follow-up and a close, through the Safe.
    const own = await exec('postFollowUp', [id, env(1, 50, 3)]);
    assert.equal(eventArgs(own, 'FollowUpPosted')[0].author, safe.address);
    await exec('closeThread', [1]);
    await expectRevert(chatSim(BOB, 'postFollowUp', [id, env(2)], { value: FOLLOW }), 'ThreadNotOpen', [1, id]);
    assert.equal(await readChat('creditOf', [safe.address]), 0n);
    await assertBooks();
  });

  it('a failing call inside the Safe reverts the whole execTransaction (no coins move)', async () => {
    const before = await balance(safe.address);
    await assert.rejects(
      execSafeTransaction(tc, safe, SAFE_OWNER, { to: tc.contract, data: chatData('sendMessage', [addr(ALICE), MAX_WINDOW, env(9)]), value: PRICE }, { gas: 500_000n }),
      /reverted/,
    );
    assert.equal(await balance(safe.address), before);
    assert.equal((await readChat('profileOf', [addr(ALICE)])).inboxCount, 0n);
  });
});
