/**
 * PaidChat (protocol v2), rule by rule, with real transactions through viem against anvil
 * (Istanbul rules). Every expected failure is asserted by custom error name and arguments; every
 * boundary is tried on both sides.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  BaseError,
  bytesToHex,
  decodeErrorResult,
  encodeDeployData,
  parseEventLogs,
  stringToHex,
  zeroAddress,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { getBlockReceipts } from 'viem/actions';
import { paidChatAbi, paidChatBytecode } from '../../src/sdk/generated/paid-chat.js';
import { GAS_PRICE, ONE, startTestChain, type TestChain } from '../support/chain.js';
import { expectRevert } from '../support/revert.js';

// ---------------------------------------------------------------------------------------- helpers

type Abi = typeof paidChatAbi;
type WriteName = ContractFunctionName<Abi, 'nonpayable' | 'payable'>;
type ReadName = ContractFunctionName<Abi, 'pure' | 'view'>;
type WriteArgs<F extends WriteName> = ContractFunctionArgs<Abi, 'nonpayable' | 'payable', F>;

const MIN_WINDOW = 3600;
const MAX_WINDOW = 30 * 86_400;
const DEFAULT_WINDOW = 7 * 86_400;
const MAX_ENV = 320;
const MIN_ENV = 6;
const NEWEST = 2 ** 32 - 1;
const KEY_A = ('0x' + '11'.repeat(32)) as Hex;
const KEY_B = ('0x' + '22'.repeat(32)) as Hex;
const KEY_C = ('0x' + '33'.repeat(32)) as Hex;
const ZERO32 = ('0x' + '00'.repeat(32)) as Hex;
const PRICE = ONE('0.5');
const FOLLOW = ONE('0.1');
const STATUS = { NONE: 0, WAITING: 1, REFUNDABLE: 2, REPLIED: 3, REFUNDED: 4 } as const;

/** Account roles (0 deployed the contract: owner and fee recipient). */
const OWNER = 0;
const ALICE = 1; // creator (account number 1 in most tests)
const BOB = 2; // visitor
const CAROL = 3; // another visitor / third party
const DAVE = 4; // another creator
const ERIN = 5; // never does anything
const FRANK = 6; // keeper

let tc: TestChain;
const addr = (i: number): Address => tc.accounts[i].address;
const h = (s: string): Hex => stringToHex(s, { size: 32 });
/** An envelope: version 2, `kind`, key id (big-endian) in bytes 2..5, then `size − 6` filler bytes. */
function env(keyId: number, size = 100, kind = 1): Hex {
  const head = '02' + kind.toString(16).padStart(2, '0') + keyId.toString(16).padStart(8, '0');
  return ('0x' + (head + 'cd'.repeat(Math.max(0, size - 6))).slice(0, size * 2)) as Hex;
}
const idOf = (recipientNumber: number, index: number) => (BigInt(recipientNumber) << 32n) | BigInt(index);

async function write<F extends WriteName>(
  from: number,
  functionName: F,
  args: WriteArgs<F>,
  opts: { value?: bigint; gas?: bigint } = {},
): Promise<TransactionReceipt> {
  const receipt = await tc.wallet(from).writeContractSync({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    value: opts.value,
    gas: opts.gas,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never);
  assert.equal(receipt.status, 'success', `${functionName} should succeed`);
  return receipt;
}

/** Simulate (eth_call) a write from `from`: resolves with its result, rejects with the decoded custom error. */
function sim<F extends WriteName>(
  from: number,
  functionName: F,
  args: WriteArgs<F>,
  opts: { value?: bigint; blockNumber?: bigint; pending?: boolean } = {},
) {
  return tc.publicClient.simulateContract({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    account: tc.accounts[from],
    value: opts.value,
    blockNumber: opts.blockNumber,
    blockTag: opts.pending ? 'pending' : undefined,
  } as never) as Promise<{ result: any }>;
}

/**
 * Mines one transaction (gas given, so no estimate runs) in a block with timestamp `ts` when given.
 * Returns the receipt, reverted or not.
 */
async function mine<F extends WriteName>(
  from: number,
  functionName: F,
  args: WriteArgs<F>,
  opts: { value?: bigint; ts?: bigint; gas?: bigint } = {},
): Promise<TransactionReceipt> {
  if (opts.ts !== undefined) await tc.testClient.setNextBlockTimestamp({ timestamp: opts.ts });
  const receipt = await tc.wallet(from).writeContractSync({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    value: opts.value,
    gas: opts.gas ?? 1_000_000n,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never);
  if (opts.ts !== undefined) {
    const block = await tc.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    assert.equal(block.timestamp, opts.ts, 'transaction mined at the chosen timestamp');
  }
  return receipt;
}

/**
 * Asserts that a mined transaction reverted with `name(args)`: the same call, replayed on the state
 * and block of its own block (it changed nothing), must give exactly that error.
 */
async function expectMinedRevert<F extends WriteName>(
  receipt: TransactionReceipt,
  from: number,
  functionName: F,
  args: WriteArgs<F>,
  name: string,
  errorArgs: readonly unknown[],
  value?: bigint,
) {
  assert.equal(receipt.status, 'reverted', `${functionName} should revert`);
  await expectRevert(sim(from, functionName, args, { value, blockNumber: receipt.blockNumber }), name, errorArgs);
}

function read<F extends ReadName>(functionName: F, args?: ContractFunctionArgs<Abi, 'pure' | 'view', F>) {
  return tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName, args } as never) as Promise<any>;
}

const balance = (a: Address) => tc.publicClient.getBalance({ address: a });
const gasCost = (r: TransactionReceipt) => r.gasUsed * r.effectiveGasPrice;
const events = (r: TransactionReceipt, eventName: string) =>
  parseEventLogs({ abi: paidChatAbi, logs: r.logs, eventName: eventName as never }) as unknown as { args: Record<string, any> }[];
const eventArgs = (r: TransactionReceipt, eventName: string) => events(r, eventName).map((e) => e.args);
const allEvents = (r: TransactionReceipt) =>
  (parseEventLogs({ abi: paidChatAbi, logs: r.logs }) as unknown as { eventName: string }[]).map((e) => e.eventName);

async function claim(i: number, handle: string, opts: { price?: bigint; window?: number; key?: Hex; sites?: Hex } = {}) {
  return write(i, 'claimHandle', [h(handle), opts.price ?? PRICE, opts.window ?? MIN_WINDOW, opts.key ?? KEY_A, opts.sites ?? '0x']);
}

interface Sent {
  receipt: TransactionReceipt;
  id: bigint;
  thread: number;
  deadline: bigint;
  sentAt: bigint;
  block: bigint;
}
async function send(from: number, to: number, opts: { value?: bigint; keyId?: number; env?: Hex; maxWindow?: bigint } = {}): Promise<Sent> {
  const receipt = await write(from, 'sendMessage', [addr(to), opts.maxWindow ?? BigInt(MAX_WINDOW), opts.env ?? env(opts.keyId ?? 1)], {
    value: opts.value ?? PRICE,
  });
  const [ev] = eventArgs(receipt, 'MessageSent');
  const block = await tc.publicClient.getBlock({ blockNumber: receipt.blockNumber });
  return { receipt, id: ev.id, thread: ev.thread, deadline: ev.deadline, sentAt: block.timestamp, block: receipt.blockNumber };
}

const reply = (id: bigint, from = ALICE, e = env(1, 60, 2)) => write(from, 'reply', [id, e]);
const followUp = (from: number, ticket: bigint, value = 0n, e = env(1, 80, 3)) => write(from, 'postFollowUp', [ticket, e], { value });

/** Contract balance must equal open escrows + credits + fees. */
async function assertBooks(ids: bigint[]) {
  let open = 0n;
  for (const id of ids) {
    const m = await read('getMessage', [id]);
    if (m.status === STATUS.WAITING || m.status === STATUS.REFUNDABLE) open += m.amount;
  }
  const [bal, credits, fees] = await Promise.all([balance(tc.contract), read('totalCredits'), read('accruedFees')]);
  assert.equal(bal, open + credits + fees, 'contract balance == open escrows + credits + fees');
}

/** Standard scene: alice holds 'alice' (PRICE, 1 h, KEY_A as key 1); she is account number 1. */
async function scene(opts: { followUpPrice?: bigint } = {}) {
  await claim(ALICE, 'alice');
  if (opts.followUpPrice !== undefined) await write(ALICE, 'updateProfile', [PRICE, MIN_WINDOW, opts.followUpPrice]);
}

/** Runs `fn` with automine off, then mines everything it queued in one block. */
async function inOneBlock(fn: () => Promise<void>): Promise<bigint> {
  await tc.testClient.setAutomine(false);
  try {
    await fn();
    await tc.testClient.mine({ blocks: 1 });
  } finally {
    await tc.testClient.setAutomine(true);
  }
  return (await tc.publicClient.getBlock()).number; // (getBlockNumber may answer from its cache)
}
/** Queues a transaction (automine off): explicit gas and nonce from the pending state. */
async function queue<F extends WriteName>(from: number, functionName: F, args: WriteArgs<F>, value?: bigint): Promise<Hex> {
  return tc.wallet(from).writeContract({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    value,
    gas: 1_000_000n,
    type: 'legacy',
    gasPrice: GAS_PRICE,
  } as never);
}
/**
 * Receipts of queued transactions, read from their block (after an evm_revert anvil may still
 * answer a lookup by hash with the receipt of an identical transaction from the reverted past).
 */
async function receiptsOf(block: bigint, hashes: Hex[]): Promise<TransactionReceipt[]> {
  const receipts = await getBlockReceipts(tc.publicClient, { blockNumber: block });
  return hashes.map((hash) => {
    const r = receipts.find((x) => x.transactionHash === hash);
    assert.ok(r, `transaction ${hash} is in block ${block}`);
    return r;
  });
}

function decodeRevertData(e: unknown) {
  let data: Hex | undefined;
  if (e instanceof BaseError)
    e.walk((x) => {
      const d = (x as { data?: unknown }).data;
      if (typeof d === 'string' && d.startsWith('0x')) data = d as Hex;
      return data !== undefined;
    });
  assert.ok(data, `no revert data in ${String(e)}`);
  return decodeErrorResult({ abi: paidChatAbi, data });
}

// ---------------------------------------------------------------------------------------- suite

before(async () => {
  tc = await startTestChain();
  // Deterministic clock: every block is one second after the previous one (unless set).
  await tc.testClient.setBlockTimestampInterval({ interval: 1 });
  await tc.testClient.mine({ blocks: 1 });
});

after(async () => {
  await tc?.stop();
});

let snap: Hex;
beforeEach(async () => {
  snap = await tc.snapshot();
});
afterEach(async () => {
  await tc.testClient.setAutomine(true);
  await tc.revert(snap);
});

