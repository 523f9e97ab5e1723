/**
 * Live: with the widget open, a new message, a reply and a follow-up appear within 3 s of being
 * mined, without a reload, and only what changed is read again (one message, the newest page of
 * one conversation — never the whole inbox). A hidden tab stops polling and catches up when shown.
 * A dropped RPC is retried with a growing wait, shown (counting down, with "Retry now"), and
 * cleared when the RPC answers again; what happened meanwhile then arrives.
 *
 * The widgets read through `localhost` while the other party acts through `127.0.0.1` (the same
 * anvil), so that the widgets' own traffic can be counted and cut (`rpcSpy`).
 */
import { expect, fixture, html } from '@open-wc/testing';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
import {
  $,
  $$,
  chainInfo,
  claim,
  click,
  connect,
  part,
  rpcSpy,
  sdk,
  setTabHidden,
  status,
  text,
  waitFor,
  waitForPart,
  wallet,
  type RpcSpy,
  type TestWallet,
} from './support/harness.js';
import type { PaidChat } from '../../src/sdk/client.js';

const HANDLE = 'live-creator';
const ONE = 10n ** 18n;

async function mountVia(url: string, provider: TestWallet): Promise<HarmonyPaidChat> {
  const c = await chainInfo();
  const el = await fixture<HarmonyPaidChat>(html`<harmony-paid-chat handle=${`@${HANDLE}`} chain="local" rpc-url=${url} contract=${c.contract} .provider=${provider}></harmony-paid-chat>`);
  await waitFor(() => el.card, { message: 'the card' });
  return el;
}

const inboxTexts = (el: HTMLElement) => $$(el, '[part~="inbox"] > [part~="message-list"] > [part~="message"] > [part~="message-text"]').map(text);
const conversationTexts = (el: HTMLElement) => $$(el, '[part~="conversation"] [part~="message-text"], [part~="conversation"] [part~="reply-text"]').map(text);

