/**
 * The wallet session: which EIP-1193 provider is used (the host's, a single EIP-6963 wallet, or
 * web3-onboard's picker), the connected account, the network it is on, and the wallet's own events
 * (`accountsChanged`, `chainChanged`). Listeners are removed when the element leaves the page.
 *
 * No key is ever derived from a wallet signature: the wallet only pays and sends transactions (and
 * signs the notifier's email subscription, when a creator asks for one).
 */
import type { Address } from 'viem';
import type { PaidChat } from '../sdk/client.js';
import type { Activity } from './activity.js';
import { copy } from './copy-connected.js';
import { HarmonyConnectEvent } from './events.js';
import { chooseWallet, chooseWalletConnect, observeProvider, type Eip1193Provider, type WalletChoice } from './wallet.js';
import type { ChatHost } from './host.js';

export type Phase = 'idle' | 'connecting' | 'no-wallet' | 'wrong-chain' | 'ready';

/** What the session needs from the controller that owns it. */
export interface SessionOwner {
  readonly host: ChatHost;
  readonly chat: PaidChat;
  readonly activity: Activity;
  readonly role: 'creator' | 'visitor' | 'claimer';
  /** Whether the element is in the page. */
  readonly attached: boolean;
  /** The wallet is connected on the right chain: load what the account sees. */
  onReady(focus: boolean): Promise<void>;
  /** Another account (or none): forget what the previous one saw. */
  onAccountChanged(): void;
  /** The wallet left the element's chain: stop following the chain. */
  onChainLeft(): void;
}

export class WalletSession {
  phase: Phase = 'idle';
  account?: Address;
  walletName?: string;
  walletChainId?: number;

  readonly #owner: SessionOwner;
  #provider?: Eip1193Provider;
  #observed?: Eip1193Provider;
  #via?: WalletChoice['via'];
  #generation = 0;
  #subscribed = false;
  /** Counts wallet events, so that an older answer never overrides a newer event. */
  #walletEvents = 0;

  constructor(owner: SessionOwner) {
    this.#owner = owner;
  }

