/**
 * The visitor's view: the composer (byte counter, amount, the wallet steps, the receipt), the
 * backup hint, the conversation with the page's creator — paid messages with their replies
 * and the follow-ups, oldest first, each text opened or labelled with why it cannot be read — and,
 * with `notifier-url`, "Email me when they reply".
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Card } from '../sdk/card.js';
import type { ChatMessage, ConversationEntry, FollowUp } from '../sdk/types.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { ones } from './format.js';
import { renderBackupHint } from './key-views.js';
import { overBy } from './messaging.js';
import { counter, errorText, overText, statusLine, textOrLabel, type Maybe } from './view-parts.js';

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
      ? html`<a part="link" href=${s.explorerUrl} target="_blank" rel="noopener noreferrer">${copy.composer.viewTx}</a>`
      : html`<span class="muted small">${copy.composer.tx}<code>${s.txHash.slice(0, 10)}…${s.txHash.slice(-6)}</code></span>`}
  </p>`;
}

function renderComposer(c: ChatController, card: Card): TemplateResult {
  if (!card.hasKey) return html`<p part="notice" class="notice">${copy.composer.noKey(card.handle)}</p>`;
  const m = c.messaging;
  const over = overBy(m.draft);
  const amountProblem = m.amount.trim() === '' ? undefined : m.amountProblem();
  const sending = m.sending;
  const describedBy = ['draft-counter', over ? 'draft-over' : '', c.activity.errorFor('send') ? 'send-error' : ''].filter(Boolean).join(' ');
  return html`<form part="composer" class="composer" novalidate aria-labelledby="composer-title" @submit=${(e: Event) => {
    e.preventDefault();
    void m.send();
  }}>
    <h3 id="composer-title" class="title">${copy.composer.title(card.handle)}</h3>
    <label for="draft">${copy.composer.label}</label>
    <textarea id="draft" part="input" rows="3" .value=${m.draft} ?readonly=${sending} aria-invalid=${over ? 'true' : 'false'} aria-describedby=${describedBy}
      @input=${(e: Event) => m.setDraft((e.target as HTMLTextAreaElement).value)}></textarea>
    <div class="row spread">${counter(m.draft, 'draft-counter')}</div>
    ${overText(m.draft, 'draft-over')}
    <div class="row amount-row">
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
    ${amountProblem ? html`<p id="amount-error" part="error" class="error">${amountProblem}</p>` : nothing}
    ${errorText(c, 'send')} ${renderSteps(c)} ${renderReceipt(c)}
  </form>`;
}

function renderMine(c: ChatController, m: ChatMessage, card: Card): TemplateResult {
  const refunding = c.activity.is('refund', String(m.id));
  return html`<li part="message" class=${`message ${m.status}`} id=${`message-${m.id}`} tabindex="-1">
    ${textOrLabel(m.text, m.readState, m.error, false)}
    <p part="message-meta" class="meta">${ones(m.amount)} · ${statusLine(c, m, true)}</p>
    ${m.status === 'replied'
      ? html`<div part="reply" class="reply">
          <span class="muted small">${copy.conversation.theyReplied(card.handle)}</span>
          ${textOrLabel(m.reply, m.replyReadState, m.replyError, false, 'reply-text')}
        </div>`
      : nothing}
    ${m.status === 'refundable'
      ? html`<button part="refund-button" id=${`refund-${m.id}`} type="button" aria-disabled=${c.activity.busy ? 'true' : 'false'} @click=${() => !c.activity.busy && c.messaging.refund(m)}>
            ${refunding ? (c.activity.busy!.step === 'sending' ? copy.status.refunding : copy.wallet.confirmInWallet) : copy.status.refundButton(m.amount)}
          </button>
          ${errorText(c, 'refund', String(m.id))}`
      : nothing}
  </li>`;
}

/** A follow-up in a conversation, from either side. */
export function renderFollowUp(f: FollowUp, asCreator: boolean, otherName: string): TemplateResult {
  const mine = asCreator ? f.by === 'creator' : f.by === 'visitor';
  return html`<li part="message follow-up" class=${`message follow-up ${f.by}`} id=${`follow-up-${f.thread}-${f.index}`}>
    <span class="muted small">${copy.conversation.followUpBy(mine ? copy.conversation.you : otherName)}</span>
    ${textOrLabel(f.text, f.readState, f.error, asCreator)}
  </li>`;
}

/** The follow-up form of an open conversation (`key`: 'mine' for the visitor, the visitor's address for the creator). */
export function renderFollowUpForm(c: ChatController, withWho: string, key: string, price: bigint): TemplateResult {
  const draft = c.messaging.followDraft(key);
  const busy = c.activity.is('follow-up', key);
  const id = `follow-${key}`;
  const over = overBy(draft);
  return html`<form part="follow-up-form" class="reply-box" novalidate @submit=${(e: Event) => {
    e.preventDefault();
    if (!c.activity.busy) void c.messaging.followUp(withWho, key);
  }}>
    <label for=${id}>${copy.conversation.followUpLabel}</label>
    <textarea id=${id} part="follow-up-input" rows="2" .value=${draft} ?readonly=${busy} aria-invalid=${over ? 'true' : 'false'}
      aria-describedby=${`${id}-counter ${id}-price`} @input=${(e: Event) => c.messaging.setFollowDraft(key, (e.target as HTMLTextAreaElement).value)}></textarea>
    <p id=${`${id}-price`} class="muted small">${c.role === 'creator' ? copy.conversation.followUpCreator : copy.conversation.followUpPrice(price)}</p>
    <div class="row spread">
      ${counter(draft, `${id}-counter`)}
      <button part="follow-up-button" type="submit" ?disabled=${!draft.trim() || over > 0 || (!!c.activity.busy && !busy)}>
        ${busy ? copy.composer.sending : copy.conversation.followUpButton(price)}
      </button>
    </div>
    ${overText(draft, `${id}-over`)} ${errorText(c, 'follow-up', key)}
    <button part="close-button" class="link-button" type="button" ?disabled=${!!c.activity.busy} @click=${() => c.messaging.closeThread(withWho, key)}>${copy.conversation.close}</button>
    ${errorText(c, 'close-thread', key)}
  </form>`;
}

function entry(c: ChatController, e: ConversationEntry, card: Card): TemplateResult {
  return e.type === 'message' ? renderMine(c, e.message, card) : renderFollowUp(e.followUp, false, `@${card.handle}`);
}

function renderConversation(c: ChatController, card: Card): Maybe {
  const v = c.reads.mine;
  if (!v.loaded || v.entries.length === 0) return nothing;
  return html`<section part="conversation" class="conversation" aria-labelledby="conversation-title">
    <h3 id="conversation-title" class="title" tabindex="-1">${copy.conversation.title(card.handle)}</h3>
    ${v.cursor ? html`<button part="more-button" class="secondary" type="button" @click=${() => c.reads.loadConversation(true)}>${copy.conversation.more}</button>` : nothing}
    <ul part="message-list" class="messages">
      ${v.entries.map((e) => entry(c, e, card))}
    </ul>
    ${v.thread?.blocked ? html`<p class="muted small">${copy.conversation.blocked}</p>` : nothing}
    ${v.thread?.open && !v.thread.blocked ? renderFollowUpForm(c, card.handle, 'mine', card.followUpPrice) : nothing}
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
  return html`${renderBackupHint(c, card)}${renderComposer(c, card)}${errorText(c, 'load')}${renderConversation(c, card)}${renderEmailForm(c, card)}`;
}
