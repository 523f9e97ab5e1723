/**
 * A creator's spam controls, on chain: block (or unblock) a sender — whose paid messages and
 * follow-ups the contract then refuses before they pay — and hide messages from the inbox view
 * (their coins still follow the contract's rules).
 */
import type { Address } from 'viem';
import { parseAddress } from './address.js';
import { withoutLogs, type ChatCore } from './core.js';
import { PaidChatError } from './errors.js';
import { ZERO } from './pages.js';
import type { TxResult } from './types.js';
import { checkIdCount } from './units.js';

export async function isBlocked(core: ChatCore, opts: { sender?: Address | string; recipient?: Address | string }): Promise<boolean> {
  const sender = opts.sender ? parseAddress(opts.sender) : await core.requireAccount();
  const recipient = opts.recipient ? parseAddress(opts.recipient) : await core.requireAccount();
  const [, blocked] = await core.read<[number, boolean]>('threadOf', [sender, recipient]);
  return blocked;
}

export async function setBlocked(core: ChatCore, sender: Address | string, blocked: boolean): Promise<TxResult> {
  const address = parseAddress(sender);
  if (address === ZERO) {
    throw new PaidChatError('ADDRESS_INVALID', 'The zero address (0x000…000) is nobody: give the address of the sender to block.', {
      input: sender,
      reason: 'zero-address',
    });
  }
  return withoutLogs(await core.send('setBlocked', [address, blocked]));
}

export async function setHidden(core: ChatCore, ids: bigint[], hidden: boolean): Promise<TxResult> {
  checkIdCount(ids);
  return withoutLogs(await core.send('setHidden', [ids, hidden]));
}
