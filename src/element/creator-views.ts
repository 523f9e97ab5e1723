/**
 * The creator's view: on a page that is not one of their sites, only the plain notice that the
 * inbox opens elsewhere; on their own site, a notice when the current inbox key is not in this
 * browser (why, and what to do), the inbox (`inbox-views.ts`: totals, view tools, messages with
 * reply forms and spam controls, conversations with follow-ups), and the settings (price, window,
 * follow-up price, sites, email notifications).
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Card } from '../sdk/card.js';
import type { ChatController, ChatHost } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { renderInbox } from './inbox-views.js';
import { errorText, type Maybe } from './view-parts.js';

function renderKeyNotice(c: ChatController): Maybe {
  const inbox = c.keys.status?.inbox;
  if (!inbox) return nothing;
  let text: string | undefined;
  if (inbox.currentKeyId === 0) text = copy.inboxKey.noKey;
  else if (!inbox.holdsCurrent) text = inbox.heldKeyIds.length ? copy.inboxKey.notHeldOther(inbox.currentKeyId, inbox.heldKeyIds) : copy.inboxKey.notHeldNone(inbox.currentKeyId);
  if (!text) {
    if (c.keys.status!.backup.notBackedUp > 0 && !c.keys.panelOpen && !c.keys.backup) {
      return html`<p part="notice backup-hint" class="notice hint small">${copy.keys.creatorHint}
        <button class="link-button" type="button" @click=${() => c.keys.openPanel(c.keys.status?.backup.passphraseSet ? '[part~="backup-button"]' : '#pass-new')}>${copy.keys.hintButton}</button></p>`;
    }
    return nothing;
  }
  return html`<div part="key-notice" class="notice warning" tabindex="-1" role="note">
    <p>${text}</p>
    ${inbox.pending.length ? html`<p class="small muted">${copy.inboxKey.pending}</p>` : nothing}
    ${c.keys.panelOpen ? nothing : html`<button type="button" class="secondary" @click=${() => c.keys.openPanel('#restore-file')}>${copy.keys.toggle}</button>`}
  </div>`;
}

function field(id: string, partName: string, label: string, value: string, onInput: (v: string) => void, attrs: { type?: string } = {}): TemplateResult {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} part=${partName} type=${attrs.type ?? 'text'} inputmode="decimal" autocomplete="off" .value=${value}
      @input=${(e: Event) => onInput((e.target as HTMLInputElement).value)} />
  </div>`;
}

function renderSettings(host: ChatHost, c: ChatController): TemplateResult {
  const p = c.profile;
  const s = p.settings;
  const busy = c.activity.is('settings');
  return html`<details part="settings" class="settings" @toggle=${(e: Event) => (e.target as HTMLDetailsElement).open && p.openSettings()}>
    <summary>${copy.settings.summary}</summary>
    <form class="settings-form" novalidate @submit=${(e: Event) => {
      e.preventDefault();
      if (!c.activity.busy) void p.saveSettings();
    }}>
      ${field('settings-price', 'price-input', copy.settings.price, s.price, (v) => p.setSetting('price', v))}
      <div class="field">
        <label for="settings-window">${copy.settings.window}</label>
        <div class="row">
          <input id="settings-window" part="window-input" type="number" min="1" step="1" .value=${s.windowValue}
            @input=${(e: Event) => p.setSetting('windowValue', (e.target as HTMLInputElement).value)} />
          <select aria-label=${copy.claim.windowUnit} .value=${String(s.windowUnit)}
            @change=${(e: Event) => p.setSetting('windowUnit', Number((e.target as HTMLSelectElement).value))}>
            <option value="86400" ?selected=${s.windowUnit === 86_400}>${copy.claim.days}</option>
            <option value="3600" ?selected=${s.windowUnit === 3_600}>${copy.claim.hours}</option>
          </select>
        </div>
      </div>
      <p class="muted small">${copy.settings.windowHint}</p>
      ${field('settings-follow-up', 'follow-up-price-input', copy.settings.followUpPrice, s.followUpPrice, (v) => p.setSetting('followUpPrice', v))}
      <p class="muted small">${copy.settings.followUpHint}</p>
      <button part="save-button" type="submit" aria-disabled=${c.activity.busy ? 'true' : 'false'}>${busy ? copy.settings.saving : copy.settings.save}</button>
      ${errorText(c, 'settings')}
    </form>
    <form class="settings-form" part="sites-form" novalidate @submit=${(e: Event) => {
      e.preventDefault();
      if (!c.activity.busy) void p.saveSites();
    }}>
      <div class="field">
        <label for="settings-sites">${copy.settings.sites}</label>
        <textarea id="settings-sites" part="sites-input" rows="2" aria-describedby="settings-sites-hint" .value=${p.sitesText}
          @input=${(e: Event) => p.setSitesText((e.target as HTMLTextAreaElement).value)}></textarea>
      </div>
      <p id="settings-sites-hint" class="muted small">${copy.settings.sitesHint}</p>
      <button part="save-sites-button" class="secondary" type="submit" aria-disabled=${c.activity.busy ? 'true' : 'false'}>${copy.settings.saveSites}</button>
      ${errorText(c, 'sites')}
    </form>
    ${renderBlockForm(c)}
    ${host.notifierUrl ? renderEmailForm(c) : nothing}
  </details>`;
}

/** Block or unblock any address (one not in the loaded inbox, or known from elsewhere). */
function renderBlockForm(c: ChatController): TemplateResult {
  const m = c.moderation;
  const busy = !!c.activity.busy;
  return html`<form class="settings-form" part="block-form" novalidate @submit=${(e: Event) => {
    e.preventDefault();
    if (!c.activity.busy) void m.blockAddress(true);
  }}>
    <div class="field">
      <label for="settings-block">${copy.moderation.blockAddress}</label>
      <input id="settings-block" part="block-input" autocomplete="off" spellcheck="false" aria-describedby=${c.activity.errorFor('block', 'address') ? 'settings-block-hint block-error-address' : 'settings-block-hint'} .value=${m.blockText}
        @input=${(e: Event) => m.setBlockText((e.target as HTMLInputElement).value)} />
    </div>
    <p id="settings-block-hint" class="muted small">${copy.moderation.blockAddressHint}</p>
    <div class="row">
      <button part="block-address-button" type="submit" aria-disabled=${busy ? 'true' : 'false'}>${copy.moderation.blockAddressButton}</button>
      <button part="unblock-address-button" class="secondary" type="button" aria-disabled=${busy ? 'true' : 'false'}
        @click=${() => !c.activity.busy && m.blockAddress(false)}>${copy.moderation.unblockAddressButton}</button>
    </div>
    ${errorText(c, 'block', 'address')}
  </form>`;
}

