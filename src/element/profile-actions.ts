/**
 * The creator's profile: claiming a free handle (the backup passphrase is set first, so the inbox
 * key is sealed and non-extractable from the moment it is made, and a backup file is offered right
 * after), the settings (price, reply window, follow-up price) and the sites where the inbox opens.
 */
import { PaidChatError, isPaidChatError } from '../sdk/errors.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { ones, weiFromOne } from './format.js';

export class ProfileActions {
  /** The settings form. */
  settings = { price: '', windowValue: '', windowUnit: 86_400, followUpPrice: '' };
  sitesText = '';
  readonly #c: ChatController;

  constructor(c: ChatController) {
    this.#c = c;
  }

  get #host() {
    return this.#c.host;
  }

  /**
   * Claims the (free) page handle with a price and reply window; connects first if needed. The
   * passphrase seals the new inbox key; the claim adds this page's origin to the creator's sites.
   */
  async claim(price: string, windowSeconds: number, passphrase: string): Promise<boolean> {
    const card = this.#host.card;
    if (!card || !card.free) return false;
    if (this.#c.session.phase !== 'ready' && !(await this.#c.session.connect())) return false;
    const chat = this.#c.chat;
    const res = await this.#c.activity.run(
      'claim',
      undefined,
      async () => {
        try {
          await chat.setBackupPassphrase(passphrase);
        } catch (e) {
          if (!isPaidChatError(e, 'BACKUP_PASSPHRASE_WRONG')) throw e;
          // This wallet already set a passphrase in this browser (as a visitor, say): it must be that one.
          try {
            await chat.setBackupPassphrase(passphrase, { current: passphrase });
          } catch (e2) {
            if (isPaidChatError(e2, 'BACKUP_PASSPHRASE_WRONG')) throw new PaidChatError('BACKUP_PASSPHRASE_WRONG', copy.passphrase.alreadySet, { reason: 'already-set' });
            throw e2;
          }
        }
        this.#host.announce(copy.claim.prompt, 'busy');
        return chat.claimHandle({ handle: card.handle, price: price.trim(), window: windowSeconds });
      },
      copy.claim.sealing,
    );
    if (!res) {
      const code = this.#c.activity.errorFor('claim')?.code;
      await this.#host.focusSelector(code === 'BACKUP_PASSPHRASE_WRONG' || code === 'PASSPHRASE_WEAK' ? '#claim-pass' : '[part~="claim-button"]', true);
      return false;
    }
    await this.#host.refreshCard();
    this.#host.announce(copy.claim.done(card.handle), 'success');
    await this.#c.keys.created(res.keyId);
    await this.#c.reads.load();
    // Offer the backup file at once, in the key panel (where it can be made again later).
    this.#c.keys.panelOpen = true;
    await this.#c.keys.makeBackup();
    return true;
  }

  openSettings(): void {
    const card = this.#host.card;
    if (!card) return;
    const days = card.window % 86_400 === 0;
    const plain = (wei: bigint) => ones(wei).replace(/ ONE$/, '');
    this.settings = {
      price: plain(card.price),
      windowValue: String(days ? card.window / 86_400 : Math.round(card.window / 3_600)),
      windowUnit: days ? 86_400 : 3_600,
      followUpPrice: plain(card.followUpPrice),
    };
    this.sitesText = (this.#c.keys.status?.inbox?.sites ?? []).join('\n');
    this.#host.requestUpdate();
  }

  setSetting<K extends keyof ProfileActions['settings']>(key: K, value: ProfileActions['settings'][K]): void {
    this.settings = { ...this.settings, [key]: value };
    this.#host.requestUpdate();
  }

  setSitesText(text: string): void {
    this.sitesText = text;
    this.#host.requestUpdate();
  }

  async saveSettings(): Promise<void> {
    const s = this.settings;
    const windowSeconds = Math.round(Number(s.windowValue) * s.windowUnit);
    const res = await this.#c.activity.run('settings', undefined, async () => {
      for (const v of [s.price, s.followUpPrice]) {
        if (weiFromOne(v) === undefined) throw new PaidChatError('AMOUNT_INVALID', copy.settings.priceInvalid(v), { value: v });
      }
      return this.#c.chat.updateProfile({ price: s.price.trim(), window: windowSeconds, followUpPrice: s.followUpPrice.trim() });
    });
    if (!res) {
      await this.#host.focusSelector('#settings-price', true);
      return;
    }
    await this.#host.refreshCard();
    this.#host.announce(copy.settings.saved, 'success');
  }

  /** Saves the sites where the inbox opens (only offered where it opens already). */
  async saveSites(): Promise<void> {
    const sites = this.sitesText.split(/\s+/).filter(Boolean);
    const res = await this.#c.activity.run('sites', undefined, () => this.#c.chat.setSites(sites));
    if (!res) {
      await this.#host.focusSelector('#settings-sites', true);
      return;
    }
    this.#host.announce(copy.settings.sitesSaved, 'success');
    await this.#c.keys.refresh();
    this.sitesText = (this.#c.keys.status?.inbox?.sites ?? sites).join('\n');
  }
}
