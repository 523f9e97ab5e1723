/**
 * PaidChat, rule by rule, with real transactions through viem against anvil (Istanbul rules).
 * Every expected failure is asserted by custom error name and arguments.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  bytesToHex,
  parseEventLogs,
  stringToHex,
  zeroAddress,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { GAS_PRICE, ONE, startTestChain, type TestChain } from '../support/chain.js';
import { expectRevert } from '../support/revert.js';

// ---------------------------------------------------------------------------------------- helpers

type Abi = typeof paidChatAbi;
type WriteName = ContractFunctionName<Abi, 'nonpayable' | 'payable'>;
type ReadName = ContractFunctionName<Abi, 'pure' | 'view'>;

const HOUR = 3600n;
const DAY = 86_400n;
const MIN_WINDOW = 3600;
const MAX_WINDOW = 30 * 86_400;
const DEFAULT_WINDOW = 7 * 86_400;
const ENV = ('0x' + 'ab'.repeat(100)) as Hex;
const KEY_A = ('0x' + '11'.repeat(32)) as Hex;
const KEY_B = ('0x' + '22'.repeat(32)) as Hex;
const ZERO32 = ('0x' + '00'.repeat(32)) as Hex;
const PRICE = ONE('0.5');

/** Account roles (0 deployed the contract: owner and fee recipient). */
const OWNER = 0;
const ALICE = 1; // creator
const BOB = 2; // sender
const CAROL = 3; // third party
const DAVE = 4; // another creator
const ERIN = 5; // never registers a key

let tc: TestChain;
const addr = (i: number): Address => tc.accounts[i].address;
const h = (s: string): Hex => stringToHex(s, { size: 32 });
const envelope = (n: number): Hex => (n === 0 ? '0x' : (('0x' + 'cd'.repeat(n)) as Hex));
const idOf = (recipientNumber: number, index: number) => (BigInt(recipientNumber) << 32n) | BigInt(index);

