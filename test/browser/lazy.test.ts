/**
 * What loads when. Before the first click only Lit, the element and the card's read path; the
 * full SDK, its crypto and the controller on the first click; web3-onboard only when no single
 * wallet can be used directly (several announced through EIP-6963). This file imports nothing of
 * the SDK itself, so that the page's resource list shows only what the element asked for.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/harmony-paid-chat.js';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
import { TestWallet } from '../support/test-wallet.js';

const LAZY = [
  /\/src\/element\/(chat|chat-controller|chat-views|session|key-actions|key-views|messaging|reads|wallet)\.ts/,
  /\/src\/sdk\/(client|keys|keyring|keystore-idb|backup|envelope|rpc|address)\.ts/,
  /__prebundled__\/ecies/,
];
const ONBOARD = /__prebundled__\/onboard/;

// The default buffer (250 entries) is too small for a page that loads viem as separate modules.
performance.setResourceTimingBufferSize(100_000);

function loaded(): string[] {
  return performance.getEntriesByType('resource').map((e) => e.name);
}

async function chain() {
  return (await fetch('/__chain__.json')).json();
}

async function until<T>(fn: () => T, what: string, timeout = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeout;
  for (;;) {
    const v = fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function element(c: any, provider?: TestWallet): Promise<HarmonyPaidChat> {
  const el = await fixture<HarmonyPaidChat>(html`<harmony-paid-chat
    handle="nobody-lazy"
    chain="local"
    rpc-url=${c.rpcUrl}
    contract=${c.contract}
    .provider=${provider}
  ></harmony-paid-chat>`);
  await until(() => el.card, 'the card');
  return el;
}

const part = (el: HTMLElement, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

/** The claim form asks for a backup passphrase (twice) before it connects and claims. */
function fillPassphrase(el: HarmonyPaidChat): void {
  for (const id of ['#claim-pass', '#claim-pass-confirm']) {
    const input = el.shadowRoot!.querySelector<HTMLInputElement>(id)!;
    input.value = 'a passphrase long enough';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
  }
}

describe('lazy loading and wallet discovery', () => {
  it('loads only the element and the card read path before the first click', async () => {
    const c = await chain();
    const el = await element(c);
    expect(part(el, 'claim-button')).to.exist;
    const before = loaded();
    expect(before.some((u) => u.includes('/src/sdk/card.ts'))).to.equal(true);
    for (const re of [...LAZY, ONBOARD]) expect(before.filter((u) => re.test(u)), String(re)).to.deep.equal([]);
  });

  it('uses the only wallet that announces itself (EIP-6963) without a modal, and loads the SDK on that click', async () => {
    const c = await chain();
    const w = new TestWallet({ index: 17, rpcUrl: c.rpcUrl, chainId: c.chainId, name: 'Solo Wallet' });
    const stop = w.announce();
    try {
      const el = await element(c);
      el.handle = 'lazy-solo';
      await until(() => el.card?.handle === 'lazy-solo', 'the new card');
      fillPassphrase(el);
      await el.updateComplete;
      expect(loaded().filter((u) => LAZY.some((re) => re.test(u))), 'nothing lazy loaded by typing').to.deep.equal([]);
      part(el, 'claim-button')!.click();
      await until(() => part(el, 'account'), 'the connected account line');
      expect(part(el, 'account')!.textContent).to.contain('(Solo Wallet)');
      expect(w.calls).to.include('eth_requestAccounts');
      const after = loaded();
      expect(after.some((u) => /\/src\/element\/chat\.ts/.test(u))).to.equal(true);
      expect(after.some((u) => /\/src\/sdk\/client\.ts/.test(u))).to.equal(true);
      expect(after.filter((u) => ONBOARD.test(u))).to.deep.equal([]);
      expect(document.querySelector('onboard-v2')).to.equal(null);
    } finally {
      stop();
    }
  });

  it('opens the web3-onboard modal (loaded on demand) when several wallets announce themselves', async function () {
    this.timeout(120_000);
    const c = await chain();
    const a = new TestWallet({ index: 18, rpcUrl: c.rpcUrl, chainId: c.chainId, name: 'Alpha Wallet' });
    const b = new TestWallet({ index: 19, rpcUrl: c.rpcUrl, chainId: c.chainId, name: 'Beta Wallet' });
    const stops = [a.announce(), b.announce()];
    try {
      const el = await element(c);
      fillPassphrase(el);
      await el.updateComplete;
      part(el, 'claim-button')!.click();
      const modal = await until(() => document.querySelector('onboard-v2'), 'the onboard modal', 90_000);
      expect(loaded().some((u) => ONBOARD.test(u))).to.equal(true);
      const choice = await until(
        () => [...(modal.shadowRoot?.querySelectorAll<HTMLElement>('button') ?? [])].find((x) => /Beta Wallet/.test(x.textContent ?? '')),
        'Beta Wallet in the modal',
        30_000,
      );
      expect(modal.shadowRoot!.textContent).to.contain('Alpha Wallet');
      choice.click();
      await until(() => part(el, 'account'), 'connected through onboard', 30_000);
      expect(part(el, 'account')!.textContent).to.contain(b.address.slice(0, 6));
    } finally {
      stops.forEach((s) => s());
    }
  });
});
