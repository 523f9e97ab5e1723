/**
 * Finding the visitor's wallet, cheapest way first (loaded on the first click, never before):
 *
 * 1. the host page's own EIP-1193 provider (the element's `provider` property);
 * 2. exactly one wallet announcing itself through EIP-6963 — used directly, no modal;
 * 3. otherwise (several wallets, or only a legacy `window.ethereum`) web3-onboard's modal, whose
 *    code (the heaviest dependency) is imported only here, on demand — with WalletConnect in it
 *    when the site set `walletconnect-project-id`;
 * 4. no wallet at all: `undefined`, and the element offers what works without one: WalletConnect
 *    (when configured; its module is imported only when asked for) and links that reopen the
 *    page inside wallet apps' browsers (on a phone), or where to get a wallet.
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
  via: 'host' | 'eip6963' | 'onboard' | 'walletconnect';
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
 * Picks the wallet to use. Returns undefined when there is none at all (the element then offers
 * what works without one: WalletConnect when configured, links into wallet apps' browsers).
 *
 * @throws PaidChatError `USER_REJECTED` when the visitor closes the wallet modal without choosing.
 */
export async function chooseWallet(opts: { provider?: Eip1193Provider; chain: Chain; appName?: string; walletConnectProjectId?: string }): Promise<WalletChoice | undefined> {
  if (opts.provider) return { provider: opts.provider, via: 'host' };
  const announced = await discoverWallets();
  if (announced.length === 1) return { provider: announced[0]!.provider, name: announced[0]!.info?.name, via: 'eip6963' };
  const legacy = (globalThis as { ethereum?: Eip1193Provider }).ethereum;
  if (announced.length === 0 && !legacy) return undefined;
  // A project id that is not one is left out of the picker (the WalletConnect button says why).
  const projectId = opts.walletConnectProjectId && WALLETCONNECT_PROJECT_ID.test(opts.walletConnectProjectId) ? opts.walletConnectProjectId : undefined;
  return connectWithOnboard(opts.chain, { appName: opts.appName, walletConnectProjectId: projectId, injected: true });
}

/** WalletConnect's project ids are 32 hexadecimal characters (the dashboard shows them so). */
export const WALLETCONNECT_PROJECT_ID = /^[0-9a-f]{32}$/i;

/**
 * Connects through WalletConnect only (a phone without an injected wallet, or a desktop with a phone
 * wallet).
 * @throws PaidChatError `WALLETCONNECT_PROJECT_ID_INVALID` (before anything loads) when the site's
 * `walletconnect-project-id` is not a project id.
 */
export async function chooseWalletConnect(opts: { chain: Chain; appName?: string; walletConnectProjectId: string }): Promise<WalletChoice> {
  if (!WALLETCONNECT_PROJECT_ID.test(opts.walletConnectProjectId)) {
    throw new PaidChatError(
      'WALLETCONNECT_PROJECT_ID_INVALID',
      'WalletConnect is not set up right on this site (walletconnect-project-id must be the 32-character project id from WalletConnect\'s dashboard). Open this page in your wallet app instead.',
      { input: opts.walletConnectProjectId },
    );
  }
  return connectWithOnboard(opts.chain, { appName: opts.appName, walletConnectProjectId: opts.walletConnectProjectId, injected: false });
}

type OnboardApi = {
  connectWallet(options?: { autoSelect?: { label: string; disableModals: boolean } }): Promise<Array<{ label: string; provider: Eip1193Provider }>>;
};

/** The parts of web3-onboard the element uses, each loaded on demand (tests may replace them). */
export const onboardLoaders = {
  core: () => import('@web3-onboard/core') as Promise<{ default: (init: any) => unknown }>,
  injected: () => import('@web3-onboard/injected-wallets') as Promise<{ default: (options?: any) => unknown }>,
  walletConnect: () => import('@web3-onboard/walletconnect') as Promise<{ default: (options: any) => unknown }>,
};

function onboardChain(chain: Chain) {
  return {
    id: `0x${chain.id.toString(16)}`,
    token: chain.nativeCurrency.symbol,
    label: chain.name,
    rpcUrl: chain.rpcUrls.default.http[0],
    blockExplorerUrl: chain.blockExplorers?.default.url,
  };
}

/** Harmony mainnet, testnet and the local chain, with the element's chain (and its RPC URL) first. */
export function onboardChains(chain: Chain) {
  return [chain, ...[harmony, harmonyTestnet, local].filter((c) => c.id !== chain.id)].map(onboardChain);
}

