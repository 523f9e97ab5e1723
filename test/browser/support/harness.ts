/**
 * Helpers for the element's browser tests: the local chain the test runner started (anvil with
 * the real contract), direct JSON-RPC to it (time travel, balances), SDK set-up shortcuts, and
 * small UI helpers that reach into the element's shadow root the way a user would act.
 */
import { fixture, html } from '@open-wc/testing';
import { encodeFunctionData, decodeFunctionResult } from 'viem';
import { paidChatAbi } from '../../../src/sdk/generated/paid-chat.js';
import { createPaidChat, type PaidChat } from '../../../src/sdk/client.js';
import '../../../src/element/harmony-paid-chat.js';
import type { HarmonyPaidChat } from '../../../src/element/harmony-paid-chat.component.js';
import { TestWallet } from '../../support/test-wallet.js';

export interface ChainInfo {
  rpcUrl: string;
  chainId: number;
  contract: `0x${string}`;
  deployBlock: string;
  /** A loopback URL where nothing listens: an RPC that is down. */
  closedRpcUrl: string;
  /** Safe 1.4.1 wallets deployed for the tests, each with its owner's dev account index. */
  safes: { address: `0x${string}`; owner: number }[];
}

let info: Promise<ChainInfo> | undefined;
export function chainInfo(): Promise<ChainInfo> {
  info ??= fetch('/__chain__.json').then((r) => r.json());
  return info;
}

