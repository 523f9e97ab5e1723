/**
 * The headless PaidChat client: profiles, handles, keys, send / reply / refund, follow-ups, inbox
 * and conversation pages (decrypted and verified), and a watch for new events. Built on viem's
 * small `createClient` and single actions, so a browser bundle carries only what it uses.
 *
 * **Scope.** A client made with `scope: { handle, origin }` (as the element makes it) keeps and
 * uses only what opens the conversations between the connected account and that handle: a
 * conversation key with the handle's owner, and — when the account *is* the owner and `origin` is
 * one of its sites — its inbox keys. It refuses everything else (`OUT_OF_SCOPE`,
 * `SITE_NOT_ALLOWED`), so a page never comes to hold a key to another conversation.
 */
import { stringToHex, hexToString, type Address, type Chain, type Client, type Hex, type Transport } from 'viem';
import { getBalance, getBlock } from 'viem/actions';
import { parseAddress } from './address.js';
import type { BackupEntryMeta } from './backup.js';
import { resolveChain, resolveContract, type ChainName } from './chains.js';
import { withoutLogs, type ChatCore } from './core.js';
import { PaidChatError } from './errors.js';
import { handleToBytes32, normalizeHandle } from './handles.js';
import * as keyActions from './key-actions.js';
import { Keyring, type HeldKey, type RestoreReport } from './keyring.js';
import { memoryKeyStore, type KeyStore } from './keystore.js';
import { hasIndexedDb, indexedDbKeyStore } from './keystore-idb.js';
import * as messages from './messages.js';
import * as moderation from './moderation.js';
import { hydrateMessages, readView, ZERO, type RawMessage, type ReadContext } from './pages.js';
import { toPaidChatError } from './revert.js';
import { createReadClient, withRetry, type RetryPolicy } from './rpc.js';
import { SCOPE_FACTS_TTL_MS, ScopeGuard } from './scope.js';
import { toProfile, type RawProfile } from './profiles.js';
import { formatSites, parseSites } from './sites.js';
import * as threads from './threads.js';
import { beforeBroadcast, sendContractTx } from './transact.js';
import type { ChatMessage, ConversationPage, FollowUpResult, KeyStatus, Page, Profile, ReplyResult, SendResult, ThreadInfo, TxResult } from './types.js';
import { checkWindow, formatOne, parseOne } from './units.js';
import { readEvents, watchEvents, type WatchHandle, type WatchOptions } from './watch.js';
import { assertWalletChain, grantedAccount, requestAccount, signTextWith, switchWalletChain, toWalletClient, walletChainId, type WalletInput } from './wallet.js';

export type { WalletInput };

export interface PaidChatOptions {
  /** 'harmony' (default), 'harmony-testnet', 'local' or a viem chain. */
  chain?: ChainName | Chain;
  /** JSON-RPC URL for reads; the chain's default otherwise. */
  rpcUrl?: string;
  /** PaidChat contract address; the chain's default deployment otherwise. */
  contract?: Address;
  /** An EIP-1193 provider (window.ethereum, web3-onboard, a Safe or WalletConnect session) or a viem wallet client. */
  wallet?: WalletInput;
  /** Where keys are kept: IndexedDB of this origin in a browser, memory elsewhere (default). */
  keyStore?: KeyStore;
  /** What this client may hold keys for (see the module comment). */
  scope?: { handle?: string; origin?: string };
  /** Advanced: a viem transport for reads (e.g. webSocket). */
  transport?: Transport;
  /** Retries of failed RPC reads, with backoff; `onRetry` lets a UI say so. */
  retry?: RetryPolicy;
  /** First block to scan when watching history (the deployment block). */
  fromBlock?: bigint;
}

export class PaidChat {
  readonly chain: Chain;
  readonly contract: Address;
  readonly reader: Client<Transport, Chain>;
  readonly fromBlock: bigint;
  /** The handle (canonical, without '@') and origin this client is limited to, if any. */
  readonly scope: { handle?: string; origin?: string };
  #wallet?: Client;
  #retry: RetryPolicy;
  #store: KeyStore;
  #rings = new Map<string, Keyring>();
  readonly #guard: ScopeGuard;
  readonly #core: ChatCore;

