/**
 * The creator's inbox: totals, the view tools (sort by newest, amount paid or time left;
 * unanswered only; hidden messages on request), and each paid message with its state, the reply
 * form while it can be answered, and its spam controls (hide, block the sender). "Conversation"
 * opens the whole thread with that visitor under the message, with the follow-up form and
 * "Close conversation". Everything is a native control with a visible label, in reading order.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Card } from '../sdk/card.js';
import type { ChatMessage } from '../sdk/types.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { ones } from './format.js';
import { renderMessageList } from './message-list.js';
import { overBy } from './messaging.js';
import type { InboxSort } from './reads.js';
import { paidEntry, renderCloseButton, renderConversationList, renderFollowUpForm, renderThreadState } from './thread-views.js';
import { counter, errorText, overText, who, type Maybe } from './view-parts.js';

const lower = (a: string) => a.toLowerCase();

/** The reply form of a waiting message (rendered once: in its conversation when that is open, else in the inbox). */
export function renderReplyBox(c: ChatController, m: ChatMessage): TemplateResult {
  const draft = c.messaging.replyDraft(m.id);
  const over = overBy(draft);
  const busy = c.activity.is('reply', String(m.id));
  const id = `reply-${m.id}`;
  return html`<form part="reply-box" class="reply-box" novalidate @submit=${(e: Event) => {
    e.preventDefault();
    if (!c.activity.busy) void c.messaging.reply(m);
  }}>
    <label for=${id}>${copy.inbox.replyTo(who(m))}</label>
    <textarea id=${id} part="reply-input" rows="2" .value=${draft} ?readonly=${busy} aria-invalid=${over ? 'true' : 'false'}
      aria-describedby=${[`${id}-counter`, over ? `${id}-over` : ''].filter(Boolean).join(' ')}
      @input=${(e: Event) => c.messaging.setReplyDraft(m.id, (e.target as HTMLTextAreaElement).value)}></textarea>
    <div class="row spread">
      ${counter(draft, `${id}-counter`)}
      <button part="reply-button" type="submit" ?disabled=${!draft.trim() || over > 0 || (!!c.activity.busy && !busy)}>
        ${busy ? (c.activity.busy!.step === 'sending' ? copy.inbox.replying : copy.wallet.confirmInWallet) : copy.inbox.replyButton(m.payout ?? c.reads.payoutOf(m.amount))}
      </button>
    </div>
    ${overText(draft, `${id}-over`)} ${errorText(c, 'reply', String(m.id))}
  </form>`;
}

/** The conversation with the sender of `m`, opened under it. */
function renderThread(c: ChatController, m: ChatMessage): Maybe {
  const key = lower(m.sender);
  if (c.reads.expanded.get(key) !== m.id) return nothing;
  const v = c.reads.threads.get(key);
  const name = who(m);
  if (!v?.loaded) return html`<div part="thread" class="thread" id=${`thread-${m.id}`}><p class="muted small" aria-busy="true">${copy.progress.loading}</p>${errorText(c, 'load', key)}</div>`;
  return html`<div part="thread" class="thread" id=${`thread-${m.id}`} role="region" aria-label=${copy.conversation.creatorTitle(name)}>
    ${renderConversationList(
      c,
      v,
      { asCreator: true, otherName: name, idPrefix: `t${m.id}-`, actions: (x) => (x.status === 'waiting' ? renderReplyBox(c, x) : nothing) },
      () => c.reads.loadOlderThread(m.sender),
    )}
    ${renderThreadState(v, key, true, '')}
    ${v.thread?.open ? html`${renderFollowUpForm(c, m.sender, key)}${renderCloseButton(c, m.sender, key)}` : nothing}
    ${errorText(c, 'load', key)}
  </div>`;
}

function moderationButtons(c: ChatController, m: ChatMessage): TemplateResult {
  const name = who(m);
  const blocked = c.reads.isBlocked(m.sender);
  const busy = !!c.activity.busy;
  const hiding = c.activity.is('hide', String(m.id));
  const blocking = c.activity.is('block', lower(m.sender));
  // The visible words start the accessible name; the sender follows for screen readers.
  return html`<button part="hide-button" id=${`hide-${m.id}`} class="link-button" type="button" aria-disabled=${busy ? 'true' : 'false'}
      @click=${() => !c.activity.busy && c.moderation.setHidden(m, !m.hidden)}>${hiding ? copy.progress.sending('hide') : m.hidden ? copy.moderation.unhide : copy.moderation.hide}<span class="sr-only">${copy.moderation.fromWho(name)}</span></button>
    <button part="block-button" id=${`block-${m.id}`} class="link-button" type="button" aria-disabled=${busy ? 'true' : 'false'}
      @click=${() => !c.activity.busy && c.moderation.setBlocked(m, !blocked)}>${blocking ? copy.progress.sending('block') : blocked ? copy.moderation.unblock : copy.moderation.block}<span class="sr-only">${copy.moderation.whoIs(name)}</span></button>`;
}