let rpcId = 0;
export async function rpc<T = any>(method: string, params: unknown[] = []): Promise<T> {
  const { rpcUrl } = await chainInfo();
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** Moves the chain's clock forward and mines a block. */
export async function increaseTime(seconds: number): Promise<void> {
  await rpc('evm_increaseTime', [seconds]);
  await rpc('evm_mine');
}

export async function balanceOf(address: string): Promise<bigint> {
  return BigInt(await rpc<string>('eth_getBalance', [address, 'latest']));
}

export async function gasCost(txHash: string): Promise<bigint> {
  const r = await rpc<{ gasUsed: string; effectiveGasPrice: string }>('eth_getTransactionReceipt', [txHash]);
  return BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
}

/** A view of the contract, read directly (not through the element). */
export async function readContract(functionName: string, args: unknown[] = []): Promise<any> {
  const { contract } = await chainInfo();
  const data = encodeFunctionData({ abi: paidChatAbi, functionName: functionName as any, args: args as any });
  const result = await rpc<`0x${string}`>('eth_call', [{ to: contract, data }, 'latest']);
  return decodeFunctionResult({ abi: paidChatAbi, functionName: functionName as any, data: result });
}

export async function wallet(
  index: number,
  opts: { chainId?: number; knownChains?: number[]; randomSignatures?: boolean; safe?: `0x${string}` } = {},
): Promise<TestWallet> {
  const c = await chainInfo();
  return new TestWallet({ index, rpcUrl: c.rpcUrl, chainId: opts.chainId ?? c.chainId, knownChains: opts.knownChains, randomSignatures: opts.randomSignatures, safe: opts.safe });
}

/** A session with the `n`th test Safe (a contract wallet), through its owner's dev key. */
export async function safeWallet(n: number): Promise<TestWallet> {
  const { safes } = await chainInfo();
  const s = safes[n]!;
  return wallet(s.owner, { safe: s.address });
}

/**
 * An SDK client on the test chain with a test wallet, scoped like the element on this page (the
 * handle, this origin) and keeping keys in this origin's IndexedDB as the element does: a shortcut
 * for set-up steps not under test.
 */
export async function sdk(w: { request(a: { method: string }): Promise<unknown> }, handle?: string): Promise<PaidChat> {
  const c = await chainInfo();
  await w.request({ method: 'eth_requestAccounts' });
  return createPaidChat({
    chain: 'local',
    rpcUrl: c.rpcUrl,
    contract: c.contract,
    wallet: w as any,
    ...(handle ? { scope: { handle, origin: location.origin } } : {}),
  });
}

/** Claims a handle through the SDK (set-up), unless this wallet already holds it; its sites: this origin. */
export async function claim(w: TestWallet, handle: string, price: string, window = 7 * 86_400): Promise<PaidChat> {
  const chat = await sdk(w, handle);
  const me = await chat.getProfileByAddress(w.address);
  if (!me.handle) await chat.claimHandle({ handle, price, window });
  return chat;
}

/** What a new browser profile has: no key at all (every account) in this origin's key store. */
export async function clearAllKeys(): Promise<void> {
  // Opening a database that does not exist would create it without its stores: check first.
  if (!(await indexedDB.databases()).some((d) => d.name === 'harmony-paid-chat-keys')) return;
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open('harmony-paid-chat-keys');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  try {
    const names = [...db.objectStoreNames];
    if (names.length === 0) return;
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(names, 'readwrite');
      for (const n of names) tx.objectStore(n).clear();
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Wallet requests that a real wallet turns into a prompt (signatures, transactions). */
export function prompts(calls: string[]): string[] {
  return calls.filter((m) => /^(personal_sign|eth_sign|eth_signTypedData.*|eth_sendTransaction)$/.test(m));
}

/** Types a passphrase into the claim form (both fields). */
export const PASSPHRASE = 'correct horse battery staple';

export interface MountOptions {
  handle: string;
  provider?: TestWallet;
  theme?: 'light' | 'dark' | 'auto';
  rpcUrl?: string;
  notifierUrl?: string;
}

/** Renders `<harmony-paid-chat>` on the local chain and waits for its card. */
export async function mount(opts: MountOptions, waitForCard = true): Promise<HarmonyPaidChat> {
  const c = await chainInfo();
  const el = await fixture<HarmonyPaidChat>(html`<harmony-paid-chat
    handle=${opts.handle}
    chain="local"
    rpc-url=${opts.rpcUrl ?? c.rpcUrl}
    contract=${c.contract}
    theme=${opts.theme ?? 'light'}
    notifier-url=${opts.notifierUrl ?? ''}
    .provider=${opts.provider}
  ></harmony-paid-chat>`);
  if (waitForCard) await waitFor(() => el.card, { message: 'the card to load' });
  return el;
}

export async function waitFor<T>(fn: () => T | undefined | null | false | '' | 0, opts: { timeout?: number; message?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeout ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const v = fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${opts.message ?? fn.toString()}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function $<T extends Element = HTMLElement>(el: HTMLElement, selector: string): T | null {
  return el.shadowRoot!.querySelector<T>(selector);
}

export function $$<T extends Element = HTMLElement>(el: HTMLElement, selector: string): T[] {
  return [...el.shadowRoot!.querySelectorAll<T>(selector)];
}

export function part<T extends Element = HTMLElement>(el: HTMLElement, name: string): T | null {
  return $<T>(el, `[part~="${name}"]`);
}

export async function waitForPart<T extends Element = HTMLElement>(el: HTMLElement, name: string, timeout?: number): Promise<T> {
  return waitFor(() => part<T>(el, name), { timeout, message: `part "${name}"` });
}

/** The live status line's text. */
export function status(el: HTMLElement): string {
  return part(el, 'status')?.textContent?.trim() ?? '';
}

export async function waitForStatus(el: HTMLElement, match: RegExp, timeout?: number): Promise<string> {
  return waitFor(() => match.test(status(el)) && status(el), { timeout, message: `status ${match} (now: "${status(el)}")` });
}

/** Types into an input or textarea the way a user does (value + input event). */
export function type(input: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  input.focus();
  input.value = value;
  input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
}

export async function click(el: HTMLElement, partName: string): Promise<HTMLButtonElement> {
  const b = await waitForPart<HTMLButtonElement>(el, partName);
  b.click();
  return b;
}

/** Connects through the connect button and waits until the composer or the inbox controls show. */
export async function connect(el: HarmonyPaidChat, expectPart = 'account'): Promise<void> {
  await click(el, 'connect-button');
  await waitForPart(el, expectPart);
}

export function text(node: Element | null | undefined): string {
  return (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

export { TestWallet };

/** Resolves with the next `name` event of `el`; fails after `timeout` ms saying what the status line showed. */
export function nextEvent<E extends Event = CustomEvent>(el: HTMLElement, name: string, timeout = 30_000): Promise<E> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      el.removeEventListener(name, on);
      reject(new Error(`No ${name} event within ${timeout} ms; status: "${status(el)}"`));
    }, timeout);
    const on = (e: Event) => {
      clearTimeout(t);
      el.removeEventListener(name, on);
      resolve(e as E);
    };
    el.addEventListener(name, on);
  });
}

/**
 * Watches (and can cut) the element's RPC traffic. The element is pointed at `url` — the same
 * anvil under another host name (`localhost` instead of `127.0.0.1`), so that the test's own
 * set-up calls (other parties, through the SDK) are neither counted nor cut. Records each
 * JSON-RPC method, and for `eth_call` the contract function (by selector).
 */
export interface RpcSpy {
  url: string;
  /** JSON-RPC calls since the last reset: `eth_blockNumber`, `eth_call:getMessage`, … */
  calls: string[];
  /** HTTP requests since the last reset. */
  requests: number;
  /** While true every request to `url` fails as a dropped connection does. */
  down: boolean;
  reset(): void;
  restore(): void;
}

export async function rpcSpy(): Promise<RpcSpy> {
  const c = await chainInfo();
  const url = c.rpcUrl.replace('127.0.0.1', 'localhost');
  const { toFunctionSelector } = await import('viem');
  const names = new Map<string, string>();
  for (const item of paidChatAbi) if (item.type === 'function') names.set(toFunctionSelector(item as any), item.name);
  const original = window.fetch;
  const spy: RpcSpy = {
    url,
    calls: [],
    requests: 0,
    down: false,
    reset() {
      spy.calls = [];
      spy.requests = 0;
    },
    restore() {
      window.fetch = original;
    },
  };
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (target.startsWith(url)) {
      spy.requests++;
      if (spy.down) throw new TypeError('Failed to fetch');
      try {
        const body = JSON.parse(String(init?.body ?? ''));
        for (const call of Array.isArray(body) ? body : [body]) {
          const data: string | undefined = call.method === 'eth_call' ? call.params?.[0]?.data : undefined;
          spy.calls.push(data ? `eth_call:${names.get(data.slice(0, 10)) ?? data.slice(0, 10)}` : call.method);
        }
      } catch {
        /* not JSON: counted as a request only */
      }
    }
    return original(input as RequestInfo, init);
  };
  return spy;
}

/** Pretends the tab is hidden (or shown again), as the browser does when the user switches tabs. */
export function setTabHidden(hidden: boolean): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event('visibilitychange'));
}
