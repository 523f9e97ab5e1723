/**
 * Receipt gas of the contract's operations on anvil with Istanbul rules, the real contract and
 * real envelopes. Writes bench/out/gas.json.
 */
import { stringToHex, type Hex } from 'viem';
import { startTestChain, writePaidChat, ONE } from '../test/support/chain.js';
import { report } from './lib.js';
import { benchEnvelopes } from './envelopes.js';

const LOWER_BOUND_SEND = 56_800;

export async function runGasBench() {
  const tc = await startTestChain();
  try {
    const { contract } = tc;
    const env = await benchEnvelopes(tc.chain.id, contract, tc.accounts[2].address, tc.accounts[1].address);
    const tx = (i: number, functionName: string, args: readonly unknown[], value = 0n) => writePaidChat(tc, i, functionName, args, value);
    const key = (i: number): [Hex, number] => [stringToHex(`key-${i}`, { size: 32 }), 2];
    const week = 7 * 24 * 3600;

    const claim = await tx(1, 'claimHandle', [stringToHex('satoshi', { size: 32 }), ONE(10), 0, ...key(1)]);
    // A first-time sender registers its key in the same transaction as its first message.
    const firstSend = await tx(2, 'registerKeyAndSend', [...key(2), tc.accounts[1].address, week, env.message140], ONE(10));
    const send = await tx(2, 'sendMessage', [tc.accounts[1].address, week, env.message140], ONE(10));
    const inboxId = (i: number) => (1n << 32n) | BigInt(i); // satoshi is account number 1
    const replyOk = await tx(1, 'reply', [inboxId(0), env.replyOk]);
    const reply140 = await tx(1, 'reply', [inboxId(1), env.reply140]);
    // Refunds: one single, then a batch of ten.
    await tx(2, 'sendMessage', [tc.accounts[1].address, week, env.message140], ONE(10));
    for (let i = 0; i < 10; i++) await tx(2, 'sendMessage', [tc.accounts[1].address, week, env.message140], ONE(10));
    await tc.increaseTime(week);
    const refund = await tx(3, 'refund', [inboxId(2)]);
    const batch = await tx(3, 'refundMany', [Array.from({ length: 10 }, (_, i) => inboxId(3 + i))]);

    const g = (r: { gasUsed: bigint }) => Number(r.gasUsed);
    const result = {
      envelopeBytes140: env.message140.length / 2 - 1,
      claimHandle: g(claim),
      registerKeyAndSend: g(firstSend),
      sendMessage: g(send),
      replyOk: g(replyOk),
      reply140: g(reply140),
      reply: g(replyOk),
      refund: g(refund),
      refundManyPerMessage: Math.round(g(batch) / 10),
      sendToLowerBoundRatio: +(g(send) / LOWER_BOUND_SEND).toFixed(3),
    };
    report(
      'gas',
      [
        { metric: 'claimHandle', value: result.claimHandle, note: 'includes key registration' },
        { metric: `sendMessage (${result.envelopeBytes140}-byte envelope)`, value: result.sendMessage, bar: '≤ 100k (aim 80k)' },
        { metric: 'registerKeyAndSend (first send)', value: result.registerKeyAndSend },
        { metric: 'reply ("OK")', value: result.replyOk, bar: '≤ 50k' },
        { metric: 'reply (140-byte text)', value: result.reply140, bar: '≤ 50k' },
        { metric: 'refund', value: result.refund, bar: '≤ 35k' },
        { metric: 'refundMany per message (10 ids)', value: result.refundManyPerMessage },
        { metric: 'send / 56.8k lower bound', value: result.sendToLowerBoundRatio },
      ],
      result,
    );
    return result;
  } finally {
    await tc.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runGasBench();
