/**
 * Property-based test of PaidChat against anvil: random sequences of claims, sends, replies,
 * refunds, batch refunds, time travel, withdrawals and fee changes by EOAs and by `Participant`
 * contracts that may refuse payment. A ghost model in TypeScript predicts every outcome — success
 * with its exact events, or the exact custom error — and after every step the chain must agree
 * with the model on every tracked balance, the credits and the fees, and the books must balance:
 *   contract balance == open escrows + totalCredits + accruedFees == value in − value out.
 *
 * Each sequence starts from an evm snapshot taken after the setup, so 1,000 runs stay fast.
 * Block timestamps are made deterministic (anvil block-timestamp interval of 1 s), so the model
 * knows the timestamp of the next block exactly and reply/refund deadlines are hit to the second.
 * FC_RUNS and FC_SEED override the number of runs and the seed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BaseError,
  createPublicClient,
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  http,
  parseEventLogs,
  stringToHex,
  zeroAddress,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { participantAbi, participantBytecode } from '../generated/test-contracts.js';
import { GAS_PRICE, startTestChain, type TestChain } from '../support/chain.js';

const NUM_RUNS = Number(process.env.FC_RUNS ?? 1000);
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

// ------------------------------------------------------------------------------------ constants

const GAS = 3_000_000n;
const MIN_WINDOW = 3600n;
const MAX_WINDOW = 30n * 86_400n;
const DEFAULT_WINDOW = 7n * 86_400n;
const MAX_ENV = 320;
const MAX_FEE = 500n;
const KEY = ('0x' + '5a'.repeat(32)) as Hex;
const UNKNOWN_ID = (77n << 32n) | 3n;

const OWNER_W = 0; // deployer: owner and initial fee recipient
const KEEPER_W = 6; // third party: refunds, withdrawFees, non-owner setFee
const STRANGER_W = 7; // never registers: a recipient without a handle

const HANDLES = ['alpha', 'bravo', 'charlie', 'papa', 'Bad_', '_x1'];
const PRICES = [0n, 1_000_000_000_000_000n, 2_000_000_000_000_001n, 3_000_000_000_000_007n];
const WINDOWS = [0n, MIN_WINDOW, 7200n, MIN_WINDOW - 1n, MAX_WINDOW + 1n, MAX_WINDOW];
const ENV_SIZES = [1, 100, MAX_ENV, 0, MAX_ENV + 1];
const FEES = [0n, 1n, 100n, 250n, MAX_FEE, MAX_FEE + 1n, 10_000n];

// ------------------------------------------------------------------------------------ actors

interface Actor {
  address: Address;
  /** Wallet (dev account index) that signs: the EOA itself, or the controller of a contract. */
  wallet: number;
  contract: boolean;
}

// ------------------------------------------------------------------------------------ ghost model

type Status = 'open' | 'replied' | 'refunded';
interface GMsg {
  id: bigint;
  sender: Address;
  recipient: Address;
  amount: bigint;
  deadline: bigint;
  status: Status;
}
interface GAccount {
  number: number; // 0 = never registered
  key: boolean;
  handle: string | null;
  price: bigint;
  window: bigint;
  inboxCount: number;
}
interface Model {
  now: bigint; // timestamp of the latest block
  accountCount: number;
  accounts: Map<Address, GAccount>;
  handleOwner: Map<string, Address>;
  msgs: Map<bigint, GMsg>;
  credits: Map<Address, bigint>;
  modes: Map<Address, number>; // Participant receive mode
  balances: Map<Address, bigint>; // every tracked address
  feeBps: bigint;
  fees: bigint;
  feeRecipient: Address;
  owner: Address;
  valueIn: bigint;
  valueOut: bigint;
  nonces: Map<number, number>; // per signing wallet (restored with the snapshot, like the chain)
}

const cloneModel = (m: Model): Model => structuredClone(m);

function acct(m: Model, a: Address): GAccount {
  let x = m.accounts.get(a);
  if (!x) {
    x = { number: 0, key: false, handle: null, price: 0n, window: 0n, inboxCount: 0 };
    m.accounts.set(a, x);
  }
  return x;
}
function setKey(m: Model, a: Address) {
  const x = acct(m, a);
  if (x.number === 0) x.number = ++m.accountCount;
  x.key = true;
}
const validHandle = (s: string) => /^[a-z0-9][a-z0-9_-]{2,31}$/.test(s);
const hb = (s: string): Hex => stringToHex(s, { size: 32 });
const env = (n: number): Hex => (n === 0 ? '0x' : (('0x' + '3c'.repeat(n)) as Hex));
const statusCode = (s: Status) => (s === 'replied' ? 3 : s === 'refunded' ? 4 : 0);

// ------------------------------------------------------------------------------------ actions

type Action =
  | { t: 'claim'; a: number; handle: number; price: number; window: number; badKey: boolean }
  | { t: 'update'; a: number; price: number; window: number }
  | { t: 'release'; a: number }
  | { t: 'key'; a: number; bad: boolean }
  | { t: 'send'; a: number; toHolder: boolean; to: number; value: number; tip: bigint; maxWin: number; env: number; combo: boolean }
  | { t: 'reply'; a: number; pool: number; m: number; right: boolean; env: number }
  | { t: 'refund'; by: number; pool: number; m: number }
  | { t: 'refundMany'; by: number; ms: number[]; unknown: boolean; tooMany: boolean }
  | { t: 'warp'; m: number; how: number; secs: number }
  | { t: 'edge'; m: number; atDeadline: boolean; reply: boolean }
  | { t: 'withdrawCredit'; creditor: boolean; a: number; to: number }
  | { t: 'withdrawFees'; by: number }
  | { t: 'setFee'; owner: boolean; bps: number }
  | { t: 'setFeeRecipient'; to: number }
  | { t: 'setMode'; p: number; mode: number };

