/**
 * Deploys PaidChat to a network:
 *   DEPLOYER_PRIVATE_KEY=0x… npm run deploy -- --network harmony-testnet [--fee-recipient 0x…] [--rpc-url …]
 * Networks: harmony, harmony-testnet, local (or any --rpc-url with --chain-id). The key comes from
 * the environment only, never from a flag. Prints the address and block to put in src/sdk/chains.ts.
 */
import { parseArgs } from 'node:util';
import { defineChain, formatEther, createPublicClient, http, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { CHAINS, type ChainName } from '../src/sdk/chains.js';
import { parseAddress } from '../src/sdk/address.js';
import { deployPaidChat } from './lib/deploy.js';

export async function deploy(argv: string[], env = process.env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      network: { type: 'string', default: 'local' },
      'rpc-url': { type: 'string' },
      'chain-id': { type: 'string' },
      'fee-recipient': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('DEPLOYER_PRIVATE_KEY=0x… npm run deploy -- --network harmony|harmony-testnet|local [--rpc-url URL] [--chain-id N] [--fee-recipient 0x…|one1…]');
    return;
  }
  const key = env.DEPLOYER_PRIVATE_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new Error('Set DEPLOYER_PRIVATE_KEY to the deployer\'s 0x-prefixed 32-byte private key (environment only).');
  }
  const named = CHAINS[values.network as ChainName];
  if (!named && !values['chain-id']) throw new Error(`Unknown --network ${values.network}: use harmony, harmony-testnet or local, or give --rpc-url and --chain-id.`);
  const base = named ?? defineChain({ id: Number(values['chain-id']), name: values.network!, nativeCurrency: { name: 'ONE', symbol: 'ONE', decimals: 18 }, rpcUrls: { default: { http: [values['rpc-url']!] } } });
  const rpcUrl = values['rpc-url'] ?? base.rpcUrls.default.http[0];
  const chain = { ...base, rpcUrls: { default: { http: [rpcUrl] } } };
  const account = privateKeyToAccount(key as Hex);
  const pub = createPublicClient({ chain, transport: http(rpcUrl) });
  const actualChainId = await pub.getChainId();
  if (actualChainId !== chain.id) throw new Error(`${rpcUrl} is chain ${actualChainId}, not ${chain.name} (${chain.id}).`);
  const balance = await pub.getBalance({ address: account.address });
  console.log(`Deploying PaidChat to ${chain.name} (${chain.id}) via ${rpcUrl} from ${account.address} (balance ${formatEther(balance)} ONE)…`);
  const feeRecipient: Address = values['fee-recipient'] ? parseAddress(values['fee-recipient']) : account.address;
  const out = await deployPaidChat({ rpcUrl, chain, account, feeRecipient });
  const result = { network: values.network, chainId: chain.id, address: out.address, blockNumber: out.blockNumber.toString(), txHash: out.txHash, gasUsed: out.gasUsed.toString(), feeRecipient };
  console.log(JSON.stringify(result, null, 2));
  console.log(`Add it to DEFAULT_CONTRACTS (and DEPLOY_BLOCKS) in src/sdk/chains.ts for chain ${chain.id}.`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  deploy(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