describe('deployment', () => {
  it('starts with owner, fee recipient, the 1 % default fee and the v2 constants', async () => {
    assert.equal(await read('owner'), addr(OWNER));
    assert.equal(await read('feeRecipient'), addr(OWNER));
    assert.equal(await read('pendingOwner'), zeroAddress);
    assert.equal(await read('feeBps'), 100n);
    assert.equal(await read('feeAt', [0n]), 100n);
    assert.equal(await read('feeAt', [(await tc.publicClient.getBlock()).number]), 100n);
    assert.equal(await read('accruedFees'), 0n);
    assert.equal(await read('totalCredits'), 0n);
    assert.equal(await read('PROTOCOL_VERSION'), 2n);
    assert.equal(await read('MAX_FEE_BPS'), 500n);
    assert.equal(await read('DEFAULT_FEE_BPS'), 100n);
    assert.equal(await read('MIN_ENVELOPE_BYTES'), BigInt(MIN_ENV));
    assert.equal(await read('MAX_ENVELOPE_BYTES'), BigInt(MAX_ENV));
    assert.equal(await read('MAX_SITES_BYTES'), 256n);
    assert.equal(await read('MAX_PAGE'), 100n);
    assert.equal(await read('PUSH_GAS'), 40_000n);
    assert.equal(await read('NEWEST'), NEWEST);
    assert.equal(await read('MIN_WINDOW'), BigInt(MIN_WINDOW));
    assert.equal(await read('MAX_WINDOW'), BigInt(MAX_WINDOW));
    assert.equal(await read('DEFAULT_WINDOW'), BigInt(DEFAULT_WINDOW));
  });

  it('the constructor refuses a zero fee recipient: ZeroAddress', async () => {
    const data = encodeDeployData({ abi: paidChatAbi, bytecode: paidChatBytecode, args: [zeroAddress] });
    let error: unknown;
    try {
      await tc.publicClient.call({ account: addr(OWNER), data });
    } catch (e) {
      error = e;
    }
    const decoded = decodeRevertData(error);
    assert.equal(decoded.errorName, 'ZeroAddress');
    assert.deepEqual(decoded.args ?? [], []);
  });

  it('runtime bytecode has no PUSH0 (runs on Istanbul) and stays under the 24,576-byte limit', async () => {
    const code = await tc.publicClient.getCode({ address: tc.contract });
    assert.ok(code && code.length > 1000, 'contract deployed');
    assert.ok((code.length - 2) / 2 < 24_576, `deployed size ${(code.length - 2) / 2}`);
    assert.deepEqual(findPush0(code), [], 'no PUSH0 in runtime code');
    // The walker itself finds PUSH0 where there is one, and skips push data that looks like it.
    assert.deepEqual(findPush0('0x605f5f00', false), [2]);
    assert.deepEqual(findPush0(`0x7f${'5f'.repeat(32)}00`, false), []);
  });

  it('the node really enforces Istanbul: creation code with PUSH0 fails', async () => {
    // PUSH0 PUSH0 RETURN: valid since Shanghai, an invalid opcode on Istanbul.
    const receipt = await tc.wallet(CAROL).sendTransactionSync({
      data: '0x5f5ff3',
      gas: 100_000n,
      type: 'legacy',
      gasPrice: GAS_PRICE,
      throwOnReceiptRevert: false,
    } as never);
    assert.equal(receipt.status, 'reverted');
    assert.equal(receipt.gasUsed, 100_000n, 'invalid opcode consumes all gas');
  });
});

/** Offsets of PUSH0 opcodes in `code`, skipping PUSH1..PUSH32 immediates and the CBOR metadata. */
function findPush0(code: Hex, stripMetadata = true): number[] {
  let bytes = Buffer.from(code.slice(2), 'hex');
  if (stripMetadata) {
    const metaLen = bytes.readUInt16BE(bytes.length - 2);
    assert.ok(metaLen + 2 < bytes.length, 'metadata length sane');
    bytes = bytes.subarray(0, bytes.length - metaLen - 2);
  }
  const found: number[] = [];
  for (let pc = 0; pc < bytes.length; pc++) {
    const op = bytes[pc];
    if (op === 0x5f) found.push(pc);
    else if (op >= 0x60 && op <= 0x7f) pc += op - 0x5f;
  }
  return found;
}

