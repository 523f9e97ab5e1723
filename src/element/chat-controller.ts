/**
 * Everything `<harmony-paid-chat>` does after the first click: the SDK client, the wallet
 * connection, the visitor's outbox, the creator's inbox, the watch subscription, and each action
 * (connect, switch chain, send, reply, refund, unlock, claim, settings, email).
 *
 * Loaded lazily (with the full SDK and its crypto) by the element. DOM-free apart from the host it
 * reports to; cleans up its watch, timer and wallet listeners in `hostDisconnected`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Address } from 'viem';
import { createPaidChat, toPaidChatError, parseOne, type PaidChat, type ChatMessage, type ChatEvent } from '../sdk/client.js';
import { PaidChatError } from '../sdk/errors.js';
import type { ChainName } from '../sdk/chains.js';
import type { Card } from '../sdk/card.js';
import type { RetryInfo } from '../sdk/rpc.js';
import { MAX_MESSAGE_BYTES, utf8Length } from '../sdk/text.js';
import { chooseWallet, observeProvider, type Eip1193Provider, type WalletChoice } from './wallet.js';
import {
  HarmonyConnectEvent,
  HarmonyErrorEvent,
  HarmonyMessageSentEvent,
  HarmonyRefundEvent,
  HarmonyReplySentEvent,
} from './events.js';
import { at, ones, weiFromOne } from './format.js';

export type StatusTone = 'info' | 'busy' | 'success' | 'warn' | 'error';

/** What the controller needs from its element. */
export interface ChatHost extends ReactiveControllerHost, HTMLElement {
  handle: string;
  chain: ChainName;
  rpcUrl?: string;
  contract?: string;
  provider?: Eip1193Provider;
  notifierUrl?: string;
  readonly card: Card | undefined;
  announce(text: string, tone?: StatusTone): void;
  refreshCard(): Promise<Card | undefined>;
  focusSelector(selector: string): Promise<void>;
}

export type Phase = 'idle' | 'connecting' | 'no-wallet' | 'wrong-chain' | 'ready';
export type Step = 'confirm' | 'sending';
export type SendStep = 'idle' | Step | 'delivered' | 'error';
export type Action = 'connect' | 'switch-chain' | 'send' | 'reply' | 'refund' | 'unlock' | 'claim' | 'settings' | 'email' | 'load';

export interface Busy {
  action: Action;
  /** Message id for reply / refund. */
  id?: bigint;
  step: Step;
  /** What the wallet is asking for right now. */
  prompt?: 'signature' | 'transaction';
}

export interface ActionError {
  action: Action;
  id?: bigint;
  error: PaidChatError;
}

/** A message is "close to its deadline" when less than this is left (or a tenth of its window). */
export const URGENT_SECONDS = 24 * 3_600;

/** Retry policy of every read: 4 attempts, 1 s → 2 s → 4 s. */
export const RETRY_BASE_MS = 1_000;

function idKey(id: bigint): string {
  return id.toString();
}

function errorKey(action: Action, id?: bigint): string {
  return id === undefined ? action : `${action}:${id}`;
}

export class ChatController implements ReactiveController {
  readonly host: ChatHost;
  chat!: PaidChat;
  phase: Phase = 'idle';
  account?: Address;
  walletName?: string;
  walletChainId?: number;

  /** Visitor: their messages to this creator, newest first. */
  outbox: ChatMessage[] = [];
  outboxLoaded = false;
  /** Creator: their inbox, newest first. */
  inbox: ChatMessage[] = [];
  inboxCursor?: bigint;
  inboxLoaded = false;
  feeBps = 100;
  /** Chain time minus local time, in seconds (time travel on a test chain, clock skew). */
  chainOffset = 0;

  draft = '';
  amount = '';
  /** The price the amount field was last filled with, to refill it when the price changes. */
  amountFor?: bigint;
  sendStep: SendStep = 'idle';
  sendPrompt?: 'signature' | 'transaction';
  lastSent?: { id: bigint; txHash: `0x${string}`; explorerUrl?: string; amount: bigint; to: string };
  replyDrafts = new Map<string, string>();
  replied = new Map<string, { txHash: `0x${string}`; explorerUrl?: string }>();
  busy?: Busy;
  /** The last error of each action (and message), shown next to what failed. */
  errors = new Map<string, ActionError>();
  /** Creator settings form. */
  settings = { price: '', windowValue: '', windowUnit: 86_400, email: '' };
  emailSubscribed?: string;

