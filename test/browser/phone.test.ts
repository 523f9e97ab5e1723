/**
 * Phones: a 320 px wide viewport with a phone's user agent (Chromium's own emulation through the
 * test runner). Without a wallet in the browser the widget offers what works there — links that
 * reopen the page inside wallet apps' browsers, and WalletConnect when the site set its project id
 * — and every state lays out in 320 px with touch targets of at least 44 × 44 px (measured).
 *
 * WalletConnect's relay is not reachable from here: the tests check the wiring (the attribute puts
 * WalletConnect's module into web3-onboard's init with the project id and the required chain, it
 * loads only when asked for, and the provider it yields is used) with web3-onboard's core replaced
 * by a recorder that answers with a test wallet. The real module is loaded and initialised.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { setUserAgent, setViewport } from '@web/test-runner-commands';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
import { onboardLoaders, walletAppLinks } from '../../src/element/wallet.js';
import { $, $$, chainInfo, claim, click, connect, mount, part, sdk, text, waitFor, waitForPart, wallet, type TestWallet } from './support/harness.js';

const HANDLE = 'phone-creator';
/** A project id of WalletConnect's shape (32 hexadecimal characters). */
const PROJECT_ID = '0123456789abcdef0123456789abcdef';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** Every visible control and stand-alone link smaller than 44 × 44 px, described. */
export function smallTargets(el: HTMLElement): string[] {
  return $$(el, 'button, a[href], input, select, textarea, summary')
    .filter((n) => {
      const r = n.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(n).visibility !== 'hidden';
    })
    .filter((n) => {
      const r = n.getBoundingClientRect();
      return r.width < 44 - 0.5 || r.height < 44 - 0.5;
    })
    .map((n) => {
      const r = n.getBoundingClientRect();
      return `${n.tagName.toLowerCase()}[part="${n.getAttribute('part') ?? ''}"] "${text(n).slice(0, 30)}" ${r.width.toFixed(1)}×${r.height.toFixed(1)}`;
    });
}

/** Anything sticking out of the element's box (a layout that does not fit 320 px). */
function overflowing(el: HTMLElement): string[] {
  const box = el.getBoundingClientRect();
  return $$(el, '*')
    .filter((n) => {
      const r = n.getBoundingClientRect();
      return r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5) && !n.classList.contains('sr-only');
    })
    .map((n) => `${n.tagName.toLowerCase()}.${n.className} ${n.getBoundingClientRect().right.toFixed(1)} > ${box.right.toFixed(1)}`);
}