const nat = (n: number) => fc.nat({ max: n - 1 });
const actorIdx = nat(5);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('claim' as const), a: actorIdx, handle: nat(HANDLES.length), price: nat(PRICES.length), window: nat(WINDOWS.length), badKey: fc.constantFrom(false, false, false, true) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('update' as const), a: nat(3), price: nat(PRICES.length), window: nat(WINDOWS.length) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('release' as const), a: nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('key' as const), a: actorIdx, bad: fc.boolean() }) },
  {
    weight: 10,
    arbitrary: fc.record({
      t: fc.constant('send' as const),
      a: actorIdx,
      toHolder: fc.constantFrom(true, true, true, true, false),
      to: fc.nat(),
      value: fc.constantFrom(0, 1, 1, 2, 2, 3), // 0: zero, 1: exact price, 2: price + tip, 3: price − 1
      tip: fc.bigInt({ min: 1n, max: 10n ** 16n }),
      maxWin: fc.constantFrom(0, 0, 0, 1, 2), // 0: 30 days, 1: exactly the window, 2: window − 1
      env: fc.constantFrom(0, 0, 0, 1, 1, 1, 2, 2, 3, 4),
      combo: fc.boolean(),
    }),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      t: fc.constant('reply' as const),
      a: actorIdx,
      pool: fc.constantFrom(0, 0, 0, 0, 0, 1, 1, 2), // 0: open messages, 1: any, 2: unknown id
      m: fc.nat(),
      right: fc.constantFrom(true, true, true, false),
      env: fc.constantFrom(0, 0, 1, 1, 1, 2, 2, 3, 4),
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('refund' as const), by: nat(5), pool: fc.constantFrom(0, 0, 0, 0, 1, 1, 2), m: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('refundMany' as const),
      by: nat(5),
      ms: fc.array(fc.nat(), { minLength: 0, maxLength: 6 }),
      unknown: fc.boolean(),
      tooMany: fc.constantFrom(false, false, false, false, false, false, false, true),
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('warp' as const), m: fc.nat(), how: nat(4), secs: fc.integer({ min: 1, max: 3 * 86_400 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('edge' as const), m: fc.nat(), atDeadline: fc.boolean(), reply: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('withdrawCredit' as const),
      creditor: fc.constantFrom(true, true, true, false),
      a: actorIdx,
      to: fc.constantFrom(0, 0, 0, 1, 1, 2, 3, 4), // own wallet, keeper, P1, P2, zero address
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('withdrawFees' as const), by: nat(5) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('setFee' as const), owner: fc.constantFrom(true, true, true, false), bps: nat(FEES.length) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('setFeeRecipient' as const), to: nat(4) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('setMode' as const), p: nat(2), mode: nat(3) }) },
);

// ------------------------------------------------------------------------------------ harness

let tc: TestChain;
let pc: PublicClient; // batching client for the checks
let actors: Actor[];
let tracked: Address[];
let baseModel: Model;
let baseSnapshot: Hex;
const stats = {
  runs: 0,
  steps: 0,
  txs: 0,
  reverts: 0,
  settlements: 0,
  credits: 0,
  errors: new Map<string, number>(),
  ok: new Map<string, number>(),
};

type Expect =
  | { error: string; args: readonly unknown[] }
  | { events: { eventName: string; args: Record<string, unknown> }[]; apply: () => void; settled?: bigint[] };

interface Plan {
  label: string;
  wallet: number;
  to: Address;
  data: Hex;
  value: bigint;
  expect: Expect;
}

const W = (i: number) => tc.accounts[i].address;
const fail = (e: string, ...args: unknown[]): Expect => ({ error: e, args });

function chatCall(functionName: string, args: readonly unknown[]): Hex {
  return encodeFunctionData({ abi: paidChatAbi, functionName, args } as never);
}
function pCall(functionName: string, args: readonly unknown[]): Hex {
  return encodeFunctionData({ abi: participantAbi, functionName, args } as never);
}
/** Calldata for `functionName` done by actor `x` (directly, or through its Participant contract). */
function byActor(x: Actor, functionName: string, args: readonly unknown[]) {
  return x.contract
    ? { wallet: x.wallet, to: x.address, data: pCall(functionName, args) }
    : { wallet: x.wallet, to: tc.contract, data: chatCall(functionName, args) };
}

function isRefuser(m: Model, a: Address) {
  const mode = m.modes.get(a);
  return mode === 1 || mode === 2;
}

/** Model of `_push`: pay `to` or, if it refuses (PaymentDeferred), credit it. */
function push(m: Model, to: Address, amount: bigint) {
  if (isRefuser(m, to)) {
    m.credits.set(to, (m.credits.get(to) ?? 0n) + amount);
    stats.credits++;
  } else {
    pay(m, to, amount);
  }
}
function pay(m: Model, to: Address, amount: bigint) {
  m.balances.set(tc.contract, m.balances.get(tc.contract)! - amount);
  m.balances.set(to, (m.balances.get(to) ?? 0n) + amount);
  m.valueOut += amount;
}

function pickMsg(m: Model, pool: number, i: number): bigint {
  if (pool === 2) return UNKNOWN_ID;
  const all = [...m.msgs.values()];
  const list = pool === 0 ? all.filter((x) => x.status === 'open') : all;
  if (list.length === 0) return all.length ? all[i % all.length].id : UNKNOWN_ID;
  return list[i % list.length].id;
}

