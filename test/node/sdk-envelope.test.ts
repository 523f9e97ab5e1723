/**
 * Envelope format 2: the known-answer vectors (test/vectors/envelopes.json) checked against the SDK
 * AND against an independent implementation on Node's own crypto (OpenSSL: X25519, HKDF, AES-GCM),
 * plus the properties the format promises. No chain.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { PaidChatError } from '../../src/sdk/errors.js';
import { expectCode } from '../support/expect-error.js';
import {
  ENVELOPE_BYTES,
  ENVELOPE_KIND,
  openEnvelope,
  readEnvelopeHeader,
  sealEnvelope,
  type EnvelopeKind,
} from '../../src/sdk/envelope.js';
import { generateMessagingKey, messagingKeyFromSecret, MessagingKey } from '../../src/sdk/keys.js';
import { vectorsText, type NegativeVector, type PositiveVector } from '../../scripts/vectors.js';

const file = JSON.parse(readFileSync('test/vectors/envelopes.json', 'utf8')) as { positive: PositiveVector[]; negative: NegativeVector[] };


// -------------------------------------------------------------- an independent implementation

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function x25519Node(secret: Hex, pub: Hex): Buffer {
  const s = hexToBytes(secret);
  const p = hexToBytes(pub);
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64u(s), x: b64u(p) } as any, format: 'jwk' });
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(p) } as any, format: 'jwk' });
  return diffieHellman({ privateKey, publicKey });
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

/** Builds the envelope from the vector's inputs with node:crypto only. */
function independentSeal(v: PositiveVector): Buffer {
  const byVisitor = v.kind === 1 || v.kind === 3;
  const shared = byVisitor ? x25519Node(v.visitorSecret, v.creatorPublic) : x25519Node(v.creatorSecret, v.visitorPublic);
  const info = Buffer.concat([
    Buffer.from('harmony-paid-chat/v2'),
    u64(BigInt(v.chainId)),
    Buffer.from(v.contract.slice(2), 'hex'),
    Buffer.from([v.kind]),
    Buffer.from(v.author.slice(2), 'hex'),
    Buffer.from(v.reader.slice(2), 'hex'),
    u64(BigInt(v.ref)),
  ]);
  assert.equal(`0x${info.toString('hex')}`, v.info, 'info');
  const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.from(v.salt.slice(2), 'hex'), info, 44));
  const keyId = Buffer.alloc(4);
  keyId.writeUInt32BE(v.keyId);
  const header = Buffer.concat([Buffer.from([2, v.kind]), keyId, Buffer.from(v.visitorPublic.slice(2), 'hex'), Buffer.from(v.salt.slice(2), 'hex')]);
  const text = Buffer.from(v.text, 'utf8');
  const padded = Buffer.alloc(141);
  padded[0] = text.length;
  text.copy(padded, 1);
  const c = createCipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32, 44));
  c.setAAD(header);
  return Buffer.concat([header, c.update(padded), c.final(), c.getAuthTag()]);
}

function independentOpen(v: PositiveVector, envelope: Buffer): string {
  const shared = x25519Node(v.creatorSecret, v.visitorPublic);
  const okm = Buffer.from(hkdfSync('sha256', shared, envelope.subarray(38, 54), Buffer.from(v.info.slice(2), 'hex'), 44));
  const d = createDecipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32, 44));
  d.setAAD(envelope.subarray(0, 54));
  d.setAuthTag(envelope.subarray(envelope.length - 16));
  const padded = Buffer.concat([d.update(envelope.subarray(54, envelope.length - 16)), d.final()]);
  return padded.subarray(1, 1 + padded[0]!).toString('utf8');
}

// -------------------------------------------------------------- vectors

async function keysOf(v: PositiveVector) {
  return {
    visitor: await messagingKeyFromSecret(hexToBytes(v.visitorSecret)),
    creator: await messagingKeyFromSecret(hexToBytes(v.creatorSecret)),
  };
}

