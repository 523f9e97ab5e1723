import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { Task } from '@lit/task';
import { readCard, type Card } from '../sdk/card.js';
import { PaidChatError } from '../sdk/errors.js';
import type { ChainName } from '../sdk/chains.js';
import type { RetryInfo } from '../sdk/rpc.js';
import { VERSION } from '../sdk/version.js';
import type { Eip1193Provider } from './wallet.js';
import type { ChatController, StatusTone } from './chat-controller.js';
import { HarmonyErrorEvent } from './events.js';
import { AMOUNT_PATTERN, at, describeWindow, ones } from './format.js';
import styles from './harmony-paid-chat.styles.js';

type ChatModule = typeof import('./chat.js');

/** Retries of the card read: 4 attempts, 1 s → 2 s → 4 s, each shown in the status line. */
const CARD_RETRY = { attempts: 4, baseDelayMs: 1_000 };

/**
 * A paid, end-to-end encrypted inbox for one creator on the Harmony blockchain. Visitors pay the
 * creator's price to send a message of up to 140 bytes; the creator replies to collect it, or the
 * visitor takes a refund after the reply window. Before the first click it loads only Lit and a
 * small read path for the creator's card; wallet, chain and crypto code load on demand.
 *
 * @summary A paid, encrypted inbox for a Harmony handle, in one tag.
 * @tagname harmony-paid-chat
 *
 * @fires {HarmonyConnectEvent} harmony-connect - A wallet was connected. `detail: { address, chainId, role }`.
 * @fires {HarmonyMessageSentEvent} harmony-message-sent - A paid message was delivered. `detail: { id, to, amount, txHash, explorerUrl }`.
 * @fires {HarmonyReplySentEvent} harmony-reply-sent - The creator replied and collected. `detail: { id, amount, txHash, explorerUrl }`.
 * @fires {HarmonyRefundEvent} harmony-refund - A visitor took a refund. `detail: { id, amount, txHash, explorerUrl }`.
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
 * @csspart connect-button - "Connect wallet".
 * @csspart claim-form - The form to claim a free handle.
 * @csspart claim-button - The claim button.
 * @csspart price-input - Price field (claim form and settings).
 * @csspart window-input - Reply window field (claim form and settings).
 * @csspart account - The connected account line.
 * @csspart disconnect-button - "Disconnect".
 * @csspart no-wallet - The "you need a wallet" explanation.
 * @csspart link - Links (get a wallet, explorer).
 * @csspart wrong-network - The wrong-network notice.
 * @csspart switch-button - "Switch to Harmony".
 * @csspart notice - Other notices.
 * @csspart composer - The visitor's message form.
 * @csspart input - The message text area.
 * @csspart counter - The byte counter ("93 / 140 bytes").
 * @csspart amount - The amount field.
 * @csspart send-button - The send button.
 * @csspart steps - Progress: confirm in wallet → sending → delivered.
 * @csspart receipt - The delivered confirmation with the explorer link.
 * @csspart outbox - The visitor's earlier messages to this creator.
 * @csspart inbox - The creator's inbox.
 * @csspart locked - The creator's locked-inbox notice.
 * @csspart unlock-button - "Unlock inbox" / "Unlock to read".
 * @csspart totals - Earned and held totals.
 * @csspart message-list - A list of messages.
 * @csspart message - One message.
 * @csspart message-text - A message's text.
 * @csspart message-meta - Amount, status and time left.
 * @csspart sender - The sender's handle or short address (both address forms on hover).
 * @csspart verified - The verified-sender mark.
 * @csspart reply - A reply under a message.
 * @csspart reply-box - The creator's reply form under a message.
 * @csspart reply-input - The reply text area.
 * @csspart reply-button - The reply button.
 * @csspart refund-button - "Get refund".
 * @csspart more-button - "Load older messages".
 * @csspart settings - The creator's settings (a disclosure).
 * @csspart save-button - Save settings.
 * @csspart email-form - "Email me about new messages" (with `notifier-url`).
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
 * @cssprop [--harmony-font-family=inherit] - Font family (the page's by default; no font is loaded).
 * @cssprop [--harmony-font-size=1rem] - Base font size.
 * @cssprop [--harmony-spacing=1rem] - Base spacing unit.
 * @cssprop [--harmony-max-width=40rem] - Widest the element grows.
 */
export class HarmonyPaidChat extends LitElement {
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

