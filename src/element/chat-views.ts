/**
 * Templates of the connected states (loaded lazily with the controller): wrong network, no wallet,
 * the visitor's composer and outbox, the creator's unlock, inbox and settings.
 *
 * Every piece of message text goes through a Lit text binding (`${m.text}`), never through
 * `unsafeHTML` or `innerHTML`: whatever a message holds is shown as text.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { ChatMessage } from '../sdk/client.js';
import { MAX_MESSAGE_BYTES } from '../sdk/text.js';
import { shortAddress, toOneAddress } from '../sdk/address.js';
import type { Card } from '../sdk/card.js';
import type { ChatController, ChatHost } from './chat-controller.js';
import { at, describeTimeLeft, ones } from './format.js';

const METAMASK_URL = 'https://metamask.io/download/';

function errorText(c: ChatController, action: Parameters<ChatController['errorFor']>[0], id?: bigint): TemplateResult | typeof nothing {
  const e = c.errorFor(action, id);
  return e ? html`<p part="error" class="error" id=${`${action}-error${id === undefined ? '' : `-${id}`}`}>${e.message}</p>` : nothing;
}

/** The wallet states shown instead of the composer / inbox: no wallet, wrong network. */
export function renderWalletNotice(host: ChatHost, c: ChatController): TemplateResult | typeof nothing {
  if (c.phase === 'no-wallet') {
    return html`<div part="no-wallet" class="notice" tabindex="-1">
      <p>To send or receive paid messages you need a crypto wallet that works with Harmony.</p>
      <p>
        <a part="link" href=${METAMASK_URL} target="_blank" rel="noopener noreferrer">Get MetaMask</a>
        (free browser extension and app), add some ONE, then come back and connect.
      </p>
      <button part="connect-button" class="secondary" type="button" @click=${() => c.disconnect()}>Try again</button>
    </div>`;
  }
  if (c.phase === 'wrong-chain') {
    const busy = c.busy?.action === 'switch-chain';
    return html`<div part="wrong-network" class="notice">
      <p>Your wallet is on another network${c.walletChainId ? html` (chain ${c.walletChainId})` : nothing}. ${at(host.card?.handle ?? '')}'s inbox is on
        ${c.chat.chain.name}.</p>
      <button part="switch-button" type="button" aria-disabled=${busy ? 'true' : 'false'} @click=${() => !busy && c.switchChain()}>
        ${busy ? 'Confirm in your wallet…' : `Switch to ${c.chat.chain.name}`}
      </button>
      ${errorText(c, 'switch-chain')}
    </div>`;
  }
  return nothing;
}

function account(c: ChatController): TemplateResult {
  const a = c.account!;
  return html`<p part="account" class="muted small">
    Connected: <span title=${`${a} · ${toOneAddress(a)}`}>${shortAddress(a)}</span>${c.walletName ? html` (${c.walletName})` : nothing}
    <button part="disconnect-button" class="link-button" type="button" @click=${() => c.disconnect()}>Disconnect</button>
  </p>`;
}

/** The connected body: a wallet notice, or the visitor's or the creator's view. */
export function renderConnected(host: ChatHost, c: ChatController, card: Card): TemplateResult {
  const notice = renderWalletNotice(host, c);
  if (notice !== nothing) return notice as TemplateResult;
  if (c.role === 'creator') return html`${account(c)}${renderCreator(host, c, card)}`;
  return html`${account(c)}${renderComposer(host, c, card)}${errorText(c, 'load')}${renderOutbox(host, c, card)}`;
}

// ---------------------------------------------------------------- visitor

function counter(c: ChatController, text: string, id: string): TemplateResult {
  const bytes = c.draftBytes(text);
  const over = c.overBy(text);
  return html`<span id=${id} part="counter" class=${over ? 'counter over' : 'counter'}>${bytes} / ${MAX_MESSAGE_BYTES} bytes</span>`;
}