/** Asserts that `p` rejects with the custom error `name` (and `args`, when given). */
async function write<F extends WriteName>(
  from: number,
  functionName: F,
  args: ContractFunctionArgs<Abi, 'nonpayable' | 'payable', F>,
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

/** Simulate (eth_call) a write from `from`; rejects with the decoded custom error. */
function sim<F extends WriteName>(
  from: number,
  functionName: F,
  args: ContractFunctionArgs<Abi, 'nonpayable' | 'payable', F>,
  opts: { value?: bigint; blockNumber?: bigint } = {},
) {
  return tc.publicClient.simulateContract({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    account: tc.accounts[from],
    value: opts.value,
    blockNumber: opts.blockNumber,
  } as never);
}

/**
 * Mine exactly one transaction in a block with timestamp `ts` (gas given, so no estimate runs
 * against another block). Returns the receipt, reverted or not.
 */
async function writeAt<F extends WriteName>(
  ts: bigint,
  from: number,
  functionName: F,
  args: ContractFunctionArgs<Abi, 'nonpayable' | 'payable', F>,
): Promise<TransactionReceipt> {
  await tc.testClient.setNextBlockTimestamp({ timestamp: ts });
  const receipt = await tc.wallet(from).writeContractSync({
    address: tc.contract,
    abi: paidChatAbi,
    functionName,
    args,
    gas: 500_000n,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never);
  const block = await tc.publicClient.getBlock({ blockNumber: receipt.blockNumber });
  assert.equal(block.timestamp, ts, 'transaction mined at the chosen timestamp');
  return receipt;
}

function read<F extends ReadName>(functionName: F, args?: ContractFunctionArgs<Abi, 'pure' | 'view', F>) {
  return tc.publicClient.readContract({ address: tc.contract, abi: paidChatAbi, functionName, args } as never) as Promise<
    any
  >;
}

const balance = (a: Address) => tc.publicClient.getBalance({ address: a });
const gasCost = (r: TransactionReceipt) => r.gasUsed * r.effectiveGasPrice;
const events = <N extends string>(r: TransactionReceipt, eventName: N) =>
  parseEventLogs({ abi: paidChatAbi, logs: r.logs, eventName: eventName as never }) as unknown as {
    args: Record<string, any>;
    eventName: N;
  }[];

async function claim(i: number, handle: string, price = PRICE, window = MIN_WINDOW, key = KEY_A, prefix = 2) {
  return write(i, 'claimHandle', [h(handle), price, window, key, prefix]);
}

async function registerKey(i: number, key = KEY_B, prefix = 3) {
  return write(i, 'registerKey', [key, prefix]);
}

async function send(from: number, to: number, value = PRICE, opts: { env?: Hex; maxWindow?: bigint } = {}) {
  const receipt = await write(from, 'sendMessage', [addr(to), opts.maxWindow ?? BigInt(MAX_WINDOW), opts.env ?? ENV], {
    value,
  });
  const [ev] = events(receipt, 'MessageSent');
  const block = await tc.publicClient.getBlock({ blockNumber: receipt.blockNumber });
  return { receipt, id: ev.args.id as bigint, deadline: ev.args.deadline as bigint, sentAt: block.timestamp, ev };
}

/** Contract balance must equal open escrows + credits + fees. */
async function assertSolvent(ids: bigint[]) {
  let open = 0n;
  for (const id of ids) {
    const m = await read('getMessage', [id]);
    if (m.status === 1 || m.status === 2) open += m.amount;
  }
  const [bal, credits, fees] = await Promise.all([balance(tc.contract), read('totalCredits'), read('accruedFees')]);
  assert.equal(bal, open + credits + fees, 'contract balance == open escrows + credits + fees');
}

/** Standard scene: alice holds 'alice' (PRICE, 1 h), bob has a key. */
async function scene() {
  await claim(ALICE, 'alice');
  await registerKey(BOB);
}

// ---------------------------------------------------------------------------------------- suite

before(async () => {
  tc = await startTestChain();
});

after(async () => {
  await tc?.stop();
});

let snap: Hex;
beforeEach(async () => {
  snap = await tc.snapshot();
});
afterEach(async () => {
  await tc.revert(snap);
});

describe('deployment', () => {
  it('starts with owner, fee recipient and the 1 % default fee', async () => {
    assert.equal(await read('owner'), addr(OWNER));
    assert.equal(await read('feeRecipient'), addr(OWNER));
    assert.equal(await read('pendingOwner'), zeroAddress);
    assert.equal(await read('feeBps'), 100n);
    assert.equal(await read('accruedFees'), 0n);
    assert.equal(await read('totalCredits'), 0n);
    assert.equal(await read('PROTOCOL_VERSION'), 1n);
    assert.equal(await read('MAX_ENVELOPE_BYTES'), 320n);
  });

  it('runtime bytecode contains no PUSH0 (runs on Istanbul)', async () => {
    const code = await tc.publicClient.getCode({ address: tc.contract });
    assert.ok(code && code.length > 1000, 'contract deployed');
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

describe('handles', () => {
  it('isValidHandle accepts and rejects the right bytes', async () => {
    const ok = ['abc', 'satoshi-admirer', 'a_b', 'ab-', 'a-_', '123', '0x12', 'a'.repeat(32), 'z9'.repeat(16)];
    for (const s of ok) assert.equal(await read('isValidHandle', [h(s)]), true, s);
    const bad = ['', 'a', 'ab', 'Abc', 'abC', '_abc', '-abc', 'sato shi', 'satoshi.eth', 'a@b', 'ab/'];
    for (const s of bad) assert.equal(await read('isValidHandle', [h(s)]), false, JSON.stringify(s));
    // 33 characters cannot even be encoded into a bytes32.
    assert.throws(() => h('a'.repeat(33)));
    // A zero byte followed by a non-zero byte.
    const embedded = bytesToHex(Uint8Array.from([0x61, 0x62, 0x63, 0, 0x64, ...new Array(27).fill(0)]));
    assert.equal(await read('isValidHandle', [embedded]), false, 'abc\\0d');
    const trailing = bytesToHex(Uint8Array.from([0x61, 0x62, 0x63, ...new Array(28).fill(0), 0x01]));
    assert.equal(await read('isValidHandle', [trailing]), false, 'non-zero last byte after padding');
    // Non-ASCII (UTF-8 of é, and a lone high byte).
    assert.equal(await read('isValidHandle', [stringToHex('café', { size: 32 })]), false);
    assert.equal(await read('isValidHandle', [bytesToHex(Uint8Array.from([0x61, 0x62, 0x80, ...new Array(29).fill(0)]))]), false);
    assert.equal(await read('isValidHandle', [ZERO32]), false);
    // Every non-zero byte value: exactly a-z 0-9 are valid first chars; also _ and - later on.
    for (let c = 1; c < 256; c++) {
      const first = bytesToHex(Uint8Array.from([c, 0x61, 0x61, ...new Array(29).fill(0)]));
      const mid = bytesToHex(Uint8Array.from([0x61, c, 0x61, ...new Array(29).fill(0)]));
      const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
      assert.equal(await read('isValidHandle', [first]), alnum, `first byte ${c}`);
      assert.equal(await read('isValidHandle', [mid]), alnum || c === 0x5f || c === 0x2d, `middle byte ${c}`);
    }
  });

  it('shared vectors agree with isValidHandle', async () => {
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

  it('claimHandle stores the profile and emits HandleClaimed', async () => {
    const r = await claim(ALICE, 'satoshi-admirer', PRICE, 7200);
    const [ev] = events(r, 'HandleClaimed');
    assert.deepEqual(ev.args, { account: addr(ALICE), handle: h('satoshi-admirer'), price: PRICE, window: 7200n });
    assert.equal(await read('ownerOf', [h('satoshi-admirer')]), addr(ALICE));
    const p = await read('profileOf', [addr(ALICE)]);
    assert.equal(p.handle, h('satoshi-admirer'));
    assert.equal(p.price, PRICE);
    assert.equal(p.window, 7200n);
    assert.equal(p.keyX, KEY_A);
    assert.equal(p.keyPrefix, 2);
    assert.equal(p.inboxCount, 0n);
    assert.equal(p.lastOut, 0n);
  });

  it('rejects invalid handles with HandleInvalid', async () => {
    for (const s of ['ab', 'Alice', '_alice', '-alice', 'al ice']) {
      await expectRevert(sim(ALICE, 'claimHandle', [h(s), PRICE, 0, KEY_A, 2]), 'HandleInvalid', [h(s)]);
    }
  });

  it('a taken handle reverts HandleTaken with its owner', async () => {
    await claim(ALICE, 'alice');
    await expectRevert(sim(DAVE, 'claimHandle', [h('alice'), 0n, 0, KEY_A, 2]), 'HandleTaken', [h('alice'), addr(ALICE)]);
    // Even for the owner itself.
    await expectRevert(sim(ALICE, 'claimHandle', [h('alice'), 0n, 0, KEY_A, 2]), 'HandleTaken', [h('alice'), addr(ALICE)]);
  });

  it('one handle per address: AlreadyHasHandle', async () => {
    await claim(ALICE, 'alice');
    await expectRevert(sim(ALICE, 'claimHandle', [h('alice2'), 0n, 0, KEY_A, 2]), 'AlreadyHasHandle', [
      addr(ALICE),
      h('alice'),
    ]);
  });

  it('release frees the handle for someone else; the releaser may claim again', async () => {
    await claim(ALICE, 'alice');
    const r = await write(ALICE, 'releaseHandle', []);
    assert.deepEqual(events(r, 'HandleReleased')[0].args, { account: addr(ALICE), handle: h('alice') });
    assert.equal(await read('ownerOf', [h('alice')]), zeroAddress);
    const p = await read('profileOf', [addr(ALICE)]);
    assert.equal(p.handle, ZERO32);
    assert.equal(p.price, 0n);
    assert.equal(p.window, 0n);
    assert.equal(p.keyPrefix, 2, 'the key stays');
    await expectRevert(sim(ALICE, 'releaseHandle', []), 'NoHandle', [addr(ALICE)]);
    await claim(DAVE, 'alice', 1n);
    assert.equal(await read('ownerOf', [h('alice')]), addr(DAVE));
    await claim(ALICE, 'alice-again');
    assert.equal(await read('ownerOf', [h('alice-again')]), addr(ALICE));
  });

  it('updateProfile changes price and window; NoHandle without a handle', async () => {
    await expectRevert(sim(ALICE, 'updateProfile', [1n, 0]), 'NoHandle', [addr(ALICE)]);
    await claim(ALICE, 'alice');
    const r = await write(ALICE, 'updateProfile', [123n, 0]);
    assert.deepEqual(events(r, 'ProfileUpdated')[0].args, {
      account: addr(ALICE),
      handle: h('alice'),
      price: 123n,
      window: BigInt(DEFAULT_WINDOW),
    });
    const p = await read('profileOf', [addr(ALICE)]);
    assert.equal(p.price, 123n);
    assert.equal(p.window, BigInt(DEFAULT_WINDOW));
  });

  it('window bounds: 0 means 7 days, 1 h .. 30 days inclusive (WindowOutOfRange)', async () => {
    const range = (w: number) => [BigInt(w), BigInt(MIN_WINDOW), BigInt(MAX_WINDOW)];
    await expectRevert(sim(ALICE, 'claimHandle', [h('alice'), 0n, MIN_WINDOW - 1, KEY_A, 2]), 'WindowOutOfRange', range(3599));
    await expectRevert(sim(ALICE, 'claimHandle', [h('alice'), 0n, MAX_WINDOW + 1, KEY_A, 2]), 'WindowOutOfRange', range(MAX_WINDOW + 1));
    await expectRevert(sim(ALICE, 'claimHandle', [h('alice'), 0n, 1, KEY_A, 2]), 'WindowOutOfRange', range(1));
    await claim(ALICE, 'alice', 0n, 0);
    assert.equal((await read('profileOf', [addr(ALICE)])).window, BigInt(DEFAULT_WINDOW));
    for (const w of [MIN_WINDOW, MAX_WINDOW, 12345, 0]) {
      await write(ALICE, 'updateProfile', [0n, w]);
      assert.equal((await read('profileOf', [addr(ALICE)])).window, BigInt(w || DEFAULT_WINDOW));
    }
    await expectRevert(sim(ALICE, 'updateProfile', [0n, MIN_WINDOW - 1]), 'WindowOutOfRange', range(3599));
    await expectRevert(sim(ALICE, 'updateProfile', [0n, MAX_WINDOW + 1]), 'WindowOutOfRange', range(MAX_WINDOW + 1));
    await claim(DAVE, 'dave', 0n, MAX_WINDOW);
    assert.equal((await read('profileOf', [addr(DAVE)])).window, BigInt(MAX_WINDOW));
  });
});

/** The normalisation the SDK implements, as specified for the shared vectors. */
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

describe('messaging keys', () => {
  it('KeyInvalid for a zero key or a prefix other than 2/3', async () => {
    await expectRevert(sim(BOB, 'registerKey', [ZERO32, 2]), 'KeyInvalid', []);
    for (const prefix of [0, 1, 4, 255]) await expectRevert(sim(BOB, 'registerKey', [KEY_A, prefix]), 'KeyInvalid', []);
    await expectRevert(sim(BOB, 'claimHandle', [h('bob'), 0n, 0, ZERO32, 2]), 'KeyInvalid', []);
    await expectRevert(sim(BOB, 'claimHandle', [h('bob'), 0n, 0, KEY_A, 4]), 'KeyInvalid', []);
  });

  it('register and rotate: KeyRegistered each time, profile follows', async () => {
    const r1 = await registerKey(BOB, KEY_A, 2);
    assert.deepEqual(events(r1, 'KeyRegistered')[0].args, { account: addr(BOB), keyX: KEY_A, keyPrefix: 2 });
    const r2 = await registerKey(BOB, KEY_B, 3);
    assert.deepEqual(events(r2, 'KeyRegistered')[0].args, { account: addr(BOB), keyX: KEY_B, keyPrefix: 3 });
    const p = await read('profileOf', [addr(BOB)]);
    assert.equal(p.keyX, KEY_B);
    assert.equal(p.keyPrefix, 3);
    assert.equal(p.handle, ZERO32);
  });

  it('claimHandle registers the key in the same transaction', async () => {
    const r = await claim(ALICE, 'alice', 0n, 0, KEY_B, 3);
    assert.deepEqual(events(r, 'KeyRegistered')[0].args, { account: addr(ALICE), keyX: KEY_B, keyPrefix: 3 });
  });
});

describe('sendMessage', () => {
  it('escrows msg.value, emits MessageSent, id = recipient number << 32 | inbox index', async () => {
    await scene(); // alice is account number 1, bob number 2
    const before = await balance(tc.contract);
    const { id, deadline, sentAt, ev, receipt } = await send(BOB, ALICE);
    assert.equal(id, idOf(1, 0));
    assert.equal(deadline, sentAt + HOUR);
    assert.deepEqual(ev.args, {
      id,
      sender: addr(BOB),
      recipient: addr(ALICE),
      amount: PRICE,
      deadline,
      envelope: ENV,
    });
    assert.equal(await balance(tc.contract), before + PRICE);
    const m = await read('getMessage', [id]);
    assert.equal(m.id, id);
    assert.equal(m.sender, addr(BOB));
    assert.equal(m.recipient, addr(ALICE));
    assert.equal(m.amount, PRICE);
    assert.equal(m.deadline, deadline);
    assert.equal(m.sentBlock, receipt.blockNumber);
    assert.equal(m.replyBlock, 0n);
    assert.equal(m.status, 1);
    const second = await send(BOB, ALICE);
    assert.equal(second.id, idOf(1, 1));
    assert.equal((await read('profileOf', [addr(ALICE)])).inboxCount, 2n);
    assert.equal((await read('profileOf', [addr(BOB)])).lastOut, second.id);
  });

  it('NoHandle for a recipient without a handle', async () => {
    await registerKey(BOB);
    await expectRevert(sim(BOB, 'sendMessage', [addr(CAROL), 0n, ENV], { value: PRICE }), 'NoHandle', [addr(CAROL)]);
  });

  it('SelfMessage when sending to yourself', async () => {
    await claim(ALICE, 'alice');
    await expectRevert(sim(ALICE, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), ENV], { value: PRICE }), 'SelfMessage', []);
  });

  it('PriceTooLow(required, sent)', async () => {
    await scene();
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), HOUR, ENV], { value: PRICE - 1n }), 'PriceTooLow', [
      PRICE,
      PRICE - 1n,
    ]);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), HOUR, ENV], { value: 0n }), 'PriceTooLow', [PRICE, 0n]);
  });

  it('a tip is accepted: amount = msg.value', async () => {
    await scene();
    const value = PRICE + ONE('0.25') + 7n;
    const { id, ev } = await send(BOB, ALICE, value);
    assert.equal(ev.args.amount, value);
    assert.equal((await read('getMessage', [id])).amount, value);
    await assertSolvent([id]);
  });

  it('price 0 is allowed and holds nothing; a tip at price 0 is held', async () => {
    await claim(ALICE, 'alice', 0n);
    await registerKey(BOB);
    const before = await balance(tc.contract);
    const { id } = await send(BOB, ALICE, 0n);
    assert.equal(await balance(tc.contract), before);
    assert.equal((await read('getMessage', [id])).amount, 0n);
    const aliceBefore = await balance(addr(ALICE));
    const r = await write(ALICE, 'reply', [id, ENV]);
    assert.deepEqual(
      { payout: events(r, 'MessageReplied')[0].args.payout, fee: events(r, 'MessageReplied')[0].args.fee },
      { payout: 0n, fee: 0n },
    );
    assert.equal(await balance(addr(ALICE)), aliceBefore - gasCost(r));
    assert.equal(await read('accruedFees'), 0n);
    const tipped = await send(BOB, ALICE, 5n);
    assert.equal(await balance(tc.contract), before + 5n);
    await assertSolvent([id, tipped.id]);
  });

  it('NoMessagingKey for a sender without a key; registerKeyAndSend works in one transaction', async () => {
    await claim(ALICE, 'alice');
    await expectRevert(sim(ERIN, 'sendMessage', [addr(ALICE), HOUR, ENV], { value: PRICE }), 'NoMessagingKey', [addr(ERIN)]);
    const r = await write(ERIN, 'registerKeyAndSend', [KEY_B, 3, addr(ALICE), HOUR, ENV], { value: PRICE });
    assert.deepEqual(events(r, 'KeyRegistered')[0].args, { account: addr(ERIN), keyX: KEY_B, keyPrefix: 3 });
    const [sent] = events(r, 'MessageSent');
    assert.equal(sent.args.sender, addr(ERIN));
    assert.equal(sent.args.amount, PRICE);
    const p = await read('profileOf', [addr(ERIN)]);
    assert.equal(p.keyX, KEY_B);
    assert.equal(p.lastOut, sent.args.id);
    assert.equal((await read('getMessage', [sent.args.id])).sender, addr(ERIN));
    // A bad key in registerKeyAndSend reverts everything.
    await expectRevert(sim(CAROL, 'registerKeyAndSend', [ZERO32, 3, addr(ALICE), HOUR, ENV], { value: PRICE }), 'KeyInvalid', []);
  });

  it('EnvelopeSize: empty or more than 320 bytes; exactly 320 is fine', async () => {
    await scene();
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), HOUR, '0x'], { value: PRICE }), 'EnvelopeSize', [0n, 320n]);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), HOUR, envelope(321)], { value: PRICE }), 'EnvelopeSize', [
      321n,
      320n,
    ]);
    const { ev } = await send(BOB, ALICE, PRICE, { env: envelope(320) });
    assert.equal(ev.args.envelope, envelope(320));
    await send(BOB, ALICE, PRICE, { env: envelope(1) });
  });

  it('WindowTooLong when the recipient window exceeds maxWindow', async () => {
    await claim(ALICE, 'alice', PRICE, 7200);
    await registerKey(BOB);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), 7199n, ENV], { value: PRICE }), 'WindowTooLong', [7200n, 7199n]);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), 0n, ENV], { value: PRICE }), 'WindowTooLong', [7200n, 0n]);
    await send(BOB, ALICE, PRICE, { maxWindow: 7200n });
  });

  it('AmountTooLarge above uint96', async () => {
    await scene();
    const huge = 2n ** 96n;
    await tc.testClient.setBalance({ address: addr(BOB), value: huge * 2n });
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), HOUR, ENV], { value: huge }), 'AmountTooLarge', [huge]);
    const { id } = await send(BOB, ALICE, huge - 1n);
    assert.equal((await read('getMessage', [id])).amount, huge - 1n);
  });

  it('deadline is fixed at send time; updateProfile does not move it', async () => {
    await scene();
    const { id, deadline, sentAt } = await send(BOB, ALICE);
    assert.equal(deadline, sentAt + HOUR);
    await write(ALICE, 'updateProfile', [PRICE * 2n, MAX_WINDOW]);
    assert.equal((await read('getMessage', [id])).deadline, deadline);
    const late = await writeAt(deadline, ALICE, 'reply', [id, ENV]);
    assert.equal(late.status, 'reverted');
    await expectRevert(sim(ALICE, 'reply', [id, ENV], { blockNumber: late.blockNumber }), 'ReplyWindowClosed', [id, deadline]);
    // New messages get the new window and price.
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), BigInt(MAX_WINDOW), ENV], { value: PRICE }), 'PriceTooLow', [
      PRICE * 2n,
      PRICE,
    ]);
    const next = await send(BOB, ALICE, PRICE * 2n);
    assert.equal(next.deadline, next.sentAt + BigInt(MAX_WINDOW));
  });

  it('messages stay repliable after the recipient releases its handle', async () => {
    await scene();
    const { id } = await send(BOB, ALICE);
    await write(ALICE, 'releaseHandle', []);
    await expectRevert(sim(BOB, 'sendMessage', [addr(ALICE), HOUR, ENV], { value: PRICE }), 'NoHandle', [addr(ALICE)]);
    // Someone else takes the handle: the old message is still alice's, not theirs.
    await claim(DAVE, 'alice', PRICE);
    await expectRevert(sim(DAVE, 'reply', [id, ENV]), 'NotRecipient', [id, addr(DAVE)]);
    const r = await write(ALICE, 'reply', [id, ENV]);
    assert.equal(events(r, 'MessageReplied')[0].args.recipient, addr(ALICE));
    assert.equal((await read('getMessage', [id])).status, 3);
    const toDave = await send(BOB, DAVE);
    assert.notEqual(toDave.id >> 32n, id >> 32n, 'dave has his own inbox');
  });
});

