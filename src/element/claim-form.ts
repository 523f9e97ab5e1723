/**
 * The form to claim a free handle (part of the first load: no SDK, no crypto until it is sent).
 * Besides price and reply window it asks for a backup passphrase (twice): the inbox key is sealed
 * with it and kept non-extractable from the moment it is made, and a backup file is offered after
 * the claim.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Card } from '../sdk/card.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy.js';
import { AMOUNT_PATTERN, PASSPHRASE_MIN } from './format.js';

export interface ClaimState {
  price: string;
  windowValue: string;
  windowUnit: number;
  passphrase: string;
  confirm: string;
  /** Set on the first submit: problems of untouched fields show from then on. */
  submitted: boolean;
}

export const initialClaim = (): ClaimState => ({ price: '10', windowValue: '7', windowUnit: 86_400, passphrase: '', confirm: '', submitted: false });

export type ClaimProblems = Partial<Record<'price' | 'window' | 'passphrase' | 'confirm', string>>;

export function claimProblems(c: ClaimState): ClaimProblems {
  const out: ClaimProblems = {};
  if (!AMOUNT_PATTERN.test(c.price)) out.price = copy.claim.priceProblem;
  const seconds = Number(c.windowValue) * c.windowUnit;
  if (!Number.isFinite(seconds) || !Number.isInteger(Number(c.windowValue)) || seconds < 3_600 || seconds > 30 * 86_400) out.window = copy.claim.windowProblem;
  if ([...c.passphrase.normalize('NFKC')].length < PASSPHRASE_MIN) out.passphrase = copy.passphrase.tooShort(PASSPHRASE_MIN);
  if (c.confirm !== c.passphrase) out.confirm = copy.passphrase.mismatch;
  return out;
}

export interface ClaimFormHost {
  readonly claimState: ClaimState;
  setClaim(patch: Partial<ClaimState>): void;
  submitClaim(): Promise<void>;
  prefetch(): void;
  readonly loadingChat: boolean;
}

export function renderClaimForm(host: ClaimFormHost, card: Card, chat: ChatController | undefined, notice: TemplateResult | typeof nothing): TemplateResult {
  const s = host.claimState;
  const problems = claimProblems(s);
  const show = (k: keyof ClaimProblems, value: string) => (s.submitted || value !== '' ? problems[k] : undefined);
  const shown: ClaimProblems = {
    price: problems.price,
    window: problems.window,
    passphrase: show('passphrase', s.passphrase),
    confirm: show('confirm', s.confirm),
  };
  const busy = host.loadingChat || chat?.session.phase === 'connecting' || !!chat?.activity.busy;
  const step = chat?.activity.busy?.action === 'claim' ? chat.activity.busy.step : undefined;
  const ready = chat?.session.phase === 'ready';
  const error = chat?.activity.errorFor('claim') ?? chat?.activity.errorFor('connect');
  const invalid = Object.values(problems).some(Boolean);
  const input = (k: keyof ClaimState) => (e: Event) => {
    const v = (e.target as HTMLInputElement).value;
    host.setClaim({ [k]: k === 'windowUnit' ? Number(v) : v } as Partial<ClaimState>);
  };
  const described = (id: string, problem?: string, hint?: string) => [problem ? `${id}-error` : '', hint ?? ''].filter(Boolean).join(' ') || nothing;
  const problem = (id: string, text?: string) => (text ? html`<p id=${`${id}-error`} part="error" class="error">${text}</p>` : nothing);
  return html`<div part="header" class="header">
      <span part="avatar" class="avatar" aria-hidden="true">${card.handle.charAt(0).toUpperCase()}</span>
      <div>
        <h2 part="handle" class="handle">${copy.claim.title(card.handle)}</h2>
        <p part="price" class="price muted">${copy.claim.nobody(card.chainName)}</p>
      </div>
    </div>
    <form part="claim-form" class="claim" novalidate @submit=${(e: Event) => {
      e.preventDefault();
      if (!busy) void host.submitClaim();
    }}>
      <p class="muted small">${copy.claim.intro(card.handle)}</p>
      <div class="field">
        <label for="claim-price">${copy.claim.price}</label>
        <input id="claim-price" part="price-input" inputmode="decimal" autocomplete="off" .value=${s.price}
          aria-invalid=${shown.price ? 'true' : 'false'} aria-describedby=${described('claim-price', shown.price)} @input=${input('price')} />
        ${problem('claim-price', shown.price)}
      </div>
      <div class="field">
        <label for="claim-window">${copy.claim.window}</label>
        <div class="row">
          <input id="claim-window" part="window-input" type="number" min="1" step="1" .value=${s.windowValue}
            aria-invalid=${shown.window ? 'true' : 'false'} aria-describedby=${described('claim-window', shown.window)} @input=${input('windowValue')} />
          <select aria-label=${copy.claim.windowUnit} @change=${input('windowUnit')}>
            <option value="86400" ?selected=${s.windowUnit === 86_400}>${copy.claim.days}</option>
            <option value="3600" ?selected=${s.windowUnit === 3_600}>${copy.claim.hours}</option>
          </select>
        </div>
        ${problem('claim-window', shown.window)}
      </div>
      <div class="field">
        <label for="claim-pass">${copy.claim.passphrase}</label>
        <input id="claim-pass" part="passphrase-input" type="password" autocomplete="new-password" .value=${s.passphrase}
          aria-invalid=${shown.passphrase ? 'true' : 'false'} aria-describedby=${described('claim-pass', shown.passphrase, 'claim-pass-hint')} @input=${input('passphrase')} />
        <p id="claim-pass-hint" class="muted small">${copy.claim.passphraseHint(PASSPHRASE_MIN)}</p>
        ${problem('claim-pass', shown.passphrase)}
      </div>
      <div class="field">
        <label for="claim-pass-confirm">${copy.claim.passphraseConfirm}</label>
        <input id="claim-pass-confirm" part="passphrase-input" type="password" autocomplete="new-password" .value=${s.confirm}
          aria-invalid=${shown.confirm ? 'true' : 'false'} aria-describedby=${described('claim-pass-confirm', shown.confirm)} @input=${input('confirm')} />
        ${problem('claim-pass-confirm', shown.confirm)}
      </div>
      ${notice}
      <button part="claim-button" type="submit" aria-disabled=${busy || invalid ? 'true' : 'false'} @pointerenter=${host.prefetch} @focus=${host.prefetch}>
        ${busy
          ? step === 'sending'
            ? copy.claim.busyClaiming
            : step === 'confirm'
              ? copy.claim.busyConfirm
              : step === 'working'
                ? copy.claim.busySealing
                : copy.claim.busyConnecting
          : ready
            ? copy.claim.button(card.handle)
            : copy.claim.connectAndClaim(card.handle)}
      </button>
      ${error ? html`<p part="error" class="error" id="claim-error">${error.message}</p>` : nothing}
    </form>`;
}