// ---- planners: each mirrors the contract's checks in order, and the effects on success

function planClaim(m: Model, a: { a: number; handle: number; price: number; window: number; badKey: boolean }): Plan {
  const x = actors[a.a];
  const handle = HANDLES[a.handle];
  const price = PRICES[a.price];
  const window = WINDOWS[a.window];
  const prefix = a.badKey ? 4 : 3;
  const call = byActor(x, 'claimHandle', [hb(handle), price, Number(window), KEY, prefix]);
  const me = acct(m, x.address);
  let expect: Expect;
  if (!validHandle(handle)) expect = fail('HandleInvalid', hb(handle));
  else if (m.handleOwner.has(handle)) expect = fail('HandleTaken', hb(handle), m.handleOwner.get(handle));
  else if (me.handle) expect = fail('AlreadyHasHandle', x.address, hb(me.handle));
  else if (window !== 0n && (window < MIN_WINDOW || window > MAX_WINDOW))
    expect = fail('WindowOutOfRange', window, MIN_WINDOW, MAX_WINDOW);
  else if (a.badKey) expect = fail('KeyInvalid');
  else {
    const w = window === 0n ? DEFAULT_WINDOW : window;
    expect = {
      events: [
        { eventName: 'KeyRegistered', args: { account: x.address, keyX: KEY, keyPrefix: prefix } },
        { eventName: 'HandleClaimed', args: { account: x.address, handle: hb(handle), price, window: w } },
      ],
      apply: () => {
        setKey(m, x.address);
        Object.assign(acct(m, x.address), { handle, price, window: w });
        m.handleOwner.set(handle, x.address);
      },
    };
  }
  return { label: `claim ${handle} by ${a.a}`, ...call, value: 0n, expect };
}

function planUpdate(m: Model, a: { a: number; price: number; window: number }): Plan {
  const x = actors[a.a]; // an EOA (Participant has no updateProfile)
  const price = PRICES[a.price];
  const window = WINDOWS[a.window];
  const me = acct(m, x.address);
  let expect: Expect;
  if (!me.handle) expect = fail('NoHandle', x.address);
  else if (window !== 0n && (window < MIN_WINDOW || window > MAX_WINDOW))
    expect = fail('WindowOutOfRange', window, MIN_WINDOW, MAX_WINDOW);
  else {
    const w = window === 0n ? DEFAULT_WINDOW : window;
    expect = {
      events: [{ eventName: 'ProfileUpdated', args: { account: x.address, handle: hb(me.handle), price, window: w } }],
      apply: () => Object.assign(me, { price, window: w }),
    };
  }
  return { label: `update ${a.a}`, ...byActor(x, 'updateProfile', [price, Number(window)]), value: 0n, expect };
}

function planRelease(m: Model, a: { a: number }): Plan {
  const x = actors[a.a];
  const me = acct(m, x.address);
  const handle = me.handle;
  const expect: Expect = !handle
    ? fail('NoHandle', x.address)
    : {
        events: [{ eventName: 'HandleReleased', args: { account: x.address, handle: hb(handle) } }],
        apply: () => {
          m.handleOwner.delete(handle);
          Object.assign(me, { handle: null, price: 0n, window: 0n });
        },
      };
  return { label: `release ${a.a}`, ...byActor(x, 'releaseHandle', []), value: 0n, expect };
}

function planKey(m: Model, a: { a: number; bad: boolean }): Plan {
  const x = actors[a.a];
  const prefix = a.bad ? 1 : 2;
  const expect: Expect = a.bad
    ? fail('KeyInvalid')
    : {
        events: [{ eventName: 'KeyRegistered', args: { account: x.address, keyX: KEY, keyPrefix: prefix } }],
        apply: () => setKey(m, x.address),
      };
  return { label: `key ${a.a}`, ...byActor(x, 'registerKey', [KEY, prefix]), value: 0n, expect };
}

function planSend(m: Model, a: Extract<Action, { t: 'send' }>): Plan {
  const x = actors[a.a];
  // Mostly someone holding a handle (possibly the sender itself), else anyone, or a stranger.
  const holders = [...m.handleOwner.values()].filter((h) => h !== x.address || a.to % 5 === 0);
  const to =
    a.toHolder && holders.length
      ? holders[a.to % holders.length]
      : a.to % 6 === 5
        ? W(STRANGER_W)
        : actors[a.to % 6].address;
  const r = acct(m, to);
  const price = r.price;
  const value = a.value === 0 ? 0n : a.value === 1 ? price : a.value === 2 ? price + a.tip : price > 0n ? price - 1n : 0n;
  const maxWindow = a.maxWin === 0 ? MAX_WINDOW : a.maxWin === 1 ? r.window : r.window > 0n ? r.window - 1n : 0n;
  const size = ENV_SIZES[a.env];
  const envelope = env(size);
  const combo = a.combo && !x.contract;
  const call = combo
    ? { wallet: x.wallet, to: tc.contract, data: chatCall('registerKeyAndSend', [KEY, 3, to, maxWindow, envelope]) }
    : x.contract
      ? { wallet: x.wallet, to: x.address, data: pCall('send', [to, maxWindow, envelope]) }
      : { wallet: x.wallet, to: tc.contract, data: chatCall('sendMessage', [to, maxWindow, envelope]) };
  const ts = m.now + 1n;
  let expect: Expect;
  if (size === 0 || size > MAX_ENV) expect = fail('EnvelopeSize', BigInt(size), BigInt(MAX_ENV));
  else if (to === x.address) expect = fail('SelfMessage');
  else if (!r.handle) expect = fail('NoHandle', to);
  else if (value < price) expect = fail('PriceTooLow', price, value);
  else if (r.window > maxWindow) expect = fail('WindowTooLong', r.window, maxWindow);
  else if (!combo && !acct(m, x.address).key) expect = fail('NoMessagingKey', x.address);
  else {
    const id = (BigInt(r.number) << 32n) | BigInt(r.inboxCount);
    const deadline = ts + r.window;
    const events: { eventName: string; args: Record<string, unknown> }[] = [];
    if (combo) events.push({ eventName: 'KeyRegistered', args: { account: x.address, keyX: KEY, keyPrefix: 3 } });
    events.push({
      eventName: 'MessageSent',
      args: { id, sender: x.address, recipient: to, amount: value, deadline, envelope },
    });
    expect = {
      events,
      apply: () => {
        if (combo) setKey(m, x.address);
        r.inboxCount++;
        m.msgs.set(id, { id, sender: x.address, recipient: to, amount: value, deadline, status: 'open' });
        m.balances.set(tc.contract, m.balances.get(tc.contract)! + value);
        m.valueIn += value;
      },
    };
  }
  return { label: `send ${a.a}→${a.to} ${value}`, ...call, value, expect };
}

