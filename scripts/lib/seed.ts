/**
 * Seeds a local chain with the demo story: @satoshi (10 ONE, 7 days, its sites: the demo's
 * origins) and messages in every state — waiting, replied, refundable and refunded — plus a
 * conversation that goes on with follow-ups, all sealed and opened through the real SDK.
 *
 * Keys v2 are made on the device, so the seeding accounts' keys exist only in this process. Each
 * account sets a (demo) backup passphrase before its first key, and the seed returns its backup
 * file: the demo page restores them into the browser (`demo/dev-wallet.ts`), exactly as a user
 * restores a backup in a new browser. Local demo only: the passphrase is public, like the dev keys.
 */
import { createWalletClient, http, type Address, type Chain } from 'viem';
import type { HDAccount } from 'viem/accounts';
import { createPaidChat, type PaidChat } from '../../src/sdk/index.js';

/** The demo's backup passphrase (as public as anvil's dev keys). */
export const DEMO_PASSPHRASE = 'local demo passphrase (public)';
/** A light scrypt cost for the demo's backups, so that restoring them on every fresh browser is quick. */
const DEMO_SCRYPT = { N: 2 ** 12 };

export interface SeedResult {
  satoshi: Address;
  admirers: Address[];
  states: Record<'waiting' | 'replied' | 'refundable' | 'refunded' | 'follow-ups', number>;
  /** Backup files by dev account index (1 @satoshi, 2 @satoshi-admirer, 3 bob, 4 carol). */
  backups: Record<number, string>;
}

export async function seedDemo(opts: {
  chain: Chain;
  rpcUrl: string;
  contract: Address;
  accounts: HDAccount[];
  increaseTime: (seconds: number) => Promise<void>;
  /** Origins where @satoshi's inbox opens (the demo server's). */
  sites: string[];
}): Promise<SeedResult> {
  const chats = new Map<number, PaidChat>();
  const chat = (i: number) => {
    let c = chats.get(i);
    if (!c) {
      c = createPaidChat({
        chain: opts.chain,
        rpcUrl: opts.rpcUrl,
        contract: opts.contract,
        wallet: createWalletClient({ account: opts.accounts[i], chain: opts.chain, transport: http(opts.rpcUrl) }),
      });
      chats.set(i, c);
    }
    return c;
  };
  // Passphrases first: every key is sealed for the backup from the moment it is made.
  for (const i of [1, 2, 3, 4]) await chat(i).setBackupPassphrase(DEMO_PASSPHRASE, { cost: DEMO_SCRYPT });
  const [satoshi, admirer, bob, carol] = [chat(1), chat(2), chat(3), chat(4)];
  await satoshi.claimHandle({ handle: 'satoshi', price: '10', sites: opts.sites });
  await admirer.claimHandle({ handle: 'satoshi-admirer', price: '1', sites: opts.sites });
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
  // The answered conversation goes on: follow-ups both ways.
  await bob.postFollowUp({ with: '@satoshi', text: 'Thanks! And *italics*?' });
  await satoshi.postFollowUp({ with: opts.accounts[3].address, text: 'Also plain text. Ask away.' });
  await carol.send({ to: '@satoshi', text: 'Can I interview you for my podcast?', amount: '25' });
  await opts.increaseTime(6 * 86_400 + 20 * 3_600);
  await bob.send({ to: '@satoshi', text: 'Following up on the meetup 🇵🇹 — 日本語 also fine.' });
  const backups: Record<number, string> = {};
  for (const i of [1, 2, 3, 4]) backups[i] = await chat(i).exportBackup();
  return {
    satoshi: opts.accounts[1].address,
    admirers: [2, 3, 4].map((i) => opts.accounts[i].address),
    states: { waiting: 2, replied: 2, refundable: 2, refunded: 1, 'follow-ups': 2 },
    backups,
  };
}
