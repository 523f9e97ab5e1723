/**
 * axe reports no violations in any state: loading, free handle (claim form with its passphrase
 * fields), visitor before and after connecting, sending, delivered, error, backup hint, the key
 * panel (visitor and creator), no wallet, creator inbox, settings (with sites and the email field),
 * dark and auto themes. (The key states of other tests — restore, wrong file, sign-out warning, a
 * label for each read state, a creator on another site — run axe where they happen.) Also: one
 * live region, labelled controls, keyboard, focus moved into and out of the key panel.
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
import { createPaidChat } from '../../src/sdk/client.js';
import { memoryKeyStore } from '../../src/sdk/keystore.js';
import {
  $,
  $$,
  PASSPHRASE,
  chainInfo,
  claim,
  click,
  connect,
  mount,
  nextEvent,
  part,
  prompts,
  sdk,
  text,
  type,
  waitFor,
  waitForPart,
  wallet,
  type TestWallet,
} from './support/harness.js';

const HANDLE = 'a11y-creator';

function liveRegions(el: HarmonyPaidChat) {
  return $$(el, '[role="status"], [role="alert"], [aria-live]');
}

describe('accessibility', () => {
  let creator: TestWallet;
  let visitor: TestWallet;

  before(async () => {
    creator = await wallet(11);
    visitor = await wallet(12);
    await claim(creator, HANDLE, '2');
    const chat = await sdk(visitor, HANDLE);
    await chat.send({ to: HANDLE, text: 'An earlier question, still waiting.' });
  });

  it('axe itself is active (a control that must fail)', async () => {
    const bad = await fixture(html`<div><img src="data:," /><button></button></div>`);
    await expect(bad).not.to.be.accessible();
  });

  it('loading and a network error', async function () {
    this.timeout(30_000);
    const c = await chainInfo();
    const el = await mount({ handle: `@${HANDLE}`, rpcUrl: c.closedRpcUrl }, false);
    expect(text(part(el, 'price'))).to.equal('Loading…');
    await expect(el).to.be.accessible();
    await waitForPart(el, 'retry-button', 20_000);
    await expect(el).to.be.accessible();
    expect(liveRegions(el)).to.have.length(1);
  });

  it('a free handle: the claim form, valid and invalid (passphrase too short, not repeated)', async () => {
    const el = await mount({ handle: '@free-for-all' });
    expect(text(part(el, 'handle'))).to.equal('@free-for-all is free — claim it');
    await expect(el).to.be.accessible();
    type($<HTMLInputElement>(el, '#claim-price')!, '-1');
    type($<HTMLInputElement>(el, '#claim-window')!, '45');
    type($<HTMLInputElement>(el, '#claim-pass')!, 'too short');
    type($<HTMLInputElement>(el, '#claim-pass-confirm')!, 'different');
    await el.updateComplete;
    expect(text($(el, '#claim-price-error'))).to.contain('Enter a price in ONE');
    expect(text($(el, '#claim-window-error'))).to.contain('between 1 hour and 30 days');
    expect(text($(el, '#claim-pass-error'))).to.equal('Use at least 12 characters.');
    expect(text($(el, '#claim-pass-confirm-error'))).to.equal('The two passphrases differ.');
    expect($(el, '#claim-pass')!.getAttribute('aria-describedby')).to.equal('claim-pass-error claim-pass-hint');
    expect(part(el, 'claim-button')!.getAttribute('aria-disabled')).to.equal('true');
    await expect(el).to.be.accessible();

    // Submitting anyway moves focus to the first field to fix; nothing is loaded or asked.
    type($<HTMLInputElement>(el, '#claim-price')!, '1');
    type($<HTMLInputElement>(el, '#claim-window')!, '7');
    await el.updateComplete;
    part<HTMLButtonElement>(el, 'claim-button')!.click();
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#claim-pass'), { message: 'focus on the passphrase' });
    type($<HTMLInputElement>(el, '#claim-pass')!, PASSPHRASE);
    type($<HTMLInputElement>(el, '#claim-pass-confirm')!, PASSPHRASE);
    await el.updateComplete;
    expect(part(el, 'claim-button')!.getAttribute('aria-disabled')).to.equal('false');
    expect($(el, '#claim-pass-error')).to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('a visitor: before connecting, connected, an error, delivered', async () => {
    const el = await mount({ handle: `@${HANDLE}`, provider: visitor });
    expect(text(part(el, 'price'))).to.equal('2 ONE per message · replies within 7 days');
    await expect(el).to.be.accessible();
    await connect(el, 'composer');
    await waitFor(() => part(el, 'conversation'), { message: 'the conversation' });
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#draft'), { message: 'focus in the composer after connecting' });
    await expect(el).to.be.accessible();

    type($<HTMLTextAreaElement>(el, '#draft')!, '😀'.repeat(36));
    await el.updateComplete;
    await expect(el).to.be.accessible(); // over the limit

    type($<HTMLTextAreaElement>(el, '#draft')!, 'Is this accessible?');
    await el.updateComplete;
    visitor.rejectNext();
    const failed = nextEvent(el, 'harmony-error');
    part<HTMLButtonElement>(el, 'send-button')!.click();
    await failed;
    await expect(el).to.be.accessible(); // error

    const sent = nextEvent(el, 'harmony-message-sent');
    part<HTMLButtonElement>(el, 'send-button')!.click();
    await sent;
    await waitForPart(el, 'receipt');
    await expect(el).to.be.accessible(); // delivered
    expect(liveRegions(el)).to.have.length(1);

    // The gentle backup hint, then the key panel: focus goes in, Escape brings it back.
    const hint = await waitForPart(el, 'backup-hint');
    await expect(el).to.be.accessible();
    hint.querySelector('button')!.click();
    await waitForPart(el, 'keys');
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#pass-new'), { message: 'focus on the new passphrase' });
    expect(part(el, 'keys-button')!.getAttribute('aria-expanded')).to.equal('true');
    expect(text(part(el, 'key-status'))).to.contain('Conversation key with @a11y-creator: in this browser.');
    await expect(el).to.be.accessible();
    part<HTMLButtonElement>(el, 'passphrase-button')!.click(); // empty: says what to fix, asks nothing
    await waitFor(() => $(el, '#pass-new-problem'), { message: 'the passphrase problem' });
    await expect(el).to.be.accessible();
    $(el, '#pass-new')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await waitFor(() => part(el, 'keys') === null, { message: 'the panel closed' });
    await waitFor(() => el.shadowRoot!.activeElement === part(el, 'keys-button'), { message: 'focus back on the keys button' });
  });

  it('no wallet at all: a short explanation and where to get one', async () => {
    expect((window as any).ethereum).to.equal(undefined);
    const el = await mount({ handle: `@${HANDLE}` });
    await click(el, 'connect-button');
    const notice = await waitForPart(el, 'no-wallet');
    expect(text(notice)).to.contain('you need a crypto wallet');
    const link = notice.querySelector<HTMLAnchorElement>('a')!;
    expect(link.href).to.equal('https://metamask.io/download/');
    expect(link.rel).to.equal('noopener noreferrer');
    await waitFor(() => el.shadowRoot!.activeElement === notice, { message: 'focus on the explanation' });
    await expect(el).to.be.accessible();
  });

  it('the creator: inbox, key panel, settings with sites and email', async () => {
    const el = await mount({ handle: `@${HANDLE}`, provider: creator, notifierUrl: 'http://127.0.0.1:9/notifier' });
    await connect(el, 'inbox');
    await waitFor(() => $$(el, '[part~="inbox"] [part~="message"]').length >= 2, { message: 'the inbox' });
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#inbox-title'), { message: 'focus on the inbox heading' });
    await expect(el).to.be.accessible();

    await click(el, 'keys-button');
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#keys-title'), { message: 'focus on the key panel heading' });
    expect(text(part(el, 'key-status'))).to.contain('Current inbox key: #1 (in this browser).');
    expect(part(el, 'rotate-button')).to.exist;
    await expect(el).to.be.accessible();
    await click(el, 'sign-out-button'); // keys not backed up: a warning first, nothing forgotten
    await waitForPart(el, 'sign-out-warning');
    await waitFor(() => el.shadowRoot!.activeElement === part(el, 'sign-out-warning'), { message: 'focus on the warning' });
    expect(text(part(el, 'sign-out-warning'))).to.contain('not in a backup');
    await expect(el).to.be.accessible();
    part(el, 'sign-out-warning')!.querySelector<HTMLButtonElement>('button.secondary')!.click(); // keep my keys
    await waitForPart(el, 'sign-out-button');
    await click(el, 'keys-button');

    const settings = part<HTMLDetailsElement>(el, 'settings')!;
    settings.open = true;
    await waitFor(() => $<HTMLInputElement>(el, '#settings-price')?.value === '2', { message: 'the settings filled in' });
    expect($<HTMLInputElement>(el, '#settings-window')!.value).to.equal('7');
    expect($<HTMLTextAreaElement>(el, '#settings-sites')!.value).to.equal(location.origin);
    expect(part(el, 'email-input')).to.exist;
    expect(text($(el, 'label[for="settings-email"]'))).to.equal('Email me about new messages');
    await expect(el).to.be.accessible();
  });

  it('a creator on a page that is not one of their sites: the plain notice, nothing that makes or restores keys', async () => {
    const c = await chainInfo();
    const owner = await wallet(37);
    await owner.request({ method: 'eth_requestAccounts' });
    const elsewhere = createPaidChat({ chain: 'local', rpcUrl: c.rpcUrl, contract: c.contract, wallet: owner as any, keyStore: memoryKeyStore(), scope: { handle: 'elsewhere', origin: 'https://elsewhere.example' } });
    await elsewhere.claimHandle({ handle: 'elsewhere', price: '1' });
    const el = await mount({ handle: '@elsewhere', provider: owner });
    await connect(el, 'site-notice');
    expect(text(part(el, 'site-notice'))).to.match(/^Your inbox opens only on your sites: https:\/\/elsewhere\.example\. This page \(http:\/\/[^)]+\) is not one of them/);
    await waitFor(() => el.shadowRoot!.activeElement === part(el, 'site-notice'), { message: 'focus on the notice' });
    for (const p of ['keys-button', 'keys', 'inbox', 'restore-file', 'rotate-button', 'settings']) expect(part(el, p), p).to.equal(null);
    await expect(el).to.be.accessible();
    expect(prompts(owner.calls)).to.deep.equal(['eth_sendTransaction']); // the claim above; nothing here
  });

  it('dark and auto themes', async () => {
    const dark = await mount({ handle: `@${HANDLE}`, provider: creator, theme: 'dark' });
    expect(dark.getAttribute('theme')).to.equal('dark');
    const bg = getComputedStyle(part(dark, 'base')!).backgroundColor;
    expect(bg).to.equal('rgb(18, 23, 28)');
    await expect(dark).to.be.accessible();
    await connect(dark, 'inbox');
    await waitFor(() => $$(dark, '[part~="inbox"] [part~="message"]').length >= 2, { message: 'the dark inbox' });
    await expect(dark).to.be.accessible();

    const auto = await mount({ handle: `@${HANDLE}`, theme: 'auto' });
    await expect(auto).to.be.accessible();
    const free = await mount({ handle: '@free-in-the-dark', theme: 'dark' });
    await expect(free).to.be.accessible();
  });

  it('is usable by keyboard: every control is a native, labelled, focusable control', async () => {
    const el = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await connect(el, 'composer');
    for (const control of $$(el, 'button, input, textarea, select, a[href], summary')) {
      expect(control.tabIndex, control.outerHTML).to.be.at.least(0);
    }
    for (const field of $$<HTMLInputElement>(el, 'input, textarea, select')) {
      const labelled = field.labels?.length || field.getAttribute('aria-label');
      expect(labelled, field.outerHTML).to.be.ok;
    }
  });
});
