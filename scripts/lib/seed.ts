/**
 * Seeds a local chain with the demo story: @satoshi (10 ONE, 7 days) and messages in every state —
 * waiting, replied, refundable and refunded — sent and decrypted through the real SDK.
 */
import { createWalletClient, http, type Address, type Chain } from 'viem';
import type { HDAccount } from 'viem/accounts';
import { createPaidChat } from '../../src/sdk/index.js';

export interface SeedResult {
  satoshi: Address;
  admirers: Address[];
  states: Record<'waiting' | 'replied' | 'refundable' | 'refunded', number>;
}

export async function seedDemo(opts: {
  chain: Chain;
  rpcUrl: string;
  contract: Address;
  accounts: HDAccount[];
  increaseTime: (seconds: number) => Promise<void>;
}): Promise<SeedResult> {
  const chat = (i: number) =>
    createPaidChat({
      chain: opts.chain,
      rpcUrl: opts.rpcUrl,
      contract: opts.contract,
      wallet: createWalletClient({ account: opts.accounts[i], chain: opts.chain, transport: http(opts.rpcUrl) }),
    });
  const satoshi = chat(1);
  const admirer = chat(2);
  const bob = chat(3);
  const carol = chat(4);
  await satoshi.claimHandle({ handle: 'satoshi', price: '10' });
  await admirer.claimHandle({ handle: 'satoshi-admirer', price: '1' });
  // Old messages that went unanswered: refundable after the window, one of them refunded.
  const a = await admirer.send({ to: '@satoshi', text: 'Do you still read these? 🙂' });
  await bob.send({ to: '@satoshi', text: 'Quick question about the whitepaper, section 4.' });
  await carol.send({ to: '@satoshi', text: 'Would you speak at our meetup in Lisbon?', amount: '15' });
  await opts.increaseTime(7 * 86_400 + 3_600);
  await admirer.refund(a.id);
  // Recent ones: two answered, two waiting (one of them close to its deadline).
  const d = await admirer.send({ to: '@satoshi', text: 'What made you choose 21 million?' });
  await satoshi.reply({ id: d.id, text: 'OK — it felt like enough. 🙏' });
  const e = await bob.send({ to: '@satoshi', text: '<b>Is this bold?</b> <script>alert(1)</script> — it should not be.' });
  await satoshi.reply({ id: e.id, text: 'Plain text only. OK!' });
  await carol.send({ to: '@satoshi', text: 'Can I interview you for my podcast?', amount: '25' });
  await opts.increaseTime(6 * 86_400 + 20 * 3_600);
  await bob.send({ to: '@satoshi', text: 'Following up on the meetup 🇵🇹 — 日本語 also fine.' });
  return {
    satoshi: opts.accounts[1].address,
    admirers: [2, 3, 4].map((i) => opts.accounts[i].address),
    states: { waiting: 2, replied: 2, refundable: 2, refunded: 1 },
  };
}
