/**
 * PaidChat against hostile counterparties: `Participant` contracts (contracts/test/Receivers.sol)
 * that refuse payment, burn all gas, or re-enter the contract while being paid. Payouts must
 * settle anyway (as withdrawable credit), never twice, and the books must balance to the wei.
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

const chatErrors = paidChatAbi.filter((x) => x.type === 'error');
/** Participant's ABI plus PaidChat's errors, so reverts bubbling up through it decode. */
const pAbi = [...participantAbi, ...chatErrors] as const;

const MODE_ACCEPT = 0;
const MODE_REVERT = 1;
const MODE_BURN = 2;
const MODE_REENTER = 3;

const OWNER = 0;
const ALICE = 1; // EOA creator
const BOB = 2; // EOA sender
const CAROL = 3; // EOA third party (keeper)
const CTRL = 4; // EOA that drives the Participant contracts
const PAYEE = 8; // EOA that receives withdrawn credit

const KEY = ('0x' + '33'.repeat(32)) as Hex;
const ENV = ('0x' + 'ef'.repeat(64)) as Hex;
const PRICE = ONE('0.4');
const WINDOW = 3600;

let tc: TestChain;
const addr = (i: number): Address => tc.accounts[i].address;
const h = (s: string): Hex => stringToHex(s, { size: 32 });
const balance = (a: Address) => tc.publicClient.getBalance({ address: a });

/** A PaidChat write from an EOA. */
async function chat(from: number, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
  const receipt = await tc.wallet(from).writeContractSync({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    value,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never);
  assert.equal(receipt.status, 'success', `${functionName} should succeed`);
  return receipt;
}

function chatSim(from: number, functionName: string, args: readonly unknown[], value?: bigint) {
  return tc.publicClient.simulateContract({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    value,
    account: tc.accounts[from],
  } as never);
}

/** A call through a Participant contract, sent by its controller EOA. */
async function via(p: Address, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
  const receipt = await tc.wallet(CTRL).writeContractSync({
    address: p,
    abi: pAbi,
    functionName,
    args,
    value,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never);
  assert.equal(receipt.status, 'success', `${functionName} via participant should succeed`);
  return receipt;
}

function viaSim(p: Address, functionName: string, args: readonly unknown[]) {
  return tc.publicClient.simulateContract({ address: p, abi: pAbi, functionName, args, account: tc.accounts[CTRL] } as never);
}

function readChat(functionName: string, args: readonly unknown[] = []): Promise<any> {
  return tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName, args } as never);
}
function readP(p: Address, functionName: string): Promise<any> {
  return tc.publicClient.readContract({ address: p, abi: participantAbi, functionName } as never);
}

function events(r: TransactionReceipt, eventName: string) {
  return parseEventLogs({ abi: paidChatAbi, logs: r.logs, eventName: eventName as never }) as unknown as {
    args: Record<string, any>;
  }[];
}

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

const setMode = (p: Address, mode: number, data: Hex = '0x') => via(p, 'setMode', [mode, data]);

/** Every message this test created, to sum the open escrows. */
let ids: bigint[] = [];