function planReply(m: Model, a: { a: number; pool: number; m: number; right: boolean; env: number }): Plan {
  const id = pickMsg(m, a.pool, a.m);
  const msg = m.msgs.get(id);
  const recipientActor = msg ? actors.find((x) => x.address === msg.recipient) : undefined;
  const x = a.right && recipientActor ? recipientActor : actors[a.a];
  const size = ENV_SIZES[a.env];
  const envelope = env(size);
  const ts = m.now + 1n;
  let expect: Expect;
  if (size === 0 || size > MAX_ENV) expect = fail('EnvelopeSize', BigInt(size), BigInt(MAX_ENV));
  else if (!msg) expect = fail('UnknownMessage', id);
  else if (BigInt(acct(m, x.address).number) !== id >> 32n) expect = fail('NotRecipient', id, x.address);
  else if (msg.status !== 'open') expect = fail('AlreadySettled', id, statusCode(msg.status));
  else if (ts >= msg.deadline) expect = fail('ReplyWindowClosed', id, msg.deadline);
  else {
    const fee = (msg.amount * m.feeBps) / 10_000n;
    const payout = msg.amount - fee;
    const events: { eventName: string; args: Record<string, unknown> }[] = [
      { eventName: 'MessageReplied', args: { id, sender: msg.sender, recipient: msg.recipient, payout, fee, envelope } },
    ];
    // No push at all for a free message; a refused push becomes credit (PaymentDeferred).
    if (msg.amount !== 0n && isRefuser(m, msg.recipient))
      events.push({ eventName: 'PaymentDeferred', args: { account: msg.recipient, amount: payout } });
    expect = {
      events,
      settled: [id],
      apply: () => {
        msg.status = 'replied';
        m.fees += fee;
        if (msg.amount !== 0n) push(m, msg.recipient, payout);
      },
    };
  }
  return { label: `reply ${id} by ${x.address.slice(0, 8)}`, ...byActor(x, 'reply', [id, envelope]), value: 0n, expect };
}

const REFUNDERS = [1, 2, 3, KEEPER_W, 4];

function refundEffects(m: Model, ids: bigint[]) {
  const events: { eventName: string; args: Record<string, unknown> }[] = [];
  for (const id of ids) {
    const msg = m.msgs.get(id)!;
    events.push({ eventName: 'MessageRefunded', args: { id, sender: msg.sender, recipient: msg.recipient, amount: msg.amount } });
    if (msg.amount !== 0n && isRefuser(m, msg.sender))
      events.push({ eventName: 'PaymentDeferred', args: { account: msg.sender, amount: msg.amount } });
  }
  return {
    events,
    settled: ids,
    apply: () => {
      for (const id of ids) {
        const msg = m.msgs.get(id)!;
        msg.status = 'refunded';
        if (msg.amount !== 0n) push(m, msg.sender, msg.amount);
      }
    },
  };
}

function planRefund(m: Model, a: { by: number; pool: number; m: number }): Plan {
  const id = pickMsg(m, a.pool, a.m);
  const msg = m.msgs.get(id);
  const ts = m.now + 1n;
  let expect: Expect;
  if (!msg) expect = fail('UnknownMessage', id);
  else if (msg.status !== 'open') expect = fail('AlreadySettled', id, statusCode(msg.status));
  else if (ts < msg.deadline) expect = fail('NotYetRefundable', id, msg.deadline);
  else expect = refundEffects(m, [id]);
  const wallet = REFUNDERS[a.by];
  return { label: `refund ${id} by w${wallet}`, wallet, to: tc.contract, data: chatCall('refund', [id]), value: 0n, expect };
}

function planRefundMany(m: Model, a: { by: number; ms: number[]; unknown: boolean; tooMany: boolean }): Plan {
  const all = [...m.msgs.keys()];
  let ids = a.ms.map((i) => (all.length ? all[i % all.length] : UNKNOWN_ID));
  if (a.unknown) ids.splice(ids.length >> 1, 0, UNKNOWN_ID);
  if (a.tooMany) ids = [...ids, ...Array.from({ length: 101 - ids.length }, () => UNKNOWN_ID)];
  const ts = m.now + 1n;
  let expect: Expect;
  if (ids.length > 100) expect = fail('TooManyIds', BigInt(ids.length), 100n);
  else {
    const due: bigint[] = [];
    for (const id of ids) {
      const msg = m.msgs.get(id);
      if (msg && msg.status === 'open' && ts >= msg.deadline && !due.includes(id)) due.push(id);
    }
    expect = due.length === 0 ? fail('NothingToRefund') : refundEffects(m, due);
  }
  const wallet = REFUNDERS[a.by];
  return { label: `refundMany [${ids.length}] by w${wallet}`, wallet, to: tc.contract, data: chatCall('refundMany', [ids]), value: 0n, expect };
}

