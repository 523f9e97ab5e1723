/**
 * The key management panel: what this browser holds, the backup passphrase, the backup file (a
 * download link), restore from a file (the file is checked before its passphrase is asked), the
 * creator's key rotation, and "Sign out of this site". Also the visitor's gentle backup hint and
 * the button that opens the panel. Focus moves to the panel's heading when it opens, back to the
 * button when it closes (Escape closes it).
 *
 * A creator on a page that is not one of their sites gets none of this: nothing there may create
 * or restore their keys. Where a passphrase is typed or a key is made, the page's origin is shown
 * plainly, since keys are kept per origin (every page of the site can use them).
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Card } from '../sdk/card.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { passphraseProblems, type PassphraseForm } from './key-actions.js';
import { errorText, type Maybe } from './view-parts.js';

/** Whether this page may offer key management to the connected account. */
function keysHere(c: ChatController): boolean {
  const s = c.keys.status;
  if (!s || c.role === 'claimer') return false;
  return c.role === 'visitor' || s.inbox?.siteAllowed === true;
}

export function renderKeysButton(c: ChatController): Maybe {
  if (!keysHere(c)) return nothing;
  const open = c.keys.panelOpen;
  return html`<button
    part="keys-button"
    class="secondary small-button"
    type="button"
    aria-expanded=${open ? 'true' : 'false'}
    aria-controls="keys-panel"
    @click=${() => (open ? c.keys.closePanel() : c.keys.openPanel())}
  >
    ${copy.keys.toggle}
  </button>`;
}

/** The visitor's nudge after a conversation key was made here and is in no backup. */
export function renderBackupHint(c: ChatController, card: Card): Maybe {
  if (!c.keys.showVisitorHint) return nothing;
  return html`<section part="backup-hint" class="notice hint" aria-labelledby="backup-hint-title">
    <h3 id="backup-hint-title" class="title">${copy.keys.hintTitle}</h3>
    <p class="small">${copy.keys.hint(card.handle)}</p>
    <div class="row">
      <button type="button" @click=${() => c.keys.openPanel(c.keys.status?.backup.passphraseSet ? '[part~="backup-button"]' : '#pass-new')}>${copy.keys.hintButton}</button>
      <button class="secondary" type="button" @click=${() => ((c.keys.hintDismissed = true), c.host.requestUpdate())}>${copy.keys.hintDismiss}</button>
    </div>
  </section>`;
}