describe('reply', () => {
  it('only the recipient: NotRecipient; unknown ids: UnknownMessage; envelope size checked', async () => {
    await scene();
    const { id } = await send(BOB, ALICE);
    await expectRevert(sim(BOB, 'reply', [id, ENV]), 'NotRecipient', [id, addr(BOB)]);
    await expectRevert(sim(CAROL, 'reply', [id, ENV]), 'NotRecipient', [id, addr(CAROL)]);
    await expectRevert(sim(ALICE, 'reply', [id + 1n, ENV]), 'UnknownMessage', [id + 1n]);
    await expectRevert(sim(ALICE, 'reply', [0n, ENV]), 'UnknownMessage', [0n]);
    await expectRevert(sim(ALICE, 'reply', [id, '0x']), 'EnvelopeSize', [0n, 320n]);
    await expectRevert(sim(ALICE, 'reply', [id, envelope(321)]), 'EnvelopeSize', [321n, 320n]);
    await write(ALICE, 'reply', [id, envelope(320)]);
  });

  it('pays amount − fee to the recipient, fee accrues, exact balances and event', async () => {
    await scene();
    const value = PRICE + 12_345n;
    const { id } = await send(BOB, ALICE, value);
    const fee = (value * 100n) / 10_000n;
    const [aliceBefore, contractBefore, bobBefore] = await Promise.all([
      balance(addr(ALICE)),
      balance(tc.contract),
      balance(addr(BOB)),
    ]);
    const r = await write(ALICE, 'reply', [id, ENV]);
    assert.deepEqual(events(r, 'MessageReplied')[0].args, {
      id,
      sender: addr(BOB),
      recipient: addr(ALICE),
      payout: value - fee,
      fee,
      envelope: ENV,
    });
    assert.equal(events(r, 'PaymentDeferred').length, 0);
    assert.equal(await balance(addr(ALICE)), aliceBefore + value - fee - r.gasUsed * GAS_PRICE);
    assert.equal(r.effectiveGasPrice, GAS_PRICE);
    assert.equal(await balance(tc.contract), contractBefore - value + fee);
    assert.equal(await balance(addr(BOB)), bobBefore);
    assert.equal(await read('accruedFees'), fee);
    const m = await read('getMessage', [id]);
    assert.equal(m.status, 3);
    assert.equal(m.deadline, 0n);
    assert.equal(m.replyBlock, r.blockNumber);
    await assertSolvent([id]);
  });

  it('fee rounds down: 99 wei at 1 % pays no fee', async () => {
    await claim(ALICE, 'alice', 0n);
    await registerKey(BOB);
    const { id } = await send(BOB, ALICE, 99n);
    const r = await write(ALICE, 'reply', [id, ENV]);
    assert.equal(events(r, 'MessageReplied')[0].args.fee, 0n);
    assert.equal(events(r, 'MessageReplied')[0].args.payout, 99n);
  });

  it('strictly before the deadline: deadline − 1 succeeds, deadline reverts ReplyWindowClosed', async () => {
    await scene();
    const { id, deadline } = await send(BOB, ALICE);
    const s = await tc.snapshot();
    const late = await writeAt(deadline, ALICE, 'reply', [id, ENV]);
    assert.equal(late.status, 'reverted');
    await expectRevert(sim(ALICE, 'reply', [id, ENV], { blockNumber: late.blockNumber }), 'ReplyWindowClosed', [id, deadline]);
    assert.equal((await read('getMessage', [id])).status, 2, 'REFUNDABLE at the deadline');
    await tc.revert(s);
    assert.equal((await read('getMessage', [id])).status, 1);
    const onTime = await writeAt(deadline - 1n, ALICE, 'reply', [id, ENV]);
    assert.equal(onTime.status, 'success');
    assert.equal((await read('getMessage', [id])).status, 3);
  });

  it('only once: AlreadySettled, and no refund after a reply', async () => {
    await scene();
    const { id, deadline } = await send(BOB, ALICE);
    await write(ALICE, 'reply', [id, ENV]);
    await expectRevert(sim(ALICE, 'reply', [id, ENV]), 'AlreadySettled', [id, 3]);
    await tc.mineAt(deadline + 10n);
    await expectRevert(sim(CAROL, 'refund', [id]), 'AlreadySettled', [id, 3]);
    await expectRevert(sim(CAROL, 'refundMany', [[id]]), 'NothingToRefund', []);
    await assertSolvent([id]);
  });
});

