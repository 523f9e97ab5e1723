/**
 * The visitor's view: the backup hint, the conversation with the page's creator (one thread,
 * oldest first: paid messages with their state and time left, replies, follow-ups from both
 * sides), whether follow-ups are open, and the composer under it — a paid message, or once the
 * creator has answered, a follow-up (its price said on the button and above it), with a way to
 * send a paid message instead. A wallet the creator blocks gets a plain notice instead of a form
 * that could not send. With `notifier-url`, "Email me when they reply".
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Card } from '../sdk/card.js';
import type { ChatMessage } from '../sdk/types.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { renderBackupHint } from './key-views.js';
import { overBy } from './messaging.js';
import { renderCloseButton, renderConversationList, renderThreadState } from './thread-views.js';
import { counter, errorText, overText, type Maybe } from './view-parts.js';

function renderSteps(c: ChatController): Maybe {
  const busy = c.activity.busy;
  const sending = busy?.action === 'send';
  if (!sending && !c.messaging.delivered) return nothing;
  const at_ = sending ? (busy!.step === 'sending' ? 1 : 0) : 3;
  const label = (i: number, text: string) => {
    const state = i < at_ ? 'done' : i === at_ ? 'current' : 'todo';
    return html`<li class=${state} aria-current=${state === 'current' ? 'step' : nothing}>
      <span class="dot" aria-hidden="true"></span>${text}${state === 'done' ? html`<span class="sr-only">${copy.composer.done}</span>` : nothing}
    </li>`;
  };
  return html`<ol part="steps" class="steps" tabindex="-1" aria-label=${copy.composer.stepsLabel}>
    ${label(0, copy.composer.stepConfirm)} ${label(1, copy.composer.stepSending)} ${label(2, copy.composer.stepDelivered)}
  </ol>`;
}

function renderReceipt(c: ChatController): Maybe {
  const s = c.messaging.lastSent;
  if (!c.messaging.delivered || !s) return nothing;
  return html`<p part="receipt" class="receipt" tabindex="-1">
    ${copy.composer.receipt(s.to, s.amount)}
    ${s.explorerUrl
      ? html`<a part="link" class="target" href=${s.explorerUrl} target="_blank" rel="noopener noreferrer">${copy.composer.viewTx}</a>`
      : html`<span class="muted small">${copy.composer.tx}<code>${s.txHash.slice(0, 10)}…${s.txHash.slice(-6)}</code></span>`}
  </p>`;
}

function renderBlocked(card: Card): TemplateResult {
  return html`<p part="notice blocked-notice" class="notice warning" tabindex="-1" role="note">${copy.conversation.blockedNotice(card.handle)}</p>`;
}

function renderComposer(c: ChatController, card: Card): TemplateResult {
  if (!card.hasKey) return html`<p part="notice" class="notice">${copy.composer.noKey(card.handle)}</p>`;
  if (c.reads.mine.blocked) return renderBlocked(card);
  const m = c.messaging;
  const followUp = m.mode === 'follow-up';
  const open = !!c.reads.mine.thread?.open;
  const over = overBy(m.draft);
  const amountProblem = followUp || m.amount.trim() === '' ? undefined : m.amountProblem();
  const sending = m.sending;
  const action = followUp ? 'follow-up' : 'send';
  const errorId = followUp ? 'follow-up-error-mine' : 'send-error';
  const err = followUp ? c.activity.errorFor('follow-up', 'mine') : c.activity.errorFor('send');
  const describedBy = ['draft-counter', followUp ? 'draft-price' : '', over ? 'draft-over' : '', err ? errorId : ''].filter(Boolean).join(' ');
  return html`<form
    part=${followUp ? 'composer follow-up-form' : 'composer'}
    class="composer"
    novalidate
    aria-labelledby="composer-title"
    data-mode=${m.mode}
    @submit=${(e: Event) => {
      e.preventDefault();
      void m.send();
    }}
  >
    <h3 id="composer-title" class="title">${followUp ? copy.conversation.followUpTitle(card.handle) : copy.composer.title(card.handle)}</h3>
    ${followUp ? html`<p id="draft-price" class="small muted">${copy.conversation.followUpNote(card.handle, card.followUpPrice)}</p>` : nothing}
    <label for="draft">${followUp ? copy.conversation.followUpLabel : copy.composer.label}</label>
    <textarea id="draft" part=${followUp ? 'input follow-up-input' : 'input'} rows="3" .value=${m.draft} ?readonly=${sending} aria-invalid=${over ? 'true' : 'false'} aria-describedby=${describedBy}
      @input=${(e: Event) => m.setDraft((e.target as HTMLTextAreaElement).value)}></textarea>
    <div class="row spread">${counter(m.draft, 'draft-counter')}</div>
    ${overText(m.draft, 'draft-over')}
    ${followUp
      ? html`<div class="row">
          <button part="send-button follow-up-button" type="submit" ?disabled=${!m.canSend}>
            ${sending ? copy.composer.sending : copy.conversation.sendFollowUp(card.followUpPrice)}
          </button>
        </div>`
      : html`<div class="row amount-row">
            <div class="field">
              <label for="amount">${copy.composer.amount}</label>
              <input id="amount" part="amount" inputmode="decimal" autocomplete="off" .value=${m.amount} ?readonly=${sending}
                aria-invalid=${amountProblem ? 'true' : 'false'} aria-describedby=${amountProblem ? 'amount-hint amount-error' : 'amount-hint'}
                @input=${(e: Event) => m.setAmount((e.target as HTMLInputElement).value)} />
            </div>
            <button part="send-button" type="submit" ?disabled=${!m.canSend}>
              ${sending ? copy.composer.sending : copy.composer.send(m.amountProblem() ? '' : m.amount.trim())}
            </button>
          </div>
          <p id="amount-hint" class="muted small">${copy.composer.amountHint(card.price)}</p>
          ${amountProblem ? html`<p id="amount-error" part="error" class="error">${amountProblem}</p>` : nothing}`}
    ${followUp ? errorText(c, 'follow-up', 'mine') : errorText(c, action)} ${renderSteps(c)} ${renderReceipt(c)}
    ${open
      ? html`<button part="mode-button" class="link-button" type="button" ?disabled=${sending} @click=${() => m.setPreferPaid(followUp)}>
          ${followUp ? copy.conversation.preferPaid : copy.conversation.preferFollowUp}
        </button>`
      : nothing}
  </form>`;
}

function refundAction(c: ChatController, m: ChatMessage): Maybe {
  if (m.status !== 'refundable') return nothing;
  const refunding = c.activity.is('refund', String(m.id));
  return html`<button part="refund-button" id=${`refund-${m.id}`} type="button" aria-disabled=${c.activity.busy ? 'true' : 'false'} @click=${() => !c.activity.busy && c.messaging.refund(m)}>
      ${refunding ? (c.activity.busy!.step === 'sending' ? copy.status.refunding : copy.wallet.confirmInWallet) : copy.status.refundButton(m.amount)}
    </button>
    ${errorText(c, 'refund', String(m.id))}`;
}

function renderConversation(c: ChatController, card: Card): Maybe {
  const v = c.reads.mine;
  if (!v.loaded || v.entries.length === 0) return nothing;
  return html`<section part="conversation" class="conversation" aria-labelledby="conversation-title">
    <h3 id="conversation-title" class="title" tabindex="-1">${copy.conversation.title(card.handle)}</h3>
    ${renderConversationList(c, v, { asCreator: false, otherName: `@${card.handle}`, idPrefix: '', actions: (m) => refundAction(c, m) }, () => c.reads.loadConversation(true))}
    ${v.blocked ? nothing : renderThreadState(v, 'mine', false, card.handle)}
    ${v.thread?.open && !v.blocked ? renderCloseButton(c, card.handle, 'mine') : nothing}
  </section>`;
}

/** "Email me when they reply" (with `notifier-url`, once the visitor has a conversation here). */
function renderEmailForm(c: ChatController, card: Card): Maybe {
  if (!c.host.notifierUrl || !c.reads.mine.loaded || c.reads.mine.entries.length === 0) return nothing;
  const e = c.email;
  return html`<form class="settings-form" part="email-form" novalidate @submit=${(ev: Event) => {
    ev.preventDefault();
    if (!c.activity.busy) void e.subscribe('outbox');
  }}>
    <div class="field">
      <label for="visitor-email">${copy.email.visitorLabel(card.handle)}</label>
      <input id="visitor-email" part="email-input" type="email" autocomplete="email" .value=${e.email}
        @input=${(ev: Event) => e.setEmail((ev.target as HTMLInputElement).value)} />
    </div>
    <p class="muted small">${copy.email.visitorHint}</p>
    <button part="email-button" type="submit" aria-disabled=${c.activity.busy ? 'true' : 'false'}>${c.activity.is('email') ? copy.email.busy : copy.email.button}</button>
    ${e.subscribed ? html`<p class="success small">${copy.email.sent(e.subscribed)}</p>` : nothing}
    ${errorText(c, 'email')}
  </form>`;
}

export function renderVisitor(c: ChatController, card: Card): TemplateResult {
  return html`${renderBackupHint(c, card)}${errorText(c, 'load')}${renderConversation(c, card)}${renderComposer(c, card)}${renderEmailForm(c, card)}`;
}
