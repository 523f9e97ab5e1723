/**
 * The creator's card, read with as little code as possible: one `eth_call` of
 * `profileOfHandle(bytes32)` over `fetch`.
 *
 * This is the only chain code an embedded `<harmony-paid-chat>` loads before the visitor's first
 * click, so it must stay light: no viem client, no transport, no crypto, not the full ABI. The rest
 * of the SDK (`./client.js`) is loaded on demand.
 *
 * The call is encoded and decoded here by hand rather than with viem's `encodeFunctionData` /
 * `decodeFunctionResult`: those two pull in viem's ABI coder, its errors and keccak (≈ 9 KB gzip,
 * a third of the element's first-load budget) for one selector and a tuple of eight static words.
 * The ABI item below is the source of truth: its type is checked against the generated ABI, and a
 * test checks the selector and the decoding against viem's.
 */
import type { Address, Hex } from 'viem';
import type { paidChatAbi } from './generated/paid-chat.js';
import type { RetryPolicy } from './rpc.js';
import { PaidChatError } from './errors.js';
import { resolveChain, resolveContract, type ChainName } from './chains.js';
import { normalizeHandle, handleToBytes32, bytes32ToHandle } from './handles.js';

/**
 * `profileOfHandle` exactly as in the generated ABI (`./generated/paid-chat.ts`): a slice of one
 * item, so that the full ABI stays out of the first load. The type below fails to compile when
 * the generated item changes and this copy does not.
 */
export const profileOfHandleAbiItem = {
  inputs: [{ internalType: 'bytes32', name: 'handle', type: 'bytes32' }],
  name: 'profileOfHandle',
  outputs: [
    {
      components: [
        { internalType: 'address', name: 'account', type: 'address' },
        { internalType: 'bytes32', name: 'handle', type: 'bytes32' },
        { internalType: 'uint256', name: 'price', type: 'uint256' },
        { internalType: 'uint256', name: 'followUpPrice', type: 'uint256' },
        { internalType: 'uint256', name: 'window', type: 'uint256' },
        { internalType: 'uint32', name: 'keyId', type: 'uint32' },
        { internalType: 'bytes32', name: 'key', type: 'bytes32' },
        { internalType: 'uint256', name: 'inboxCount', type: 'uint256' },
      ],
      internalType: 'struct PaidChat.Profile',
      name: 'p',
      type: 'tuple',
    },
  ],
  stateMutability: 'view',
  type: 'function',
} as const;

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
type GeneratedItem = Extract<(typeof paidChatAbi)[number], { type: 'function'; name: 'profileOfHandle' }>;
/** Compile-time check that {@link profileOfHandleAbiItem} equals the generated ABI item. @internal */
export type ProfileOfHandleMatchesGenerated = Assert<Same<typeof profileOfHandleAbiItem, GeneratedItem>>;

/** `toFunctionSelector(profileOfHandleAbiItem)`, i.e. keccak256("profileOfHandle(bytes32)")[0..4]. */
export const PROFILE_OF_HANDLE_SELECTOR = '0xa11f6f10';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
const WORDS = profileOfHandleAbiItem.outputs[0].components.length; // 8 static words

/** The raw `Profile` tuple as `decodeFunctionResult` would return it (address lowercase). */
export interface RawCardProfile {
  account: Address;
  handle: Hex;
  price: bigint;
  followUpPrice: bigint;
  window: bigint;
  keyId: number;
  key: Hex;
  inboxCount: bigint;
}

/** ABI-encodes the call `profileOfHandle(handle)`. */
export function encodeProfileOfHandle(handle: string): Hex {
  return `${PROFILE_OF_HANDLE_SELECTOR}${handleToBytes32(handle).slice(2)}`;
}

/**
 * Decodes the result of `profileOfHandle`: a tuple of eight static 32-byte words.
 *
 * @throws PaidChatError `CONTRACT_NOT_FOUND` when the data is not such a tuple.
 */
export function decodeProfileOfHandle(data: string): RawCardProfile {
  if (typeof data !== 'string' || !/^0x[0-9a-fA-F]*$/.test(data) || data.length < 2 + WORDS * 64) {
    throw new PaidChatError('CONTRACT_NOT_FOUND', 'The answer is not a PaidChat profile.', { data: String(data).slice(0, 80) });
  }
  const word = (i: number) => data.slice(2 + i * 64, 2 + (i + 1) * 64);
  const uint = (i: number) => BigInt(`0x${word(i)}`);
  const account = word(0);
  if (!/^0{24}/.test(account) || !/^0{56}/.test(word(5))) {
    throw new PaidChatError('CONTRACT_NOT_FOUND', 'The answer is not a PaidChat profile.', { data: data.slice(0, 80) });
  }
  return {
    account: `0x${account.slice(24).toLowerCase()}` as Address,
    handle: `0x${word(1).toLowerCase()}` as Hex,
    price: uint(2),
    followUpPrice: uint(3),
    window: uint(4),
    keyId: Number(uint(5)),
    key: `0x${word(6).toLowerCase()}` as Hex,
    inboxCount: uint(7),
  };
}

/** A contract given as 0x… is used as is; a one1… address is decoded by the (lazily loaded) address module. */
async function contractAddress(contract: string | undefined): Promise<Address | undefined> {
  if (!contract) return undefined;
  const s = contract.trim();
  if (/^0x[0-9a-fA-F]{40}$/.test(s)) return s as Address;
  const { parseAddress } = await import('./address.js');
  return parseAddress(s);
}