  #configKey = '';
  #provider?: Eip1193Provider;
  #via?: WalletChoice['via'];
  #stopWatch?: () => void;
  #ticker?: ReturnType<typeof setInterval>;
  #refreshTimer?: ReturnType<typeof setTimeout>;
  #connected = false;
  #generation = 0;

  constructor(host: ChatHost) {
    this.host = host;
    host.addController(this);
    this.#configure();
  }

  // ------------------------------------------------------------------ lifecycle

  hostConnected(): void {
    this.#connected = true;
    this.#ticker = setInterval(() => this.#tick(), 30_000);
    if (this.#provider && (this.phase === 'ready' || this.phase === 'wrong-chain')) {
      // Back in the page (moved, or re-attached): listen again and catch up on what changed meanwhile.
      this.#subscribe();
      void this.#recheck();
    }
    if (this.phase === 'ready') this.#startWatch();
  }

  async #recheck(): Promise<void> {
    const seen = this.#walletEvents;
    try {
      const [account, chainId] = await Promise.all([this.chat.account(), this.chat.walletChainId()]);
      if (seen !== this.#walletEvents) return; // the wallet told us something newer meanwhile
      this.#onAccounts(account ? [account] : []);
      this.#onChain(chainId);
    } catch {
      /* the wallet went away; the next action will say so */
    }
  }

