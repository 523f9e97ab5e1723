/**
 * Spam controls, on chain: the creator blocks a sender from the inbox (the blocked wallet's widget
 * says so — live — and a send from a view that has not caught up yet is refused before anything is
 * paid) and unblocks; hides a message (out of the inbox view, "Show hidden" brings it back, its
 * coins still follow the rules: the sender takes the refund) and shows it again; sorts the inbox
 * by amount paid or by time left and keeps only unanswered messages. All by keyboard, axe clean.
 */
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import {
  $,
  $$,
  balanceOf,
  claim,
  click,
  connect,
  increaseTime,
  mount,
  nextEvent,
  part,
  readContract,
  sdk,
  setTabHidden,
  status,
  text,
  type,
  waitFor,
  waitForPart,
  wallet,
  type TestWallet,
} from './support/harness.js';
import type { PaidChat } from '../../src/sdk/client.js';

const HANDLE = 'spam-creator';

const shown = (el: HTMLElement) => $$(el, '[part~="inbox"] > [part~="message-list"] > [part~="message"] > [part~="message-text"]').map(text);

describe('spam controls', () => {
  let creator: TestWallet;
  let spammer: TestWallet;
  let fan: TestWallet;
  let spammerChat: PaidChat;
  let creatorChat: PaidChat;

  before(async () => {
    creator = await wallet(49);
    spammer = await wallet(50);
    fan = await wallet(51);
    creatorChat = await claim(creator, HANDLE, '0', 2 * 86_400); // free to message: spam is cheap
    spammerChat = await sdk(spammer, HANDLE);
    await spammerChat.send({ to: HANDLE, text: 'buy my coin' });
    await (await sdk(fan, HANDLE)).send({ to: HANDLE, text: 'a real question', amount: '5' });
    await increaseTime(3_600);
    await spammerChat.send({ to: HANDLE, text: 'buy my coin again' });
  });

  after(() => setTabHidden(false));

  it('block from the inbox: on chain, the blocked wallet is told why (live), a send is refused before paying; unblock', async function () {
    this.timeout(90_000);
    const s = await mount({ handle: `@${HANDLE}`, provider: spammer });
    await connect(s, 'composer');
    const c = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(c, 'inbox');
    await waitFor(() => shown(c).length === 3, { message: 'the inbox' });

    const item = $(c, '[part~="message"]')!; // newest: "buy my coin again"
    const blockButton = item.querySelector<HTMLButtonElement>('[part~="block-button"]')!;
    expect(text(blockButton)).to.match(/^Block sender \(0x/);
    const changed = nextEvent<CustomEvent>(c, 'harmony-block-change');
    blockButton.focus();
    await sendKeys({ press: 'Enter' });
    expect((await changed).detail).to.include({ address: spammer.address, blocked: true });
    const [, blocked] = await readContract('threadOf', [spammer.address, creator.address]);
    expect(blocked).to.equal(true);
    await waitFor(() => $$(c, '[part~="blocked-badge"]').length === 2, { message: 'both of their messages marked' });
    expect(status(c)).to.match(/is blocked: their new paid messages and follow-ups are refused before they pay/);
    expect(c.shadowRoot!.activeElement?.id, 'focus stays on the control').to.equal(blockButton.id);
    expect(text(item.querySelector('[part~="block-button"]'))).to.match(/^Unblock sender/);

    // The spammer's open widget learns it live and says why, instead of a form that cannot send.
    const notice = await waitForPart(s, 'blocked-notice', 5_000);
    expect(text(notice)).to.contain(`@${HANDLE} does not accept messages from this wallet. Nothing can be sent from it here, and nothing was charged.`);
    expect(part(s, 'composer')).to.equal(null);
    await expect(s).to.be.accessible();

    // A widget that has not caught up (its tab was hidden when the block landed): the send is refused before any payment.
    await creatorChat.setBlocked(spammer.address, false);
    const stale = await mount({ handle: `@${HANDLE}`, provider: spammer });
    await connect(stale, 'composer');
    await waitFor(() => $$(stale, '[part~="conversation"] [part~="message"]').length === 2, { message: 'the stale view loaded' });
    setTabHidden(true);
    try {
      await creatorChat.setBlocked(spammer.address, true);
      type($<HTMLTextAreaElement>(stale, '#draft')!, 'one more');
      await stale.updateComplete;
      const before = await balanceOf(spammer.address);
      const calls = spammer.calls.length;
      const refused = nextEvent<CustomEvent>(stale, 'harmony-error');
      await click(stale, 'send-button');
      expect((await refused).detail).to.include({ code: 'SENDER_BLOCKED', action: 'send' });
      expect(spammer.calls.slice(calls)).not.to.include('eth_sendTransaction');
      expect(await balanceOf(spammer.address)).to.equal(before);
      await waitForPart(stale, 'blocked-notice');
      expect(text(part(stale, 'status'))).to.contain('Nothing was sent and nothing was paid');
    } finally {
      setTabHidden(false);
    }

    // Unblock: the badge goes, the spammer's widget offers the composer again.
    await waitFor(() => text($(c, '[part~="message"] [part~="block-button"]')).startsWith('Unblock'), { message: 'the unblock button' });
    $<HTMLButtonElement>(c, '[part~="message"] [part~="block-button"]')!.click();
    await waitFor(() => $$(c, '[part~="blocked-badge"]').length === 0, { message: 'unblocked' });
    await waitForPart(s, 'composer', 5_000);
  });

  it('block any address from the settings (one not in the inbox, as one1…); a wrong address is refused before any prompt; unblock', async function () {
    this.timeout(60_000);
    const stranger = await wallet(55);
    const c = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(c, 'inbox');
    part<HTMLDetailsElement>(c, 'settings')!.open = true;
    const input = await waitForPart<HTMLInputElement>(c, 'block-input');
    type(input, 'not an address');
    await c.updateComplete;
    const prompts = creator.calls.filter((m) => m === 'eth_sendTransaction').length;
    const failed = nextEvent<CustomEvent>(c, 'harmony-error');
    await click(c, 'block-address-button');
    expect((await failed).detail).to.include({ code: 'ADDRESS_INVALID', action: 'block' });
    expect(creator.calls.filter((m) => m === 'eth_sendTransaction').length).to.equal(prompts);
    expect(input.getAttribute('aria-describedby')).to.contain('block-error-address');
    await expect(c).to.be.accessible();

    const { toOneAddress } = await import('../../src/sdk/address.js');
    type(input, toOneAddress(stranger.address));
    await c.updateComplete;
    const changed = nextEvent<CustomEvent>(c, 'harmony-block-change');
    await click(c, 'block-address-button');
    expect((await changed).detail).to.include({ address: stranger.address, blocked: true });
    expect((await readContract('threadOf', [stranger.address, creator.address]))[1]).to.equal(true);
    expect(input.value).to.equal('');
    const refused = await (await sdk(stranger, HANDLE)).send({ to: HANDLE, text: 'let me in' }).then(() => undefined, (e: { code?: string }) => e.code);
    expect(refused).to.equal('SENDER_BLOCKED');

    type(input, stranger.address);
    await c.updateComplete;
    const unblocked = nextEvent<CustomEvent>(c, 'harmony-block-change');
    await click(c, 'unblock-address-button');
    expect((await unblocked).detail).to.include({ blocked: false });
    expect((await readContract('threadOf', [stranger.address, creator.address]))[1]).to.equal(false);
  });

  it('hide and show again: out of the inbox view, "Show hidden" brings it back, its coins follow the rules', async function () {
    this.timeout(90_000);
    const c = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(c, 'inbox');
    await waitFor(() => shown(c).length === 3, { message: 'the inbox' });
    const spam = $$(c, '[part~="inbox"] [part~="message"]').find((n) => text(n.querySelector('[part~="message-text"]')) === 'buy my coin')!;
    const id = BigInt(spam.id.replace('message-', ''));
    const hidden = nextEvent<CustomEvent>(c, 'harmony-hide-change');
    spam.querySelector<HTMLButtonElement>('[part~="hide-button"]')!.click();
    expect((await hidden).detail).to.deep.include({ ids: [id], hidden: true });
    expect((await readContract('getMessage', [id])).hidden).to.equal(true);
    await waitFor(() => shown(c).length === 2, { message: 'the message out of view' });
    expect(shown(c)).not.to.include('buy my coin');
    expect(text(part(c, 'inbox-count'))).to.equal('Showing 2 of 3 loaded messages.');
    expect(status(c)).to.match(/Message hidden \(1 hidden message/);
    expect(c.shadowRoot!.activeElement?.getAttribute('part')).to.contain('message'); // focus moved to a message still shown

    const toggle = part<HTMLButtonElement>(c, 'hidden-button')!;
    expect(text(toggle)).to.equal('Show hidden (1)');
    toggle.focus();
    await sendKeys({ press: 'Space' });
    await waitFor(() => shown(c).length === 3, { message: 'hidden ones shown' });
    expect(toggle.getAttribute('aria-pressed')).to.equal('true');
    const back = $(c, `#message-${id}`)!;
    expect(back.dataset.hidden).to.equal('true');
    expect(text(back.querySelector('.hidden-badge'))).to.equal('Hidden');
    await expect(c).to.be.accessible();

    // Coins follow the rules: after the window the sender takes the refund of a hidden message.
    await increaseTime(2 * 86_400 + 60);
    await spammerChat.refund(id);
    await waitFor(() => $(c, `#message-${id}`)?.dataset.state === 'refunded', { message: 'refunded (live)', timeout: 5_000 });

    $<HTMLButtonElement>(c, `#message-${id} [part~="hide-button"]`)!.click();
    await waitFor(() => !$(c, `#message-${id}`)?.dataset.hidden, { message: 'shown again' });
    expect((await readContract('getMessage', [id])).hidden).to.equal(false);
  });

  it('sort by amount paid or by time left, unanswered only, by keyboard', async function () {
    this.timeout(60_000);
    // Fresh waiting messages with different amounts and deadlines.
    const other = await wallet(54);
    const otherChat = await sdk(other, HANDLE);
    await otherChat.send({ to: HANDLE, text: 'two ONE, sent first', amount: '2' });
    await increaseTime(600);
    const fanChat = await sdk(fan, HANDLE);
    await fanChat.send({ to: HANDLE, text: 'seven ONE, sent last', amount: '7' });
    const c = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(c, 'inbox');
    await waitFor(() => shown(c).length === 5, { message: 'the inbox' });
    const replyTo = $$(c, '[part~="inbox"] [part~="message"]').find((n) => text(n.querySelector('[part~="message-text"]')) === 'seven ONE, sent last')!;
    type(replyTo.querySelector<HTMLTextAreaElement>('[part~="reply-input"]')!, 'thanks');
    await c.updateComplete;
    const replied = nextEvent(c, 'harmony-reply-sent');
    replyTo.querySelector<HTMLButtonElement>('[part~="reply-button"]')!.click();
    await replied;
    await waitFor(() => $(c, `#${replyTo.id}`)?.dataset.state === 'answered', { message: 'answered' });

    const select = part<HTMLSelectElement>(c, 'sort-select')!;
    select.focus();
    await sendKeys({ press: 'ArrowDown' }); // newest → amount paid
    await waitFor(() => select.value === 'amount', { message: 'sorted by amount (keyboard)' });
    await c.updateComplete;
    const amounts = () => $$(c, '[part~="inbox"] > [part~="message-list"] > [part~="message"] > [part~="message-meta"]').map((n) => Number(text(n).split(' ')[0]));
    expect(amounts()).to.deep.equal([...amounts()].sort((a, b) => b - a));
    expect(amounts()[0]).to.equal(7);
    expect(status(c)).to.match(/Sorted by amount paid, 5 messages shown\./);

    select.value = 'time-left';
    select.dispatchEvent(new Event('change'));
    await c.updateComplete;
    // Answerable first, soonest deadline first: "two ONE" (sent before "seven ONE", which is answered anyway).
    expect(shown(c)[0]).to.equal('two ONE, sent first');
    const states = $$(c, '[part~="inbox"] > [part~="message-list"] > [part~="message"]').map((n) => n.dataset.state);
    expect(states).to.deep.equal(['escrow', ...states.slice(1).filter((x) => x !== 'escrow')]); // only the answerable one first

    const filter = part<HTMLButtonElement>(c, 'filter-button')!;
    filter.focus();
    await sendKeys({ press: 'Enter' });
    await c.updateComplete;
    expect(filter.getAttribute('aria-pressed')).to.equal('true');
    expect($$(c, '[part~="inbox"] > [part~="message-list"] > [part~="message"]').every((n) => n.dataset.state === 'escrow')).to.equal(true);
    expect(shown(c)).to.include('two ONE, sent first');
    expect(shown(c)).not.to.include('seven ONE, sent last');
    await expect(c).to.be.accessible();
  });
});
