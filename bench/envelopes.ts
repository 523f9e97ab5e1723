/** Real envelopes (the SDK's format) of the sizes the benchmarks need. */
import { bytesToHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { deriveMessagingKey, keyDerivationMessage } from '../src/sdk/keys.js';
import { sealEnvelope, ENVELOPE_KIND_MESSAGE, ENVELOPE_KIND_REPLY } from '../src/sdk/envelope.js';

const k = async (pk: Hex, chainId: number, contract: Address) => {
  const account = privateKeyToAccount(pk);
  return deriveMessagingKey(await account.signMessage({ message: keyDerivationMessage({ chainId, contract, account: account.address }) }));
};

export async function benchEnvelopes(chainId: number, contract: Address, sender: Address, recipient: Address) {
  const a = await k('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', chainId, contract);
  const b = await k('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a', chainId, contract);
  const text140 = 'x'.repeat(140);
  const ctx = { chainId, contract, author: sender, reader: recipient };
  return {
    message140: bytesToHex(sealEnvelope({ kind: ENVELOPE_KIND_MESSAGE, text: text140, authorKey: a, readerPublicKey: b.publicKey, context: ctx })),
    replyOk: bytesToHex(
      sealEnvelope({ kind: ENVELOPE_KIND_REPLY, text: 'OK', authorKey: b, readerPublicKey: a.publicKey, context: { ...ctx, author: recipient, reader: sender, refId: 1n } }),
    ),
    reply140: bytesToHex(
      sealEnvelope({ kind: ENVELOPE_KIND_REPLY, text: text140, authorKey: b, readerPublicKey: a.publicKey, context: { ...ctx, author: recipient, reader: sender, refId: 1n } }),
    ),
  };
}