function overText(over: number, bytes: number, id: string): TemplateResult | typeof nothing {
  if (!over) return nothing;
  return html`<p id=${id} part="error" class="error">
    ${bytes} bytes is ${over} byte${over === 1 ? '' : 's'} over the ${MAX_MESSAGE_BYTES}-byte limit. Shorten it by ${over}
    byte${over === 1 ? '' : 's'} to send (an emoji takes 4 bytes).
  </p>`;
}

function renderSteps(c: ChatController): TemplateResult | typeof nothing {
  const step = c.sendStep;
  if (step !== 'confirm' && step !== 'sending' && step !== 'delivered') return nothing;
  const order = ['confirm', 'sending', 'delivered'] as const;
  const at_ = order.indexOf(step);
  const label = (i: number, text: string) => {
    const state = i < at_ || step === 'delivered' ? 'done' : i === at_ ? 'current' : 'todo';
    return html`<li class=${state} aria-current=${state === 'current' ? 'step' : nothing}>
      <span class="dot" aria-hidden="true"></span>${text}${state === 'done' ? html`<span class="sr-only"> (done)</span>` : nothing}
    </li>`;
  };
  const confirmText =
    step === 'confirm' && c.sendPrompt === 'signature' ? 'Confirm in your wallet (free signature for your messaging key)' : 'Confirm in your wallet';
  return html`<ol part="steps" class="steps" tabindex="-1" aria-label="Progress">
    ${label(0, confirmText)} ${label(1, 'Sending')} ${label(2, 'Delivered')}
  </ol>`;
}

function renderReceipt(c: ChatController): TemplateResult | typeof nothing {
  const s = c.lastSent;
  if (c.sendStep !== 'delivered' || !s) return nothing;
  return html`<p part="receipt" class="receipt" tabindex="-1">
    Delivered to ${at(s.to)} with ${ones(s.amount)}.
    ${s.explorerUrl
      ? html`<a part="link" href=${s.explorerUrl} target="_blank" rel="noopener noreferrer">View the transaction</a>`
      : html`<span class="muted small">Transaction <code>${s.txHash.slice(0, 10)}…${s.txHash.slice(-6)}</code></span>`}
  </p>`;
}

function renderComposer(host: ChatHost, c: ChatController, card: Card): TemplateResult {
  if (!card.hasKey) {
    return html`<p part="notice" class="notice">${at(card.handle)} has not set up messaging yet, so nobody can write to them for now.</p>`;
  }
  const bytes = c.draftBytes();
  const over = c.overBy();
  const amountProblem = c.amount.trim() === '' ? undefined : c.amountProblem();
  const sending = c.sendStep === 'confirm' || c.sendStep === 'sending';
  const describedBy = ['draft-counter', over ? 'draft-over' : '', c.errorFor('send') ? 'send-error' : ''].filter(Boolean).join(' ');
  return html`<form part="composer" class="composer" novalidate aria-labelledby="composer-title" @submit=${(e: Event) => {
    e.preventDefault();
    void c.send();
  }}>
    <h3 id="composer-title" class="title">Write to ${at(card.handle)}</h3>
    <label for="draft">Your message</label>
    <textarea
      id="draft"
      part="input"
      rows="3"
      .value=${c.draft}
      ?readonly=${sending}
      aria-invalid=${over ? 'true' : 'false'}
      aria-describedby=${describedBy}
      @input=${(e: Event) => c.setDraft((e.target as HTMLTextAreaElement).value)}
    ></textarea>
    <div class="row spread">${counter(c, c.draft, 'draft-counter')}</div>
    ${overText(over, bytes, 'draft-over')}
    <div class="row amount-row">
      <div class="field">
        <label for="amount">Amount (ONE)</label>
        <input
          id="amount"
          part="amount"
          inputmode="decimal"
          autocomplete="off"
          .value=${c.amount}
          ?readonly=${sending}
          aria-invalid=${amountProblem ? 'true' : 'false'}
          aria-describedby=${amountProblem ? 'amount-hint amount-error' : 'amount-hint'}
          @input=${(e: Event) => c.setAmount((e.target as HTMLInputElement).value)}
        />
      </div>
      <button part="send-button" type="submit" ?disabled=${!c.canSend}>
        ${sending ? 'Sending…' : `Send ${c.amountProblem() ? '' : `${c.amount.trim()} ONE`}`.trim()}
      </button>
    </div>
    <p id="amount-hint" class="muted small">At least ${ones(card.price)}. More is a tip.</p>
    ${amountProblem ? html`<p id="amount-error" part="error" class="error">${amountProblem}</p>` : nothing}
    ${errorText(c, 'send')} ${renderSteps(c)} ${renderReceipt(c)}
  </form>`;
}

