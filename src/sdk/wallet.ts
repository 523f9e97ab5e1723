/**
 * The connected wallet, as the SDK uses it: an EIP-1193 provider (an extension, web3-onboard, a
 * WalletConnect or Safe session) or a viem wallet client. Asking for the account, the chain, a chain
 * switch (adding the chain first when the wallet does not know it) and a sign-in signature.
 */
import { createClient, custom, type Address, type Chain, type Client, type EIP1193Provider, type Hex } from 'viem';
import { getAddresses, getChainId, requestAddresses, signMessage } from 'viem/actions';
import { PaidChatError } from './errors.js';
import { toPaidChatError } from './revert.js';

export type WalletInput = EIP1193Provider | Client;

function isClient(w: WalletInput): w is Client {
  return typeof (w as Client).extend === 'function' && 'transport' in (w as Client);
}

export function toWalletClient(wallet: WalletInput): Client {
  return isClient(wallet) ? wallet : createClient({ transport: custom(wallet) });
}

async function wrapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toPaidChatError(e);
  }
}

/** Asks the wallet for access; the first account. */
export async function requestAccount(w: Client): Promise<Address> {
  if (w.account) return w.account.address;
  const [address] = await wrapped(() => requestAddresses(w as any));
  if (!address) throw new PaidChatError('NO_WALLET', 'The wallet returned no account. Unlock it and try again.');
  return address;
}

/** The account the wallet has granted, or undefined. */
export async function grantedAccount(w: Client): Promise<Address | undefined> {
  if (w.account) return w.account.address;
  const [a] = await wrapped(() => getAddresses(w as any));
  return a;
}

export function walletChainId(w: Client): Promise<number> {
  return wrapped(() => getChainId(w as any));
}

/** @throws PaidChatError `WRONG_CHAIN` unless the wallet is on `chain`. */
export async function assertWalletChain(w: Client, chain: Chain): Promise<void> {
  const actual = await walletChainId(w);
  if (actual !== chain.id) {
    throw new PaidChatError('WRONG_CHAIN', `Your wallet is on chain ${actual}; switch it to ${chain.name} (chain ${chain.id}).`, { expected: chain.id, actual });
  }
}

/** Asks the wallet to switch to `chain`, adding it first if the wallet does not know it (4902). */
export async function switchWalletChain(w: Client, chain: Chain): Promise<void> {
  const chainId = `0x${chain.id.toString(16)}`;
  try {
    await w.request({ method: 'wallet_switchEthereumChain', params: [{ chainId }] } as any);
  } catch (e: any) {
    if ((e?.code ?? e?.cause?.code) !== 4902) throw toPaidChatError(e);
    await wrapped(() =>
      w.request({
        method: 'wallet_addEthereumChain',
        params: [
          {
            chainId,
            chainName: chain.name,
            nativeCurrency: chain.nativeCurrency,
            rpcUrls: chain.rpcUrls.default.http,
            blockExplorerUrls: chain.blockExplorers ? [chain.blockExplorers.default.url] : undefined,
          },
        ],
      } as any),
    );
  }
}

/** A plain-text (EIP-191) signature by `address`. */
export function signTextWith(w: Client, address: Address, message: string): Promise<Hex> {
  return wrapped(() => signMessage(w as any, { account: (w.account ?? address) as any, message }));
}
