/**
 * Threads: one conversation, the same for both sides and in chain order — paid messages with
 * their state (in escrow with the time left, answered, refundable, refunded) and replies, and
 * follow-ups. Once the creator has answered, the visitor's composer writes a follow-up and says
 * what it costs (the card says it too); either side closes the conversation; a reply to a new paid
 * message opens it again. The message list is its own component, usable without the controller.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { render } from 'lit';
import { renderMessageList, type ListEntry } from '../../src/element/message-list.js';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
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
  text,
  type,
  waitFor,
  waitForPart,
  wallet,
  type TestWallet,
} from './support/harness.js';

const HANDLE = 'thread-creator';
const ONE = 10n ** 18n;

/** What each side shows, in order: `state:text` for paid messages (with `>reply`), `by:text` for follow-ups. */
function thread(el: HarmonyPaidChat, scope: string): string[] {
  return $$(el, `${scope} [part~="message"]`).map((n) => {
    const body = text(n.querySelector('[part~="message-text"]'));
    if (n.dataset.state) {
      const reply = n.querySelector('[part~="reply-text"]');
      return `${n.dataset.state}:${body}${reply ? `>${text(reply)}` : ''}`;
    }
    return `${n.dataset.side}:${body}`;
  });
}

describe('threads', () => {
  let creator: TestWallet;
  let visitor: TestWallet;

  before(async () => {
    creator = await wallet(47);
    visitor = await wallet(48);
    const chat = await claim(creator, HANDLE, '1', 3 * 86_400);
    await chat.updateProfile({ followUpPrice: '0.5' });
  });

  it('one conversation for both sides, in order; follow-ups at their price; either side closes; a reply to a new paid message reopens', async function () {
    this.timeout(120_000);
    const v = await mount({ handle: `@${HANDLE}`, provider: visitor });
    expect(text(part(v, 'price'))).to.equal('1 ONE per message · replies within 3 days · follow-ups 0.5 ONE');
    await connect(v, 'composer');
    const c = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(c, 'inbox');

    // A paid message: in escrow, with the time left, on both sides.
    type($<HTMLTextAreaElement>(v, '#draft')!, 'first question');
    const sent = nextEvent<CustomEvent>(v, 'harmony-message-sent');
    await click(v, 'send-button');
    const m1 = (await sent).detail;
    expect(m1).to.include({ amount: ONE, fee: ONE / 100n, payout: (ONE * 99n) / 100n });
    await waitFor(() => thread(v, '[part~="conversation"]').length === 1, { message: 'the message at the visitor' });
    expect(text(part(v, 'message-meta'))).to.match(/^1 ONE · In escrow, waiting for a reply (3 d|2 d 23 h) left$/);
    expect(text(part(v, 'thread-state'))).to.equal(`Follow-ups open once @${HANDLE} replies to a paid message.`);
    const item = await waitFor(() => $<HTMLElement>(c, `#message-${m1.id}`), { message: 'the message in the inbox' });
    expect(item.dataset.state).to.equal('escrow');

    // The creator answers: the coins are paid out, the conversation opens for follow-ups.
    type(item.querySelector<HTMLTextAreaElement>('[part~="reply-input"]')!, 'first answer');
    const replied = nextEvent<CustomEvent>(c, 'harmony-reply-sent');
    await c.updateComplete;
    item.querySelector<HTMLButtonElement>('[part~="reply-button"]')!.click();
    expect((await replied).detail).to.include({ thread: m1.thread, payout: (ONE * 99n) / 100n, fee: ONE / 100n });
    await waitForPart(v, 'follow-up-form');
    expect(thread(v, '[part~="conversation"]')).to.deep.equal(['answered:first question>first answer']);
    expect(text(part(v, 'composer'))).to.contain(`@${HANDLE} answered, so this conversation is open: a follow-up costs 0.5 ONE, paid to @${HANDLE} at once (not held, not refundable).`);
    expect(text(part(v, 'follow-up-button'))).to.equal('Send follow-up (0.5 ONE)');
    expect(part(v, 'amount'), 'no amount field for a follow-up').to.equal(null);
    await expect(v).to.be.accessible();

    // The visitor follows up and pays the follow-up price; the creator nets it minus the fee at once.
    const creatorBefore = await balanceOf(creator.address);
    type($<HTMLTextAreaElement>(v, '#draft')!, 'a follow-up');
    const followed = nextEvent<CustomEvent>(v, 'harmony-follow-up-sent');
    await v.updateComplete;
    await click(v, 'follow-up-button');
    const f1 = (await followed).detail;
    expect(f1).to.include({ thread: m1.thread, by: 'visitor', amount: ONE / 2n, payout: (ONE / 2n) * 99n / 100n, fee: ONE / 200n });
    expect((await balanceOf(creator.address)) - creatorBefore).to.equal((ONE / 2n) * 99n / 100n);
    await waitFor(() => thread(v, '[part~="conversation"]').length === 2, { message: 'the follow-up at the visitor' });

    // The creator opens the conversation: the same thread, in the same order; writes back.
    item.querySelector<HTMLButtonElement>('[part~="thread-button"]')!.click();
    await waitForPart(c, 'follow-up-form');
    await waitFor(() => thread(c, '[part~="thread"]').length === 2, { message: 'the thread at the creator', timeout: 5_000 });
    expect(thread(c, '[part~="thread"]')).to.deep.equal(['answered:first question>first answer', 'theirs:a follow-up']);
    expect(text($(c, '[part~="thread"] [part~="follow-up"] [part~="message-meta"]'))).to.equal('Follow-up · 0.5 ONE paid');
    type($<HTMLTextAreaElement>(c, `#follow-${visitor.address.toLowerCase()}`)!, 'creator follows up');
    const back = nextEvent<CustomEvent>(c, 'harmony-follow-up-sent');
    await c.updateComplete;
    await click(c, 'follow-up-button');
    expect((await back).detail).to.include({ by: 'creator', amount: 0n, payout: 0n, thread: m1.thread });
    await waitFor(() => thread(v, '[part~="conversation"]').at(-1) === 'theirs:creator follows up', { message: "the creator's follow-up at the visitor" });

    // A second paid message (the visitor chooses it over a follow-up): in order on both sides.
    await click(v, 'mode-button');
    await waitFor(() => $(v, '#amount'), { message: 'the paid composer' });
    type($<HTMLTextAreaElement>(v, '#draft')!, 'second question');
    const sent2 = nextEvent<CustomEvent>(v, 'harmony-message-sent');
    await v.updateComplete;
    await click(v, 'send-button');
    const m2 = (await sent2).detail;
    await waitFor(() => thread(c, '[part~="thread"]').length === 4, { message: 'the second message in the thread', timeout: 5_000 });
    const expected = ['answered:first question>first answer', 'theirs:a follow-up', 'mine:creator follows up', 'escrow:second question'];
    expect(thread(c, '[part~="thread"]')).to.deep.equal(expected);
    await waitFor(() => thread(v, '[part~="conversation"]').length === 4, { message: 'the visitor side' });
    expect(thread(v, '[part~="conversation"]')).to.deep.equal(expected.map((e) => e.replace(/^theirs:/, 'x:').replace(/^mine:/, 'theirs:').replace(/^x:/, 'mine:')));
    // The waiting message's reply form lives in the open conversation (once), not twice.
    expect($$(c, `#reply-${m2.id}`)).to.have.length(1);
    expect($(c, `[part~="thread"] #reply-${m2.id}`)).to.exist;
    await expect(c).to.be.accessible();

    // The creator closes the conversation: the visitor's composer goes back to paid messages.
    const closed = nextEvent<CustomEvent>(c, 'harmony-thread-closed');
    await click(c, 'close-button');
    expect((await closed).detail).to.include({ thread: m1.thread, by: 'creator' });
    await waitFor(() => text(part(c, 'thread-state')).startsWith('Closed for follow-ups'), { message: 'closed at the creator' });
    await waitFor(() => !part(v, 'follow-up-form') && part(v, 'composer'), { message: 'closed at the visitor (live)', timeout: 5_000 });
    expect(text(part(v, 'thread-state'))).to.equal(`Closed for follow-ups. A new paid message opens it again once @${HANDLE} replies.`);
    expect(part(v, 'mode-button')).to.equal(null);

    // Answering the message sent before the close does not open it again (the contract's rule)…
    const reply2 = $<HTMLTextAreaElement>(c, `#reply-${m2.id}`)!;
    type(reply2, 'second answer');
    await c.updateComplete;
    const replied2 = nextEvent(c, 'harmony-reply-sent');
    reply2.closest('form')!.querySelector<HTMLButtonElement>('[part~="reply-button"]')!.click();
    await replied2;
    await waitFor(() => thread(v, '[part~="conversation"]').at(-1) === 'answered:second question>second answer', { message: 'the second answer at the visitor', timeout: 5_000 });
    expect(part(v, 'follow-up-form')).to.equal(null);
    // …a new paid message answered after it does.
    type($<HTMLTextAreaElement>(v, '#draft')!, 'third question');
    const sent3 = nextEvent<CustomEvent>(v, 'harmony-message-sent');
    await v.updateComplete;
    await click(v, 'send-button');
    const m3 = (await sent3).detail;
    const reply3 = await waitFor(() => $<HTMLTextAreaElement>(c, `#reply-${m3.id}`), { message: 'the third message at the creator', timeout: 5_000 });
    type(reply3, 'third answer');
    await c.updateComplete;
    const replied3 = nextEvent(c, 'harmony-reply-sent');
    reply3.closest('form')!.querySelector<HTMLButtonElement>('[part~="reply-button"]')!.click();
    await replied3;
    await waitFor(() => part(v, 'follow-up-form'), { message: 'open again at the visitor', timeout: 5_000 });
    expect(text(part(v, 'thread-state'))).to.equal('Open: either of you can write follow-ups.');

    // The visitor closes it this time.
    const closed2 = nextEvent<CustomEvent>(v, 'harmony-thread-closed');
    await click(v, 'close-button');
    expect((await closed2).detail).to.include({ thread: m1.thread, by: 'visitor' });
    await waitFor(() => text($(c, '[part~="thread"] [part~="thread-state"]')).startsWith('Closed for follow-ups'), { message: 'closed at the creator (live)', timeout: 5_000 });
    expect(part(c, 'follow-up-form')).to.equal(null);
  });

  it('refundable and refunded, on both sides', async function () {
    this.timeout(60_000);
    const v = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await connect(v, 'composer');
    await waitFor(() => thread(v, '[part~="conversation"]').length >= 5, { message: 'the conversation' });
    type($<HTMLTextAreaElement>(v, '#draft')!, 'will not be answered');
    const sent = nextEvent<CustomEvent>(v, 'harmony-message-sent');
    await v.updateComplete;
    await click(v, 'send-button');
    const m = (await sent).detail;
    await increaseTime(3 * 86_400 + 60);
    const later = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await connect(later, 'composer');
    const entry = await waitFor(() => $<HTMLElement>(later, `#message-${m.id}`), { message: 'the message' });
    await waitFor(() => entry.dataset.state === 'refundable', { message: 'refundable' });
    expect(text(entry.querySelector('[part~="message-meta"]'))).to.equal('1 ONE · Not answered in time — refundable');
    const c = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(c, 'inbox');
    const item = await waitFor(() => $(c, `#message-${m.id}`), { message: 'in the inbox' });
    expect(text(item.querySelector('[part~="message-meta"]'))).to.equal('1 ONE · Not answered in time');
    expect(item.querySelector('[part~="reply-box"]')).to.equal(null);
    await click(later, 'refund-button');
    await waitFor(() => $(later, `#message-${m.id}`)?.dataset.state === 'refunded', { message: 'refunded at the visitor' });
    await waitFor(() => $(c, `#message-${m.id}`)?.dataset.state === 'refunded', { message: 'refunded at the creator (live)', timeout: 5_000 });
  });

  it('the message list is its own component: plain entries in, parts and keyed updates out, no controller', async () => {
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    const entry = (n: number, side: 'mine' | 'theirs'): ListEntry => ({
      key: `p:${n}`,
      id: `post-${n}`,
      kind: n % 2 ? 'paid' : 'follow-up',
      side,
      author: side === 'mine' ? 'You' : '@channel',
      body: html`<p part="message-text">post ${n}</p>`,
      meta: n % 2 ? html`${n} ONE` : undefined,
      state: n % 2 ? 'escrow' : undefined,
    });
    render(renderMessageList([entry(1, 'theirs'), entry(2, 'mine')], { label: 'A channel', variant: 'conversation-list' }), host);
    const list = host.querySelector<HTMLUListElement>('[part~="message-list"]')!;
    expect(list.getAttribute('aria-label')).to.equal('A channel');
    const first = host.querySelector('#post-1')!;
    expect(first.getAttribute('part')).to.equal('message paid');
    expect(host.querySelector('#post-2')!.getAttribute('part')).to.equal('message follow-up');
    expect(text(first.querySelector('[part~="sender"]'))).to.equal('@channel');
    render(renderMessageList([entry(1, 'theirs'), entry(2, 'mine'), entry(3, 'theirs')], { label: 'A channel' }), host);
    expect(host.querySelector('#post-1'), 'the same node: focus and drafts survive an update').to.equal(first);
    expect([...host.querySelectorAll('[part~="message-text"]')].map(text)).to.deep.equal(['post 1', 'post 2', 'post 3']);
    render(renderMessageList([], { label: 'A channel', empty: 'Nothing yet.' }), host);
    expect(text(host)).to.equal('Nothing yet.');
  });
});
