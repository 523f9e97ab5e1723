/**
 * Property-based test of PaidChat (protocol v2) against anvil: random sequences over every
 * state-changing function — claimHandle, addInboxKey, updateProfile, setSites, releaseHandle,
 * sendMessage (with stale key ids and blocked senders), reply, refund, refundMany, postFollowUp,
 * closeThread, setBlocked, setHidden, withdrawCredit, withdrawFees, setFee, setFeeRecipient,
 * transferOwnership, acceptOwnership — and time travel, done by EOAs and by `Participant`
 * contracts that may refuse payment or burn gas when paid.
 *
 * A ghost model in TypeScript predicts every outcome — success with its exact events, or the exact
 * custom error and its arguments — and after every step the chain must agree with the model on
 * every tracked balance, every credit, the fees, every message's status, hidden flag and reply
 * block, and the books must balance:
 *   contract balance == open escrows + totalCredits + accruedFees == value in − value out.
 * At the end of each sequence every view (profiles, keys, sites, threads, follow-up blocks,
 * conversation pages, messages, fee history, ownership) is compared with the model too.
 *
 * Each sequence starts from an evm snapshot taken after the setup. Block timestamps are made
 * deterministic (one second per block), so the model knows the timestamp and number of the next
 * block exactly; deadlines are hit to the second. One eth_call to the `Lens` test contract reads
 * everything compared after a step. FC_RUNS, FC_STEPS and FC_SEED override the number of runs, the
 * actions per run and the seed; FC_NO_SHRINK=1 reports the first failure without shrinking it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BaseError,
  createPublicClient,
  decodeErrorResult,
  encodeFunctionData,
  formatTransactionReceipt,
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
import { lensAbi, lensBytecode, participantAbi, participantBytecode } from '../generated/test-contracts.js';
import { GAS_PRICE, startTestChain, type TestChain } from '../support/chain.js';

const NUM_RUNS = Number(process.env.FC_RUNS ?? 480);
const STEPS = Number(process.env.FC_STEPS ?? 24); // actions per sequence
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
/** Operations (transactions, predicted reverts, time travel) a default run must reach. */
const MIN_OPERATIONS = 10_000;

// ------------------------------------------------------------------------------------ constants

const GAS = 3_000_000n;
const MIN_WINDOW = 3600n;
const MAX_WINDOW = 30n * 86_400n;
const DEFAULT_WINDOW = 7n * 86_400n;
const MIN_ENV = 6;
const MAX_ENV = 320;
const MAX_SITES = 256;
const MAX_FEE = 500n;
const UNKNOWN_ID = (77n << 32n) | 3n;
const NEWEST = 2 ** 32 - 1;
const ZERO32 = ('0x' + '00'.repeat(32)) as Hex;

const OWNER_W = 0; // deployer: owner and initial fee recipient
const KEEPER_W = 6; // third party: refunds, withdrawFees, non-owner admin calls, next owner
const STRANGER_W = 7; // never registers: a recipient without a handle

const HANDLES = ['alpha', 'bravo', 'charlie', 'papa', 'Bad_', '_x1'];
const PRICES = [0n, 1_000_000_000_000_000n, 2_000_000_000_000_001n, 3_000_000_000_000_007n];
const FOLLOW_PRICES = [0n, 100_000_000_000_000n, 7n];
const WINDOWS = [0n, MIN_WINDOW, 7200n, MIN_WINDOW - 1n, MAX_WINDOW + 1n, MAX_WINDOW];
const ENV_SIZES = [MIN_ENV, 100, 211, MAX_ENV, MIN_ENV - 1, MAX_ENV + 1, 0];
const SITE_SIZES = [0, 20, MAX_SITES, MAX_SITES + 1];
const FEES = [0n, 1n, 100n, 250n, MAX_FEE, MAX_FEE + 1n, 10_000n];
const KEYS = Array.from({ length: 8 }, (_, i) => ('0x' + (i + 1).toString(16).padStart(2, '0').repeat(32)) as Hex);
/** Participant receive modes used here: accept, revert, burn all gas, burn 35k gas then accept. */
const MODES = [0, 1, 2, 4];
const BURN = 35_000n;

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
  pair: number;
  amount: bigint;
  deadline: bigint;
  sentBlock: bigint;
  replyBlock: bigint;
  feeBps: bigint; // fee in force when sent
  status: Status;
  hidden: boolean;
}
interface GAccount {
  number: number; // 0 = none yet
  keys: Hex[]; // key id i + 1 at index i
  handle: string | null;
  price: bigint;
  followUpPrice: bigint;
  window: bigint;
  inboxCount: number;
  sites: Hex;
}
interface GPair {
  sender: Address;
  recipient: Address;
  msgs: bigint[]; // oldest first
  followUpBlocks: bigint[];
  closedBelow: number;
}
interface Model {
  now: bigint; // timestamp of the latest block
  block: bigint; // number of the latest block
  accountCount: number;
  accounts: Map<Address, GAccount>;
  handleOwner: Map<string, Address>;
  msgs: Map<bigint, GMsg>;
  pairKeys: Map<string, { no: number; blocked: boolean }>;
  pairs: GPair[]; // pair number n at index n − 1
  credits: Map<Address, bigint>;
  modes: Map<Address, number>; // Participant receive mode
  balances: Map<Address, bigint>; // every tracked address
  feeBps: bigint; // newest
  feeHistory: [bigint, bigint][]; // [fromBlock, bps], oldest first
  fees: bigint;
  feeRecipient: Address;
  owner: Address;
  pendingOwner: Address;
  valueIn: bigint;
  valueOut: bigint;
  nonces: Map<number, number>; // per signing wallet (restored with the snapshot, like the chain)
}

const cloneModel = (m: Model): Model => structuredClone(m);

function acct(m: Model, a: Address): GAccount {
  let x = m.accounts.get(a);
  if (!x) {
    x = { number: 0, keys: [], handle: null, price: 0n, followUpPrice: 0n, window: 0n, inboxCount: 0, sites: '0x' };
    m.accounts.set(a, x);
  }
  return x;
}
function addKey(m: Model, a: Address, key: Hex) {
  const x = acct(m, a);
  if (x.number === 0) x.number = ++m.accountCount;
  x.keys.push(key);
}
function feeAt(m: Model, block: bigint): bigint {
  let fee = 100n;
  for (const [from, bps] of m.feeHistory) if (block >= from) fee = bps;
  return fee;
}
const pairKey = (sender: Address, recipient: Address) => `${sender}>${recipient}`;
const validHandle = (s: string) => /^[a-z0-9][a-z0-9_-]{2,31}$/.test(s);
const hb = (s: string): Hex => stringToHex(s, { size: 32 });
/** An envelope of `size` bytes naming key id `keyId` in bytes 2..5 (when it is long enough). */
function env(size: number, keyId: number, kind = 1): Hex {
  if (size === 0) return '0x';
  const head = '02' + kind.toString(16).padStart(2, '0') + (keyId >>> 0).toString(16).padStart(8, '0');
  return ('0x' + (head + '3c'.repeat(Math.max(0, size - 6))).slice(0, size * 2)) as Hex;
}
const statusCode = (s: Status) => (s === 'replied' ? 3 : s === 'refunded' ? 4 : 0);
const viewStatus = (m: Model, g: GMsg) => (g.status === 'open' ? (m.now < g.deadline ? 1 : 2) : statusCode(g.status));
const indexOf = (id: bigint) => Number(id & 0xffffffffn);