async function sendFrom(from: number | Address, to: Address, value = PRICE): Promise<bigint> {
  const r =
    typeof from === 'number'
      ? await chat(from, 'sendMessage', [to, BigInt(WINDOW), ENV], value)
      : await via(from, 'send', [to, BigInt(WINDOW), ENV], value);
  const [ev] = events(r, 'MessageSent');
  ids.push(ev.args.id);
  return ev.args.id;
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

before(async () => {
  tc = await startTestChain();
});
after(async () => {
  await tc?.stop();
});
let snap: Hex;
beforeEach(async () => {
  ids = [];
  snap = await tc.snapshot();
  // alice: EOA creator; bob, carol: EOA senders
  await chat(ALICE, 'claimHandle', [h('alice'), PRICE, WINDOW, KEY, 2]);
  await chat(BOB, 'registerKey', [KEY, 3]);
  await chat(CAROL, 'registerKey', [KEY, 2]);
});
afterEach(async () => {
  await tc.revert(snap);
});

describe('recipient contracts that refuse payment', () => {
  for (const [mode, label] of [
    [MODE_REVERT, 'reverts on receive'],
    [MODE_BURN, 'burns all gas on receive'],
  ] as const) {
    it(`recipient that ${label}: reply settles, payout becomes credit, withdrawable to an EOA`, async () => {
      const p = await deployParticipant();
      await via(p, 'claimHandle', [h('vault'), PRICE, WINDOW, KEY, 3]);
      await setMode(p, mode);
      const value = PRICE + 1_001n;
      const id = await sendFrom(BOB, p, value);
      const fee = (value * 100n) / 10_000n;
      const payout = value - fee;
      const contractBefore = await balance(tc.contract);

      const r = await via(p, 'reply', [id, ENV]);
      assert.ok(r.gasUsed < 150_000n, `reply gas bounded: ${r.gasUsed}`);
      assert.deepEqual(events(r, 'MessageReplied')[0].args.payout, payout);
      assert.deepEqual(events(r, 'PaymentDeferred').map((e) => e.args), [{ account: p, amount: payout }]);
      assert.equal((await readChat('getMessage', [id])).status, 3, 'REPLIED');
      assert.equal(await readChat('creditOf', [p]), payout);
      assert.equal(await readChat('totalCredits'), payout);
      assert.equal(await readChat('accruedFees'), fee);
      assert.equal(await balance(p), 0n);
      assert.equal(await balance(tc.contract), contractBefore, 'nothing left the contract');
      await expectRevert(viaSim(p, 'reply', [id, ENV]), 'AlreadySettled', [id, 3]);
      await assertBooks();

      // Withdrawing to itself fails (it still refuses) and keeps the credit.
      await expectRevert(viaSim(p, 'withdrawCredit', [p]), 'TransferFailed', [p, payout]);
      await expectRevert(viaSim(p, 'withdrawCredit', [zeroAddress]), 'ZeroAddress', []);
      // Only the credited account can withdraw it.
      await expectRevert(chatSim(CTRL, 'withdrawCredit', [addr(CTRL)]), 'NothingToWithdraw', []);

      const payeeBefore = await balance(addr(PAYEE));
      const w = await via(p, 'withdrawCredit', [addr(PAYEE)]);
      assert.deepEqual(events(w, 'CreditWithdrawn')[0].args, { account: p, to: addr(PAYEE), amount: payout });
      assert.equal(await balance(addr(PAYEE)), payeeBefore + payout);
      assert.equal(await readChat('creditOf', [p]), 0n);
      assert.equal(await readChat('totalCredits'), 0n);
      assert.equal(await balance(tc.contract), contractBefore - payout);
      await expectRevert(viaSim(p, 'withdrawCredit', [addr(PAYEE)]), 'NothingToWithdraw', []);
      await assertBooks();
    });
  }

  it('the same contract accepting (mode 0) is paid directly, no credit', async () => {
    const p = await deployParticipant();
    await via(p, 'claimHandle', [h('vault'), PRICE, WINDOW, KEY, 3]);
    await setMode(p, MODE_ACCEPT);
    const id = await sendFrom(BOB, p);
    const fee = (PRICE * 100n) / 10_000n;
    const r = await via(p, 'reply', [id, ENV]);
    assert.equal(events(r, 'PaymentDeferred').length, 0);
    assert.equal(await balance(p), PRICE - fee);
    assert.equal(await readP(p, 'received'), PRICE - fee);
    assert.equal(await readChat('creditOf', [p]), 0n);
    await assertBooks();
  });
});

describe('sender contracts that refuse refunds', () => {
  it('refund settles, the sender gets credit; a refundMany batch with it and EOAs settles all', async () => {
    const reverter = await deployParticipant();
    const burner = await deployParticipant();
    for (const p of [reverter, burner]) await via(p, 'registerKey', [KEY, 2]);
    const single = await sendFrom(reverter, addr(ALICE));
    const r1 = await sendFrom(reverter, addr(ALICE), PRICE + 1n);
    const b1 = await sendFrom(BOB, addr(ALICE), PRICE + 2n);
    const r2 = await sendFrom(burner, addr(ALICE), PRICE + 3n);
    const c1 = await sendFrom(CAROL, addr(ALICE), PRICE + 4n);
    await setMode(reverter, MODE_REVERT);
    await setMode(burner, MODE_BURN);
    const { deadline } = await readChat('getMessage', [c1]);
    await tc.mineAt(deadline);

    const r = await chat(CAROL, 'refund', [single]);
    assert.deepEqual(events(r, 'PaymentDeferred').map((e) => e.args), [{ account: reverter, amount: PRICE }]);
    assert.equal((await readChat('getMessage', [single])).status, 4, 'REFUNDED');
    assert.equal(await readChat('creditOf', [reverter]), PRICE);
    await expectRevert(chatSim(CAROL, 'refund', [single]), 'AlreadySettled', [single, 4]);
    await assertBooks();

    const [bobBefore, carolBefore, contractBefore] = await Promise.all([
      balance(addr(BOB)),
      balance(addr(CAROL)),
      balance(tc.contract),
    ]);
    const batch = await chat(OWNER, 'refundMany', [[r1, b1, r2, c1, single]]);
    assert.ok(batch.gasUsed < 400_000n, `batch gas ${batch.gasUsed}`);
    assert.deepEqual(
      events(batch, 'MessageRefunded').map((e) => e.args.id),
      [r1, b1, r2, c1],
    );
    assert.deepEqual(
      events(batch, 'PaymentDeferred').map((e) => e.args),
      [
        { account: reverter, amount: PRICE + 1n },
        { account: burner, amount: PRICE + 3n },
      ],
    );
    for (const id of [r1, b1, r2, c1]) assert.equal((await readChat('getMessage', [id])).status, 4);
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE + 2n);
    assert.equal(await balance(addr(CAROL)), carolBefore + PRICE + 4n);
    assert.equal(await balance(tc.contract), contractBefore - (PRICE + 2n) - (PRICE + 4n));
    assert.equal(await readChat('creditOf', [reverter]), 2n * PRICE + 1n);
    assert.equal(await readChat('creditOf', [burner]), PRICE + 3n);
    assert.equal(await readChat('totalCredits'), 3n * PRICE + 4n);
    await assertBooks();

    // Both withdraw their credit elsewhere.
    const payeeBefore = await balance(addr(PAYEE));
    await via(reverter, 'withdrawCredit', [addr(PAYEE)]);
    await via(burner, 'withdrawCredit', [addr(PAYEE)]);
    assert.equal(await balance(addr(PAYEE)), payeeBefore + 3n * PRICE + 4n);
    assert.equal(await readChat('totalCredits'), 0n);
    await assertBooks();
    assert.equal(await balance(tc.contract), 0n, 'everything settled and paid out');
  });

  it('a gas-burning sender cannot make refunds expensive', async () => {
    const burner = await deployParticipant();
    await via(burner, 'registerKey', [KEY, 2]);
    const id = await sendFrom(burner, addr(ALICE));
    await setMode(burner, MODE_BURN);
    await tc.mineAt((await readChat('getMessage', [id])).deadline);
    const r = await chat(CAROL, 'refund', [id]);
    assert.ok(r.gasUsed < 150_000n, `refund gas bounded: ${r.gasUsed}`);
    assert.equal(await readChat('creditOf', [burner]), PRICE);
    await assertBooks();
  });
});

