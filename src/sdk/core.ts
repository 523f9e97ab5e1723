/**
 * What the client's actions share (internal): the chain and contract, reads and writes through the
 * connected wallet, the account's keyring, and the page's scope. `PaidChat` makes one; each action
 * module (`messages.ts`, `threads.ts`, `key-actions.ts`) is a set of functions taking it.
 */
import type { Address, Chain, Log } from 'viem';
import type { Keyring } from './keyring.js';
import type { ReadContext } from './pages.js';
import type { ScopeGuard } from './scope.js';
import type { Profile, TxResult } from './types.js';

export interface ChatCore {
  readonly chain: Chain;
  readonly contract: Address;
  readonly ctx: ReadContext;
  readonly guard: ScopeGuard;
  read<T>(functionName: string, args: readonly unknown[]): Promise<T>;
  /** Sends one call of the contract from the connected wallet (see `transact.ts`). */
  send(functionName: string, args: readonly unknown[], value?: bigint): Promise<TxResult & { logs: Log[] }>;
  requireAccount(): Promise<Address>;
  ring(account?: Address): Promise<Keyring>;
  profile(address: Address | string): Promise<Profile>;
  profileByHandle(handle: string): Promise<Profile>;
}

/** Same address, whatever the case. */
export const same = (a?: string, b?: string): boolean => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** A transaction's result without its logs (what callers get back). */
export function withoutLogs<T extends { logs: unknown }>(r: T): Omit<T, 'logs'> {
  const { logs: _, ...rest } = r;
  return rest;
}