  /** Refreshes "time left"; reloads when a waiting message's deadline has passed (it became refundable). */
  #tick(): void {
    const list = this.role === 'creator' ? this.inbox : this.outbox;
    if (this.phase === 'ready' && !this.busy && list.some((m) => m.status === 'waiting' && this.secondsLeft(m) <= 0)) void this.loadData();
    this.host.requestUpdate();
  }

  hostDisconnected(): void {
    this.#connected = false;
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    this.#unsubscribe();
  }

  hostUpdate(): void {
    const key = this.#key();
    if (key !== this.#configKey) {
      const watching = this.#stopWatch !== undefined;
      this.#stopWatch?.();
      this.#stopWatch = undefined;
      this.#configure();
      if (watching) this.#startWatch();
      if (this.phase === 'ready') void this.loadData();
    }
    if (this.#via === 'host' && this.host.provider !== this.#provider) this.disconnect();
    const price = this.host.card?.price;
    if (price !== undefined && price !== this.amountFor && (this.amount === '' || weiFromOne(this.amount) === this.amountFor)) {
      this.amount = ones(price).replace(/ ONE$/, '');
      this.amountFor = price;
    }
  }

  #key(): string {
    const h = this.host;
    return `${h.chain}|${h.rpcUrl ?? ''}|${h.contract ?? ''}`;
  }

  /** (Re)creates the SDK client for the element's chain, RPC and contract; keeps the wallet. */
  #configure(): void {
    const key = this.#key();
    // Only another chain or contract means other data; another RPC URL reads the same.
    const sameData = this.#configKey !== '' && this.#configKey.replace(/\|[^|]*\|/, '||') === key.replace(/\|[^|]*\|/, '||');
    this.#configKey = key;
    const h = this.host;
    try {
      this.chat = createPaidChat({
        chain: h.chain || 'harmony',
        rpcUrl: h.rpcUrl || undefined,
        contract: (h.contract || undefined) as Address | undefined,
        retry: { attempts: 4, baseDelayMs: RETRY_BASE_MS, onRetry: (i) => this.#onRetry(i) },
      });
    } catch (e) {
      this.#fail('load', e);
      return;
    }
    if (this.#provider) this.chat.setWallet(this.#observed(this.#provider) as any);
    if (sameData) return;
    this.outbox = [];
    this.inbox = [];
    this.outboxLoaded = this.inboxLoaded = false;
  }

  #onRetry(info: RetryInfo): void {
    const s = Math.max(1, Math.round(info.delayMs / 1000));
    this.host.announce(`Can't reach the network, retrying in ${s} s… (attempt ${info.attempt + 1} of ${info.attempts})`, 'warn');
  }

  #observed(provider: Eip1193Provider): Eip1193Provider {
    return observeProvider(provider, {
      before: (method) => {
        const prompt = method === 'personal_sign' || method === 'eth_signTypedData_v4' ? 'signature' : method === 'eth_sendTransaction' ? 'transaction' : undefined;
        if (!prompt) return;
        if (this.busy) {
          this.busy = { ...this.busy, step: 'confirm', prompt };
          this.host.announce(this.#promptText(this.busy.action, prompt), 'busy');
        }
        if (this.sendStep === 'confirm' || this.sendStep === 'sending') {
          this.sendStep = 'confirm';
          this.sendPrompt = prompt;
        }
        this.host.requestUpdate();
      },
      after: (method, ok) => {
        if (method !== 'eth_sendTransaction' || !ok) return;
        if (this.busy) {
          this.busy = { ...this.busy, step: 'sending', prompt: undefined };
          this.host.announce(this.#sendingText(this.busy.action), 'busy');
        }
        if (this.sendStep === 'confirm') {
          this.sendStep = 'sending';
          this.sendPrompt = undefined;
          this.host.announce('Sending… waiting for the network to include your message.', 'busy');
        }
        this.host.requestUpdate();
      },
    });
  }

  #promptText(action: Action, prompt: 'signature' | 'transaction'): string {
    if (prompt === 'signature') {
      if (action === 'email') return 'Sign in your wallet to confirm your email subscription (free).';
      return 'Sign in your wallet to unlock your messaging key (free, no transaction).';
    }
    switch (action) {
      case 'reply':
        return 'Confirm the reply in your wallet (you pay only gas).';
      case 'refund':
        return 'Confirm the refund in your wallet (you pay only gas).';
      case 'claim':
        return 'Confirm the claim in your wallet (you pay only gas).';
      case 'settings':
        return 'Confirm the new settings in your wallet (you pay only gas).';
      default:
        return 'Confirm in your wallet.';
    }
  }

  #sendingText(action: Action): string {
    switch (action) {
      case 'reply':
        return 'Sending your reply…';
      case 'refund':
        return 'Taking your refund…';
      case 'claim':
        return 'Claiming your handle…';
      case 'settings':
        return 'Saving your settings…';
      default:
        return 'Waiting for the network…';
    }
  }

  // ------------------------------------------------------------------ derived state

  get role(): 'creator' | 'visitor' | 'claimer' {
    const card = this.host.card;
    if (!card || card.free) return 'claimer';
    return this.account && card.owner.toLowerCase() === this.account.toLowerCase() ? 'creator' : 'visitor';
  }

  get unlocked(): boolean {
    return this.chat?.unlocked ?? false;
  }

  /** Chain time now, in seconds. */
  now(): number {
    return Date.now() / 1000 + this.chainOffset;
  }

  secondsLeft(m: ChatMessage): number {
    return Number(m.deadline) - this.now();
  }

  isUrgent(m: ChatMessage): boolean {
    const left = this.secondsLeft(m);
    const window = this.host.card?.window ?? 7 * 86_400;
    return m.status === 'waiting' && left > 0 && (left < URGENT_SECONDS || left < window / 10);
  }

  draftBytes(text = this.draft): number {
    return utf8Length(text);
  }

  /** Bytes over the limit (0 when it fits). */
  overBy(text = this.draft): number {
    return Math.max(0, utf8Length(text) - MAX_MESSAGE_BYTES);
  }

  /** Problem with the amount field, or undefined when it is fine. */
  amountProblem(): string | undefined {
    const card = this.host.card;
    const wei = weiFromOne(this.amount);
    if (wei === undefined) return `"${this.amount.trim()}" is not an amount of ONE. Use digits, like 10 or 12.5.`;
    if (card && wei < card.price) return `${at(card.handle)} asks at least ${ones(card.price)}; ${ones(wei)} is too little.`;
    return undefined;
  }

  get canSend(): boolean {
    return (
      this.phase === 'ready' &&
      !this.busy &&
      this.sendStep !== 'confirm' &&
      this.sendStep !== 'sending' &&
      this.draft.trim().length > 0 &&
      this.overBy() === 0 &&
      this.amountProblem() === undefined
    );
  }

  get totals(): { earned: bigint; held: bigint; waiting: number } {
    let earned = 0n;
    let held = 0n;
    let waiting = 0;
    for (const m of this.inbox) {
      if (m.status === 'replied') earned += m.amount - (m.amount * BigInt(this.feeBps)) / 10_000n;
      if (m.status === 'waiting') {
        held += m.amount;
        waiting++;
      }
    }
    return { earned, held, waiting };
  }

  payoutOf(amount: bigint): bigint {
    return amount - (amount * BigInt(this.feeBps)) / 10_000n;
  }

  // ------------------------------------------------------------------ errors

  #fail(action: Action, e: unknown, id?: bigint): PaidChatError {
    const error = toPaidChatError(e);
    this.errors.set(errorKey(action, id), { action, id, error });
    if (error.code === 'WRONG_CHAIN' && this.phase === 'ready') this.phase = 'wrong-chain';
    this.host.announce(error.message, 'error');
    this.host.dispatchEvent(new HarmonyErrorEvent({ code: error.code, message: error.message, action, error }));
    this.host.requestUpdate();
    return error;
  }

  errorFor(action: Action, id?: bigint): PaidChatError | undefined {
    return this.errors.get(errorKey(action, id))?.error;
  }

  #clearError(action: Action, id?: bigint): void {
    this.errors.delete(errorKey(action, id));
  }

  // ------------------------------------------------------------------ wallet

  /** Connects a wallet (host provider → single EIP-6963 wallet → web3-onboard modal). */
  async connect(): Promise<boolean> {
    if (this.phase === 'connecting') return false;
    if (this.phase === 'ready' || this.phase === 'wrong-chain') return this.phase === 'ready';
    this.phase = 'connecting';
    this.#clearError('connect');
    this.host.announce('Connecting to your wallet…', 'busy');
    this.host.requestUpdate();
    const generation = ++this.#generation;
    try {
      const choice = await chooseWallet({ provider: this.host.provider, chain: this.chat.chain });
      if (generation !== this.#generation) return false;
      if (!choice) {
        this.phase = 'no-wallet';
        this.host.announce('No wallet found. Install a wallet such as MetaMask to send a paid message.', 'warn');
        this.host.requestUpdate();
        await this.host.focusSelector('[part~="no-wallet"]');
        return false;
      }
      this.#useProvider(choice);
      this.account = await this.chat.connect();
      if (generation !== this.#generation) return false;
      await this.#checkChain();
      this.host.dispatchEvent(
        new HarmonyConnectEvent({ address: this.account, chainId: this.walletChainId ?? 0, role: this.role === 'creator' ? 'creator' : 'visitor' }),
      );
      const ready = (this.phase as Phase) === 'ready';
      if (ready) {
        this.host.announce(this.#connectedText(), 'success');
        await this.#afterReady();
      } else {
        this.host.requestUpdate();
        await this.host.focusSelector('[part~="switch-button"]');
      }
      return ready;
    } catch (e) {
      if (generation === this.#generation) {
        this.phase = 'idle';
        this.#fail('connect', e);
        await this.host.focusSelector('[part~="connect-button"], [part~="claim-button"]');
      }
      return false;
    }
  }

  #connectedText(): string {
    const who = this.account ? `${this.account.slice(0, 6)}…${this.account.slice(-4)}` : 'your wallet';
    switch (this.role) {
      case 'creator':
        return `Connected as ${who}, the owner of ${at(this.host.card!.handle)}.`;
      case 'claimer':
        return `Connected as ${who}.`;
      default:
        return `Connected as ${who}. Write your message below.`;
    }
  }

  #useProvider(choice: WalletChoice): void {
    this.#unsubscribe();
    this.#provider = choice.provider;
    this.#via = choice.via;
    this.walletName = choice.name;
    this.chat.setWallet(this.#observed(choice.provider) as any);
    this.#subscribe();
  }

  #subscribed = false;

  #subscribe(): void {
    if (this.#subscribed || !this.#provider || !this.#connected) return;
    this.#subscribed = true;
    this.#provider.on?.('accountsChanged', this.#onAccountsChanged);
    this.#provider.on?.('chainChanged', this.#onChainChanged);
  }

  #unsubscribe(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    this.#provider?.removeListener?.('accountsChanged', this.#onAccountsChanged);
    this.#provider?.removeListener?.('chainChanged', this.#onChainChanged);
  }

  /** Counts accountsChanged / chainChanged events, so that an older answer never overrides a newer event. */
  #walletEvents = 0;

  #onAccountsChanged = (accounts: unknown) => {
    this.#walletEvents++;
    this.#onAccounts(accounts);
  };

  #onChainChanged = (chainId: unknown) => {
    this.#walletEvents++;
    this.#onChain(chainId);
  };

  #onAccounts = (accounts: unknown) => {
    const next = Array.isArray(accounts) ? (accounts[0] as Address | undefined) : undefined;
    if (!next) {
      this.disconnect();
      this.host.announce('Your wallet disconnected.', 'info');
      return;
    }
    if (this.account && next.toLowerCase() === this.account.toLowerCase()) return;
    this.account = next;
    if (this.#provider) this.chat.setWallet(this.#observed(this.#provider) as any); // forgets the unlocked key
    this.outbox = [];
    this.inbox = [];
    this.outboxLoaded = this.inboxLoaded = false;
    this.host.announce(this.#connectedText(), 'info');
    if (this.phase === 'ready') void this.#afterReady(false);
    this.host.requestUpdate();
  };

  #onChain = (chainId: unknown) => {
    const id = typeof chainId === 'string' ? Number.parseInt(chainId, chainId.startsWith('0x') ? 16 : 10) : Number(chainId);
    if (!Number.isFinite(id) || this.phase === 'idle' || this.phase === 'connecting') return;
    const was = this.phase;
    this.walletChainId = id;
    this.phase = id === this.chat.chain.id ? 'ready' : 'wrong-chain';
    if (was !== 'ready' && this.phase === 'ready') {
      this.host.announce(`Your wallet is on ${this.chat.chain.name} now.`, 'success');
      void this.#afterReady();
    } else if (this.phase === 'wrong-chain') {
      this.#stopWatch?.();
      this.#stopWatch = undefined;
      this.host.announce(`Your wallet switched to another network. Switch back to ${this.chat.chain.name} to continue.`, 'warn');
    }
    this.host.requestUpdate();
  };

  async #checkChain(): Promise<void> {
    this.walletChainId = await this.chat.walletChainId();
    this.phase = this.walletChainId === this.chat.chain.id ? 'ready' : 'wrong-chain';
    if (this.phase === 'wrong-chain') {
      this.host.announce(`Your wallet is on another network (chain ${this.walletChainId}). Switch to ${this.chat.chain.name} to continue.`, 'warn');
    }
  }

  /** Asks the wallet to switch to (or add, then switch to) the element's chain. */
  async switchChain(): Promise<void> {
    if (this.busy) return;
    this.#clearError('switch-chain');
    this.busy = { action: 'switch-chain', step: 'confirm' };
    this.host.announce(`Confirm the switch to ${this.chat.chain.name} in your wallet.`, 'busy');
    this.host.requestUpdate();
    try {
      await this.chat.switchChain();
      this.busy = undefined;
      await this.#checkChain();
      if (this.phase === 'ready') {
        this.host.announce(`Switched to ${this.chat.chain.name}.`, 'success');
        await this.#afterReady();
      } else {
        this.host.requestUpdate();
      }
    } catch (e) {
      this.busy = undefined;
      this.#fail('switch-chain', e);
      await this.host.focusSelector('[part~="switch-button"]');
    }
  }

  /** Forgets the wallet (the wallet itself stays connected to the site, as EIP-1193 has no disconnect). */
  disconnect(): void {
    this.#generation++;
    this.#unsubscribe();
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    this.#provider = undefined;
    this.#via = undefined;
    this.chat.setWallet(undefined);
    this.account = undefined;
    this.walletChainId = undefined;
    this.phase = 'idle';
    this.busy = undefined;
    this.sendStep = 'idle';
    this.outbox = [];
    this.inbox = [];
    this.outboxLoaded = this.inboxLoaded = false;
    this.host.requestUpdate();
  }

  async #afterReady(focus = true): Promise<void> {
    this.#startWatch();
    await this.loadData();
    if (!focus) return;
    switch (this.role) {
      case 'creator':
        await this.host.focusSelector(this.unlocked ? '#inbox-title' : '[part~="unlock-button"]');
        break;
      case 'visitor':
        await this.host.focusSelector('#draft');
        break;
      default:
        await this.host.focusSelector('[part~="claim-button"]');
    }
  }

  #startWatch(): void {
    if (!this.#connected || this.#stopWatch || !this.account) return;
    const local = this.chat.chain.id === 31_337;
    this.#stopWatch = this.chat.watch({
      account: this.account,
      pollingIntervalMs: local ? 1_000 : 4_000,
      onEvent: (e) => this.#onChainEvent(e),
      onError: () => {
        /* the retry status already told the user; the next tick tries again */
      },
    });
  }

  #onChainEvent(e: ChatEvent): void {
    const me = this.account?.toLowerCase();
    if (e.type === 'message' && e.recipient.toLowerCase() === me && this.role === 'creator' && !this.busy) {
      this.host.announce(`New message with ${ones(e.amount)}.`, 'info');
    }
    if (e.type === 'reply' && e.sender.toLowerCase() === me && this.role === 'visitor' && !this.busy) {
      this.host.announce(`${at(this.host.card?.handle ?? '')} replied to your message.`, 'success');
    }
    this.#scheduleRefresh();
  }

  #scheduleRefresh(): void {
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      if (!this.busy) void this.loadData();
    }, 300);
  }

  // ------------------------------------------------------------------ reads

  /** Loads what the connected account sees: the outbox (visitor) or the inbox (unlocked creator). */
  async loadData(): Promise<void> {
    const card = this.host.card;
    if (!card || !this.account || this.phase !== 'ready') return;
    try {
      this.chainOffset = Number(await this.chat.latestTimestamp()) - Date.now() / 1000;
      if (!card.free) {
        if (this.role === 'creator') {
          if (this.unlocked) await this.loadInbox();
        } else {
          await this.loadOutbox();
        }
      }
      this.#clearError('load');
    } catch (e) {
      this.#fail('load', e);
    }
    this.host.requestUpdate();
  }

  async loadOutbox(): Promise<void> {
    const owner = this.host.card?.owner.toLowerCase();
    const page = await this.chat.outbox({ limit: 100 });
    this.outbox = page.items.filter((m) => m.recipient.toLowerCase() === owner);
    this.outboxLoaded = true;
    this.host.requestUpdate();
  }

  async loadInbox(more = false): Promise<void> {
    const [page, fee] = await Promise.all([
      this.chat.inbox({ limit: 50, cursor: more ? this.inboxCursor : undefined }),
      this.inboxLoaded ? Promise.resolve(this.feeBps) : this.chat.feeBps(),
    ]);
    this.feeBps = fee;
    this.inbox = more ? [...this.inbox, ...page.items] : page.items;
    this.inboxCursor = page.nextCursor;
    this.inboxLoaded = true;
    this.host.requestUpdate();
  }

  async loadMoreInbox(): Promise<void> {
    try {
      await this.loadInbox(true);
    } catch (e) {
      this.#fail('load', e);
    }
  }

  // ------------------------------------------------------------------ actions

  async #run<T>(action: Action, id: bigint | undefined, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.busy) return undefined;
    this.#clearError(action, id);
    this.busy = { action, id, step: 'confirm' };
    this.host.requestUpdate();
    try {
      return await fn();
    } catch (e) {
      this.#fail(action, e, id);
      return undefined;
    } finally {
      this.busy = undefined;
      this.host.requestUpdate();
    }
  }

  /** One signature derives the messaging key; then the inbox (or the replies) can be read. */
  async unlock(): Promise<void> {
    const done = await this.#run('unlock', undefined, async () => {
      this.host.announce('Sign in your wallet to unlock your messages (free, no transaction).', 'busy');
      await this.chat.unlock();
      return true;
    });
    if (!done) {
      await this.host.focusSelector('[part~="unlock-button"]');
      return;
    }
    this.host.announce('Unlocked. Loading your messages…', 'busy');
    try {
      if (this.role === 'creator') await this.loadInbox();
      else await this.loadOutbox();
      const n = this.role === 'creator' ? this.inbox.length : this.outbox.length;
      this.host.announce(`Unlocked. ${n} message${n === 1 ? '' : 's'}.`, 'success');
    } catch (e) {
      this.#fail('load', e);
    }
    await this.host.focusSelector(this.role === 'creator' ? '#inbox-title' : '#outbox-title');
  }

  setDraft(text: string): void {
    this.draft = text;
    if (this.sendStep === 'delivered' || this.sendStep === 'error') this.sendStep = 'idle';
    this.host.requestUpdate();
  }

  setAmount(text: string): void {
    this.amount = text;
    this.host.requestUpdate();
  }

  /** Sends the draft with the amount; on any failure the draft stays and the error says what to do. */
  async send(): Promise<void> {
    const card = this.host.card;
    if (!card || !this.canSend) return;
    const text = this.draft;
    const amountText = this.amount;
    this.#clearError('send');
    this.sendStep = 'confirm';
    this.sendPrompt = undefined;
    this.lastSent = undefined;
    this.host.announce(
      this.unlocked ? `Confirm the payment of ${ones(weiFromOne(amountText)!)} in your wallet.` : 'Confirm in your wallet: a free signature unlocks your messaging key, then the payment.',
      'busy',
    );
    this.host.requestUpdate();
    await this.host.focusSelector('[part~="steps"]');
    try {
      const amount = parseOne(amountText.trim());
      const res = await this.chat.send({ to: card.handle, text, amount });
      this.lastSent = { id: res.id, txHash: res.txHash, explorerUrl: res.explorerUrl, amount, to: card.handle };
      this.sendStep = 'delivered';
      if (this.draft === text) this.draft = '';
      this.host.announce(
        `Delivered to ${at(card.handle)}. ${ones(amount)} is held until they reply, or comes back to you if they don't within the reply window.`,
        'success',
      );
      this.host.dispatchEvent(
        new HarmonyMessageSentEvent({ id: res.id, to: card.handle, amount, txHash: res.txHash, explorerUrl: res.explorerUrl }),
      );
      this.host.requestUpdate();
      await this.host.focusSelector('[part~="receipt"]');
      try {
        await this.loadOutbox();
      } catch (e) {
        this.#fail('load', e);
      }
    } catch (e) {
      this.sendStep = 'error';
      this.sendPrompt = undefined;
      this.#fail('send', e);
      await this.host.focusSelector('#draft');
    }
  }

  setReplyDraft(id: bigint, text: string): void {
    this.replyDrafts.set(idKey(id), text);
    if (this.errorFor('reply', id)?.code === 'MESSAGE_TOO_LONG') this.#clearError('reply', id);
    this.host.requestUpdate();
  }

  replyDraft(id: bigint): string {
    return this.replyDrafts.get(idKey(id)) ?? '';
  }

  async reply(m: ChatMessage): Promise<void> {
    const text = this.replyDraft(m.id);
    if (!text.trim() || this.overBy(text) > 0) return;
    const res = await this.#run('reply', m.id, async () => {
      this.host.announce('Confirm the reply in your wallet (you pay only gas).', 'busy');
      return this.chat.reply({ id: m.id, text });
    });
    if (!res) {
      await this.host.focusSelector(`#reply-${m.id}`);
      return;
    }
    this.replyDrafts.delete(idKey(m.id));
    this.replied.set(idKey(m.id), { txHash: res.txHash, explorerUrl: res.explorerUrl });
    const payout = this.payoutOf(m.amount);
    this.host.announce(`Reply sent. ${ones(payout)} is yours.`, 'success');
    this.host.dispatchEvent(new HarmonyReplySentEvent({ id: m.id, amount: m.amount, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    try {
      await this.loadInbox();
    } catch (e) {
      this.#fail('load', e);
    }
    await this.host.focusSelector(`#message-${m.id}`);
  }

  async refund(m: ChatMessage): Promise<void> {
    const res = await this.#run('refund', m.id, async () => {
      this.host.announce('Confirm the refund in your wallet (you pay only gas).', 'busy');
      return this.chat.refund(m.id);
    });
    if (!res) {
      await this.host.focusSelector(`#refund-${m.id}`);
      return;
    }
    this.host.announce(`Refunded: ${ones(m.amount)} is back in your wallet.`, 'success');
    this.host.dispatchEvent(new HarmonyRefundEvent({ id: m.id, amount: m.amount, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    try {
      await this.loadOutbox();
    } catch (e) {
      this.#fail('load', e);
    }
    await this.host.focusSelector(`#message-${m.id}`);
  }

  /** Claims the (free) handle with a price and reply window; connects first if needed. */
  async claim(price: string, windowSeconds: number): Promise<void> {
    const card = this.host.card;
    if (!card || !card.free) return;
    if (this.phase !== 'ready') {
      const ok = await this.connect();
      if (!ok) return;
    }
    const res = await this.#run('claim', undefined, async () => {
      this.host.announce('Confirm in your wallet: a free signature creates your messaging key, then the claim.', 'busy');
      return this.chat.claimHandle({ handle: card.handle, price: price.trim(), window: windowSeconds });
    });
    if (!res) {
      await this.host.focusSelector('[part~="claim-button"]');
      return;
    }
    await this.host.refreshCard();
    this.host.announce(`${at(card.handle)} is yours. Share this page: people can now send you paid messages.`, 'success');
    try {
      await this.loadInbox();
    } catch (e) {
      this.#fail('load', e);
    }
    await this.host.focusSelector('#inbox-title');
  }

  openSettings(): void {
    const card = this.host.card;
    if (!card) return;
    const days = card.window % 86_400 === 0;
    this.settings = {
      ...this.settings,
      price: ones(card.price).replace(/ ONE$/, ''),
      windowValue: String(days ? card.window / 86_400 : Math.round(card.window / 3_600)),
      windowUnit: days ? 86_400 : 3_600,
    };
    this.host.requestUpdate();
  }

  setSetting<K extends keyof ChatController['settings']>(key: K, value: ChatController['settings'][K]): void {
    this.settings = { ...this.settings, [key]: value };
    this.host.requestUpdate();
  }

  async saveSettings(): Promise<void> {
    const s = this.settings;
    const windowSeconds = Math.round(Number(s.windowValue) * s.windowUnit);
    const res = await this.#run('settings', undefined, async () => {
      if (weiFromOne(s.price) === undefined) throw new PaidChatError('AMOUNT_INVALID', `"${s.price}" is not an amount of ONE. Use digits, like 10 or 0.5.`);
      return this.chat.updateProfile({ price: s.price.trim(), window: windowSeconds });
    });
    if (!res) {
      await this.host.focusSelector('#settings-price');
      return;
    }
    await this.host.refreshCard();
    this.host.announce('Settings saved.', 'success');
  }

  /**
   * Subscribes the creator's email at the notifier (`notifier-url`): signs the text the notifier's
   * protocol defines, then POSTs `{address, email, nonce, expiresAt, signature}` to `/v1/subscriptions`.
   */
  async subscribeEmail(): Promise<void> {
    const notifierUrl = this.host.notifierUrl;
    const email = this.settings.email.trim();
    if (!notifierUrl || !email) return;
    const ok = await this.#run('email', undefined, async () => {
      const protocol = await import('../sdk/notifier-client.js');
      const problem = protocol.emailProblem(email);
      if (problem) throw new PaidChatError('TRANSACTION_FAILED', `${problem} Check the email address and try again.`, { email });
      try {
        await protocol.requestSubscription({
          notifierUrl,
          address: this.account!,
          email,
          signText: (message) => this.chat.signText(message),
        });
      } catch (e) {
        if (e instanceof protocol.NotifierRequestError) {
          throw new PaidChatError(
            e.code === 'network' ? 'RPC_UNAVAILABLE' : 'TRANSACTION_FAILED',
            e.code === 'network'
              ? `Can't reach the notification service. Try again later.`
              : `The notification service refused the subscription: ${e.message}`,
            { notifierCode: e.code, status: e.status },
            { cause: e },
          );
        }
        throw e;
      }
      return true;
    });
    if (!ok) {
      await this.host.focusSelector('#settings-email');
      return;
    }
    this.emailSubscribed = email;
    this.host.announce(`Check ${email}: confirm the subscription from the email we sent.`, 'success');
  }
}