function statusLine(c: ChatController, m: ChatMessage, card: Card, mine: boolean): TemplateResult {
  const left = c.secondsLeft(m);
  switch (m.status) {
    case 'waiting':
      return html`<span class="badge waiting">${mine ? 'Waiting for a reply' : 'Waiting'}</span>
        <span class=${c.isUrgent(m) ? 'urgent-text' : ''}>${left > 0 ? `${describeTimeLeft(left)} left` : 'window closing'}${c.isUrgent(m)
          ? html`<strong> — reply soon</strong>`
          : nothing}</span>`;
    case 'replied':
      return html`<span class="badge replied">Replied</span>`;
    case 'refundable':
      return html`<span class="badge refundable">${mine ? 'No reply in time — refundable' : `Not answered in time`}</span>`;
    case 'refunded':
      return html`<span class="badge refunded">Refunded</span>`;
    default:
      return html`${card.handle}`;
  }
}

function messageText(m: ChatMessage): TemplateResult {
  if (m.text !== undefined) return html`<p part="message-text" class="text">${m.text}</p>`;
  if (m.error) return html`<p part="message-text" class="text error">${m.error.message}</p>`;
  // Read while locked (the SDK sets either text or error once unlocked): a reload after unlocking fills it.
  return html`<p part="message-text" class="text muted">Encrypted — unlock to read.</p>`;
}

function renderOutbox(_host: ChatHost, c: ChatController, card: Card): TemplateResult | typeof nothing {
  if (!c.outboxLoaded || c.outbox.length === 0) return nothing;
  const needsUnlock = !c.unlocked;
  return html`<section part="outbox" class="outbox" aria-labelledby="outbox-title">
    <h3 id="outbox-title" class="title" tabindex="-1">Your messages to ${at(card.handle)}</h3>
    ${needsUnlock
      ? html`<p class="muted small">Your messages and ${at(card.handle)}'s replies are encrypted.</p>
          <button part="unlock-button" class="secondary" type="button" ?disabled=${!!c.busy} @click=${() => c.unlock()}>
            ${c.busy?.action === 'unlock' ? 'Confirm in your wallet…' : 'Unlock to read (free signature)'}
          </button>
          ${errorText(c, 'unlock')}`
      : nothing}
    <ul part="message-list" class="messages">
      ${c.outbox.map((m) => {
        const refunding = c.busy?.action === 'refund' && c.busy.id === m.id;
        return html`<li part="message" class=${`message ${m.status}`} id=${`message-${m.id}`} tabindex="-1">
          ${messageText(m)}
          <p part="message-meta" class="meta">${ones(m.amount)} · ${statusLine(c, m, card, true)}</p>
          ${m.status === 'replied'
            ? html`<div part="reply" class="reply">
                <span class="muted small">${at(card.handle)} replied:</span>
                ${m.reply !== undefined
                  ? html`<p class="text">${m.reply}</p>`
                  : m.error && m.text !== undefined
                    ? html`<p class="text error">The reply could not be read. ${m.error.message}</p>`
                    : html`<p class="text muted">Unlock to read the reply.</p>`}
              </div>`
            : nothing}
          ${m.status === 'refundable'
            ? html`<button
                  part="refund-button"
                  id=${`refund-${m.id}`}
                  type="button"
                  aria-disabled=${c.busy ? 'true' : 'false'}
                  @click=${() => !c.busy && c.refund(m)}
                >
                  ${refunding ? (c.busy!.step === 'sending' ? 'Refunding…' : 'Confirm in your wallet…') : `Get refund of ${ones(m.amount)}`}
                </button>
                ${errorText(c, 'refund', m.id)}`
            : nothing}
        </li>`;
      })}
    </ul>
  </section>`;
}