  /** How long scope facts (a handle's owner, an account's sites) are reused: a change shows within this time. */
  static readonly SCOPE_FACTS_TTL_MS = SCOPE_FACTS_TTL_MS;

  constructor(options: PaidChatOptions = {}) {
    this.chain = resolveChain(options.chain, options.rpcUrl);
    this.contract = resolveContract(this.chain, options.contract ? parseAddress(options.contract) : undefined);
    this.reader = createReadClient(this.chain, options.transport);
    this.#retry = options.retry ?? {};
    this.fromBlock = options.fromBlock ?? 0n;
    this.#store = options.keyStore ?? (hasIndexedDb() ? indexedDbKeyStore() : memoryKeyStore());
    this.scope = Object.freeze({
      ...(options.scope?.handle ? { handle: normalizeHandle(options.scope.handle) } : {}),
      ...(options.scope?.origin ? { origin: options.scope.origin } : {}),
    });
    if (options.wallet) this.setWallet(options.wallet);
    this.#guard = new ScopeGuard(this.scope, {
      ownerOf: async (handle) => (await this.getProfileByHandle(handle)).address,
      sitesOf: (account) => this.sitesOf(account),
    });
    this.#core = {
      chain: this.chain,
      contract: this.contract,
      ctx: this.#ctx,
      guard: this.#guard,
      read: (functionName, args) => this.#read(functionName, args),
      send: (functionName, args, value) => this.#send(functionName, args, value),
      requireAccount: () => this.#requireAccount(),
      ring: (account) => this.#ring(account),
      profile: (address) => this.getProfileByAddress(address),
      profileByHandle: (handle) => this.getProfileByHandle(handle),
    };
  }

  get #ctx(): ReadContext {
    return { chain: this.chain, contract: this.contract, reader: this.reader, retry: this.#retry };
  }

  // ---------------------------------------------------------------- wallet

  /** Use another wallet (an EIP-1193 provider or a viem wallet client), or none. */
  setWallet(wallet: WalletInput | undefined): void {
    this.#wallet = wallet === undefined ? undefined : toWalletClient(wallet);
  }

  get hasWallet(): boolean {
    return this.#wallet !== undefined;
  }

  #requireWallet(): Client {
    if (!this.#wallet) throw new PaidChatError('NO_WALLET', 'Connect a wallet first.');
    return this.#wallet;
  }

  /** Asks the wallet for access and returns the connected account. */
  connect(): Promise<Address> {
    return requestAccount(this.#requireWallet());
  }

  /** The connected account, or undefined when the wallet has not granted access. */
  async account(): Promise<Address | undefined> {
    return this.#wallet ? grantedAccount(this.#wallet) : undefined;
  }

  async #requireAccount(): Promise<Address> {
    const a = await this.account();
    if (!a) throw new PaidChatError('NO_WALLET', 'Connect a wallet first.');
    return a;
  }

  /** The chain id the wallet is on. */
  walletChainId(): Promise<number> {
    return walletChainId(this.#requireWallet());
  }

  /** Throws WRONG_CHAIN unless the wallet is on this client's chain. */
  assertChain(): Promise<void> {
    return assertWalletChain(this.#requireWallet(), this.chain);
  }

  /** Asks the wallet to switch to this chain, adding it first if the wallet does not know it. */
  switchChain(): Promise<void> {
    return switchWalletChain(this.#requireWallet(), this.chain);
  }

  /**
   * Asks the wallet to sign a plain-text message (EIP-191) as the connected account. Used only for
   * sign-in requests such as the notifier's subscription; no key is ever derived from a signature.
   */
  async signText(message: string): Promise<{ address: Address; signature: Hex }> {
    const w = this.#requireWallet();
    const address = await this.#requireAccount();
    return { address, signature: await signTextWith(w, address, message) };
  }

  async #send(functionName: string, args: readonly unknown[], value = 0n) {
    let wallet: Client;
    let account: Address;
    try {
      wallet = this.#requireWallet();
      account = await this.#requireAccount();
      await this.assertChain();
    } catch (e) {
      throw beforeBroadcast(e);
    }
    return sendContractTx({ chain: this.chain, contract: this.contract, reader: this.reader, retry: this.#retry, wallet, account }, functionName, args, value);
  }

  // ---------------------------------------------------------------- reads

  #read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return readView<T>(this.#ctx, functionName, args);
  }

  async getProfileByAddress(address: Address | string): Promise<Profile> {
    const a = parseAddress(address);
    return toProfile(await this.#read<RawProfile>('profileOf', [a]), a);
  }

  /** The profile of a handle's owner; HANDLE_NOT_FOUND when nobody holds it. */
  async getProfileByHandle(handle: string): Promise<Profile> {
    const h = normalizeHandle(handle);
    const raw = await this.#read<RawProfile>('profileOfHandle', [handleToBytes32(h)]);
    if (raw.account === ZERO) throw new PaidChatError('HANDLE_NOT_FOUND', `Nobody holds @${h} yet.`, { handle: h });
    return toProfile(raw, raw.account);
  }

  /** A profile by handle ('@satoshi', 'satoshi') or address ('0x…', 'one1…'). */
  async getProfile(who: string): Promise<Profile> {
    const s = who.trim();
    return /^(0x|one1)/i.test(s) ? this.getProfileByAddress(s) : this.getProfileByHandle(s);
  }

  /** Whether a handle is free to claim (validates it first). */
  async isHandleAvailable(handle: string): Promise<boolean> {
    return (await this.#read<Address>('ownerOf', [handleToBytes32(normalizeHandle(handle))])) === ZERO;
  }

  /** The sites (origins) where `address` opens its inbox. */
  async sitesOf(address: Address | string): Promise<string[]> {
    const raw = await this.#read<Hex>('sitesOf', [parseAddress(address)]);
    return parseSites(raw === '0x' ? '' : hexToString(raw));
  }

  /** The fee (basis points) a message sent now pays on reply. */
  async feeBps(): Promise<number> {
    return Number(await this.#read<bigint>('feeBps', []));
  }

  async creditOf(address: Address | string): Promise<bigint> {
    return this.#read<bigint>('creditOf', [parseAddress(address)]);
  }

  async balanceOf(address: Address | string): Promise<bigint> {
    return withRetry(() => getBalance(this.reader, { address: parseAddress(address) }), this.#retry);
  }

  async latestTimestamp(): Promise<bigint> {
    return (await withRetry(() => getBlock(this.reader), this.#retry)).timestamp;
  }

  // ---------------------------------------------------------------- keys

  async #ring(account?: Address): Promise<Keyring> {
    const a = account ?? (await this.#requireAccount());
    const id = a.toLowerCase();
    let ring = this.#rings.get(id);
    if (!ring) {
      ring = new Keyring(this.#store, { chainId: this.chain.id, contract: this.contract, account: a });
      this.#rings.set(id, ring);
    }
    return ring;
  }

  /** What the connected account holds here, and what it may do on this page. */
  keyStatus(): Promise<KeyStatus> {
    return keyActions.keyStatus(this.#core);
  }

  /** Every key held here for the connected account (public parts only). */
  async heldKeys(): Promise<HeldKey[]> {
    return (await this.#ring()).held();
  }

  /** Sets (or, with `current`, changes) the backup passphrase; every key is sealed to it and kept non-extractable. */
  async setBackupPassphrase(passphrase: string, opts: { current?: string; cost?: { N?: number } } = {}): Promise<void> {
    await (await this.#ring()).setBackupPassphrase(passphrase, opts);
  }

  /** A backup file (JSON text) of the keys this page may hold. Needs no passphrase. */
  exportBackup(): Promise<string> {
    return keyActions.exportBackup(this.#core);
  }

  /**
   * Checks a backup file before asking for its passphrase: what it holds for this account, and what
   * this page may restore from it. A file for another conversation or another account is refused here,
   * so its passphrase is never typed into the wrong page.
   *
   * @throws PaidChatError `BACKUP_INVALID`, or `OUT_OF_SCOPE` when nothing in it may be restored here.
   */
  inspectBackup(text: string): Promise<{ entries: BackupEntryMeta[]; restorable: BackupEntryMeta[] }> {
    return keyActions.inspectBackup(this.#core, text);
  }

  /** Restores what this page may hold from a backup file. */
  restoreBackup(text: string, passphrase: string): Promise<RestoreReport> {
    return keyActions.restoreBackup(this.#core, text, passphrase);
  }

  /** Forgets every key of the connected account on this device ("sign out of this site"). */
  async forgetKeys(): Promise<void> {
    await (await this.#ring()).forget();
  }

  /**
   * Makes a new inbox key and registers it on chain as the current one. Messages sealed to older
   * keys stay readable wherever those keys are kept.
   */
  rotateInboxKey(): Promise<TxResult & { keyId: number }> {
    return keyActions.rotateInboxKey(this.#core);
  }

  // ---------------------------------------------------------------- profile writes

  /**
   * Claims a handle with a price (ONE as a decimal string, or wei as bigint; may be 0), a reply
   * window in seconds (default 7 days) and the sites where the inbox opens (default: this page's
   * origin). Makes and registers the inbox key in the same transaction.
   */
  claimHandle(opts: { handle: string; price: bigint | string | number; window?: number; sites?: string[] }): Promise<TxResult & { keyId: number }> {
    return keyActions.claimHandle(this.#core, opts);
  }

  /** Changes price, reply window and/or follow-up price of the connected account's handle. */
  async updateProfile(opts: { price?: bigint | string | number; window?: number; followUpPrice?: bigint | string | number }): Promise<TxResult> {
    const me = await this.getProfileByAddress(await this.#requireAccount());
    if (!me.handle) throw new PaidChatError('NO_HANDLE', 'This wallet holds no handle. Claim one first.');
    const price = opts.price === undefined ? me.price : parseOne(opts.price);
    const followUpPrice = opts.followUpPrice === undefined ? me.followUpPrice : parseOne(opts.followUpPrice);
    const window = opts.window ?? me.window;
    checkWindow(window);
    return withoutLogs(await this.#send('updateProfile', [price, window, followUpPrice]));
  }

  /** Sets the sites (origins) where the connected account's inbox may be opened. */
  async setSites(sites: string[]): Promise<TxResult> {
    return withoutLogs(await this.#send('setSites', [stringToHex(formatSites(sites))]).finally(() => this.#guard.forget()));
  }

  async releaseHandle(): Promise<TxResult> {
    return withoutLogs(await this.#send('releaseHandle', []).finally(() => this.#guard.forget()));
  }

  // ---------------------------------------------------------------- messages

  /**
   * Sends an encrypted message with `amount` (default: the recipient's price). The text is checked
   * (≤ 140 bytes of UTF-8) before any wallet prompt; no signature is asked for.
   */
  send(opts: { to: string; text: string; amount?: bigint | string | number }): Promise<SendResult> {
    return messages.sendMessage(this.#core, opts);
  }

  /** Replies to a message (only its recipient, only before its deadline, once); releases the coins. */
  reply(opts: { id: bigint; text: string }): Promise<ReplyResult> {
    return messages.reply(this.#core, opts);
  }

  /** Refunds one message, or every refundable one of several in a single transaction. Anyone may. */
  refund(ids: bigint | bigint[]): Promise<TxResult> {
    return messages.refund(this.#core, ids);
  }

  /** Withdraws payouts that could not be pushed to the connected account (e.g. a reverting contract). */
  async withdrawCredit(to?: Address | string): Promise<TxResult> {
    const account = await this.#requireAccount();
    return withoutLogs(await this.#send('withdrawCredit', [to ? parseAddress(to) : account]));
  }

  // ---------------------------------------------------------------- conversations

  /** Facts of the conversation with `with` (undefined when they never wrote to each other). */
  thread(opts: { with: string }): Promise<ThreadInfo | undefined> {
    return threads.thread(this.#core, opts);
  }

  /**
   * A page of the conversation with `with` (a handle when the connected account is the visitor, the
   * visitor's address when it is the creator): paid messages with their replies and follow-ups,
   * oldest first. Pass `cursor` from the previous page for older entries.
   */
  conversation(opts: { with: string; cursor?: ConversationPage['cursor']; limit?: number }): Promise<ConversationPage> {
    return threads.conversation(this.#core, opts);
  }

  /**
   * Writes a follow-up in an answered conversation. The visitor pays at least the creator's
   * follow-up price (`amount`, default that price); the creator writes for gas only.
   */
  postFollowUp(opts: { with: string; text: string; amount?: bigint | string | number }): Promise<FollowUpResult> {
    return threads.postFollowUp(this.#core, opts);
  }

  /** Closes the conversation with `with` for follow-ups (either party; a reply to a later paid message reopens it). */
  closeThread(opts: { with: string }): Promise<TxResult> {
    return threads.closeThread(this.#core, opts);
  }

  /**
   * Whether `recipient` refuses paid messages and follow-ups from `sender` (either defaults to the
   * connected account). Several calls at once share one JSON-RPC batch.
   */
  isBlocked(opts: { sender?: Address | string; recipient?: Address | string }): Promise<boolean> {
    return moderation.isBlocked(this.#core, opts);
  }

  /** Refuses (or accepts again) paid messages and follow-ups from `sender` to the connected account. */
  setBlocked(sender: Address | string, blocked: boolean): Promise<TxResult> {
    return moderation.setBlocked(this.#core, sender, blocked);
  }

  /** Hides (or shows again) messages of the connected account's inbox; their coins follow the usual rules. */
  setHidden(ids: bigint[], hidden: boolean): Promise<TxResult> {
    return moderation.setHidden(this.#core, ids, hidden);
  }

  // ---------------------------------------------------------------- pages

  /** One message, opened when the connected account is a party to it and holds the key. */
  async getMessage(id: bigint): Promise<ChatMessage> {
    const account = await this.account();
    const raw = await messages.rawMessage(this.#core, id);
    const [m] = await hydrateMessages(this.#ctx, { account, ring: account ? await this.#ring(account) : undefined }, [raw]);
    return m!;
  }

  /** The connected account's inbox, newest first (only where its inbox may be opened). */
  async inbox(opts: { cursor?: bigint; limit?: number } = {}): Promise<Page<ChatMessage>> {
    const account = await this.#requireAccount();
    await this.#guard.requireInbox(account);
    const [raw, next] = await this.#read<[RawMessage[], bigint]>('inboxPage', [account, opts.cursor ?? 0n, BigInt(opts.limit ?? 20)]);
    return { items: await hydrateMessages(this.#ctx, { account, ring: await this.#ring(account) }, raw), nextCursor: next === 0n ? undefined : next };
  }

  // ---------------------------------------------------------------- events

  /** Events involving `account` (default: every event) in [fromBlock, toBlock], oldest first. */
  async events(opts: { account?: Address | string; threads?: number[]; fromBlock: bigint; toBlock: bigint }) {
    return readEvents(this.#ctx, { ...opts, account: opts.account ? parseAddress(opts.account) : undefined });
  }

  /**
   * Calls `onEvent` for each new event involving `account`, polling new blocks (with backoff while
   * the RPC fails). Returns a function that stops it.
   */
  watch(opts: Omit<WatchOptions, 'account'> & { account: Address | string }): (() => void) & WatchHandle {
    const handle = watchEvents(this.#ctx, { ...opts, account: parseAddress(opts.account) });
    return Object.assign(() => handle.stop(), handle);
  }
}

/** Creates a client: `createPaidChat({ chain: 'harmony', wallet: window.ethereum })`. */
export function createPaidChat(options: PaidChatOptions = {}): PaidChat {
  return new PaidChat(options);
}

export { toPaidChatError, formatOne, parseOne };
export { MIN_GAS_PRICE, GAS_MARGIN_PERCENT } from './transact.js';
export type { ChatMessage, ConversationPage, FollowUpResult, KeyStatus, Page, Profile, ReplyResult, SendResult, ThreadInfo, TxResult } from './types.js';
export type { WatchHandle, WatchOptions } from './watch.js';
export type { ChatEvent, MessageStatus, FollowUp, ConversationEntry, ReadState } from './types.js';
