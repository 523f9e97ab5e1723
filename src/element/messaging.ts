/**
 * Writing: the visitor's paid message (the draft and the amount survive any failure), the
 * creator's reply (which releases the coins), a refund after the window, follow-ups in an answered
 * conversation, and closing a conversation. Each runs through the one activity model and reports a
 * typed, composed event when it is on chain.
 */
import { parseOne, type ChatMessage } from '../sdk/client.js';
import { MAX_MESSAGE_BYTES, utf8Length } from '../sdk/text.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { HarmonyFollowUpSentEvent, HarmonyMessageSentEvent, HarmonyRefundEvent, HarmonyReplySentEvent } from './events.js';
import { ones, weiFromOne } from './format.js';

export function draftBytes(text: string): number {
  return utf8Length(text);
}

/** Bytes over the limit (0 when it fits). */
export function overBy(text: string): number {
  return Math.max(0, utf8Length(text) - MAX_MESSAGE_BYTES);
}

export class Messaging {
  draft = '';
  amount = '';
  /** The price the amount field was last filled with, to refill it when the price changes. */
  amountFor?: bigint;
  /** The last delivered message, shown as a receipt until the draft changes. */
  lastSent?: { id: bigint; txHash: `0x${string}`; explorerUrl?: string; amount: bigint; to: string };
  delivered = false;
  readonly replyDrafts = new Map<string, string>();
  /** Follow-up drafts, by conversation (the visitor's address for a creator, 'mine' for a visitor). */
  readonly followDrafts = new Map<string, string>();
  readonly #c: ChatController;

  constructor(c: ChatController) {
    this.#c = c;
  }