describe('re-entrancy', () => {
  for (const target of ['reply', 'refund'] as const) {
    it(`recipient re-entering ${target}(sameId) while being paid cannot double-settle`, async () => {
      const p = await deployParticipant();
      await via(p, 'claimHandle', [h('vault'), PRICE, WINDOW, KEY, 3]);
      const id = await sendFrom(BOB, p);
      const other = await sendFrom(CAROL, p); // stays open
      const data =
        target === 'reply'
          ? encodeFunctionData({ abi: paidChatAbi, functionName: 'reply', args: [id, ENV] })
          : encodeFunctionData({ abi: paidChatAbi, functionName: 'refund', args: [id] });
      await setMode(p, MODE_REENTER, data);
      const fee = (PRICE * 100n) / 10_000n;
      const contractBefore = await balance(tc.contract);

      const r = await via(p, 'reply', [id, ENV]);
      assert.equal(events(r, 'MessageReplied').length, 1, 'settled exactly once');
      assert.equal(events(r, 'MessageRefunded').length, 0);
      assert.equal(events(r, 'PaymentDeferred').length, 0, 'the push itself succeeded');
      // The re-entrant call ran and was refused.
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

  it('sender re-entering refund(sameId) / refundMany([sameId]) while being refunded gets paid once', async () => {
    const p = await deployParticipant();
    await via(p, 'registerKey', [KEY, 2]);
    const a = await sendFrom(p, addr(ALICE), PRICE + 5n);
    const b = await sendFrom(p, addr(ALICE), PRICE + 6n);
    await tc.mineAt((await readChat('getMessage', [b])).deadline);

    await setMode(p, MODE_REENTER, encodeFunctionData({ abi: paidChatAbi, functionName: 'refund', args: [a] }));
    const r = await chat(CAROL, 'refund', [a]);
    assert.equal(events(r, 'MessageRefunded').length, 1);
    assert.deepEqual(await reentryErrors(r.transactionHash, p), [{ errorName: 'AlreadySettled', args: [a, 4] }]);
    assert.equal(await readP(p, 'received'), PRICE + 5n);
    assert.equal(await readChat('creditOf', [p]), 0n);
    await assertBooks();

    await setMode(p, MODE_REENTER, encodeFunctionData({ abi: paidChatAbi, functionName: 'refundMany', args: [[b, a]] }));
    const r2 = await chat(CAROL, 'refundMany', [[b]]);
    assert.equal(events(r2, 'MessageRefunded').length, 1);
    assert.deepEqual(await reentryErrors(r2.transactionHash, p), [{ errorName: 'NothingToRefund', args: [] }]);
    assert.equal(await readP(p, 'received'), 2n * PRICE + 11n);
    assert.equal(await balance(p), 2n * PRICE + 11n);
    await assertBooks();
    assert.equal(await balance(tc.contract), 0n);
  });

  it('sender re-entering refund(otherId) during a batch: each message refunded exactly once', async () => {
    const p = await deployParticipant();
    await via(p, 'registerKey', [KEY, 2]);
    const a = await sendFrom(p, addr(ALICE), PRICE + 1n);
    const b = await sendFrom(p, addr(ALICE), PRICE + 2n);
    const c = await sendFrom(BOB, addr(ALICE), PRICE + 3n);
    await tc.mineAt((await readChat('getMessage', [c])).deadline);
    // On the first payment, try to refund b from inside; the batch also contains b.
    await setMode(p, MODE_REENTER, encodeFunctionData({ abi: paidChatAbi, functionName: 'refund', args: [b] }));
    const contractBefore = await balance(tc.contract);
    const bobBefore = await balance(addr(BOB));
    const r = await chat(CAROL, 'refundMany', [[a, b, c]]);
    const refunded = events(r, 'MessageRefunded').map((e) => e.args.id as bigint);
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

  it('credit withdrawal re-entering withdrawCredit is paid once', async () => {
    // p collects a credit as a reverting recipient, then withdraws to itself while re-entering
    // withdrawCredit from its receive hook.
    const p = await deployParticipant();
    await via(p, 'claimHandle', [h('vault'), PRICE, WINDOW, KEY, 3]);
    await setMode(p, MODE_REVERT);
    const id = await sendFrom(BOB, p);
    await via(p, 'reply', [id, ENV]);
    const credit = (await readChat('creditOf', [p])) as bigint;
    assert.equal(credit, PRICE - (PRICE * 100n) / 10_000n);
    await setMode(p, MODE_REENTER, encodeFunctionData({ abi: paidChatAbi, functionName: 'withdrawCredit', args: [p] }));
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
});