function creditTargets(x: Actor): Address[] {
  return [W(x.wallet), W(KEEPER_W), actors[3].address, actors[4].address, zeroAddress];
}

function planWithdrawCredit(m: Model, a: { creditor: boolean; a: number; to: number }): Plan {
  // Mostly an actor that has a credit, if any.
  const creditors = actors.filter((x) => (m.credits.get(x.address) ?? 0n) > 0n);
  const x = a.creditor && creditors.length ? creditors[a.a % creditors.length] : actors[a.a];
  const to = creditTargets(x)[a.to];
  const amount = m.credits.get(x.address) ?? 0n;
  let expect: Expect;
  if (to === zeroAddress) expect = fail('ZeroAddress');
  else if (amount === 0n) expect = fail('NothingToWithdraw');
  else if (isRefuser(m, to)) expect = fail('TransferFailed', to, amount);
  else
    expect = {
      events: [{ eventName: 'CreditWithdrawn', args: { account: x.address, to, amount } }],
      apply: () => {
        m.credits.set(x.address, 0n);
        pay(m, to, amount);
      },
    };
  return { label: `withdrawCredit ${a.a}→${to.slice(0, 8)}`, ...byActor(x, 'withdrawCredit', [to]), value: 0n, expect };
}

function planWithdrawFees(m: Model, a: { by: number }): Plan {
  const amount = m.fees;
  const to = m.feeRecipient;
  let expect: Expect;
  if (amount === 0n) expect = fail('NothingToWithdraw');
  else if (isRefuser(m, to)) expect = fail('TransferFailed', to, amount);
  else
    expect = {
      events: [{ eventName: 'FeesWithdrawn', args: { to, amount } }],
      apply: () => {
        m.fees = 0n;
        pay(m, to, amount);
      },
    };
  const wallet = REFUNDERS[a.by];
  return { label: `withdrawFees ${amount}`, wallet, to: tc.contract, data: chatCall('withdrawFees', []), value: 0n, expect };
}

function planSetFee(m: Model, a: { owner: boolean; bps: number }): Plan {
  const wallet = a.owner ? OWNER_W : KEEPER_W;
  const bps = FEES[a.bps];
  let expect: Expect;
  if (W(wallet) !== m.owner) expect = fail('NotOwner', W(wallet));
  else if (bps > MAX_FEE) expect = fail('FeeTooHigh', bps, MAX_FEE);
  else
    expect = {
      events: [{ eventName: 'FeeChanged', args: { previousBps: m.feeBps, newBps: bps } }],
      apply: () => {
        m.feeBps = bps;
      },
    };
  return { label: `setFee ${bps}`, wallet, to: tc.contract, data: chatCall('setFee', [bps]), value: 0n, expect };
}

function planSetFeeRecipient(m: Model, a: { to: number }): Plan {
  const to = [W(OWNER_W), W(KEEPER_W), actors[3].address, actors[4].address][a.to];
  const expect: Expect = {
    events: [{ eventName: 'FeeRecipientChanged', args: { previousRecipient: m.feeRecipient, newRecipient: to } }],
    apply: () => {
      m.feeRecipient = to;
    },
  };
  return { label: `setFeeRecipient ${to.slice(0, 8)}`, wallet: OWNER_W, to: tc.contract, data: chatCall('setFeeRecipient', [to]), value: 0n, expect };
}

function planSetMode(m: Model, a: { p: number; mode: number }): Plan {
  const x = actors[3 + a.p];
  return {
    label: `setMode ${x.address.slice(0, 8)} ${a.mode}`,
    wallet: x.wallet,
    to: x.address,
    data: pCall('setMode', [a.mode, '0x']),
    value: 0n,
    expect: { events: [], apply: () => void m.modes.set(x.address, a.mode) },
  };
}

// ---- execution

function revertData(e: unknown): Hex | undefined {
  if (!(e instanceof BaseError)) return undefined;
  let found: Hex | undefined;
  e.walk((x) => {
    const d = (x as { data?: unknown }).data;
    if (typeof d === 'string' && d.startsWith('0x')) found = d as Hex;
    else if (d && typeof (d as { data?: unknown }).data === 'string') found = (d as { data: Hex }).data;
    return found !== undefined;
  });
  return found;
}
function decodeRevert(data: Hex | undefined) {
  if (!data || data === '0x') return { errorName: '(no data)', args: [] as readonly unknown[] };
  try {
    const d = decodeErrorResult({ abi: paidChatAbi, data });
    return { errorName: d.errorName as string, args: (d.args ?? []) as readonly unknown[] };
  } catch {
    return { errorName: `(undecodable ${data.slice(0, 10)})`, args: [] as readonly unknown[] };
  }
}

/** eth_call against the pending block (timestamp = latest + 1, exactly what the next tx gets). */
async function simulate(wallet: number, to: Address, data: Hex, value: bigint) {
  try {
    await pc.call({ account: W(wallet), to, data, value, gas: GAS, blockTag: 'pending' });
    return null;
  } catch (e) {
    const d = revertData(e);
    if (d === undefined) throw e;
    return decodeRevert(d);
  }
}

