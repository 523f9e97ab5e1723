/**
 * The client's key actions: what is held here (`keyStatus`), backups within the page's scope,
 * registering a new inbox key (rotation, or with a claim), and reconciling keys whose registering
 * transaction the page did not see finish.
 */
import { stringToHex, type Address, type Hex } from 'viem';
import { parseEventLogs } from 'viem/utils';
import type { BackupEntryMeta } from './backup.js';
import { same, withoutLogs, type ChatCore } from './core.js';
import { PaidChatError } from './errors.js';
import { paidChatAbi } from './generated/paid-chat.js';
import { handleToBytes32, normalizeHandle } from './handles.js';
import type { MessagingKey } from './keys.js';
import type { Keyring, RestoreReport } from './keyring.js';
import { ZERO } from './pages.js';
import { toPaidChatError } from './revert.js';
import { certainlyNotApplied } from './transact.js';
import { formatSites } from './sites.js';
import type { KeyStatus, TxResult } from './types.js';
import { checkWindow, parseOne } from './units.js';

/** Inbox keys made here whose registering transaction went through although the page did not see it. */
async function reconcilePending(core: ChatCore, ring: Keyring, account: Address): Promise<void> {
  const pending = await ring.pendingInboxKeys();
  if (pending.length === 0) return;
  const [keys, firstId] = await core.read<[readonly Hex[], number]>('inboxKeysOf', [account]);
  for (const p of pending) {
    const i = keys.findIndex((k) => k.toLowerCase() === p.publicKey);
    if (i >= 0) await ring.confirmInboxKey(p.publicKey, firstId + i);
  }
}

export async function keyStatus(core: ChatCore): Promise<KeyStatus> {
  const account = await core.requireAccount();
  const ring = await core.ring(account);
  const [owner, me, held, backup] = await Promise.all([core.guard.owner(), core.profile(account), ring.held(), ring.backupStatus()]);
  const creator = owner ? same(owner, account) : me.handle !== '';
  const status: KeyStatus = { account, role: creator ? 'creator' : 'visitor', backup };
  if (creator) {
    await reconcilePending(core, ring, account);
    const [fresh, access] = await Promise.all([ring.held(), core.guard.inbox(account)]);
    const ids = fresh.filter((k) => k.kind === 'inbox' && k.keyId !== undefined).map((k) => k.keyId!);
    status.inbox = {
      currentKeyId: me.keyId,
      heldKeyIds: ids.sort((a, b) => a - b),
      holdsCurrent: ids.includes(me.keyId),
      pending: fresh.filter((k) => k.kind === 'inbox' && k.keyId === undefined),
      sites: access.sites,
      siteAllowed: access.ok,
    };
  } else if (owner) {
    status.conversation = { peer: owner, held: held.filter((k) => k.kind === 'conversation' && same(k.peer, owner)).length };
  }
  return status;
}

export async function exportBackup(core: ChatCore): Promise<string> {
  const account = await core.requireAccount();
  return (await core.ring(account)).exportBackup(await core.guard.entryFilter(account));
}

export async function inspectBackup(core: ChatCore, text: string): Promise<{ entries: BackupEntryMeta[]; restorable: BackupEntryMeta[] }> {
  const account = await core.requireAccount();
  const entries = (await core.ring(account)).inspectBackup(text);
  const filter = await core.guard.entryFilter(account);
  const here = (m: BackupEntryMeta) => m.chainId === core.chain.id && same(m.contract, core.contract);
  const restorable = entries.filter((m) => same(m.account, account) && here(m) && filter(m));
  if (restorable.length === 0) {
    const mine = entries.filter((m) => same(m.account, account));
    const what =
      mine.length === 0
        ? `This backup belongs to another account (${entries[0]!.account}). Connect that wallet to restore it.`
        : !mine.some(here)
          ? 'This backup is for another network or contract.'
          : mine.some((m) => m.kind === 'inbox')
            ? 'This backup holds your inbox keys, which open only on your own sites as the handle owner. Restore it there.'
            : `This backup is for other conversations; this page keeps only your conversation with @${core.guard.handle}.`;
    throw new PaidChatError('OUT_OF_SCOPE', what, { entries: entries.length });
  }
  return { entries, restorable };
}

