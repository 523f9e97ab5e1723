/**
 * The message list: one reusable, presentational template for any run of messages — the
 * conversation between a visitor and a creator (for both of them), the creator's inbox, and later
 * public channels. It knows nothing of the chain, the wallet or the controller: it takes plain
 * entries (who wrote it, the text or its honest label, the facts line, an optional reply and the
 * actions the caller offers) and renders them in order, keyed, so that a live update inserts a
 * message without re-creating the others (focus and half-typed replies stay where they are).
 *
 * Parts: `message-list` (the list), `message` (each entry, plus `paid` or `follow-up`), `sender`
 * (who wrote it), `message-text` / `read-state` (from the body), `message-meta` (amount, state, time
 * left), `reply` (the answer under a paid message), `message-actions`. State is also in attributes
 * for styling and tests: `data-state` (`escrow`, `answered`, `refundable`, `refunded`), `data-side`
 * (`mine`, `theirs`), `data-hidden`.
 *
 * Every text arrives as a Lit template built with text bindings (`view-parts.ts` › `textOrLabel`),
 * never as HTML.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';

type Maybe = TemplateResult | typeof nothing;

/** Where a paid message's coins are: held by the contract, paid to the creator, or returned. */
export type PaidState = 'escrow' | 'answered' | 'refundable' | 'refunded';

export interface ListEntry {
  /** Stable key across updates (`m:<id>`, `f:<thread>:<index>`). */
  key: string;
  /** DOM id of the entry (focus moves here after an action). */
  id: string;
  kind: 'paid' | 'follow-up';
  /** `mine` lines up at the end side (like a chat bubble of one's own), `theirs` at the start. */
  side: 'mine' | 'theirs';
  /** Who wrote it ("You", "@satoshi", a short address). */
  author: string;
  /** Shown on hover (both address forms). */
  authorTitle?: string;
  /** Read to screen readers after the name (the full address in both forms). */
  authorDescription?: string;
  /** Extra marks after the author (verified, blocked, hidden). */
  badges?: Maybe;
  /** The text, or the label of why it cannot be read here. */
  body: TemplateResult;
  /** Amount, state and time left. */
  meta?: Maybe;
  state?: PaidState;
  urgent?: boolean;
  hidden?: boolean;
  /** The answer to a paid message, shown under it. */
  reply?: { author: string; body: TemplateResult };
  /** Buttons and forms for this entry (reply, refund, hide, block, conversation…). */
  actions?: Maybe;
  /** Anything shown under the entry (e.g. the conversation it opens). */
  after?: Maybe;
}

export interface MessageListOptions {
  /** Accessible name of the list (the list is a `<ul>`; screen readers announce its size). */
  label: string;
  /** Shown instead of an empty list. */
  empty?: string;
  /** Extra class of the list (`conversation-list`, `inbox-list`). */
  variant?: string;
}

function renderEntry(e: ListEntry): TemplateResult {
  const cls = ['message', e.kind, e.side, e.state ?? '', e.urgent ? 'urgent' : '', e.hidden ? 'is-hidden' : ''].filter(Boolean).join(' ');
  return html`<li
    part=${e.kind === 'paid' ? 'message paid' : 'message follow-up'}
    class=${cls}
    id=${e.id}
    tabindex="-1"
    data-side=${e.side}
    data-state=${e.state ?? nothing}
    data-hidden=${e.hidden ? 'true' : nothing}
  >
    <p class="from">
      <span part="sender" class="sender" title=${e.authorTitle ?? nothing}>${e.author}</span>${e.authorDescription ? html`<span class="sr-only">${e.authorDescription}</span>` : nothing}
      ${e.badges ?? nothing}
    </p>
    ${e.body}
    ${e.meta ? html`<p part="message-meta" class="meta">${e.meta}</p>` : nothing}
    ${e.reply
      ? html`<div part="reply" class="reply">
          <span class="muted small">${e.reply.author}</span>
          ${e.reply.body}
        </div>`
      : nothing}
    ${e.actions ? html`<div part="message-actions" class="message-actions">${e.actions}</div>` : nothing}
    ${e.after ?? nothing}
  </li>`;
}

/** The list itself. Entries are rendered in the order given (oldest first for a conversation). */
export function renderMessageList(entries: readonly ListEntry[], opts: MessageListOptions): Maybe {
  if (entries.length === 0) return opts.empty ? html`<p class="muted empty">${opts.empty}</p>` : nothing;
  return html`<ul part="message-list" class=${`messages ${opts.variant ?? ''}`} aria-label=${opts.label}>
    ${repeat(entries, (e) => e.key, renderEntry)}
  </ul>`;
}