// ---------------------------------------------------------------- creator

function sender(m: ChatMessage): TemplateResult {
  const hex = m.sender;
  const one = toOneAddress(hex);
  const name = m.senderHandle ? at(m.senderHandle) : shortAddress(hex);
  return html`<span part="sender" class="sender" title=${`${hex} · ${one}`}>${name}</span><span class="sr-only">, address ${hex}, ${one}</span>`;
}

function renderCreator(host: ChatHost, c: ChatController, card: Card): TemplateResult {
  if (!c.unlocked) {
    return html`<section part="locked" class="locked">
        <p>You own ${at(card.handle)}. Your messages are encrypted: unlock your inbox with one free signature (no transaction, no fee).</p>
        <button part="unlock-button" type="button" aria-disabled=${c.busy ? 'true' : 'false'} @click=${() => !c.busy && c.unlock()}>
          ${c.busy?.action === 'unlock' ? 'Confirm in your wallet…' : 'Unlock inbox'}
        </button>
        ${errorText(c, 'unlock')}
      </section>
      ${renderSettings(host, c)}`;
  }
  const { earned, held, waiting } = c.totals;
  return html`<section part="inbox" class="inbox" aria-labelledby="inbox-title">
      <h3 id="inbox-title" class="title" tabindex="-1">Inbox of ${at(card.handle)}</h3>
      <p part="totals" class="totals">
        <span>Earned <strong>${ones(earned)}</strong></span>
        <span>Held <strong>${ones(held)}</strong> in ${waiting} waiting message${waiting === 1 ? '' : 's'}</span>
      </p>
      ${errorText(c, 'load')}
      ${c.inboxLoaded && c.inbox.length === 0 ? html`<p class="muted">No messages yet. Share this page so people can write to you.</p>` : nothing}
      <ul part="message-list" class="messages">
        ${c.inbox.map((m) => renderInboxMessage(c, m, card))}
      </ul>
      ${c.inboxCursor !== undefined
        ? html`<button part="more-button" class="secondary" type="button" @click=${() => c.loadMoreInbox()}>Load older messages</button>`
        : nothing}
    </section>
    ${renderSettings(host, c)}`;
}

function renderInboxMessage(c: ChatController, m: ChatMessage, card: Card): TemplateResult {
  const urgent = c.isUrgent(m);
  const draft = c.replyDraft(m.id);
  const over = c.overBy(draft);
  const busy = c.busy?.action === 'reply' && c.busy.id === m.id;
  const inputId = `reply-${m.id}`;
  return html`<li part="message" class=${`message ${m.status}${urgent ? ' urgent' : ''}`} id=${`message-${m.id}`} tabindex="-1">
    <p class="from">
      ${sender(m)}
      ${m.verified
        ? html`<span part="verified" class="verified" title="Sealed with the messaging key registered to this sender"
            ><span aria-hidden="true">✓</span> Verified sender</span
          >`
        : nothing}
    </p>
    ${messageText(m)}
    <p part="message-meta" class="meta">${ones(m.amount)} · ${statusLine(c, m, card, false)}</p>
    ${m.status === 'replied' && m.reply !== undefined
      ? html`<div part="reply" class="reply"><span class="muted small">You replied:</span>
          <p class="text">${m.reply}</p></div>`
      : nothing}
    ${m.status === 'waiting'
      ? html`<form part="reply-box" class="reply-box" novalidate @submit=${(e: Event) => {
          e.preventDefault();
          if (!c.busy) void c.reply(m);
        }}>
          <label for=${inputId}>Reply to ${m.senderHandle ? at(m.senderHandle) : shortAddress(m.sender)}</label>
          <textarea
            id=${inputId}
            part="reply-input"
            rows="2"
            .value=${draft}
            ?readonly=${busy}
            aria-invalid=${over ? 'true' : 'false'}
            aria-describedby=${[`${inputId}-counter`, over ? `${inputId}-over` : ''].filter(Boolean).join(' ')}
            @input=${(e: Event) => c.setReplyDraft(m.id, (e.target as HTMLTextAreaElement).value)}
          ></textarea>
          <div class="row spread">
            ${counter(c, draft, `${inputId}-counter`)}
            <button part="reply-button" type="submit" ?disabled=${!draft.trim() || over > 0 || (!!c.busy && !busy)}>
              ${busy ? (c.busy!.step === 'sending' ? 'Sending…' : 'Confirm in your wallet…') : `Reply and collect ${ones(c.payoutOf(m.amount))}`}
            </button>
          </div>
          ${overText(over, c.draftBytes(draft), `${inputId}-over`)} ${errorText(c, 'reply', m.id)}
        </form>`
      : nothing}
  </li>`;
}