export async function restoreBackup(core: ChatCore, text: string, passphrase: string): Promise<RestoreReport> {
  const account = await core.requireAccount();
  await inspectBackup(core, text);
  const ring = await core.ring(account);
  const report = await ring.restoreBackup(text, passphrase, await core.guard.entryFilter(account));
  // An inbox key backed up while its registration was pending carries no key id in the file: find it on chain.
  if (!report.restored.some((k) => k.kind === 'inbox' && k.keyId === undefined)) return report;
  await reconcilePending(core, ring, account);
  const now = new Map((await ring.held()).map((k) => [k.publicKey, k]));
  return { ...report, restored: report.restored.map((k) => now.get(k.publicKey) ?? k) };
}

/**
 * Runs the transaction that registers `key`; records its id, or forgets the key when the transaction
 * certainly did not take effect (refused before broadcast, or reverted).
 */
async function registerKey(ring: Keyring, key: MessagingKey, tx: () => Promise<TxResult & { logs: any[] }>): Promise<TxResult & { keyId: number }> {
  let res;
  try {
    res = await tx();
  } catch (e) {
    const error = toPaidChatError(e);
    // Only then is the key of no use. After a broadcast (a receipt that could not be read, a wallet
    // that timed out, a Safe that executes later) the key may already be on chain: it stays pending
    // and is matched against the chain by `reconcilePending` on the next visit.
    if (certainlyNotApplied(error)) await ring.deleteKey(key.publicKeyHex);
    throw error;
  }
  const [added] = parseEventLogs({ abi: paidChatAbi, eventName: 'InboxKeyAdded', logs: res.logs });
  if (!added) throw new PaidChatError('TRANSACTION_FAILED', `No InboxKeyAdded event in ${res.txHash}.`);
  await ring.confirmInboxKey(key.publicKeyHex, Number(added.args.keyId));
  return { ...withoutLogs(res), keyId: Number(added.args.keyId) };
}

export async function rotateInboxKey(core: ChatCore): Promise<TxResult & { keyId: number }> {
  const account = await core.requireAccount();
  const me = await core.profile(account);
  if (!me.handle && core.guard.handle) throw new PaidChatError('NOT_HANDLE_OWNER', 'This wallet holds no handle; only a creator has an inbox key.');
  await core.guard.requireInbox(account);
  const ring = await core.ring(account);
  const key = await ring.createInboxKey();
  return registerKey(ring, key, () => core.send('addInboxKey', [key.publicKeyHex]));
}

export async function claimHandle(
  core: ChatCore,
  opts: { handle: string; price: bigint | string | number; window?: number; sites?: string[] },
): Promise<TxResult & { keyId: number }> {
  const handle = normalizeHandle(opts.handle);
  const price = parseOne(opts.price);
  const window = opts.window ?? 0;
  checkWindow(window);
  const sites = formatSites([...(opts.sites ?? []), ...(core.guard.origin ? [core.guard.origin] : [])]);
  if (core.guard.handle && core.guard.handle !== handle) {
    throw new PaidChatError('OUT_OF_SCOPE', `This page is for @${core.guard.handle}; claim @${handle} on its own page.`, { handle });
  }
  const account = await core.requireAccount();
  const owner = await core.read<Address>('ownerOf', [handleToBytes32(handle)]);
  if (owner !== ZERO) throw new PaidChatError('HANDLE_TAKEN', `@${handle} is already taken. Choose another handle.`, { handle, owner });
  const me = await core.profile(account);
  if (me.handle) throw new PaidChatError('ALREADY_HAS_HANDLE', `This wallet already holds @${me.handle}. Release it first, or use another wallet.`, { handle: me.handle });
  const ring = await core.ring(account);
  const key = await ring.createInboxKey();
  return registerKey(ring, key, () =>
    core.send('claimHandle', [handleToBytes32(handle), price, window, key.publicKeyHex, stringToHex(sites)]).finally(() => core.guard.forget()),
  );
}