describe('known-answer vectors (test/vectors/envelopes.json)', () => {
  it('the committed file is what scripts/vectors.ts generates', async () => {
    assert.equal(readFileSync('test/vectors/envelopes.json', 'utf8'), await vectorsText());
  });

  it('has every kind, 1- and 140-byte texts, and 17 negative cases', () => {
    assert.deepEqual([...new Set(file.positive.map((v) => v.kind))].sort(), [1, 2, 3, 4]);
    assert.ok(file.positive.some((v) => v.textBytes === 1) && file.positive.some((v) => v.textBytes === 140));
    assert.ok(file.negative.length >= 17);
  });

  for (const v of file.positive) {
    it(`${v.description}: an independent implementation (node:crypto) produces the same envelope and reads it`, () => {
      const env = independentSeal(v);
      assert.equal(`0x${env.toString('hex')}`, v.envelope);
      assert.equal(x25519Node(v.visitorSecret, v.creatorPublic).toString('hex'), v.shared.slice(2));
      assert.equal(x25519Node(v.creatorSecret, v.visitorPublic).toString('hex'), v.shared.slice(2));
      assert.equal(independentOpen(v, env), v.text);
    });

    it(`${v.description}: the SDK seals the same bytes and both parties open them`, async () => {
      const { visitor, creator } = await keysOf(v);
      const byVisitor = v.kind === 1 || v.kind === 3;
      const context = { chainId: v.chainId, contract: v.contract, author: v.author, reader: v.reader, ref: BigInt(v.ref) };
      const env = await sealEnvelope({
        kind: v.kind,
        text: v.text,
        authorKey: byVisitor ? visitor : creator,
        readerPublicKey: hexToBytes(byVisitor ? v.creatorPublic : v.visitorPublic),
        keyId: v.keyId,
        context,
        salt: hexToBytes(v.salt),
      });
      assert.equal(bytesToHex(env), v.envelope);
      assert.equal(env.length, ENVELOPE_BYTES);
      const header = readEnvelopeHeader(v.envelope);
      assert.equal(header.keyId, v.keyId);
      assert.equal(bytesToHex(header.conversationKey), v.visitorPublic);
      for (const [myKey, other] of [
        [visitor, hexToBytes(v.creatorPublic)],
        [creator, hexToBytes(v.visitorPublic)],
      ] as const) {
        assert.equal((await openEnvelope({ envelope: v.envelope, kind: v.kind, myKey, otherPublicKey: other, context })).text, v.text);
      }
    });
  }

  for (const n of file.negative) {
    it(`refused: ${n.description} → ${n.code}${n.reason ? ` (${n.reason})` : ''}`, async () => {
      const v = file.positive[n.base]!;
      const { visitor, creator } = await keysOf(v);
      const context = {
        chainId: v.chainId,
        contract: v.contract,
        author: n.context?.author ?? v.author,
        reader: n.context?.reader ?? v.reader,
        ref: BigInt(n.context?.ref ?? v.ref),
      };
      const asCreator = n.opener === 'creator';
      await expectCode(
        openEnvelope({
          envelope: n.envelope,
          kind: n.context?.kind ?? v.kind,
          myKey: asCreator ? creator : visitor,
          otherPublicKey: hexToBytes(asCreator ? v.visitorPublic : v.creatorPublic),
          context,
        }),
        n.code,
        n.reason,
      );
    });
  }
});

// -------------------------------------------------------------- properties

const CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const V = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const C = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