describe('refund', () => {
  it('NotYetRefundable at deadline − 1; at the deadline exactly anyone may refund, coins go to the sender', async () => {
    await scene();
    const { id, deadline } = await send(BOB, ALICE);
    const early = await writeAt(deadline - 1n, CAROL, 'refund', [id]);
    assert.equal(early.status, 'reverted');
    await expectRevert(sim(CAROL, 'refund', [id], { blockNumber: early.blockNumber }), 'NotYetRefundable', [id, deadline]);
    const [bobBefore, carolBefore, contractBefore] = await Promise.all([
      balance(addr(BOB)),
      balance(addr(CAROL)),
      balance(tc.contract),
    ]);
    const r = await writeAt(deadline, CAROL, 'refund', [id]);
    assert.equal(r.status, 'success');
    assert.deepEqual(events(r, 'MessageRefunded')[0].args, { id, sender: addr(BOB), recipient: addr(ALICE), amount: PRICE });
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE);
    assert.equal(await balance(addr(CAROL)), carolBefore - gasCost(r));
    assert.equal(await balance(tc.contract), contractBefore - PRICE);
    const m = await read('getMessage', [id]);
    assert.equal(m.status, 4);
    assert.equal(m.deadline, 0n);
    assert.equal(m.replyBlock, 0n);
    await assertSolvent([id]);
  });

  it('never twice: AlreadySettled; no reply after a refund; UnknownMessage', async () => {
    await scene();
    const { id, deadline } = await send(BOB, ALICE);
    await tc.mineAt(deadline);
    await write(BOB, 'refund', [id]);
    await expectRevert(sim(CAROL, 'refund', [id]), 'AlreadySettled', [id, 4]);
    await expectRevert(sim(BOB, 'refund', [id]), 'AlreadySettled', [id, 4]);
    await expectRevert(sim(ALICE, 'reply', [id, ENV]), 'AlreadySettled', [id, 4]);
    await expectRevert(sim(CAROL, 'refund', [id + 5n]), 'UnknownMessage', [id + 5n]);
  });

  it('the recipient may refund too, and the sender (not the caller) gets the coins', async () => {
    await scene();
    const { id, deadline } = await send(BOB, ALICE);
    await tc.mineAt(deadline + DAY);
    const [aliceBefore, bobBefore] = await Promise.all([balance(addr(ALICE)), balance(addr(BOB))]);
    const r = await write(ALICE, 'refund', [id]);
    assert.equal(await balance(addr(ALICE)), aliceBefore - gasCost(r));
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE);
  });

  it('refundMany settles many in one tx and skips settled, not-due and unknown ids', async () => {
    await scene();
    await registerKey(CAROL);
    await claim(DAVE, 'dave', ONE('0.1'), 2 * 3600);
    const a = await send(BOB, ALICE); // due after 1 h
    const b = await send(CAROL, ALICE, PRICE + 1n); // due after 1 h
    const c = await send(BOB, DAVE, ONE('0.1')); // due after 2 h
    const d = await send(CAROL, ALICE); // replied below
    const e = await send(BOB, ALICE, ONE(2)); // refunded singly below
    await write(ALICE, 'reply', [d.id, ENV]);
    await tc.mineAt(e.deadline);
    await write(CAROL, 'refund', [e.id]);
    // now: a, b due; c not yet due; d replied; e refunded
    const unknown = idOf(99, 0);
    const ids = [a.id, unknown, c.id, d.id, b.id, e.id, a.id];
    const [bobBefore, carolBefore, contractBefore] = await Promise.all([
      balance(addr(BOB)),
      balance(addr(CAROL)),
      balance(tc.contract),
    ]);
    const refunded = (await sim(OWNER, 'refundMany', [ids])) as { result: bigint };
    assert.equal(refunded.result, 2n);
    const r = await write(OWNER, 'refundMany', [ids]);
    const evs = events(r, 'MessageRefunded');
    assert.deepEqual(
      evs.map((x) => x.args.id),
      [a.id, b.id],
    );
    assert.equal(await balance(addr(BOB)), bobBefore + PRICE);
    assert.equal(await balance(addr(CAROL)), carolBefore + PRICE + 1n);
    assert.equal(await balance(tc.contract), contractBefore - 2n * PRICE - 1n);
    assert.equal((await read('getMessage', [c.id])).status, 1);
    await expectRevert(sim(OWNER, 'refundMany', [[a.id, b.id, d.id, e.id, unknown]]), 'NothingToRefund', []);
    await expectRevert(sim(OWNER, 'refundMany', [[c.id]]), 'NothingToRefund', []);
    await expectRevert(sim(OWNER, 'refundMany', [[]]), 'NothingToRefund', []);
    await tc.mineAt(c.deadline);
    await write(OWNER, 'refundMany', [[c.id]]);
    await assertSolvent([a.id, b.id, c.id, d.id, e.id]);
  });

  it('refundMany: TooManyIds above 100 ids, 100 is allowed', async () => {
    await scene();
    const { id, deadline } = await send(BOB, ALICE);
    await tc.mineAt(deadline);
    const ids101 = Array.from({ length: 101 }, () => id);
    await expectRevert(sim(CAROL, 'refundMany', [ids101]), 'TooManyIds', [101n, 100n]);
    const r = await write(CAROL, 'refundMany', [ids101.slice(1)]);
    assert.equal(events(r, 'MessageRefunded').length, 1);
  });
});

