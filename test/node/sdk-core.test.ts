/**
 * The SDK's pure basics: text rules, handles and addresses. No chain, no DOM.
 * Keys, backups and envelopes: sdk-keys.test.ts and sdk-envelope.test.ts.
 * Run: node --import tsx --test test/node/sdk-core.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { bech32 } from '@scure/base';
import { bytesToHex, stringToHex } from 'viem';


import { PaidChatError, type PaidChatErrorCode } from '../../src/sdk/errors.js';
import { MAX_MESSAGE_BYTES, decodeMessageText, encodeMessageText, utf8Length } from '../../src/sdk/text.js';
import { bytes32ToHandle, formatHandle, handleToBytes32, isValidHandle, normalizeHandle } from '../../src/sdk/handles.js';
import { fromOneAddress, isValidAddress, parseAddress, shortAddress, toOneAddress } from '../../src/sdk/address.js';

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