describe('envelope properties', async () => {
  const { key: visitor } = await generateMessagingKey();
  const { key: creator } = await generateMessagingKey();
  const { key: stranger } = await generateMessagingKey();
  const ctx = { chainId: 31337, contract: CONTRACT, author: V, reader: C };
  const seal = (text: string) => sealEnvelope({ kind: ENVELOPE_KIND.message, text, authorKey: visitor, readerPublicKey: creator.publicKey, keyId: 1, context: ctx });

  it('a 1-byte and a 140-byte text give envelopes of the same size (211)', async () => {
    assert.equal((await seal('a')).length, 211);
    assert.equal((await seal('b'.repeat(140))).length, 211);
    assert.equal((await seal('😀'.repeat(35))).length, 211);
  });

  it('every envelope has its own salt (so its own key), even for the same text', async () => {
    const salts = new Set<string>();
    for (let i = 0; i < 50; i++) salts.add(bytesToHex(readEnvelopeHeader(await seal('same')).salt));
    assert.equal(salts.size, 50);
  });

  it('the text rules are checked before anything else (141 bytes, blank)', async () => {
    await expectCode(seal('x'.repeat(141)), 'MESSAGE_TOO_LONG');
    await expectCode(seal('   '), 'MESSAGE_EMPTY');
  });

  it('a third party with its own key cannot open it; a wrong context cannot either', async () => {
    const env = await seal('secret');
    await expectCode(openEnvelope({ envelope: env, kind: 1, myKey: stranger, otherPublicKey: visitor.publicKey, context: ctx }), 'DECRYPT_FAILED');
    await expectCode(openEnvelope({ envelope: env, kind: 1, myKey: creator, otherPublicKey: visitor.publicKey, context: { ...ctx, chainId: 1 } }), 'DECRYPT_FAILED');
    await expectCode(openEnvelope({ envelope: env, kind: 1, myKey: creator, otherPublicKey: visitor.publicKey, context: { ...ctx, contract: C } }), 'DECRYPT_FAILED');
    assert.equal((await openEnvelope({ envelope: env, kind: 1, myKey: creator, otherPublicKey: visitor.publicKey, context: ctx })).text, 'secret');
  });

  it('low-order and zero public keys are refused (KEY_INVALID), never an all-zero secret', async () => {
    const lowOrder = [
      '0x0000000000000000000000000000000000000000000000000000000000000000',
      '0x0100000000000000000000000000000000000000000000000000000000000000',
      '0xe0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '0x5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      '0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ] as Hex[];
    for (const pk of lowOrder) await expectCode(visitor.agree(hexToBytes(pk)), 'KEY_INVALID');
  });

  it('hostile bytes (any length, any content) only ever give a PaidChatError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 330 }), fc.boolean(), async (bytes, valid) => {
        const env = valid && bytes.length >= 2 ? Uint8Array.from([2, 1, ...bytes.slice(2)]) : bytes;
        try {
          await openEnvelope({ envelope: env, kind: 1, myKey: creator, otherPublicKey: visitor.publicKey, context: ctx });
          assert.fail('random bytes opened');
        } catch (e) {
          assert.ok(e instanceof PaidChatError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keys: the private half is not enumerable, serialised or shown; non-extractable keys stay so', async () => {
    const { key } = await generateMessagingKey({ extractable: false });
    assert.deepEqual(Object.keys(key), []);
    assert.equal(JSON.stringify(key), JSON.stringify({ publicKey: key.publicKeyHex }));
    assert.ok(!String(key).includes('private'));
    assert.equal(key.extractable, false);
    await expectCode(key.exportSecret(), 'KEY_NOT_EXTRACTABLE');
    const k2 = await messagingKeyFromSecret(new Uint8Array(32).fill(7), { extractable: true });
    assert.deepEqual(await k2.exportSecret(), new Uint8Array(32).fill(7));
    assert.ok(k2 instanceof MessagingKey);
  });

  it('sealing checks kind, key id and context', async () => {
    const base = { text: 'x', authorKey: visitor, readerPublicKey: creator.publicKey, keyId: 1, context: ctx };
    await expectCode(sealEnvelope({ ...base, kind: 9 as EnvelopeKind }), 'ENVELOPE_INVALID', 'unknown-kind');
    await expectCode(sealEnvelope({ ...base, kind: 1, keyId: 0 }), 'KEY_NOT_FOUND');
    await expectCode(sealEnvelope({ ...base, kind: 2 }), 'ENVELOPE_INVALID', 'bad-context'); // a reply needs ref
    await expectCode(sealEnvelope({ ...base, kind: 1, context: { ...ctx, ref: 5n } }), 'ENVELOPE_INVALID', 'bad-context');
    await expectCode(sealEnvelope({ ...base, kind: 1, context: { ...ctx, author: '0x1234' } }), 'ADDRESS_INVALID');
  });
});
