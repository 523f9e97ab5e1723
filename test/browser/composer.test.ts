/**
 * The visitor's composer: the UTF-8 byte counter at 140 and 141 bytes with emoji, the amount that
 * starts at the price and refuses less, the steps (confirm in wallet → sending → delivered), and a
 * rejected wallet prompt that keeps the draft.
 */
import { expect } from '@open-wc/testing';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
import {
  $,
  $$,
  claim,
  click,
  connect,
  mount,
  nextEvent,
  part,
  prompts,
  rpc,
  status,
  text,
  type,
  waitFor,
  waitForPart,
  waitForStatus,
  wallet,
  type TestWallet,
} from './support/harness.js';

const HANDLE = 'bytes-creator';
const EMOJI_140 = `${'😀'.repeat(34)}abcd`; // 34 × 4 + 4 = 140 bytes, 38 characters
const EMOJI_141 = `${'😀'.repeat(35)}!`; // 35 × 4 + 1 = 141 bytes

describe('composer', () => {
  let visitor: TestWallet;
  let el: HarmonyPaidChat;

  before(async () => {
    await claim(await wallet(3), HANDLE, '1');
    visitor = await wallet(4);
  });

  beforeEach(async () => {
    el = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await connect(el, 'composer');
  });

  const draft = () => $<HTMLTextAreaElement>(el, '#draft')!;
  const send = () => part<HTMLButtonElement>(el, 'send-button')!;
  const typeDraft = async (value: string) => {
    type(draft(), value);
    await el.updateComplete;
  };

  it('counts UTF-8 bytes, not characters: 140 bytes of emoji fit, 141 do not', async () => {
    await typeDraft('gm');
    expect(text(part(el, 'counter'))).to.equal('2 / 140 bytes');

    await typeDraft(EMOJI_140);
    expect(EMOJI_140.length).to.equal(72); // UTF-16 code units: the counter must not use them
    expect(text(part(el, 'counter'))).to.equal('140 / 140 bytes');
    expect(send().disabled).to.equal(false);
    expect(draft().getAttribute('aria-invalid')).to.equal('false');

    await typeDraft(EMOJI_141);
    expect(text(part(el, 'counter'))).to.equal('141 / 140 bytes');
    expect(send().disabled).to.equal(true);
    expect(draft().getAttribute('aria-invalid')).to.equal('true');
    const over = $(el, '#draft-over')!;
    expect(text(over)).to.contain('141 bytes is 1 byte over the 140-byte limit');
    expect(text(over)).to.contain('Shorten it by 1 byte');
    expect(draft().getAttribute('aria-describedby')).to.contain('draft-over');

    await typeDraft(EMOJI_140);
    expect(send().disabled).to.equal(false);
    const sent = nextEvent(el, 'harmony-message-sent');
    send().click();
    await sent;
    await waitFor(() => $$(el, '[part~="conversation"] [part~="message-text"]').some((p) => p.textContent === EMOJI_140), {
      message: 'the 140-byte message, decrypted, in the conversation',
    });
  });

  it('starts the amount at the price and refuses less', async () => {
    const amount = $<HTMLInputElement>(el, '#amount')!;
    expect(amount.value).to.equal('1');
    await typeDraft('a question');
    expect(text(send())).to.equal('Send 1 ONE');

    type(amount, '0.5');
    await el.updateComplete;
    expect(send().disabled).to.equal(true);
    expect(text($(el, '#amount-error'))).to.equal('@bytes-creator asks at least 1 ONE; 0.5 ONE is too little.');
    expect(amount.getAttribute('aria-invalid')).to.equal('true');

    type(amount, 'ten');
    await el.updateComplete;
    expect(send().disabled).to.equal(true);
    expect(text($(el, '#amount-error'))).to.contain('is not an amount of ONE');

    type(amount, '2.5');
    await el.updateComplete;
    expect(send().disabled).to.equal(false);
    expect($(el, '#amount-error')).to.equal(null);
    expect(text(send())).to.equal('Send 2.5 ONE');
  });

  it('keeps the draft when the wallet prompt is rejected, says what to do, and sends on the next try', async () => {
    const words = 'Please keep this draft 🙏';
    await typeDraft(words);
    visitor.rejectNext(1, 'eth_sendTransaction');
    const failed = nextEvent<CustomEvent>(el, 'harmony-error');
    send().click();
    const error = await failed;
    expect(error.detail.code).to.equal('USER_REJECTED');
    expect(error.detail.action).to.equal('send');
    await waitForStatus(el, /You declined in your wallet\. Nothing was sent; try again when ready\./);
    expect(draft().value).to.equal(words);
    expect(text(part(el, 'error'))).to.contain('You declined in your wallet');
    expect(draft().getAttribute('aria-describedby')).to.contain('send-error');
    await waitFor(() => el.shadowRoot!.activeElement === draft(), { message: 'focus back in the draft' });
    expect(send().disabled).to.equal(false);
    expect(prompts(visitor.calls)).not.to.include('personal_sign'); // keys never come from a signature

    // Trying again works, and only then is the draft cleared.
    const sent = nextEvent(el, 'harmony-message-sent');
    send().click();
    await sent;
    await waitForPart(el, 'receipt');
    expect(draft().value).to.equal('');
  });

  it('shows each step: confirm in wallet → sending → delivered', async () => {
    await typeDraft('step by step');
    await waitFor(() => send() && !send().disabled);
    const held = visitor.hold();
    send().click();
    await held.reached;
    const steps = await waitForPart(el, 'steps');
    expect(text(steps.querySelector('[aria-current="step"]'))).to.match(/^Confirm in your wallet/);
    expect(draft().readOnly).to.equal(true);
    await expect(el).to.be.accessible();

    await rpc('evm_setAutomine', [false]);
    try {
      held.release();
      await waitFor(() => text(part(el, 'steps')?.querySelector('[aria-current="step"]')) === 'Sending', { message: 'the Sending step' });
      expect(status(el)).to.match(/Sending… waiting for the network/);
      await expect(el).to.be.accessible();
      await rpc('evm_mine');
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
    const receipt = await waitForPart(el, 'receipt');
    expect(text(receipt)).to.contain('Delivered to @bytes-creator with 1 ONE');
    expect($$(el, '[part~="steps"] li.done')).to.have.length(3);
    await waitFor(() => el.shadowRoot!.activeElement === receipt, { message: 'focus on the receipt' });
    await expect(el).to.be.accessible();
  });

  it('sends nothing for a blank message', async () => {
    await typeDraft('   ');
    expect(send().disabled).to.equal(true);
    await click(el, 'disconnect-button');
    await waitForPart(el, 'connect-button');
  });
});
