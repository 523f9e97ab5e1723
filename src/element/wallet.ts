/**
 * Finding the visitor's wallet, cheapest way first (loaded on the first click, never before):
 *
 * 1. the host page's own EIP-1193 provider (the element's `provider` property);
 * 2. exactly one wallet announcing itself through EIP-6963 — used directly, no modal;
 * 3. otherwise (several wallets, or only a legacy `window.ethereum`) web3-onboard's modal, whose
 *    code (the heaviest dependency) is imported only here, on demand;
 * 4. no wallet at all: `undefined`, and the element explains where to get one.
 */
import type { Chain } from 'viem';
import { PaidChatError } from '../sdk/errors.js';
import { harmony, harmonyTestnet, local } from '../sdk/chains.js';

/** The part of EIP-1193 the element uses. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
  on?(event: string, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
}

export interface Eip6963ProviderInfo {
  uuid: string;
  name: string;
  icon: string;
  rdns: string;
}

export interface Eip6963ProviderDetail {
  info: Eip6963ProviderInfo;
  provider: Eip1193Provider;
}

export interface WalletChoice {
  provider: Eip1193Provider;
  /** Wallet name when known ("MetaMask"). */
  name?: string;
  via: 'host' | 'eip6963' | 'onboard';
}

/** Asks wallets to announce themselves (EIP-6963) and collects the answers for `waitMs`. */
export async function discoverWallets(waitMs = 120): Promise<Eip6963ProviderDetail[]> {
  const found = new Map<string, Eip6963ProviderDetail>();
  const onAnnounce = (e: Event) => {
    const detail = (e as CustomEvent<Eip6963ProviderDetail>).detail;
    if (!detail?.provider || typeof detail.provider.request !== 'function') return;
    const key = detail.info?.uuid || detail.info?.rdns || String(found.size);
    found.set(key, detail);
  };
  window.addEventListener('eip6963:announceProvider', onAnnounce);
  try {
    window.dispatchEvent(new Event('eip6963:requestProvider'));
    await new Promise((r) => setTimeout(r, waitMs));
  } finally {
    window.removeEventListener('eip6963:announceProvider', onAnnounce);
  }
  // Some wallets announce twice under different uuids: one per rdns is enough.
  const byRdns = new Map<string, Eip6963ProviderDetail>();
  for (const d of found.values()) byRdns.set(d.info?.rdns || d.info?.uuid, d);
  return [...byRdns.values()];
}

/**
 * Picks the wallet to use. Returns undefined when there is none at all.
 *
 * @throws PaidChatError `USER_REJECTED` when the visitor closes the wallet modal without choosing.
 */
export async function chooseWallet(opts: { provider?: Eip1193Provider; chain: Chain; appName?: string }): Promise<WalletChoice | undefined> {
  if (opts.provider) return { provider: opts.provider, via: 'host' };
  const announced = await discoverWallets();
  if (announced.length === 1) return { provider: announced[0]!.provider, name: announced[0]!.info?.name, via: 'eip6963' };
  const legacy = (globalThis as { ethereum?: Eip1193Provider }).ethereum;
  if (announced.length === 0 && !legacy) return undefined;
  return connectWithOnboard(opts.chain, opts.appName);
}

type OnboardApi = {
  connectWallet(): Promise<Array<{ label: string; provider: Eip1193Provider }>>;
};
let onboard: Promise<OnboardApi> | undefined;

function onboardChain(chain: Chain) {
  return {
    id: `0x${chain.id.toString(16)}`,
    token: chain.nativeCurrency.symbol,
    label: chain.name,
    rpcUrl: chain.rpcUrls.default.http[0],
    blockExplorerUrl: chain.blockExplorers?.default.url,
  };
}

/** web3-onboard with its injected-wallets module, Harmony mainnet/testnet and the local chain. */
async function connectWithOnboard(chain: Chain, appName = 'Harmony Paid Chat'): Promise<WalletChoice> {
  onboard ??= (async () => {
    const [{ default: Onboard }, { default: injectedModule }] = await Promise.all([
      import('@web3-onboard/core'),
      import('@web3-onboard/injected-wallets'),
    ]);
    const chains = [harmony, harmonyTestnet, local].map((c) => (c.id === chain.id ? chain : c)).map(onboardChain);
    if (!chains.some((c) => c.id === `0x${chain.id.toString(16)}`)) chains.unshift(onboardChain(chain));
    return Onboard({
      wallets: [injectedModule()],
      chains,
      appMetadata: { name: appName, description: 'Paid, end-to-end encrypted messages on Harmony' } as any,
      accountCenter: { desktop: { enabled: false }, mobile: { enabled: false } },
      disableFontDownload: true,
    } as any) as unknown as OnboardApi;
  })().catch((e) => {
    onboard = undefined;
    throw e;
  });
  const wallets = await (await onboard).connectWallet();
  const first = wallets[0];
  if (!first) throw new PaidChatError('USER_REJECTED', 'No wallet was chosen. Choose a wallet to continue.');
  return { provider: first.provider, name: first.label, via: 'onboard' };
}

/** Wraps a provider to report the wallet prompts the SDK makes (to show "confirm in wallet" → "sending"). */
export function observeProvider(
  provider: Eip1193Provider,
  hooks: { before?(method: string): void; after?(method: string, ok: boolean): void },
): Eip1193Provider {
  return {
    async request(args) {
      hooks.before?.(args.method);
      let ok = false;
      try {
        const result = await provider.request(args);
        ok = true;
        return result;
      } finally {
        hooks.after?.(args.method, ok);
      }
    },
    on: provider.on?.bind(provider),
    removeListener: provider.removeListener?.bind(provider),
  };
}