/**
 * WalletConnect's options: the site's project id, the element's chain as the one chain a wallet
 * must support (so the session is on Harmony), the other Harmony chains as optional, and the
 * page's address as the dapp URL (some wallets refuse a session without one).
 */
export function walletConnectOptions(chain: Chain, projectId: string, dappUrl = globalThis.location?.href) {
  return {
    projectId,
    requiredChains: [chain.id],
    optionalChains: [harmony, harmonyTestnet].map((c) => c.id).filter((id) => id !== chain.id),
    ...(dappUrl ? { dappUrl } : {}),
  };
}

export interface OnboardConfig {
  appName?: string;
  walletConnectProjectId?: string;
  /** Offer the injected wallets (browser extensions, a wallet app's own browser). */
  injected: boolean;
}

/** web3-onboard's init: the injected-wallets module and/or WalletConnect, the Harmony chains, no fonts, no account center. */
export async function onboardInit(chain: Chain, config: OnboardConfig, load = onboardLoaders): Promise<Record<string, unknown>> {
  const wallets: unknown[] = [];
  const [injected, wc] = await Promise.all([
    config.injected ? load.injected() : undefined,
    config.walletConnectProjectId ? load.walletConnect() : undefined,
  ]);
  if (injected) wallets.push(injected.default());
  if (wc && config.walletConnectProjectId) wallets.push(wc.default(walletConnectOptions(chain, config.walletConnectProjectId)));
  return {
    wallets,
    chains: onboardChains(chain),
    appMetadata: { name: config.appName ?? 'Harmony Paid Chat', description: 'Paid, end-to-end encrypted messages on Harmony', explore: globalThis.location?.origin },
    accountCenter: { desktop: { enabled: false }, mobile: { enabled: false } },
    disableFontDownload: true,
  };
}

const onboards = new Map<string, Promise<OnboardApi>>();

/** One web3-onboard per chain and configuration (it keeps its own state), made on first use. */
function loadOnboard(chain: Chain, config: OnboardConfig): Promise<OnboardApi> {
  const key = `${chain.id}|${config.walletConnectProjectId ?? ''}|${config.injected}`;
  let p = onboards.get(key);
  if (!p) {
    p = (async () => {
      const [{ default: Onboard }, init] = await Promise.all([onboardLoaders.core(), onboardInit(chain, config)]);
      return Onboard(init as any) as OnboardApi;
    })();
    p.catch(() => onboards.delete(key));
    onboards.set(key, p);
  }
  return p;
}

async function connectWithOnboard(chain: Chain, config: OnboardConfig): Promise<WalletChoice> {
  const api = await loadOnboard(chain, config);
  // WalletConnect alone: straight to its own QR code / wallet list, without onboard's picker.
  const wallets = await api.connectWallet(config.injected ? undefined : { autoSelect: { label: 'WalletConnect', disableModals: true } });
  const first = wallets[0];
  if (!first) throw new PaidChatError('USER_REJECTED', 'No wallet was chosen. Choose a wallet to continue.');
  return { provider: first.provider, name: first.label, via: config.injected ? 'onboard' : 'walletconnect' };
}

/** True on a phone or tablet (where wallets live in apps, not in the browser). */
export function isPhone(): boolean {
  const nav = globalThis.navigator as (Navigator & { userAgentData?: { mobile?: boolean } }) | undefined;
  if (!nav) return false;
  if (nav.userAgentData?.mobile) return true;
  return /Android|iPhone|iPad|iPod|Mobile|Opera Mini|IEMobile/i.test(nav.userAgent);
}

/**
 * Links that reopen this page inside a wallet app's own browser (where a wallet is injected), in
 * each wallet's documented format: MetaMask `https://link.metamask.io/dapp/<url without scheme>`,
 * Trust Wallet `https://link.trustwallet.com/open_url?coin_id=60&url=<encoded url>` (60: the EVM
 * browser; the widget then asks to switch to Harmony), Coinbase Wallet
 * `https://go.cb-w.com/dapp?cb_url=<encoded url>`. Without the app installed, each lands on its
 * download page.
 */
export function walletAppLinks(href: string): { name: string; url: string }[] {
  const noScheme = href.replace(/^https?:\/\//, '');
  return [
    { name: 'MetaMask', url: `https://link.metamask.io/dapp/${noScheme}` },
    { name: 'Trust Wallet', url: `https://link.trustwallet.com/open_url?coin_id=60&url=${encodeURIComponent(href)}` },
    { name: 'Coinbase Wallet', url: `https://go.cb-w.com/dapp?cb_url=${encodeURIComponent(href)}` },
  ];
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