// ------------------------------------------------------------------------------------ actions

type Action =
  | { t: 'claim'; a: number; handle: number; price: number; window: number; key: number; sites: number }
  | { t: 'addKey'; a: number; zero: boolean }
  | { t: 'update'; a: number; price: number; window: number; fprice: number }
  | { t: 'sites'; a: number; size: number }
  | { t: 'release'; a: number }
  | { t: 'send'; a: number; toHolder: boolean; to: number; value: number; tip: bigint; maxWin: number; env: number; key: number }
  | { t: 'reply'; a: number; pool: number; m: number; right: boolean; env: number }
  | { t: 'refund'; by: number; pool: number; m: number }
  | { t: 'refundMany'; by: number; ms: number[]; unknown: boolean; tooMany: boolean }
  | { t: 'followUp'; who: number; pool: number; m: number; value: number; tip: bigint; key: number; env: number }
  | { t: 'close'; who: number; p: number }
  | { t: 'block'; a: number; s: number; blocked: boolean; pair: number }
  | { t: 'hide'; a: number; ms: number[]; hidden: boolean; foreign: boolean; tooMany: boolean }
  | { t: 'warp'; m: number; how: number; secs: number }
  | { t: 'edge'; m: number; atDeadline: boolean; reply: boolean }
  | { t: 'withdrawCredit'; creditor: boolean; a: number; to: number }
  | { t: 'withdrawFees'; by: number }
  | { t: 'setFee'; owner: boolean; bps: number }
  | { t: 'setFeeRecipient'; owner: boolean; to: number }
  | { t: 'transferOwnership'; owner: boolean; to: number }
  | { t: 'acceptOwnership'; by: number }
  | { t: 'setMode'; p: number; mode: number };

const nat = (n: number) => fc.nat({ max: n - 1 });
const actorIdx = nat(5);
const often = <T,>(usual: T, rare: T, n = 4) => fc.constantFrom(...Array(n).fill(usual), rare) as fc.Arbitrary<T>;
/** Envelope size index: about one in ten is a wrong size. */
const envArb = fc.constantFrom(...Array(9).fill([0, 1, 2]).flat(), 3, 3, 4, 5, 6) as fc.Arbitrary<number>;
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('claim' as const),
      a: actorIdx,
      handle: nat(HANDLES.length),
      price: nat(PRICES.length),
      window: nat(WINDOWS.length),
      key: fc.constantFrom(0, 0, 0, 1, 2), // 0: a new key; 1: zero (keep the current one); 2: a new key again
      sites: fc.constantFrom(0, 1, 1, 2, 3),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('addKey' as const), a: actorIdx, zero: often(false, true, 5) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('update' as const), a: actorIdx, price: nat(PRICES.length), window: nat(WINDOWS.length), fprice: nat(FOLLOW_PRICES.length) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('sites' as const), a: actorIdx, size: nat(SITE_SIZES.length) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const), a: actorIdx }) },
  {
    weight: 12,
    arbitrary: fc.record({
      t: fc.constant('send' as const),
      a: actorIdx,
      toHolder: often(true, false),
      to: fc.nat(),
      value: fc.constantFrom(0, 1, 1, 1, 2, 2, 2, 3), // 0: zero, 1: exact price, 2: price + tip, 3: price − 1
      tip: fc.bigInt({ min: 1n, max: 10n ** 16n }),
      maxWin: fc.constantFrom(0, 0, 0, 1, 2), // 0: 30 days, 1: exactly the window, 2: window − 1
      env: envArb,
      key: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3), // 0: current, 1: previous, 2: next, 3: zero
    }),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      t: fc.constant('reply' as const),
      a: actorIdx,
      pool: fc.constantFrom(0, 0, 0, 0, 0, 1, 1, 2), // 0: open messages, 1: any, 2: unknown id
      m: fc.nat(),
      right: often(true, false, 3),
      env: envArb,
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('refund' as const), by: nat(5), pool: fc.constantFrom(0, 0, 0, 0, 1, 1, 2), m: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('refundMany' as const),
      by: nat(5),
      ms: fc.array(fc.nat(), { minLength: 0, maxLength: 6 }),
      unknown: fc.boolean(),
      tooMany: often(false, true, 10),
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({
      t: fc.constant('followUp' as const),
      who: fc.constantFrom(0, 0, 0, 1, 1, 2), // 0: the visitor, 1: the creator, 2: anyone
      pool: fc.constantFrom(0, 0, 0, 0, 0, 1, 1, 2), // 0: replied messages, 1: any, 2: unknown id
      m: fc.nat(),
      value: fc.constantFrom(0, 1, 1, 1, 2, 3), // 0: zero, 1: exact follow-up price, 2: + tip, 3: − 1 (or 1 wei from the creator)
      tip: fc.bigInt({ min: 1n, max: 10n ** 15n }),
      key: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 1, 2, 3),
      env: envArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('close' as const), who: fc.constantFrom(0, 0, 1, 1, 2), p: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('block' as const), a: actorIdx, s: nat(6), blocked: often(true, false, 2), pair: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('hide' as const),
      a: actorIdx,
      ms: fc.array(fc.nat(), { minLength: 0, maxLength: 4 }),
      hidden: often(true, false, 2),
      foreign: often(false, true, 5),
      tooMany: often(false, true, 12),
    }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('warp' as const), m: fc.nat(), how: nat(4), secs: fc.integer({ min: 1, max: 3 * 86_400 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('edge' as const), m: fc.nat(), atDeadline: fc.boolean(), reply: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('withdrawCredit' as const),
      creditor: often(true, false, 3),
      a: actorIdx,
      to: fc.constantFrom(0, 0, 0, 1, 1, 2, 3, 4), // own wallet, keeper, P1, P2, zero address
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('withdrawFees' as const), by: nat(5) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('setFee' as const), owner: often(true, false, 3), bps: nat(FEES.length) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('setFeeRecipient' as const), owner: often(true, false, 3), to: nat(5) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('transferOwnership' as const), owner: often(true, false, 3), to: nat(3) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('acceptOwnership' as const), by: nat(4) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('setMode' as const), p: nat(2), mode: nat(MODES.length) }) },
);

// ------------------------------------------------------------------------------------ harness

let tc: TestChain;
let batch: PublicClient; // JSON-RPC batching client for the end-of-sequence views
let lens: Address;
let actors: Actor[];
let tracked: Address[];
let baseModel: Model;
let baseSnapshot: Hex;
const stats = {
  runs: 0,
  operations: 0,
  txs: 0,
  reverts: 0,
  warps: 0,
  settlements: 0,
  credits: 0,
  errors: new Map<string, number>(),
  ok: new Map<string, number>(),
};

type Ev = { eventName: string; args: Record<string, unknown> };
type Expect = { error: string; args: readonly unknown[] } | { events: Ev[]; apply: () => void; settled?: bigint[] };

