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
import { createClient, custom, bytesToHex, stringToHex, hexToString, type Address, type Chain, type Client, type EIP1193Provider, type Hex, type Transport } from 'viem';
import { getAddresses, getBalance, getBlock, getChainId, requestAddresses, signMessage } from 'viem/actions';
import { parseEventLogs } from 'viem/utils';
import { parseAddress } from './address.js';
import type { BackupEntryMeta } from './backup.js';
import { resolveChain, resolveContract, type ChainName } from './chains.js';
import { ENVELOPE_KIND, readEnvelopeHeader, sealEnvelope } from './envelope.js';
import { PaidChatError } from './errors.js';
import { paidChatAbi } from './generated/paid-chat.js';
import { bytes32ToHandle, handleToBytes32, normalizeHandle } from './handles.js';
import { parsePublicKey, type MessagingKey } from './keys.js';
import { Keyring, type HeldKey, type RestoreReport } from './keyring.js';
import { memoryKeyStore, type KeyStore } from './keystore.js';
import { hasIndexedDb, indexedDbKeyStore } from './keystore-idb.js';
import { hydrateMessages, logsAt, readConversation, readView, ZERO, type RawMessage, type ReadContext } from './pages.js';
import { toPaidChatError } from './revert.js';
import { createReadClient, withRetry, type RetryPolicy } from './rpc.js';
import { formatSites, parseSites, siteAllowed } from './sites.js';
import { encodeMessageText } from './text.js';
import { sendContractTx } from './transact.js';
import type { ChatMessage, ConversationPage, FollowUpResult, KeyStatus, Page, Profile, ReplyResult, SendResult, ThreadInfo, TxResult } from './types.js';
import { checkWindow, formatOne, parseOne } from './units.js';
import { readEvents, watchEvents, type WatchHandle, type WatchOptions } from './watch.js';

export type WalletInput = EIP1193Provider | Client;

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

/** The contract's `Profile` tuple, as viem decodes it. */
interface RawProfile {
  account: Address;
  handle: Hex;
  price: bigint;
  followUpPrice: bigint;
  window: bigint;
  keyId: number;
  key: Hex;
  inboxCount: bigint;
}

function isClient(w: WalletInput): w is Client {
  return typeof (w as Client).extend === 'function' && 'transport' in (w as Client);
}

const same = (a?: string, b?: string) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