function inboxActions(c: ChatController, m: ChatMessage): TemplateResult {
  const key = lower(m.sender);
  const open = c.reads.expanded.get(key) === m.id;
  const threadOpen = c.reads.expanded.has(key);
  return html`${m.status === 'waiting' && !threadOpen ? renderReplyBox(c, m) : nothing}
    ${m.status === 'waiting' && threadOpen && !open
      ? html`<p class="small muted">${copy.moderation.replyInConversation}</p>`
      : nothing}
    <div class="row actions-row">
      <button part="thread-button" class="link-button" type="button" aria-expanded=${open ? 'true' : 'false'} aria-controls=${`thread-${m.id}`}
        @click=${() => c.reads.toggleThread(m)}>${open ? copy.conversation.hide : copy.conversation.open(0)}</button>
      ${moderationButtons(c, m)}
    </div>
    ${errorText(c, 'hide', String(m.id))} ${errorText(c, 'block', key)}`;
}

function renderTools(c: ChatController): TemplateResult {
  const r = c.reads;
  const hidden = r.hiddenCount;
  const select = (v: InboxSort, label: string) => html`<option value=${v} ?selected=${r.sort === v}>${label}</option>`;
  return html`<div part="inbox-tools" class="inbox-tools" role="group" aria-label=${copy.moderation.tools}>
    <div class="field sort-field">
      <label for="inbox-sort">${copy.moderation.sort}</label>
      <select id="inbox-sort" part="sort-select" .value=${r.sort} @change=${(e: Event) => c.moderation.setSort((e.target as HTMLSelectElement).value as InboxSort)}>
        ${select('newest', copy.moderation.sortNewest)} ${select('amount', copy.moderation.sortAmount)} ${select('time-left', copy.moderation.sortTimeLeft)}
      </select>
    </div>
    <button part="filter-button" class="secondary toggle" type="button" aria-pressed=${r.unansweredOnly ? 'true' : 'false'} @click=${() => c.moderation.toggleUnanswered()}>
      ${copy.moderation.unanswered}
    </button>
    ${hidden || r.showHidden
      ? html`<button part="hidden-button" class="secondary toggle" type="button" aria-pressed=${r.showHidden ? 'true' : 'false'} @click=${() => c.moderation.toggleHidden()}>
          ${copy.moderation.showHidden(hidden)}
        </button>`
      : nothing}
  </div>`;
}

export function renderInbox(c: ChatController, card: Card): TemplateResult {
  const r = c.reads;
  const { earned, held, waiting } = r.totals;
  const shown = r.shownInbox;
  const filtered = shown.length !== r.inbox.length;
  return html`<section part="inbox" class="inbox" aria-labelledby="inbox-title">
    <h3 id="inbox-title" class="title" tabindex="-1">${copy.inbox.title(card.handle)}</h3>
    <p part="totals" class="totals">
      <span>${copy.inbox.earned}<strong>${ones(earned)}</strong></span>
      <span>${copy.inbox.held}<strong>${ones(held)}</strong>${copy.inbox.inWaiting(waiting)}</span>
    </p>
    ${errorText(c, 'load')}
    ${r.inboxLoaded && r.inbox.length === 0 ? html`<p class="muted">${copy.inbox.empty}</p>` : nothing}
    ${r.inbox.length ? renderTools(c) : nothing}
    ${filtered ? html`<p part="inbox-count" class="small muted">${copy.moderation.shownOf(shown.length, r.inbox.length, r.inboxCursor !== undefined)}</p>` : nothing}
    ${renderMessageList(
      shown.map((m) => {
        const e = paidEntry(c, m, { asCreator: true, otherName: who(m), idPrefix: '', actions: (x) => inboxActions(c, x) });
        const badges = html`${m.verified
          ? html`<span part="verified" class="verified" title=${copy.inbox.verifiedTitle}><span aria-hidden="true">✓</span> ${copy.inbox.verified}</span>`
          : nothing}${r.isBlocked(m.sender) ? html`<span part="blocked-badge" class="badge blocked-badge">${copy.moderation.blockedBadge}</span>` : nothing}${e.badges}`;
        return { ...e, badges, after: renderThread(c, m) };
      }),
      { label: copy.inbox.listLabel, empty: r.inbox.length ? copy.moderation.noneShown : undefined, variant: 'inbox-list' },
    )}
    ${r.inboxCursor !== undefined ? html`<button part="more-button" class="secondary" type="button" @click=${() => r.loadInbox(true)}>${copy.inbox.more}</button>` : nothing}
  </section>`;
}
