/**
 * axe reports no violations in any state: loading, free handle (claim form), visitor before and
 * after connecting, sending, delivered, error, no wallet, creator locked, creator inbox, settings
 * (with the email field), dark and auto themes. Also: one live region, labelled controls, keyboard.
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
import {
  $,
  $$,
  chainInfo,
  claim,
  click,
  connect,
  mount,
  nextEvent,
  part,
  sdk,
  text,
  type,
  waitFor,
  waitForPart,
  waitForStatus,
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
    const chat = await sdk(visitor);
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

  it('a free handle: the claim form, valid and invalid', async () => {
    const el = await mount({ handle: '@free-for-all' });
    expect(text(part(el, 'handle'))).to.equal('@free-for-all is free — claim it');
    await expect(el).to.be.accessible();
    type($<HTMLInputElement>(el, '#claim-price')!, '-1');
    type($<HTMLInputElement>(el, '#claim-window')!, '45');
    await el.updateComplete;
    expect(text($(el, '#claim-price-error'))).to.contain('Enter a price in ONE');
    expect(text($(el, '#claim-window-error'))).to.contain('between 1 hour and 30 days');
    expect(part(el, 'claim-button')!.getAttribute('aria-disabled')).to.equal('true');
    await expect(el).to.be.accessible();
  });

  it('a visitor: before connecting, connected, an error, delivered', async () => {
    const el = await mount({ handle: `@${HANDLE}`, provider: visitor });
    expect(text(part(el, 'price'))).to.equal('2 ONE per message · replies within 7 days');
    await expect(el).to.be.accessible();
    await connect(el, 'composer');
    await waitFor(() => part(el, 'outbox'), { message: 'the outbox' });
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
    await expect(el).to.be.accessible(); // delivered, outbox unlocked
    expect(liveRegions(el)).to.have.length(1);
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

  it('the creator: locked, unlocked inbox, settings with email', async () => {
    const el = await mount({ handle: `@${HANDLE}`, provider: creator, notifierUrl: 'http://127.0.0.1:9/notifier' });
    await connect(el, 'unlock-button');
    expect(text(part(el, 'locked'))).to.contain('Unlock inbox');
    await waitFor(() => el.shadowRoot!.activeElement === part(el, 'unlock-button'), { message: 'focus on Unlock inbox' });
    await expect(el).to.be.accessible();

    await click(el, 'unlock-button');
    await waitFor(() => part(el, 'inbox') && $$(el, '[part~="inbox"] [part~="message"]').length >= 2, { message: 'the inbox' });
    await waitForStatus(el, /Unlocked\. \d+ messages?\./);
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#inbox-title'), { message: 'focus on the inbox heading' });
    await expect(el).to.be.accessible();

    const settings = part<HTMLDetailsElement>(el, 'settings')!;
    settings.open = true;
    await waitFor(() => $<HTMLInputElement>(el, '#settings-price')?.value === '2', { message: 'the settings filled in' });
    expect($<HTMLInputElement>(el, '#settings-window')!.value).to.equal('7');
    expect(part(el, 'email-input')).to.exist;
    expect(text($(el, 'label[for="settings-email"]'))).to.equal('Email me about new messages');
    await expect(el).to.be.accessible();
  });

  it('dark and auto themes', async () => {
    const dark = await mount({ handle: `@${HANDLE}`, provider: creator, theme: 'dark' });
    expect(dark.getAttribute('theme')).to.equal('dark');
    const bg = getComputedStyle(part(dark, 'base')!).backgroundColor;
    expect(bg).to.equal('rgb(18, 23, 28)');
    await expect(dark).to.be.accessible();
    await connect(dark, 'unlock-button');
    await click(dark, 'unlock-button');
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