describe('fees and ownership', () => {
  it('setFee: owner only, at most 500 bps; FeeChanged', async () => {
    await expectRevert(sim(CAROL, 'setFee', [50n]), 'NotOwner', [addr(CAROL)]);
    await expectRevert(sim(OWNER, 'setFee', [501n]), 'FeeTooHigh', [501n, 500n]);
    const r = await write(OWNER, 'setFee', [500n]);
    assert.deepEqual(events(r, 'FeeChanged')[0].args, { previousBps: 100n, newBps: 500n });
    assert.equal(await read('feeBps'), 500n);
    await write(OWNER, 'setFee', [0n]);
    assert.equal(await read('feeBps'), 0n);
  });

  it('a fee change applies to later replies only', async () => {
    await scene();
    const m1 = await send(BOB, ALICE, ONE(1));
    const m2 = await send(BOB, ALICE, ONE(1));
    const r1 = await write(ALICE, 'reply', [m1.id, ENV]);
    assert.equal(events(r1, 'MessageReplied')[0].args.fee, ONE('0.01'));
    await write(OWNER, 'setFee', [500n]);
    assert.equal(await read('accruedFees'), ONE('0.01'), 'settled fee unchanged');
    const r2 = await write(ALICE, 'reply', [m2.id, ENV]);
    assert.equal(events(r2, 'MessageReplied')[0].args.fee, ONE('0.05'));
    assert.equal(events(r2, 'MessageReplied')[0].args.payout, ONE('0.95'));
    assert.equal(await read('accruedFees'), ONE('0.06'));
    await write(OWNER, 'setFee', [0n]);
    const m3 = await send(BOB, ALICE, ONE(1));
    const r3 = await write(ALICE, 'reply', [m3.id, ENV]);
    assert.equal(events(r3, 'MessageReplied')[0].args.fee, 0n);
    assert.equal(await read('accruedFees'), ONE('0.06'));
    await assertSolvent([m1.id, m2.id, m3.id]);
  });

  it('withdrawFees sends accrued fees to the fee recipient (anyone may call); NothingToWithdraw at 0', async () => {
    await expectRevert(sim(CAROL, 'withdrawFees', []), 'NothingToWithdraw', []);
    await scene();
    const { id } = await send(BOB, ALICE, ONE(3));
    await write(ALICE, 'reply', [id, ENV]);
    const fee = ONE('0.03');
    const [ownerBefore, contractBefore] = await Promise.all([balance(addr(OWNER)), balance(tc.contract)]);
    const r = await write(CAROL, 'withdrawFees', []);
    assert.deepEqual(events(r, 'FeesWithdrawn')[0].args, { to: addr(OWNER), amount: fee });
    assert.equal(await balance(addr(OWNER)), ownerBefore + fee);
    assert.equal(await balance(tc.contract), contractBefore - fee);
    assert.equal(await read('accruedFees'), 0n);
    await expectRevert(sim(CAROL, 'withdrawFees', []), 'NothingToWithdraw', []);
  });

  it('setFeeRecipient: owner only, not zero; fees then go to the new recipient', async () => {
    await expectRevert(sim(CAROL, 'setFeeRecipient', [addr(CAROL)]), 'NotOwner', [addr(CAROL)]);
    await expectRevert(sim(OWNER, 'setFeeRecipient', [zeroAddress]), 'ZeroAddress', []);
    const r = await write(OWNER, 'setFeeRecipient', [addr(9)]);
    assert.deepEqual(events(r, 'FeeRecipientChanged')[0].args, {
      previousRecipient: addr(OWNER),
      newRecipient: addr(9),
    });
    assert.equal(await read('feeRecipient'), addr(9));
    await scene();
    const { id } = await send(BOB, ALICE, ONE(1));
    await write(ALICE, 'reply', [id, ENV]);
    const before = await balance(addr(9));
    await write(CAROL, 'withdrawFees', []);
    assert.equal(await balance(addr(9)), before + ONE('0.01'));
  });

  it('two-step ownership transfer', async () => {
    await expectRevert(sim(CAROL, 'transferOwnership', [addr(CAROL)]), 'NotOwner', [addr(CAROL)]);
    const r = await write(OWNER, 'transferOwnership', [addr(7)]);
    assert.deepEqual(events(r, 'OwnershipTransferStarted')[0].args, { previousOwner: addr(OWNER), newOwner: addr(7) });
    assert.equal(await read('owner'), addr(OWNER), 'still the old owner until accepted');
    assert.equal(await read('pendingOwner'), addr(7));
    await expectRevert(sim(CAROL, 'acceptOwnership', []), 'NotOwner', [addr(CAROL)]);
    await expectRevert(sim(7, 'setFee', [1n]), 'NotOwner', [addr(7)]);
    const a = await write(7, 'acceptOwnership', []);
    assert.deepEqual(events(a, 'OwnershipTransferred')[0].args, { previousOwner: addr(OWNER), newOwner: addr(7) });
    assert.equal(await read('owner'), addr(7));
    assert.equal(await read('pendingOwner'), zeroAddress);
    await expectRevert(sim(OWNER, 'setFee', [1n]), 'NotOwner', [addr(OWNER)]);
    await expectRevert(sim(7, 'acceptOwnership', []), 'NotOwner', [addr(7)]);
    await write(7, 'setFee', [1n]);
    assert.equal(await read('feeBps'), 1n);
    // The owner may cancel a pending transfer by pointing it at zero.
    await write(7, 'transferOwnership', [addr(8)]);
    await write(7, 'transferOwnership', [zeroAddress]);
    await expectRevert(sim(8, 'acceptOwnership', []), 'NotOwner', [addr(8)]);
  });

  it('withdrawCredit without credit: NothingToWithdraw; to zero: ZeroAddress', async () => {
    await expectRevert(sim(CAROL, 'withdrawCredit', [addr(CAROL)]), 'NothingToWithdraw', []);
    await expectRevert(sim(CAROL, 'withdrawCredit', [zeroAddress]), 'ZeroAddress', []);
  });
});