describe('phones (320 px, a phone user agent)', () => {
  let creator: TestWallet;

  before(async () => {
    await setViewport({ width: 320, height: 640 });
    await setUserAgent(IPHONE);
    creator = await wallet(42);
    await claim(creator, HANDLE, '1');
  });

  after(async () => {
    await setViewport({ width: 800, height: 600 });
  });

  it('without a wallet: links into wallet apps, WalletConnect when configured; fits, 44 px targets, axe clean', async () => {
    expect(navigator.userAgent).to.contain('iPhone');
    expect((globalThis as { ethereum?: unknown }).ethereum).to.equal(undefined);
    const c = await chainInfo();
    const el = await fixture<HarmonyPaidChat>(html`<harmony-paid-chat handle=${`@${HANDLE}`} chain="local" rpc-url=${c.rpcUrl} contract=${c.contract}
      walletconnect-project-id=${PROJECT_ID}></harmony-paid-chat>`);
    await waitFor(() => el.card, { message: 'the card' });
    expect(el.getBoundingClientRect().width).to.be.at.most(320);
    expect(smallTargets(el), 'targets before connecting').to.deep.equal([]);
    expect(overflowing(el)).to.deep.equal([]);

    await click(el, 'connect-button');
    const notice = await waitForPart(el, 'no-wallet');
    expect(notice.dataset.phone).to.equal('true');
    expect(text(notice)).to.contain('This browser has no wallet. Open this page in your wallet app');
    const links = $$<HTMLAnchorElement>(el, '[part~="wallet-link"]');
    const here = location.href;
    expect(links.map((a) => [text(a), a.href])).to.deep.equal([
      ['Open in MetaMask', `https://link.metamask.io/dapp/${here.replace(/^https?:\/\//, '')}`],
      ['Open in Trust Wallet', `https://link.trustwallet.com/open_url?coin_id=60&url=${encodeURIComponent(here)}`],
      ['Open in Coinbase Wallet', `https://go.cb-w.com/dapp?cb_url=${encodeURIComponent(here)}`],
    ]);
    expect(walletAppLinks('https://example.com/a?b=1#c')[0]!.url).to.equal('https://link.metamask.io/dapp/example.com/a?b=1#c');
    expect(part(el, 'walletconnect-button')).to.exist;
    expect(smallTargets(el), 'targets of the no-wallet state').to.deep.equal([]);
    expect(overflowing(el)).to.deep.equal([]);
    await expect(el).to.be.accessible();

    // Without the attribute there is no WalletConnect button.
    const plain = await mount({ handle: `@${HANDLE}` });
    await click(plain, 'connect-button');
    await waitForPart(plain, 'no-wallet');
    expect(part(plain, 'walletconnect-button')).to.equal(null);
    expect($$(plain, '[part~="wallet-link"]')).to.have.length(3);
  });

  it('WalletConnect wiring: the attribute puts the module (project id, Harmony as the required chain) into web3-onboard, loaded on demand; its provider is used', async () => {
    const c = await chainInfo();
    const phoneWallet = await wallet(43);
    const inits: any[] = [];
    const connectCalls: unknown[] = [];
    const wcOptions: any[] = [];
    const saved = { ...onboardLoaders };
    let wcLoads = 0;
    onboardLoaders.core = async () => ({
      default: (init: any) => {
        inits.push(init);
        return {
          connectWallet: async (opts?: unknown) => {
            connectCalls.push(opts);
            return [{ label: 'WalletConnect', provider: phoneWallet }];
          },
        };
      },
    });
    onboardLoaders.walletConnect = async () => {
      wcLoads++;
      const real = await saved.walletConnect();
      return { default: (opts: any) => (wcOptions.push(opts), real.default(opts)) };
    };
    try {
      const el = await fixture<HarmonyPaidChat>(html`<harmony-paid-chat handle=${`@${HANDLE}`} chain="local" rpc-url=${c.rpcUrl} contract=${c.contract}
        walletconnect-project-id=${PROJECT_ID}></harmony-paid-chat>`);
      await waitFor(() => el.card, { message: 'the card' });
      await click(el, 'connect-button');
      await waitForPart(el, 'no-wallet');
      expect(wcLoads, 'nothing of WalletConnect before it is asked for').to.equal(0);
      await click(el, 'walletconnect-button');
      await waitForPart(el, 'composer');
      expect(wcLoads).to.equal(1);
      expect(wcOptions).to.deep.equal([{ projectId: PROJECT_ID, requiredChains: [c.chainId], optionalChains: [1_666_600_000, 1_666_700_000], dappUrl: location.href }]);
      expect(inits).to.have.length(1);
      const init = inits[0];
      expect(init.wallets, 'WalletConnect alone (no injected wallet here)').to.have.length(1);
      const module = init.wallets[0]({ device: { type: 'mobile', os: { name: 'iOS', version: '17.5' }, browser: { name: 'Safari', version: '17.5' } } });
      expect(module.label).to.equal('WalletConnect');
      expect(module.getInterface).to.be.a('function'); // it would open the relay session (not reachable here)
      expect(init.chains[0]).to.deep.include({ id: `0x${c.chainId.toString(16)}`, rpcUrl: c.rpcUrl });
      expect(init.disableFontDownload).to.equal(true);
      expect(connectCalls).to.deep.equal([{ autoSelect: { label: 'WalletConnect', disableModals: true } }]);
      expect(text(part(el, 'account'))).to.contain('(WalletConnect)');
      expect(text(part(el, 'account'))).to.contain(phoneWallet.address.slice(0, 6));
      // Disconnecting ends the WalletConnect session in the wallet app too.
      let ended = 0;
      (phoneWallet as unknown as { disconnect(): Promise<void> }).disconnect = async () => void ended++;
      await click(el, 'disconnect-button');
      await waitForPart(el, 'connect-button');
      expect(ended).to.equal(1);
    } finally {
      Object.assign(onboardLoaders, saved);
    }
  });

  it('a walletconnect-project-id that is not a project id: the button says so, and nothing of WalletConnect loads', async () => {
    const c = await chainInfo();
    const saved = { ...onboardLoaders };
    let loads = 0;
    onboardLoaders.core = async () => (loads++, saved.core());
    onboardLoaders.walletConnect = async () => (loads++, saved.walletConnect());
    try {
      const el = await fixture<HarmonyPaidChat>(html`<harmony-paid-chat handle=${`@${HANDLE}`} chain="local" rpc-url=${c.rpcUrl} contract=${c.contract}
        walletconnect-project-id="my-site"></harmony-paid-chat>`);
      await waitFor(() => el.card, { message: 'the card' });
      await click(el, 'connect-button');
      await waitForPart(el, 'no-wallet');
      const errors: string[] = [];
      el.addEventListener('harmony-error', (e) => errors.push((e as Event & { detail: { code: string } }).detail.code));
      await click(el, 'walletconnect-button');
      await waitFor(() => errors.length > 0, { message: 'the error' });
      expect(errors).to.deep.equal(['WALLETCONNECT_PROJECT_ID_INVALID']);
      await waitFor(() => /32-character project id/.test(el.shadowRoot!.textContent ?? ''), { message: 'the error shown' });
      expect(loads, 'nothing loaded').to.equal(0);
    } finally {
      Object.assign(onboardLoaders, saved);
    }
  });

  it('a visitor and the creator at 320 px: conversation, composer, inbox tools and settings keep 44 px targets and fit', async () => {
    const visitor = await wallet(44);
    const chat = await sdk(visitor, HANDLE);
    const sent = await chat.send({ to: HANDLE, text: 'From a phone: does this fit?' });
    const creatorChat = await sdk(creator, HANDLE);
    await creatorChat.reply({ id: sent.id, text: 'It fits.' });
    await chat.postFollowUp({ with: HANDLE, text: 'Great, thanks.' });

    const v = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await connect(v, 'composer');
    await waitFor(() => $$(v, '[part~="conversation"] [part~="message"]').length === 2, { message: 'the conversation' });
    await waitForPart(v, 'follow-up-form');
    expect(smallTargets(v), 'visitor targets').to.deep.equal([]);
    expect(overflowing(v)).to.deep.equal([]);
    await expect(v).to.be.accessible();

    const el = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(el, 'inbox');
    await waitForPart(el, 'inbox-tools');
    part<HTMLDetailsElement>(el, 'settings')!.open = true;
    $<HTMLButtonElement>(el, '[part~="thread-button"]')!.click();
    await waitForPart(el, 'follow-up-form');
    await el.updateComplete;
    expect(smallTargets(el), 'creator targets').to.deep.equal([]);
    expect(overflowing(el)).to.deep.equal([]);
    await expect(el).to.be.accessible();
  });
});