function prepareHandle(input: string): string {
  let s = input.trim();
  if (s.startsWith('@')) s = s.slice(1);
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
function normalizeHandle(input: string): string | null {
  const s = prepareHandle(input);
  if (!/^[\x00-\x7f]*$/.test(s)) return null;
  return /^[a-z0-9][a-z0-9_-]{2,31}$/.test(s) ? s : null;
}

describe('handles', () => {
  it('isValidHandle accepts and rejects the right bytes', async () => {
    const ok = ['abc', 'satoshi-admirer', 'a_b', 'ab-', 'a-_', '123', '0x12', 'a'.repeat(32), 'z9'.repeat(16)];
    for (const s of ok) assert.equal(await read('isValidHandle', [h(s)]), true, s);
    const bad = ['', 'a', 'ab', 'Abc', 'abC', '_abc', '-abc', 'sato shi', 'satoshi.eth', 'a@b', 'ab/'];
    for (const s of bad) assert.equal(await read('isValidHandle', [h(s)]), false, JSON.stringify(s));
    assert.throws(() => h('a'.repeat(33)), '33 characters cannot be encoded into a bytes32');
    const embedded = bytesToHex(Uint8Array.from([0x61, 0x62, 0x63, 0, 0x64, ...new Array(27).fill(0)]));
    assert.equal(await read('isValidHandle', [embedded]), false, 'abc\\0d');
    const trailing = bytesToHex(Uint8Array.from([0x61, 0x62, 0x63, ...new Array(28).fill(0), 0x01]));
    assert.equal(await read('isValidHandle', [trailing]), false, 'non-zero last byte after padding');
    assert.equal(await read('isValidHandle', [stringToHex('café', { size: 32 })]), false);
    assert.equal(await read('isValidHandle', [bytesToHex(Uint8Array.from([0x61, 0x62, 0x80, ...new Array(29).fill(0)]))]), false);
    assert.equal(await read('isValidHandle', [ZERO32]), false);
    // Every non-zero byte value: exactly a-z 0-9 are valid first chars; also _ and - later on.
    const checks = [];
    for (let c = 1; c < 256; c++) {
      const first = bytesToHex(Uint8Array.from([c, 0x61, 0x61, ...new Array(29).fill(0)]));
      const mid = bytesToHex(Uint8Array.from([0x61, c, 0x61, ...new Array(29).fill(0)]));
      const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
      checks.push(read('isValidHandle', [first]).then((v) => assert.equal(v, alnum, `first byte ${c}`)));
      checks.push(read('isValidHandle', [mid]).then((v) => assert.equal(v, alnum || c === 0x5f || c === 0x2d, `middle byte ${c}`)));
    }
    await Promise.all(checks);
  });

  it('shared vectors (test/vectors/handles.json) agree with isValidHandle', async () => {
    const vectors = JSON.parse(readFileSync(new URL('../vectors/handles.json', import.meta.url), 'utf8')) as {
      input: string;
      normalized: string | null;
    }[];
    assert.ok(vectors.length >= 40, 'about 40 vectors');
    let validChecked = 0;
    let invalidChecked = 0;
    for (const v of vectors) {
      assert.equal(normalizeHandle(v.input), v.normalized, `vector itself is consistent: ${JSON.stringify(v.input)}`);
      if (v.normalized !== null) {
        assert.equal(await read('isValidHandle', [h(v.normalized)]), true, v.normalized);
        validChecked++;
        continue;
      }
      const prepared = prepareHandle(v.input);
      if (/^[\x00-\x7f]*$/.test(prepared) && prepared.length <= 32) {
        assert.equal(await read('isValidHandle', [h(prepared)]), false, JSON.stringify(prepared));
        invalidChecked++;
      }
    }
    assert.ok(validChecked >= 15 && invalidChecked >= 10, `${validChecked} valid, ${invalidChecked} invalid checked`);
  });

  it('claimHandle stores the profile, adds the key and the sites: InboxKeyAdded, HandleClaimed, SitesUpdated', async () => {
    const sites = stringToHex('https://example.org https://blog.example.org');
    const r = await claim(ALICE, 'satoshi-admirer', { price: PRICE, window: 7200, sites });
    assert.deepEqual(allEvents(r), ['InboxKeyAdded', 'HandleClaimed', 'SitesUpdated']);
    assert.deepEqual(eventArgs(r, 'InboxKeyAdded'), [{ account: addr(ALICE), keyId: 1, key: KEY_A }]);
    assert.deepEqual(eventArgs(r, 'HandleClaimed'), [{ account: addr(ALICE), handle: h('satoshi-admirer'), price: PRICE, window: 7200n }]);
    assert.deepEqual(eventArgs(r, 'SitesUpdated'), [{ account: addr(ALICE), sites }]);
    assert.equal(await read('ownerOf', [h('satoshi-admirer')]), addr(ALICE));
    assert.equal(await read('sitesOf', [addr(ALICE)]), sites);
    const p = await read('profileOf', [addr(ALICE)]);
    assert.deepEqual(p, {
      account: addr(ALICE),
      handle: h('satoshi-admirer'),
      price: PRICE,
      followUpPrice: 0n,
      window: 7200n,
      keyId: 1,
      key: KEY_A,
      inboxCount: 0n,
    });
    assert.deepEqual(await read('profileOfHandle', [h('satoshi-admirer')]), p);
  });

  it('HandleInvalid, HandleTaken(handle, owner), AlreadyHasHandle(account, handle)', async () => {
    for (const bad of ['ab', 'Abc', '-abc', 'sato shi']) {
      await expectRevert(sim(BOB, 'claimHandle', [h(bad), 0n, 0, KEY_A, '0x']), 'HandleInvalid', [h(bad)]);
    }
    await expectRevert(sim(BOB, 'claimHandle', [ZERO32, 0n, 0, KEY_A, '0x']), 'HandleInvalid', [ZERO32]);
    await claim(ALICE, 'alice');
    await expectRevert(sim(BOB, 'claimHandle', [h('alice'), 0n, 0, KEY_A, '0x']), 'HandleTaken', [h('alice'), addr(ALICE)]);
    await expectRevert(sim(ALICE, 'claimHandle', [h('alice2'), 0n, 0, KEY_A, '0x']), 'AlreadyHasHandle', [addr(ALICE), h('alice')]);
  });

  it('claimHandle with key 0 keeps the current key, and needs one: NoInboxKey', async () => {
    await expectRevert(sim(BOB, 'claimHandle', [h('bob'), 0n, 0, ZERO32, '0x']), 'NoInboxKey', [addr(BOB)]);
    await write(BOB, 'addInboxKey', [KEY_B]);
    const r = await write(BOB, 'claimHandle', [h('bob'), 0n, 0, ZERO32, '0x']);
    assert.deepEqual(allEvents(r), ['HandleClaimed', 'SitesUpdated'], 'no key added');
    const p = await read('profileOf', [addr(BOB)]);
    assert.equal(p.keyId, 1);
    assert.equal(p.key, KEY_B);
    assert.equal(p.window, BigInt(DEFAULT_WINDOW), 'window 0 means 7 days');
    // A non-zero key at claim time is a new key (rotation).
    await write(CAROL, 'addInboxKey', [KEY_A]);
    const r2 = await write(CAROL, 'claimHandle', [h('carol'), 0n, 0, KEY_C, '0x']);
    assert.deepEqual(eventArgs(r2, 'InboxKeyAdded'), [{ account: addr(CAROL), keyId: 2, key: KEY_C }]);
    assert.equal((await read('profileOf', [addr(CAROL)])).keyId, 2);
  });

  it('release frees the handle for someone else; the releaser may claim again; NoHandle without one', async () => {
    await expectRevert(sim(ALICE, 'releaseHandle', []), 'NoHandle', [addr(ALICE)]);
    await claim(ALICE, 'alice');
    const r = await write(ALICE, 'releaseHandle', []);
    assert.deepEqual(eventArgs(r, 'HandleReleased'), [{ account: addr(ALICE), handle: h('alice') }]);
    assert.equal(await read('ownerOf', [h('alice')]), zeroAddress);
    const p = await read('profileOf', [addr(ALICE)]);
    assert.equal(p.handle, ZERO32);
    assert.equal(p.price, 0n);
    assert.equal(p.window, 0n);
    assert.equal(p.keyId, 1, 'keys stay');
    const none = await read('profileOfHandle', [h('alice')]);
    assert.equal(none.account, zeroAddress);
    assert.equal(none.handle, h('alice'));
    await claim(BOB, 'alice', { key: KEY_B });
    assert.equal(await read('ownerOf', [h('alice')]), addr(BOB));
    await claim(ALICE, 'alice-again');
    assert.equal((await read('profileOf', [addr(ALICE)])).keyId, 2, 'claimed again with a new key');
  });

  it('updateProfile changes price, window and follow-up price: ProfileUpdated; NoHandle without a handle', async () => {
    await expectRevert(sim(ALICE, 'updateProfile', [1n, 0, 0n]), 'NoHandle', [addr(ALICE)]);
    await claim(ALICE, 'alice');
    const r = await write(ALICE, 'updateProfile', [7n, 7200, 3n]);
    assert.deepEqual(eventArgs(r, 'ProfileUpdated'), [{ account: addr(ALICE), handle: h('alice'), price: 7n, window: 7200n, followUpPrice: 3n }]);
    const p = await read('profileOf', [addr(ALICE)]);
    assert.equal(p.price, 7n);
    assert.equal(p.window, 7200n);
    assert.equal(p.followUpPrice, 3n);
    await write(ALICE, 'updateProfile', [0n, 0, 0n]);
    const q = await read('profileOf', [addr(ALICE)]);
    assert.equal(q.window, BigInt(DEFAULT_WINDOW));
    assert.equal(q.followUpPrice, 0n);
  });

  it('window bounds: 0 means 7 days, 1 h .. 30 days inclusive (WindowOutOfRange)', async () => {
    for (const w of [MIN_WINDOW - 1, MAX_WINDOW + 1, 1, 2 ** 24 - 1]) {
      await expectRevert(sim(ALICE, 'claimHandle', [h('alice'), 0n, w, KEY_A, '0x']), 'WindowOutOfRange', [
        BigInt(w),
        BigInt(MIN_WINDOW),
        BigInt(MAX_WINDOW),
      ]);
    }
    await claim(ALICE, 'alice', { window: MIN_WINDOW });
    assert.equal((await read('profileOf', [addr(ALICE)])).window, BigInt(MIN_WINDOW));
    await claim(BOB, 'bob', { window: MAX_WINDOW });
    assert.equal((await read('profileOf', [addr(BOB)])).window, BigInt(MAX_WINDOW));
    for (const w of [MIN_WINDOW - 1, MAX_WINDOW + 1]) {
      await expectRevert(sim(ALICE, 'updateProfile', [0n, w, 0n]), 'WindowOutOfRange', [BigInt(w), BigInt(MIN_WINDOW), BigInt(MAX_WINDOW)]);
    }
    await write(ALICE, 'updateProfile', [0n, MAX_WINDOW, 0n]);
    await write(BOB, 'updateProfile', [0n, MIN_WINDOW, 0n]);
    assert.equal((await read('profileOf', [addr(ALICE)])).window, BigInt(MAX_WINDOW));
    assert.equal((await read('profileOf', [addr(BOB)])).window, BigInt(MIN_WINDOW));
  });
});

describe('inbox keys', () => {
  it('a zero key is refused: KeyInvalid', async () => {
    await expectRevert(sim(BOB, 'addInboxKey', [ZERO32]), 'KeyInvalid', []);
  });

  it('ids count up from 1; InboxKeyAdded per key; profileOf shows the current key; inboxKeysOf lists them all', async () => {
    // An account with nothing has no key, and the views say so.
    assert.deepEqual(await read('inboxKeysOf', [addr(BOB)]), [[], 0]);
    assert.equal(await read('inboxKeyOf', [addr(BOB), 1]), ZERO32);
    const empty = await read('profileOf', [addr(BOB)]);
    assert.equal(empty.keyId, 0);
    assert.equal(empty.key, ZERO32);

    const keys = [KEY_A, KEY_B, KEY_C];
    for (const [i, key] of keys.entries()) {
      const { result } = await sim(BOB, 'addInboxKey', [key]);
      assert.equal(result, i + 1, 'returns the new id');
      const r = await write(BOB, 'addInboxKey', [key]);
      assert.deepEqual(eventArgs(r, 'InboxKeyAdded'), [{ account: addr(BOB), keyId: i + 1, key }]);
      const p = await read('profileOf', [addr(BOB)]);
      assert.equal(p.keyId, i + 1);
      assert.equal(p.key, key);
    }
    assert.deepEqual(await read('inboxKeysOf', [addr(BOB)]), [keys, 1]);
    assert.equal(await read('inboxKeyOf', [addr(BOB), 2]), KEY_B);
    assert.equal(await read('inboxKeyOf', [addr(BOB), 0]), ZERO32);
    assert.equal(await read('inboxKeyOf', [addr(BOB), 4]), ZERO32);
    // The same key may be added again: it gets a new id.
    const again = await write(BOB, 'addInboxKey', [KEY_A]);
    assert.deepEqual(eventArgs(again, 'InboxKeyAdded'), [{ account: addr(BOB), keyId: 4, key: KEY_A }]);
  });

  it('inboxKeysOf returns the newest 100 of 102 keys, with the id of the first', async () => {
    const key = (i: number) => ('0x' + (i + 1).toString(16).padStart(64, '0')) as Hex;
    for (let i = 0; i < 102; i++) await write(BOB, 'addInboxKey', [key(i)]);
    const [keys, firstId] = await read('inboxKeysOf', [addr(BOB)]);
    assert.equal(firstId, 3);
    assert.equal(keys.length, 100);
    assert.equal(keys[0], key(2));
    assert.equal(keys[99], key(101));
  });

  it('an envelope to an account must name its current key: StaleInboxKey(account, current, given)', async () => {
    await scene();
    await send(BOB, ALICE, { keyId: 1 });
    await write(ALICE, 'addInboxKey', [KEY_B]);
    for (const given of [1, 0, 3, 0xffffffff]) {
      await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(given)], { value: PRICE }), 'StaleInboxKey', [
        addr(ALICE),
        2,
        given,
      ]);
    }
    const s = await send(BOB, ALICE, { keyId: 2 });
    assert.equal(s.receipt.status, 'success');
    // Only bytes 2..5 matter: version and kind bytes are the client's business.
    const odd = ('0xff00' + '00000002' + 'ee'.repeat(10)) as Hex;
    await send(CAROL, ALICE, { env: odd });
  });

  it('visitor follow-ups must name the creator’s current key; the creator’s follow-ups may name any of its ids', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await reply(s.id);
    await write(ALICE, 'addInboxKey', [KEY_B]);
    await expectRevert(sim(BOB, 'postFollowUp', [s.id, env(1, 80, 3)]), 'StaleInboxKey', [addr(ALICE), 2, 1]);
    await followUp(BOB, s.id, 0n, env(2, 80, 3));
    await followUp(ALICE, s.id, 0n, env(1, 80, 3));
    await followUp(ALICE, s.id, 0n, env(2, 80, 3));
    assert.equal((await read('getThread', [s.thread])).followUps, 3n);
  });

  it('a sender needs no key on chain', async () => {
    await scene();
    assert.equal((await read('profileOf', [addr(BOB)])).keyId, 0);
    const s = await send(BOB, ALICE);
    assert.equal((await read('getMessage', [s.id])).sender, addr(BOB));
  });
});

describe('sites', () => {
  it('setSites stores up to 256 bytes: SitesUpdated; 257 bytes: SitesTooLong(size, max)', async () => {
    const max = ('0x' + '61'.repeat(256)) as Hex;
    const r = await write(BOB, 'setSites', [max]);
    assert.deepEqual(eventArgs(r, 'SitesUpdated'), [{ account: addr(BOB), sites: max }]);
    assert.equal(await read('sitesOf', [addr(BOB)]), max);
    const tooLong = ('0x' + '61'.repeat(257)) as Hex;
    await expectRevert(sim(BOB, 'setSites', [tooLong]), 'SitesTooLong', [257n, 256n]);
    await expectRevert(sim(CAROL, 'claimHandle', [h('carol'), 0n, 0, KEY_A, tooLong]), 'SitesTooLong', [257n, 256n]);
    await write(BOB, 'setSites', ['0x']);
    assert.equal(await read('sitesOf', [addr(BOB)]), '0x');
    assert.equal(await read('sitesOf', [addr(ERIN)]), '0x');
  });
});