function renderSettings(host: ChatHost, c: ChatController): TemplateResult {
  const s = c.settings;
  const busy = c.busy?.action === 'settings';
  const emailBusy = c.busy?.action === 'email';
  return html`<details part="settings" class="settings" @toggle=${(e: Event) => (e.target as HTMLDetailsElement).open && c.openSettings()}>
    <summary>Settings</summary>
    <form class="settings-form" novalidate @submit=${(e: Event) => {
      e.preventDefault();
      void c.saveSettings();
    }}>
      <div class="field">
        <label for="settings-price">Price per message (ONE)</label>
        <input id="settings-price" part="price-input" inputmode="decimal" autocomplete="off" .value=${s.price}
          @input=${(e: Event) => c.setSetting('price', (e.target as HTMLInputElement).value)} />
      </div>
      <div class="field">
        <label for="settings-window">Reply window</label>
        <div class="row">
          <input id="settings-window" part="window-input" type="number" min="1" step="1" .value=${s.windowValue}
            @input=${(e: Event) => c.setSetting('windowValue', (e.target as HTMLInputElement).value)} />
          <select aria-label="Reply window unit" .value=${String(s.windowUnit)}
            @change=${(e: Event) => c.setSetting('windowUnit', Number((e.target as HTMLSelectElement).value))}>
            <option value="86400" ?selected=${s.windowUnit === 86_400}>days</option>
            <option value="3600" ?selected=${s.windowUnit === 3_600}>hours</option>
          </select>
        </div>
      </div>
      <p class="muted small">Between 1 hour and 30 days. Messages already sent keep their deadline.</p>
      <button part="save-button" type="submit" aria-disabled=${c.busy ? 'true' : 'false'}>${busy ? 'Saving…' : 'Save settings'}</button>
      ${errorText(c, 'settings')}
    </form>
    ${host.notifierUrl
      ? html`<form class="settings-form" part="email-form" novalidate @submit=${(e: Event) => {
          e.preventDefault();
          if (!c.busy) void c.subscribeEmail();
        }}>
          <div class="field">
            <label for="settings-email">Email me about new messages</label>
            <input id="settings-email" part="email-input" type="email" autocomplete="email" .value=${s.email}
              @input=${(e: Event) => c.setSetting('email', (e.target as HTMLInputElement).value)} />
          </div>
          <p class="muted small">You sign once to prove you own this address; the email stays with the notification service, never on chain.</p>
          <button part="email-button" type="submit" aria-disabled=${c.busy ? 'true' : 'false'}>
            ${emailBusy ? 'Confirm in your wallet…' : 'Email me'}
          </button>
          ${c.emailSubscribed ? html`<p class="success small">Confirmation sent to ${c.emailSubscribed}.</p>` : nothing}
          ${errorText(c, 'email')}
        </form>`
      : nothing}
  </details>`;
}
