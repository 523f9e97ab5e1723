/**
 * Keys and backups, as the element offers them: what this browser holds for the connected account
 * (`keyStatus`), setting or changing the backup passphrase, making a backup file (a Blob download
 * link), restoring one (checked with `inspectBackup` before any passphrase is asked), replacing the
 * creator's inbox key, and signing out of this site (forgetting its keys, with a warning first when
 * they are not backed up).
 *
 * Nothing here asks the wallet for a signature; only a rotation sends a transaction. Every key
 * stays inside the SDK's scope for this page (the conversation with this handle, or this creator's
 * own inbox on one of its sites).
 */
import type { KeyStatus } from '../sdk/types.js';
import { PaidChatError } from '../sdk/errors.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { HarmonyKeyChangeEvent, type HarmonyKeyChangeDetail } from './events.js';
import { PASSPHRASE_MIN } from './format.js';

export interface PassphraseForm {
  current: string;
  next: string;
  confirm: string;
}

/** Problems of a new passphrase and its confirmation, shown as the user types. */
export function passphraseProblems(next: string, confirm: string): { next?: string; confirm?: string } {
  const out: { next?: string; confirm?: string } = {};
  if ([...next.normalize('NFKC')].length < PASSPHRASE_MIN) out.next = copy.passphrase.tooShort(PASSPHRASE_MIN);
  if (confirm !== next) out.confirm = copy.passphrase.mismatch;
  return out;
}

export class KeyActions {
  status?: KeyStatus;
  panelOpen = false;
  /** The last backup file made here, as a download link (revoked when replaced or on sign-out). */
  backup?: { url: string; name: string; keys: number };
  /** A backup file that passed `inspectBackup`, waiting for its passphrase. */
  inspected?: { text: string; fileName: string; restorable: number; total: number };
  form: PassphraseForm = { current: '', next: '', confirm: '' };
  /** Whether the form has been submitted once (problems show from then on). */
  formTouched = false;
  restorePassphrase = '';
  signOutWarning = false;
  hintDismissed = false;
  readonly #c: ChatController;

  constructor(c: ChatController) {
    this.#c = c;
  }