describe('sendMessage', () => {
  it('escrows msg.value, emits MessageSent, id = recipient number << 32 | inbox index', async () => {
    await scene();
    const contractBefore = await balance(tc.contract);
    const bobBefore = await balance(addr(BOB));
    const e = env(1, 211);
    const s = await send(BOB, ALICE, { env: e });
    assert.equal(s.id, idOf(1, 0));
    assert.equal(await balance(tc.contract), contractBefore + PRICE);
    assert.equal(await balance(addr(BOB)), bobBefore - PRICE - gasCost(s.receipt));
    assert.deepEqual(eventArgs(s.receipt, 'MessageSent'), [
      { id: s.id, sender: addr(BOB), recipient: addr(ALICE), thread: 1, amount: PRICE, deadline: s.sentAt + BigInt(MIN_WINDOW), envelope: e },
    ]);
    const m = await read('getMessage', [s.id]);
    assert.deepEqual(m, {
      id: s.id,
      thread: 1,
      sender: addr(BOB),
      recipient: addr(ALICE),
      senderHandle: ZERO32,
      amount: PRICE,
      feeBps: 100n,
      deadline: s.sentAt + BigInt(MIN_WINDOW),
      sentBlock: s.block,
      replyBlock: 0n,
      status: STATUS.WAITING,
      hidden: false,
    });
    const s2 = await send(CAROL, ALICE);
    assert.equal(s2.id, idOf(1, 1));
    assert.equal((await read('profileOf', [addr(ALICE)])).inboxCount, 2n);
    const { result } = await sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: PRICE });
    assert.equal(result, idOf(1, 2), 'returns the id');
  });

  it('NoHandle for a recipient without a handle (never had one, or released it)', async () => {
    await expectRevert(sim(BOB, 'sendMessage', [addr(ERIN), BigInt(MAX_WINDOW), env(1)]), 'NoHandle', [addr(ERIN)]);
    await scene();
    await write(ALICE, 'releaseHandle', []);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: PRICE }), 'NoHandle', [addr(ALICE)]);
  });

  it('SelfMessage when sending to yourself', async () => {
    await scene();
    await expectRevert(sim(ALICE, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: PRICE }), 'SelfMessage', []);
  });

  it('price: PriceTooLow(required, sent) one wei below; exactly the price and a tip are fine', async () => {
    await scene();
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: PRICE - 1n }), 'PriceTooLow', [
      PRICE,
      PRICE - 1n,
    ]);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: 0n }), 'PriceTooLow', [PRICE, 0n]);
    const exact = await send(BOB, ALICE, { value: PRICE });
    const tipped = await send(BOB, ALICE, { value: PRICE + 12_345n });
    assert.equal((await read('getMessage', [exact.id])).amount, PRICE);
    assert.equal((await read('getMessage', [tipped.id])).amount, PRICE + 12_345n);
  });

  it('price 0 is allowed and holds nothing; a tip at price 0 is held', async () => {
    await claim(ALICE, 'alice', { price: 0n });
    const free = await send(BOB, ALICE, { value: 0n });
    const tip = await send(BOB, ALICE, { value: 5n });
    assert.equal(await balance(tc.contract), 5n);
    const r = await reply(free.id);
    assert.deepEqual(eventArgs(r, 'MessageReplied')[0].payout, 0n);
    assert.deepEqual(eventArgs(r, 'MessageReplied')[0].fee, 0n);
    await tc.mineAt(tip.deadline);
    const f = await write(CAROL, 'refund', [tip.id]);
    assert.deepEqual(eventArgs(f, 'MessageRefunded'), [{ id: tip.id, sender: addr(BOB), recipient: addr(ALICE), amount: 5n }]);
    assert.equal(await balance(tc.contract), 0n);
  });

  it('EnvelopeSize(size, 6, 320) below 6 or above 320 bytes; 6 and 320 are fine', async () => {
    await scene();
    for (const size of [0, 1, MIN_ENV - 1, MAX_ENV + 1]) {
      const e = size === 0 ? '0x' : env(1, size);
      await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), e], { value: PRICE }), 'EnvelopeSize', [
        BigInt(size),
        BigInt(MIN_ENV),
        BigInt(MAX_ENV),
      ]);
    }
    await send(BOB, ALICE, { env: env(1, MIN_ENV) });
    await send(BOB, ALICE, { env: env(1, MAX_ENV) });
  });

  it('maxWindow: WindowTooLong(window, maxWindow) one second below the window; equal is fine', async () => {
    await claim(ALICE, 'alice', { window: 7200 });
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), 7199n, env(1)], { value: PRICE }), 'WindowTooLong', [7200n, 7199n]);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), 0n, env(1)], { value: PRICE }), 'WindowTooLong', [7200n, 0n]);
    const s = await send(BOB, ALICE, { maxWindow: 7200n });
    assert.equal(s.deadline, s.sentAt + 7200n);
    // The creator raises the window; a sender that agreed to 2 h is protected.
    await write(ALICE, 'updateProfile', [PRICE, MAX_WINDOW, 0n]);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), 7200n, env(1)], { value: PRICE }), 'WindowTooLong', [BigInt(MAX_WINDOW), 7200n]);
  });

  it('AmountTooLarge(amount) above 2^96 − 1 wei', async () => {
    await claim(ALICE, 'alice', { price: 0n });
    const big = 2n ** 96n;
    await tc.testClient.setBalance({ address: addr(BOB), value: big * 2n });
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: big }), 'AmountTooLarge', [big]);
    const s = await send(BOB, ALICE, { value: big - 1n });
    assert.equal((await read('getMessage', [s.id])).amount, big - 1n);
  });

  it('the deadline is fixed at send time: updateProfile does not move it', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await write(ALICE, 'updateProfile', [PRICE, MAX_WINDOW, 0n]);
    assert.equal((await read('getMessage', [s.id])).deadline, s.deadline);
    assert.equal(s.deadline, s.sentAt + BigInt(MIN_WINDOW));
  });

  it('messages stay repliable after the recipient releases its handle', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await write(ALICE, 'releaseHandle', []);
    const r = await reply(s.id);
    assert.equal(eventArgs(r, 'MessageReplied').length, 1);
    assert.equal((await read('getMessage', [s.id])).status, STATUS.REPLIED);
  });
});

describe('reply', () => {
  it('only the recipient: NotRecipient(id, caller); UnknownMessage(id); EnvelopeSize', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    for (const who of [BOB, CAROL, OWNER]) await expectRevert(sim(who, 'reply', [s.id, env(1)]), 'NotRecipient', [s.id, addr(who)]);
    const unknown = idOf(1, 5);
    await expectRevert(sim(ALICE, 'reply', [unknown, env(1)]), 'UnknownMessage', [unknown]);
    await expectRevert(sim(ALICE, 'reply', [idOf(9, 0), env(1)]), 'UnknownMessage', [idOf(9, 0)]);
    await expectRevert(sim(ALICE, 'reply', [s.id, env(1, 5)]), 'EnvelopeSize', [5n, BigInt(MIN_ENV), BigInt(MAX_ENV)]);
    await expectRevert(sim(ALICE, 'reply', [s.id, env(1, 321)]), 'EnvelopeSize', [321n, BigInt(MIN_ENV), BigInt(MAX_ENV)]);
  });

  it('pays amount − 1 % to the recipient at once, the fee accrues; exact balances and event', async () => {
    await scene();
    const value = PRICE + 777n;
    const s = await send(BOB, ALICE, { value });
    const fee = (value * 100n) / 10_000n;
    const [aliceBefore, contractBefore, bobBefore] = await Promise.all([balance(addr(ALICE)), balance(tc.contract), balance(addr(BOB))]);
    const e = env(1, 120, 2);
    const r = await reply(s.id, ALICE, e);
    assert.deepEqual(eventArgs(r, 'MessageReplied'), [
      { id: s.id, sender: addr(BOB), recipient: addr(ALICE), thread: s.thread, payout: value - fee, fee, envelope: e },
    ]);
    assert.deepEqual(allEvents(r), ['MessageReplied'], 'pushed directly: no PaymentDeferred');
    assert.equal(await balance(addr(ALICE)), aliceBefore + value - fee - gasCost(r));
    assert.equal(await balance(tc.contract), contractBefore - (value - fee));
    assert.equal(await balance(addr(BOB)), bobBefore);
    assert.equal(await read('accruedFees'), fee);
    assert.equal(await read('creditOf', [addr(ALICE)]), 0n);
    const m = await read('getMessage', [s.id]);
    assert.equal(m.status, STATUS.REPLIED);
    assert.equal(m.replyBlock, r.blockNumber);
    await assertBooks([s.id]);
  });

  it('the fee rounds down: 99 wei at 1 % pays no fee', async () => {
    await claim(ALICE, 'alice', { price: 0n });
    const s = await send(BOB, ALICE, { value: 99n });
    const r = await reply(s.id);
    assert.deepEqual([eventArgs(r, 'MessageReplied')[0].payout, eventArgs(r, 'MessageReplied')[0].fee], [99n, 0n]);
    const s2 = await send(BOB, ALICE, { value: 100n });
    const r2 = await reply(s2.id);
    assert.deepEqual([eventArgs(r2, 'MessageReplied')[0].payout, eventArgs(r2, 'MessageReplied')[0].fee], [99n, 1n]);
    assert.equal(await read('accruedFees'), 1n);
  });

  it('strictly before the deadline: a reply at deadline − 1 succeeds, at the deadline it reverts ReplyWindowClosed', async () => {
    await scene();
    const a = await send(BOB, ALICE);
    const b = await send(CAROL, ALICE);
    assert.equal(b.deadline, a.deadline + 1n, 'one block (one second) apart');
    // a at its deadline − 1: succeeds.
    const ok = await mine(ALICE, 'reply', [a.id, env(1)], { ts: a.deadline - 1n });
    assert.equal(ok.status, 'success');
    // b at its deadline exactly (mined, reverted; the replay gives the error).
    const late = await mine(ALICE, 'reply', [b.id, env(1)], { ts: b.deadline });
    await expectMinedRevert(late, ALICE, 'reply', [b.id, env(1)], 'ReplyWindowClosed', [b.id, b.deadline]);
    assert.equal((await read('getMessage', [b.id])).status, STATUS.REFUNDABLE);
    await assertBooks([a.id, b.id]);
  });

  it('only once: AlreadySettled(id, 3), and no refund after a reply', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await reply(s.id);
    await expectRevert(sim(ALICE, 'reply', [s.id, env(1)]), 'AlreadySettled', [s.id, STATUS.REPLIED]);
    await tc.mineAt(s.deadline);
    await expectRevert(sim(CAROL, 'refund', [s.id]), 'AlreadySettled', [s.id, STATUS.REPLIED]);
  });
});

