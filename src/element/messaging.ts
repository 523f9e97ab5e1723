/**
 * Writing: the visitor's composer (a paid message, or a follow-up once the conversation is open;
 * the draft and the amount survive any failure), the creator's reply (which releases the coins), a
 * refund after the window, the creator's follow-ups, and closing a conversation. Each runs through
 * the one activity model and reports a typed, composed event — with the amounts the creator nets
 * after the fee — when it is on chain.
 */
import { parseOne, type ChatMessage } from '../sdk/client.js';
import { MAX_MESSAGE_BYTES, utf8Length } from '../sdk/text.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { HarmonyFollowUpSentEvent, HarmonyMessageSentEvent, HarmonyRefundEvent, HarmonyReplySentEvent, HarmonyThreadClosedEvent } from './events.js';
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
  /** The visitor chose to send a paid message although the conversation is open for follow-ups. */
  preferPaid = false;
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

  /** What the visitor's composer sends: a follow-up while the conversation is open (unless they chose a paid message). */
  get mode(): 'paid' | 'follow-up' {
    const v = this.#c.reads.mine;
    return v.thread?.open && !v.blocked && !this.preferPaid ? 'follow-up' : 'paid';
  }

  setPreferPaid(paid: boolean): void {
    this.preferPaid = paid;
    this.delivered = false;
    this.#host.requestUpdate();
  }

  get sending(): boolean {
    return this.#c.activity.is('send') || this.#c.activity.is('follow-up', 'mine');
  }

  get canSend(): boolean {
    const ready = this.#c.session.phase === 'ready' && !this.#c.activity.busy && !this.#c.reads.mine.blocked && this.draft.trim().length > 0 && overBy(this.draft) === 0;
    return ready && (this.mode === 'follow-up' || this.amountProblem() === undefined);
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
    if (this.mode === 'follow-up') {
      await this.followUp(card.handle, 'mine');
      return;
    }
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
      if (this.#c.activity.errorFor('send')?.code === 'SENDER_BLOCKED') {
        this.#c.reads.mine = { ...this.#c.reads.mine, blocked: true };
        this.#host.requestUpdate();
        await this.#host.focusSelector('[part~="blocked-notice"]', true);
        return;
      }
      await this.#host.focusSelector('#draft', true);
      return;
    }
    this.#c.live.ownTx.add(res.txHash);
    this.lastSent = { id: res.id, txHash: res.txHash, explorerUrl: res.explorerUrl, amount, to: card.handle };
    this.delivered = true;
    this.preferPaid = false;
    if (this.draft === text) this.draft = '';
    this.#host.announce(copy.composer.delivered(card.handle, amount), 'success');
    this.#host.dispatchEvent(
      new HarmonyMessageSentEvent({ id: res.id, thread: res.thread, to: card.handle, amount: res.amount, fee: res.fee, payout: res.payout, txHash: res.txHash, explorerUrl: res.explorerUrl }),
    );
    this.#host.requestUpdate();
    await this.#host.focusSelector('[part~="receipt"]', true);
    await this.#c.reads.refreshConversation().catch((e) => this.#c.activity.fail('load', e));
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
    this.#c.live.ownTx.add(res.txHash);
    this.replyDrafts.delete(id);
    this.#host.announce(copy.inbox.replied(res.payout), 'success');
    this.#host.dispatchEvent(
      new HarmonyReplySentEvent({ id: m.id, thread: res.thread, amount: m.amount, payout: res.payout, fee: res.fee, txHash: res.txHash, explorerUrl: res.explorerUrl }),
    );
    await this.#c.reads.refreshMessage(m.id).catch((e) => this.#c.activity.fail('load', e));
    if (this.#c.reads.threads.has(m.sender.toLowerCase())) await this.#c.reads.refreshThread(m.sender).catch(() => undefined);
    await this.#host.focusSelector(`#message-${m.id}`, true);
  }

  /** Takes back the amount of a message that was not answered in time. */
  async refund(m: ChatMessage): Promise<void> {
    const res = await this.#c.activity.run('refund', String(m.id), () => this.#c.chat.refund(m.id), copy.progress.prompt('refund'));
    if (!res) {
      await this.#host.focusSelector(`#refund-${m.id}`, true);
      return;
    }
    this.#c.live.ownTx.add(res.txHash);
    this.#host.announce(copy.status.refunded_(m.amount), 'success');
    this.#host.dispatchEvent(new HarmonyRefundEvent({ id: m.id, thread: m.thread, amount: m.amount, payout: 0n, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    await this.#c.reads.refreshMessage(m.id).catch((e) => this.#c.activity.fail('load', e));
    await this.#host.focusSelector(`#message-${m.id}`, true);
  }

  /** A follow-up draft: the composer's own for the visitor (`mine`), one per conversation for the creator. */
  followDraft(key: string): string {
    return key === 'mine' ? this.draft : (this.followDrafts.get(key) ?? '');
  }

  setFollowDraft(key: string, text: string): void {
    if (key === 'mine') this.draft = text;
    else this.followDrafts.set(key, text);
    this.#host.requestUpdate();
  }

  /**
   * Writes a follow-up in the answered conversation with `withWho` (the page's handle for a
   * visitor, a visitor's address for the creator); `key` names the draft.
   */
  async followUp(withWho: string, key: string): Promise<void> {
    const text = this.followDraft(key);
    if (!text.trim() || overBy(text) > 0) return;
    const input = key === 'mine' ? '#draft' : `#follow-${key}`;
    const keysBefore = this.#c.keys.status?.conversation?.held ?? 0;
    const res = await this.#c.activity.run('follow-up', key, () => this.#c.chat.postFollowUp({ with: withWho, text }), copy.progress.prompt('follow-up'));
    if (!res) {
      const code = this.#c.activity.errorFor('follow-up', key)?.code;
      if (key === 'mine' && code === 'SENDER_BLOCKED') {
        this.#c.reads.mine = { ...this.#c.reads.mine, blocked: true };
        this.#host.requestUpdate();
      }
      await this.#host.focusSelector(code === 'SENDER_BLOCKED' ? '[part~="blocked-notice"]' : input, true);
      return;
    }
    this.#c.live.ownTx.add(res.txHash);
    if (this.followDraft(key) === text) this.setFollowDraft(key, '');
    this.#host.announce(copy.conversation.followUpSent(res.amount), 'success');
    this.#host.dispatchEvent(
      new HarmonyFollowUpSentEvent({
        thread: res.thread,
        index: res.index,
        by: this.#c.role === 'creator' ? 'creator' : 'visitor',
        amount: res.amount,
        payout: res.payout,
        fee: res.fee,
        txHash: res.txHash,
        explorerUrl: res.explorerUrl,
      }),
    );
    await this.#c.reads.reloadConversationWith(withWho, key);
    await this.#host.focusSelector(input, true);
    if (key === 'mine') {
      // A visitor without a conversation key here (a new browser) made one for this follow-up.
      const status = await this.#c.keys.refresh();
      if ((status?.conversation?.held ?? 0) > keysBefore) this.#c.keys.created();
    }
  }

  /** Closes the conversation with `withWho` for follow-ups (either party may). */
  async closeThread(withWho: string, key: string): Promise<void> {
    const thread = key === 'mine' ? this.#c.reads.mine.thread?.thread : this.#c.reads.threads.get(key)?.thread?.thread;
    const res = await this.#c.activity.run('close-thread', key, () => this.#c.chat.closeThread({ with: withWho }), copy.progress.prompt('close-thread'));
    if (!res) return;
    this.#c.live.ownTx.add(res.txHash);
    this.#host.announce(copy.conversation.closedNow, 'success');
    this.#host.dispatchEvent(
      new HarmonyThreadClosedEvent({ thread: thread ?? 0, by: this.#c.role === 'creator' ? 'creator' : 'visitor', txHash: res.txHash, explorerUrl: res.explorerUrl }),
    );
    await this.#c.reads.reloadConversationWith(withWho, key);
    await this.#host.focusSelector(key === 'mine' ? '#draft' : `#thread-state-${key}`, true);
  }

  reset(): void {
    this.lastSent = undefined;
    this.delivered = false;
    this.preferPaid = false;
    this.replyDrafts.clear();
    this.followDrafts.clear();
  }
}
