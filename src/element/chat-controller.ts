/**
 * Everything `<harmony-paid-chat>` does after the first click, as one ReactiveController that
 * composes small parts, each with one concern:
 *
 * - `activity`  — the one busy/state model (what runs, its wallet step, the errors);
 * - `session`   — the wallet: provider, account, network, the wallet's events;
 * - `keys`      — keys and backups (status, passphrase, backup file, restore, rotation, sign-out);
 * - `messaging` — send, reply, refund, follow-ups, close;
 * - `moderation`— the creator's spam controls (block, hide) and how the inbox is shown;
 * - `profile`   — claim, settings, sites;
 * - `reads`     — the conversation or the inbox, targeted refreshes, the chain's clock;
 * - `live`      — follows new blocks and refreshes only what changed (pauses in a hidden tab);
 * - `email`     — the notifier subscription (isolated: it moves into the SDK).
 *
 * The SDK client is made with the page's scope (`{ handle, origin: location.origin }`) and the
 * default key store (this origin's IndexedDB): it keeps and uses keys only for the conversation
 * between the connected account and this handle, and opens a creator's inbox only on the creator's
 * own sites. Loaded lazily (with the SDK and its crypto); cleans up its watch, timers and wallet
 * listeners in `hostDisconnected`.
 */
import type { ReactiveController } from 'lit';
import type { Address } from 'viem';
import { createPaidChat, type PaidChat } from '../sdk/client.js';
import type { RetryInfo } from '../sdk/rpc.js';
import { Activity } from './activity.js';
import { copy } from './copy-connected.js';
import { EmailSubscription } from './email-subscription.js';
import type { ChatHost } from './host.js';
import { KeyActions } from './key-actions.js';
import { Live } from './live.js';
import { Messaging } from './messaging.js';
import { Moderation } from './moderation.js';
import { ProfileActions } from './profile-actions.js';
import { Reads } from './reads.js';
import { WalletSession, type SessionOwner } from './session.js';

export type { ChatHost } from './host.js';
export type { Phase } from './session.js';

/** Retry policy of every read: 4 attempts, 1 s → 2 s → 4 s, each shown in the status line. */
export const RETRY_BASE_MS = 1_000;

export class ChatController implements ReactiveController, SessionOwner {
  readonly host: ChatHost;
  chat!: PaidChat;
  readonly activity: Activity;
  readonly session: WalletSession;
  readonly keys: KeyActions;
  readonly messaging: Messaging;
  readonly profile: ProfileActions;
  readonly reads: Reads;
  readonly live: Live;
  readonly moderation: Moderation;
  readonly email: EmailSubscription;
  attached = false;
  #configKey = '';
  /** The card the loaded data belongs to (handle, owner, chain, contract). */
  #cardKey = '';

  constructor(host: ChatHost) {
    this.host = host;
    this.activity = new Activity(host);
    this.activity.onError = (error) => {
      if (error.code === 'WRONG_CHAIN') this.session.chainLost();
    };
    this.session = new WalletSession(this);
    this.keys = new KeyActions(this);
    this.messaging = new Messaging(this);
    this.profile = new ProfileActions(this);
    this.reads = new Reads(this);
    this.live = new Live(this);
    this.moderation = new Moderation(this);
    this.email = new EmailSubscription(this);
    host.addController(this);
    this.#configure();
  }

  // ------------------------------------------------------------------ lifecycle

  hostConnected(): void {
    this.attached = true;
    this.reads.startTicker();
    if (this.session.connected) {
      // Back in the page (moved, or re-attached): listen again and catch up on what changed meanwhile.
      this.session.attach();
      void this.session.recheck();
    }
    if (this.session.phase === 'ready') this.live.start();
  }

  hostDisconnected(): void {
    this.attached = false;
    this.live.stop();
    this.reads.stopTicker();
    this.session.detach();
  }

  hostUpdate(): void {
    if (this.#key() !== this.#configKey) {
      const watching = this.live.watching;
      this.live.stop();
      this.#configure();
      if (watching) this.live.start();
    }
    // Another card (another handle, or it was claimed): load what the account sees for it.
    const card = this.host.card;
    const cardKey = card ? `${card.handle}|${card.owner}|${card.chainId}|${card.contract}` : '';
    if (card && cardKey !== this.#cardKey) {
      const first = this.#cardKey === '';
      this.#cardKey = cardKey;
      if (!first && this.session.phase === 'ready' && !this.activity.busy) void this.reads.load();
    }
    if (this.session.viaHost && this.host.provider !== this.session.provider) this.session.disconnect();
    this.messaging.syncAmount(this.host.card?.free ? undefined : this.host.card?.price);
  }

  #key(): string {
    const h = this.host;
    return `${h.handle.trim().replace(/^@/, '').toLowerCase()}|${h.chain}|${h.contract ?? ''}|${h.rpcUrl ?? ''}`;
  }

  /** (Re)creates the SDK client for the element's handle, chain, RPC and contract; keeps the wallet. */
  #configure(): void {
    const key = this.#key();
    // Another RPC URL reads the same data; another handle, chain or contract is another conversation.
    const sameData = this.#configKey !== '' && this.#configKey.replace(/\|[^|]*$/, '') === key.replace(/\|[^|]*$/, '');
    this.#configKey = key;
    const h = this.host;
    try {
      this.chat = createPaidChat({
        chain: h.chain || 'harmony',
        rpcUrl: h.rpcUrl || undefined,
        contract: (h.contract || undefined) as Address | undefined,
        retry: { attempts: 4, baseDelayMs: RETRY_BASE_MS, onRetry: (i) => this.#onRetry(i) },
        scope: { handle: h.handle.trim() || undefined, origin: globalThis.location?.origin },
      });
    } catch (e) {
      this.activity.fail('load', e);
      return;
    }
    const provider = this.session?.observedProvider;
    if (provider) this.chat.setWallet(provider as any);
    if (sameData) return;
    this.reads.reset();
    this.keys.reset();
    this.messaging.reset();
  }

  #onRetry(info: RetryInfo): void {
    const s = Math.max(1, Math.round(info.delayMs / 1000));
    this.host.announce(copy.card.retrying(s, info.attempt + 1, info.attempts), 'warn');
  }

  // ------------------------------------------------------------------ derived state

  get role(): 'creator' | 'visitor' | 'claimer' {
    const card = this.host.card;
    if (!card || card.free) return 'claimer';
    const a = this.session.account;
    return a && card.owner.toLowerCase() === a.toLowerCase() ? 'creator' : 'visitor';
  }

  // ------------------------------------------------------------------ session callbacks

  async onReady(focus: boolean): Promise<void> {
    this.live.start();
    await this.reads.load();
    if (!focus) return;
    switch (this.role) {
      case 'creator': {
        const inbox = this.keys.status?.inbox;
        await this.host.focusSelector(
          !inbox?.siteAllowed ? '[part~="site-notice"]' : !inbox.holdsCurrent ? '[part~="key-notice"]' : '#inbox-title',
        );
        break;
      }
      case 'visitor':
        await this.host.focusSelector('#draft');
        break;
      default:
        await this.host.focusSelector('[part~="claim-button"]');
    }
  }

  onAccountChanged(): void {
    this.live.stop();
    this.reads.reset();
    this.keys.reset();
    this.messaging.reset();
    this.activity.busy = undefined;
  }

  onChainLeft(): void {
    this.live.stop();
  }

  /** Connects a wallet (as the connect button does). */
  connect(): Promise<boolean> {
    return this.session.connect();
  }
}