async function execute(m: Model, plan: Plan, trace: string[]) {
  trace.push(plan.label);
  const e = plan.expect;
  if ('error' in e) {
    const got = await simulate(plan.wallet, plan.to, plan.data, plan.value);
    assert.ok(got, `${plan.label}: expected ${e.error}(${e.args.join(', ')}) but it would succeed`);
    assert.equal(got.errorName, e.error, `${plan.label}: wrong error`);
    assert.deepStrictEqual(got.args, e.args, `${plan.label}: ${e.error} args`);
    stats.reverts++;
    stats.errors.set(e.error, (stats.errors.get(e.error) ?? 0) + 1);
    return;
  }
  const receipt: TransactionReceipt = await tc.wallet(plan.wallet).sendTransactionSync({
    to: plan.to,
    data: plan.data,
    value: plan.value,
    gas: GAS,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    nonce: m.nonces.get(plan.wallet)!,
    throwOnReceiptRevert: false,
  } as never);
  stats.txs++;
  m.nonces.set(plan.wallet, m.nonces.get(plan.wallet)! + 1);
  m.now += 1n;
  const payer = W(plan.wallet);
  m.balances.set(payer, m.balances.get(payer)! - receipt.gasUsed * GAS_PRICE - plan.value);
  if (receipt.status !== 'success') {
    const why = decodeRevert(revertData(await simulateAt(plan, receipt.blockNumber)));
    assert.fail(`${plan.label}: expected success, reverted with ${why.errorName}(${why.args.join(', ')})`);
  }
  // Participant.send forwards msg.value: the payer is the controller EOA, the value lands in PaidChat.
  const logs = parseEventLogs({ abi: paidChatAbi, logs: receipt.logs.filter((l) => l.address.toLowerCase() === tc.contract.toLowerCase()) });
  const got = logs.map((l) => ({ eventName: l.eventName as string, args: l.args as Record<string, unknown> }));
  assert.deepStrictEqual(got, e.events, `${plan.label}: events`);
  e.apply();
  const kind = plan.label.split(' ')[0];
  stats.ok.set(kind, (stats.ok.get(kind) ?? 0) + 1);
  if (e.settled) {
    stats.settlements += e.settled.length;
    await assertSettledForGood(m, e.settled);
  }
}

async function simulateAt(plan: Plan, blockNumber: bigint): Promise<unknown> {
  try {
    await pc.call({ account: W(plan.wallet), to: plan.to, data: plan.data, value: plan.value, gas: GAS, blockNumber });
    return undefined;
  } catch (e) {
    return e;
  }
}

/** A settled message can never be settled again: reply by its recipient and refund both revert. */
async function assertSettledForGood(m: Model, ids: bigint[]) {
  await Promise.all(
    ids.map(async (id) => {
      const msg = m.msgs.get(id)!;
      const code = statusCode(msg.status);
      const recipient = actors.find((x) => x.address === msg.recipient)!;
      const r = byActor(recipient, 'reply', [id, env(1)]);
      const [again, refundAgain] = await Promise.all([
        simulate(r.wallet, r.to, r.data, 0n),
        simulate(KEEPER_W, tc.contract, chatCall('refund', [id]), 0n),
      ]);
      assert.deepStrictEqual(again, { errorName: 'AlreadySettled', args: [id, code] }, `second reply of ${id}`);
      assert.deepStrictEqual(refundAgain, { errorName: 'AlreadySettled', args: [id, code] }, `second refund of ${id}`);
    }),
  );
}

async function warpTo(m: Model, target: bigint) {
  if (target <= m.now) target = m.now + 1n;
  await tc.mineAt(target);
  m.now = target;
}

function warpTarget(m: Model, a: { m: number; how: number; secs: number }): bigint {
  const open = [...m.msgs.values()].filter((x) => x.status === 'open');
  if (open.length === 0 || a.how === 2) return m.now + BigInt(a.secs);
  const msg = open[a.m % open.length];
  // how 0: the next block is at deadline − 1 (last second to reply); 1: at the deadline (first to
  // refund); 3: a little after the deadline.
  return a.how === 0 ? msg.deadline - 2n : a.how === 1 ? msg.deadline - 1n : msg.deadline + BigInt(a.secs % 600);
}

async function step(m: Model, a: Action, trace: string[]) {
  switch (a.t) {
    case 'claim':
      return execute(m, planClaim(m, a), trace);
    case 'update':
      return execute(m, planUpdate(m, a), trace);
    case 'release':
      return execute(m, planRelease(m, a), trace);
    case 'key':
      return execute(m, planKey(m, a), trace);
    case 'send':
      return execute(m, planSend(m, a), trace);
    case 'reply':
      return execute(m, planReply(m, a), trace);
    case 'refund':
      return execute(m, planRefund(m, a), trace);
    case 'refundMany':
      return execute(m, planRefundMany(m, a), trace);
    case 'warp': {
      const target = warpTarget(m, a);
      trace.push(`warp +${target - m.now}`);
      return warpTo(m, target);
    }
    case 'edge': {
      // Jump to one second before / exactly at an open message's deadline, then settle it.
      const open = [...m.msgs.values()].filter((x) => x.status === 'open' && x.deadline - 1n > m.now + 1n);
      if (open.length === 0) return;
      const msg = open[a.m % open.length];
      const txTime = a.atDeadline ? msg.deadline : msg.deadline - 1n;
      trace.push(`edge warp to ${a.atDeadline ? 'deadline' : 'deadline-1'}`);
      await warpTo(m, txTime - 1n);
      assert.equal(m.now + 1n, txTime);
      stats.steps++;
      const ids = [...m.msgs.keys()];
      const idx = ids.indexOf(msg.id);
      return a.reply
        ? execute(m, planReply(m, { a: 0, pool: 1, m: idx, right: true, env: 1 }), trace)
        : execute(m, planRefund(m, { by: 3, pool: 1, m: idx }), trace);
    }
    case 'withdrawCredit':
      return execute(m, planWithdrawCredit(m, a), trace);
    case 'withdrawFees':
      return execute(m, planWithdrawFees(m, a), trace);
    case 'setFee':
      return execute(m, planSetFee(m, a), trace);
    case 'setFeeRecipient':
      return execute(m, planSetFeeRecipient(m, a), trace);
    case 'setMode':
      return execute(m, planSetMode(m, a), trace);
  }
}

