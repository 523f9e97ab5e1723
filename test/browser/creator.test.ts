/**
 * The creator's side beyond the main story: deadlines that are close stand out, settings (price,
 * window, follow-up price, email), a wallet that switches accounts, a returning visitor who reads
 * without any prompt, and clean-up when the element leaves the page.
 */
import { expect } from '@open-wc/testing';
import {
  $,
  $$,
  chainInfo,
  claim,
  click,
  connect,
  increaseTime,
  mount,
  nextEvent,
  part,
  prompts,
  rpc,
  sdk,
  text,
  type,
  waitFor,
  waitForPart,
  waitForStatus,
  wallet,
  type TestWallet,
} from './support/harness.js';

const HANDLE = 'creator-view';

describe('creator', () => {
  let creator: TestWallet;
  let visitor: TestWallet;

  before(async () => {
    creator = await wallet(21);
    visitor = await wallet(22);
    await claim(creator, HANDLE, '1', 2 * 86_400);
    const chat = await sdk(visitor, HANDLE);
    await chat.send({ to: HANDLE, text: 'First, sent early' });
    await increaseTime(86_400 + 3_600); // 23 h left for the first one
    await chat.send({ to: HANDLE, text: 'Second, plenty of time' });
  });

  it('shows the inbox newest first, and makes close deadlines stand out', async () => {
    const el = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(el, 'inbox');
    await waitFor(() => $$(el, '[part~="inbox"] [part~="message"]').length === 2, { message: 'two messages' });
    const [newest, oldest] = $$(el, '[part~="inbox"] [part~="message"]');
    expect(text(newest!.querySelector('[part~="message-text"]'))).to.equal('Second, plenty of time');
    expect(text(oldest!.querySelector('[part~="message-text"]'))).to.equal('First, sent early');
    expect(oldest!.classList.contains('urgent')).to.equal(true);
    expect(text(oldest!.querySelector('[part~="message-meta"]'))).to.match(/1 ONE · In escrow 2[23] h \d+ min left — reply soon/);
    expect(newest!.classList.contains('urgent')).to.equal(false);
    expect(text(newest!.querySelector('[part~="message-meta"]'))).to.match(/1 ONE · In escrow (1 d 23 h|2 d) left$/);
    expect(text(part(el, 'totals'))).to.equal('Earned 0 ONE Held 2 ONE in 2 waiting messages');
    const sender = newest!.querySelector<HTMLElement>('[part~="sender"]')!;
    expect(text(sender)).to.equal(`${visitor.address.slice(0, 6)}…${visitor.address.slice(-4)}`);
  });

  it('changes price, reply window and follow-up price in the settings', async () => {
    const el = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(el, 'inbox');
    const settings = part<HTMLDetailsElement>(el, 'settings')!;
    settings.querySelector('summary')!.click();
    await waitFor(() => $<HTMLInputElement>(el, '#settings-price')?.value === '1', { message: 'the settings form' });
    type($<HTMLInputElement>(el, '#settings-price')!, '1.5');
    type($<HTMLInputElement>(el, '#settings-window')!, '3');
    type($<HTMLInputElement>(el, '#settings-follow-up')!, '0.25');
    await el.updateComplete;
    await click(el, 'save-button');
    await waitForStatus(el, /Settings saved\./);
    expect(text(part(el, 'price'))).to.equal('1.5 ONE per message · replies within 3 days · follow-ups 0.25 ONE'); // the card says what a follow-up costs
    expect(el.card!.followUpPrice).to.equal(250_000_000_000_000_000n);

    type($<HTMLInputElement>(el, '#settings-window')!, '45');
    await el.updateComplete;
    const failed = nextEvent<CustomEvent>(el, 'harmony-error');
    await click(el, 'save-button');
    expect((await failed).detail.code).to.equal('WINDOW_OUT_OF_RANGE');
    expect(text($(el, '#settings-error'))).to.contain('between 1 hour and 30 days');
  });

  it('offers email notifications when notifier-url is set, and says when the notifier is unreachable', async () => {
    const c = await chainInfo();
    const el = await mount({ handle: `@${HANDLE}`, provider: creator, notifierUrl: c.closedRpcUrl });
    await connect(el, 'inbox');
    part<HTMLDetailsElement>(el, 'settings')!.open = true;
    const email = await waitForPart<HTMLInputElement>(el, 'email-input');
    type(email, 'not an email');
    await el.updateComplete;
    await click(el, 'email-button');
    await waitFor(() => $(el, '#email-error'), { message: `the email error (status: ${JSON.stringify(text(part(el, 'status')))}, busy ${JSON.stringify((el as any)._chat?.busy)})` });
    expect(text($(el, '#email-error'))).to.match(/Check the email address and try again\.$/);

    type(email, 'satoshi@example.com');
    await el.updateComplete;
    const signatures = creator.calls.filter((m) => m === 'personal_sign').length;
    await click(el, 'email-button');
    await waitFor(() => /Can't reach the notification service/.test(text($(el, '#email-error'))), { message: 'the notifier error' });
    expect(creator.calls.filter((m) => m === 'personal_sign').length).to.equal(signatures); // nothing signed
    expect(email.value).to.equal('satoshi@example.com');

    const without = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(without, 'inbox');
    expect(part(without, 'email-input')).to.equal(null);
  });

  it('a returning visitor reads their conversation without any prompt (keys kept on this site)', async () => {
    const before = visitor.calls.length;
    const el = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await connect(el, 'composer');
    await waitFor(() => $$(el, '[part~="conversation"] [part~="message"]').length === 2, { message: 'the conversation' });
    expect($$(el, '[part~="conversation"] [part~="message-text"]').map(text)).to.deep.equal(['First, sent early', 'Second, plenty of time']); // oldest first
    const calls = visitor.calls.slice(before);
    console.log(`[measure] returning visit, wallet requests: ${calls.length} (${calls.join(', ')})`);
    expect(prompts(calls)).to.deep.equal([]);
    // The whole returning visit: one account request (a wallet asks nothing of a site it already
    // trusts), the chain, and the account read again — no signature, no transaction.
    expect(calls.filter((m) => m === 'eth_requestAccounts')).to.have.length(1);
    expect([...new Set(calls)].sort()).to.deep.equal(['eth_accounts', 'eth_chainId', 'eth_requestAccounts']);
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#draft'), { message: 'focus in the composer' });
  });

  it('follows the wallet to another account: the visitor view becomes the creator view', async () => {
    const w = await wallet(22);
    const el = await mount({ handle: `@${HANDLE}`, provider: w });
    await connect(el, 'composer');
    w.useAccount(21);
    await waitForPart(el, 'inbox');
    expect(part(el, 'composer')).to.equal(null);
    expect(text(part(el, 'inbox'))).to.contain(`Inbox of @${HANDLE}`);
    await waitFor(() => $$(el, '[part~="inbox"] [part~="message-text"]').length === 2, { message: 'the inbox of the new account' });
  });

  it('cleans up when removed (no wallet listeners, no polling) and picks up again when put back', async () => {
    const c = await chainInfo();
    performance.setResourceTimingBufferSize(100_000);
    const w = await wallet(22);
    const el = await mount({ handle: `@${HANDLE}`, provider: w });
    await connect(el, 'composer');
    expect(w.listenerCount('chainChanged')).to.equal(1);
    const parent = el.parentElement!;
    el.remove();
    expect(w.listenerCount('chainChanged')).to.equal(0);
    expect(w.listenerCount('accountsChanged')).to.equal(0);
    await new Promise((r) => setTimeout(r, 300));
    performance.clearResourceTimings();
    await new Promise((r) => setTimeout(r, 2_500));
    const polls = performance.getEntriesByType('resource').filter((e) => e.name.startsWith(c.rpcUrl));
    expect(polls, 'RPC requests while detached').to.have.length(0);

    parent.append(el);
    expect(w.listenerCount('chainChanged')).to.equal(1);
    w.setChainId(1);
    await waitForPart(el, 'switch-button');
    await rpc('evm_mine');
  });
});
