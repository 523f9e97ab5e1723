/**
 * The networks the SDK knows by name, and the contract deployed on each. Harmony mainnet and
 * testnet are configurations, not code paths: everything else is the same on every chain.
 */
import { defineChain, type Address, type Chain } from 'viem';
import { PaidChatError } from './errors.js';

export type ChainName = 'harmony' | 'harmony-testnet' | 'local';

const ONE_CURRENCY = { name: 'ONE', symbol: 'ONE', decimals: 18 } as const;

export const harmony: Chain = /*#__PURE__*/ defineChain({
  id: 1_666_600_000,
  name: 'Harmony Mainnet',
  nativeCurrency: ONE_CURRENCY,
  rpcUrls: { default: { http: ['https://api.harmony.one', 'https://api.s0.t.hmny.io'] } },
  blockExplorers: { default: { name: 'Harmony Explorer', url: 'https://explorer.harmony.one' } },
  contracts: { multicall3: { address: '0xcA11bde05977b3631167028862bE2a173976CA11', blockCreated: 24185753 } },
});

export const harmonyTestnet: Chain = /*#__PURE__*/ defineChain({
  id: 1_666_700_000,
  name: 'Harmony Testnet',
  nativeCurrency: ONE_CURRENCY,
  rpcUrls: { default: { http: ['https://api.s0.b.hmny.io'] } },
  blockExplorers: { default: { name: 'Harmony Testnet Explorer', url: 'https://explorer.testnet.harmony.one' } },
  testnet: true,
});

/** A local anvil node started by `npm start` (Istanbul rules, Harmony's gas price). */
export const local: Chain = /*#__PURE__*/ defineChain({
  id: 31_337,
  name: 'Local (anvil)',
  nativeCurrency: ONE_CURRENCY,
  rpcUrls: { default: { http: ['http://127.0.0.1:8545'] } },
  testnet: true,
});

export const CHAINS: Record<ChainName, Chain> = { harmony, 'harmony-testnet': harmonyTestnet, local };

/**
 * Where PaidChat is deployed, per chain id. Filled in by `npm run deploy` output when the contract
 * is deployed to a public network; until then pass `contract` explicitly.
 */
export const DEFAULT_CONTRACTS: Record<number, Address | undefined> = {
  [harmony.id]: undefined,
  [harmonyTestnet.id]: undefined,
  [local.id]: '0x5FbDB2315678afecb367f032d93F642f64180aa3', // first deployment by anvil's dev account 0
};

/** Block of the deployment per chain id, so history scans start there. */
export const DEPLOY_BLOCKS: Record<number, bigint | undefined> = {};

/**
 * Checks an RPC URL before anything is sent to it: only a full http(s) URL is one.
 *
 * @throws PaidChatError `RPC_URL_INVALID` with `details.reason` 'not-a-url' | 'not-http'.
 */
export function checkRpcUrl(rpcUrl: string): string {
  const url = typeof rpcUrl === 'string' ? rpcUrl.trim() : '';
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed) {
    throw new PaidChatError('RPC_URL_INVALID', `The rpc-url "${String(rpcUrl)}" is not a URL. Write it in full, for example https://api.harmony.one.`, {
      rpcUrl,
      reason: 'not-a-url',
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PaidChatError(
      'RPC_URL_INVALID',
      `The rpc-url "${url}" is not an http(s) URL. Write it in full with http:// or https://, for example http://localhost:8545.`,
      { rpcUrl, reason: 'not-http' },
    );
  }
  return url;
}

/**
 * The chain to use: a named one (default Harmony mainnet) or a viem chain, with `rpcUrl` (checked
 * first) in place of its default RPC.
 *
 * @throws PaidChatError `UNSUPPORTED_CHAIN`, `RPC_URL_INVALID`.
 */
export function resolveChain(chain: ChainName | Chain | undefined, rpcUrl?: string): Chain {
  const url = rpcUrl ? checkRpcUrl(rpcUrl) : undefined;
  let c: Chain;
  if (chain === undefined) c = harmony;
  else if (typeof chain === 'string') {
    const named = CHAINS[chain as ChainName];
    if (!named) {
      throw new PaidChatError(
        'UNSUPPORTED_CHAIN',
        `Unknown chain "${chain}". Use "harmony", "harmony-testnet", "local" or pass a viem chain object.`,
        { chain },
      );
    }
    c = named;
  } else c = chain;
  if (url) c = { ...c, rpcUrls: { ...c.rpcUrls, default: { http: [url] } } };
  return c;
}

export function resolveContract(chain: Chain, contract: Address | undefined): Address {
  const address = contract ?? DEFAULT_CONTRACTS[chain.id];
  if (!address) {
    throw new PaidChatError(
      'CONTRACT_NOT_FOUND',
      `No PaidChat contract is known on ${chain.name} (chain ${chain.id}). Pass its address as "contract".`,
      { chainId: chain.id },
    );
  }
  return address;
}

export function explorerTxUrl(chain: Chain, hash: string): string | undefined {
  const base = chain.blockExplorers?.default.url;
  return base ? `${base.replace(/\/$/, '')}/tx/${hash}` : undefined;
}
