/**
 * Networks: a wallet on the wrong chain gets one button that switches (or adds, then switches);
 * an RPC that is down shows the retries in the status line, then a clear error, and loses nothing.
 */
import { expect } from '@open-wc/testing';
import {
  $,
  chainInfo,
  claim,
  click,
  connect,
  mount,
  nextEvent,
  part,
  status,
  text,
  type,
  waitFor,
  waitForPart,
  waitForStatus,
  wallet,
} from './support/harness.js';

const HANDLE = 'net-creator';
const HARMONY = 1_666_600_000;

describe('networks', () => {
  before(async () => {
    await claim(await wallet(5), HANDLE, '0.5');
  });

  it('a wallet on another network gets one button that switches to the element’s chain', async () => {
    const c = await chainInfo();
    const w = await wallet(6, { chainId: HARMONY, knownChains: [HARMONY, c.chainId] });
    const el = await mount({ handle: `@${HANDLE}`, provider: w });
    const connected = nextEvent<CustomEvent>(el, 'harmony-connect');
    await click(el, 'connect-button');
    expect((await connected).detail.chainId).to.equal(HARMONY);
    const button = await waitForPart<HTMLButtonElement>(el, 'switch-button');
    expect(text(button)).to.equal('Switch to Local (anvil)');
    expect(text(part(el, 'wrong-network'))).to.contain(`chain ${HARMONY}`);
    expect(part(el, 'composer')).to.equal(null);
    await waitFor(() => el.shadowRoot!.activeElement === button, { message: 'focus on the switch button' });
    await expect(el).to.be.accessible();

    button.click();
    await waitForPart(el, 'composer');
    expect(w.chainId).to.equal(c.chainId);
    expect(w.added).to.have.length(0);
    await waitForStatus(el, /Switched to Local \(anvil\)/);
  });

  it('adds the chain when the wallet does not know it (4902), and a rejected switch says so', async () => {
    const c = await chainInfo();
    const w = await wallet(7, { chainId: 1, knownChains: [1] });
    const el = await mount({ handle: `@${HANDLE}`, provider: w });
    await click(el, 'connect-button');
    await waitForPart(el, 'switch-button');

    w.rejectNext();
    const failed = nextEvent<CustomEvent>(el, 'harmony-error');
    part<HTMLButtonElement>(el, 'switch-button')!.click();
    expect((await failed).detail).to.include({ code: 'USER_REJECTED', action: 'switch-chain' });
    expect(part(el, 'switch-button')).to.exist;
    expect(text(part(el, 'wrong-network'))).to.contain('You declined in your wallet');

    part<HTMLButtonElement>(el, 'switch-button')!.click();
    await waitForPart(el, 'composer');
    expect(w.chainId).to.equal(c.chainId);
    expect(w.added).to.have.length(1);
    expect(w.added[0]).to.deep.include({ chainId: '0x7a69', chainName: 'Local (anvil)', rpcUrls: [c.rpcUrl] });
  });

  it('follows the wallet when the user switches networks in it, keeping the draft', async () => {
    const c = await chainInfo();
    const w = await wallet(6, { chainId: c.chainId, knownChains: [HARMONY, c.chainId] });
    const el = await mount({ handle: `@${HANDLE}`, provider: w });
    await connect(el, 'composer');
    type($<HTMLTextAreaElement>(el, '#draft')!, 'half-written');
    w.setChainId(HARMONY);
    await waitForPart(el, 'switch-button');
    expect(status(el)).to.match(/switched to another network/);
    await click(el, 'switch-button');
    await waitForPart(el, 'composer');
    expect($<HTMLTextAreaElement>(el, '#draft')!.value).to.equal('half-written');
  });

  it('an RPC that is down: the status shows each retry, then a clear error and a way to try again', async function () {
    this.timeout(60_000);
    const c = await chainInfo();
    const errors: CustomEvent[] = [];
    const seen = new Set<string>();
    const el = await mount({ handle: `@${HANDLE}`, rpcUrl: c.closedRpcUrl }, false);
    el.addEventListener('harmony-error', (e) => errors.push(e as CustomEvent));
    const watcher = setInterval(() => seen.add(status(el)), 20);
    try {
      await waitForStatus(el, /Can't reach the network at .* \(tried 4 times\)/, 20_000);
    } finally {
      clearInterval(watcher);
    }
    expect([...seen]).to.include.members([
      "Can't reach the network, retrying in 1 s… (attempt 2 of 4)",
      "Can't reach the network, retrying in 2 s… (attempt 3 of 4)",
      "Can't reach the network, retrying in 4 s… (attempt 4 of 4)",
    ]);
    expect(text(part(el, 'error'))).to.contain('Check your connection or the rpc-url setting, then try again.');
    expect(errors.map((e) => e.detail.code)).to.deep.equal(['RPC_UNAVAILABLE']);
    expect(errors[0]!.detail.action).to.equal('card');
    expect(part(el, 'retry-button')).to.exist;
    await expect(el).to.be.accessible();

    // The network comes back (here: the host fixes its rpc-url): the card loads.
    el.setAttribute('rpc-url', c.rpcUrl);
    await waitFor(() => el.card, { message: 'the card after the RPC is back' });
    expect(text(part(el, 'handle'))).to.equal(`@${HANDLE}`);
  });

  it('an RPC that goes down while sending: retries shown, a clear error, and the draft stays', async function () {
    this.timeout(60_000);
    const c = await chainInfo();
    const el = await mount({ handle: `@${HANDLE}`, provider: await wallet(8) });
    await connect(el, 'composer');
    const words = 'do not lose me';
    type($<HTMLTextAreaElement>(el, '#draft')!, words);
    type($<HTMLInputElement>(el, '#amount')!, '0.75');
    const errors: CustomEvent[] = [];
    el.addEventListener('harmony-error', (e) => errors.push(e as CustomEvent));
    el.rpcUrl = c.closedRpcUrl;
    await el.updateComplete;
    await waitFor(() => !part<HTMLButtonElement>(el, 'send-button')!.disabled);
    part<HTMLButtonElement>(el, 'send-button')!.click();
    let retried = false;
    const watcher = setInterval(() => (retried ||= /retrying in \d s/.test(status(el))), 20);
    const error = await waitFor(() => errors.find((e) => e.detail.action === 'send'), { timeout: 30_000, message: 'the send error' });
    clearInterval(watcher);
    expect(retried).to.equal(true);
    expect(error.detail.code).to.equal('RPC_UNAVAILABLE');
    const inline = await waitFor(() => $(el, '#send-error'), { message: 'the inline send error' });
    expect(text(inline)).to.match(/Can't reach .* Check your connection or the rpc-url setting, then try again\./);
    expect($<HTMLTextAreaElement>(el, '#draft')!.value).to.equal(words);
    expect($<HTMLInputElement>(el, '#amount')!.value).to.equal('0.75');
    expect(el.card?.handle).to.equal(HANDLE);

    el.rpcUrl = c.rpcUrl;
    await el.updateComplete;
    const sent = nextEvent<CustomEvent>(el, 'harmony-message-sent');
    part<HTMLButtonElement>(el, 'send-button')!.click();
    expect((await sent).detail.amount).to.equal(750_000_000_000_000_000n);
  });
});