function readChat(functionName: string, args: readonly unknown[] = []) {
  return pc.readContract({ address: tc.contract, abi: paidChatAbi, functionName, args } as never) as Promise<any>;
}

/**
 * After every step: the chain agrees with the model, and the books balance. After a predicted
 * revert (only simulated, nothing mined) the books are checked; after anything mined, also every
 * tracked balance and every credit.
 */
async function checkInvariants(m: Model, label: string, full = true) {
  if (!full) {
    const [held, totalCredits, accruedFees] = await Promise.all([
      pc.getBalance({ address: tc.contract }),
      readChat('totalCredits') as Promise<bigint>,
      readChat('accruedFees') as Promise<bigint>,
    ]);
    let open = 0n;
    for (const msg of m.msgs.values()) if (msg.status === 'open') open += msg.amount;
    assert.equal(held, open + totalCredits + accruedFees, `${label}: balance == open + credits + fees`);
    assert.equal(held, m.valueIn - m.valueOut, `${label}: value in − value out == held`);
    assert.equal(held, m.balances.get(tc.contract), `${label}: ghost balance`);
    assert.equal(totalCredits, [...m.credits.values()].reduce((a, b) => a + b, 0n), `${label}: totalCredits`);
    assert.equal(accruedFees, m.fees, `${label}: accruedFees`);
    return;
  }
  const credited = actors.map((x) => x.address);
  const [balances, totalCredits, accruedFees, feeBps, credits] = await Promise.all([
    Promise.all(tracked.map((a) => pc.getBalance({ address: a }))),
    readChat('totalCredits') as Promise<bigint>,
    readChat('accruedFees') as Promise<bigint>,
    readChat('feeBps') as Promise<bigint>,
    Promise.all(credited.map((a) => readChat('creditOf', [a]) as Promise<bigint>)),
  ]);
  let open = 0n;
  for (const msg of m.msgs.values()) if (msg.status === 'open') open += msg.amount;
  let ghostCredits = 0n;
  for (const c of m.credits.values()) ghostCredits += c;
  const held = balances[tracked.indexOf(tc.contract)];
  // ghost books
  assert.equal(m.balances.get(tc.contract), open + ghostCredits + m.fees, `${label}: ghost books`);
  assert.equal(m.valueIn - m.valueOut, m.balances.get(tc.contract), `${label}: ghost in − out == held`);
  // chain books
  assert.equal(held, open + totalCredits + accruedFees, `${label}: balance == open + credits + fees`);
  assert.equal(held, m.valueIn - m.valueOut, `${label}: value in − value out == held`);
  // chain == ghost
  assert.equal(totalCredits, ghostCredits, `${label}: totalCredits`);
  assert.equal(accruedFees, m.fees, `${label}: accruedFees`);
  assert.equal(feeBps, m.feeBps, `${label}: feeBps`);
  credited.forEach((a, i) => assert.equal(credits[i], m.credits.get(a) ?? 0n, `${label}: creditOf ${a}`));
  tracked.forEach((a, i) => assert.equal(balances[i], m.balances.get(a), `${label}: balance of ${a}`));
}

/** At the end of a run: every message's on-chain view matches the ghost. */
async function checkMessages(m: Model) {
  const latest = await pc.getBlock();
  assert.equal(latest.timestamp, m.now, 'ghost clock');
  const views = await Promise.all([...m.msgs.keys()].map((id) => readChat('getMessage', [id])));
  for (const v of views) {
    const g = m.msgs.get(v.id)!;
    assert.equal(v.sender, g.sender);
    assert.equal(v.recipient, g.recipient);
    assert.equal(v.amount, g.amount);
    const status = g.status === 'open' ? (m.now < g.deadline ? 1 : 2) : statusCode(g.status);
    assert.equal(v.status, status, `status of ${v.id}`);
    assert.equal(v.deadline, g.status === 'open' ? g.deadline : 0n);
  }
  const profiles = await Promise.all(actors.map((x) => readChat('profileOf', [x.address])));
  for (const [i, x] of actors.entries()) {
    const p = profiles[i];
    const g = acct(m, x.address);
    assert.equal(p.handle, g.handle ? hb(g.handle) : '0x' + '00'.repeat(32));
    assert.equal(p.price, g.price);
    assert.equal(p.window, g.window);
    assert.equal(p.inboxCount, BigInt(g.inboxCount));
    assert.equal(p.keyPrefix !== 0, g.key);
  }
}

async function freshSnapshot() {
  const ok = await tc.testClient.request({ method: 'evm_revert', params: [baseSnapshot] } as never);
  assert.equal(ok, true, 'evm_revert');
  baseSnapshot = await tc.snapshot();
}

// ------------------------------------------------------------------------------------ suite

