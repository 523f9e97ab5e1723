/**
 * Fills a conversation with follow-ups from both sides, fast: sealed by the SDK, sent as raw
 * transactions from anvil's dev keys with consecutive nonces (not waiting for each). Used where a
 * long conversation is the fixture, not the subject: the SDK test and bench of conversation pages.
 */
import { encodeFunctionData, hexToBytes, type Address, type Hex } from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { ENVELOPE_KIND, sealEnvelope } from '../../src/sdk/envelope.js';
import { generateMessagingKey, type MessagingKey } from '../../src/sdk/keys.js';
import { GAS_PRICE, type TestChain } from './chain.js';

/** Sends raw transactions to PaidChat from dev account `i` with consecutive nonces, without waiting for each. */
export function rawSender(tc: TestChain, i: number) {
  let nonce: number | undefined;
  return async (functionName: string, args: readonly unknown[], value = 0n): Promise<Hex> => {
    nonce ??= await tc.publicClient.getTransactionCount({ address: tc.accounts[i]!.address, blockTag: 'pending' });
    return tc.wallet(i).sendTransaction({
      to: tc.contract,
      data: encodeFunctionData({ abi: paidChatAbi, functionName: functionName as any, args: args as any }),
      value,
      nonce: nonce++,
      gas: 300_000n,
      type: 'legacy',
      gasPrice: GAS_PRICE,
    } as any);
  };
}

/**
 * Posts `count` follow-ups (`follow-up 0` … , visitor first, alternating) into the conversation of
 * the replied paid message `first`, and waits for the last. The visitor's follow-ups are sealed with
 * a second conversation key of theirs (the creator reads each by the key it carries); the creator's
 * to the visitor's conversation key, read from `first`'s envelope.
 */
export async function fillConversation(
  tc: TestChain,
  o: {
    first: { id: bigint; thread: number; blockNumber: bigint };
    visitorIndex: number;
    creatorIndex: number;
    creator: { address: Address; keyId: number; publicKey: Uint8Array; key: MessagingKey };
    count: number;
  },
): Promise<void> {
  const [sentLog] = (await tc.publicClient.getContractEvents({
    address: tc.contract,
    abi: paidChatAbi,
    eventName: 'MessageSent',
    args: { id: o.first.id },
    fromBlock: o.first.blockNumber,
    toBlock: o.first.blockNumber,
  })) as any[];
  const visitorPublic = hexToBytes(sentLog.args.envelope).slice(6, 38);
  const { key: visitorKey } = await generateMessagingKey();
  const visitor = tc.accounts[o.visitorIndex]!.address as Address;
  const sendV = rawSender(tc, o.visitorIndex);
  const sendC = rawSender(tc, o.creatorIndex);
  let last: Hex | undefined;
  for (let n = 0; n < o.count; n++) {
    const byVisitor = n % 2 === 0;
    const env = await sealEnvelope({
      kind: byVisitor ? ENVELOPE_KIND.visitorFollowUp : ENVELOPE_KIND.creatorFollowUp,
      text: `follow-up ${n}`,
      authorKey: byVisitor ? visitorKey : o.creator.key,
      readerPublicKey: byVisitor ? o.creator.publicKey : visitorPublic,
      keyId: o.creator.keyId,
      context: {
        chainId: tc.chain.id,
        contract: tc.contract,
        author: byVisitor ? visitor : o.creator.address,
        reader: byVisitor ? o.creator.address : visitor,
        ref: BigInt(o.first.thread),
      },
    });
    last = await (byVisitor ? sendV : sendC)('postFollowUp', [o.first.id, `0x${Buffer.from(env).toString('hex')}`]);
  }
  if (last) await tc.publicClient.waitForTransactionReceipt({ hash: last });
}
