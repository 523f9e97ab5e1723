/**
 * `npm start`: the whole story on this machine. Starts anvil (Istanbul rules), deploys PaidChat,
 * seeds the demo, and prints what to open. Ctrl-C stops every child.
 *
 *   npm start -- [--chain-port 8545] [--no-seed]
 */
import { parseArgs } from 'node:util';
import { formatEther } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { startAnvil, ANVIL_MNEMONIC, type Anvil } from './lib/anvil.js';
import { deployPaidChat } from './lib/deploy.js';
import { seedDemo } from './lib/seed.js';
import { local } from '../src/sdk/chains.js';
import { toOneAddress } from '../src/sdk/address.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    'chain-port': { type: 'string', default: process.env.CHAIN_PORT ?? '8545' },
    seed: { type: 'boolean', default: true },
    'no-seed': { type: 'boolean' },
  },
});

const stops: (() => Promise<void>)[] = [];
let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const t0 = Date.now();
  const anvil: Anvil = await startAnvil({ port: Number(values['chain-port']), chainId: local.id });
  stops.push(() => anvil.stop());
  const chain = { ...local, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
  const accounts = Array.from({ length: 10 }, (_, i) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }));
  const { address, blockNumber } = await deployPaidChat({ rpcUrl: anvil.rpcUrl, chain, account: accounts[0] });
  console.log(`Local chain  ${anvil.rpcUrl}  (chain id ${local.id}, Istanbul rules, 100 gwei)`);
  console.log(`PaidChat     ${address}  (block ${blockNumber})`);
  if (values.seed && !values['no-seed']) {
    const testClient = { increaseTime: async (s: number) => {
      for (const [method, params] of [['evm_increaseTime', [s]], ['evm_mine', []]] as const) {
        await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
      }
    } };
    const seeded = await seedDemo({ chain, rpcUrl: anvil.rpcUrl, contract: address, accounts, increaseTime: testClient.increaseTime });
    console.log(`Seeded       @satoshi (10 ONE, 7 days): ${Object.entries(seeded.states).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }
  console.log('\nFunded dev accounts (anvil\'s well-known keys — local use only):');
  const pub = await import('viem').then((v) => v.createPublicClient({ chain, transport: v.http(anvil.rpcUrl) }));
  for (const [i, a] of accounts.slice(0, 5).entries()) {
    const role = ['deployer / fee recipient', '@satoshi', '@satoshi-admirer', 'bob', 'carol'][i];
    console.log(`  #${i} ${a.address}  ${toOneAddress(a.address)}  ${formatEther(await pub.getBalance({ address: a.address }))} ONE  ${role}`);
  }
  console.log(`\nReady in ${((Date.now() - t0) / 1000).toFixed(1)} s. Ctrl-C stops everything.`);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  await shutdown(1);
}
