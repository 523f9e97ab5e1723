/**
 * Any theme: the widget's size and layout do not depend on the page. It is rendered on a plain page
 * and under real resets and themes — Tailwind 4's preflight and Bootstrap 5's reboot (the files
 * from their npm packages), a WordPress-like theme with `html { font-size: 62.5% }`, a theme that
 * shouts (`text-transform: uppercase`, letter and word spacing, a monospace font, centred text,
 * line height 3 on body) and one with a universal selector (`* { … }`, which reaches the host
 * element itself) — and the element's box and its key inner boxes are compared with the plain
 * page's, to within 1.5 px. Both the first load (the card) and the connected view (conversation,
 * composer) are measured.
 */
import { expect } from '@open-wc/testing';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
import { $, $$, claim, connect, mount, part, sdk, waitFor, wallet, type TestWallet } from './support/harness.js';

const HANDLE = 'theme-creator';

async function tailwindPreflight(): Promise<string> {
  const css = await (await fetch('/node_modules/tailwindcss/preflight.css')).text();
  // Tailwind's build turns `--theme(--x, fallback)` into the theme value or its fallback: no theme here.
  return css.replace(/--theme\(\s*(--[\w-]+)\s*,/g, 'var($1,');
}

async function bootstrapReboot(): Promise<string> {
  return (await fetch('/node_modules/bootstrap/dist/css/bootstrap-reboot.css')).text();
}

const THEMES: Record<string, () => Promise<string> | string> = {
  'Tailwind 4 preflight': tailwindPreflight,
  'Bootstrap 5 reboot': bootstrapReboot,
  'WordPress-like (html 62.5 %)': () =>
    `html { font-size: 62.5%; } body { font: 1.6rem/1.8 Georgia, 'Times New Roman', serif; color: #333; letter-spacing: 0.02em; }
     button, input, textarea { font-size: 1.4rem; }`,
  'shouting theme': () =>
    `body { text-transform: uppercase; letter-spacing: 0.2em; word-spacing: 0.5em; font-family: 'Courier New', monospace; font-size: 22px;
      line-height: 3; text-align: center; font-weight: 700; font-style: italic; text-indent: 2em; white-space: pre; color: rebeccapurple; }`,
  'universal selector': () => `* { letter-spacing: 0.1em; line-height: 2.2; font-family: serif; text-transform: capitalize; font-size: 19px; box-sizing: content-box; }`,
};

type Box = { x: number; y: number; w: number; h: number };

/** The boxes that make the layout, relative to the element's own top-left corner. */
function boxes(el: HTMLElement, selectors: string[]): Record<string, Box> {
  const origin = el.getBoundingClientRect();
  const out: Record<string, Box> = { host: { x: 0, y: 0, w: origin.width, h: origin.height } };
  for (const s of selectors) {
    const n = $(el, s);
    if (!n) throw new Error(`${s} is not shown`);
    const r = n.getBoundingClientRect();
    out[s] = { x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height };
  }
  return out;
}

function differences(a: Record<string, Box>, b: Record<string, Box>, tolerance = 1.5): string[] {
  const out: string[] = [];
  for (const [k, box] of Object.entries(a)) {
    const o = b[k]!;
    for (const f of ['x', 'y', 'w', 'h'] as const) {
      if (Math.abs(box[f] - o[f]) > tolerance) out.push(`${k}.${f}: ${o[f].toFixed(1)} instead of ${box[f].toFixed(1)}`);
    }
  }
  return out;
}

const CARD = ['[part~="header"]', '[part~="avatar"]', '[part~="handle"]', '[part~="price"]', '[part~="promise"]', '[part~="connect-button"]'];
const CONNECTED = [
  '[part~="account"]',
  '[part~="conversation"]',
  '[part~="message"]',
  '[part~="message-text"]',
  '[part~="message-meta"]',
  '[part~="composer"]',
  '#draft',
  '[part~="counter"]',
  '#amount',
  '[part~="send-button"]',
];

async function inContainer(el: HarmonyPaidChat): Promise<void> {
  const box = el.parentElement!;
  box.style.width = '380px';
  await el.updateComplete;
}

describe('any theme: the same size and layout under real resets', () => {
  let visitor: TestWallet;

  before(async () => {
    const creator = await wallet(45);
    visitor = await wallet(46);
    await claim(creator, HANDLE, '1');
    await (await sdk(visitor, HANDLE)).send({ to: HANDLE, text: 'The same on every site?' });
  });

  /** The same words in the page's own DOM: the theme does change those (a control that must differ). */
  function control(): Box {
    const div = document.createElement('div');
    div.style.width = '380px';
    div.innerHTML = '<p>Paid inbox of @theme-creator</p><button>Connect wallet to write</button>';
    document.body.append(div);
    const r = div.getBoundingClientRect();
    div.remove();
    return { x: 0, y: 0, w: r.width, h: r.height };
  }

  async function measure(): Promise<{ card: Record<string, Box>; connected: Record<string, Box>; font: string }> {
    const el = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await inContainer(el);
    const card = boxes(el, CARD);
    const font = getComputedStyle(part(el, 'handle')!).fontFamily;
    await connect(el, 'composer');
    await waitFor(() => $$(el, '[part~="conversation"] [part~="message"]').length === 1, { message: 'the conversation' });
    await el.updateComplete;
    const connected = boxes(el, CONNECTED);
    el.remove();
    return { card, connected, font };
  }

  it('Tailwind preflight, Bootstrap reboot, WordPress 62.5 %, inherited text styles, a universal selector: within 1.5 px of a plain page', async function () {
    this.timeout(120_000);
    const plain = await measure();
    const plainControl = control();
    expect(plain.font).to.contain('system-ui'); // the widget's own font stack, not the page's
    const failures: string[] = [];
    for (const [name, css] of Object.entries(THEMES)) {
      const style = document.createElement('style');
      style.textContent = await css();
      document.head.append(style);
      try {
        expect(control().h, `${name} changes the page's own text`).not.to.be.closeTo(plainControl.h, 1);
        const themed = await measure();
        const diff = [...differences(plain.card, themed.card), ...differences(plain.connected, themed.connected)];
        console.log(`[measure] ${name}: host ${themed.card.host!.w.toFixed(1)}×${themed.card.host!.h.toFixed(1)} (plain ${plain.card.host!.w.toFixed(1)}×${plain.card.host!.h.toFixed(1)}), connected ${themed.connected.host!.h.toFixed(1)} (plain ${plain.connected.host!.h.toFixed(1)}); ${diff.length} differences`);
        if (diff.length) failures.push(`${name}: ${diff.join('; ')}`);
      } finally {
        style.remove();
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('a theme does reach what it may: the public custom properties and parts', async () => {
    const style = document.createElement('style');
    style.textContent = `harmony-paid-chat { --harmony-font-size: 20px; --harmony-font-family: serif; } harmony-paid-chat::part(connect-button) { text-transform: uppercase; }`;
    document.head.append(style);
    try {
      const el = await mount({ handle: `@${HANDLE}` });
      await inContainer(el);
      expect(getComputedStyle(part(el, 'handle')!).fontFamily).to.equal('serif');
      expect(getComputedStyle(part(el, 'price')!).fontSize).to.equal('20px');
      expect(getComputedStyle(part(el, 'connect-button')!).textTransform).to.equal('uppercase');
    } finally {
      style.remove();
    }
  });
});
