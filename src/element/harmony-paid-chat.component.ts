import { LitElement, adoptStyles, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { Task } from '@lit/task';
import { readCard, type Card } from '../sdk/card.js';
import { PaidChatError } from '../sdk/errors.js';
import type { ChainName } from '../sdk/chains.js';
import type { RetryInfo } from '../sdk/rpc.js';
import { VERSION } from '../sdk/version.js';
import type { Eip1193Provider } from './wallet.js';
import type { StatusTone } from './activity.js';
import type { ChatController } from './chat-controller.js';
import { claimProblems, initialClaim, renderClaimForm, type ClaimFormHost, type ClaimState } from './claim-form.js';
import { copy } from './copy.js';
import { HarmonyErrorEvent } from './events.js';
import { ones } from './format.js';
import styles from './harmony-paid-chat.styles.js';

type ChatModule = typeof import('./chat.js');

/** Retries of the card read: 4 attempts, 1 s → 2 s → 4 s, each shown in the status line. */
const CARD_RETRY = { attempts: 4, baseDelayMs: 1_000 };

/**
 * A paid, end-to-end encrypted inbox for one creator on the Harmony blockchain. Visitors pay the
 * creator's price to send a message of up to 140 bytes; the creator replies to collect it, or the
 * visitor takes a refund after the reply window; an answered conversation goes on with follow-ups.
 * Before the first click it loads only Lit and a small read path for the creator's card; wallet,
 * chain and crypto code load on demand.
 *
 * Keys are made in the browser and never derived from a wallet signature, so no wallet prompt can
 * leak one. They are kept per site (this origin's IndexedDB), and the page may hold only what opens
 * the conversation between the connected wallet and this handle — or, on one of the creator's own
 * sites, the creator's inbox.
 *
 * @summary A paid, encrypted inbox for a Harmony handle, in one tag.
 * @tagname harmony-paid-chat
 *
 * @fires {HarmonyConnectEvent} harmony-connect - A wallet was connected. `detail: { address, chainId, role }`.
 * @fires {HarmonyMessageSentEvent} harmony-message-sent - A paid message was delivered. `detail: { id, thread, to, amount, fee, payout, txHash, explorerUrl }` (`payout`: what the creator receives if they reply in time, after the fee).
 * @fires {HarmonyReplySentEvent} harmony-reply-sent - The creator replied and collected. `detail: { id, thread, amount, payout, fee, txHash, explorerUrl }` (`payout`: what the creator received, after the fee).
 * @fires {HarmonyRefundEvent} harmony-refund - A visitor took a refund. `detail: { id, thread, amount, payout, txHash, explorerUrl }` (`amount` back to the sender in full; `payout` to the creator: 0).
 * @fires {HarmonyFollowUpSentEvent} harmony-follow-up-sent - A follow-up was posted. `detail: { thread, index, by, amount, payout, fee, txHash, explorerUrl }` (`payout`: what the creator received at once, after the fee).
 * @fires {HarmonyThreadClosedEvent} harmony-thread-closed - This widget's user closed a conversation for follow-ups. `detail: { thread, by, txHash, explorerUrl }`.
 * @fires {HarmonyMessageReceivedEvent} harmony-message-received - Something from the other party arrived live (a paid message, a reply, a follow-up). `detail: { kind, thread, id, index, from, amount, payout, txHash }` — public facts, never the text.
 * @fires {HarmonyBlockChangeEvent} harmony-block-change - The creator blocked or unblocked a sender (on chain). `detail: { address, blocked, txHash, explorerUrl }`.
 * @fires {HarmonyHideChangeEvent} harmony-hide-change - The creator hid messages from the inbox view or showed them again (on chain). `detail: { ids, hidden, txHash, explorerUrl }`.
 * @fires {HarmonyKeyChangeEvent} harmony-key-change - Keys held in this browser changed (created, passphrase set, backup made, restored, rotated, forgotten). `detail: { change, role, keyId, keys, notBackedUp }` — counts and ids, never key material.
 * @fires {HarmonyErrorEvent} harmony-error - Something failed (also shown to the user). `detail: { code, message, action, error }`.
 *
 * @csspart base - The outer box.
 * @csspart header - The creator's card header (avatar, handle, price).
 * @csspart avatar - The handle's initial.
 * @csspart handle - The handle heading.
 * @csspart price - Price and reply window.
 * @csspart promise - The refund promise.
 * @csspart status - The live status line (progress, retries, errors).
 * @csspart error - An error message next to what failed.
 * @csspart retry-button - "Try again" after the card could not be read; "Retry now" while the network is unreachable.
 * @csspart live - Shown while the network does not answer: what is happening and when the next attempt is (counting down).
 * @csspart connect-button - "Connect wallet".
 * @csspart claim-form - The form to claim a free handle.
 * @csspart claim-button - The claim button.
 * @csspart price-input - Price field (claim form and settings).
 * @csspart window-input - Reply window field (claim form and settings).
 * @csspart passphrase-input - A backup passphrase field (claim form, key panel, restore).
 * @csspart account - The connected account line.
 * @csspart disconnect-button - "Disconnect".
 * @csspart no-wallet - What works without a wallet in this browser (`data-phone` on phones).
 * @csspart wallet-links - On a phone without a wallet: the list of links that reopen the page in wallet apps.
 * @csspart wallet-link - One of them ("Open in MetaMask", `data-wallet`).
 * @csspart walletconnect-button - "Connect a wallet app (WalletConnect)", with `walletconnect-project-id`.
 * @csspart link - Links (get a wallet, explorer, backup download).
 * @csspart wrong-network - The wrong-network notice.
 * @csspart switch-button - "Switch to Harmony".
 * @csspart notice - Other notices.
 * @csspart composer - The visitor's message form (a paid message, or a follow-up once the conversation is open: `data-mode`).
 * @csspart mode-button - "Send a paid message instead" / "Write a follow-up instead" in an open conversation.
 * @csspart blocked-notice - For a wallet the creator blocks: why nothing can be sent (instead of the composer).
 * @csspart input - The message text area.
 * @csspart counter - The byte counter ("93 / 140 bytes").
 * @csspart amount - The amount field.
 * @csspart send-button - The send button.
 * @csspart steps - Progress: confirm in wallet → sending → delivered.
 * @csspart receipt - The delivered confirmation with the explorer link.
 * @csspart conversation - The visitor's conversation with the creator (messages, replies, follow-ups).
 * @csspart inbox - The creator's inbox.
 * @csspart totals - Earned (after the fee) and held totals.
 * @csspart message-list - A list of messages.
 * @csspart message - One message (with `paid` or `follow-up`; `data-state`: escrow, answered, refundable, refunded; `data-side`: mine, theirs; `data-hidden`).
 * @csspart paid - A paid message (with `message`).
 * @csspart message-actions - The buttons and forms under a message.
 * @csspart message-text - A message's text.
 * @csspart read-state - The label shown instead of a text that cannot be read here (key not held, newer version, unreadable), with `data-read-state`.
 * @csspart message-meta - Amount, status and time left.
 * @csspart sender - The sender's handle or short address (both address forms on hover).
 * @csspart verified - The verified-sender mark.
 * @csspart reply - A reply under a message.
 * @csspart reply-text - The reply's text.
 * @csspart reply-box - The creator's reply form under a message.
 * @csspart reply-input - The reply text area.
 * @csspart reply-button - The reply button.
 * @csspart refund-button - "Get refund".
 * @csspart follow-up - A follow-up in a conversation.
 * @csspart follow-up-form - The follow-up form of an answered conversation.
 * @csspart follow-up-input - The follow-up text area.
 * @csspart follow-up-button - The follow-up send button.
 * @csspart close-button - "Close conversation".
 * @csspart thread-state - Whether follow-ups are open, closed, not open yet, or refused (blocked).
 * @csspart thread - A conversation opened under a message of the creator's inbox.
 * @csspart thread-button - "Conversation" (opens it under the message).
 * @csspart more-button - "Load older messages".
 * @csspart inbox-tools - The creator's inbox view: sort, unanswered only, hidden messages.
 * @csspart sort-select - Sort by newest, amount paid or time left.
 * @csspart filter-button - "Unanswered only" (a toggle, `aria-pressed`).
 * @csspart hidden-button - "Show hidden (n)" (a toggle, `aria-pressed`).
 * @csspart inbox-count - "Showing 2 of 3 loaded messages" when a filter hides some.
 * @csspart hide-button - "Hide" / "Unhide" a message (on chain).
 * @csspart block-button - "Block sender" / "Unblock sender" (on chain).
 * @csspart blocked-badge - "Blocked" next to a blocked sender.
 * @csspart block-form - Settings: block or unblock any address (0x… or one1…).
 * @csspart block-input - Its address field.
 * @csspart block-address-button - "Block".
 * @csspart unblock-address-button - "Unblock".
 * @csspart site-notice - For a creator on a page that is not one of their sites: where the inbox opens.
 * @csspart key-notice - For a creator whose current inbox key is not in this browser: why, and what to do.
 * @csspart backup-hint - The gentle "back up your key" notice.
 * @csspart keys-button - "Keys and backup" (opens the key panel).
 * @csspart keys - The key panel.
 * @csspart key-status - What this browser holds (keys, backup state, the current inbox key).
 * @csspart passphrase-form - Set or change the backup passphrase.
 * @csspart passphrase-button - Its submit button.
 * @csspart backup - The backup file section.
 * @csspart backup-button - "Make a backup file".
 * @csspart backup-link - The backup file download link.
 * @csspart restore-form - Restore from a backup file.
 * @csspart restore-file - The backup file input.
 * @csspart restore-summary - What the chosen file holds for this page.
 * @csspart restore-button - "Restore".
 * @csspart rotate-button - "Make a new inbox key" (creator).
 * @csspart sign-out-button - "Sign out of this site" (forgets the keys kept here).
 * @csspart sign-out-warning - The warning shown first when keys are not backed up.
 * @csspart sign-out-confirm - "Sign out anyway".
 * @csspart settings - The creator's settings (a disclosure).
 * @csspart save-button - Save settings.
 * @csspart follow-up-price-input - The follow-up price field (settings).
 * @csspart sites-form - The creator's sites (where the inbox opens).
 * @csspart sites-input - The sites field.
 * @csspart save-sites-button - Save sites.
 * @csspart email-form - "Email me about new messages" (creator's settings) or "Email me when … replies" (a visitor with a conversation); with `notifier-url`.
 * @csspart email-input - The email field.
 * @csspart email-button - The email subscribe button.
 *
 * @cssprop [--harmony-color-accent=#00aee9] - Buttons, focus rings, highlights.
 * @cssprop [--harmony-color-accent-text=#04202b] - Text on accent-coloured buttons.
 * @cssprop [--harmony-color-background=#ffffff] - Background (#12171c in dark).
 * @cssprop [--harmony-color-surface=#f3f6f8] - Cards and inputs (#1b2229 in dark).
 * @cssprop [--harmony-color-text=#17202a] - Text (#e9eef3 in dark).
 * @cssprop [--harmony-color-muted=#55616d] - Secondary text (#a4b0bc in dark).
 * @cssprop [--harmony-color-border=#cfd8df] - Borders (#34404b in dark).
 * @cssprop [--harmony-color-link=#00668a] - Links (#5fd0f5 in dark).
 * @cssprop [--harmony-color-danger=#b3261e] - Errors (#ff8a80 in dark).
 * @cssprop [--harmony-color-success=#1b6e36] - Success (#7bd88f in dark).
 * @cssprop [--harmony-color-warning=#8a5300] - Warnings and urgent deadlines (#ffc774 in dark).
 * @cssprop [--harmony-radius=12px] - Corner radius of the box; inner elements use a smaller one.
 * @cssprop [--harmony-font-family=system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif] - Font family: a system stack of the widget's own, so that the page's font does not change its size (no font is loaded; `inherit` takes the page's).
 * @cssprop [--harmony-font-size=16px] - Base font size (every size inside is px or em of it; the page's root font size does not matter).
 * @cssprop [--harmony-spacing=16px] - Base spacing unit.
 * @cssprop [--harmony-max-width=640px] - Widest the element grows.
 */
export class HarmonyPaidChat extends LitElement implements ClaimFormHost {
  static override styles = styles;
  /** Version of this element, compared by the guarded `define`. */
  static readonly version: string = VERSION;

  /** The creator's handle, like `@satoshi` (required). */
  @property() handle = '';

  /** Network: `harmony` (mainnet, default), `harmony-testnet` or `local`. */
  @property() chain: ChainName = 'harmony';

  /** JSON-RPC URL to read from; the chain's default otherwise. */
  @property({ attribute: 'rpc-url' }) rpcUrl?: string;

  /** PaidChat contract address (0x… or one1…); the chain's default deployment otherwise. */
  @property() contract?: string;

  /** `light` (default), `dark`, or `auto` (follows the visitor's system setting). */
  @property({ reflect: true }) theme: 'light' | 'dark' | 'auto' = 'light';

  /** Base URL of the email notifier; when set, the creator's settings offer "Email me about new messages" and a visitor "Email me when … replies". */
  @property({ attribute: 'notifier-url' }) notifierUrl?: string;

  /**
   * The site's WalletConnect project id (from WalletConnect's dashboard; a public identifier).
   * When set, visitors without a wallet in their browser — most phones — can connect a wallet app
   * through WalletConnect. Its code loads only when asked for.
   */
  @property({ attribute: 'walletconnect-project-id' }) walletConnectProjectId?: string;

  /** An EIP-1193 provider brought by the host page; used instead of discovering a wallet. */
  @property({ attribute: false }) provider?: Eip1193Provider;

  /** @internal */
  @state() private _status: { text: string; tone: StatusTone } = { text: '', tone: 'info' };
  /** @internal */
  @state() private _card?: Card;
  /** @internal */
  @state() private _chat?: ChatController;
  /** @internal */
  @state() private _loadingChat = false;
  /** @internal */
  @state() private _claim: ClaimState = initialClaim();

  private _views?: ChatModule;
  private _chatModule?: Promise<ChatModule>;
  private _cardKey = '';

  private _cardTask = new Task(this, {
    task: async ([handle, chain, rpcUrl, contract], { signal }) => {
      // Another RPC URL reads the same card: keep showing it (and whatever the visitor typed).
      const key = `${handle}|${chain}|${contract}`;
      if (key !== this._cardKey) {
        this._cardKey = key;
        this._card = undefined;
      }
      if (!handle.trim()) throw new PaidChatError('HANDLE_INVALID', copy.card.noHandle);
      const card = await readCard({
        handle,
        chain: chain || 'harmony',
        rpcUrl: rpcUrl || undefined,
        contract: contract || undefined,
        signal,
        retry: { ...CARD_RETRY, onRetry: (info) => this._onRetry(info) },
      });
      if (signal.aborted || key !== this._cardKey) return card;
      this._card = card;
      if (this._status.tone === 'warn' || this._status.tone === 'error') this.announce('', 'info');
      return card;
    },
    args: () => [this.handle, this.chain, this.rpcUrl, this.contract] as const,
    onError: (e) => {
      if ((e as Error)?.name === 'AbortError') return;
      const error = e instanceof PaidChatError ? e : new PaidChatError('RPC_UNAVAILABLE', String((e as Error)?.message ?? e));
      this.announce(error.message, 'error');
      this._emitError('card', error);
    },
  });

  /** The creator's card, once read. @internal */
  get card(): Card | undefined {
    return this._card;
  }

  /** Connects a wallet (as the connect button does). Resolves to true when connected on the right network. */
  async connect(): Promise<boolean> {
    const chat = await this._ensureChat();
    return chat ? chat.connect() : false;
  }

  /** Sets the live status line. @internal */
  announce(text: string, tone: StatusTone = 'info'): void {
    this._status = { text, tone };
  }

  /** Reads the card again (after a claim or a settings change). @internal */
  async refreshCard(): Promise<Card | undefined> {
    await this._cardTask.run();
    return this._card;
  }

  /**
   * Moves focus to the first match in the shadow root after the next render, unless the visitor
   * has meanwhile moved focus elsewhere on the page (`force`: also from inside this element). @internal
   */
  async focusSelector(selector: string, force = false): Promise<void> {
    await this.updateComplete;
    const active = document.activeElement;
    if (!force && active && active !== document.body && active !== this) return;
    if (force && active && active !== document.body && active !== this && !this.contains(active)) return;
    const target = this.renderRoot.querySelector<HTMLElement>(selector);
    target?.focus();
  }

  /** The claim form's state. @internal */
  get claimState(): ClaimState {
    return this._claim;
  }

  /** @internal */
  get loadingChat(): boolean {
    return this._loadingChat;
  }

  /** @internal */
  setClaim(patch: Partial<ClaimState>): void {
    this._claim = { ...this._claim, ...patch };
  }

  /** Validates the claim form, then connects (if needed) and claims. @internal */
  async submitClaim(): Promise<void> {
    const problems = claimProblems(this._claim);
    const first = (['price', 'window', 'passphrase', 'confirm'] as const).find((k) => problems[k]);
    if (first) {
      this.setClaim({ submitted: true });
      const ids = { price: '#claim-price', window: '#claim-window', passphrase: '#claim-pass', confirm: '#claim-pass-confirm' };
      await this.focusSelector(ids[first], true);
      return;
    }
    this.announce(copy.card.loading, 'busy');
    const c = this._claim;
    const chat = await this._ensureChat();
    const ok = await chat?.profile.claim(c.price, Number(c.windowValue) * c.windowUnit, c.passphrase);
    if (ok) this._claim = initialClaim();
  }

  private _emitError(action: string, error: PaidChatError): void {
    this.dispatchEvent(new HarmonyErrorEvent({ code: error.code, message: error.message, action, error })); // documented by @fires above
  }

  private _onRetry(info: RetryInfo): void {
    this.announce(copy.card.retrying(Math.max(1, Math.round(info.delayMs / 1000)), info.attempt + 1, info.attempts), 'warn');
  }

  /** Loads the controller, the full SDK and the wallet code on first use. */
  private async _ensureChat(): Promise<ChatController | undefined> {
    if (this._chat) return this._chat;
    this._loadingChat = true;
    try {
      this._chatModule ??= import('./chat.js');
      const mod = await this._chatModule;
      if (!this._chat) {
        this._views = mod;
        adoptStyles(this.renderRoot as ShadowRoot, [...(this.constructor as typeof HarmonyPaidChat).elementStyles, ...mod.connectedStyles]);
        this._chat = new mod.ChatController(this);
      }
      return this._chat;
    } catch (e) {
      this._chatModule = undefined;
      const error = new PaidChatError('RPC_UNAVAILABLE', copy.card.lazyFailed, {}, { cause: e });
      this.announce(error.message, 'error');
      this._emitError('connect', error);
      return undefined;
    } finally {
      this._loadingChat = false;
    }
  }

  /** Starts loading the lazy code when the visitor is about to click (hover or keyboard focus). @internal */
  prefetch = () => {
    this._chatModule ??= import('./chat.js');
    this._chatModule.catch(() => (this._chatModule = undefined));
  };

  private _onConnect = async () => {
    if (this._loadingChat) return;
    this.announce(copy.card.loading, 'busy');
    const chat = await this._ensureChat();
    if (chat) await chat.connect();
  };

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('theme') && !['light', 'dark', 'auto'].includes(this.theme)) this.theme = 'light';
  }

  // ------------------------------------------------------------------ render

  override render(): TemplateResult {
    const card = this._card;
    const h = this.handle.trim().replace(/^@/, '');
    return html`<section part="base" class="base" aria-label=${copy.card.label(h)}>
      ${card ? (card.free ? this._renderFree(card) : this._renderOwned(card)) : this._renderCardState()}
      <p part="status" role="status" class=${`status ${this._status.tone}`}>${this._status.text}</p>
    </section>`;
  }

  private _renderCardState(): TemplateResult {
    return this._cardTask.render({
      initial: () => this._skeleton(),
      pending: () => this._skeleton(),
      complete: () => this._skeleton(),
      error: (e) => html`<div class="card-error">
        <p part="error" class="error">${e instanceof Error ? e.message : String(e)}</p>
        <button part="retry-button" class="secondary" type="button" @click=${() => this._cardTask.run()}>${copy.card.tryAgain}</button>
      </div>`,
    }) as TemplateResult;
  }

  private _skeleton(): TemplateResult {
    const h = this.handle.trim();
    return html`<div part="header" class="header" aria-busy="true">
      <span part="avatar" class="avatar skeleton" aria-hidden="true"></span>
      <div>
        <h2 part="handle" class="handle">${h ? (h.startsWith('@') ? h : `@${h}`) : copy.card.fallbackTitle}</h2>
        <p part="price" class="price muted">${copy.card.loading}</p>
      </div>
    </div>`;
  }

  private _header(card: Card): TemplateResult {
    return html`<div part="header" class="header">
        <span part="avatar" class="avatar" aria-hidden="true">${card.handle.charAt(0).toUpperCase()}</span>
        <div>
          <h2 part="handle" class="handle">@${card.handle}</h2>
          <p part="price" class="price">
            ${card.price === 0n ? html`<strong>${copy.card.free}</strong>${copy.card.toMessage}` : html`<strong>${ones(card.price)}</strong>${copy.card.perMessage}`}${copy.card.repliesWithin(card.window)}${card.followUpPrice > 0n ? copy.card.followUps(card.followUpPrice) : nothing}
          </p>
        </div>
      </div>
      <p part="promise" class="promise">
        ${card.price === 0n ? copy.card.promiseFree(card.handle, card.window) : copy.card.promise(card.handle, card.window, card.price)}
      </p>`;
  }

  private _renderOwned(card: Card): TemplateResult {
    const chat = this._chat;
    const connected = chat && chat.session.phase !== 'idle' && chat.session.phase !== 'connecting';
    return html`${this._header(card)} ${connected && this._views ? this._views.renderConnected(this, chat, card) : this._connectButton(card)}`;
  }

  private _connectButton(card: Card): TemplateResult {
    const busy = this._loadingChat || this._chat?.session.phase === 'connecting';
    const error = this._chat?.activity.errorFor('connect');
    return html`<div class="connect">
      <button part="connect-button" type="button" aria-disabled=${busy ? 'true' : 'false'} @click=${this._onConnect} @pointerenter=${this.prefetch} @focus=${this.prefetch}>
        ${busy ? copy.connect.busy : copy.connect.button}
      </button>
      <p class="muted small">${copy.connect.ownerHint(card.handle)}</p>
      ${error ? html`<p part="error" class="error">${error.message}</p>` : nothing}
    </div>`;
  }

  private _renderFree(card: Card): TemplateResult {
    const chat = this._chat;
    const notice = chat && this._views ? this._views.renderWalletNotice(this, chat) : nothing;
    return renderClaimForm(this, card, chat, notice);
  }
}