function renderEmailForm(c: ChatController): TemplateResult {
  const e = c.email;
  return html`<form class="settings-form" part="email-form" novalidate @submit=${(ev: Event) => {
    ev.preventDefault();
    if (!c.activity.busy) void e.subscribe();
  }}>
    <div class="field">
      <label for="settings-email">${copy.email.label}</label>
      <input id="settings-email" part="email-input" type="email" autocomplete="email" .value=${e.email}
        @input=${(ev: Event) => e.setEmail((ev.target as HTMLInputElement).value)} />
    </div>
    <p class="muted small">${copy.email.hint}</p>
    <button part="email-button" type="submit" aria-disabled=${c.activity.busy ? 'true' : 'false'}>${c.activity.is('email') ? copy.email.busy : copy.email.button}</button>
    ${e.subscribed ? html`<p class="success small">${copy.email.sent(e.subscribed)}</p>` : nothing}
    ${errorText(c, 'email')}
  </form>`;
}

export function renderCreator(host: ChatHost, c: ChatController, card: Card): TemplateResult {
  const inbox = c.keys.status?.inbox;
  if (!inbox) return html`${errorText(c, 'load')}<p class="muted small" aria-busy="true">${copy.progress.loading}</p>`;
  if (!inbox.siteAllowed) {
    return html`<p part="site-notice" class="notice" tabindex="-1">${copy.site.notAllowed(inbox.sites, globalThis.location?.origin ?? '')}</p>`;
  }
  return html`${renderKeyNotice(c)}${renderInbox(c, card)}${renderSettings(host, c)}`;
}