function toProfile(raw: RawProfile, address: Address): Profile {
  let publicKey: Uint8Array | undefined;
  if (raw.keyId > 0) {
    try {
      publicKey = parsePublicKey(raw.key);
    } catch {
      publicKey = undefined;
    }
  }
  return {
    address,
    handle: bytes32ToHandle(raw.handle),
    price: raw.price,
    followUpPrice: raw.followUpPrice,
    window: Number(raw.window),
    keyId: raw.keyId,
    publicKey,
    hasKey: publicKey !== undefined,
    inboxCount: Number(raw.inboxCount),
  };
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
  /** Facts that scope checks read on every call (a handle's owner, an account's sites), kept briefly. */
  #facts = new Map<string, { at: number; value: Promise<unknown> }>();

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
  }

  get #ctx(): ReadContext {
    return { chain: this.chain, contract: this.contract, reader: this.reader, retry: this.#retry };
  }

  // ---------------------------------------------------------------- wallet

  /** Use another wallet (an EIP-1193 provider or a viem wallet client), or none. */
  setWallet(wallet: WalletInput | undefined): void {
    this.#wallet = wallet === undefined ? undefined : isClient(wallet) ? wallet : createClient({ transport: custom(wallet) });
  }

  get hasWallet(): boolean {
    return this.#wallet !== undefined;
  }

  #requireWallet(): Client {
    if (!this.#wallet) throw new PaidChatError('NO_WALLET', 'Connect a wallet first.');
    return this.#wallet;
  }

  /** Asks the wallet for access and returns the connected account. */
  async connect(): Promise<Address> {
    const w = this.#requireWallet();
    if (w.account) return w.account.address;
    try {
      const [address] = await requestAddresses(w as any);
      if (!address) throw new PaidChatError('NO_WALLET', 'The wallet returned no account. Unlock it and try again.');
      return address;
    } catch (e) {
      throw toPaidChatError(e);
    }
  }

  /** The connected account, or undefined when the wallet has not granted access. */
  async account(): Promise<Address | undefined> {
    const w = this.#wallet;
    if (!w) return undefined;
    if (w.account) return w.account.address;
    try {
      const [a] = await getAddresses(w as any);
      return a;
    } catch (e) {
      throw toPaidChatError(e);
    }
  }

  async #requireAccount(): Promise<Address> {
    const a = await this.account();
    if (!a) throw new PaidChatError('NO_WALLET', 'Connect a wallet first.');
    return a;
  }

  /** The chain id the wallet is on. */
  async walletChainId(): Promise<number> {
    try {
      return await getChainId(this.#requireWallet() as any);
    } catch (e) {
      throw toPaidChatError(e);
    }
  }

  /** Throws WRONG_CHAIN unless the wallet is on this client's chain. */
  async assertChain(): Promise<void> {
    const actual = await this.walletChainId();
    if (actual !== this.chain.id) {
      throw new PaidChatError('WRONG_CHAIN', `Your wallet is on chain ${actual}; switch it to ${this.chain.name} (chain ${this.chain.id}).`, {
        expected: this.chain.id,
        actual,
      });
    }
  }

  /** Asks the wallet to switch to this chain, adding it first if the wallet does not know it. */
  async switchChain(): Promise<void> {
    const w = this.#requireWallet();
    const hexId = `0x${this.chain.id.toString(16)}`;
    try {
      await w.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: hexId }] } as any);
    } catch (e: any) {
      const code = e?.code ?? e?.cause?.code;
      if (code !== 4902) throw toPaidChatError(e);
      try {
        await w.request({
          method: 'wallet_addEthereumChain',
          params: [
            {
              chainId: hexId,
              chainName: this.chain.name,
              nativeCurrency: this.chain.nativeCurrency,
              rpcUrls: this.chain.rpcUrls.default.http,
              blockExplorerUrls: this.chain.blockExplorers ? [this.chain.blockExplorers.default.url] : undefined,
            },
          ],
        } as any);
      } catch (e2) {
        throw toPaidChatError(e2);
      }
    }
  }

  /**
   * Asks the wallet to sign a plain-text message (EIP-191) as the connected account. Used only for
   * sign-in requests such as the notifier's subscription; no key is ever derived from a signature.
   */
  async signText(message: string): Promise<{ address: Address; signature: Hex }> {
    const w = this.#requireWallet();
    const address = await this.#requireAccount();
    try {
      const signature = await signMessage(w as any, { account: (w.account ?? address) as any, message });
      return { address, signature };
    } catch (e) {
      throw toPaidChatError(e);
    }
  }

  async #send(functionName: string, args: readonly unknown[], value = 0n) {
    const wallet = this.#requireWallet();
    const account = await this.#requireAccount();
    await this.assertChain();
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

  // ---------------------------------------------------------------- scope and keys

  /** How long scope facts are reused (a change of owner or sites shows within this time). */
  static readonly SCOPE_FACTS_TTL_MS = 30_000;

  #fact<T>(key: string, read: () => Promise<T>): Promise<T> {
    const hit = this.#facts.get(key);
    if (hit && Date.now() - hit.at < PaidChat.SCOPE_FACTS_TTL_MS) return hit.value as Promise<T>;
    const value = read();
    this.#facts.set(key, { at: Date.now(), value });
    value.catch(() => this.#facts.delete(key));
    return value;
  }

  /** Forgets cached scope facts (after this client changed them). */
  #forgetFacts(): void {
    this.#facts.clear();
  }

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

  /** The owner of the scope's handle (undefined without a scope handle). */
  async #scopeOwner(): Promise<Address | undefined> {
    const handle = this.scope.handle;
    if (!handle) return undefined;
    return this.#fact(`owner:${handle}`, async () => (await this.getProfileByHandle(handle)).address);
  }

  /** @throws PaidChatError `OUT_OF_SCOPE` unless a conversation with `peer` is in this client's scope. */
  async #checkPeer(peer: Address): Promise<void> {
    const owner = await this.#scopeOwner();
    if (owner && !same(owner, peer)) {
      throw new PaidChatError(
        'OUT_OF_SCOPE',
        `This page is for @${this.scope.handle}; it does not keep keys for conversations with anyone else. Write to them on a page that embeds their handle.`,
        { handle: this.scope.handle, peer },
      );
    }
  }

  /**
   * Whether the inbox of `account` may be opened here: it must own the scope's handle, and the
   * page's origin must be one of its sites.
   */
  async #inboxAllowed(account: Address): Promise<{ ok: true; sites: string[] } | { ok: false; error: PaidChatError; sites: string[] }> {
    const [owner, sites] = await Promise.all([
      this.#scopeOwner(),
      this.scope.origin ? this.#fact(`sites:${account.toLowerCase()}`, () => this.sitesOf(account)) : Promise.resolve([] as string[]),
    ]);
    if (owner && !same(owner, account)) {
      return {
        ok: false,
        sites,
        error: new PaidChatError('NOT_HANDLE_OWNER', `This page is for @${this.scope.handle}, which this wallet does not own; its inbox cannot be opened here.`, {
          handle: this.scope.handle,
        }),
      };
    }
    if (this.scope.origin && !siteAllowed(sites, this.scope.origin)) {
      return {
        ok: false,
        sites,
        error: new PaidChatError(
          'SITE_NOT_ALLOWED',
          sites.length
            ? `Your inbox opens only on your own sites (${sites.join(', ')}). This page (${this.scope.origin}) is not one of them: open your inbox there, or add this site from one of them.`
            : `Your profile lists no site where your inbox may be opened. Add ${this.scope.origin} in your settings first.`,
          { origin: this.scope.origin, sites },
        ),
      };
    }
    return { ok: true, sites };
  }

  async #requireInbox(account: Address): Promise<void> {
    const allowed = await this.#inboxAllowed(account);
    if (!allowed.ok) throw allowed.error;
  }

  /** Which backup entries this page may restore or export. */
  async #entryFilter(account: Address): Promise<(m: BackupEntryMeta) => boolean> {
    const owner = await this.#scopeOwner();
    const inbox = (await this.#inboxAllowed(account)).ok;
    return (m) => (m.kind === 'inbox' ? inbox : !owner || same(m.peer, owner));
  }

  /** What the connected account holds here, and what it may do on this page. */
  async keyStatus(): Promise<KeyStatus> {
    const account = await this.#requireAccount();
    const ring = await this.#ring(account);
    const [owner, me, heldKeys, backup] = await Promise.all([this.#scopeOwner(), this.getProfileByAddress(account), ring.held(), ring.backupStatus()]);
    const creator = owner ? same(owner, account) : me.handle !== '';
    const status: KeyStatus = { account, role: creator ? 'creator' : 'visitor', backup };
    if (creator) {
      await this.#reconcilePending(ring, account);
      const fresh = await ring.held();
      const allowed = await this.#inboxAllowed(account);
      const ids = fresh.filter((k) => k.kind === 'inbox' && k.keyId !== undefined).map((k) => k.keyId!);
      status.inbox = {
        currentKeyId: me.keyId,
        heldKeyIds: ids.sort((a, b) => a - b),
        holdsCurrent: ids.includes(me.keyId),
        pending: fresh.filter((k) => k.kind === 'inbox' && k.keyId === undefined),
        sites: allowed.sites,
        siteAllowed: allowed.ok,
      };
      status.backup = await ring.backupStatus();
    } else if (owner) {
      status.conversation = { peer: owner, held: heldKeys.filter((k) => k.kind === 'conversation' && same(k.peer, owner)).length };
    }
    return status;
  }

  /** Inbox keys made here whose registering transaction went through although the page did not see it. */
  async #reconcilePending(ring: Keyring, account: Address): Promise<void> {
    const pending = await ring.pendingInboxKeys();
    if (pending.length === 0) return;
    const [keys, firstId] = await this.#read<[readonly Hex[], number]>('inboxKeysOf', [account]);
    for (const p of pending) {
      const i = keys.findIndex((k) => k.toLowerCase() === p.publicKey);
      if (i >= 0) await ring.confirmInboxKey(p.publicKey, firstId + i);
    }
  }

  /** Every key held here for the connected account (public parts only). */
  async heldKeys(): Promise<HeldKey[]> {
    return (await this.#ring()).held();
  }

  /** Sets (or, with `current`, changes) the backup passphrase; every key is sealed to it and kept non-extractable. */
  async setBackupPassphrase(passphrase: string, opts: { current?: string; cost?: { N?: number } } = {}): Promise<void> {
    await (await this.#ring()).setBackupPassphrase(passphrase, opts);
  }

  /** A backup file (JSON text) of the keys this page may hold. */
  async exportBackup(): Promise<string> {
    const account = await this.#requireAccount();
    return (await this.#ring(account)).exportBackup(await this.#entryFilter(account));
  }

  /**
   * Checks a backup file before asking for its passphrase: what it holds for this account, and what
   * this page may restore from it. A file for another conversation or another account is refused here,
   * so its passphrase is never typed into the wrong page.
   *
   * @throws PaidChatError `BACKUP_INVALID`, or `OUT_OF_SCOPE` when nothing in it may be restored here.
   */
  async inspectBackup(text: string): Promise<{ entries: BackupEntryMeta[]; restorable: BackupEntryMeta[] }> {
    const account = await this.#requireAccount();
    const ring = await this.#ring(account);
    const entries = ring.inspectBackup(text);
    const filter = await this.#entryFilter(account);
    const restorable = entries.filter((m) => same(m.account, account) && m.chainId === this.chain.id && same(m.contract, this.contract) && filter(m));
    if (restorable.length === 0) {
      const mine = entries.filter((m) => same(m.account, account));
      const what = mine.length === 0
        ? `This backup belongs to another account (${entries[0]!.account}). Connect that wallet to restore it.`
        : mine.every((m) => m.chainId !== this.chain.id || !same(m.contract, this.contract))
          ? 'This backup is for another network or contract.'
          : mine.some((m) => m.kind === 'inbox')
            ? 'This backup holds your inbox keys, which open only on your own sites as the handle owner. Restore it there.'
            : `This backup is for other conversations; this page keeps only your conversation with @${this.scope.handle}.`;
      throw new PaidChatError('OUT_OF_SCOPE', what, { entries: entries.length });
    }
    return { entries, restorable };
  }

  /** Restores what this page may hold from a backup file. */
  async restoreBackup(text: string, passphrase: string): Promise<RestoreReport> {
    const account = await this.#requireAccount();
    await this.inspectBackup(text);
    return (await this.#ring(account)).restoreBackup(text, passphrase, await this.#entryFilter(account));
  }

  /** Forgets every key of the connected account on this device ("sign out of this site"). */
  async forgetKeys(): Promise<void> {
    await (await this.#ring()).forget();
  }

  /**
   * Makes a new inbox key and registers it on chain as the current one. Messages sealed to older
   * keys stay readable wherever those keys are kept.
   */
  async rotateInboxKey(): Promise<TxResult & { keyId: number }> {
    const account = await this.#requireAccount();
    const me = await this.getProfileByAddress(account);
    if (!me.handle && this.scope.handle) throw new PaidChatError('NOT_HANDLE_OWNER', 'This wallet holds no handle; only a creator has an inbox key.');
    await this.#requireInbox(account);
    const ring = await this.#ring(account);
    const key = await ring.createInboxKey();
    const res = await this.#registerKey(ring, key, () => this.#send('addInboxKey', [key.publicKeyHex]));
    return res;
  }

  /** Runs the transaction that registers `key`; records its id, or forgets the key if nothing was sent. */
  async #registerKey<T extends TxResult & { logs: any[] }>(ring: Keyring, key: MessagingKey, tx: () => Promise<T>): Promise<Omit<T, 'logs'> & { keyId: number }> {
    let res: T;
    try {
      res = await tx();
    } catch (e) {
      const error = toPaidChatError(e);
      // Nothing reached the chain: the key is of no use. (After an RPC failure the transaction may
      // have gone through; the key stays pending and is matched against the chain on the next visit.)
      if (error.code !== 'RPC_UNAVAILABLE') await ring.deleteKey(key.publicKeyHex);
      throw error;
    }
    const [added] = parseEventLogs({ abi: paidChatAbi, eventName: 'InboxKeyAdded', logs: res.logs });
    if (!added) throw new PaidChatError('TRANSACTION_FAILED', `No InboxKeyAdded event in ${res.txHash}.`);
    await ring.confirmInboxKey(key.publicKeyHex, Number(added.args.keyId));
    const { logs: _, ...rest } = res;
    return { ...rest, keyId: Number(added.args.keyId) };
  }

  // ---------------------------------------------------------------- profile writes

  /**
   * Claims a handle with a price (ONE as a decimal string, or wei as bigint; may be 0), a reply
   * window in seconds (default 7 days) and the sites where the inbox opens (default: this page's
   * origin). Makes and registers the inbox key in the same transaction.
   */
  async claimHandle(opts: { handle: string; price: bigint | string | number; window?: number; sites?: string[] }): Promise<TxResult & { keyId: number }> {
    const handle = normalizeHandle(opts.handle);
    const price = parseOne(opts.price);
    const window = opts.window ?? 0;
    checkWindow(window);
    const sites = formatSites([...(opts.sites ?? []), ...(this.scope.origin ? [this.scope.origin] : [])]);
    if (this.scope.handle && this.scope.handle !== handle) {
      throw new PaidChatError('OUT_OF_SCOPE', `This page is for @${this.scope.handle}; claim @${handle} on its own page.`, { handle });
    }
    const account = await this.#requireAccount();
    const owner = await this.#read<Address>('ownerOf', [handleToBytes32(handle)]);
    if (owner !== ZERO) throw new PaidChatError('HANDLE_TAKEN', `@${handle} is already taken. Choose another handle.`, { handle, owner });
    const me = await this.getProfileByAddress(account);
    if (me.handle) throw new PaidChatError('ALREADY_HAS_HANDLE', `This wallet already holds @${me.handle}. Release it first, or use another wallet.`, { handle: me.handle });
    const ring = await this.#ring(account);
    const key = await ring.createInboxKey();
    return this.#registerKey(ring, key, () =>
      this.#send('claimHandle', [handleToBytes32(handle), price, window, key.publicKeyHex, stringToHex(sites)]).finally(() => this.#forgetFacts()),
    );
  }

  /** Changes price, reply window and/or follow-up price of the connected account's handle. */
  async updateProfile(opts: { price?: bigint | string | number; window?: number; followUpPrice?: bigint | string | number }): Promise<TxResult> {
    const me = await this.getProfileByAddress(await this.#requireAccount());
    if (!me.handle) throw new PaidChatError('NO_HANDLE', 'This wallet holds no handle. Claim one first.');
    const price = opts.price === undefined ? me.price : parseOne(opts.price);
    const followUpPrice = opts.followUpPrice === undefined ? me.followUpPrice : parseOne(opts.followUpPrice);
    const window = opts.window ?? me.window;
    checkWindow(window);
    const { logs: _, ...res } = await this.#send('updateProfile', [price, window, followUpPrice]);
    return res;
  }

  /** Sets the sites (origins) where the connected account's inbox may be opened. */
  async setSites(sites: string[]): Promise<TxResult> {
    const { logs: _, ...res } = await this.#send('setSites', [stringToHex(formatSites(sites))]).finally(() => this.#forgetFacts());
    return res;
  }

  async releaseHandle(): Promise<TxResult> {
    const { logs: _, ...res } = await this.#send('releaseHandle', []).finally(() => this.#forgetFacts());
    return res;
  }

  // ---------------------------------------------------------------- messages

  /** The newest conversation key with `peer` held here, or a new one (kept before it is used). */
  async #conversationKey(ring: Keyring, peer: Address): Promise<MessagingKey> {
    const held = await ring.conversationKeys(peer);
    return held[held.length - 1] ?? (await ring.createConversationKey(peer));
  }

  /**
   * Sends an encrypted message with `amount` (default: the recipient's price). The text is checked
   * (≤ 140 bytes of UTF-8) before any wallet prompt; no signature is asked for.
   */
  async send(opts: { to: string; text: string; amount?: bigint | string | number }): Promise<SendResult> {
    encodeMessageText(opts.text);
    let recipient = await this.getProfile(opts.to);
    if (!recipient.handle) throw new PaidChatError('HANDLE_NOT_FOUND', `${opts.to} holds no handle, so it cannot receive paid messages.`, { to: opts.to });
    if (!recipient.publicKey) throw new PaidChatError('KEY_MISSING', `@${recipient.handle} has no usable inbox key, so a message could not be read. Nothing was sent.`);
    await this.#checkPeer(recipient.address);
    const amount = opts.amount === undefined ? recipient.price : parseOne(opts.amount);
    if (amount < recipient.price) {
      throw new PaidChatError('PRICE_TOO_LOW', `@${recipient.handle} asks at least ${formatOne(recipient.price)} ONE; ${formatOne(amount)} ONE is too little.`, {
        required: recipient.price,
        sent: amount,
      });
    }
    const account = await this.#requireAccount();
    if (same(account, recipient.address)) throw new PaidChatError('SELF_MESSAGE', 'You cannot send a paid message to yourself.');
    const key = await this.#conversationKey(await this.#ring(account), recipient.address);
    const seal = (p: Profile) =>
      sealEnvelope({
        kind: ENVELOPE_KIND.message,
        text: opts.text,
        authorKey: key,
        readerPublicKey: p.publicKey!,
        keyId: p.keyId,
        context: { chainId: this.chain.id, contract: this.contract, author: account, reader: p.address },
      });
    let res;
    try {
      res = await this.#send('sendMessage', [recipient.address, BigInt(recipient.window), bytesToHex(await seal(recipient))], amount);
    } catch (e) {
      if ((e as PaidChatError).code !== 'KEY_STALE') throw e;
      // The creator replaced their key between our read and the estimate: seal to the new one.
      recipient = await this.getProfileByAddress(recipient.address);
      res = await this.#send('sendMessage', [recipient.address, BigInt(recipient.window), bytesToHex(await seal(recipient))], amount);
    }
    const [sent] = parseEventLogs({ abi: paidChatAbi, eventName: 'MessageSent', logs: res.logs });
    if (!sent) throw new PaidChatError('TRANSACTION_FAILED', `No MessageSent event in ${res.txHash}.`);
    // The fee is fixed in the block of the send; the creator gets the rest on reply.
    const bps = await this.#read<bigint>('feeAt', [res.blockNumber]);
    const fee = (sent.args.amount * bps) / 10_000n;
    return {
      id: sent.args.id,
      thread: Number(sent.args.thread),
      amount: sent.args.amount,
      fee,
      payout: sent.args.amount - fee,
      txHash: res.txHash,
      blockNumber: res.blockNumber,
      explorerUrl: res.explorerUrl,
    };
  }

  /** The inbox key to write with: the current one if held here, else the newest held. */
  async #authorInboxKey(ring: Keyring, account: Address): Promise<{ key: MessagingKey; keyId: number }> {
    const me = await this.getProfileByAddress(account);
    for (let id = me.keyId; id > 0; id--) {
      const key = await ring.inboxKey(id);
      if (key) return { key, keyId: id };
    }
    throw new PaidChatError(
      'KEY_NOT_HELD',
      'This browser holds none of your inbox keys. Restore your key backup, or register a new inbox key (messages sealed to the old one stay unreadable here).',
      { currentKeyId: me.keyId },
    );
  }

  /** The visitor's conversation key that a message of theirs carries. */
  async #visitorKeyOf(id: bigint, sentBlock: bigint): Promise<Uint8Array> {
    const logs = await logsAt(this.#ctx, [sentBlock], false);
    const sent = logs.find((l) => l.eventName === 'MessageSent' && l.args.id === id);
    if (!sent) throw new PaidChatError('ENVELOPE_INVALID', 'The message ciphertext was not found at the block the contract points to.', { reason: 'missing', id });
    return readEnvelopeHeader(sent.args.envelope).conversationKey;
  }

  /** Replies to a message (only its recipient, only before its deadline, once); releases the coins. */
  async reply(opts: { id: bigint; text: string }): Promise<ReplyResult> {
    encodeMessageText(opts.text);
    const m = await this.#rawMessage(opts.id);
    const account = await this.#requireAccount();
    if (!same(m.recipient, account)) {
      throw new PaidChatError('NOT_RECIPIENT', 'Only the recipient of this message can reply to it. Connect the wallet that owns the handle.', { id: opts.id });
    }
    this.#assertOpen(m, 'reply');
    await this.#requireInbox(account);
    const { key, keyId } = await this.#authorInboxKey(await this.#ring(account), account);
    const visitorKey = await this.#visitorKeyOf(m.id, m.sentBlock);
    const envelope = await sealEnvelope({
      kind: ENVELOPE_KIND.reply,
      text: opts.text,
      authorKey: key,
      readerPublicKey: visitorKey,
      keyId,
      context: { chainId: this.chain.id, contract: this.contract, author: account, reader: m.sender, ref: opts.id },
    });
    const { logs, ...res } = await this.#send('reply', [opts.id, bytesToHex(envelope)]);
    const [replied] = parseEventLogs({ abi: paidChatAbi, eventName: 'MessageReplied', logs });
    return { ...res, thread: Number(m.thread), payout: replied?.args.payout ?? 0n, fee: replied?.args.fee ?? 0n };
  }

  /** Refunds one message, or every refundable one of several in a single transaction. Anyone may. */
  async refund(ids: bigint | bigint[]): Promise<TxResult> {
    const list = Array.isArray(ids) ? ids : [ids];
    if (list.length === 0) throw new PaidChatError('MESSAGE_NOT_FOUND', 'No message ids were given.');
    if (list.length === 1) this.#assertOpen(await this.#rawMessage(list[0]!), 'refund');
    const { logs: _, ...res } = list.length === 1 ? await this.#send('refund', [list[0]]) : await this.#send('refundMany', [list]);
    return res;
  }

  /** Withdraws payouts that could not be pushed to the connected account (e.g. a reverting contract). */
  async withdrawCredit(to?: Address | string): Promise<TxResult> {
    const account = await this.#requireAccount();
    const { logs: _, ...res } = await this.#send('withdrawCredit', [to ? parseAddress(to) : account]);
    return res;
  }

  #assertOpen(m: RawMessage, action: 'reply' | 'refund') {
    const status = m.status;
    if (status === 3 || status === 4) {
      throw new PaidChatError('ALREADY_SETTLED', `This message is already ${status === 3 ? 'replied to' : 'refunded'}.`, { id: m.id, status });
    }
    if (action === 'reply' && status === 2) {
      throw new PaidChatError('REPLY_WINDOW_CLOSED', `The reply window closed at ${new Date(Number(m.deadline) * 1000).toISOString()}; the sender can now take a refund.`, {
        id: m.id,
        deadline: m.deadline,
      });
    }
    if (action === 'refund' && status === 1) {
      throw new PaidChatError('NOT_YET_REFUNDABLE', `Not refundable yet: the creator can reply until ${new Date(Number(m.deadline) * 1000).toISOString()}.`, {
        id: m.id,
        deadline: m.deadline,
      });
    }
  }

  async #rawMessage(id: bigint): Promise<RawMessage> {
    const m = await this.#read<RawMessage>('getMessage', [id]);
    if (m.status === 0) throw new PaidChatError('MESSAGE_NOT_FOUND', `There is no message ${id}.`, { id });
    return m;
  }

  // ---------------------------------------------------------------- conversations

  /**
   * The conversation visitor → creator that `with` names for the connected account. A handle names
   * its owner as the creator; an address names a visitor writing to me. On a scoped page, the owner
   * of the page's handle is always the creator.
   */
  async #parties(withWho: string): Promise<{ visitor: Address; creator: Address; account: Address }> {
    const account = await this.#requireAccount();
    const owner = await this.#scopeOwner();
    const w = withWho.trim();
    const isAddress = /^(0x|one1)/i.test(w);
    const other = { address: isAddress ? parseAddress(w) : owner && normalizeHandle(w) === this.scope.handle ? owner : (await this.getProfileByHandle(w)).address };
    const meCreator = owner ? same(owner, account) : isAddress;
    if (same(other.address, account)) throw new PaidChatError('SELF_MESSAGE', 'A conversation needs two different accounts.');
    if (meCreator) {
      await this.#requireInbox(account);
      return { visitor: other.address, creator: account, account };
    }
    await this.#checkPeer(other.address);
    return { visitor: account, creator: other.address, account };
  }

  /** Facts of the conversation with `with` (undefined when they never wrote to each other). */
  async thread(opts: { with: string }): Promise<ThreadInfo | undefined> {
    const { visitor, creator } = await this.#parties(opts.with);
    const [t] = await this.#read<[number, boolean]>('threadOf', [visitor, creator]);
    if (!t) return undefined;
    const v = await this.#read<any>('getThread', [t]);
    return { thread: Number(v.thread), visitor: v.sender, creator: v.recipient, followUps: Number(v.followUps), ticket: v.ticket, open: v.ticket !== 0n, blocked: v.blocked };
  }

  /**
   * A page of the conversation with `with` (a handle when the connected account is the visitor, the
   * visitor's address when it is the creator): paid messages with their replies and follow-ups,
   * oldest first. Pass `cursor` from the previous page for older entries.
   */
  async conversation(opts: { with: string; cursor?: ConversationPage['cursor']; limit?: number }): Promise<ConversationPage> {
    const { visitor, creator, account } = await this.#parties(opts.with);
    return readConversation(this.#ctx, { account, ring: await this.#ring(account) }, { visitor, creator }, opts.cursor, opts.limit ?? 50);
  }

  /**
   * Writes a follow-up in an answered conversation. The visitor pays at least the creator's
   * follow-up price (`amount`, default that price); the creator writes for gas only.
   */
  async postFollowUp(opts: { with: string; text: string; amount?: bigint | string | number }): Promise<FollowUpResult> {
    encodeMessageText(opts.text);
    const { visitor, creator, account } = await this.#parties(opts.with);
    const info = await this.thread({ with: opts.with });
    if (!info?.open) {
      throw new PaidChatError('THREAD_NOT_OPEN', 'This conversation is not open for follow-ups: the creator has not replied to a paid message in it (since it was last closed).', {
        thread: info?.thread ?? 0,
      });
    }
    const ring = await this.#ring(account);
    const ref = BigInt(info.thread);
    let envelope: Uint8Array;
    let value = 0n;
    if (same(account, visitor)) {
      const p = await this.getProfileByAddress(creator);
      if (!p.publicKey) throw new PaidChatError('KEY_MISSING', 'The creator has no usable inbox key.');
      value = opts.amount === undefined ? p.followUpPrice : parseOne(opts.amount);
      if (value < p.followUpPrice) {
        throw new PaidChatError('PRICE_TOO_LOW', `A follow-up costs at least ${formatOne(p.followUpPrice)} ONE; ${formatOne(value)} ONE is too little.`, {
          required: p.followUpPrice,
          sent: value,
        });
      }
      envelope = await sealEnvelope({
        kind: ENVELOPE_KIND.visitorFollowUp,
        text: opts.text,
        authorKey: await this.#conversationKey(ring, creator),
        readerPublicKey: p.publicKey,
        keyId: p.keyId,
        context: { chainId: this.chain.id, contract: this.contract, author: account, reader: creator, ref },
      });
    } else {
      if (opts.amount !== undefined && parseOne(opts.amount) !== 0n) throw new PaidChatError('VALUE_NOT_ACCEPTED', 'A creator cannot send coins with a follow-up.');
      const { key, keyId } = await this.#authorInboxKey(ring, account);
      envelope = await sealEnvelope({
        kind: ENVELOPE_KIND.creatorFollowUp,
        text: opts.text,
        authorKey: key,
        readerPublicKey: await this.#latestVisitorKey(visitor, creator),
        keyId,
        context: { chainId: this.chain.id, contract: this.contract, author: account, reader: visitor, ref },
      });
    }
    const res = await this.#send('postFollowUp', [info.ticket, bytesToHex(envelope)], value);
    const [posted] = parseEventLogs({ abi: paidChatAbi, eventName: 'FollowUpPosted', logs: res.logs });
    const { logs: _, ...rest } = res;
    return { ...rest, thread: info.thread, index: Number(posted?.args.index ?? 0), amount: value, payout: posted?.args.payout ?? 0n, fee: posted?.args.fee ?? 0n };
  }

  /** The visitor's newest conversation key in their conversation with the creator (from their newest entry). */
  async #latestVisitorKey(visitor: Address, creator: Address): Promise<Uint8Array> {
    let cursor: ConversationPage['cursor'];
    for (let i = 0; i < 20; i++) {
      const page = await readConversation(this.#ctx, {}, { visitor, creator }, cursor, 20);
      const logs = [...page.entries].reverse();
      for (const e of logs) {
        if (e.type === 'message') return this.#visitorKeyOf(e.message.id, e.message.sentBlock);
        if (e.followUp.by === 'visitor') {
          const l = (await logsAt(this.#ctx, [e.followUp.blockNumber], true)).find(
            (x) => x.eventName === 'FollowUpPosted' && Number(x.args.index) === e.followUp.index && Number(x.args.thread) === e.followUp.thread,
          );
          if (l) return readEnvelopeHeader(l.args.envelope).conversationKey;
        }
      }
      if (!page.cursor) break;
      cursor = page.cursor;
    }
    throw new PaidChatError('KEY_MISSING', 'The visitor has no conversation key in this conversation.');
  }

  /** Closes the conversation with `with` for follow-ups (either party; a reply to a later paid message reopens it). */
  async closeThread(opts: { with: string }): Promise<TxResult> {
    const info = await this.thread(opts);
    if (!info) throw new PaidChatError('MESSAGE_NOT_FOUND', 'There is no conversation with them yet.');
    const { logs: _, ...res } = await this.#send('closeThread', [info.thread]);
    return res;
  }

  /**
   * Whether `recipient` refuses paid messages and follow-ups from `sender` (either defaults to the
   * connected account). Several calls at once share one JSON-RPC batch.
   */
  async isBlocked(opts: { sender?: Address | string; recipient?: Address | string }): Promise<boolean> {
    const sender = opts.sender ? parseAddress(opts.sender) : await this.#requireAccount();
    const recipient = opts.recipient ? parseAddress(opts.recipient) : await this.#requireAccount();
    const [, blocked] = await this.#read<[number, boolean]>('threadOf', [sender, recipient]);
    return blocked;
  }

  /** Refuses (or accepts again) paid messages and follow-ups from `sender` to the connected account. */
  async setBlocked(sender: Address | string, blocked: boolean): Promise<TxResult> {
    const { logs: _, ...res } = await this.#send('setBlocked', [parseAddress(sender), blocked]);
    return res;
  }

  /** Hides (or shows again) messages of the connected account's inbox; their coins follow the usual rules. */
  async setHidden(ids: bigint[], hidden: boolean): Promise<TxResult> {
    if (ids.length === 0) throw new PaidChatError('MESSAGE_NOT_FOUND', 'No message ids were given.');
    const { logs: _, ...res } = await this.#send('setHidden', [ids, hidden]);
    return res;
  }

  // ---------------------------------------------------------------- pages

  /** One message, opened when the connected account is a party to it and holds the key. */
  async getMessage(id: bigint): Promise<ChatMessage> {
    const account = await this.account();
    const raw = await this.#rawMessage(id);
    const [m] = await hydrateMessages(this.#ctx, { account, ring: account ? await this.#ring(account) : undefined }, [raw]);
    return m!;
  }

  /** The connected account's inbox, newest first (only where its inbox may be opened). */
  async inbox(opts: { cursor?: bigint; limit?: number } = {}): Promise<Page<ChatMessage>> {
    const account = await this.#requireAccount();
    await this.#requireInbox(account);
    const [raw, next] = await this.#read<[RawMessage[], bigint]>('inboxPage', [account, opts.cursor ?? 0n, BigInt(opts.limit ?? 20)]);
    return { items: await hydrateMessages(this.#ctx, { account, ring: await this.#ring(account) }, raw), nextCursor: next === 0n ? undefined : next };
  }

  // ---------------------------------------------------------------- events

  /** Events involving `account` (default: the connected one) in [fromBlock, toBlock], oldest first. */
  async events(opts: { account?: Address | string; threads?: number[]; fromBlock: bigint; toBlock: bigint }) {
    return readEvents(this.#ctx, { ...opts, account: opts.account ? parseAddress(opts.account) : undefined });
  }

  /**
   * Calls `onEvent` for each new event involving `account`, polling new blocks (with backoff while
   * the RPC fails). Returns a function that stops it, which also has `stop()` and `pollNow()`.
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
