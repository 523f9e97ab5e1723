/**
 * Small template pieces shared by the connected views: inline errors, the byte counter, a text or
 * the honest label of why it cannot be read, a message's status line, the sender.
 *
 * Every piece of message text goes through a Lit text binding (`${text}`), never through
 * `unsafeHTML` or `innerHTML`: whatever a message holds is shown as text.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { shortAddress, toOneAddress } from '../sdk/address.js';
import type { PaidChatError } from '../sdk/errors.js';
import { MAX_MESSAGE_BYTES } from '../sdk/text.js';
import type { ChatMessage, ReadState } from '../sdk/types.js';
import type { Action } from './activity.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { ones } from './format.js';
import type { PaidState } from './message-list.js';
import { draftBytes, overBy } from './messaging.js';

export type Maybe = TemplateResult | typeof nothing;

/** The error of `action` (for `id`), with the id `${action}-error[-id]` that fields point to. */
export function errorText(c: ChatController, action: Action, id?: string): Maybe {
  const e = c.activity.errorFor(action, id);
  return e ? html`<p part="error" class="error" id=${`${action}-error${id === undefined ? '' : `-${id}`}`}>${e.message}</p>` : nothing;
}

export function counter(text: string, id: string): TemplateResult {
  const over = overBy(text);
  return html`<span id=${id} part="counter" class=${over ? 'counter over' : 'counter'}>${copy.composer.bytes(draftBytes(text), MAX_MESSAGE_BYTES)}</span>`;
}

export function overText(text: string, id: string): Maybe {
  const over = overBy(text);
  if (!over) return nothing;
  return html`<p id=${id} part="error" class="error">${copy.composer.over(draftBytes(text), over, MAX_MESSAGE_BYTES)}</p>`;
}

/** Why a text is not shown, in words: one label per read state, then the SDK's own explanation. */
export function readLabel(state: ReadState, error: PaidChatError | undefined, asCreator: boolean): string {
  switch (state) {
    case 'key-not-held':
      return asCreator ? copy.readState.keyNotHeldInbox(error?.details?.keyId as number | undefined) : copy.readState.keyNotHeldConversation;
    case 'newer-version':
      return copy.readState.newerVersion;
    case 'not-party':
      return copy.readState.notParty;
    default:
      return copy.readState.unreadable(error?.message ?? copy.readState.damaged);
  }
}

/** A decrypted text, or its honest label (never an empty line, never a stop for the rest). */
export function textOrLabel(text: string | undefined, state: ReadState | undefined, error: PaidChatError | undefined, asCreator: boolean, partName = 'message-text'): TemplateResult {
  if (state === 'ok' && text !== undefined) return html`<p part=${partName} class="text">${text}</p>`;
  const s = state ?? 'unreadable';
  return html`<p part=${`${partName} read-state`} class="text locked" data-read-state=${s}>${readLabel(s, error, asCreator)}</p>`;
}

/** Where a paid message's coins are. */
export function paidState(m: ChatMessage): PaidState {
  switch (m.status) {
    case 'waiting':
      return 'escrow';
    case 'replied':
      return 'answered';
    case 'refundable':
      return 'refundable';
    default:
      return 'refunded';
  }
}

/** Status and time left of a paid message (after its amount in the meta line). */
export function statusLine(c: ChatController, m: ChatMessage, mine: boolean): TemplateResult {
  const left = c.reads.secondsLeft(m);
  const urgent = c.reads.isUrgent(m);
  switch (m.status) {
    case 'waiting':
      return html`<span class="badge escrow">${mine ? copy.status.escrowMine : copy.status.escrow}</span>
        <span class=${urgent ? 'urgent-text' : ''}>${copy.status.timeLeft(left)}${urgent ? html`<strong>${copy.status.replySoon}</strong>` : nothing}</span>`;
    case 'replied':
      return html`<span class="badge answered">${copy.status.answered}</span>`;
    case 'refundable':
      return html`<span class="badge refundable">${mine ? copy.status.refundableMine : copy.status.refundable}</span>`;
    default:
      return html`<span class="badge refunded">${copy.status.refunded}</span>`;
  }
}

/** "10 ONE · In escrow 6 d 23 h left". */
export function paidMeta(c: ChatController, m: ChatMessage, mine: boolean): TemplateResult {
  return html`${ones(m.amount)} · ${statusLine(c, m, mine)}`;
}

/** The author fields of a list entry for a sender: handle or short address, both address forms on hover and for screen readers. */
export function senderFields(m: ChatMessage): { author: string; authorTitle: string; authorDescription: string } {
  const hex = m.sender;
  const one = toOneAddress(hex);
  return { author: who(m), authorTitle: `${hex} · ${one}`, authorDescription: copy.inbox.address(hex, one) };
}

export function who(m: ChatMessage): string {
  return m.senderHandle ? `@${m.senderHandle}` : shortAddress(m.sender);
}
