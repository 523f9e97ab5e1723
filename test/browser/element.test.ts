/**
 * The element as a piece of someone else's page: loaded twice, events that cross the shadow
 * boundary, ::part() and --harmony-* tokens, light / dark / auto, reduced motion, 320 px, nothing
 * put into the host page, and a real keyboard (sendKeys) from connect to delivered.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia, sendKeys, setViewport } from '@web/test-runner-commands';
import { HarmonyPaidChat, defineHarmonyPaidChat } from '../../src/element/harmony-paid-chat.js';
import { $, claim, connect, mount, nextEvent, part, text, waitFor, waitForPart, wallet } from './support/harness.js';

const HANDLE = 'host-page';

describe('<harmony-paid-chat> on a host page', () => {
  before(async () => {
    await claim(await wallet(13), HANDLE, '3', 2 * 86_400);
  });

  afterEach(async () => {
    await emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
  });

  it('is safe to load twice: the define guard leaves the first registration alone', async () => {
    const first = customElements.get('harmony-paid-chat');
    expect(first).to.equal(HarmonyPaidChat);
    // A second evaluation of the entry module (as when a page includes the script twice).
    const again = new URL('../../src/element/harmony-paid-chat.ts?loaded=twice', import.meta.url).href;
    const mod = await import(/* @vite-ignore */ again);
    expect(mod).not.to.equal(await import('../../src/element/harmony-paid-chat.js')); // really evaluated again
    expect(mod.HarmonyPaidChat).to.equal(HarmonyPaidChat);
    expect(customElements.get('harmony-paid-chat')).to.equal(first);

    // Another version of the element already registered: warn, keep it, do not throw.
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warnings.push(m);
    try {
      class Other extends HarmonyPaidChat {
        static override readonly version = '9.9.9';
      }
      expect(defineHarmonyPaidChat(Other)).to.equal(first);
    } finally {
      console.warn = warn;
    }
    expect(warnings.join('\n')).to.contain(`already registered by version ${HarmonyPaidChat.version}; this copy (version 9.9.9) is not used`);
  });

  it('shows the card from attributes, and reacts to attribute changes', async () => {
    const el = await mount({ handle: `@${HANDLE}` });
    expect(text(part(el, 'handle'))).to.equal('@host-page');
    expect(text(part(el, 'price'))).to.equal('3 ONE per message · replies within 2 days');
    expect(text(part(el, 'promise'))).to.equal("Refunded if @host-page doesn't reply within 2 days: you take your 3 ONE back here.");
    el.handle = 'Nobody-Yet';
    await waitFor(() => el.card?.handle === 'nobody-yet', { message: 'the new card' });
    expect(text(part(el, 'handle'))).to.equal('@nobody-yet is free — claim it');
    el.handle = '@not a handle!';
    await waitForPart(el, 'error');
    expect(text(part(el, 'error'))).to.contain('is not a valid handle');
    el.removeAttribute('handle');
    el.handle = '';
    await waitFor(() => /set the handle attribute/.test(text(part(el, 'error'))), { message: 'the missing-handle error' });
  });

  it('dispatches typed events that bubble and cross the shadow boundary', async () => {
    const w = await wallet(14);
    const el = await mount({ handle: `@${HANDLE}`, provider: w });
    const seen: Event[] = [];
    const onDoc = (e: Event) => seen.push(e);
    document.addEventListener('harmony-connect', onDoc);
    try {
      await connect(el, 'composer');
    } finally {
      document.removeEventListener('harmony-connect', onDoc);
    }
    expect(seen).to.have.length(1);
    const e = seen[0] as CustomEvent;
    expect(e.bubbles && e.composed).to.equal(true);
    expect(e.constructor.name).to.equal('HarmonyConnectEvent');
    expect(e.detail.address.toLowerCase()).to.equal(w.address.toLowerCase());
  });

  it('is styled through ::part() and --harmony-* tokens, puts nothing into the page', async () => {
    const headBefore = document.head.innerHTML;
    const sheetsBefore = document.styleSheets.length;
    const style = document.createElement('style');
    style.textContent = `
      .themed harmony-paid-chat { --harmony-color-accent: rgb(255, 0, 128); --harmony-radius: 3px; --harmony-font-family: monospace; }
      .themed harmony-paid-chat::part(connect-button) { text-transform: uppercase; }`;
    const wrapper = await fixture<HTMLDivElement>(html`<div class="themed"></div>`);
    document.head.append(style);
    try {
      const el = document.createElement('harmony-paid-chat') as HarmonyPaidChat;
      const c = await (await fetch('/__chain__.json')).json();
      Object.assign(el, { handle: HANDLE, chain: 'local', rpcUrl: c.rpcUrl, contract: c.contract });
      wrapper.append(el);
      await waitFor(() => el.card);
      const button = await waitForPart(el, 'connect-button');
      expect(getComputedStyle(button).backgroundColor).to.equal('rgb(255, 0, 128)');
      expect(getComputedStyle(button).textTransform).to.equal('uppercase');
      expect(getComputedStyle(part(el, 'base')!).borderRadius).to.equal('3px');
      expect(getComputedStyle(part(el, 'base')!).fontFamily).to.equal('monospace');
    } finally {
      style.remove();
    }
    expect(document.head.innerHTML).to.equal(headBefore);
    expect(document.styleSheets.length).to.equal(sheetsBefore);
    expect(document.fonts.size).to.equal(0);
  });

  it('light, dark, and auto following the system setting', async () => {
    const light = await mount({ handle: `@${HANDLE}` });
    const dark = await mount({ handle: `@${HANDLE}`, theme: 'dark' });
    const auto = await mount({ handle: `@${HANDLE}`, theme: 'auto' });
    const bg = (el: HTMLElement) => getComputedStyle(part(el, 'base')!).backgroundColor;
    expect(bg(light)).to.equal('rgb(255, 255, 255)');
    expect(bg(dark)).to.equal('rgb(18, 23, 28)');
    expect(bg(auto)).to.equal('rgb(255, 255, 255)');
    await emulateMedia({ colorScheme: 'dark' });
    expect(bg(auto)).to.equal('rgb(18, 23, 28)');
    expect(bg(light)).to.equal('rgb(255, 255, 255)');
    await expect(auto).to.be.accessible();
    (light as HarmonyPaidChat).theme = 'bogus' as never;
    await (light as HarmonyPaidChat).updateComplete;
    expect(light.getAttribute('theme')).to.equal('light');
  });

  it('respects prefers-reduced-motion', async () => {
    const el = await mount({ handle: `@${HANDLE}` });
    el.announce('Working…', 'busy');
    await el.updateComplete;
    const spinner = () => getComputedStyle(part(el, 'status')!, '::before').animationName;
    expect(spinner()).to.equal('harmony-spin');
    await emulateMedia({ reducedMotion: 'reduce' });
    expect(spinner()).to.equal('none');
    expect(getComputedStyle(part(el, 'connect-button')!).transitionDuration).to.equal('0s');
  });

  it('fits 320 px without horizontal scrolling, and grows to its max width', async () => {
    const w = await wallet(15);
    const narrow = await fixture<HTMLDivElement>(html`<div style="width: 320px"></div>`);
    const el = await mount({ handle: `@${HANDLE}`, provider: w });
    narrow.append(el);
    await connect(el, 'composer');
    const base = part(el, 'base')!;
    expect(base.getBoundingClientRect().width).to.be.at.most(320);
    expect(base.scrollWidth).to.be.at.most(base.clientWidth);
    const fits = (what: string) => {
      expect(base.scrollWidth, what).to.be.at.most(base.clientWidth);
      for (const node of el.shadowRoot!.querySelectorAll<HTMLElement>('button, input, textarea, a')) {
        expect(node.getBoundingClientRect().right, `${what}: ${node.outerHTML}`).to.be.at.most(base.getBoundingClientRect().right + 0.5);
      }
    };
    fits('the composer');
    // The key panel at 320 px: every field and button inside the box.
    (await waitForPart(el, 'keys-button')).click();
    await waitForPart(el, 'keys');
    fits('the key panel');
    // The claim form (a free handle) at 320 px.
    const free = await mount({ handle: '@free-at-320' });
    narrow.append(free);
    await free.updateComplete;
    const freeBase = part(free, 'base')!;
    expect(freeBase.scrollWidth, 'the claim form').to.be.at.most(freeBase.clientWidth);
    for (const node of free.shadowRoot!.querySelectorAll<HTMLElement>('button, input, select')) {
      expect(node.getBoundingClientRect().right, node.outerHTML).to.be.at.most(freeBase.getBoundingClientRect().right + 0.5);
    }
    await setViewport({ width: 1400, height: 900 });
    const wide = await fixture<HTMLDivElement>(html`<div style="width: 1200px"></div>`);
    wide.append(el);
    await el.updateComplete;
    expect(part(el, 'base')!.getBoundingClientRect().width).to.equal(640); // --harmony-max-width: 40rem
  });

  it('works with the keyboard alone: Tab, Enter, typing', async () => {
    const w = await wallet(16);
    const before = await fixture<HTMLButtonElement>(html`<button>before</button>`);
    const el = await mount({ handle: `@${HANDLE}`, provider: w });
    before.after(el);
    before.focus();
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'connect-button'));
    await sendKeys({ press: 'Enter' });
    await waitForPart(el, 'composer');
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#draft'), { message: 'focus moved to the composer' });
    await sendKeys({ type: 'Typed with keys' });
    await el.updateComplete;
    expect(text(part(el, 'counter'))).to.equal('15 / 140 bytes');
    await sendKeys({ press: 'Tab' }); // amount
    expect(el.shadowRoot!.activeElement).to.equal($(el, '#amount'));
    await sendKeys({ press: 'Tab' }); // send
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'send-button'));
    const sent = nextEvent(el, 'harmony-message-sent');
    await sendKeys({ press: 'Enter' });
    await sent;
    await waitFor(() => el.shadowRoot!.activeElement === part(el, 'receipt'), { message: 'focus on the receipt' });
  });
});
