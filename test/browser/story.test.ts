/**
 * The whole story through the UI, with two injected test wallets backed by anvil's dev keys:
 * the creator claims @satoshi at 10 ONE (with a backup passphrase, then a backup file is offered)
 * → a visitor sends 10 ONE with a text → the creator reads it decrypted and verified, replies "OK"
 * → balances on chain (creator +9.9 ONE minus gas, 0.1 ONE in accruedFees; the event carries the
 * payout) → the visitor sees the reply, then a follow-up each way; a second message is refunded
 * after time travel through the "Get refund" button. Not one signature is asked for, anywhere.
 */
import { expect } from '@open-wc/testing';
import { parseEther } from 'viem';
import {
  $,
  $$,
  PASSPHRASE,
  balanceOf,
  click,
  connect,
  gasCost,
  increaseTime,
  mount,
  nextEvent,
  part,
  prompts,
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
  it('claim with a passphrase, backup offered, send, read, reply, balances, reply seen, follow-ups, refund after time travel', async function () {
    this.timeout(180_000);
    const creator = await wallet(1);
    const visitor = await wallet(2);

    // ---- the creator claims @satoshi at 10 ONE, 7 days
    const creatorEl = await mount({ handle: '@satoshi', provider: creator });
    expect(text(part(creatorEl, 'handle'))).to.equal('@satoshi is free — claim it');
    type($<HTMLInputElement>(creatorEl, '#claim-price')!, '10');
    type($<HTMLInputElement>(creatorEl, '#claim-window')!, '7');
    type($<HTMLInputElement>(creatorEl, '#claim-pass')!, PASSPHRASE);
    type($<HTMLInputElement>(creatorEl, '#claim-pass-confirm')!, PASSPHRASE);
    const keyChanges: CustomEvent[] = [];
    creatorEl.addEventListener('harmony-key-change', (e) => keyChanges.push(e as CustomEvent));
    await click(creatorEl, 'claim-button');
    await waitForStatus(creatorEl, /@satoshi is yours|Backup file ready/, 60_000);
    expect(creatorEl.card!.free).to.equal(false);
    expect(creatorEl.card!.owner.toLowerCase()).to.equal(creator.address.toLowerCase());
    expect(text(part(creatorEl, 'price'))).to.equal('10 ONE per message · replies within 7 days');
    await waitFor(() => $(creatorEl, '#inbox-title'), { message: 'the inbox after the claim' });
    // The backup file is offered at once: a download link to a Blob the page made (encrypted keys).
    const link = await waitForPart<HTMLAnchorElement>(creatorEl, 'backup-link', 30_000);
    expect(link.download).to.equal('harmony-paid-chat-inbox-satoshi.json');
    const file = JSON.parse(await (await fetch(link.href)).text());
    expect(file.format).to.equal('harmony-paid-chat-key-backup');
    expect(file.entries).to.have.length(1);
    expect(file.entries[0]).to.include({ kind: 'inbox', keyId: 1 });
    expect(JSON.stringify(file)).not.to.contain(PASSPHRASE);
    expect(keyChanges.map((e) => e.detail.change)).to.deep.equal(['created', 'backup-made']);
    expect(keyChanges[0]!.detail).to.include({ role: 'creator', keyId: 1, keys: 1, notBackedUp: 0 });
    expect(prompts(creator.calls)).to.deep.equal(['eth_sendTransaction']); // the claim; no signature at all

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
    expect(sentEvent.detail).to.include({ amount: ONE('10'), fee: ONE('0.1'), payout: ONE('9.9') }); // what the creator nets on reply
    expect(sentEvent.detail.to).to.equal('satoshi');
    const receipt = await waitForPart(visitorEl, 'receipt');
    expect(text(receipt)).to.contain('Delivered to @satoshi with 10 ONE');
    expect(text(receipt)).to.contain(sentEvent.detail.txHash.slice(0, 10)); // no explorer on a local chain
    expect($<HTMLTextAreaElement>(visitorEl, '#draft')!.value).to.equal('');
    await waitFor(() => $$(visitorEl, '[part~="conversation"] [part~="message"]').length === 1, { message: 'the sent message in the conversation' });
    expect(text(part(visitorEl, 'message-text'))).to.equal(words);
    expect(text(part(visitorEl, 'message-meta'))).to.match(/10 ONE · In escrow, waiting for a reply (7 d|6 d 23 h) left/);
    expect(part(visitorEl, 'message')!.dataset.state).to.equal('escrow');

    expect(prompts(visitor.calls)).to.deep.equal(['eth_sendTransaction']); // the payment only
    await waitForPart(visitorEl, 'backup-hint'); // the new conversation key is in no backup yet

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
    expect(replyEvent.detail.amount).to.equal(ONE('10'));
    expect(replyEvent.detail.payout).to.equal(ONE('9.9')); // net of the 1 % fee
    expect(replyEvent.detail).to.include({ thread: sentEvent.detail.thread, fee: ONE('0.1') });
    const after = await balanceOf(creator.address);
    expect(after - before + (await gasCost(replyEvent.detail.txHash))).to.equal(ONE('9.9'));
    expect((await readContract('accruedFees')) - feesBefore).to.equal(ONE('0.1'));
    await waitForStatus(creatorEl, /Reply sent\. 9\.9 ONE is yours/);
    await waitFor(() => text(part(creatorEl, 'totals')) === 'Earned 9.9 ONE Held 0 ONE in 0 waiting messages', {
      message: `totals after the reply (now "${text(part(creatorEl, 'totals'))}")`,
    });

    // ---- the visitor sees the reply (watch → conversation reload, decrypted)
    await waitFor(() => text(part(visitorEl, 'reply')).includes('OK'), { message: 'the reply in the visitor conversation', timeout: 20_000 });
    expect(text(part(visitorEl, 'reply'))).to.equal('@satoshi replied: OK');

    // ---- the conversation is open: the composer writes a follow-up (follow-up price 0: gas only), one back
    const followInput = await waitFor(() => part(visitorEl, 'follow-up-form') && $<HTMLTextAreaElement>(visitorEl, '#draft'), { message: 'the composer in follow-up mode' });
    expect(text(part(visitorEl, 'composer'))).to.contain('@satoshi answered, so this conversation is open: a follow-up costs only gas.');
    expect(text(part(visitorEl, 'thread-state'))).to.equal('Open: either of you can write follow-ups.');
    type(followInput, 'Thanks! One more thing…');
    await visitorEl.updateComplete;
    const followed = nextEvent(visitorEl, 'harmony-follow-up-sent');
    part<HTMLButtonElement>(visitorEl, 'follow-up-button')!.click();
    expect((await followed).detail).to.include({ by: 'visitor', amount: 0n, payout: 0n, index: 0, thread: sentEvent.detail.thread });
    await waitFor(() => $$(visitorEl, '[part~="follow-up"] [part~="message-text"]').some((n) => text(n) === 'Thanks! One more thing…'), { message: 'the follow-up shown' });
    item.querySelector<HTMLButtonElement>('[part~="thread-button"]')!.click();
    const creatorFollow = await waitFor(() => $<HTMLTextAreaElement>(creatorEl, `#follow-${visitor.address.toLowerCase()}`), { message: "the creator's follow-up form" });
    // The whole conversation, in order, for the creator too: the paid message (answered), then the follow-up.
    expect($$(creatorEl, '[part~="thread"] [part~="message-text"]').map(text)).to.deep.equal([words, 'Thanks! One more thing…']);
    expect($$(creatorEl, '[part~="thread"] [part~="message"]').map((n) => n.dataset.state ?? 'follow-up')).to.deep.equal(['answered', 'follow-up']);
    type(creatorFollow, 'Go on.');
    await creatorEl.updateComplete;
    const back = nextEvent(creatorEl, 'harmony-follow-up-sent');
    part<HTMLButtonElement>(creatorEl, 'follow-up-button')!.click();
    expect((await back).detail).to.include({ by: 'creator', amount: 0n, index: 1 });
    await waitFor(() => $$(visitorEl, '[part~="follow-up"] [part~="message-text"]').some((n) => text(n) === 'Go on.'), { message: "the creator's follow-up at the visitor", timeout: 20_000 });
    expect(prompts(creator.calls).filter((m) => m !== 'eth_sendTransaction')).to.deep.equal([]);

    // ---- a second message, no reply, a week later: refund
    await click(visitorEl, 'mode-button'); // "Send a paid message instead"
    await waitFor(() => $(visitorEl, '#amount'), { message: 'the paid composer' });
    type($<HTMLTextAreaElement>(visitorEl, '#draft')!, 'Second try: still there?');
    const sent2 = nextEvent(visitorEl, 'harmony-message-sent');
    await click(visitorEl, 'send-button');
    const second = await sent2;
    await increaseTime(7 * 86_400 + 60);

    visitorEl.remove(); // the visitor comes back a week later: everything reads, no prompt
    const callsBefore = visitor.calls.length;
    const later = await mount({ handle: '@satoshi', provider: visitor });
    await connect(later, 'composer');
    await waitFor(() => text(part(later, 'reply')).includes('OK'), { message: 'the reply, readable on return' });
    expect(prompts(visitor.calls.slice(callsBefore))).to.deep.equal([]);
    const refundButton = await waitFor(() => $<HTMLButtonElement>(later, `#refund-${second.detail.id}`), { message: 'the Get refund button' });
    expect(text(refundButton)).to.equal('Get refund of 10 ONE');
    const beforeRefund = await balanceOf(visitor.address);
    const refunded = nextEvent(later, 'harmony-refund');
    refundButton.click();
    const refundEvent = await refunded;
    expect(refundEvent.detail).to.include({ amount: ONE('10'), payout: 0n, thread: sentEvent.detail.thread });
    const afterRefund = await balanceOf(visitor.address);
    expect(afterRefund - beforeRefund + (await gasCost(refundEvent.detail.txHash))).to.equal(ONE('10'));
    await waitFor(() => text($(later, `#message-${second.detail.id}`)).includes('Refunded'), { message: 'the refunded badge' });
    expect(status(later)).to.match(/Refunded: 10 ONE is back in your wallet/);
  });
});