describe('refund', () => {
  it('NotYetRefundable(id, deadline) at deadline − 1; at the deadline anyone may refund, the coins go to the sender', async () => {
    await scene();
    const a = await send(BOB, ALICE, { value: PRICE + 1n });
    const b = await send(BOB, ALICE, { value: PRICE + 2n });
    const early = await mine(CAROL, 'refund', [a.id], { ts: a.deadline - 1n });
    await expectMinedRevert(early, CAROL, 'refund', [a.id], 'NotYetRefundable', [a.id, a.deadline]);
    const bobBefore = await balance(addr(BOB));
    const contractBefore = await balance(tc.contract);
    const ok = await mine(CAROL, 'refund', [b.id], { ts: b.deadline });
    assert.equal(ok.status, 'success');
    assert.deepEqual(eventArgs(ok, 'MessageRefunded'), [{ id: b.id, sender: addr(BOB), recipient: addr(ALICE), amount: PRICE + 2n }]);
    assert.deepEqual(allEvents(ok), ['MessageRefunded']);
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE + 2n);
    assert.equal(await balance(tc.contract), contractBefore - PRICE - 2n);
    assert.equal((await read('getMessage', [b.id])).status, STATUS.REFUNDED);
    assert.equal((await read('getMessage', [a.id])).status, STATUS.REFUNDABLE);
    await assertBooks([a.id, b.id]);
  });

  it('never twice: AlreadySettled(id, 4); no reply after a refund; UnknownMessage', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await tc.mineAt(s.deadline);
    await write(CAROL, 'refund', [s.id]);
    await expectRevert(sim(CAROL, 'refund', [s.id]), 'AlreadySettled', [s.id, STATUS.REFUNDED]);
    await expectRevert(sim(ALICE, 'reply', [s.id, env(1)]), 'AlreadySettled', [s.id, STATUS.REFUNDED]);
    await expectRevert(sim(CAROL, 'refund', [idOf(1, 1)]), 'UnknownMessage', [idOf(1, 1)]);
    assert.equal(await balance(tc.contract), 0n);
  });

  it('the recipient may refund too, and the sender (not the caller) gets the coins', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await tc.mineAt(s.deadline);
    const bobBefore = await balance(addr(BOB));
    await write(ALICE, 'refund', [s.id]);
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE);
  });

  it('refundMany settles the due ones in one transaction and skips settled, not-yet-due, unknown and repeated ids', async () => {
    await scene();
    const a = await send(BOB, ALICE, { value: PRICE + 1n });
    const b = await send(CAROL, ALICE, { value: PRICE + 2n });
    const c = await send(BOB, ALICE, { value: PRICE + 3n });
    const d = await send(CAROL, ALICE, { value: PRICE + 4n });
    await reply(b.id);
    await tc.mineAt(c.deadline - 1n); // a, b, c due at the next block; d one second later
    assert.equal(d.deadline, c.deadline + 1n);
    const unknown = idOf(1, 99);
    const ids = [a.id, b.id, unknown, c.id, d.id, a.id];
    const { result } = await sim(FRANK, 'refundMany', [ids], { pending: true });
    assert.equal(result, 2n, 'returns how many it refunded');
    const [bobBefore, carolBefore] = await Promise.all([balance(addr(BOB)), balance(addr(CAROL))]);
    const r = await write(FRANK, 'refundMany', [ids]);
    assert.deepEqual(eventArgs(r, 'MessageRefunded'), [
      { id: a.id, sender: addr(BOB), recipient: addr(ALICE), amount: PRICE + 1n },
      { id: c.id, sender: addr(BOB), recipient: addr(ALICE), amount: PRICE + 3n },
    ]);
    assert.equal(await balance(addr(BOB)), bobBefore + 2n * PRICE + 4n);
    assert.equal(await balance(addr(CAROL)), carolBefore);
    assert.deepEqual(
      await Promise.all([a, b, c, d].map(async (x) => (await read('getMessage', [x.id])).status)),
      [STATUS.REFUNDED, STATUS.REPLIED, STATUS.REFUNDED, STATUS.WAITING],
    );
    // Nothing left that is due (d is due one block later): NothingToRefund.
    await expectRevert(sim(FRANK, 'refundMany', [ids]), 'NothingToRefund', []);
    await expectRevert(sim(FRANK, 'refundMany', [[]]), 'NothingToRefund', []);
    await assertBooks([a.id, b.id, c.id, d.id]);
  });

  it('refundMany: TooManyIds(101, 100) above 100 ids; 100 are fine', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await tc.mineAt(s.deadline);
    await expectRevert(sim(FRANK, 'refundMany', [Array.from({ length: 101 }, () => s.id)]), 'TooManyIds', [101n, 100n]);
    const r = await write(FRANK, 'refundMany', [Array.from({ length: 100 }, () => s.id)]);
    assert.equal(eventArgs(r, 'MessageRefunded').length, 1);
  });
});

describe('fees', () => {
  it('setFee: owner only (NotOwner), at most 500 bps (FeeTooHigh); FeeChanged(previous, new, fromBlock = next block)', async () => {
    await expectRevert(sim(BOB, 'setFee', [50n]), 'NotOwner', [addr(BOB)]);
    await expectRevert(sim(OWNER, 'setFee', [501n]), 'FeeTooHigh', [501n, 500n]);
    await expectRevert(sim(OWNER, 'setFee', [10_000n]), 'FeeTooHigh', [10_000n, 500n]);
    const r = await write(OWNER, 'setFee', [500n]);
    assert.deepEqual(eventArgs(r, 'FeeChanged'), [{ previousBps: 100n, newBps: 500n, fromBlock: r.blockNumber + 1n }]);
    assert.equal(await read('feeBps'), 500n);
    assert.equal(await read('feeAt', [r.blockNumber]), 100n, 'not in its own block');
    assert.equal(await read('feeAt', [r.blockNumber + 1n]), 500n);
    const z = await write(OWNER, 'setFee', [0n]);
    assert.deepEqual(eventArgs(z, 'FeeChanged'), [{ previousBps: 500n, newBps: 0n, fromBlock: z.blockNumber + 1n }]);
  });

  it('a message pays the fee in force when it was sent, even if setFee changes it before the reply', async () => {
    await claim(ALICE, 'alice', { price: ONE(1) });
    const before = await send(BOB, ALICE, { value: ONE(1) }); // 1 %
    const change = await write(OWNER, 'setFee', [500n]);
    const afterwards = await send(CAROL, ALICE, { value: ONE(1) }); // 5 %
    await write(OWNER, 'setFee', [250n]);
    const r1 = await reply(before.id);
    const r2 = await reply(afterwards.id);
    assert.equal(eventArgs(r1, 'MessageReplied')[0].fee, ONE('0.01'));
    assert.equal(eventArgs(r2, 'MessageReplied')[0].fee, ONE('0.05'));
    assert.equal(await read('accruedFees'), ONE('0.06'));
    assert.equal(await read('feeAt', [before.block]), 100n);
    assert.equal(await read('feeAt', [change.blockNumber + 1n]), 500n);
    assert.equal(await read('feeAt', [afterwards.block]), 500n);
    assert.equal(await read('feeAt', [(await tc.publicClient.getBlock()).number]), 250n);
    // A later message pays 2.5 %.
    const later = await send(BOB, ALICE, { value: ONE(1) });
    assert.equal(eventArgs(await reply(later.id), 'MessageReplied')[0].fee, ONE('0.025'));
  });

  it('two changes in one block: the last one wins from the next block; messages sent in that block keep the old fee', async () => {
    await claim(ALICE, 'alice', { price: ONE(1) });
    const hashes: Hex[] = [];
    const block = await inOneBlock(async () => {
      hashes.push(await queue(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], ONE(1))); // before the change
      hashes.push(await queue(OWNER, 'setFee', [200n]));
      hashes.push(await queue(CAROL, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], ONE(1))); // between the changes
      hashes.push(await queue(OWNER, 'setFee', [300n]));
      hashes.push(await queue(DAVE, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], ONE(1))); // after both
    });
    const receipts = await receiptsOf(block, hashes);
    for (const r of receipts) assert.equal(r.status, 'success');
    assert.deepEqual(receipts.map((r) => r.transactionIndex), [0, 1, 2, 3, 4], 'in the order sent');
    assert.deepEqual(
      receipts.flatMap((r) => eventArgs(r, 'FeeChanged')),
      [
        { previousBps: 100n, newBps: 200n, fromBlock: block + 1n },
        { previousBps: 200n, newBps: 300n, fromBlock: block + 1n },
      ],
    );
    assert.equal(await read('feeAt', [block]), 100n);
    assert.equal(await read('feeAt', [block + 1n]), 300n);
    assert.equal(await read('feeBps'), 300n);
    const next = await send(ERIN, ALICE, { value: ONE(1) });
    const ids = [...receipts.flatMap((r) => eventArgs(r, 'MessageSent').map((e) => e.id as bigint)), next.id];
    assert.equal(ids.length, 4);
    const fees = [];
    for (const id of ids) fees.push(eventArgs(await reply(id), 'MessageReplied')[0].fee);
    assert.deepEqual(fees, [ONE('0.01'), ONE('0.01'), ONE('0.01'), ONE('0.03')]);
    // The 200 bps fee never applied to any block.
    for (let b = 0n; b <= next.block; b++) assert.notEqual(await read('feeAt', [b]), 200n, `block ${b}`);
  });

  it('a follow-up pays the fee in force in its own block: not yet the one set earlier in that block', async () => {
    await scene({ followUpPrice: ONE(1) });
    const s = await send(BOB, ALICE);
    await reply(s.id);
    const hashes: Hex[] = [];
    const block = await inOneBlock(async () => {
      hashes.push(await queue(OWNER, 'setFee', [500n]));
      hashes.push(await queue(BOB, 'postFollowUp', [s.id, env(1, 80, 3)], ONE(1)));
    });
    const [set, f] = await receiptsOf(block, hashes);
    assert.deepEqual([set.status, f.status], ['success', 'success']);
    assert.equal(set.transactionIndex < f.transactionIndex, true, 'setFee first');
    const [ev] = eventArgs(f, 'FollowUpPosted');
    assert.deepEqual([ev.payout, ev.fee], [ONE('0.99'), ONE('0.01')]);
    // From the next block on, 5 %.
    const f2 = await followUp(BOB, s.id, ONE(1), env(1, 80, 3));
    assert.deepEqual([eventArgs(f2, 'FollowUpPosted')[0].payout, eventArgs(f2, 'FollowUpPosted')[0].fee], [ONE('0.95'), ONE('0.05')]);
  });

  it('feeAt walks a longer history', async () => {
    const changes: [bigint, bigint][] = [];
    for (const bps of [10n, 0n, 500n, 42n]) {
      const r = await write(OWNER, 'setFee', [bps]);
      changes.push([r.blockNumber + 1n, bps]);
      await tc.testClient.mine({ blocks: 2 });
    }
    const expected = (b: bigint) => {
      let fee = 100n;
      for (const [from, bps] of changes) if (b >= from) fee = bps;
      return fee;
    };
    const last = (await tc.publicClient.getBlock()).number;
    for (let b = 0n; b <= last + 5n; b++) assert.equal(await read('feeAt', [b]), expected(b), `feeAt(${b})`);
  });

  it('withdrawFees sends accrued fees to the fee recipient (anyone may call); NothingToWithdraw at 0', async () => {
    await expectRevert(sim(FRANK, 'withdrawFees', []), 'NothingToWithdraw', []);
    await claim(ALICE, 'alice', { price: ONE(2) });
    const s = await send(BOB, ALICE, { value: ONE(2) });
    await reply(s.id);
    const fee = ONE('0.02');
    assert.equal(await read('accruedFees'), fee);
    const ownerBefore = await balance(addr(OWNER));
    const r = await write(FRANK, 'withdrawFees', []);
    assert.deepEqual(eventArgs(r, 'FeesWithdrawn'), [{ to: addr(OWNER), amount: fee }]);
    assert.equal(await balance(addr(OWNER)), ownerBefore + fee);
    assert.equal(await read('accruedFees'), 0n);
    assert.equal(await balance(tc.contract), 0n);
    await expectRevert(sim(FRANK, 'withdrawFees', []), 'NothingToWithdraw', []);
  });

  it('setFeeRecipient: owner only, not zero; fees then go to the new recipient', async () => {
    await expectRevert(sim(BOB, 'setFeeRecipient', [addr(BOB)]), 'NotOwner', [addr(BOB)]);
    await expectRevert(sim(OWNER, 'setFeeRecipient', [zeroAddress]), 'ZeroAddress', []);
    const r = await write(OWNER, 'setFeeRecipient', [addr(FRANK)]);
    assert.deepEqual(eventArgs(r, 'FeeRecipientChanged'), [{ previousRecipient: addr(OWNER), newRecipient: addr(FRANK) }]);
    assert.equal(await read('feeRecipient'), addr(FRANK));
    await claim(ALICE, 'alice', { price: ONE(1) });
    await reply((await send(BOB, ALICE, { value: ONE(1) })).id);
    const before = await balance(addr(FRANK));
    await write(CAROL, 'withdrawFees', []);
    assert.equal(await balance(addr(FRANK)), before + ONE('0.01'));
  });
});