before(async () => {
  tc = await startTestChain();
  pc = createPublicClient({ chain: tc.chain, transport: http(tc.rpcUrl, { batch: { batchSize: 64, wait: 0 } }) }) as PublicClient;
  // Two Participant contracts, driven by accounts 4 and 5.
  const participants: Address[] = [];
  for (const ctrl of [4, 5]) {
    const hash = await tc.wallet(ctrl).deployContract({
      abi: participantAbi,
      bytecode: participantBytecode,
      args: [tc.contract],
      type: 'legacy',
      gasPrice: GAS_PRICE,
    });
    const receipt = await tc.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    participants.push(getAddress(receipt.contractAddress!));
  }
  actors = [
    { address: W(1), wallet: 1, contract: false },
    { address: W(2), wallet: 2, contract: false },
    { address: W(3), wallet: 3, contract: false },
    { address: participants[0], wallet: 4, contract: true },
    { address: participants[1], wallet: 5, contract: true },
  ];
  tracked = [...[0, 1, 2, 3, 4, 5, 6, 7].map(W), ...participants, tc.contract];
  // Deterministic clock: every block is exactly one second after the previous one.
  await tc.testClient.setBlockTimestampInterval({ interval: 1 });
  await tc.testClient.mine({ blocks: 1 });
  const balances = await Promise.all(tracked.map((a) => pc.getBalance({ address: a })));
  const m: Model = {
    now: (await pc.getBlock()).timestamp,
    accountCount: 0,
    accounts: new Map(),
    handleOwner: new Map(),
    msgs: new Map(),
    credits: new Map(),
    modes: new Map(participants.map((p) => [p, 0])),
    balances: new Map(tracked.map((a, i) => [a, balances[i]])),
    feeBps: 100n,
    fees: 0n,
    feeRecipient: W(OWNER_W),
    owner: W(OWNER_W),
    valueIn: 0n,
    valueOut: 0n,
    nonces: new Map(
      await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(async (w) => [w, await pc.getTransactionCount({ address: W(w) })] as const)),
    ),
  };
  // Setup, through the model: creators alpha (EOA) and papa (contract, refuses payment), senders
  // with keys (actor 2 has none), and a few open messages so that every run has work to do.
  const setup: Action[] = [
    { t: 'claim', a: 0, handle: 0, price: 1, window: 1, badKey: false },
    { t: 'claim', a: 3, handle: 3, price: 2, window: 2, badKey: false },
    { t: 'key', a: 1, bad: false },
    { t: 'key', a: 4, bad: false },
    { t: 'send', a: 1, toHolder: false, to: 0, value: 2, tip: 12_345n, maxWin: 0, env: 1, combo: false },
    { t: 'send', a: 4, toHolder: false, to: 3, value: 1, tip: 1n, maxWin: 1, env: 1, combo: false },
    { t: 'send', a: 0, toHolder: false, to: 3, value: 2, tip: 10n ** 15n, maxWin: 0, env: 2, combo: false },
    { t: 'send', a: 4, toHolder: false, to: 0, value: 1, tip: 1n, maxWin: 0, env: 1, combo: false },
    { t: 'setMode', p: 0, mode: 1 },
  ];
  for (const a of setup) {
    await step(m, a, []);
    await checkInvariants(m, `setup ${a.t}`);
  }
  assert.equal(m.msgs.size, 4);
  baseModel = m;
  baseSnapshot = await tc.snapshot();
});

after(async () => {
  await tc?.stop();
});

describe('PaidChat property: ghost model vs. chain', () => {
  it(`${NUM_RUNS} random sequences keep the books exact and every outcome predicted`, async () => {
    const started = Date.now();
    let lastTrace: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 3, maxLength: 12 }), async (actions) => {
        await freshSnapshot();
        const m = cloneModel(baseModel);
        const trace: string[] = [];
        lastTrace = trace;
        for (const a of actions) {
          const txsBefore = stats.txs;
          const nowBefore = m.now;
          await step(m, a, trace);
          stats.steps++;
          const mined = stats.txs !== txsBefore || m.now !== nowBefore;
          await checkInvariants(m, trace[trace.length - 1] ?? a.t, mined);
        }
        await checkMessages(m);
        stats.runs++;
      }),
      { numRuns: NUM_RUNS, seed: SEED, includeErrorInReport: true },
    ).catch((e) => {
      console.error('last trace:', lastTrace.join(' | '));
      throw e;
    });
    const seconds = (Date.now() - started) / 1000;
    const errors = [...stats.errors.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v}`);
    console.log(
      `property: ${stats.runs} runs, ${stats.steps} steps (${stats.txs} transactions, ${stats.reverts} predicted reverts, ` +
        `${stats.settlements} settlements, ${stats.credits} deferred payments) in ${seconds.toFixed(1)} s`,
    );
    console.log(`property: reverts by error: ${errors.join(' ')}`);
    const oks = [...stats.ok.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v}`);
    console.log(`property: successful transactions by action: ${oks.join(' ')}`);
    assert.ok(stats.runs >= NUM_RUNS);
    // The generator must actually reach the interesting paths.
    for (const name of ['PriceTooLow', 'NotRecipient', 'AlreadySettled', 'ReplyWindowClosed', 'NotYetRefundable', 'NothingToRefund']) {
      assert.ok((stats.errors.get(name) ?? 0) > 0 || NUM_RUNS < 200, `no ${name} was exercised`);
    }
    assert.ok(stats.credits > 0 || NUM_RUNS < 200, 'no deferred payment was exercised');
    for (const kind of ['send', 'reply', 'refund', 'refundMany', 'withdrawCredit', 'withdrawFees', 'setFee', 'claim']) {
      assert.ok((stats.ok.get(kind) ?? 0) > 0 || NUM_RUNS < 200, `no successful ${kind}`);
    }
  });
});