  get #host() {
    return this.#c.host;
  }

  /** Fills the amount with the creator's price (again when the price changes and the visitor kept it). */
  syncAmount(price: bigint | undefined): void {
    if (price !== undefined && price !== this.amountFor && (this.amount === '' || weiFromOne(this.amount) === this.amountFor)) {
      this.amount = ones(price).replace(/ ONE$/, '');
      this.amountFor = price;
    }
  }

  /** Problem with the amount field, or undefined when it is fine. */
  amountProblem(): string | undefined {
    const card = this.#host.card;
    const wei = weiFromOne(this.amount);
    if (wei === undefined) return copy.composer.amountInvalid(this.amount.trim());
    if (card && wei < card.price) return copy.composer.amountTooLow(card.handle, card.price, wei);
    return undefined;
  }

  get sending(): boolean {
    return this.#c.activity.is('send');
  }

  get canSend(): boolean {
    return this.#c.session.phase === 'ready' && !this.#c.activity.busy && this.draft.trim().length > 0 && overBy(this.draft) === 0 && this.amountProblem() === undefined;
  }

  setDraft(text: string): void {
    this.draft = text;
    this.delivered = false;
    this.#host.requestUpdate();
  }

  setAmount(text: string): void {
    this.amount = text;
    this.#host.requestUpdate();
  }

  /** Sends the draft with the amount; on any failure the draft stays and the error says what to do. */
  async send(): Promise<void> {
    const card = this.#host.card;
    if (!card || !this.canSend) return;
    const text = this.draft;
    const amountText = this.amount.trim();
    const keysBefore = this.#c.keys.status?.conversation?.held ?? 0;
    this.lastSent = undefined;
    this.delivered = false;
    const amount = weiFromOne(amountText)!;
    const focusSteps = this.#host.focusSelector('[part~="steps"]');
    const res = await this.#c.activity.run('send', undefined, () => this.#c.chat.send({ to: card.handle, text, amount: parseOne(amountText) }), copy.composer.confirmPayment(amount));
    await focusSteps;
    if (!res) {
      await this.#host.focusSelector('#draft', true);
      return;
    }
    this.lastSent = { id: res.id, txHash: res.txHash, explorerUrl: res.explorerUrl, amount, to: card.handle };
    this.delivered = true;
    if (this.draft === text) this.draft = '';
    this.#host.announce(copy.composer.delivered(card.handle, amount), 'success');
    this.#host.dispatchEvent(new HarmonyMessageSentEvent({ id: res.id, thread: res.thread, to: card.handle, amount, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    this.#host.requestUpdate();
    await this.#host.focusSelector('[part~="receipt"]', true);
    await this.#c.reads.loadConversation();
    const status = await this.#c.keys.refresh();
    if ((status?.conversation?.held ?? 0) > keysBefore) this.#c.keys.created();
  }

  replyDraft(id: bigint): string {
    return this.replyDrafts.get(String(id)) ?? '';
  }

  setReplyDraft(id: bigint, text: string): void {
    this.replyDrafts.set(String(id), text);
    if (this.#c.activity.errorFor('reply', String(id))?.code === 'MESSAGE_TOO_LONG') this.#c.activity.clearError('reply', String(id));
    this.#host.requestUpdate();
  }

  /** Replies to a paid message: the coins (minus the fee fixed at send) go to the creator. */
  async reply(m: ChatMessage): Promise<void> {
    const text = this.replyDraft(m.id);
    if (!text.trim() || overBy(text) > 0) return;
    const id = String(m.id);
    const res = await this.#c.activity.run('reply', id, () => this.#c.chat.reply({ id: m.id, text }), copy.progress.prompt('reply'));
    if (!res) {
      await this.#host.focusSelector(`#reply-${m.id}`, true);
      return;
    }
    this.replyDrafts.delete(id);
    const payout = m.payout ?? this.#c.reads.payoutOf(m.amount);
    this.#host.announce(copy.inbox.replied(payout), 'success');
    this.#host.dispatchEvent(new HarmonyReplySentEvent({ id: m.id, amount: m.amount, payout, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    await this.#c.reads.loadInbox();
    await this.#host.focusSelector(`#message-${m.id}`, true);
  }

  /** Takes back the amount of a message that was not answered in time. */
  async refund(m: ChatMessage): Promise<void> {
    const res = await this.#c.activity.run('refund', String(m.id), () => this.#c.chat.refund(m.id), copy.progress.prompt('refund'));
    if (!res) {
      await this.#host.focusSelector(`#refund-${m.id}`, true);
      return;
    }
    this.#host.announce(copy.status.refunded_(m.amount), 'success');
    this.#host.dispatchEvent(new HarmonyRefundEvent({ id: m.id, amount: m.amount, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    await this.#c.reads.loadConversation();
    await this.#host.focusSelector(`#message-${m.id}`, true);
  }

  followDraft(key: string): string {
    return this.followDrafts.get(key) ?? '';
  }

  setFollowDraft(key: string, text: string): void {
    this.followDrafts.set(key, text);
    this.#host.requestUpdate();
  }

  /**
   * Writes a follow-up in the answered conversation with `withWho` (the page's handle for a
   * visitor, a visitor's address for the creator); `key` names the draft.
   */
  async followUp(withWho: string, key: string): Promise<void> {
    const text = this.followDraft(key);
    if (!text.trim() || overBy(text) > 0) return;
    const price = this.#c.role === 'visitor' ? (this.#host.card?.followUpPrice ?? 0n) : 0n;
    const res = await this.#c.activity.run('follow-up', key, () => this.#c.chat.postFollowUp({ with: withWho, text }), copy.progress.prompt('follow-up'));
    if (!res) {
      await this.#host.focusSelector(`#follow-${key}`, true);
      return;
    }
    this.followDrafts.delete(key);
    this.#host.announce(copy.conversation.followUpSent, 'success');
    this.#host.dispatchEvent(
      new HarmonyFollowUpSentEvent({
        thread: res.thread,
        index: res.index,
        by: this.#c.role === 'creator' ? 'creator' : 'visitor',
        amount: price,
        txHash: res.txHash,
        explorerUrl: res.explorerUrl,
      }),
    );
    await this.#c.reads.reloadConversationWith(withWho, key);
    await this.#host.focusSelector(`#follow-${key}`, true);
  }

  /** Closes the conversation with `withWho` for follow-ups (either party may). */
  async closeThread(withWho: string, key: string): Promise<void> {
    const res = await this.#c.activity.run('close-thread', key, () => this.#c.chat.closeThread({ with: withWho }), copy.progress.prompt('close-thread'));
    if (!res) return;
    this.#host.announce(copy.conversation.closedNow, 'success');
    await this.#c.reads.reloadConversationWith(withWho, key);
  }

  reset(): void {
    this.lastSent = undefined;
    this.delivered = false;
    this.replyDrafts.clear();
    this.followDrafts.clear();
  }
}
