/** Real envelopes (the SDK's format 2) of the sizes the benchmarks need, with fixed test keys. */
import { bytesToHex, type Address, type Hex } from 'viem';
import { ENVELOPE_KIND, sealEnvelope } from '../src/sdk/envelope.js';
import { messagingKeyFromSecret, type MessagingKey } from '../src/sdk/keys.js';

/** A fixed key pair for benches (never for real use). */
export const benchKey = (label: number): Promise<MessagingKey> => messagingKeyFromSecret(new Uint8Array(32).fill(label), { extractable: true });

/** Envelopes from `visitor` to `creator` (whose current inbox key is `keyId`, made with `benchKey(creatorLabel)`). */
export async function benchEnvelopes(chainId: number, contract: Address, visitor: Address, creator: Address, opts: { keyId?: number; creatorLabel?: number } = {}) {
  const a = await benchKey(7);
  const b = await benchKey(opts.creatorLabel ?? 9);
  const keyId = opts.keyId ?? 1;
  const ctx = { chainId, contract };
  const hex = async (p: Promise<Uint8Array>): Promise<Hex> => bytesToHex(await p);
  const toCreator = (text: string, kind: typeof ENVELOPE_KIND.message | typeof ENVELOPE_KIND.visitorFollowUp, ref = 0n) =>
    hex(sealEnvelope({ kind, text, authorKey: a, readerPublicKey: b.publicKey, keyId, context: { ...ctx, author: visitor, reader: creator, ref } }));
  const toVisitor = (text: string, kind: typeof ENVELOPE_KIND.reply | typeof ENVELOPE_KIND.creatorFollowUp, ref: bigint) =>
    hex(sealEnvelope({ kind, text, authorKey: b, readerPublicKey: a.publicKey, keyId, context: { ...ctx, author: creator, reader: visitor, ref } }));
  const text140 = 'x'.repeat(140);
  return {
    visitorKey: a,
    creatorKey: b,
    message1: await toCreator('x', ENVELOPE_KIND.message),
    message140: await toCreator(text140, ENVELOPE_KIND.message),
    reply: (id: bigint, text = 'OK') => toVisitor(text, ENVELOPE_KIND.reply, id),
    visitorFollowUp: (thread: number, text = text140) => toCreator(text, ENVELOPE_KIND.visitorFollowUp, BigInt(thread)),
    creatorFollowUp: (thread: number, text = text140) => toVisitor(text, ENVELOPE_KIND.creatorFollowUp, BigInt(thread)),
  };
}