describe('views', () => {
  it('statuses WAITING, REFUNDABLE, REPLIED, REFUNDED; unknown id is all zero', async () => {
    await scene();
    const a = await send(BOB, ALICE);
    const b = await send(BOB, ALICE);
    const c = await send(BOB, ALICE);
    assert.equal((await read('getMessage', [a.id])).status, 1);
    await write(ALICE, 'reply', [b.id, ENV]);
    await tc.mineAt(c.deadline - 1n);
    assert.equal((await read('getMessage', [c.id])).status, 1, 'WAITING until the deadline');
    await tc.mineAt(c.deadline);
    assert.equal((await read('getMessage', [c.id])).status, 2, 'REFUNDABLE at the deadline');
    await write(CAROL, 'refund', [c.id]);
    const [ma, mb, mc] = await Promise.all([a, b, c].map((x) => read('getMessage', [x.id])));
    assert.equal(ma.status, 2);
    assert.equal(mb.status, 3);
    assert.equal(mc.status, 4);
    const none = await read('getMessage', [idOf(1, 99)]);
    assert.deepEqual(none, {
      id: 0n,
      sender: zeroAddress,
      recipient: zeroAddress,
      amount: 0n,
      deadline: 0n,
      sentBlock: 0n,
      replyBlock: 0n,
      status: 0,
    });
  });

  it('sentBlock and replyBlock point at the blocks holding MessageSent / MessageReplied', async () => {
    await scene();
    const { id } = await send(BOB, ALICE, PRICE, { env: envelope(200) });
    await send(BOB, ALICE); // another message in between
    const replyEnv = envelope(123);
    await write(ALICE, 'reply', [id, replyEnv]);
    const m = await read('getMessage', [id]);
    const sent = await tc.publicClient.getContractEvents({
      address: tc.contract,
      abi: paidChatAbi,
      eventName: 'MessageSent',
      args: { id },
      fromBlock: m.sentBlock,
      toBlock: m.sentBlock,
    });
    assert.equal(sent.length, 1);
    assert.equal(sent[0].args.envelope, envelope(200));
    const replied = await tc.publicClient.getContractEvents({
      address: tc.contract,
      abi: paidChatAbi,
      eventName: 'MessageReplied',
      args: { id },
      fromBlock: m.replyBlock,
      toBlock: m.replyBlock,
    });
    assert.equal(replied.length, 1);
    assert.equal(replied[0].args.envelope, replyEnv);
  });

  it('inboxPage and outboxPage: newest first, cursors over several pages', async () => {
    await scene(); // alice #1, bob #2
    await registerKey(CAROL); // #3
    await claim(DAVE, 'dave', 0n); // #4
    const inbox: bigint[] = [];
    const bobOut: bigint[] = [];
    for (let i = 0; i < 7; i++) {
      const from = i % 3 === 2 ? CAROL : BOB;
      const m = await send(from, ALICE);
      inbox.push(m.id);
      if (from === BOB) bobOut.push(m.id);
      if (i < 3) bobOut.push((await send(BOB, DAVE, 0n)).id); // bob's outbox spans recipients
    }
    assert.equal(bobOut.length, 8);
    // inbox: 7 messages, limit 3 → 3, 3, 1
    const pages: bigint[][] = [];
    let cursor = 0n;
    const cursors: bigint[] = [];
    do {
      const [page, next] = (await read('inboxPage', [addr(ALICE), cursor, 3n])) as [{ id: bigint }[], bigint];
      pages.push(page.map((m) => m.id));
      cursors.push(next);
      cursor = next;
    } while (cursor !== 0n);
    assert.deepEqual(pages.map((p) => p.length), [3, 3, 1]);
    assert.deepEqual(cursors, [4n, 1n, 0n]);
    assert.deepEqual(pages.flat(), [...inbox].reverse());
    // Larger limit, a cursor beyond the count, limit 0
    const [all] = (await read('inboxPage', [addr(ALICE), 0n, 1000n])) as [{ id: bigint; sender: Address }[], bigint];
    assert.equal(all.length, 7);
    assert.equal(all[0].sender, addr(BOB));
    const [beyond, beyondNext] = (await read('inboxPage', [addr(ALICE), 100n, 2n])) as [{ id: bigint }[], bigint];
    assert.deepEqual(beyond.map((m) => m.id), [inbox[6], inbox[5]]);
    assert.equal(beyondNext, 5n);
    const [empty] = (await read('inboxPage', [addr(ERIN), 0n, 10n])) as [unknown[], bigint];
    assert.equal(empty.length, 0);

    // outbox of bob: 8 messages, limit 3 → 3, 3, 2
    const outPages: bigint[][] = [];
    let oc = 0n;
    do {
      const [page, next] = (await read('outboxPage', [addr(BOB), oc, 3n])) as [{ id: bigint; sender: Address }[], bigint];
      for (const m of page) assert.equal(m.sender, addr(BOB));
      outPages.push(page.map((m) => m.id));
      oc = next;
    } while (oc !== 0n);
    assert.deepEqual(outPages.map((p) => p.length), [3, 3, 2]);
    assert.deepEqual(outPages.flat(), [...bobOut].reverse());
    // Carol's outbox (7 messages to alice, 2 from carol), one page of 3
    const [carolPage, carolNext] = (await read('outboxPage', [addr(CAROL), 0n, 3n])) as [{ id: bigint }[], bigint];
    assert.deepEqual(carolPage.map((m) => m.id), [inbox[5], inbox[2]]);
    assert.equal(carolNext, 0n);
    // A cursor that is not in this outbox yields an empty page.
    const [foreign, foreignNext] = (await read('outboxPage', [addr(CAROL), bobOut[0], 3n])) as [unknown[], bigint];
    assert.equal(foreign.length, 0);
    assert.equal(foreignNext, 0n, 'and says there is no more, so a client paging to 0 stops');
    // limit 0 means a full page, never an empty page with a cursor that does not advance.
    const [inboxAll, allNext] = (await read('inboxPage', [addr(ALICE), 0n, 0n])) as [unknown[], bigint];
    assert.equal(inboxAll.length, inbox.length);
    assert.equal(allNext, 0n);
    const [outAll] = (await read('outboxPage', [addr(BOB), 0n, 0n])) as [unknown[], bigint];
    assert.equal(outAll.length, bobOut.length);
    // 7 messages from a single sender, limit 3 → 3, 3, 1 with nextCursor 0 at the end
    await registerKey(9);
    const nine: bigint[] = [];
    for (let i = 0; i < 7; i++) nine.push((await send(9, i % 2 ? DAVE : ALICE, i % 2 ? 0n : PRICE)).id);
    const sizes: number[] = [];
    const got: bigint[] = [];
    let c9 = 0n;
    do {
      const [page, next] = (await read('outboxPage', [addr(9), c9, 3n])) as [{ id: bigint }[], bigint];
      sizes.push(page.length);
      got.push(...page.map((m) => m.id));
      c9 = next;
    } while (c9 !== 0n);
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(got, [...nine].reverse());
  });

  it('profileOfHandle, profilesOf, ownerOf', async () => {
    await scene();
    const unknown = await read('profileOfHandle', [h('nobody')]);
    assert.equal(unknown.account, zeroAddress);
    assert.equal(unknown.handle, h('nobody'));
    assert.equal(unknown.price, 0n);
    const p = await read('profileOfHandle', [h('alice')]);
    assert.equal(p.account, addr(ALICE));
    assert.equal(p.price, PRICE);
    assert.equal(p.window, HOUR);
    assert.equal(p.keyX, KEY_A);
    const ps = (await read('profilesOf', [[addr(ALICE), addr(BOB), addr(ERIN)]])) as any[];
    assert.deepEqual(
      ps.map((x) => [x.account, x.handle, x.keyPrefix]),
      [
        [addr(ALICE), h('alice'), 2],
        [addr(BOB), ZERO32, 3],
        [addr(ERIN), ZERO32, 0],
      ],
    );
    await expectRevert(
      tc.publicClient.readContract({
        address: tc.contract,
        abi: paidChatAbi,
        functionName: 'profilesOf',
        args: [Array.from({ length: 101 }, () => addr(BOB))],
      }),
      'TooManyIds',
      [101n, 100n],
    );
    assert.equal(await read('ownerOf', [h('alice')]), addr(ALICE));
    assert.equal(await read('ownerOf', [h('nobody')]), zeroAddress);
  });
});