describe('credits and ownership', () => {
  it('withdrawCredit without credit: NothingToWithdraw; to zero: ZeroAddress', async () => {
    await expectRevert(sim(BOB, 'withdrawCredit', [addr(BOB)]), 'NothingToWithdraw', []);
    await expectRevert(sim(BOB, 'withdrawCredit', [zeroAddress]), 'ZeroAddress', []);
    assert.equal(await read('creditOf', [addr(BOB)]), 0n);
  });

  it('two-step ownership transfer', async () => {
    await expectRevert(sim(BOB, 'transferOwnership', [addr(BOB)]), 'NotOwner', [addr(BOB)]);
    const r = await write(OWNER, 'transferOwnership', [addr(CAROL)]);
    assert.deepEqual(eventArgs(r, 'OwnershipTransferStarted'), [{ previousOwner: addr(OWNER), newOwner: addr(CAROL) }]);
    assert.equal(await read('pendingOwner'), addr(CAROL));
    assert.equal(await read('owner'), addr(OWNER), 'not yet');
    await expectRevert(sim(BOB, 'acceptOwnership', []), 'NotOwner', [addr(BOB)]);
    await expectRevert(sim(OWNER, 'acceptOwnership', []), 'NotOwner', [addr(OWNER)]);
    const a = await write(CAROL, 'acceptOwnership', []);
    assert.deepEqual(eventArgs(a, 'OwnershipTransferred'), [{ previousOwner: addr(OWNER), newOwner: addr(CAROL) }]);
    assert.equal(await read('owner'), addr(CAROL));
    assert.equal(await read('pendingOwner'), zeroAddress);
    await expectRevert(sim(OWNER, 'setFee', [1n]), 'NotOwner', [addr(OWNER)]);
    await expectRevert(sim(CAROL, 'acceptOwnership', []), 'NotOwner', [addr(CAROL)]);
    await write(CAROL, 'setFee', [1n]);
    // A pending transfer can be replaced or cancelled (zero address).
    await write(CAROL, 'transferOwnership', [addr(DAVE)]);
    await write(CAROL, 'transferOwnership', [zeroAddress]);
    await expectRevert(sim(DAVE, 'acceptOwnership', []), 'NotOwner', [addr(DAVE)]);
  });
});

describe('conversations: numbering and paging', () => {
  it('each ordered pair (sender → recipient) is one thread, numbered 1, 2, … on its first message', async () => {
    await scene();
    await claim(BOB, 'bob', { key: KEY_B });
    await claim(DAVE, 'dave', { key: KEY_C });
    assert.deepEqual(await read('threadOf', [addr(BOB), addr(ALICE)]), [0, false]);
    const a = await send(BOB, ALICE);
    const b = await send(CAROL, ALICE);
    const c = await send(BOB, DAVE);
    const d = await send(BOB, ALICE);
    const e = await send(ALICE, BOB); // the other direction is another conversation
    assert.deepEqual([a, b, c, d, e].map((x) => x.thread), [1, 2, 3, 1, 4]);
    assert.deepEqual(await read('threadOf', [addr(BOB), addr(ALICE)]), [1, false]);
    assert.deepEqual(await read('threadOf', [addr(ALICE), addr(BOB)]), [4, false]);
    assert.deepEqual(await read('threadOf', [addr(CAROL), addr(DAVE)]), [0, false]);
    const t = await read('getThread', [1]);
    assert.deepEqual(t, { thread: 1, sender: addr(BOB), recipient: addr(ALICE), followUps: 0n, closedBelow: 0, ticket: 0n, blocked: false });
    assert.deepEqual(await read('getThread', [99]), {
      thread: 0,
      sender: zeroAddress,
      recipient: zeroAddress,
      followUps: 0n,
      closedBelow: 0,
      ticket: 0n,
      blocked: false,
    });
    assert.equal((await read('getMessage', [d.id])).thread, 1);
  });

  it('threadMessagesPage: newest first, skipping other pairs of the same inbox; cursors; foreign cursor and unknown thread give nothing', async () => {
    await scene();
    const mine: Sent[] = [];
    const other: Sent[] = [];
    for (let i = 0; i < 5; i++) {
      mine.push(await send(BOB, ALICE, { value: PRICE + BigInt(i) }));
      other.push(await send(CAROL, ALICE));
    }
    const ids = (page: { id: bigint }[]) => page.map((m) => m.id);
    const [all, end] = await read('threadMessagesPage', [1, 0, 0n]);
    assert.deepEqual(ids(all), mine.map((m) => m.id).reverse());
    assert.equal(end, 0);
    assert.equal(all[0].amount, PRICE + 4n);
    // Pages of two.
    const seen: bigint[] = [];
    let cursor = 0;
    let pages = 0;
    do {
      const [page, next] = await read('threadMessagesPage', [1, cursor, 2n]);
      assert.ok(page.length <= 2);
      seen.push(...ids(page));
      cursor = next;
      pages++;
    } while (cursor !== 0);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ids(all));
    // The cursor of a page is the inbox index + 1 of its next message.
    const [, next] = await read('threadMessagesPage', [1, 0, 2n]);
    assert.equal(next, Number(mine[2].id & 0xffffffffn) + 1);
    // A cursor that points at another thread's message (or at nothing) gives nothing.
    const foreign = Number(other[3].id & 0xffffffffn) + 1;
    assert.deepEqual(await read('threadMessagesPage', [1, foreign, 0n]), [[], 0]);
    assert.deepEqual(await read('threadMessagesPage', [1, 1000, 0n]), [[], 0]);
    assert.deepEqual(await read('threadMessagesPage', [77, 0, 0n]), [[], 0]);
    assert.deepEqual(await read('threadMessagesPage', [0, 0, 0n]), [[], 0]);
    // Thread 2 is carol's.
    assert.deepEqual(ids((await read('threadMessagesPage', [2, 0, 0n]))[0]), other.map((m) => m.id).reverse());
  });

  it('inboxPage: newest first, cursors over several pages; an account with nothing returns nothing', async () => {
    await scene();
    const sent: Sent[] = [];
    for (let i = 0; i < 7; i++) sent.push(await send(i % 2 ? BOB : CAROL, ALICE));
    const [all, end] = await read('inboxPage', [addr(ALICE), 0n, 0n]);
    assert.deepEqual(all.map((m: any) => m.id), sent.map((s) => s.id).reverse());
    assert.equal(end, 0n);
    const [p1, c1] = await read('inboxPage', [addr(ALICE), 0n, 3n]);
    const [p2, c2] = await read('inboxPage', [addr(ALICE), c1, 3n]);
    const [p3, c3] = await read('inboxPage', [addr(ALICE), c2, 3n]);
    assert.deepEqual([c1, c2, c3], [4n, 1n, 0n]);
    assert.deepEqual([...p1, ...p2, ...p3].map((m: any) => m.id), all.map((m: any) => m.id));
    assert.deepEqual(await read('inboxPage', [addr(ALICE), 1000n, 1n]).then(([p]: any) => p.map((m: any) => m.id)), [sent[6].id], 'a cursor past the end starts at the newest');
    assert.deepEqual(await read('inboxPage', [addr(ERIN), 0n, 0n]), [[], 0n]);
  });

  it('conversationPage: paid messages and follow-ups merged newest first, paged with both cursors from NEWEST', async () => {
    await scene();
    await write(ALICE, 'addInboxKey', [KEY_B]);
    const m1 = await send(BOB, ALICE, { keyId: 2 });
    await send(CAROL, ALICE, { keyId: 2 }); // another conversation in the same inbox
    await reply(m1.id);
    const f0 = await followUp(BOB, m1.id, 0n, env(2));
    const f1 = await followUp(ALICE, m1.id);
    const m2 = await send(BOB, ALICE, { keyId: 2 });
    const f2 = await followUp(BOB, m1.id, 0n, env(2));
    const m3 = await send(BOB, ALICE, { keyId: 2 });
    // Newest first: m3, f2, m2, f1, f0, m1.
    const expected = [`m${m3.id}`, 'f2', `m${m2.id}`, 'f1', 'f0', `m${m1.id}`];
    const entries = (p: any) => {
      const out: { tag: string; block: bigint }[] = [
        ...p.messages.map((m: any) => ({ tag: `m${m.id}`, block: m.sentBlock })),
        ...p.followUpIndexes.map((i: number, k: number) => ({ tag: `f${i}`, block: BigInt(p.followUpBlocks[k]) })),
      ];
      return out.sort((a, b) => (a.block === b.block ? 0 : a.block > b.block ? -1 : 1)).map((e) => e.tag);
    };
    const full = await read('conversationPage', [addr(BOB), addr(ALICE), NEWEST, NEWEST, 0n]);
    assert.deepEqual(entries(full), expected);
    assert.deepEqual(full.followUpBlocks, [f2.blockNumber, f1.blockNumber, f0.blockNumber].map(Number));
    assert.deepEqual(full.followUpIndexes, [2, 1, 0]);
    assert.deepEqual(full.messages.map((m: any) => m.id), [m3.id, m2.id, m1.id]);
    assert.equal(full.nextMessageCursor, 0);
    assert.equal(full.nextFollowUpCursor, 0);
    assert.deepEqual(full.recipientKeys, [KEY_A, KEY_B]);
    assert.equal(full.firstKeyId, 1);
    assert.deepEqual(full.thread, { thread: 1, sender: addr(BOB), recipient: addr(ALICE), followUps: 3n, closedBelow: 0, ticket: m1.id, blocked: false });
    // Pages of 2: (m3, f2) (m2, f1) (f0, m1).
    const seen: string[] = [];
    let mc = NEWEST;
    let fc = NEWEST;
    const cursors: [number, number][] = [];
    for (;;) {
      const p = await read('conversationPage', [addr(BOB), addr(ALICE), mc, fc, 2n]);
      assert.equal(p.messages.length + p.followUpIndexes.length, Math.min(2, expected.length - seen.length));
      seen.push(...entries(p));
      mc = p.nextMessageCursor;
      fc = p.nextFollowUpCursor;
      cursors.push([mc, fc]);
      if (mc === 0 && fc === 0) break;
    }
    assert.deepEqual(seen, expected);
    assert.deepEqual(cursors, [
      [Number(m2.id & 0xffffffffn) + 1, 2],
      [Number(m1.id & 0xffffffffn) + 1, 1],
      [0, 0],
    ]);
  });

  it('conversationPage: a foreign cursor ends the messages; a nonexistent pair and an account with nothing return nothing', async () => {
    await scene();
    const m1 = await send(BOB, ALICE);
    const c1 = await send(CAROL, ALICE);
    await reply(m1.id);
    await followUp(BOB, m1.id);
    const foreign = Number(c1.id & 0xffffffffn) + 1;
    const p = await read('conversationPage', [addr(BOB), addr(ALICE), foreign, NEWEST, 0n]);
    assert.deepEqual(p.messages, [], 'a cursor from carol’s conversation gives none of bob’s messages');
    assert.deepEqual(p.followUpIndexes, [0]);
    assert.equal(p.nextMessageCursor, 0);
    // The follow-up cursor is clamped to the number of follow-ups.
    const q = await read('conversationPage', [addr(BOB), addr(ALICE), 0, 1000, 0n]);
    assert.deepEqual([q.messages.length, q.followUpIndexes], [0, [0]]);
    // No conversation dave → alice: no thread, no entries; alice's keys still come with it.
    const none = await read('conversationPage', [addr(DAVE), addr(ALICE), NEWEST, NEWEST, 0n]);
    assert.equal(none.thread.thread, 0);
    assert.equal(none.thread.sender, zeroAddress);
    assert.deepEqual([none.messages, none.followUpIndexes, none.followUpBlocks], [[], [], []]);
    assert.deepEqual([none.nextMessageCursor, none.nextFollowUpCursor], [0, 0]);
    assert.deepEqual([none.recipientKeys, none.firstKeyId], [[KEY_A], 1]);
    // Between accounts with nothing at all: nothing at all.
    const nothing = await read('conversationPage', [addr(ERIN), addr(FRANK), NEWEST, NEWEST, 0n]);
    assert.deepEqual(nothing, {
      thread: { thread: 0, sender: zeroAddress, recipient: zeroAddress, followUps: 0n, closedBelow: 0, ticket: 0n, blocked: false },
      messages: [],
      followUpIndexes: [],
      followUpBlocks: [],
      nextMessageCursor: 0,
      nextFollowUpCursor: 0,
      recipientKeys: [],
      firstKeyId: 0,
    });
  });
});

