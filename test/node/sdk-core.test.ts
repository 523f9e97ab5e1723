/**
 * The SDK's pure core: text rules, handles, addresses, messaging keys and envelopes.
 * No chain, no DOM. Run: node --import tsx --test test/node/sdk-core.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { bech32 } from '@scure/base';
import { getSharedPoint, deriveKey, symDecrypt, symEncrypt } from 'eciesjs/utils';
import { Config } from 'eciesjs/config';
import { bytesToHex, hexToBytes, keccak256, stringToHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

import { PaidChatError, type PaidChatErrorCode } from '../../src/sdk/errors.js';
import { MAX_MESSAGE_BYTES, decodeMessageText, encodeMessageText, utf8Length } from '../../src/sdk/text.js';
import { bytes32ToHandle, formatHandle, handleToBytes32, isValidHandle, normalizeHandle } from '../../src/sdk/handles.js';
import { fromOneAddress, isValidAddress, parseAddress, shortAddress, toOneAddress } from '../../src/sdk/address.js';
import {
  MessagingKey,
  assertKeyMatches,
  deriveMessagingKey,
  exportMessagingKey,
  importMessagingKey,
  keyDerivationMessage,
  publicKeyFromChain,
} from '../../src/sdk/keys.js';
import {
  ENVELOPE_KIND_MESSAGE,
  ENVELOPE_KIND_REPLY,
  MAX_ENVELOPE_BYTES,
  envelopeOverhead,
  envelopeSize,
  openEnvelope,
  sealEnvelope,
  type EnvelopeContext,
  type EnvelopeKind,
} from '../../src/sdk/envelope.js';

// ------------------------------------------------------------------ helpers

/** Asserts that `fn` throws a PaidChatError with one of `codes`; returns it. */
function expectError(fn: () => unknown, codes: PaidChatErrorCode | PaidChatErrorCode[]): PaidChatError {
  const list = Array.isArray(codes) ? codes : [codes];
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PaidChatError, `expected PaidChatError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.ok(list.includes(e.code), `expected ${list.join('|')}, got ${e.code}: ${e.message}`);
    assert.ok(e.message.length > 20, 'error message should explain what happened and what to do');
    return e;
  }
  assert.fail(`expected ${list.join('|')} but nothing was thrown`);
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

/** Anvil / Hardhat dev accounts 0..2. */
const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
] as const;
const [alice, bob, carol] = DEV_KEYS.map((k) => privateKeyToAccount(k));
const CHAIN_ID = 1666700000;
const CONTRACT: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

async function keyFor(account: typeof alice, chainId = CHAIN_ID, contract: string = CONTRACT) {
  const message = keyDerivationMessage({ chainId, contract, account: account.address });
  const signature = await account.signMessage({ message });
  return { message, signature, key: deriveMessagingKey(signature) };
}

// ------------------------------------------------------------------ text

describe('text', () => {
  const tooLong = (text: string, bytes: number) => {
    const e = expectError(() => encodeMessageText(text), 'MESSAGE_TOO_LONG');
    assert.deepEqual(e.details, { bytes, max: 140 });
    assert.match(e.message, new RegExp(`This message is ${bytes} bytes of UTF-8; the limit is 140\\. Shorten it by ${bytes - 140} bytes?`));
    return e;
  };

  it('ASCII: 140 bytes pass, 141 are refused with bytes=141', () => {
    assert.equal(MAX_MESSAGE_BYTES, 140);
    assert.equal(encodeMessageText('a'.repeat(140)).length, 140);
    const e = tooLong('a'.repeat(141), 141);
    assert.match(e.message, /Shorten it by 1 byte\b/);
    assert.doesNotMatch(e.message, /by 1 bytes/);
    tooLong('a'.repeat(150), 150);
  });

  it('emoji count 4 bytes: 35×😀 = 140 ok, 36 = 144 refused; 136 ASCII + 😀 = 140 ok, 137 + 😀 = 141 refused', () => {
    assert.equal(utf8Length('😀'), 4);
    assert.equal(encodeMessageText('😀'.repeat(35)).length, 140);
    tooLong('😀'.repeat(36), 144);
    assert.equal(encodeMessageText('a'.repeat(136) + '😀').length, 140);
    tooLong('a'.repeat(137) + '😀', 141);
    // ZWJ sequence: 👩‍💻 = 4 + 3 + 4 bytes
    assert.equal(utf8Length('👩\u200D💻'), 11);
  });

  it('CJK count 3 bytes: 46×中 = 138 ok, 47 = 141 refused', () => {
    assert.equal(encodeMessageText('中'.repeat(46)).length, 138);
    tooLong('中'.repeat(47), 141);
  });

  it('combining marks count on their own and the text is never normalised', () => {
    const nfd = 'e\u0301'; // e + COMBINING ACUTE ACCENT, 1 + 2 bytes
    const nfc = '\u00e9'; // é precomposed, 2 bytes
    assert.equal(utf8Length(nfd), 3);
    assert.equal(utf8Length(nfc), 2);
    assert.equal(encodeMessageText(nfd.repeat(46) + 'ab').length, 140);
    tooLong(nfd.repeat(46) + 'abc', 141);
    // Round trip keeps NFD as NFD, whitespace and a leading BOM as they were.
    for (const t of [nfd.repeat(3), `  ${nfc} \n`, '\uFEFFhello', 'Z\u0351\u0352\u0353a']) {
      assert.equal(decodeMessageText(encodeMessageText(t)), t);
    }
  });

  it('empty or blank text is refused with MESSAGE_EMPTY', () => {
    for (const t of ['', ' ', '   \t\n', '\u00a0\u3000', '\u200B', '\uFEFF \u2060']) {
      expectError(() => encodeMessageText(t), 'MESSAGE_EMPTY');
    }
    // blank beats too long
    expectError(() => encodeMessageText(' '.repeat(500)), 'MESSAGE_EMPTY');
    assert.equal(decodeMessageText(encodeMessageText(' x ')), ' x ');
  });

  it('an unpaired surrogate is refused instead of silently replaced', () => {
    const e = expectError(() => encodeMessageText('ab\uD83Dcd'), 'ENVELOPE_INVALID');
    assert.equal(e.details.reason, 'unpaired-surrogate');
    assert.equal(e.details.index, 2);
    expectError(() => encodeMessageText('x\uDE00'), 'ENVELOPE_INVALID');
  });

  it('utf8Length equals TextEncoder on arbitrary strings', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => utf8Length(s) === enc.encode(s).length),
      { numRuns: 300 },
    );
  });

  it('decodeMessageText refuses invalid UTF-8 with ENVELOPE_INVALID', () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xe4, 0xb8], [0xed, 0xa0, 0x80], [0x61, 0xf0, 0x9f, 0x98]]) {
      const e = expectError(() => decodeMessageText(Uint8Array.from(bad)), 'ENVELOPE_INVALID');
      assert.equal(e.details.reason, 'bad-utf8');
    }
  });
});

// ------------------------------------------------------------------ handles

describe('handles', () => {
  const own: { input: string; normalized: string | null }[] = [
    { input: 'alice', normalized: 'alice' },
    { input: '@Alice', normalized: 'alice' },
    { input: '  @BOB_99 ', normalized: 'bob_99' },
    { input: 'a-b', normalized: 'a-b' },
    { input: '007', normalized: '007' },
    { input: 'x'.repeat(32), normalized: 'x'.repeat(32) },
    { input: '@' + 'X'.repeat(32), normalized: 'x'.repeat(32) },
    { input: 'x'.repeat(33), normalized: null },
    { input: 'ab', normalized: null },
    { input: '@ab', normalized: null },
    { input: '', normalized: null },
    { input: '@', normalized: null },
    { input: '@@alice', normalized: null },
    { input: '_alice', normalized: null },
    { input: '-alice', normalized: null },
    { input: 'al ice', normalized: null },
    { input: 'al.ice', normalized: null },
    { input: '@ alice', normalized: null },
    { input: 'alicé', normalized: null },
    { input: 'ÄLICE', normalized: null },
    { input: 'İstanbul', normalized: null }, // must not be folded to "i̇stanbul" or "istanbul"
    { input: 'alıce', normalized: null }, // dotless i
    { input: 'ａｌｉｃｅ', normalized: null }, // full-width letters are not folded
    { input: 'alice\u200B', normalized: null },
    { input: 'a\u0000bc', normalized: null },
  ];

  it('own vectors', () => {
    for (const v of own) {
      if (v.normalized === null) {
        const e = expectError(() => normalizeHandle(v.input), 'HANDLE_INVALID');
        assert.match(e.message, /3 to 32 characters of a-z, 0-9/);
        assert.equal(isValidHandle(v.input), false, v.input);
      } else {
        assert.equal(normalizeHandle(v.input), v.normalized, v.input);
        assert.equal(isValidHandle(v.input), true, v.input);
      }
    }
  });

  const shared = new URL('../vectors/handles.json', import.meta.url);
  it('shared vectors (test/vectors/handles.json)', { skip: !existsSync(shared) && 'test/vectors/handles.json not present' }, () => {
    const vectors = JSON.parse(readFileSync(shared, 'utf8')) as { input: string; normalized: string | null }[];
    assert.ok(Array.isArray(vectors) && vectors.length > 0);
    for (const v of vectors) {
      let got: string | null;
      try {
        got = normalizeHandle(v.input);
      } catch (e) {
        assert.ok(e instanceof PaidChatError && e.code === 'HANDLE_INVALID', `${JSON.stringify(v.input)} threw ${String(e)}`);
        got = null;
      }
      assert.equal(got, v.normalized, `normalizeHandle(${JSON.stringify(v.input)})`);
      assert.equal(isValidHandle(v.input), v.normalized !== null);
      if (v.normalized !== null) assert.equal(bytes32ToHandle(handleToBytes32(v.input)), v.normalized);
    }
  });

  it('error details name the reason', () => {
    assert.equal(expectError(() => normalizeHandle('ab'), 'HANDLE_INVALID').details.reason, 'too-short');
    assert.equal(expectError(() => normalizeHandle('a'.repeat(33)), 'HANDLE_INVALID').details.reason, 'too-long');
    assert.equal(expectError(() => normalizeHandle('_abc'), 'HANDLE_INVALID').details.reason, 'bad-start');
    const e = expectError(() => normalizeHandle('ab!c'), 'HANDLE_INVALID');
    assert.equal(e.details.reason, 'bad-character');
    assert.match(e.message, /"!"/);
    assert.match(expectError(() => normalizeHandle('abé'), 'HANDLE_INVALID').message, /U\+00E9/);
    expectError(() => normalizeHandle(42 as unknown as string), 'HANDLE_INVALID');
  });

  it('bytes32: left-aligned ASCII, zero padded; round trip; 0 = no handle', () => {
    const h = handleToBytes32('@Alice');
    assert.equal(h, stringToHex('alice', { size: 32 }));
    assert.equal(h, `0x616c696365${'00'.repeat(27)}`);
    assert.equal(bytes32ToHandle(h), 'alice');
    assert.equal(bytes32ToHandle(`0x${'00'.repeat(32)}`), '');
    assert.equal(bytes32ToHandle(handleToBytes32('z'.repeat(32))), 'z'.repeat(32));
    expectError(() => handleToBytes32('no'), 'HANDLE_INVALID');
    // garbage from a bad RPC / wrong contract
    expectError(() => bytes32ToHandle('0x1234'), 'HANDLE_INVALID');
    expectError(() => bytes32ToHandle(`0x41424344${'00'.repeat(28)}`), 'HANDLE_INVALID'); // "ABCD" uppercase
    expectError(() => bytes32ToHandle(`0x61626300${'00'.repeat(27)}01`), 'HANDLE_INVALID'); // bytes after the zero
    expectError(() => bytes32ToHandle(`0x6162${'00'.repeat(30)}`), 'HANDLE_INVALID'); // too short
    assert.equal(formatHandle('alice'), '@alice');
  });
});

// ------------------------------------------------------------------ addresses

describe('addresses', () => {
  const ZERO = '0x0000000000000000000000000000000000000000';
  const ZERO_ONE = 'one1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqquzw7vz';
  /** Pairs as printed by Harmony tooling (public transaction dumps). */
  const KNOWN: [string, string][] = [
    [ZERO, ZERO_ONE],
    ['0x5056e49ffc8793a8f47ac669ffdfb8c23640f5b8', 'one12ptwf8lus7f63ar6ce5llhaccgmypadcxmyvnf'],
    ['0xa9ce83507d872c5e1273e745abcfda849daa654f', 'one1488gx5rasuk9uynnuaz6hn76sjw65e206pmljg'],
    ['0x24ad62502d1c652cc7684081169d04896ac20f30', 'one1yjkky5pdr3jje3mggzq3d8gy394vyresl69pgt'],
  ];

  it('zero address and known pairs, both directions', () => {
    assert.equal(ZERO_ONE.length, 42);
    for (const [hex, one] of KNOWN) {
      assert.equal(toOneAddress(hex), one);
      assert.equal(fromOneAddress(one).toLowerCase(), hex.toLowerCase());
      assert.equal(parseAddress(one).toLowerCase(), hex.toLowerCase());
      assert.equal(toOneAddress(one), one);
    }
    // computed independently with the raw bech32 primitive
    assert.equal(bech32.encode('one', bech32.toWords(new Uint8Array(20))), ZERO_ONE);
  });

  it("anvil's dev account round-trips", () => {
    const dev = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
    const one = toOneAddress(dev);
    assert.match(one, /^one1[02-9ac-hj-np-z]{38}$/);
    assert.equal(one, 'one17w0adeg64ky0daxwd2ugyuneellmjgnxvu4nql');
    assert.equal(fromOneAddress(one), dev);
    assert.equal(parseAddress(one), dev);
    assert.equal(parseAddress(one.toUpperCase()), dev);
    assert.equal(parseAddress(`  ${dev.toLowerCase()}\n`), dev);
    assert.equal(parseAddress(`0x${dev.slice(2).toUpperCase()}`), dev);
    assert.equal(shortAddress(dev), '0xf39F…2266');
    assert.equal(shortAddress(one), '0xf39F…2266');
    assert.equal(shortAddress(dev, 'one'), `${one.slice(0, 8)}…${one.slice(-4)}`);
  });

  it('random addresses round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => {
        const hex = bytesToHex(b);
        const one = toOneAddress(hex);
        return fromOneAddress(one).toLowerCase() === hex && toOneAddress(parseAddress(one)) === one;
      }),
      { numRuns: 200 },
    );
  });

  it('invalid inputs give ADDRESS_INVALID with a reason', () => {
    const cases: [string, string][] = [
      ['', 'empty'],
      ['   ', 'empty'],
      ['hello', 'unknown-format'],
      ['f39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'unknown-format'],
      ['0x123', 'wrong-length'],
      ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb922661', 'wrong-length'],
      ['0xg39fd6e51aad88f6f4ce6ab8827279cfffb92266', 'bad-hex'],
      ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267', 'bad-checksum'], // EIP-55 case mismatch
      ['0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266', 'bad-checksum'],
      ['one1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqquzw7vy', 'bad-checksum'], // last char changed
      ['one1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqquzw7vz', 'bad-checksum'], // 4 extra q's
      ['one17w0adeg64ky0daxwd2ugyuneellmjgnxvu4nqL', 'mixed-case'],
      ['one1bbbbbb', 'bad-bech32'],
      [bech32.encode('two', bech32.toWords(new Uint8Array(20))), 'unknown-format'],
      ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'unknown-format'],
      [bech32.encode('one', bech32.toWords(new Uint8Array(19))), 'wrong-length'],
      [bech32.encode('one', bech32.toWords(new Uint8Array(32))), 'wrong-length'],
    ];
    for (const [input, reason] of cases) {
      const e = expectError(() => parseAddress(input), 'ADDRESS_INVALID');
      assert.equal(e.details.reason, reason, `${input}: ${e.message}`);
      assert.match(e.message, /0x.*one1/);
      assert.equal(isValidAddress(input), false);
    }
    // fromOneAddress: wrong human-readable part that starts like "one"
    const e = expectError(() => fromOneAddress(bech32.encode('onex', bech32.toWords(new Uint8Array(20)))), 'ADDRESS_INVALID');
    assert.equal(e.details.reason, 'wrong-prefix');
    expectError(() => fromOneAddress('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'), 'ADDRESS_INVALID');
    expectError(() => parseAddress(undefined as unknown as string), 'ADDRESS_INVALID');
    expectError(() => toOneAddress('nope'), 'ADDRESS_INVALID');
  });
});

// ------------------------------------------------------------------ keys

describe('messaging keys', () => {
  it('the derivation message is scoped, readable and versioned', () => {
    const m = keyDerivationMessage({ chainId: CHAIN_ID, contract: CONTRACT.toLowerCase(), account: toOneAddress(alice.address) });
    assert.match(m, /Harmony Paid Chat/);
    assert.match(m, /Chain ID: 1666700000\n/);
    assert.ok(m.includes(`Contract: ${CONTRACT}\n`), 'contract is checksummed');
    assert.ok(m.includes(`Account: ${alice.address}\n`), 'account is checksummed hex even when given as one1');
    assert.match(m, /Only sign it on a site you trust/);
    assert.match(m, /unlocks your encrypted messages/);
    assert.match(m, /Version: 1$/);
    assert.match(m, /^[\x20-\x7e\n]+$/, 'ASCII only');
    assert.equal(keyDerivationMessage({ chainId: BigInt(CHAIN_ID), contract: CONTRACT, account: alice.address }), m);
    expectError(() => keyDerivationMessage({ chainId: 0, contract: CONTRACT, account: alice.address }), 'UNSUPPORTED_CHAIN');
    expectError(() => keyDerivationMessage({ chainId: CHAIN_ID, contract: 'x', account: alice.address }), 'ADDRESS_INVALID');
  });

  it('derivation is deterministic (viem local account signs twice)', async () => {
    const a = await keyFor(alice);
    const b = await keyFor(alice);
    assert.equal(a.signature, b.signature);
    assert.ok(a.key.equals(b.key));
    assert.equal(a.key.keyX, b.key.keyX);
    assert.equal(a.key.publicKey.length, 33);
    assert.ok(a.key.keyPrefix === 2 || a.key.keyPrefix === 3);
    assert.equal(a.key.publicKey[0], a.key.keyPrefix);
    assert.equal(bytesToHex(a.key.publicKey.subarray(1)), a.key.keyX);
    // secret = keccak256(r ‖ s_low): check by recomputing from the backup
    const sig = hexToBytes(a.signature);
    let s = BigInt(bytesToHex(sig.subarray(32, 64)));
    if (s > N / 2n) s = N - s;
    const expected = keccak256(new Uint8Array([...sig.subarray(0, 32), ...hexToBytes(`0x${s.toString(16).padStart(64, '0')}`)]));
    assert.equal(exportMessagingKey(a.key), `hpc-key-1:${expected.slice(2)}`);
  });

  it('the high-s variant and the compact form of the same signature give the same key', async () => {
    const { signature, key } = await keyFor(alice);
    const sig = hexToBytes(signature);
    const s = BigInt(bytesToHex(sig.subarray(32, 64)));
    assert.ok(s <= N / 2n, 'viem signs low-s');
    const highS = hexToBytes(`0x${(N - s).toString(16).padStart(64, '0')}`);
    const v = sig[64]!;
    const variant = new Uint8Array(65);
    variant.set(sig.subarray(0, 32), 0);
    variant.set(highS, 32);
    variant[64] = v === 27 ? 28 : 27;
    assert.notEqual(bytesToHex(variant), signature);
    assert.ok(deriveMessagingKey(bytesToHex(variant)).equals(key));
    // v as 0/1 (some hardware wallets) changes nothing
    const v01 = sig.slice();
    v01[64] = v - 27;
    assert.ok(deriveMessagingKey(bytesToHex(v01)).equals(key));
    // EIP-2098 compact: r ‖ (yParity << 255 | s)
    const compact = sig.slice(0, 64);
    if (v === 28) compact[32]! |= 0x80;
    assert.ok(deriveMessagingKey(bytesToHex(compact)).equals(key));
  });

  it('different account, chain or contract → different message → different key', async () => {
    const base = await keyFor(alice);
    const others = [
      await keyFor(bob),
      await keyFor(alice, 1666600000),
      await keyFor(alice, CHAIN_ID, '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'),
    ];
    for (const o of others) {
      assert.notEqual(o.message, base.message);
      assert.ok(!o.key.equals(base.key));
    }
  });

  it('malformed signatures give KEY_INVALID', () => {
    const r = '11'.repeat(32);
    const s = '22'.repeat(32);
    for (const bad of [
      'nope',
      '0x',
      `0x${r}${s}`.slice(0, 100),
      `0x${r}${s}1b00`,
      `0x${'00'.repeat(32)}${s}1b`, // r = 0
      `0x${r}${'00'.repeat(32)}1b`, // s = 0
      `0x${N.toString(16)}${s}1b`, // r = n
      `0x${r}${'ff'.repeat(32)}1b`, // s ≥ n
    ]) {
      expectError(() => deriveMessagingKey(bad as Hex), 'KEY_INVALID');
    }
  });

  it('the secret is not enumerable, not serialised, not shown', async () => {
    const { key } = await keyFor(alice);
    const secretHex = exportMessagingKey(key).slice('hpc-key-1:'.length);
    const json = JSON.stringify(key);
    assert.ok(!json.includes(secretHex));
    assert.deepEqual(JSON.parse(json), { publicKey: bytesToHex(key.publicKey), keyX: key.keyX, keyPrefix: key.keyPrefix });
    assert.ok(!inspect(key, { showHidden: true, depth: 5 }).includes(secretHex));
    assert.ok(!String(key).includes(secretHex));
    assert.ok(!JSON.stringify({ ...key }).includes(secretHex));
    assert.ok(!Object.getOwnPropertyNames(key).some((p) => /secret/i.test(p)));
    // publicKey is a copy: mutating it changes nothing
    key.publicKey.fill(0);
    assert.equal(key.publicKey[0], key.keyPrefix);
  });

  it('export / import round trip and import validation', async () => {
    const { key } = await keyFor(alice);
    const backup = exportMessagingKey(key);
    assert.match(backup, /^hpc-key-1:[0-9a-f]{64}$/);
    assert.ok(importMessagingKey(backup).equals(key));
    assert.ok(importMessagingKey(`  ${backup.toUpperCase().replace('HPC-KEY-1', 'hpc-key-1')}\n`).equals(key));
    const body = backup.slice(10);
    const cases: [string, string][] = [
      [body, 'not-a-key-backup'],
      [`hpc-key-2:${body}`, 'unknown-version'],
      [`hpc-key-1:${body.slice(0, 63)}z`, 'bad-hex'],
      [`hpc-key-1:${body.slice(0, 62)}`, 'bad-length'],
      [`hpc-key-1:${body}00`, 'bad-length'],
      [`hpc-key-1:${'0'.repeat(64)}`, 'bad-secret'],
      [`hpc-key-1:${N.toString(16)}`, 'bad-secret'],
    ];
    for (const [input, reason] of cases) {
      assert.equal(expectError(() => importMessagingKey(input), 'KEY_INVALID').details.reason, reason, input);
    }
    expectError(() => importMessagingKey(undefined as unknown as string), 'KEY_INVALID');
  });

  it('assertKeyMatches: ok for the registered key, KEY_MISMATCH otherwise, KEY_MISSING when none', async () => {
    const { key } = await keyFor(alice);
    const other = (await keyFor(bob)).key;
    assertKeyMatches(key, key.keyX, key.keyPrefix);
    assertKeyMatches(key, key.keyX.toUpperCase().replace('0X', '0x') as Hex, key.keyPrefix);
    const e = expectError(() => assertKeyMatches(key, other.keyX, other.keyPrefix), 'KEY_MISMATCH');
    assert.match(e.message, /different signature/);
    assert.match(e.message, /backup/);
    assert.match(e.message, /unreadable/);
    assert.equal(e.details.onChainKeyX, other.keyX);
    assert.equal(e.details.derivedKeyX, key.keyX);
    // same x, other prefix is a different key
    expectError(() => assertKeyMatches(key, key.keyX, key.keyPrefix === 2 ? 3 : 2), 'KEY_MISMATCH');
    expectError(() => assertKeyMatches(key, `0x${'00'.repeat(32)}`, 0), 'KEY_MISSING');
  });

  it('publicKeyFromChain rebuilds real points and rejects garbage', async () => {
    const { key } = await keyFor(alice);
    assert.deepEqual(publicKeyFromChain(key.keyX, key.keyPrefix), key.publicKey);
    // the other prefix is the negated point: valid, but a different key
    const flipped = publicKeyFromChain(key.keyX, key.keyPrefix === 2 ? 3 : 2);
    assert.notDeepEqual(flipped, key.publicKey);

    // an x with no point on the curve: x³ + 7 is a quadratic non-residue mod p
    let x = 1n;
    while (modPow((x ** 3n + 7n) % P, (P - 1n) / 2n, P) === 1n) x++;
    const notOnCurve = `0x${x.toString(16).padStart(64, '0')}` as Hex;
    for (const prefix of [2, 3]) {
      assert.equal(expectError(() => publicKeyFromChain(notOnCurve, prefix), 'KEY_INVALID').details.reason, 'not-a-point');
    }
    expectError(() => publicKeyFromChain(`0x${'ff'.repeat(32)}`, 2), 'KEY_INVALID'); // x ≥ p
    expectError(() => publicKeyFromChain(`0x${P.toString(16)}`, 2), 'KEY_INVALID'); // x = p
    expectError(() => publicKeyFromChain(key.keyX, 4), 'KEY_INVALID');
    expectError(() => publicKeyFromChain(key.keyX, 1), 'KEY_INVALID');
    expectError(() => publicKeyFromChain('0x1234', 2), 'KEY_INVALID');
    expectError(() => publicKeyFromChain(`0x${'00'.repeat(32)}`, 0), 'KEY_MISSING');
    // random garbage never throws anything but a PaidChatError
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 255 }), (b, prefix) => {
        try {
          const pk = publicKeyFromChain(bytesToHex(b), prefix);
          return pk.length === 33 && (prefix === 2 || prefix === 3);
        } catch (e) {
          return e instanceof PaidChatError && (e.code === 'KEY_INVALID' || e.code === 'KEY_MISSING');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('MessagingKey refuses invalid secrets', () => {
    expectError(() => new MessagingKey(new Uint8Array(32)), 'KEY_INVALID');
    expectError(() => new MessagingKey(new Uint8Array(31).fill(1)), 'KEY_INVALID');
    expectError(() => new MessagingKey(hexToBytes(`0x${N.toString(16)}`)), 'KEY_INVALID');
  });
});

// ------------------------------------------------------------------ envelopes

describe('envelopes', async () => {
  const A = await keyFor(alice); // author of messages, reader of replies
  const B = await keyFor(bob); // reader of messages, author of replies
  const C = await keyFor(carol); // third party
  const ctx: EnvelopeContext = { chainId: CHAIN_ID, contract: CONTRACT, author: alice.address, reader: bob.address };
  const REF = (7n << 32n) | 3n;
  const replyCtx: EnvelopeContext = { chainId: CHAIN_ID, contract: CONTRACT, author: bob.address, reader: alice.address, refId: REF };
  const TEXT = 'Hi! Can you review my pitch deck? 😀 中文 é';

  const seal = (text = TEXT) =>
    sealEnvelope({ kind: ENVELOPE_KIND_MESSAGE, text, authorKey: A.key, readerPublicKey: B.key.publicKey, context: ctx });
  const readerOpen = (envelope: Uint8Array | Hex, context: EnvelopeContext = ctx, otherPublicKey = A.key.publicKey) =>
    openEnvelope({ envelope, myKey: B.key, otherPublicKey, context, kind: ENVELOPE_KIND_MESSAGE });

  it('the reader decrypts; the author decrypts their own outbox', () => {
    const env = seal();
    assert.deepEqual(readerOpen(env), { text: TEXT, kind: ENVELOPE_KIND_MESSAGE, version: 1 });
    const mine = openEnvelope({ envelope: env, myKey: A.key, otherPublicKey: B.key.publicKey, context: ctx });
    assert.equal(mine.text, TEXT);
    assert.equal(readerOpen(bytesToHex(env)).text, TEXT, 'hex input');
    // the key registered on chain works the same as the in-memory public key
    assert.equal(readerOpen(env, ctx, publicKeyFromChain(A.key.keyX, A.key.keyPrefix)).text, TEXT);
  });

  it('wire format matches the spec (independent re-derivation)', () => {
    const env = seal();
    assert.equal(env[0], 0x01);
    assert.equal(env[1], 0x01);
    const info = new Uint8Array([
      ...new TextEncoder().encode('harmony-paid-chat/v1'),
      ...hexToBytes(`0x${BigInt(CHAIN_ID).toString(16).padStart(16, '0')}`),
      ...hexToBytes(CONTRACT),
      0x01,
      ...hexToBytes(alice.address),
      ...hexToBytes(bob.address),
      ...new Uint8Array(8),
    ]);
    assert.equal(info.length, 97);
    const secretB = hexToBytes(`0x${exportMessagingKey(B.key).slice(10)}`);
    const shared = getSharedPoint('secp256k1', secretB, A.key.publicKey, true);
    assert.equal(shared.length, 33);
    const key = deriveKey(shared, undefined, info);
    const cfg = new Config();
    cfg.symmetricAlgorithm = 'aes-256-gcm';
    cfg.symmetricNonceLength = 12;
    const plain = symDecrypt(cfg, key, env.subarray(2), env.subarray(0, 2));
    assert.equal(new TextDecoder().decode(plain), TEXT);
    // and a non-UTF-8 body sealed the same way is refused, not shown
    const badBody = symEncrypt(cfg, key, Uint8Array.from([0x61, 0xff, 0x62]), env.subarray(0, 2));
    const forged = new Uint8Array([1, 1, ...badBody]);
    assert.equal(expectError(() => readerOpen(forged), 'ENVELOPE_INVALID').details.reason, 'bad-utf8');
  });

  it('140 bytes of text → 170-byte envelope; sizes', () => {
    assert.equal(envelopeOverhead, 30);
    assert.equal(envelopeSize(140), 170);
    const text140 = '😀'.repeat(35);
    const env = seal(text140);
    assert.equal(env.length, 170);
    assert.ok(env.length <= 200);
    assert.equal(readerOpen(env).text, text140);
    assert.equal(seal('a').length, envelopeSize(1));
  });

  it('sealing checks the text first (MESSAGE_TOO_LONG / MESSAGE_EMPTY), even with bad keys', () => {
    const bad = { kind: ENVELOPE_KIND_MESSAGE as EnvelopeKind, authorKey: null as unknown as MessagingKey, readerPublicKey: new Uint8Array(3), context: {} as EnvelopeContext };
    expectError(() => sealEnvelope({ ...bad, text: 'a'.repeat(141) }), 'MESSAGE_TOO_LONG');
    expectError(() => sealEnvelope({ ...bad, text: '  ' }), 'MESSAGE_EMPTY');
  });

  it('each seal is fresh (random nonce)', () => {
    assert.notDeepEqual(seal(), seal());
  });

  it('a third party cannot read it', () => {
    const env = seal();
    for (const [myKey, other] of [
      [C.key, A.key.publicKey],
      [C.key, B.key.publicKey],
    ] as const) {
      expectError(() => openEnvelope({ envelope: env, myKey, otherPublicKey: other, context: ctx }), 'DECRYPT_FAILED');
    }
  });

  it('a wrong key fails', () => {
    const env = seal();
    expectError(() => readerOpen(env, ctx, C.key.publicKey), 'DECRYPT_FAILED');
    expectError(() => readerOpen(env, ctx, B.key.publicKey), 'DECRYPT_FAILED');
    expectError(() => openEnvelope({ envelope: env, myKey: A.key, otherPublicKey: A.key.publicKey, context: ctx }), 'DECRYPT_FAILED');
    expectError(() => readerOpen(env, ctx, new Uint8Array(33)), 'KEY_INVALID');
    expectError(() => readerOpen(env, ctx, new Uint8Array(10)), 'KEY_INVALID');
    expectError(() => openEnvelope({ envelope: env, myKey: undefined as unknown as MessagingKey, otherPublicKey: A.key.publicKey, context: ctx }), 'KEY_MISSING');
  });

  it('tampering with any byte class (header, nonce, tag, body) fails', () => {
    const env = seal();
    const classes: Record<string, number[]> = {
      header: [0, 1],
      nonce: [2, 7, 13],
      tag: [14, 20, 29],
      body: [30, 40, env.length - 1],
    };
    for (const [name, positions] of Object.entries(classes)) {
      for (const i of positions) {
        for (const bit of [0x01, 0x80]) {
          const t = env.slice();
          t[i]! ^= bit;
          const e = expectError(() => readerOpen(t), name === 'header' ? ['ENVELOPE_INVALID', 'DECRYPT_FAILED'] : 'DECRYPT_FAILED');
          assert.ok(e, `${name} byte ${i}`);
        }
      }
    }
    // header kind flipped to "reply": refused before decryption without an expected kind too
    const asReply = env.slice();
    asReply[1] = ENVELOPE_KIND_REPLY;
    assert.equal(expectError(() => readerOpen(asReply), 'ENVELOPE_INVALID').details.reason, 'kind-mismatch');
    assert.equal(
      expectError(() => openEnvelope({ envelope: asReply, myKey: B.key, otherPublicKey: A.key.publicKey, context: ctx }), 'ENVELOPE_INVALID').details.reason,
      'kind-mismatch',
    );
    // ...and even when the caller claims it is a reply to something, decryption fails
    expectError(
      () => openEnvelope({ envelope: asReply, myKey: B.key, otherPublicKey: A.key.publicKey, context: { ...ctx, refId: REF } }),
      'DECRYPT_FAILED',
    );
  });

  it('truncated envelopes fail at every length', () => {
    const env = seal();
    for (let n = 0; n < env.length; n++) {
      const e = expectError(() => readerOpen(env.slice(0, n)), ['ENVELOPE_INVALID', 'DECRYPT_FAILED']);
      if (n <= envelopeOverhead) assert.equal(e.code, 'ENVELOPE_INVALID', `length ${n}`);
    }
    assert.equal(expectError(() => readerOpen(new Uint8Array(0)), 'ENVELOPE_INVALID').details.reason, 'empty');
    assert.equal(expectError(() => readerOpen(env.slice(0, 30)), 'ENVELOPE_INVALID').details.reason, 'truncated');
    assert.equal(expectError(() => readerOpen(env.slice(0, 1)), 'ENVELOPE_INVALID').details.reason, 'truncated');
  });

  it('too long, unknown version, reserved / unknown kind → ENVELOPE_INVALID', () => {
    const env = seal();
    const long = new Uint8Array(MAX_ENVELOPE_BYTES + 1);
    long.set(env);
    assert.equal(expectError(() => readerOpen(long), 'ENVELOPE_INVALID').details.reason, 'too-long');
    assert.equal(expectError(() => readerOpen(bytesToHex(long)), 'ENVELOPE_INVALID').details.reason, 'too-long');
    const over = new Uint8Array(171);
    over.set(env);
    assert.equal(expectError(() => readerOpen(over), 'ENVELOPE_INVALID').details.reason, 'text-too-long');
    for (const v of [0x00, 0x02, 0xff]) {
      const t = env.slice();
      t[0] = v;
      const e = expectError(() => readerOpen(t), 'ENVELOPE_INVALID');
      assert.equal(e.details.reason, 'unknown-version');
      if (v === 2) assert.match(e.message, /Update the app/);
    }
    const reserved = env.slice();
    reserved[1] = 0x03;
    assert.equal(expectError(() => readerOpen(reserved), 'ENVELOPE_INVALID').details.reason, 'reserved-kind');
    const unknown = env.slice();
    unknown[1] = 0x7f;
    assert.equal(expectError(() => readerOpen(unknown), 'ENVELOPE_INVALID').details.reason, 'unknown-kind');
    assert.equal(expectError(() => readerOpen('0xzz' as Hex), 'ENVELOPE_INVALID').details.reason, 'not-bytes');
    assert.equal(expectError(() => readerOpen('0x123' as Hex), 'ENVELOPE_INVALID').details.reason, 'not-bytes');
    assert.equal(expectError(() => readerOpen(42 as unknown as Hex), 'ENVELOPE_INVALID').details.reason, 'not-bytes');
  });

  it('a ciphertext copied into someone else\'s transaction fails', () => {
    const env = seal();
    // Carol posts Alice's envelope to Bob from her own account: on chain the author is Carol.
    const copied = { ...ctx, author: carol.address };
    expectError(() => readerOpen(env, copied, C.key.publicKey), 'DECRYPT_FAILED');
    expectError(() => readerOpen(env, copied, A.key.publicKey), 'DECRYPT_FAILED');
    // Alice's envelope for Bob re-sent to Carol
    expectError(
      () => openEnvelope({ envelope: env, myKey: C.key, otherPublicKey: A.key.publicKey, context: { ...ctx, reader: carol.address } }),
      'DECRYPT_FAILED',
    );
    // other chain, other contract, swapped roles
    expectError(() => readerOpen(env, { ...ctx, chainId: 1666600000 }), 'DECRYPT_FAILED');
    expectError(() => readerOpen(env, { ...ctx, contract: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' }), 'DECRYPT_FAILED');
    expectError(() => readerOpen(env, { ...ctx, author: bob.address, reader: alice.address }), 'DECRYPT_FAILED');
  });

  it('replies: sealed by the recipient, read by both, bound to the message id', () => {
    const reply = sealEnvelope({ kind: ENVELOPE_KIND_REPLY, text: 'Sure — send it over.', authorKey: B.key, readerPublicKey: A.key.publicKey, context: replyCtx });
    assert.equal(reply[1], 0x02);
    const forSender = openEnvelope({ envelope: reply, myKey: A.key, otherPublicKey: B.key.publicKey, context: replyCtx, kind: ENVELOPE_KIND_REPLY });
    assert.deepEqual(forSender, { text: 'Sure — send it over.', kind: ENVELOPE_KIND_REPLY, version: 1 });
    assert.equal(openEnvelope({ envelope: reply, myKey: B.key, otherPublicKey: A.key.publicKey, context: replyCtx }).text, 'Sure — send it over.');
    // kind may also be given in the context
    assert.equal(openEnvelope({ envelope: reply, myKey: A.key, otherPublicKey: B.key.publicKey, context: { ...replyCtx, kind: ENVELOPE_KIND_REPLY } }).text, 'Sure — send it over.');
    // moved to another message id
    for (const refId of [REF + 1n, REF - 1n, 1n, (8n << 32n) | 3n]) {
      expectError(() => openEnvelope({ envelope: reply, myKey: A.key, otherPublicKey: B.key.publicKey, context: { ...replyCtx, refId }, kind: ENVELOPE_KIND_REPLY }), 'DECRYPT_FAILED');
    }
    // read as a first message
    assert.equal(
      expectError(() => openEnvelope({ envelope: reply, myKey: A.key, otherPublicKey: B.key.publicKey, context: replyCtx, kind: ENVELOPE_KIND_MESSAGE }), 'ENVELOPE_INVALID').details.reason,
      'kind-mismatch',
    );
    expectError(() => openEnvelope({ envelope: reply, myKey: A.key, otherPublicKey: B.key.publicKey, context: { ...replyCtx, refId: undefined } }), 'ENVELOPE_INVALID');
    // sealing needs a refId for replies and refuses one for messages
    expectError(() => sealEnvelope({ kind: ENVELOPE_KIND_REPLY, text: 'x', authorKey: B.key, readerPublicKey: A.key.publicKey, context: { ...replyCtx, refId: undefined } }), 'ENVELOPE_INVALID');
    expectError(() => sealEnvelope({ kind: ENVELOPE_KIND_REPLY, text: 'x', authorKey: B.key, readerPublicKey: A.key.publicKey, context: { ...replyCtx, refId: 0n } }), 'ENVELOPE_INVALID');
    expectError(() => sealEnvelope({ kind: ENVELOPE_KIND_MESSAGE, text: 'x', authorKey: A.key, readerPublicKey: B.key.publicKey, context: { ...ctx, refId: 5n } }), 'ENVELOPE_INVALID');
    expectError(() => sealEnvelope({ kind: 3 as never, text: 'x', authorKey: A.key, readerPublicKey: B.key.publicKey, context: ctx }), 'ENVELOPE_INVALID');
    expectError(() => sealEnvelope({ kind: ENVELOPE_KIND_REPLY, text: 'x', authorKey: B.key, readerPublicKey: A.key.publicKey, context: { ...replyCtx, refId: -1n } }), 'ENVELOPE_INVALID');
    expectError(() => sealEnvelope({ kind: ENVELOPE_KIND_REPLY, text: 'x', authorKey: B.key, readerPublicKey: A.key.publicKey, context: { ...replyCtx, refId: 1n << 64n } }), 'ENVELOPE_INVALID');
  });

  it('one1 addresses in the context are the same as 0x', () => {
    const env = seal();
    const oneCtx = { ...ctx, contract: toOneAddress(CONTRACT), author: toOneAddress(alice.address), reader: bob.address.toLowerCase() };
    assert.equal(readerOpen(env, oneCtx).text, TEXT);
    expectError(() => readerOpen(env, { ...ctx, author: 'one1nope' }), 'ADDRESS_INVALID');
    expectError(() => readerOpen(env, { ...ctx, chainId: -1 }), 'UNSUPPORTED_CHAIN');
  });

  it('hostile random bytes only ever produce PaidChatError', () => {
    const env = seal();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.boolean(), (bytes, keepHeader) => {
        const input = keepHeader && bytes.length >= 2 ? new Uint8Array([1, 1, ...bytes.subarray(2)]) : bytes;
        try {
          readerOpen(input);
          return false; // a forgery would be a failure
        } catch (e) {
          return e instanceof PaidChatError && (e.code === 'ENVELOPE_INVALID' || e.code === 'DECRYPT_FAILED');
        }
      }),
      { numRuns: 500 },
    );
    // splices of a real envelope too
    fc.assert(
      fc.property(fc.integer({ min: 0, max: env.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const t = env.slice();
        t[i]! ^= x;
        try {
          readerOpen(t);
          return false;
        } catch (e) {
          return e instanceof PaidChatError;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is fast: seal + open 500 times (cached ECDH) and 20 fresh key pairs', () => {
    const text = 'a'.repeat(140);
    let t0 = performance.now();
    for (let i = 0; i < 500; i++) readerOpen(seal(text));
    const warm = (performance.now() - t0) / 500;
    t0 = performance.now();
    for (let i = 1; i <= 20; i++) {
      const k = new MessagingKey(hexToBytes(keccak256(new Uint8Array([i]))));
      const e = sealEnvelope({ kind: ENVELOPE_KIND_MESSAGE, text, authorKey: k, readerPublicKey: B.key.publicKey, context: ctx });
      openEnvelope({ envelope: e, myKey: B.key, otherPublicKey: k.publicKey, context: ctx });
    }
    const cold = (performance.now() - t0) / 20;
    console.log(`# seal+open: ${warm.toFixed(3)} ms warm, ${cold.toFixed(3)} ms with new keys (incl. key creation)`);
    assert.ok(warm < 5, `seal+open took ${warm} ms`);
    assert.ok(cold < 50, `cold seal+open took ${cold} ms`);
  });
});
