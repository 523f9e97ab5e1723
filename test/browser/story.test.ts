/**
 * The whole story through the UI, with two injected test wallets backed by anvil's dev keys:
 * the creator claims @satoshi at 10 ONE → a visitor sends 10 ONE with a text → the creator unlocks,
 * reads it decrypted and verified, replies "OK" → balances on chain (creator +9.9 ONE minus gas,
 * 0.1 ONE in accruedFees) → the visitor sees the reply; a second message is refunded after time
 * travel through the "Get refund" button.
 */
import { expect } from '@open-wc/testing';
import { parseEther } from 'viem';
import {
  $,
  $$,
  balanceOf,
  click,
  connect,
  gasCost,
  increaseTime,
  mount,
  nextEvent,
  part,
  readContract,
  status,
  text,
  type,
  waitFor,
  waitForPart,
  waitForStatus,
  wallet,
} from './support/harness.js';

const ONE = (n: string) => parseEther(n);

describe('the whole story, through the UI', () => {
  it('claim, send, unlock, decrypt, reply, balances, reply seen, refund after time travel', async function () {
    this.timeout(120_000);
    const creator = await wallet(1);
    const visitor = await wallet(2);

    // ---- the creator claims @satoshi at 10 ONE, 7 days
    const creatorEl = await mount({ handle: '@satoshi', provider: creator });
    expect(text(part(creatorEl, 'handle'))).to.equal('@satoshi is free — claim it');
    type($<HTMLInputElement>(creatorEl, '#claim-price')!, '10');
    type($<HTMLInputElement>(creatorEl, '#claim-window')!, '7');
    await click(creatorEl, 'claim-button');
    await waitForStatus(creatorEl, /@satoshi is yours/, 30_000);
    expect(creatorEl.card!.free).to.equal(false);
    expect(creatorEl.card!.owner.toLowerCase()).to.equal(creator.address.toLowerCase());
    expect(text(part(creatorEl, 'price'))).to.equal('10 ONE per message · replies within 7 days');
    await waitFor(() => $(creatorEl, '#inbox-title'), { message: 'the unlocked inbox after the claim' });
    expect(creator.calls.filter((m) => m === 'personal_sign')).to.have.length(1);

    // ---- a visitor sends 10 ONE with a text
    const visitorEl = await mount({ handle: '@satoshi', provider: visitor });
    expect(text(part(visitorEl, 'promise'))).to.contain("Refunded if @satoshi doesn't reply within 7 days");
    const connected = nextEvent(visitorEl, 'harmony-connect');
    await connect(visitorEl, 'composer');
    expect((await connected).detail).to.include({ role: 'visitor', chainId: 31337 });
    const amount = $<HTMLInputElement>(visitorEl, '#amount')!;
    expect(amount.value).to.equal('10');
    const words = 'gm @satoshi — 10 ONE for one honest answer: should I ship on Harmony? 🚀';
    type($<HTMLTextAreaElement>(visitorEl, '#draft')!, words);
    const sent = nextEvent(visitorEl, 'harmony-message-sent');
    await click(visitorEl, 'send-button');
    const sentEvent = await sent;
    expect(sentEvent.detail.amount).to.equal(ONE('10'));
    expect(sentEvent.detail.to).to.equal('satoshi');
    const receipt = await waitForPart(visitorEl, 'receipt');
    expect(text(receipt)).to.contain('Delivered to @satoshi with 10 ONE');
    expect(text(receipt)).to.contain(sentEvent.detail.txHash.slice(0, 10)); // no explorer on a local chain
    expect($<HTMLTextAreaElement>(visitorEl, '#draft')!.value).to.equal('');
    await waitFor(() => $$(visitorEl, '[part~="outbox"] [part~="message"]').length === 1, { message: 'the sent message in the outbox' });
    expect(text(part(visitorEl, 'message-text'))).to.equal(words);
    expect(text(part(visitorEl, 'message-meta'))).to.match(/10 ONE · Waiting for a reply (7 d|6 d 23 h) left/);

    // ---- the creator sees it (watch), decrypted and verified
    const item = await waitFor(() => $(creatorEl, `#message-${sentEvent.detail.id}`), { message: 'the message in the inbox', timeout: 20_000 });
    expect(text(item.querySelector('[part~="message-text"]'))).to.equal(words);
    expect(item.querySelector('[part~="verified"]')).to.exist;
    const sender = item.querySelector<HTMLElement>('[part~="sender"]')!;
    expect(sender.title).to.contain(visitor.address);
    expect(sender.title).to.match(/one1[02-9ac-hj-np-z]{38}/);
    expect(text(part(creatorEl, 'totals'))).to.equal('Earned 0 ONE Held 10 ONE in 1 waiting message');

    // ---- the creator replies "OK"; balances on chain
    const before = await balanceOf(creator.address);
    const feesBefore: bigint = await readContract('accruedFees');
    type(item.querySelector<HTMLTextAreaElement>('[part~="reply-input"]')!, 'OK');
    await creatorEl.updateComplete;
    const replied = nextEvent(creatorEl, 'harmony-reply-sent');
    item.querySelector<HTMLButtonElement>('[part~="reply-button"]')!.click();
    const replyEvent = await replied;
    expect(replyEvent.detail.id).to.equal(sentEvent.detail.id);
    const after = await balanceOf(creator.address);
    expect(after - before + (await gasCost(replyEvent.detail.txHash))).to.equal(ONE('9.9'));
    expect((await readContract('accruedFees')) - feesBefore).to.equal(ONE('0.1'));
    await waitForStatus(creatorEl, /Reply sent\. 9\.9 ONE is yours/);
    await waitFor(() => text(part(creatorEl, 'totals')) === 'Earned 9.9 ONE Held 0 ONE in 0 waiting messages', {
      message: `totals after the reply (now "${text(part(creatorEl, 'totals'))}")`,
    });

    // ---- the visitor sees the reply (watch → outbox reload, decrypted)
    await waitFor(() => text(part(visitorEl, 'reply')).includes('OK'), { message: 'the reply in the visitor outbox', timeout: 20_000 });
    expect(text(part(visitorEl, 'reply'))).to.equal('@satoshi replied: OK');

    // ---- a second message, no reply, a week later: refund
    type($<HTMLTextAreaElement>(visitorEl, '#draft')!, 'Second try: still there?');
    const sent2 = nextEvent(visitorEl, 'harmony-message-sent');
    await click(visitorEl, 'send-button');
    const second = await sent2;
    await increaseTime(7 * 86_400 + 60);

    visitorEl.remove(); // the visitor comes back a week later
    const later = await mount({ handle: '@satoshi', provider: visitor });
    await connect(later, 'composer');
    const refundButton = await waitFor(() => $<HTMLButtonElement>(later, `#refund-${second.detail.id}`), { message: 'the Get refund button' });
    expect(text(refundButton)).to.equal('Get refund of 10 ONE');
    const beforeRefund = await balanceOf(visitor.address);
    const refunded = nextEvent(later, 'harmony-refund');
    refundButton.click();
    const refundEvent = await refunded;
    expect(refundEvent.detail.amount).to.equal(ONE('10'));
    const afterRefund = await balanceOf(visitor.address);
    expect(afterRefund - beforeRefund + (await gasCost(refundEvent.detail.txHash))).to.equal(ONE('10'));
    await waitFor(() => text($(later, `#message-${second.detail.id}`)).includes('Refunded'), { message: 'the refunded badge' });
    expect(status(later)).to.match(/Refunded: 10 ONE is back in your wallet/);
  });
});
