/**
 * A conversation (thread) between a visitor and the creator, the same for both sides: paid
 * messages with their state (in escrow with the time left, answered, refundable, refunded) and
 * replies, and follow-ups, in the order they were written on chain — rendered with the reusable
 * message list (`message-list.ts`). Also the line that says whether follow-ups are open, and the
 * creator's follow-up form with "Close conversation".
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { ChatMessage, ConversationEntry, FollowUp } from '../sdk/types.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { ones } from './format.js';
import { renderMessageList, type ListEntry } from './message-list.js';
import { overBy } from './messaging.js';
import type { ConversationView } from './reads.js';
import { counter, errorText, overText, paidMeta, paidState, senderFields, textOrLabel, type Maybe } from './view-parts.js';

export interface ThreadPerspective {
  asCreator: boolean;
  /** How the other party is named ("@satoshi", a short address). */
  otherName: string;
  /** Prefix of entry ids (the visitor's list uses `message-<id>`; a creator's thread `t-message-<id>`). */
  idPrefix: string;
  /** Extra actions of a paid message (refund for the visitor, the reply form for the creator). */
  actions?: (m: ChatMessage) => Maybe;
}

export function paidEntry(c: ChatController, m: ChatMessage, p: ThreadPerspective): ListEntry {
  const mine = !p.asCreator;
  return {
    key: `m:${m.id}`,
    id: `${p.idPrefix}message-${m.id}`,
    kind: 'paid',
    side: mine ? 'mine' : 'theirs',
    ...(mine ? { author: copy.conversation.you } : senderFields(m)),
    badges: p.asCreator && m.hidden ? html`<span class="badge hidden-badge">${copy.moderation.hiddenBadge}</span>` : nothing,
    body: textOrLabel(m.text, m.readState, m.error, p.asCreator),
    meta: paidMeta(c, m, mine),
    state: paidState(m),
    urgent: c.reads.isUrgent(m),
    hidden: m.hidden,
    ...(m.status === 'replied'
      ? {
          reply: {
            author: p.asCreator ? copy.conversation.youReplied : copy.conversation.theyReplied(p.otherName.replace(/^@/, '')),
            body: textOrLabel(m.reply, m.replyReadState, m.replyError, p.asCreator, 'reply-text'),
          },
        }
      : {}),
    actions: p.actions?.(m) ?? nothing,
  };
}

export function followUpEntry(f: FollowUp, p: ThreadPerspective): ListEntry {
  const mine = p.asCreator ? f.by === 'creator' : f.by === 'visitor';
  const paid = f.payout + f.fee;
  return {
    key: `f:${f.thread}:${f.index}`,
    id: `${p.idPrefix}follow-up-${f.thread}-${f.index}`,
    kind: 'follow-up',
    side: mine ? 'mine' : 'theirs',
    author: mine ? copy.conversation.you : p.otherName,
    body: textOrLabel(f.text, f.readState, f.error, p.asCreator),
    meta: paid > 0n ? html`${copy.conversation.followUpPaid(ones(paid))}` : nothing,
  };
}

export function conversationEntries(c: ChatController, entries: readonly ConversationEntry[], p: ThreadPerspective): ListEntry[] {
  return entries.map((e) => (e.type === 'message' ? paidEntry(c, e.message, p) : followUpEntry(e.followUp, p)));
}

/** Whether follow-ups are open, closed, not yet possible, or refused (blocked). `key`: 'mine' or the visitor's address. */
export function renderThreadState(v: ConversationView, key: string, asCreator: boolean, handle: string): TemplateResult {
  let text: string;
  let tone = '';
  if (v.blocked || v.thread?.blocked) {
    text = asCreator ? copy.conversation.blockedCreator : copy.conversation.blockedNotice(handle);
    tone = ' warning';
  } else if (v.thread?.open) text = copy.conversation.stateOpen;
  else if (v.entries.some((e) => e.type === 'message' && e.message.status === 'replied')) text = asCreator ? copy.conversation.stateClosedCreator : copy.conversation.stateClosed(handle);
  else text = asCreator ? copy.conversation.stateWaitingCreator : copy.conversation.stateWaiting(handle);
  return html`<p part="thread-state" class=${`thread-state small muted${tone}`} id=${`thread-state-${key}`} tabindex="-1" data-open=${v.thread?.open ? 'true' : 'false'}>${text}</p>`;
}

export function renderCloseButton(c: ChatController, withWho: string, key: string): TemplateResult {
  const busy = c.activity.is('close-thread', key);
  return html`<button part="close-button" class="link-button" type="button" aria-disabled=${c.activity.busy ? 'true' : 'false'}
      @click=${() => !c.activity.busy && c.messaging.closeThread(withWho, key)}>${busy ? copy.progress.sending('close-thread') : copy.conversation.close}</button>
    ${errorText(c, 'close-thread', key)}`;
}

/** The creator's follow-up form in an open conversation (`key`: the visitor's lowercase address). */
export function renderFollowUpForm(c: ChatController, withWho: string, key: string): TemplateResult {
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
    <p id=${`${id}-price`} class="muted small">${copy.conversation.followUpCreator}</p>
    <div class="row spread">
      ${counter(draft, `${id}-counter`)}
      <button part="follow-up-button" type="submit" ?disabled=${!draft.trim() || over > 0 || (!!c.activity.busy && !busy)}>
        ${busy ? copy.composer.sending : copy.conversation.sendFollowUp(0n)}
      </button>
    </div>
    ${overText(draft, `${id}-over`)} ${errorText(c, 'follow-up', key)}
  </form>`;
}

/** A whole conversation as a list (with a "load older" button above it). */
export function renderConversationList(c: ChatController, v: ConversationView, p: ThreadPerspective, onOlder: () => void): TemplateResult {
  return html`${v.cursor
    ? html`<button part="more-button" class="secondary" type="button" @click=${onOlder}>${copy.conversation.more}</button>`
    : nothing}
    ${renderMessageList(conversationEntries(c, v.entries, p), { label: copy.conversation.listLabel(p.otherName), variant: 'conversation-list' })}`;
}