  get #host(): ChatHost {
    return this.#owner.host;
  }

  get #chat(): PaidChat {
    return this.#owner.chat;
  }

  /** The provider handed to the SDK: each wallet prompt is reported to the activity model. */
  get observedProvider(): Eip1193Provider | undefined {
    return this.#observed;
  }

  /** True when the host page's own provider is in use (it may replace it at any time). */
  get viaHost(): boolean {
    return this.#via === 'host';
  }

  get provider(): Eip1193Provider | undefined {
    return this.#provider;
  }

  get connected(): boolean {
    return this.phase === 'ready' || this.phase === 'wrong-chain';
  }

  /** Connects through WalletConnect (offered when the site set `walletconnect-project-id`). */
  connectWalletConnect(): Promise<boolean> {
    const projectId = this.#host.walletConnectProjectId;
    if (!projectId) return Promise.resolve(false);
    if (this.phase === 'no-wallet') this.phase = 'idle';
    return this.connect(() => chooseWalletConnect({ chain: this.#chat.chain, walletConnectProjectId: projectId }));
  }

  /** Connects a wallet (host provider → single EIP-6963 wallet → web3-onboard modal), or the one `choose` gives. */
  async connect(choose?: () => Promise<WalletChoice | undefined>): Promise<boolean> {
    if (this.phase === 'connecting') return false;
    if (this.connected) return this.phase === 'ready';
    const activity = this.#owner.activity;
    this.phase = 'connecting';
    activity.clearError('connect');
    this.#host.announce(copy.connect.connecting, 'busy');
    this.#host.requestUpdate();
    const generation = ++this.#generation;
    try {
      const choice = await (choose ?? (() => chooseWallet({ provider: this.#host.provider, chain: this.#chat.chain, walletConnectProjectId: this.#host.walletConnectProjectId })))();
      if (generation !== this.#generation) return false;
      if (!choice) {
        this.phase = 'no-wallet';
        this.#host.announce(copy.connect.noWallet, 'warn');
        this.#host.requestUpdate();
        await this.#host.focusSelector('[part~="no-wallet"]');
        return false;
      }
      this.#use(choice);
      this.account = await this.#chat.connect();
      if (generation !== this.#generation) return false;
      await this.#checkChain();
      const role = this.#owner.role === 'creator' ? 'creator' : 'visitor';
      this.#host.dispatchEvent(new HarmonyConnectEvent({ address: this.account, chainId: this.walletChainId ?? 0, role }));
      const ready = (this.phase as Phase) === 'ready';
      if (ready) {
        this.#host.announce(this.connectedText(), 'success');
        await this.#owner.onReady(true);
      } else {
        this.#host.requestUpdate();
        await this.#host.focusSelector('[part~="switch-button"]');
      }
      return ready;
    } catch (e) {
      if (generation === this.#generation) {
        this.phase = 'idle';
        activity.fail('connect', e);
        await this.#host.focusSelector('[part~="connect-button"], [part~="claim-button"]');
      }
      return false;
    }
  }

  connectedText(): string {
    const a = this.account ?? '';
    switch (this.#owner.role) {
      case 'creator':
        return copy.connect.asCreator(a, this.#host.card!.handle);
      case 'claimer':
        return copy.connect.asClaimer(a);
      default:
        return copy.connect.asVisitor(a);
    }
  }

  #use(choice: WalletChoice): void {
    this.#unsubscribe();
    this.#provider = choice.provider;
    this.#via = choice.via;
    this.walletName = choice.name;
    this.#observed = this.#observe(choice.provider);
    this.#chat.setWallet(this.#observed as any);
    this.attach();
  }

  #observe(provider: Eip1193Provider): Eip1193Provider {
    const activity = this.#owner.activity;
    return observeProvider(provider, {
      before: (method) => activity.walletPrompt(method),
      after: (method, ok) => activity.walletDone(method, ok),
    });
  }

  async #checkChain(): Promise<void> {
    this.walletChainId = await this.#chat.walletChainId();
    this.phase = this.walletChainId === this.#chat.chain.id ? 'ready' : 'wrong-chain';
    if (this.phase === 'wrong-chain') this.#host.announce(copy.wallet.onOtherChain(this.walletChainId, this.#chat.chain.name), 'warn');
  }

  /** Asks the wallet to switch to (or add, then switch to) the element's chain. */
  async switchChain(): Promise<void> {
    const name = this.#chat.chain.name;
    const done = await this.#owner.activity.run(
      'switch-chain',
      undefined,
      async () => {
        await this.#chat.switchChain();
        return true;
      },
      copy.wallet.confirmSwitch(name),
    );
    if (!done) {
      await this.#host.focusSelector('[part~="switch-button"]');
      return;
    }
    try {
      await this.#checkChain();
    } catch (e) {
      this.#owner.activity.fail('switch-chain', e);
      return;
    }
    if (this.phase === 'ready') {
      this.#host.announce(copy.wallet.switched(name), 'success');
      await this.#owner.onReady(true);
    } else {
      this.#host.requestUpdate();
    }
  }

  /** Forgets the wallet (an injected wallet stays connected to the site: EIP-1193 has no disconnect; a WalletConnect session is ended). */
  disconnect(): void {
    this.#generation++;
    this.#unsubscribe();
    // A WalletConnect session does have an end: tell the wallet app (best effort).
    if (this.#via === 'walletconnect') void (this.#provider as { disconnect?: () => Promise<unknown> } | undefined)?.disconnect?.()?.catch?.(() => undefined);
    this.#provider = this.#observed = undefined;
    this.#via = undefined;
    this.#chat.setWallet(undefined);
    this.account = undefined;
    this.walletChainId = undefined;
    this.phase = 'idle';
    this.#owner.onAccountChanged();
    this.#host.requestUpdate();
  }

  /** Listens to the wallet's events (again, after the element came back into the page). */
  attach(): void {
    if (this.#subscribed || !this.#provider || !this.#owner.attached) return;
    this.#subscribed = true;
    this.#provider.on?.('accountsChanged', this.#onAccountsChanged);
    this.#provider.on?.('chainChanged', this.#onChainChanged);
  }

  detach(): void {
    this.#unsubscribe();
  }

  #unsubscribe(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    this.#provider?.removeListener?.('accountsChanged', this.#onAccountsChanged);
    this.#provider?.removeListener?.('chainChanged', this.#onChainChanged);
  }

  /** Back in the page: catch up on what the wallet did meanwhile. */
  async recheck(): Promise<void> {
    const seen = this.#walletEvents;
    try {
      const [account, chainId] = await Promise.all([this.#chat.account(), this.#chat.walletChainId()]);
      if (seen !== this.#walletEvents) return;
      this.#onAccounts(account ? [account] : []);
      this.#onChain(chainId);
    } catch {
      /* the wallet went away; the next action will say so */
    }
  }

  #onAccountsChanged = (accounts: unknown) => {
    this.#walletEvents++;
    this.#onAccounts(accounts);
  };

  #onChainChanged = (chainId: unknown) => {
    this.#walletEvents++;
    this.#onChain(chainId);
  };

  #onAccounts(accounts: unknown): void {
    const next = Array.isArray(accounts) ? (accounts[0] as Address | undefined) : undefined;
    if (!next) {
      this.disconnect();
      this.#host.announce(copy.connect.disconnected, 'info');
      return;
    }
    if (this.account && next.toLowerCase() === this.account.toLowerCase()) return;
    this.account = next;
    if (this.#observed) this.#chat.setWallet(this.#observed as any);
    this.#owner.onAccountChanged();
    this.#host.announce(this.connectedText(), 'info');
    if (this.phase === 'ready') void this.#owner.onReady(false);
    this.#host.requestUpdate();
  }

  #onChain(chainId: unknown): void {
    const id = typeof chainId === 'string' ? Number.parseInt(chainId, chainId.startsWith('0x') ? 16 : 10) : Number(chainId);
    if (!Number.isFinite(id) || this.phase === 'idle' || this.phase === 'connecting' || this.phase === 'no-wallet') return;
    const was = this.phase;
    this.walletChainId = id;
    this.phase = id === this.#chat.chain.id ? 'ready' : 'wrong-chain';
    const name = this.#chat.chain.name;
    if (was !== 'ready' && this.phase === 'ready') {
      this.#host.announce(copy.wallet.onChainNow(name), 'success');
      void this.#owner.onReady(true);
    } else if (was === 'ready' && this.phase === 'wrong-chain') {
      this.#owner.onChainLeft();
      this.#host.announce(copy.wallet.switchedAway(name), 'warn');
    }
    this.#host.requestUpdate();
  }

  /** A WRONG_CHAIN error from an action: show the switch button. */
  chainLost(): void {
    if (this.phase === 'ready') {
      this.phase = 'wrong-chain';
      this.#owner.onChainLeft();
    }
  }
}