export interface CardOptions {
  /** 'harmony' (default), 'harmony-testnet' or 'local'. */
  chain?: ChainName;
  /** JSON-RPC URL; the chain's default otherwise. */
  rpcUrl?: string;
  /** PaidChat contract (0x… or one1…); the chain's default deployment otherwise. */
  contract?: string;
  /** The creator's handle ('@satoshi' or 'satoshi'). */
  handle: string;
  /** Bounded retries of transport failures, with backoff; `onRetry` lets a UI say so. */
  retry?: RetryPolicy;
  /** Aborts the read (e.g. when the element's attributes change). */
  signal?: AbortSignal;
  /** Per-request timeout in milliseconds (default 15 000). */
  timeoutMs?: number;
}

/** What a visitor needs to see before connecting a wallet. */
export interface Card {
  /** Canonical handle, without '@'. */
  handle: string;
  /** The handle's owner; the zero address when nobody holds it (see `free`). */
  owner: Address;
  /** True when nobody holds the handle: it can be claimed. */
  free: boolean;
  /** Minimum amount in wei. */
  price: bigint;
  /** Price of a follow-up in an answered conversation, in wei (0 = gas only). */
  followUpPrice: bigint;
  /** Reply window in seconds. */
  window: number;
  /** Whether the owner registered an inbox key (without one nobody can write to them). */
  hasKey: boolean;
  chainId: number;
  chainName: string;
  contract: Address;
  rpcUrl: string;
}

class TransientError extends Error {}

/**
 * Reads a creator's card: handle, owner (zero = free), price, reply window, whether a key is
 * registered. Transport failures (no connection, timeouts, HTTP 5xx/429) are retried with
 * exponential backoff (default 4 attempts, 250 ms doubling), reported through `retry.onRetry`,
 * and end in `RPC_UNAVAILABLE`.
 *
 * @throws PaidChatError `HANDLE_INVALID`, `UNSUPPORTED_CHAIN`, `CONTRACT_NOT_FOUND`, `RPC_UNAVAILABLE`.
 */
export async function readCard(options: CardOptions): Promise<Card> {
  const handle = normalizeHandle(options.handle);
  const chain = resolveChain(options.chain, options.rpcUrl);
  const contract = resolveContract(chain, await contractAddress(options.contract));
  const rpcUrl = chain.rpcUrls.default.http[0]!;
  const data = encodeProfileOfHandle(handle);
  const result = await rpcCall(rpcUrl, 'eth_call', [{ to: contract, data }, 'latest'], options);
  if (typeof result !== 'string' || result === '0x') {
    throw new PaidChatError(
      'CONTRACT_NOT_FOUND',
      `There is no PaidChat contract at ${contract} on ${chain.name}. Check the contract, chain and rpc-url settings.`,
      { contract, chainId: chain.id },
    );
  }
  let p: RawCardProfile;
  try {
    p = decodeProfileOfHandle(result);
  } catch (cause) {
    throw new PaidChatError(
      'CONTRACT_NOT_FOUND',
      `The contract at ${contract} on ${chain.name} did not answer like PaidChat. Check the contract, chain and rpc-url settings.`,
      { contract, chainId: chain.id },
      { cause },
    );
  }
  const free = p.account.toLowerCase() === ZERO_ADDRESS;
  return {
    handle: free ? handle : bytes32ToHandle(p.handle) || handle,
    owner: p.account,
    free,
    price: p.price,
    followUpPrice: p.followUpPrice,
    window: Number(p.window),
    hasKey: p.keyId > 0,
    chainId: chain.id,
    chainName: chain.name,
    contract,
    rpcUrl,
  };
}

/** One JSON-RPC call over fetch with bounded retries of transport failures. */
async function rpcCall(url: string, method: string, params: unknown[], options: CardOptions): Promise<unknown> {
  const policy = options.retry ?? {};
  const attempts = policy.attempts ?? 4;
  const base = policy.baseDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await rpcOnce(url, method, params, options);
    } catch (e) {
      if (!(e instanceof TransientError) || options.signal?.aborted) throw e;
      if (attempt >= attempts) {
        throw new PaidChatError(
          'RPC_UNAVAILABLE',
          `Can't reach the network at ${url} (tried ${attempts} times). Check your connection or the rpc-url setting, then try again.`,
          { attempts, rpcUrl: url },
          { cause: e },
        );
      }
      const delayMs = base * 2 ** (attempt - 1);
      policy.onRetry?.({ attempt, attempts, delayMs, error: e });
      await sleep(delayMs, options.signal);
    }
  }
}

async function rpcOnce(url: string, method: string, params: unknown[], options: CardOptions): Promise<unknown> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal,
    });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new TransientError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  if (res.status >= 500 || res.status === 429) throw new TransientError(`HTTP ${res.status}`);
  if (!res.ok) {
    throw new PaidChatError('RPC_UNAVAILABLE', `The network at ${url} refused the request (HTTP ${res.status}). Check the rpc-url setting.`, {
      status: res.status,
      rpcUrl: url,
    });
  }
  let body: { result?: unknown; error?: { code?: number; message?: string } };
  try {
    body = await res.json();
  } catch (e) {
    throw new TransientError('The RPC answered with something that is not JSON.', { cause: e });
  }
  if (body.error) {
    throw new PaidChatError('RPC_UNAVAILABLE', `The network at ${url} answered with an error: ${body.error.message ?? body.error.code}.`, {
      rpcError: body.error,
      rpcUrl: url,
    });
  }
  return body.result;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