  /** Base URL of the email notifier; when set, the creator's settings offer "Email me about new messages". */
  @property({ attribute: 'notifier-url' }) notifierUrl?: string;

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
  @state() private _claim = { price: '10', windowValue: '7', windowUnit: 86_400 };

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
      if (!handle.trim()) {
        throw new PaidChatError('HANDLE_INVALID', 'This inbox has no handle yet: set the handle attribute, like handle="@satoshi".');
      }
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
   * has meanwhile moved focus elsewhere on the page. @internal
   */
  async focusSelector(selector: string): Promise<void> {
    await this.updateComplete;
    const active = document.activeElement;
    if (active && active !== document.body && active !== this) return;
    const target = this.renderRoot.querySelector<HTMLElement>(selector);
    target?.focus();
  }

  private _emitError(action: string, error: PaidChatError): void {
    const event = new HarmonyErrorEvent({ code: error.code, message: error.message, action, error });
    this.dispatchEvent(event); // documented by @fires above
  }

  private _onRetry(info: RetryInfo): void {
    const s = Math.max(1, Math.round(info.delayMs / 1000));
    this.announce(`Can't reach the network, retrying in ${s} s… (attempt ${info.attempt + 1} of ${info.attempts})`, 'warn');
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
        this._chat = new mod.ChatController(this);
      }
      return this._chat;
    } catch (e) {
      this._chatModule = undefined;
      const error = new PaidChatError('RPC_UNAVAILABLE', "Couldn't load the wallet code. Check your connection and try again.", {}, { cause: e });
      this.announce(error.message, 'error');
      this._emitError('connect', error);
      return undefined;
    } finally {
      this._loadingChat = false;
    }
  }

  /** Starts loading the lazy code when the visitor is about to click (hover or keyboard focus). */
  private _prefetch = () => {
    this._chatModule ??= import('./chat.js');
    this._chatModule.catch(() => (this._chatModule = undefined));
  };

  private _onConnect = async () => {
    if (this._loadingChat) return;
    this.announce('Loading…', 'busy');
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
    return html`<section part="base" class="base" aria-label=${h ? `Paid inbox of ${at(h)}` : 'Paid inbox'}>
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
        <button part="retry-button" class="secondary" type="button" @click=${() => this._cardTask.run()}>Try again</button>
      </div>`,
    }) as TemplateResult;
  }

  private _skeleton(): TemplateResult {
    const h = this.handle.trim();
    return html`<div part="header" class="header" aria-busy="true">
      <span part="avatar" class="avatar skeleton" aria-hidden="true"></span>
      <div>
        <h2 part="handle" class="handle">${h ? (h.startsWith('@') ? h : at(h)) : 'Paid inbox'}</h2>
        <p part="price" class="price muted">Loading…</p>
      </div>
    </div>`;
  }

  private _header(card: Card): TemplateResult {
    const who = at(card.handle);
    const window = describeWindow(card.window);
    return html`<div part="header" class="header">
        <span part="avatar" class="avatar" aria-hidden="true">${card.handle.charAt(0).toUpperCase()}</span>
        <div>
          <h2 part="handle" class="handle">${who}</h2>
          <p part="price" class="price">
            ${card.price === 0n ? html`<strong>Free</strong> to message` : html`<strong>${ones(card.price)}</strong> per message`} · replies within
            ${window}
          </p>
        </div>
      </div>
      <p part="promise" class="promise">
        ${card.price === 0n
          ? html`Anything you add is refunded if ${who} doesn't reply within ${window}.`
          : html`Refunded if ${who} doesn't reply within ${window}: you take your ${ones(card.price)} back here.`}
      </p>`;
  }

  private _renderOwned(card: Card): TemplateResult {
    const chat = this._chat;
    const connected = chat && chat.phase !== 'idle' && chat.phase !== 'connecting';
    return html`${this._header(card)}
    ${connected && this._views ? this._views.renderConnected(this, chat, card) : this._connectButton(card)}`;
  }

  private _connectButton(card: Card): TemplateResult {
    const busy = this._loadingChat || this._chat?.phase === 'connecting';
    const error = this._chat?.errorFor('connect');
    return html`<div class="connect">
      <button
        part="connect-button"
        type="button"
        aria-disabled=${busy ? 'true' : 'false'}
        @click=${this._onConnect}
        @pointerenter=${this._prefetch}
        @focus=${this._prefetch}
      >
        ${busy ? 'Connecting…' : 'Connect wallet to write'}
      </button>
      <p class="muted small">Own ${at(card.handle)}? Connect that wallet to open your inbox.</p>
      ${error ? html`<p part="error" class="error">${error.message}</p>` : nothing}
    </div>`;
  }

  private _claimProblems(): { price?: string; window?: string } {
    const c = this._claim;
    const out: { price?: string; window?: string } = {};
    if (!AMOUNT_PATTERN.test(c.price)) out.price = 'Enter a price in ONE, like 10 or 0.5 (0 is allowed).';
    const seconds = Number(c.windowValue) * c.windowUnit;
    if (!Number.isFinite(seconds) || !Number.isInteger(Number(c.windowValue)) || seconds < 3_600 || seconds > 30 * 86_400) {
      out.window = 'The reply window must be a whole number between 1 hour and 30 days.';
    }
    return out;
  }

  private _renderFree(card: Card): TemplateResult {
    const who = at(card.handle);
    const chat = this._chat;
    const problems = this._claimProblems();
    const busy = this._loadingChat || chat?.phase === 'connecting' || !!chat?.busy;
    const ready = chat?.phase === 'ready';
    const notice = chat && this._views ? this._views.renderWalletNotice(this, chat) : nothing;
    const error = chat?.errorFor('claim') ?? chat?.errorFor('connect');
    const set = (k: 'price' | 'windowValue' | 'windowUnit') => (e: Event) => {
      const v = (e.target as HTMLInputElement).value;
      this._claim = { ...this._claim, [k]: k === 'windowUnit' ? Number(v) : v };
    };
    return html`<div part="header" class="header">
        <span part="avatar" class="avatar" aria-hidden="true">${card.handle.charAt(0).toUpperCase()}</span>
        <div>
          <h2 part="handle" class="handle">${who} is free — claim it</h2>
          <p part="price" class="price muted">Nobody holds this handle on ${card.chainName} yet.</p>
        </div>
      </div>
      <form
        part="claim-form"
        class="claim"
        novalidate
        @submit=${async (e: Event) => {
          e.preventDefault();
          if (busy || problems.price || problems.window) return;
          this.announce('Loading…', 'busy');
          const c = await this._ensureChat();
          await c?.claim(this._claim.price, Number(this._claim.windowValue) * this._claim.windowUnit);
        }}
      >
        <p class="muted small">Claim ${who} and anyone can send you a paid message. You choose the price and how long you have to reply; messages you don't answer in time are refunded.</p>
        <div class="field">
          <label for="claim-price">Price per message (ONE)</label>
          <input
            id="claim-price"
            part="price-input"
            inputmode="decimal"
            autocomplete="off"
            .value=${this._claim.price}
            aria-invalid=${problems.price ? 'true' : 'false'}
            aria-describedby=${problems.price ? 'claim-price-error' : nothing}
            @input=${set('price')}
          />
          ${problems.price ? html`<p id="claim-price-error" part="error" class="error">${problems.price}</p>` : nothing}
        </div>
        <div class="field">
          <label for="claim-window">Reply window</label>
          <div class="row">
            <input
              id="claim-window"
              part="window-input"
              type="number"
              min="1"
              step="1"
              .value=${this._claim.windowValue}
              aria-invalid=${problems.window ? 'true' : 'false'}
              aria-describedby=${problems.window ? 'claim-window-error' : nothing}
              @input=${set('windowValue')}
            />
            <select aria-label="Reply window unit" @change=${set('windowUnit')}>
              <option value="86400" ?selected=${this._claim.windowUnit === 86_400}>days</option>
              <option value="3600" ?selected=${this._claim.windowUnit === 3_600}>hours</option>
            </select>
          </div>
          ${problems.window ? html`<p id="claim-window-error" part="error" class="error">${problems.window}</p>` : nothing}
        </div>
        ${notice}
        <button
          part="claim-button"
          type="submit"
          aria-disabled=${busy || problems.price || problems.window ? 'true' : 'false'}
          @pointerenter=${this._prefetch}
          @focus=${this._prefetch}
        >
          ${busy ? (chat?.busy?.step === 'sending' ? 'Claiming…' : chat?.busy ? 'Confirm in your wallet…' : 'Connecting…') : ready ? `Claim ${who}` : `Connect wallet and claim ${who}`}
        </button>
        ${error ? html`<p part="error" class="error">${error.message}</p>` : nothing}
      </form>`;
  }
}