describe('live updates', () => {
  let spy: RpcSpy;
  let creator: TestWallet;
  let visitor: TestWallet;
  let creatorChat: PaidChat;
  let visitorChat: PaidChat;

  before(async () => {
    spy = await rpcSpy();
    creator = await wallet(52);
    visitor = await wallet(53);
    creatorChat = await claim(creator, HANDLE, '1');
    visitorChat = await sdk(visitor, HANDLE);
    await visitorChat.send({ to: HANDLE, text: 'an earlier message' });
  });

  after(() => {
    setTabHidden(false);
    spy.restore();
  });

  it('a new message, a reply and a follow-up appear within 3 s of being mined, reading only what changed', async function () {
    this.timeout(60_000);
    // Both widgets open: the creator's (own keys in this browser) and the visitor's.
    const creatorEl = await mountVia(spy.url, creator);
    await connect(creatorEl, 'inbox');
    await waitFor(() => inboxTexts(creatorEl).length === 1, { message: 'the inbox' });
    const visitorEl = await mountVia(spy.url, visitor);
    await connect(visitorEl, 'composer');
    await waitFor(() => conversationTexts(visitorEl).length === 1, { message: 'the conversation' });
    await new Promise((r) => setTimeout(r, 1_200)); // both watches are polling

    const received: CustomEvent[] = [];
    creatorEl.addEventListener('harmony-message-received', (e) => received.push(e as CustomEvent));
    visitorEl.addEventListener('harmony-message-received', (e) => received.push(e as CustomEvent));

    // A new paid message (sent elsewhere: through the SDK) shows in the open inbox.
    spy.reset();
    const sent = await visitorChat.send({ to: HANDLE, text: 'live: are you there?', amount: '3' });
    const t0 = performance.now();
    await waitFor(() => inboxTexts(creatorEl)[0] === 'live: are you there?', { message: 'the new message in the inbox', timeout: 3_000 });
    const messageMs = performance.now() - t0;
    await waitFor(() => conversationTexts(visitorEl).includes('live: are you there?'), { message: "the visitor's other tab", timeout: 3_000 });
    expect(spy.calls, 'the inbox is not read again').not.to.include('eth_call:inboxPage');
    expect(spy.calls).to.include('eth_call:getMessage');
    expect(received[0]!.detail).to.include({ kind: 'message', id: sent.id, amount: 3n * ONE, payout: (3n * ONE * 99n) / 100n, thread: sent.thread });
    expect(status(creatorEl)).to.equal('New message with 3 ONE.');

    // The creator replies (elsewhere): the reply shows at the visitor, and the conversation opens.
    spy.reset();
    await creatorChat.reply({ id: sent.id, text: 'live: yes' });
    const t1 = performance.now();
    await waitFor(() => conversationTexts(visitorEl).includes('live: yes'), { message: 'the reply at the visitor', timeout: 3_000 });
    const replyMs = performance.now() - t1;
    await waitFor(() => part(visitorEl, 'follow-up-form'), { message: 'the composer for a follow-up', timeout: 3_000 });
    await waitFor(() => $(creatorEl, `#message-${sent.id}`)?.dataset.state === 'answered', { message: 'answered in the inbox', timeout: 3_000 });
    expect(spy.calls).not.to.include('eth_call:inboxPage');
    expect(received.find((e) => e.detail.kind === 'reply')!.detail).to.include({ id: sent.id, payout: (3n * ONE * 99n) / 100n });

    // A follow-up (elsewhere) shows in the visitor's open conversation and in the creator's open thread.
    $<HTMLButtonElement>(creatorEl, `#message-${sent.id} [part~="thread-button"]`)!.click();
    await waitForPart(creatorEl, 'thread');
    await waitFor(() => $$(creatorEl, '[part~="thread"] [part~="message"]').length === 2, { message: 'the thread' });
    spy.reset();
    await creatorChat.postFollowUp({ with: visitor.address, text: 'live: one more thing' });
    const t2 = performance.now();
    await waitFor(() => conversationTexts(visitorEl).includes('live: one more thing'), { message: 'the follow-up at the visitor', timeout: 3_000 });
    const followMs = performance.now() - t2;
    await waitFor(() => $$(creatorEl, '[part~="thread"] [part~="message-text"]').map(text).includes('live: one more thing'), { message: 'in the thread', timeout: 3_000 });
    expect(spy.calls.filter((m) => m === 'eth_call:conversationPage').length, 'one page per open conversation').to.be.at.most(2);
    expect(spy.calls).not.to.include('eth_call:inboxPage');
    console.log(`[measure] mined → visible: message ${Math.round(messageMs)} ms, reply ${Math.round(replyMs)} ms, follow-up ${Math.round(followMs)} ms`);
    for (const ms of [messageMs, replyMs, followMs]) expect(ms).to.be.below(3_000);
    await expect(creatorEl).to.be.accessible();
  });

  it('a hidden tab stops polling, and catches up when shown again', async function () {
    this.timeout(60_000);
    const el = await mountVia(spy.url, creator);
    await connect(el, 'inbox');
    await waitFor(() => inboxTexts(el).length >= 2, { message: 'the inbox' });
    setTabHidden(true);
    await new Promise((r) => setTimeout(r, 300));
    spy.reset();
    await visitorChat.send({ to: HANDLE, text: 'while you were away' });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(spy.requests, 'RPC requests while hidden').to.equal(0);
    expect(inboxTexts(el)).not.to.include('while you were away');
    setTabHidden(false);
    const t0 = performance.now();
    await waitFor(() => inboxTexts(el)[0] === 'while you were away', { message: 'the catch-up', timeout: 3_000 });
    console.log(`[measure] shown again → caught up: ${Math.round(performance.now() - t0)} ms`);
    expect(spy.calls).not.to.include('eth_call:inboxPage');
  });

  it('a dropped RPC: retried with a growing wait, shown and counting down, cleared when back; what happened meanwhile arrives', async function () {
    this.timeout(60_000);
    const el = await mountVia(spy.url, visitor);
    await connect(el, 'composer');
    await waitFor(() => conversationTexts(el).length >= 3, { message: 'the conversation' });
    spy.down = true;
    const line = await waitForPart(el, 'live', 5_000);
    expect(text(line)).to.match(/Can't reach the network \(1 attempt failed\)\. Retrying in [12] s… What you see may be out of date\. Retry now/);
    expect(status(el)).to.match(/Lost the connection to the network/);
    const first = text(line);
    await waitFor(() => /2 attempts failed/.test(text(part(el, 'live'))), { message: 'a second attempt', timeout: 6_000 });
    expect(text(part(el, 'live'))).to.match(/Retrying in [1-4] s/); // the wait grew: 2 s, then 4 s
    expect(text(part(el, 'live'))).not.to.equal(first); // never a frozen view: it counts
    await expect(el).to.be.accessible();

    await creatorChat.postFollowUp({ with: visitor.address, text: 'sent during the outage' });
    spy.down = false;
    await click(el, 'retry-button');
    await waitFor(() => !part(el, 'live'), { message: 'the line cleared', timeout: 3_000 });
    expect(status(el)).to.equal('Connected again. Up to date.');
    await waitFor(() => conversationTexts(el).includes('sent during the outage'), { message: 'what happened meanwhile', timeout: 3_000 });
  });
});