describe('gas starvation', () => {
  it('a caller cannot starve the payout call to force a payout onto the credit path', async () => {
    await scene();
    const { id } = await send(BOB, ALICE);
    // Enough gas for everything but the forwarded 40k: reverts as a whole, nothing settles.
    await tc.testClient.mine({ blocks: 1 });
    const r = await tc.wallet(ALICE).writeContractSync({
      address: tc.contract,
      abi: paidChatAbi,
      functionName: 'reply',
      args: [id, ENV],
      gas: 60_000n,
      type: 'legacy',
      gasPrice: GAS_PRICE,
      throwOnReceiptRevert: false,
    } as never);
    assert.equal(r.status, 'reverted');
    await expectRevert(
      tc.publicClient.simulateContract({ address: tc.contract, abi: paidChatAbi, functionName: 'reply', args: [id, ENV], account: tc.accounts[ALICE], gas: 60_000n } as never),
      'InsufficientGas',
    );
    const m = await read('getMessage', [id]);
    assert.equal(m.status, 1, 'still waiting');
    assert.equal(await read('creditOf', [addr(ALICE)]), 0n);
    // With the gas the SDK estimates, it settles and pays out directly.
    await write(ALICE, 'reply', [id, ENV]);
    assert.equal(await read('creditOf', [addr(ALICE)]), 0n);
  });
});

describe('gas (Istanbul schedule)', () => {
  it('send, reply and refund stay in their budgets', async () => {
    await scene();
    const env = envelope(237);
    const a = await send(BOB, ALICE, PRICE, { env });
    const b = await send(BOB, ALICE, PRICE, { env });
    const r = await write(ALICE, 'reply', [a.id, env]);
    await tc.mineAt(b.deadline);
    const f = await write(CAROL, 'refund', [b.id]);
    assert.ok(b.receipt.gasUsed < 120_000n, `send ${b.receipt.gasUsed}`);
    assert.ok(r.gasUsed < 80_000n, `reply ${r.gasUsed}`);
    assert.ok(f.gasUsed < 60_000n, `refund ${f.gasUsed}`);
  });
});