describe('conversations: follow-ups and closing', () => {
  it('follow-ups only after a reply: ThreadNotOpen for an open or refunded ticket; UnknownMessage for no message', async () => {
    await scene();
    const open = await send(BOB, ALICE);
    const toRefund = await send(BOB, ALICE);
    await expectRevert(sim(BOB, 'postFollowUp', [open.id, env(1)]), 'ThreadNotOpen', [1, open.id]);
    await expectRevert(sim(ALICE, 'postFollowUp', [open.id, env(1)]), 'ThreadNotOpen', [1, open.id]);
    await tc.mineAt(toRefund.deadline);
    await write(FRANK, 'refund', [toRefund.id]);
    await expectRevert(sim(BOB, 'postFollowUp', [toRefund.id, env(1)]), 'ThreadNotOpen', [1, toRefund.id]);
    await expectRevert(sim(BOB, 'postFollowUp', [idOf(1, 9), env(1)]), 'UnknownMessage', [idOf(1, 9)]);
    await expectRevert(sim(BOB, 'postFollowUp', [open.id, env(1, 5)]), 'EnvelopeSize', [5n, BigInt(MIN_ENV), BigInt(MAX_ENV)]);
  });

  it('only the two parties may post (NotAParty), each with a ticket of their own thread', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    const c = await send(CAROL, ALICE);
    await reply(s.id);
    await reply(c.id);
    for (const who of [DAVE, OWNER]) await expectRevert(sim(who, 'postFollowUp', [s.id, env(1)]), 'NotAParty', [1, addr(who)]);
    // carol cannot use bob's ticket (she is not a party of thread 1), nor bob carol's.
    await expectRevert(sim(CAROL, 'postFollowUp', [s.id, env(1)]), 'NotAParty', [1, addr(CAROL)]);
    await expectRevert(sim(BOB, 'postFollowUp', [c.id, env(1)]), 'NotAParty', [2, addr(BOB)]);
    const r = await followUp(CAROL, c.id);
    assert.equal(eventArgs(r, 'FollowUpPosted')[0].thread, 2);
  });

  it('the visitor pays at least the follow-up price: payout and fee exact, pushed at once; PriceTooLow below', async () => {
    await scene({ followUpPrice: FOLLOW });
    const s = await send(BOB, ALICE);
    await reply(s.id);
    await expectRevert(sim(BOB, 'postFollowUp', [s.id, env(1)], { value: FOLLOW - 1n }), 'PriceTooLow', [FOLLOW, FOLLOW - 1n]);
    await expectRevert(sim(BOB, 'postFollowUp', [s.id, env(1)], { value: 0n }), 'PriceTooLow', [FOLLOW, 0n]);
    for (const value of [FOLLOW, FOLLOW + 999n]) {
      const [aliceBefore, contractBefore, feesBefore, bobBefore] = await Promise.all([
        balance(addr(ALICE)),
        balance(tc.contract),
        read('accruedFees'),
        balance(addr(BOB)),
      ]);
      const e = env(1, 90, 3);
      const r = await followUp(BOB, s.id, value, e);
      const fee = (value * 100n) / 10_000n;
      const index = value === FOLLOW ? 0 : 1;
      assert.deepEqual(eventArgs(r, 'FollowUpPosted'), [
        { thread: 1, author: addr(BOB), reader: addr(ALICE), index, payout: value - fee, fee, envelope: e },
      ]);
      assert.deepEqual(allEvents(r), ['FollowUpPosted']);
      assert.equal(await balance(addr(ALICE)), aliceBefore + value - fee, 'paid to the creator at once');
      assert.equal(await balance(addr(BOB)), bobBefore - value - gasCost(r));
      assert.equal(await balance(tc.contract), contractBefore + fee, 'only the fee stays');
      assert.equal(await read('accruedFees'), feesBefore + fee);
    }
    await assertBooks([s.id]);
  });

  it('a follow-up pays the current fee, not the one of its ticket', async () => {
    await scene({ followUpPrice: ONE(1) });
    const s = await send(BOB, ALICE);
    await reply(s.id);
    await write(OWNER, 'setFee', [500n]);
    const r = await followUp(BOB, s.id, ONE(1));
    assert.equal(eventArgs(r, 'FollowUpPosted')[0].fee, ONE('0.05'));
  });

  it('the creator sends no value: ValueNotAccepted(value); free follow-ups in both directions when the price is 0', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await reply(s.id);
    await expectRevert(sim(ALICE, 'postFollowUp', [s.id, env(1)], { value: 1n }), 'ValueNotAccepted', [1n]);
    const a = await followUp(ALICE, s.id);
    assert.deepEqual(eventArgs(a, 'FollowUpPosted')[0], {
      thread: 1,
      author: addr(ALICE),
      reader: addr(BOB),
      index: 0,
      payout: 0n,
      fee: 0n,
      envelope: env(1, 80, 3),
    });
    const b = await followUp(BOB, s.id);
    assert.equal(eventArgs(b, 'FollowUpPosted')[0].reader, addr(ALICE));
    // A visitor may also pay more than a price of 0: paid out minus the fee.
    const c = await followUp(BOB, s.id, 10_000n);
    assert.deepEqual([eventArgs(c, 'FollowUpPosted')[0].payout, eventArgs(c, 'FollowUpPosted')[0].fee], [9_900n, 100n]);
  });

  it('any replied message of the thread at or above the close mark is a ticket, not only the newest', async () => {
    await scene();
    const a = await send(BOB, ALICE);
    const b = await send(BOB, ALICE);
    await reply(a.id);
    await reply(b.id);
    await followUp(BOB, a.id);
    await followUp(ALICE, b.id);
    assert.equal((await read('getThread', [1])).ticket, b.id, 'the view names the newest');
  });

  it('either party closes (ThreadClosed); a reply to a later message opens it again; older tickets stay closed', async () => {
    await scene();
    await expectRevert(sim(BOB, 'closeThread', [1]), 'UnknownThread', [1]);
    const a = await send(BOB, ALICE);
    const pending = await send(BOB, ALICE); // sent before the close, replied after it
    await reply(a.id);
    await followUp(BOB, a.id);
    await expectRevert(sim(CAROL, 'closeThread', [1]), 'NotAParty', [1, addr(CAROL)]);
    const c = await write(BOB, 'closeThread', [1]);
    assert.deepEqual(eventArgs(c, 'ThreadClosed'), [{ thread: 1, by: addr(BOB) }]);
    let t = await read('getThread', [1]);
    assert.equal(t.closedBelow, 2);
    assert.equal(t.ticket, 0n);
    await expectRevert(sim(BOB, 'postFollowUp', [a.id, env(1)]), 'ThreadNotOpen', [1, a.id]);
    await expectRevert(sim(ALICE, 'postFollowUp', [a.id, env(1)]), 'ThreadNotOpen', [1, a.id]);
    // Replying to a message sent before the close does not reopen it.
    await reply(pending.id);
    await expectRevert(sim(BOB, 'postFollowUp', [pending.id, env(1)]), 'ThreadNotOpen', [1, pending.id]);
    assert.equal((await read('getThread', [1])).ticket, 0n);
    // A new paid message, once replied, does.
    const later = await send(BOB, ALICE);
    await expectRevert(sim(BOB, 'postFollowUp', [later.id, env(1)]), 'ThreadNotOpen', [1, later.id]);
    await reply(later.id);
    t = await read('getThread', [1]);
    assert.equal(t.ticket, later.id);
    await followUp(BOB, later.id);
    await followUp(ALICE, later.id);
    await expectRevert(sim(BOB, 'postFollowUp', [a.id, env(1)]), 'ThreadNotOpen', [1, a.id]);
    // The creator may close too; closing again is harmless.
    const c2 = await write(ALICE, 'closeThread', [1]);
    assert.deepEqual(eventArgs(c2, 'ThreadClosed'), [{ thread: 1, by: addr(ALICE) }]);
    await write(ALICE, 'closeThread', [1]);
    await expectRevert(sim(BOB, 'postFollowUp', [later.id, env(1)]), 'ThreadNotOpen', [1, later.id]);
    assert.equal((await read('getThread', [1])).followUps, 3n);
  });

  it('closing one conversation leaves the creator’s other conversations open', async () => {
    await scene();
    const b = await send(BOB, ALICE);
    const c = await send(CAROL, ALICE);
    await reply(b.id);
    await reply(c.id);
    await write(ALICE, 'closeThread', [b.thread]);
    await expectRevert(sim(BOB, 'postFollowUp', [b.id, env(1)]), 'ThreadNotOpen', [b.thread, b.id]);
    await followUp(CAROL, c.id);
  });

  it('followUpBlocks: blocks of 19 follow-ups across three storage words, some sharing a block', async () => {
    await scene();
    const s = await send(BOB, ALICE);
    await reply(s.id);
    const blocks: bigint[] = [];
    for (let i = 0; i < 19; i++) {
      if (i === 9 || i === 16) {
        // Two follow-ups in one block (one of them the first of a new word).
        const hashes: Hex[] = [];
        const block = await inOneBlock(async () => {
          hashes.push(await queue(BOB, 'postFollowUp', [s.id, env(1)]));
          hashes.push(await queue(ALICE, 'postFollowUp', [s.id, env(1)]));
        });
        for (const r of await receiptsOf(block, hashes)) {
          assert.equal(r.status, 'success');
          blocks.push(r.blockNumber);
        }
        i++;
        continue;
      }
      const r = await followUp(i % 3 ? BOB : ALICE, s.id);
      assert.equal(eventArgs(r, 'FollowUpPosted')[0].index, i);
      blocks.push(r.blockNumber);
      if (i % 4 === 0) await tc.testClient.mine({ blocks: 3 }); // gaps between blocks
    }
    assert.equal(blocks.length, 19);
    assert.equal((await read('getThread', [1])).followUps, 19n);
    assert.deepEqual(await read('followUpBlocks', [1, 0n, 100n]), blocks.map(Number));
    assert.deepEqual(await read('followUpBlocks', [1, 7n, 3n]), blocks.slice(7, 10).map(Number), 'across a word boundary');
    assert.deepEqual(await read('followUpBlocks', [1, 15n, 1000n]), blocks.slice(15).map(Number));
    assert.deepEqual(await read('followUpBlocks', [1, 19n, 5n]), []);
    assert.deepEqual(await read('followUpBlocks', [1, 0n, 0n]), []);
    assert.deepEqual(await read('followUpBlocks', [2, 0n, 5n]), [], 'another thread has none');
    // conversationPage agrees, newest first, also when paged across words.
    const seen: number[] = [];
    const seenBlocks: number[] = [];
    let mc = NEWEST;
    let fc = NEWEST;
    do {
      const p = await read('conversationPage', [addr(BOB), addr(ALICE), mc, fc, 4n]);
      seen.push(...p.followUpIndexes);
      seenBlocks.push(...p.followUpBlocks);
      mc = p.nextMessageCursor;
      fc = p.nextFollowUpCursor;
    } while (mc !== 0 || fc !== 0);
    assert.deepEqual(seen, Array.from({ length: 19 }, (_, i) => 18 - i));
    assert.deepEqual(seenBlocks, blocks.map(Number).reverse());
  });
});