function passField(c: ChatController, field: keyof PassphraseForm, id: string, label: string, problem?: string): TemplateResult {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input
      id=${id}
      part="passphrase-input"
      type="password"
      autocomplete=${field === 'current' ? 'current-password' : 'new-password'}
      .value=${c.keys.form[field]}
      aria-invalid=${problem ? 'true' : 'false'}
      aria-describedby=${problem ? `${id}-problem` : nothing}
      @input=${(e: Event) => c.keys.setForm(field, (e.target as HTMLInputElement).value)}
    />
    ${problem ? html`<p id=${`${id}-problem`} part="error" class="error small">${problem}</p>` : nothing}
  </div>`;
}

/** The page's origin, said plainly where a passphrase is typed or a key is made: keys are kept per origin. */
function originNotice(c: ChatController, handle: string): TemplateResult {
  return html`<p part="origin-notice" class="small">${copy.keys.originNotice(globalThis.location?.origin ?? '', c.role === 'creator', handle)}</p>`;
}

function renderPassphraseForm(c: ChatController, handle: string): TemplateResult {
  const set = c.keys.status?.backup.passphraseSet ?? false;
  const f = c.keys.form;
  const show = c.keys.formTouched;
  const p = passphraseProblems(f.next, f.confirm);
  const busy = c.activity.is('passphrase');
  return html`<form part="passphrase-form" class="keys-block" novalidate aria-labelledby="pass-title" @submit=${(e: Event) => {
    e.preventDefault();
    if (!c.activity.busy) void c.keys.setPassphrase();
  }}>
    <h4 id="pass-title" class="subtitle">${copy.keys.passphraseTitle(set)}</h4>
    ${originNotice(c, handle)}
    ${set ? passField(c, 'current', 'pass-current', copy.keys.currentPassphrase) : nothing}
    ${passField(c, 'next', 'pass-new', copy.keys.newPassphrase, show || f.next ? p.next : undefined)}
    ${passField(c, 'confirm', 'pass-confirm', copy.keys.confirmPassphrase, show || f.confirm ? p.confirm : undefined)}
    <button part="passphrase-button" type="submit" aria-disabled=${c.activity.busy ? 'true' : 'false'}>${busy ? copy.keys.sealingBusy : copy.keys.setButton(set)}</button>
    ${errorText(c, 'passphrase')}
  </form>`;
}

function renderBackup(c: ChatController): TemplateResult {
  const s = c.keys.status!;
  const b = c.keys.backup;
  return html`<div part="backup" class="keys-block">
    <h4 class="subtitle">${copy.keys.backupTitle}</h4>
    ${!s.backup.passphraseSet
      ? html`<p class="muted small">${copy.keys.backupNeedsPassphrase}</p>`
      : s.backup.keys === 0
        ? html`<p class="muted small">${copy.keys.backupNothing}</p>`
        : html`<button part="backup-button" class="secondary" type="button" aria-disabled=${c.activity.busy ? 'true' : 'false'}
            @click=${() => !c.activity.busy && c.keys.makeBackup()}>${copy.keys.backupButton}</button>`}
    ${b
      ? html`<p class="success small">${copy.keys.backupReady(b.keys)}</p>
          <a part="backup-link link" href=${b.url} download=${b.name}>${copy.keys.backupLink(b.name)}</a>`
      : nothing}
    ${errorText(c, 'backup')}
  </div>`;
}

function renderRestore(c: ChatController, handle: string): TemplateResult {
  const i = c.keys.inspected;
  const busy = c.activity.is('restore');
  return html`<form part="restore-form" class="keys-block" novalidate aria-labelledby="restore-title" @submit=${(e: Event) => {
    e.preventDefault();
    if (!c.activity.busy) void c.keys.restore();
  }}>
    <h4 id="restore-title" class="subtitle">${copy.keys.restoreTitle}</h4>
    ${originNotice(c, handle)}
    <div class="field">
      <label for="restore-file">${copy.keys.restoreFile}</label>
      <input id="restore-file" part="restore-file" type="file" accept="application/json,.json"
        aria-describedby=${c.activity.errorFor('inspect') ? 'inspect-error' : nothing}
        @change=${(e: Event) => c.keys.inspect((e.target as HTMLInputElement).files?.[0])} />
    </div>
    ${errorText(c, 'inspect')}
    ${i
      ? html`<p part="restore-summary" class="small">${copy.keys.restoreSummary(i.restorable, i.total)}</p>
          <div class="field">
            <label for="restore-pass">${copy.keys.restorePassphrase}</label>
            <input id="restore-pass" part="passphrase-input" type="password" autocomplete="current-password" .value=${c.keys.restorePassphrase}
              aria-describedby=${c.activity.errorFor('restore') ? 'restore-error' : nothing}
              @input=${(e: Event) => c.keys.setRestorePassphrase((e.target as HTMLInputElement).value)} />
          </div>
          <button part="restore-button" type="submit" aria-disabled=${c.activity.busy || !c.keys.restorePassphrase ? 'true' : 'false'}>
            ${busy ? copy.progress.loading : copy.keys.restoreButton}
          </button>
          ${errorText(c, 'restore')}`
      : nothing}
  </form>`;
}

function renderRotate(c: ChatController, handle: string): Maybe {
  if (c.role !== 'creator') return nothing;
  const busy = c.activity.is('rotate');
  return html`<div class="keys-block">
    <h4 class="subtitle">${copy.keys.rotateTitle}</h4>
    ${originNotice(c, handle)}
    <p class="muted small" id="rotate-hint">${copy.keys.rotateHint}</p>
    <button part="rotate-button" class="secondary" type="button" aria-describedby="rotate-hint" aria-disabled=${c.activity.busy ? 'true' : 'false'}
      @click=${() => !c.activity.busy && c.keys.rotate()}>${busy ? copy.wallet.confirmInWallet : copy.keys.rotateButton}</button>
    ${errorText(c, 'rotate')}
  </div>`;
}

function renderSignOut(c: ChatController): TemplateResult {
  return html`<div class="keys-block">
    <h4 class="subtitle">${copy.keys.signOutTitle}</h4>
    <p class="muted small">${copy.keys.signOutHint}</p>
    ${c.keys.signOutWarning
      ? html`<div id="sign-out-warning" part="sign-out-warning" class="notice warning" tabindex="-1">
          <p>${copy.keys.signOutWarning(c.keys.notBackedUp)}</p>
          <div class="row">
            <button part="sign-out-confirm" class="danger" type="button" @click=${() => c.keys.signOut(true)}>${copy.keys.signOutAnyway}</button>
            <button class="secondary" type="button" @click=${() => ((c.keys.signOutWarning = false), c.host.requestUpdate())}>${copy.keys.keepKeys}</button>
          </div>
        </div>`
      : html`<button part="sign-out-button" class="secondary" type="button" aria-disabled=${c.activity.busy ? 'true' : 'false'}
          @click=${() => !c.activity.busy && c.keys.signOut()}>${copy.keys.signOutButton}</button>`}
    ${errorText(c, 'sign-out')}
  </div>`;
}

export function renderKeyPanel(c: ChatController, card: Card): Maybe {
  if (!c.keys.panelOpen || !keysHere(c)) return nothing;
  const s = c.keys.status!;
  const creator = c.role === 'creator';
  return html`<section
    id="keys-panel"
    part="keys"
    class="keys"
    aria-labelledby="keys-title"
    @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && c.keys.closePanel()}
  >
    <div class="row spread">
      <h3 id="keys-title" class="title" tabindex="-1">${copy.keys.title}</h3>
      <button class="link-button" type="button" @click=${() => c.keys.closePanel()}>${copy.keys.close}</button>
    </div>
    <p class="small">${creator ? copy.keys.explainCreator : copy.keys.explainVisitor(card.handle)}</p>
    <ul part="key-status" class="key-status small">
      ${creator && s.inbox ? html`<li>${copy.keys.statusInbox(s.inbox.currentKeyId, s.inbox.holdsCurrent)}</li>` : nothing}
      ${!creator ? html`<li>${copy.keys.statusConversation(card.handle, s.conversation?.held ?? 0)}</li>` : nothing}
      <li>${copy.keys.statusKeys(s.backup.keys, s.backup.notBackedUp)}</li>
      <li>${copy.keys.statusPassphrase(s.backup.passphraseSet)}</li>
    </ul>
    ${renderPassphraseForm(c, card.handle)} ${renderBackup(c)} ${renderRestore(c, card.handle)} ${renderRotate(c, card.handle)} ${renderSignOut(c)}
  </section>`;
}