  get #chat() {
    return this.#c.chat;
  }

  /** Counts of keys here (from the last status read). */
  get held(): number {
    return this.status?.backup.keys ?? 0;
  }

  get notBackedUp(): number {
    return this.status?.backup.notBackedUp ?? 0;
  }

  /** The visitor's gentle nudge: a conversation key here that is in no backup yet. */
  get showVisitorHint(): boolean {
    const s = this.status;
    return !this.hintDismissed && !this.panelOpen && s?.role === 'visitor' && (s.conversation?.held ?? 0) > 0 && s.backup.notBackedUp > 0;
  }

  /** Reads what this browser holds for the connected account. */
  async refresh(): Promise<KeyStatus | undefined> {
    try {
      this.status = await this.#chat.keyStatus();
    } catch (e) {
      this.#c.activity.fail('load', e);
    }
    this.#c.host.requestUpdate();
    return this.status;
  }

  #emit(change: HarmonyKeyChangeDetail['change'], keyId?: number): void {
    const s = this.status;
    this.#c.host.dispatchEvent(
      new HarmonyKeyChangeEvent({
        change,
        role: this.#c.role === 'creator' ? 'creator' : 'visitor',
        ...(keyId !== undefined ? { keyId } : {}),
        keys: s?.backup.keys ?? 0,
        notBackedUp: s?.backup.notBackedUp ?? 0,
      }),
    );
  }

  /** A key was made by another action (a first send, a claim). */
  async created(keyId?: number): Promise<void> {
    await this.refresh();
    this.#emit('created', keyId);
  }

  // ---------------------------------------------------------------- the panel

  async openPanel(focus = '#keys-title'): Promise<void> {
    this.panelOpen = true;
    this.signOutWarning = false;
    this.#c.host.requestUpdate();
    await this.#c.host.focusSelector(focus, true);
    void this.refresh();
  }

  async closePanel(): Promise<void> {
    this.panelOpen = false;
    this.inspected = undefined;
    this.signOutWarning = false;
    this.#c.host.requestUpdate();
    await this.#c.host.focusSelector('[part~="keys-button"]', true);
  }

  setForm(field: keyof PassphraseForm, value: string): void {
    this.form = { ...this.form, [field]: value };
    this.#c.host.requestUpdate();
  }

  // ---------------------------------------------------------------- passphrase and backup

  /** Sets (or changes, with the current one) the backup passphrase: every key here is sealed to it. */
  async setPassphrase(): Promise<void> {
    const { current, next, confirm } = this.form;
    this.formTouched = true;
    const problems = passphraseProblems(next, confirm);
    const isSet = this.status?.backup.passphraseSet ?? false;
    if (problems.next || problems.confirm || (isSet && !current)) {
      this.#c.host.requestUpdate();
      await this.#c.host.focusSelector(isSet && !current ? '#pass-current' : problems.next ? '#pass-new' : '#pass-confirm', true);
      return;
    }
    const done = await this.#c.activity.run(
      'passphrase',
      undefined,
      async () => {
        await this.#chat.setBackupPassphrase(next, isSet ? { current } : {});
        return true;
      },
      copy.keys.sealing,
    );
    if (!done) {
      await this.#c.host.focusSelector(isSet ? '#pass-current' : '#pass-new', true);
      return;
    }
    this.form = { current: '', next: '', confirm: '' };
    this.formTouched = false;
    this.#revoke();
    await this.refresh();
    this.#emit('passphrase-set');
    this.#c.host.announce(copy.keys.passphraseSet, 'success');
    await this.#c.host.focusSelector('[part~="backup-button"]', true);
  }

  /** Makes the backup file of the keys this page may hold and offers it as a download link. */
  async makeBackup(): Promise<boolean> {
    const text = await this.#c.activity.run('backup', undefined, () => this.#chat.exportBackup());
    if (text === undefined) return false;
    this.#revoke();
    const keys = (JSON.parse(text) as { entries?: unknown[] }).entries?.length ?? 0;
    const handle = this.#c.host.card?.handle ?? 'inbox';
    const role = this.#c.role === 'creator' ? 'creator' : 'visitor';
    this.backup = { url: URL.createObjectURL(new Blob([text], { type: 'application/json' })), name: copy.keys.backupFileName(handle, role), keys };
    this.hintDismissed = true;
    await this.refresh();
    this.#emit('backup-made');
    this.#c.host.announce(copy.keys.backupReady(keys), 'success');
    await this.#c.host.focusSelector('[part~="backup-link"]', true);
    return true;
  }

  #revoke(): void {
    if (this.backup) URL.revokeObjectURL(this.backup.url);
    this.backup = undefined;
  }

  // ---------------------------------------------------------------- restore

  /** Reads a chosen file and checks it belongs here before its passphrase is asked for. */
  async inspect(file: File | undefined): Promise<void> {
    this.inspected = undefined;
    this.restorePassphrase = '';
    this.#c.activity.clearError('restore');
    if (!file) {
      this.#c.host.requestUpdate();
      return;
    }
    const result = await this.#c.activity.run(
      'inspect',
      undefined,
      async () => {
        const text = await file.text().catch((cause) => {
          throw new PaidChatError('BACKUP_INVALID', 'This file could not be read.', { reason: 'unreadable' }, { cause });
        });
        const { entries, restorable } = await this.#chat.inspectBackup(text);
        return { text, fileName: file.name, restorable: restorable.length, total: entries.length };
      },
      copy.keys.restoreChecking,
    );
    if (!result) {
      await this.#c.host.focusSelector('#restore-file', true);
      return;
    }
    this.inspected = result;
    this.#c.host.announce(copy.keys.restoreSummary(result.restorable, result.total), 'info');
    await this.#c.host.focusSelector('#restore-pass', true);
  }

  setRestorePassphrase(value: string): void {
    this.restorePassphrase = value;
    this.#c.host.requestUpdate();
  }

  /** Restores the inspected file with its passphrase; a wrong passphrase changes nothing. */
  async restore(): Promise<void> {
    const file = this.inspected;
    if (!file || !this.restorePassphrase) return;
    const report = await this.#c.activity.run('restore', undefined, () => this.#chat.restoreBackup(file.text, this.restorePassphrase), copy.keys.restoring);
    if (!report) {
      await this.#c.host.focusSelector('#restore-pass', true);
      return;
    }
    this.inspected = undefined;
    this.restorePassphrase = '';
    this.#c.host.announce(copy.keys.restored(report.restored.length, report.skipped.length), 'success');
    await this.refresh();
    this.#emit('restored');
    await this.#c.reads.load();
    await this.#c.host.focusSelector('#keys-title', true);
  }

  // ---------------------------------------------------------------- rotation and sign-out

  /** Makes a new inbox key and registers it on chain (a transaction). */
  async rotate(): Promise<void> {
    const res = await this.#c.activity.run('rotate', undefined, () => this.#chat.rotateInboxKey(), copy.progress.prompt('rotate'));
    if (!res) {
      await this.#c.host.focusSelector('[part~="rotate-button"]', true);
      return;
    }
    this.#revoke();
    await this.refresh();
    this.#emit('rotated', res.keyId);
    this.#c.host.announce(copy.inboxKey.rotated(res.keyId), 'success');
    await this.#c.reads.load();
    await this.#c.host.focusSelector('#keys-title', true);
  }

  /** Forgets every key of this wallet here; warns first when some are in no backup. */
  async signOut(force = false): Promise<void> {
    if (!force && this.notBackedUp > 0) {
      this.signOutWarning = true;
      this.#c.host.requestUpdate();
      await this.#c.host.focusSelector('#sign-out-warning', true);
      return;
    }
    const done = await this.#c.activity.run('sign-out', undefined, async () => {
      await this.#chat.forgetKeys();
      return true;
    });
    if (!done) return;
    this.#revoke();
    this.signOutWarning = false;
    this.panelOpen = false;
    this.status = undefined;
    this.#emit('forgotten');
    this.#c.session.disconnect();
    this.#c.host.announce(copy.keys.signedOut, 'success');
    await this.#c.host.focusSelector('[part~="connect-button"], [part~="claim-button"]', true);
  }

  /** The account changed or left: nothing of the previous one stays in view. */
  reset(): void {
    this.#revoke();
    this.status = undefined;
    this.panelOpen = false;
    this.inspected = undefined;
    this.restorePassphrase = '';
    this.form = { current: '', next: '', confirm: '' };
    this.formTouched = false;
    this.signOutWarning = false;
    this.hintDismissed = false;
  }
}
