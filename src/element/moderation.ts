/**
 * The creator's spam controls, all on chain: block or unblock a sender (a blocked sender's paid
 * message or follow-up is refused by the contract before anything is paid), hide or show again
 * messages of the inbox (their coins follow the usual rules: a hidden message can still be
 * answered, or refunded to its sender). Also how the inbox is shown: sort by time, amount or time
 * left, only unanswered messages, hidden ones on request. Every change is announced, and focus
 * stays somewhere sensible when the message it was on leaves the view.
 */
import type { ChatMessage } from '../sdk/types.js';
import { parseAddress, shortAddress } from '../sdk/address.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { HarmonyBlockChangeEvent, HarmonyHideChangeEvent } from './events.js';
import type { InboxSort } from './reads.js';

const lower = (a: string) => a.toLowerCase();

export class Moderation {
  /** The settings field "Block or unblock an address". */
  blockText = '';
  readonly #c: ChatController;

  constructor(c: ChatController) {
    this.#c = c;
  }

  get #host() {
    return this.#c.host;
  }

  /** Blocks (or unblocks) the sender of `m`. */
  async setBlocked(m: ChatMessage, blocked: boolean): Promise<void> {
    const c = this.#c;
    const who = m.senderHandle ? `@${m.senderHandle}` : shortAddress(m.sender);
    const id = lower(m.sender);
    const res = await c.activity.run('block', id, () => c.chat.setBlocked(m.sender, blocked), copy.progress.prompt('block'));
    if (!res) {
      await this.#host.focusSelector(`#block-${m.id}`, true);
      return;
    }
    c.reads.setBlockedFlag(m.sender, blocked);
    this.#host.announce(blocked ? copy.moderation.blocked(who) : copy.moderation.unblocked(who), 'success');
    this.#host.dispatchEvent(new HarmonyBlockChangeEvent({ address: m.sender, blocked, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    await this.#host.focusSelector(`#block-${m.id}`, true);
  }

  setBlockText(text: string): void {
    this.blockText = text;
    this.#host.requestUpdate();
  }

  /** Blocks (or unblocks) the address typed in the settings (0x… or one1…), e.g. one not in the loaded inbox. */
  async blockAddress(blocked: boolean): Promise<void> {
    const c = this.#c;
    let address = '';
    const res = await c.activity.run(
      'block',
      'address',
      async () => {
        address = parseAddress(this.blockText.trim());
        return c.chat.setBlocked(address, blocked);
      },
      copy.progress.prompt('block'),
    );
    if (!res) {
      await this.#host.focusSelector('#settings-block', true);
      return;
    }
    c.reads.setBlockedFlag(address, blocked);
    this.blockText = '';
    const who = shortAddress(address);
    this.#host.announce(blocked ? copy.moderation.blocked(who) : copy.moderation.unblocked(who), 'success');
    this.#host.dispatchEvent(new HarmonyBlockChangeEvent({ address: address as `0x${string}`, blocked, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    await this.#host.focusSelector('#settings-block', true);
  }

  /** Hides (or shows again) `m` in the inbox view. */
  async setHidden(m: ChatMessage, hidden: boolean): Promise<void> {
    const c = this.#c;
    const id = String(m.id);
    // Where focus goes when the message leaves the view: the next one shown, else the inbox title.
    const shown = c.reads.shownInbox;
    const at = shown.findIndex((x) => x.id === m.id);
    const next = shown[at + 1] ?? shown[at - 1];
    const res = await c.activity.run('hide', id, () => c.chat.setHidden([m.id], hidden), copy.progress.prompt('hide'));
    if (!res) {
      await this.#host.focusSelector(`#hide-${m.id}`, true);
      return;
    }
    c.reads.setHiddenFlags([m.id], hidden);
    this.#host.announce(hidden ? copy.moderation.hidden(c.reads.hiddenCount) : copy.moderation.unhidden, 'success');
    this.#host.dispatchEvent(new HarmonyHideChangeEvent({ ids: [m.id], hidden, txHash: res.txHash, explorerUrl: res.explorerUrl }));
    if (hidden && !c.reads.showHidden) await this.#host.focusSelector(next ? `#message-${next.id}` : '#inbox-title', true);
    else await this.#host.focusSelector(`#hide-${m.id}`, true);
  }

  setSort(sort: InboxSort): void {
    const r = this.#c.reads;
    r.sort = sort;
    this.#host.announce(copy.moderation.sorted(sort, r.shownInbox.length), 'info');
    this.#host.requestUpdate();
  }

  toggleUnanswered(): void {
    const r = this.#c.reads;
    r.unansweredOnly = !r.unansweredOnly;
    this.#host.announce(copy.moderation.shown(r.shownInbox.length, r.inbox.length), 'info');
    this.#host.requestUpdate();
  }

  toggleHidden(): void {
    const r = this.#c.reads;
    r.showHidden = !r.showHidden;
    this.#host.announce(r.showHidden ? copy.moderation.showingHidden(r.hiddenCount) : copy.moderation.hidingHidden(r.hiddenCount), 'info');
    this.#host.requestUpdate();
  }
}