interface Plan {
  label: string;
  kind: string;
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
/** Calldata for `functionName` done by actor `x` (directly, or through its Participant's `exec`). */
function byActor(x: Actor, functionName: string, args: readonly unknown[]) {
  const data = chatCall(functionName, args);
  return x.contract
    ? { wallet: x.wallet, to: x.address, data: encodeFunctionData({ abi: participantAbi, functionName: 'exec', args: [data] }) }
    : { wallet: x.wallet, to: tc.contract, data };
}
function plan(kind: string, label: string, call: { wallet: number; to: Address; data: Hex }, expect: Expect, value = 0n): Plan {
  return { kind, label: `${kind} ${label}`, ...call, value, expect };
}
const direct = (wallet: number, functionName: string, args: readonly unknown[]) => ({ wallet, to: tc.contract, data: chatCall(functionName, args) });

function isRefuser(m: Model, a: Address) {
  const mode = m.modes.get(a);
  return mode === 1 || mode === 2;
}
/** Model of `_push`: pay `to` or, if it refuses, credit it (PaymentDeferred). */
function pushEvents(m: Model, to: Address, amount: bigint): Ev[] {
  return isRefuser(m, to) ? [{ eventName: 'PaymentDeferred', args: { account: to, amount } }] : [];
}
function push(m: Model, to: Address, amount: bigint) {
  if (isRefuser(m, to)) {
    m.credits.set(to, (m.credits.get(to) ?? 0n) + amount);
    stats.credits++;
  } else pay(m, to, amount);
}
function pay(m: Model, to: Address, amount: bigint) {
  m.balances.set(tc.contract, m.balances.get(tc.contract)! - amount);
  m.balances.set(to, (m.balances.get(to) ?? 0n) + amount);
  m.valueOut += amount;
}
function receive(m: Model, amount: bigint) {
  m.balances.set(tc.contract, m.balances.get(tc.contract)! + amount);
  m.valueIn += amount;
}

function pickMsg(m: Model, pool: number, i: number, filter: (g: GMsg) => boolean): bigint {
  if (pool === 2) return UNKNOWN_ID;
  const all = [...m.msgs.values()];
  const list = pool === 0 ? all.filter(filter) : all;
  if (list.length === 0) return all.length ? all[i % all.length].id : UNKNOWN_ID;
  return list[i % list.length].id;
}
function keyIdFor(current: number, mode: number): number {
  return mode === 0 ? current : mode === 1 ? Math.max(current - 1, 0) : mode === 2 ? current + 1 : 0;
}
const sizeError = (size: number) => fail('EnvelopeSize', BigInt(size), BigInt(MIN_ENV), BigInt(MAX_ENV));
const badSize = (size: number) => size < MIN_ENV || size > MAX_ENV;
const windowError = (w: bigint): Expect | null =>
  w !== 0n && (w < MIN_WINDOW || w > MAX_WINDOW) ? fail('WindowOutOfRange', w, MIN_WINDOW, MAX_WINDOW) : null;

// ---- planners: each mirrors the contract's checks in order, and the effects on success

function planClaim(m: Model, a: Extract<Action, { t: 'claim' }>): Plan {
  const x = actors[a.a];
  const handle = HANDLES[a.handle];
  const price = PRICES[a.price];
  const window = WINDOWS[a.window];
  const me = acct(m, x.address);
  const key = a.key === 1 ? ZERO32 : KEYS[(me.keys.length + a.a) % KEYS.length];
  const sites = ('0x' + '61'.repeat(SITE_SIZES[a.sites])) as Hex;
  const call = byActor(x, 'claimHandle', [hb(handle), price, Number(window), key, sites]);
  let expect: Expect;
  if (!validHandle(handle)) expect = fail('HandleInvalid', hb(handle));
  else if (m.handleOwner.has(handle)) expect = fail('HandleTaken', hb(handle), m.handleOwner.get(handle));
  else if (me.handle) expect = fail('AlreadyHasHandle', x.address, hb(me.handle));
  else if (windowError(window)) expect = windowError(window)!;
  else if (key === ZERO32 && me.keys.length === 0) expect = fail('NoInboxKey', x.address);
  else if (SITE_SIZES[a.sites] > MAX_SITES) expect = fail('SitesTooLong', BigInt(SITE_SIZES[a.sites]), BigInt(MAX_SITES));
  else {
    const w = window === 0n ? DEFAULT_WINDOW : window;
    const events: Ev[] = [];
    if (key !== ZERO32) events.push({ eventName: 'InboxKeyAdded', args: { account: x.address, keyId: me.keys.length + 1, key } });
    events.push({ eventName: 'HandleClaimed', args: { account: x.address, handle: hb(handle), price, window: w } });
    events.push({ eventName: 'SitesUpdated', args: { account: x.address, sites } });
    expect = {
      events,
      apply: () => {
        if (key !== ZERO32) addKey(m, x.address, key);
        Object.assign(me, { handle, price, window: w, sites });
        m.handleOwner.set(handle, x.address);
      },
    };
  }
  return plan('claim', `${handle} by ${a.a}`, call, expect);
}

function planAddKey(m: Model, a: Extract<Action, { t: 'addKey' }>): Plan {
  const x = actors[a.a];
  const me = acct(m, x.address);
  const key = a.zero ? ZERO32 : KEYS[(me.keys.length * 3 + a.a) % KEYS.length];
  const expect: Expect = a.zero
    ? fail('KeyInvalid')
    : {
        events: [{ eventName: 'InboxKeyAdded', args: { account: x.address, keyId: me.keys.length + 1, key } }],
        apply: () => addKey(m, x.address, key),
      };
  return plan('addKey', `${a.a}`, byActor(x, 'addInboxKey', [key]), expect);
}

function planUpdate(m: Model, a: Extract<Action, { t: 'update' }>): Plan {
  const x = actors[a.a];
  const price = PRICES[a.price];
  const window = WINDOWS[a.window];
  const fprice = FOLLOW_PRICES[a.fprice];
  const me = acct(m, x.address);
  let expect: Expect;
  if (!me.handle) expect = fail('NoHandle', x.address);
  else if (windowError(window)) expect = windowError(window)!;
  else {
    const w = window === 0n ? DEFAULT_WINDOW : window;
    expect = {
      events: [{ eventName: 'ProfileUpdated', args: { account: x.address, handle: hb(me.handle), price, window: w, followUpPrice: fprice } }],
      apply: () => Object.assign(me, { price, window: w, followUpPrice: fprice }),
    };
  }
  return plan('update', `${a.a}`, byActor(x, 'updateProfile', [price, Number(window), fprice]), expect);
}

function planSites(m: Model, a: Extract<Action, { t: 'sites' }>): Plan {
  const x = actors[a.a];
  const size = SITE_SIZES[a.size];
  const sites = ('0x' + '62'.repeat(size)) as Hex;
  const expect: Expect =
    size > MAX_SITES
      ? fail('SitesTooLong', BigInt(size), BigInt(MAX_SITES))
      : { events: [{ eventName: 'SitesUpdated', args: { account: x.address, sites } }], apply: () => void (acct(m, x.address).sites = sites) };
  return plan('setSites', `${a.a} ${size}`, byActor(x, 'setSites', [sites]), expect);
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
  return plan('release', `${a.a}`, byActor(x, 'releaseHandle', []), expect);
}

function planSend(m: Model, a: Extract<Action, { t: 'send' }>): Plan {
  const x = actors[a.a];
  // Mostly someone holding a handle (rarely the sender itself), else any actor, or a stranger.
  const holders = [...m.handleOwner.values()].filter((h) => h !== x.address || a.to % 7 === 0);
  const blockers = holders.filter((h) => m.pairKeys.get(pairKey(x.address, h))?.blocked);
  const to =
    a.toHolder && blockers.length && a.to % 3 === 0
      ? blockers[(a.to >> 2) % blockers.length]
      : a.toHolder && holders.length
        ? holders[a.to % holders.length]
        : a.to % 6 === 5
          ? W(STRANGER_W)
          : actors[a.to % 6].address;
  const r = acct(m, to);
  const price = r.price;
  const value = a.value === 0 ? 0n : a.value === 1 ? price : a.value === 2 ? price + a.tip : price > 0n ? price - 1n : 0n;
  const maxWindow = a.maxWin === 0 ? MAX_WINDOW : a.maxWin === 1 ? r.window : r.window > 0n ? r.window - 1n : 0n;
  const size = ENV_SIZES[a.env];
  const keyId = keyIdFor(r.keys.length, a.key);
  const envelope = env(size, keyId);
  const call = byActor(x, 'sendMessage', [to, maxWindow, envelope]);
  const pk = m.pairKeys.get(pairKey(x.address, to));
  const ts = m.now + 1n;
  let expect: Expect;
  if (badSize(size)) expect = sizeError(size);
  else if (to === x.address) expect = fail('SelfMessage');
  else if (!r.handle) expect = fail('NoHandle', to);
  else if (value < price) expect = fail('PriceTooLow', price, value);
  else if (r.window > maxWindow) expect = fail('WindowTooLong', r.window, maxWindow);
  else if (keyId !== r.keys.length) expect = fail('StaleInboxKey', to, r.keys.length, keyId);
  else if (pk?.blocked) expect = fail('SenderBlocked', to, x.address);
  else {
    const id = (BigInt(r.number) << 32n) | BigInt(r.inboxCount);
    const deadline = ts + r.window;
    const pairNo = pk?.no || m.pairs.length + 1;
    expect = {
      events: [{ eventName: 'MessageSent', args: { id, sender: x.address, recipient: to, thread: pairNo, amount: value, deadline, envelope } }],
      apply: () => {
        if (!pk?.no) {
          m.pairKeys.set(pairKey(x.address, to), { no: pairNo, blocked: false });
          m.pairs.push({ sender: x.address, recipient: to, msgs: [], followUpBlocks: [], closedBelow: 0 });
        }
        m.pairs[pairNo - 1].msgs.push(id);
        r.inboxCount++;
        const block = m.block; // (apply runs once the block is mined)
        m.msgs.set(id, {
          id,
          sender: x.address,
          recipient: to,
          pair: pairNo,
          amount: value,
          deadline,
          sentBlock: block,
          replyBlock: 0n,
          feeBps: feeAt(m, block),
          status: 'open',
          hidden: false,
        });
        receive(m, value);
      },
    };
  }
  return plan('send', `${a.a}→${to.slice(0, 8)} ${value} key ${keyId}`, call, expect, value);
}

function planReply(m: Model, a: { a: number; pool: number; m: number; right: boolean; env: number }): Plan {
  const id = pickMsg(m, a.pool, a.m, (g) => g.status === 'open');
  const msg = m.msgs.get(id);
  const recipientActor = msg ? actors.find((x) => x.address === msg.recipient) : undefined;
  const x = a.right && recipientActor ? recipientActor : actors[a.a];
  const size = ENV_SIZES[a.env];
  const envelope = env(size, 1, 2);
  const ts = m.now + 1n;
  let expect: Expect;
  if (badSize(size)) expect = sizeError(size);
  else if (!msg) expect = fail('UnknownMessage', id);
  else if (msg.recipient !== x.address) expect = fail('NotRecipient', id, x.address);
  else if (msg.status !== 'open') expect = fail('AlreadySettled', id, statusCode(msg.status));
  else if (ts >= msg.deadline) expect = fail('ReplyWindowClosed', id, msg.deadline);
  else {
    const fee = (msg.amount * msg.feeBps) / 10_000n;
    const payout = msg.amount - fee;
    const events: Ev[] = [
      { eventName: 'MessageReplied', args: { id, sender: msg.sender, recipient: msg.recipient, thread: msg.pair, payout, fee, envelope } },
    ];
    if (msg.amount !== 0n) events.push(...pushEvents(m, msg.recipient, payout));
    expect = {
      events,
      settled: [id],
      apply: () => {
        msg.status = 'replied';
        msg.replyBlock = m.block;
        m.fees += fee;
        if (msg.amount !== 0n) push(m, msg.recipient, payout);
      },
    };
  }
  return plan('reply', `${id} by ${x.address.slice(0, 8)}`, byActor(x, 'reply', [id, envelope]), expect);
}

const REFUNDERS = [1, 2, 3, KEEPER_W, 4];

function refundEffects(m: Model, ids: bigint[]): Expect {
  const events: Ev[] = [];
  for (const id of ids) {
    const msg = m.msgs.get(id)!;
    events.push({ eventName: 'MessageRefunded', args: { id, sender: msg.sender, recipient: msg.recipient, amount: msg.amount } });
    if (msg.amount !== 0n) events.push(...pushEvents(m, msg.sender, msg.amount));
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
  const id = pickMsg(m, a.pool, a.m, (g) => g.status === 'open');
  const msg = m.msgs.get(id);
  const ts = m.now + 1n;
  let expect: Expect;
  if (!msg) expect = fail('UnknownMessage', id);
  else if (msg.status !== 'open') expect = fail('AlreadySettled', id, statusCode(msg.status));
  else if (ts < msg.deadline) expect = fail('NotYetRefundable', id, msg.deadline);
  else expect = refundEffects(m, [id]);
  const wallet = REFUNDERS[a.by];
  return plan('refund', `${id} by w${wallet}`, direct(wallet, 'refund', [id]), expect);
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
  return plan('refundMany', `[${ids.length}] by w${wallet}`, direct(wallet, 'refundMany', [ids]), expect);
}

function planFollowUp(m: Model, a: Extract<Action, { t: 'followUp' }>): Plan {
  const ticket = pickMsg(m, a.pool, a.m, (g) => g.status === 'replied');
  const msg = m.msgs.get(ticket);
  const pair = msg ? m.pairs[msg.pair - 1] : undefined;
  const byAddress = (addr: Address) => actors.find((x) => x.address === addr);
  const x = (a.who === 0 && pair && byAddress(pair.sender)) || (a.who === 1 && pair && byAddress(pair.recipient)) || actors[a.m % 5];
  const creator = pair ? acct(m, pair.recipient) : undefined;
  const isVisitor = pair !== undefined && x.address === pair.sender;
  const isCreator = pair !== undefined && x.address === pair.recipient;
  const fprice = creator?.followUpPrice ?? 0n;
  const value = isCreator
    ? a.value === 3
      ? 1n
      : 0n
    : a.value === 0
      ? 0n
      : a.value === 1
        ? fprice
        : a.value === 2
          ? fprice + a.tip
          : fprice > 0n
            ? fprice - 1n
            : 0n;
  const current = creator?.keys.length ?? 1;
  // The creator may name any of its ids (or anything: its own envelopes are not checked).
  const keyId = isCreator ? (a.key === 0 ? current : (a.m % (current + 2)) + 0) : keyIdFor(current, a.key);
  const size = ENV_SIZES[a.env];
  const envelope = env(size, keyId, 3);
  let expect: Expect;
  if (badSize(size)) expect = sizeError(size);
  else if (!msg || !pair) expect = fail('UnknownMessage', ticket);
  else if (!isVisitor && !isCreator) expect = fail('NotAParty', msg.pair, x.address);
  else if (msg.status !== 'replied' || indexOf(ticket) < pair.closedBelow) expect = fail('ThreadNotOpen', msg.pair, ticket);
  else if (isVisitor && m.pairKeys.get(pairKey(pair.sender, pair.recipient))?.blocked)
    expect = fail('SenderBlocked', pair.recipient, x.address);
  else if (isVisitor && keyId !== current) expect = fail('StaleInboxKey', pair.recipient, current, keyId);
  else if (isVisitor && value < fprice) expect = fail('PriceTooLow', fprice, value);
  else if (isCreator && value !== 0n) expect = fail('ValueNotAccepted', value);
  else {
    const fee = (value * feeAt(m, m.block + 1n)) / 10_000n;
    const reader = isVisitor ? pair.recipient : pair.sender;
    const events: Ev[] = [
      {
        eventName: 'FollowUpPosted',
        args: { thread: msg.pair, author: x.address, reader, index: pair.followUpBlocks.length, payout: value - fee, fee, envelope },
      },
    ];
    if (value !== 0n) events.push(...pushEvents(m, pair.recipient, value - fee));
    expect = {
      events,
      apply: () => {
        pair.followUpBlocks.push(m.block);
        receive(m, value);
        m.fees += fee;
        if (value !== 0n) push(m, pair.recipient, value - fee);
      },
    };
  }
  return plan('followUp', `${ticket} by ${x.address.slice(0, 8)} ${value} key ${keyId}`, byActor(x, 'postFollowUp', [ticket, envelope]), expect, value);
}

function planClose(m: Model, a: { who: number; p: number }): Plan {
  const pairNo = m.pairs.length && a.p % 5 !== 4 ? (a.p % m.pairs.length) + 1 : 40 + (a.p % 3);
  const pair = m.pairs[pairNo - 1];
  const byAddress = (addr: Address) => actors.find((x) => x.address === addr);
  const x = (a.who === 0 && pair && byAddress(pair.sender)) || (a.who === 1 && pair && byAddress(pair.recipient)) || actors[a.p % 5];
  let expect: Expect;
  if (!pair) expect = fail('UnknownThread', pairNo);
  else if (x.address !== pair.sender && x.address !== pair.recipient) expect = fail('NotAParty', pairNo, x.address);
  else
    expect = {
      events: [{ eventName: 'ThreadClosed', args: { thread: pairNo, by: x.address } }],
      apply: () => void (pair.closedBelow = acct(m, pair.recipient).inboxCount),
    };
  return plan('closeThread', `${pairNo} by ${x.address.slice(0, 8)}`, byActor(x, 'closeThread', [pairNo]), expect);
}

function planBlock(m: Model, a: { a: number; s: number; blocked: boolean; pair: number }): Plan {
  // Half the time a conversation's creator (un)blocks its visitor; else any actor, any sender.
  const pair = a.pair % 2 === 0 && m.pairs.length ? m.pairs[(a.pair >> 1) % m.pairs.length] : undefined;
  const creator = pair && actors.find((y) => y.address === pair.recipient);
  const x = creator ?? actors[a.a];
  const sender = creator ? pair.sender : a.s === 5 ? zeroAddress : actors[a.s].address;
  let expect: Expect;
  if (sender === zeroAddress) expect = fail('ZeroAddress');
  else
    expect = {
      events: [{ eventName: 'BlockChanged', args: { account: x.address, sender, blocked: a.blocked } }],
      apply: () => {
        const k = pairKey(sender, x.address);
        m.pairKeys.set(k, { no: m.pairKeys.get(k)?.no ?? 0, blocked: a.blocked });
      },
    };
  return plan('setBlocked', `${sender.slice(0, 8)} by ${a.a} ${a.blocked}`, byActor(x, 'setBlocked', [sender, a.blocked]), expect);
}

function planHide(m: Model, a: Extract<Action, { t: 'hide' }>): Plan {
  const x = actors[a.a];
  const mine = [...m.msgs.values()].filter((g) => g.recipient === x.address);
  const others = [...m.msgs.values()].filter((g) => g.recipient !== x.address);
  let ids = a.ms.map((i) => (mine.length ? mine[i % mine.length].id : UNKNOWN_ID));
  if (a.foreign) ids.push(others.length ? others[a.ms.length % others.length].id : UNKNOWN_ID);
  if (a.tooMany) ids = [...ids, ...Array.from({ length: 101 - ids.length }, () => ids[0] ?? UNKNOWN_ID)];
  const number = acct(m, x.address).number;
  let expect: Expect | undefined;
  if (ids.length > 100) expect = fail('TooManyIds', BigInt(ids.length), 100n);
  else
    for (const id of ids) {
      const g = m.msgs.get(id);
      if (!g) expect = fail('UnknownMessage', id);
      else if (number === 0 || BigInt(number) !== id >> 32n) expect = fail('NotRecipient', id, x.address);
      if (expect) break;
    }
  expect ??= {
    events: [{ eventName: 'HiddenChanged', args: { account: x.address, ids, hidden: a.hidden } }],
    apply: () => {
      for (const id of ids) m.msgs.get(id)!.hidden = a.hidden;
    },
  };
  return plan('setHidden', `[${ids.length}] by ${a.a} ${a.hidden}`, byActor(x, 'setHidden', [ids, a.hidden]), expect);
}

function creditTargets(x: Actor): Address[] {
  return [W(x.wallet), W(KEEPER_W), actors[3].address, actors[4].address, zeroAddress];
}

function planWithdrawCredit(m: Model, a: { creditor: boolean; a: number; to: number }): Plan {
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
  return plan('withdrawCredit', `${a.a}→${to.slice(0, 8)}`, byActor(x, 'withdrawCredit', [to]), expect);
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
  return plan('withdrawFees', `${amount}`, direct(wallet, 'withdrawFees', []), expect);
}

/** The current owner's wallet (when `owner`), else one that is not the owner. */
function adminWallet(m: Model, owner: boolean): number {
  const ownerWallet = m.owner === W(OWNER_W) ? OWNER_W : KEEPER_W;
  return owner ? ownerWallet : ownerWallet === OWNER_W ? KEEPER_W : OWNER_W;
}

function planSetFee(m: Model, a: { owner: boolean; bps: number }): Plan {
  const wallet = adminWallet(m, a.owner);
  const bps = FEES[a.bps];
  let expect: Expect;
  if (W(wallet) !== m.owner) expect = fail('NotOwner', W(wallet));
  else if (bps > MAX_FEE) expect = fail('FeeTooHigh', bps, MAX_FEE);
  else {
    const from = m.block + 2n;
    expect = {
      events: [{ eventName: 'FeeChanged', args: { previousBps: m.feeBps, newBps: bps, fromBlock: from } }],
      apply: () => {
        m.feeBps = bps;
        m.feeHistory.push([from, bps]);
      },
    };
  }
  return plan('setFee', `${bps} by w${wallet}`, direct(wallet, 'setFee', [bps]), expect);
}

function planSetFeeRecipient(m: Model, a: { owner: boolean; to: number }): Plan {
  const wallet = adminWallet(m, a.owner);
  const to = [W(OWNER_W), W(KEEPER_W), actors[3].address, actors[4].address, zeroAddress][a.to];
  let expect: Expect;
  if (W(wallet) !== m.owner) expect = fail('NotOwner', W(wallet));
  else if (to === zeroAddress) expect = fail('ZeroAddress');
  else
    expect = {
      events: [{ eventName: 'FeeRecipientChanged', args: { previousRecipient: m.feeRecipient, newRecipient: to } }],
      apply: () => void (m.feeRecipient = to),
    };
  return plan('setFeeRecipient', `${to.slice(0, 8)}`, direct(wallet, 'setFeeRecipient', [to]), expect);
}

function planTransferOwnership(m: Model, a: { owner: boolean; to: number }): Plan {
  const wallet = adminWallet(m, a.owner);
  const to = [W(OWNER_W), W(KEEPER_W), zeroAddress][a.to];
  const expect: Expect =
    W(wallet) !== m.owner
      ? fail('NotOwner', W(wallet))
      : {
          events: [{ eventName: 'OwnershipTransferStarted', args: { previousOwner: m.owner, newOwner: to } }],
          apply: () => void (m.pendingOwner = to),
        };
  return plan('transferOwnership', `→${to.slice(0, 8)} by w${wallet}`, direct(wallet, 'transferOwnership', [to]), expect);
}

function planAcceptOwnership(m: Model, a: { by: number }): Plan {
  // Mostly the pending owner (if any), else someone else.
  const pendingWallet = m.pendingOwner === W(OWNER_W) ? OWNER_W : m.pendingOwner === W(KEEPER_W) ? KEEPER_W : 1;
  const wallet = a.by < 2 ? pendingWallet : [OWNER_W, KEEPER_W, 1][(pendingWallet + a.by) % 3];
  const expect: Expect =
    W(wallet) !== m.pendingOwner
      ? fail('NotOwner', W(wallet))
      : {
          events: [{ eventName: 'OwnershipTransferred', args: { previousOwner: m.owner, newOwner: W(wallet) } }],
          apply: () => {
            m.owner = W(wallet);
            m.pendingOwner = zeroAddress;
          },
        };
  return plan('acceptOwnership', `by w${wallet}`, direct(wallet, 'acceptOwnership', []), expect);
}

function planSetMode(m: Model, a: { p: number; mode: number }): Plan {
  const x = actors[3 + a.p];
  const mode = MODES[a.mode];
  return {
    kind: 'setMode',
    label: `setMode ${x.address.slice(0, 8)} ${mode}`,
    wallet: x.wallet,
    to: x.address,
    data: encodeFunctionData({ abi: participantAbi, functionName: 'setMode', args: [mode, mode === 4 ? BURN : 0n, '0x'] }),
    value: 0n,
    expect: { events: [], apply: () => void m.modes.set(x.address, mode) },
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

/** eth_call against the pending block (timestamp and number of exactly what the next tx gets). */
async function simulate(wallet: number, to: Address, data: Hex, value: bigint, blockTag: 'pending' | bigint = 'pending') {
  try {
    await tc.publicClient.call({
      account: W(wallet),
      to,
      data,
      value,
      gas: GAS,
      ...(blockTag === 'pending' ? { blockTag } : { blockNumber: blockTag }),
    });
    return null;
  } catch (e) {
    const d = revertData(e);
    if (d === undefined) throw e;
    return decodeRevert(d);
  }
}

/** Signs locally and sends with eth_sendRawTransactionSync (nonce from the model): one round trip. */
async function sendTx(m: Model, p: Plan): Promise<TransactionReceipt> {
  const nonce = m.nonces.get(p.wallet)!;
  const raw = await tc.accounts[p.wallet].signTransaction({
    chainId: tc.chain.id,
    type: 'legacy',
    nonce,
    gas: GAS,
    gasPrice: GAS_PRICE,
    to: p.to,
    data: p.data,
    value: p.value,
  });
  const r = await tc.publicClient.request({ method: 'eth_sendRawTransactionSync' as never, params: [raw] as never });
  m.nonces.set(p.wallet, nonce + 1);
  return formatTransactionReceipt(r as never) as TransactionReceipt;
}

async function execute(m: Model, p: Plan, trace: string[]) {
  trace.push(p.label);
  stats.operations++;
  const e = p.expect;
  if ('error' in e) {
    const got = await simulate(p.wallet, p.to, p.data, p.value);
    assert.ok(got, `${p.label}: expected ${e.error}(${e.args.join(', ')}) but it would succeed`);
    assert.equal(got.errorName, e.error, `${p.label}: wrong error (${got.args.join(', ')})`);
    assert.deepStrictEqual(got.args, e.args, `${p.label}: ${e.error} args`);
    stats.reverts++;
    stats.errors.set(e.error, (stats.errors.get(e.error) ?? 0) + 1);
    return;
  }
  const receipt = await sendTx(m, p);
  stats.txs++;
  m.now += 1n;
  m.block += 1n;
  assert.equal(receipt.blockNumber, m.block, 'ghost block number');
  const payer = W(p.wallet);
  m.balances.set(payer, m.balances.get(payer)! - receipt.gasUsed * GAS_PRICE - p.value);
  if (receipt.status !== 'success') {
    const why = decodeRevert(revertData(await simulate(p.wallet, p.to, p.data, p.value, receipt.blockNumber).then(() => undefined, (x) => x)));
    const replay = await simulate(p.wallet, p.to, p.data, p.value, receipt.blockNumber - 1n);
    assert.fail(`${p.label}: expected success, reverted (${why.errorName}; replay: ${JSON.stringify(replay, (_, v) => (typeof v === 'bigint' ? String(v) : v))})`);
  }
  // Participant.exec forwards msg.value: the payer is the controller EOA, the value lands in PaidChat.
  const logs = parseEventLogs({ abi: paidChatAbi, logs: receipt.logs.filter((l) => l.address.toLowerCase() === tc.contract.toLowerCase()) });
  const got = logs.map((l) => ({ eventName: l.eventName as string, args: l.args as Record<string, unknown> }));
  assert.deepStrictEqual(got, e.events, `${p.label}: events`);
  e.apply();
  stats.ok.set(p.kind, (stats.ok.get(p.kind) ?? 0) + 1);
  if (e.settled) {
    stats.settlements += e.settled.length;
    await assertSettledForGood(m, e.settled);
  }
}

/** A settled message can never be settled again: reply by its recipient and refund both revert. */
async function assertSettledForGood(m: Model, ids: bigint[]) {
  await Promise.all(
    ids.map(async (id) => {
      const msg = m.msgs.get(id)!;
      const code = statusCode(msg.status);
      const recipient = actors.find((x) => x.address === msg.recipient)!;
      const r = byActor(recipient, 'reply', [id, env(MIN_ENV, 1, 2)]);
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
  m.block += 1n;
  stats.warps++;
  stats.operations++;
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
    case 'addKey':
      return execute(m, planAddKey(m, a), trace);
    case 'update':
      return execute(m, planUpdate(m, a), trace);
    case 'sites':
      return execute(m, planSites(m, a), trace);
    case 'release':
      return execute(m, planRelease(m, a), trace);
    case 'send':
      return execute(m, planSend(m, a), trace);
    case 'reply':
      return execute(m, planReply(m, a), trace);
    case 'refund':
      return execute(m, planRefund(m, a), trace);
    case 'refundMany':
      return execute(m, planRefundMany(m, a), trace);
    case 'followUp':
      return execute(m, planFollowUp(m, a), trace);
    case 'close':
      return execute(m, planClose(m, a), trace);
    case 'block':
      return execute(m, planBlock(m, a), trace);
    case 'hide':
      return execute(m, planHide(m, a), trace);
    case 'warp': {
      const target = warpTarget(m, a);
      trace.push(`warp +${target > m.now ? target - m.now : 1n}`);
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
      const idx = [...m.msgs.keys()].indexOf(msg.id);
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
    case 'transferOwnership':
      return execute(m, planTransferOwnership(m, a), trace);
    case 'acceptOwnership':
      return execute(m, planAcceptOwnership(m, a), trace);
    case 'setMode':
      return execute(m, planSetMode(m, a), trace);
  }
}

// ---- checks

function readChat(client: PublicClient, functionName: string, args: readonly unknown[] = []) {
  return client.readContract({ address: tc.contract, abi: paidChatAbi, functionName, args } as never) as Promise<any>;
}

/**
 * After every step, in one eth_call (the Lens contract): every tracked balance, every credit,
 * totalCredits, accruedFees, feeBps and each message's status, hidden flag, reply block and fixed fee agree
 * with the model, and the books balance.
 */
async function checkInvariants(m: Model, label: string) {
  const ids = [...m.msgs.keys()];
  const creditors = actors.map((x) => x.address);
  const out = (await tc.publicClient.readContract({
    address: lens,
    abi: lensAbi,
    functionName: 'look',
    args: [tc.contract, tracked, creditors, ids],
  })) as readonly bigint[];
  let k = 0;
  const balances = out.slice(k, (k += tracked.length));
  const credits = out.slice(k, (k += creditors.length));
  const [totalCredits, accruedFees, feeBps] = out.slice(k, (k += 3));
  const statuses = out.slice(k);
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
  creditors.forEach((a, i) => assert.equal(credits[i], m.credits.get(a) ?? 0n, `${label}: creditOf ${a}`));
  tracked.forEach((a, i) => assert.equal(balances[i], m.balances.get(a), `${label}: balance of ${a}`));
  ids.forEach((id, i) => {
    const g = m.msgs.get(id)!;
    const want = BigInt(viewStatus(m, g)) | (g.hidden ? 1n << 8n : 0n) | ((g.status === 'replied' ? g.replyBlock : 0n) << 16n) | (BigInt(g.feeBps) << 48n);
    assert.equal(statuses[i], want, `${label}: status/hidden/replyBlock of ${id}`);
  });
}

/** At the end of a run: every view agrees with the model. */
async function checkViews(m: Model) {
  const latest = await tc.publicClient.getBlock();
  assert.equal(latest.timestamp, m.now, 'ghost clock');
  assert.equal(latest.number, m.block, 'ghost block');
  const r = (fn: string, args: readonly unknown[] = []) => readChat(batch, fn, args);
  const msgs = [...m.msgs.values()];
  const [views, profiles, keyLists, sites, threads, threadOfs, followUps, pages, feeAts, owner, pending, recipient] = await Promise.all([
    Promise.all(msgs.map((g) => r('getMessage', [g.id]))),
    Promise.all(actors.map((x) => r('profileOf', [x.address]))),
    Promise.all(actors.map((x) => r('inboxKeysOf', [x.address]))),
    Promise.all(actors.map((x) => r('sitesOf', [x.address]))),
    Promise.all(m.pairs.map((_, i) => r('getThread', [i + 1]))),
    Promise.all([...m.pairKeys.keys()].map((k) => r('threadOf', k.split('>')))),
    Promise.all(m.pairs.map((_, i) => r('followUpBlocks', [i + 1, 0n, 100n]))),
    Promise.all(m.pairs.map((p) => r('conversationPage', [p.sender, p.recipient, NEWEST, NEWEST, 0n]))),
    Promise.all(m.feeHistory.flatMap(([from]) => [from - 1n, from]).map((b) => r('feeAt', [b]))),
    r('owner'),
    r('pendingOwner'),
    r('feeRecipient'),
  ]);
  for (const [i, v] of views.entries()) {
    const g = msgs[i];
    assert.deepEqual(
      [v.id, v.thread, v.sender, v.recipient, v.amount, v.deadline, v.sentBlock, v.replyBlock, v.status, v.hidden],
      [g.id, g.pair, g.sender, g.recipient, g.amount, g.deadline, g.sentBlock, g.status === 'replied' ? g.replyBlock : 0n, viewStatus(m, g), g.hidden],
      `message ${g.id}`,
    );
    assert.equal(v.senderHandle, acct(m, g.sender).handle ? hb(acct(m, g.sender).handle!) : ZERO32);
  }
  for (const [i, x] of actors.entries()) {
    const g = acct(m, x.address);
    const p = profiles[i];
    assert.deepEqual(
      [p.handle, p.price, p.followUpPrice, p.window, p.keyId, p.key, p.inboxCount],
      [g.handle ? hb(g.handle) : ZERO32, g.price, g.followUpPrice, g.window, g.keys.length, g.keys.at(-1) ?? ZERO32, BigInt(g.inboxCount)],
      `profile of actor ${i}`,
    );
    assert.deepEqual(keyLists[i], [g.keys, g.keys.length ? 1 : 0], `keys of actor ${i}`);
    assert.equal(sites[i], g.sites, `sites of actor ${i}`);
  }
  for (const [i, p] of m.pairs.entries()) {
    const base = acct(m, p.recipient).number;
    let ticket = 0n;
    for (const id of [...p.msgs].reverse()) {
      if (indexOf(id) < p.closedBelow) break;
      if (m.msgs.get(id)!.status === 'replied') {
        ticket = id;
        break;
      }
    }
    const blocked = m.pairKeys.get(pairKey(p.sender, p.recipient))!.blocked;
    assert.deepEqual(
      threads[i],
      { thread: i + 1, sender: p.sender, recipient: p.recipient, followUps: BigInt(p.followUpBlocks.length), closedBelow: p.closedBelow, ticket, blocked },
      `thread ${i + 1}`,
    );
    assert.equal(base !== 0, true);
    assert.deepEqual(followUps[i], p.followUpBlocks.slice(0, 100).map(Number), `followUpBlocks of ${i + 1}`);
    // The conversation page: newest first, merged by block (a follow-up before a message of the same block).
    const page = pages[i];
    const want = [
      ...p.msgs.map((id) => ({ tag: `m${id}`, block: m.msgs.get(id)!.sentBlock, rank: 0 })),
      ...p.followUpBlocks.map((b, k) => ({ tag: `f${k}`, block: b, rank: 1 })),
    ]
      .sort((x, y) => (x.block !== y.block ? (x.block > y.block ? -1 : 1) : y.rank - x.rank || (x.tag > y.tag ? -1 : 1)))
      .slice(0, 100);
    const gotMsgs = page.messages.map((v: any) => `m${v.id}`);
    const gotFus = page.followUpIndexes.map((k: number) => `f${k}`);
    assert.deepEqual(gotMsgs, want.filter((e) => e.tag[0] === 'm').map((e) => e.tag), `conversation ${i + 1} messages`);
    assert.deepEqual(gotFus, want.filter((e) => e.tag[0] === 'f').map((e) => e.tag), `conversation ${i + 1} follow-ups`);
    assert.deepEqual(page.recipientKeys, acct(m, p.recipient).keys);
  }
  for (const [i, k] of [...m.pairKeys.keys()].entries()) {
    const v = m.pairKeys.get(k)!;
    assert.deepEqual(threadOfs[i], [v.no, v.blocked], `threadOf ${k}`);
  }
  m.feeHistory.flatMap(([from]) => [from - 1n, from]).forEach((b, i) => assert.equal(feeAts[i], feeAt(m, b), `feeAt(${b})`));
  assert.deepEqual([owner, pending, recipient], [m.owner, m.pendingOwner, m.feeRecipient], 'owner, pending owner, fee recipient');
}

async function freshSnapshot() {
  const ok = await tc.testClient.request({ method: 'evm_revert', params: [baseSnapshot] } as never);
  assert.equal(ok, true, 'evm_revert');
  baseSnapshot = await tc.snapshot();
}

// ------------------------------------------------------------------------------------ suite

async function deploy(wallet: number, abi: any, bytecode: Hex, args: readonly unknown[]): Promise<Address> {
  const hash = await tc.wallet(wallet).deployContract({ abi, bytecode, args, type: 'legacy', gasPrice: GAS_PRICE } as never);
  const receipt = await tc.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
  assert.equal(receipt.status, 'success');
  return getAddress(receipt.contractAddress!);
}

before(async () => {
  tc = await startTestChain();
  batch = createPublicClient({ chain: tc.chain, transport: http(tc.rpcUrl, { batch: { batchSize: 200, wait: 0 } }) }) as PublicClient;
  // Two Participant contracts, driven by accounts 4 and 5, and the Lens.
  const participants = [await deploy(4, participantAbi, participantBytecode, [tc.contract]), await deploy(5, participantAbi, participantBytecode, [tc.contract])];
  lens = await deploy(OWNER_W, lensAbi, lensBytecode, []);
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
  const latest = await tc.publicClient.getBlock();
  const balances = await Promise.all(tracked.map((a) => tc.publicClient.getBalance({ address: a })));
  const m: Model = {
    now: latest.timestamp,
    block: latest.number,
    accountCount: 0,
    accounts: new Map(),
    handleOwner: new Map(),
    msgs: new Map(),
    pairKeys: new Map(),
    pairs: [],
    credits: new Map(),
    modes: new Map(participants.map((p) => [p, 0])),
    balances: new Map(tracked.map((a, i) => [a, balances[i]])),
    feeBps: 100n,
    feeHistory: [],
    fees: 0n,
    feeRecipient: W(OWNER_W),
    owner: W(OWNER_W),
    pendingOwner: zeroAddress,
    valueIn: 0n,
    valueOut: 0n,
    nonces: new Map(
      await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(async (w) => [w, await tc.publicClient.getTransactionCount({ address: W(w) })] as const)),
    ),
  };
  // Setup, through the model: creators alpha (EOA, follow-ups cost 1e14) and papa (contract,
  // refuses payment), a few open messages and one open conversation, so every run has work to do.
  const setup: Action[] = [
    { t: 'claim', a: 0, handle: 0, price: 1, window: 1, key: 0, sites: 1 },
    { t: 'claim', a: 3, handle: 3, price: 2, window: 2, key: 0, sites: 0 },
    { t: 'update', a: 0, price: 1, window: 1, fprice: 1 },
    { t: 'addKey', a: 1, zero: false },
    { t: 'send', a: 1, toHolder: false, to: 0, value: 2, tip: 12_345n, maxWin: 0, env: 1, key: 0 },
    { t: 'send', a: 4, toHolder: false, to: 3, value: 1, tip: 1n, maxWin: 1, env: 1, key: 0 },
    { t: 'send', a: 0, toHolder: false, to: 3, value: 2, tip: 10n ** 15n, maxWin: 0, env: 2, key: 0 },
    { t: 'send', a: 4, toHolder: false, to: 0, value: 1, tip: 1n, maxWin: 0, env: 1, key: 0 },
    { t: 'reply', a: 0, pool: 1, m: 3, right: true, env: 1 },
    { t: 'send', a: 4, toHolder: false, to: 0, value: 2, tip: 99n, maxWin: 0, env: 1, key: 0 },
    // Seven follow-ups in that conversation: the next one starts a new storage word.
    ...[0, 1, 0, 0, 1, 0, 1].map((who): Action => ({ t: 'followUp', who, pool: 1, m: 3, value: 1, tip: 1n, key: 0, env: 1 })),
    { t: 'setMode', p: 0, mode: 1 },
  ];
  for (const a of setup) {
    await step(m, a, []);
    await checkInvariants(m, `setup ${a.t}`);
  }
  assert.equal(m.msgs.size, 5);
  assert.equal([...m.msgs.values()].filter((g) => g.status === 'replied').length, 1);
  assert.equal(m.pairs[m.msgs.get((1n << 32n) | 1n)!.pair - 1].followUpBlocks.length, 7);
  await checkViews(m);
  stats.operations = 0;
  stats.txs = 0;
  stats.ok.clear();
  baseModel = m;
  baseSnapshot = await tc.snapshot();
});

after(async () => {
  await tc?.stop();
});

describe('PaidChat property: ghost model vs. chain', () => {
  it(`${NUM_RUNS} random sequences of ${STEPS} actions over every state-changing function keep the books exact and every outcome predicted`, async () => {
    const started = Date.now();
    let lastTrace: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: STEPS, maxLength: STEPS }), async (actions) => {
        await freshSnapshot();
        const m = cloneModel(baseModel);
        const trace: string[] = [];
        lastTrace = trace;
        for (const a of actions) {
          await step(m, a, trace);
          await checkInvariants(m, trace[trace.length - 1] ?? a.t);
        }
        await checkViews(m);
        stats.runs++;
      }),
      { numRuns: NUM_RUNS, seed: SEED, includeErrorInReport: true, endOnFailure: process.env.FC_NO_SHRINK === '1' },
    ).catch((e) => {
      console.error('last trace:', lastTrace.join(' | '));
      throw e;
    });
    const seconds = (Date.now() - started) / 1000;
    const errors = [...stats.errors.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v}`);
    const oks = [...stats.ok.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v}`);
    console.log(
      `property: ${stats.runs} runs, ${stats.operations} operations (${stats.txs} transactions, ${stats.reverts} predicted reverts, ` +
        `${stats.warps} time jumps; ${stats.settlements} settlements, ${stats.credits} deferred payments) in ${seconds.toFixed(1)} s`,
    );
    console.log(`property: reverts by error: ${errors.join(' ')}`);
    console.log(`property: successful transactions by function: ${oks.join(' ')}`);
    assert.ok(stats.runs >= NUM_RUNS);
    if (NUM_RUNS * STEPS >= 10_000) assert.ok(stats.operations >= MIN_OPERATIONS, `${stats.operations} operations`);
    if (NUM_RUNS < 200) return;
    // The generator must actually reach the interesting paths.
    for (const name of [
      'PriceTooLow',
      'NotRecipient',
      'AlreadySettled',
      'ReplyWindowClosed',
      'NotYetRefundable',
      'NothingToRefund',
      'StaleInboxKey',
      'SenderBlocked',
      'ThreadNotOpen',
      'NotAParty',
      'ValueNotAccepted',
      'TransferFailed',
      'NotOwner',
      'SitesTooLong',
      'KeyInvalid',
    ]) {
      assert.ok((stats.errors.get(name) ?? 0) > 0, `no ${name} was exercised`);
    }
    assert.ok(stats.credits > 0, 'no deferred payment was exercised');
    for (const kind of [
      'claim',
      'addKey',
      'update',
      'setSites',
      'release',
      'send',
      'reply',
      'refund',
      'refundMany',
      'followUp',
      'closeThread',
      'setBlocked',
      'setHidden',
      'withdrawCredit',
      'withdrawFees',
      'setFee',
      'setFeeRecipient',
      'transferOwnership',
      'acceptOwnership',
    ]) {
      assert.ok((stats.ok.get(kind) ?? 0) > 0, `no successful ${kind}`);
    }
  });
});