describe('spam controls', () => {
  it('setBlocked refuses sends from that sender (SenderBlocked) before any value moves; unblock lets them through', async () => {
    await scene();
    const first = await send(BOB, ALICE);
    await expectRevert(sim(ALICE, 'setBlocked', [zeroAddress, true]), 'ZeroAddress', []);
    const b = await write(ALICE, 'setBlocked', [addr(BOB), true]);
    assert.deepEqual(eventArgs(b, 'BlockChanged'), [{ account: addr(ALICE), sender: addr(BOB), blocked: true }]);
    assert.deepEqual(await read('threadOf', [addr(BOB), addr(ALICE)]), [1, true]);
    assert.equal((await read('getThread', [1])).blocked, true);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: PRICE }), 'SenderBlocked', [
      addr(ALICE),
      addr(BOB),
    ]);
    // Mined: reverted, and only gas left bob's account; the contract holds what it held.
    const [bobBefore, contractBefore] = await Promise.all([balance(addr(BOB)), balance(tc.contract)]);
    const r = await mine(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: PRICE });
    await expectMinedRevert(r, BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], 'SenderBlocked', [addr(ALICE), addr(BOB)], PRICE);
    assert.equal(await balance(addr(BOB)), bobBefore - gasCost(r));
    assert.equal(await balance(tc.contract), contractBefore);
    assert.equal((await read('profileOf', [addr(ALICE)])).inboxCount, 1n);
    // Other senders are not affected; the blocked sender's open message still settles normally.
    await send(CAROL, ALICE);
    await reply(first.id);
    // Unblock.
    const u = await write(ALICE, 'setBlocked', [addr(BOB), false]);
    assert.deepEqual(eventArgs(u, 'BlockChanged'), [{ account: addr(ALICE), sender: addr(BOB), blocked: false }]);
    assert.deepEqual(await read('threadOf', [addr(BOB), addr(ALICE)]), [1, false]);
    const again = await send(BOB, ALICE);
    assert.equal(again.thread, 1, 'same conversation');
  });

  it('a sender blocked before its first message: no thread yet, refused; after unblocking it gets the next number', async () => {
    await scene();
    await write(ALICE, 'setBlocked', [addr(CAROL), true]);
    assert.deepEqual(await read('threadOf', [addr(CAROL), addr(ALICE)]), [0, true]);
    await expectRevert(sim(CAROL, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), env(1)], { value: PRICE }), 'SenderBlocked', [
      addr(ALICE),
      addr(CAROL),
    ]);
    await send(BOB, ALICE);
    await write(ALICE, 'setBlocked', [addr(CAROL), false]);
    assert.deepEqual(await read('threadOf', [addr(CAROL), addr(ALICE)]), [0, false]);
    assert.equal((await send(CAROL, ALICE)).thread, 2);
  });

  it('a blocked visitor cannot post follow-ups (SenderBlocked); the creator still can; an open message can still be refunded', async () => {
    await scene({ followUpPrice: FOLLOW });
    const s = await send(BOB, ALICE);
    const open = await send(BOB, ALICE);
    await reply(s.id);
    await write(ALICE, 'setBlocked', [addr(BOB), true]);
    await expectRevert(sim(BOB, 'postFollowUp', [s.id, env(1)], { value: FOLLOW }), 'SenderBlocked', [addr(ALICE), addr(BOB)]);
    await followUp(ALICE, s.id);
    await tc.mineAt(open.deadline);
    const bobBefore = await balance(addr(BOB));
    await write(FRANK, 'refund', [open.id]);
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE);
    await write(ALICE, 'setBlocked', [addr(BOB), false]);
    await followUp(BOB, s.id, FOLLOW);
  });

  it('setHidden: only the recipient (NotRecipient); UnknownMessage; TooManyIds; HiddenChanged; the flag shows in every view', async () => {
    await scene();
    const a = await send(BOB, ALICE);
    const b = await send(BOB, ALICE);
    await claim(DAVE, 'dave', { key: KEY_C });
    const d = await send(BOB, DAVE);
    for (const who of [BOB, CAROL]) await expectRevert(sim(who, 'setHidden', [[a.id], true]), 'NotRecipient', [a.id, addr(who)]);
    await expectRevert(sim(DAVE, 'setHidden', [[d.id, a.id], true]), 'NotRecipient', [a.id, addr(DAVE)]);
    await expectRevert(sim(ALICE, 'setHidden', [[a.id, idOf(1, 7)], true]), 'UnknownMessage', [idOf(1, 7)]);
    await expectRevert(sim(ALICE, 'setHidden', [Array.from({ length: 101 }, () => a.id), true]), 'TooManyIds', [101n, 100n]);
    const r = await write(ALICE, 'setHidden', [[a.id], true]);
    assert.deepEqual(eventArgs(r, 'HiddenChanged'), [{ account: addr(ALICE), ids: [a.id], hidden: true }]);
    assert.equal((await read('getMessage', [a.id])).hidden, true);
    assert.equal((await read('getMessage', [b.id])).hidden, false);
    const [inbox] = await read('inboxPage', [addr(ALICE), 0n, 0n]);
    assert.deepEqual(inbox.map((m: any) => m.hidden), [false, true]);
    const [thread] = await read('threadMessagesPage', [1, 0, 0n]);
    assert.deepEqual(thread.map((m: any) => m.hidden), [false, true]);
    const conv = await read('conversationPage', [addr(BOB), addr(ALICE), NEWEST, NEWEST, 0n]);
    assert.deepEqual(conv.messages.map((m: any) => m.hidden), [false, true]);
    // Show it again; both at once.
    await write(ALICE, 'setHidden', [[a.id, b.id], true]);
    const u = await write(ALICE, 'setHidden', [[a.id], false]);
    assert.deepEqual(eventArgs(u, 'HiddenChanged'), [{ account: addr(ALICE), ids: [a.id], hidden: false }]);
    assert.deepEqual([(await read('getMessage', [a.id])).hidden, (await read('getMessage', [b.id])).hidden], [false, true]);
    assert.equal((await read('getMessage', [d.id])).hidden, false, 'another inbox is untouched');
  });

  it('a hidden message can still be refunded to its sender (and replied to)', async () => {
    await scene();
    const a = await send(BOB, ALICE);
    const b = await send(BOB, ALICE);
    await write(ALICE, 'setHidden', [[a.id, b.id], true]);
    await reply(b.id);
    await tc.mineAt(a.deadline);
    const bobBefore = await balance(addr(BOB));
    const r = await write(FRANK, 'refund', [a.id]);
    assert.equal(eventArgs(r, 'MessageRefunded')[0].amount, PRICE);
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE);
    const m = await read('getMessage', [a.id]);
    assert.deepEqual([m.status, m.hidden], [STATUS.REFUNDED, true]);
  });
});

describe('views', () => {
  it('statuses WAITING, REFUNDABLE, REPLIED, REFUNDED; an unknown id is all zero', async () => {
    await scene();
    const a = await send(BOB, ALICE);
    const b = await send(BOB, ALICE);
    const c = await send(BOB, ALICE);
    assert.equal((await read('getMessage', [a.id])).status, STATUS.WAITING);
    await reply(a.id);
    await tc.mineAt(b.deadline - 1n);
    assert.equal((await read('getMessage', [b.id])).status, STATUS.WAITING, 'at deadline − 1 still waiting');
    await tc.mineAt(b.deadline);
    assert.equal((await read('getMessage', [b.id])).status, STATUS.REFUNDABLE, 'at the deadline refundable');
    await write(FRANK, 'refund', [b.id]);
    const [ma, mb, mc] = await Promise.all([a, b, c].map((x) => read('getMessage', [x.id])));
    assert.deepEqual([ma.status, mb.status, mc.status], [STATUS.REPLIED, STATUS.REFUNDED, STATUS.REFUNDABLE]);
    assert.equal(mb.replyBlock, 0n, 'a refund has no reply block');
    assert.equal(mb.deadline, b.deadline);
    const unknown = await read('getMessage', [idOf(1, 50)]);
    assert.deepEqual(unknown, {
      id: 0n,
      thread: 0,
      sender: zeroAddress,
      recipient: zeroAddress,
      senderHandle: ZERO32,
      amount: 0n,
      feeBps: 0n,
      deadline: 0n,
      sentBlock: 0n,
      replyBlock: 0n,
      status: STATUS.NONE,
      hidden: false,
    });
  });

  it('sentBlock and replyBlock point at the blocks holding MessageSent and MessageReplied; senderHandle is the sender’s handle', async () => {
    await scene();
    await claim(BOB, 'bob', { key: KEY_B });
    const s = await send(BOB, ALICE);
    await tc.testClient.mine({ blocks: 3 });
    const r = await reply(s.id);
    const m = await read('getMessage', [s.id]);
    assert.equal(m.sentBlock, s.block);
    assert.equal(m.replyBlock, r.blockNumber);
    assert.equal(m.senderHandle, h('bob'));
    const sentLogs = await tc.publicClient.getContractEvents({
      address: tc.contract,
      abi: paidChatAbi,
      eventName: 'MessageSent',
      fromBlock: m.sentBlock,
      toBlock: m.sentBlock,
    });
    assert.equal((sentLogs[0] as any).args.id, s.id);
    const replyLogs = await tc.publicClient.getContractEvents({
      address: tc.contract,
      abi: paidChatAbi,
      eventName: 'MessageReplied',
      fromBlock: m.replyBlock,
      toBlock: m.replyBlock,
    });
    assert.equal((replyLogs[0] as any).args.id, s.id);
  });
});
