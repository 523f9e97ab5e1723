/**
 * Message text is always rendered as text: HTML, <script> and <img onerror> payloads in messages,
 * replies and follow-ups (envelope kinds 3 and 4, in an open conversation) create no element and
 * run nothing; their textContent is exactly the payload.
 */
import { expect } from '@open-wc/testing';
import { $, $$, claim, click, connect, mount, nextEvent, sdk, text, type, waitFor, waitForPart, wallet } from './support/harness.js';

const HANDLE = 'xss-creator';
const PAYLOADS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  '<b>bold</b> &amp; <a href="javascript:window.__xss=3">click</a>',
  '<svg onload="window.__xss=4"><circle r=9></circle></svg>',
  '<iframe srcdoc="<script>parent.__xss=5</script>"></iframe>',
  '"><style>*{display:none}</style>${1+1}{{7*7}}',
];
const REPLY = '<img src=y onerror="window.__xss=6">OK';
const VISITOR_FOLLOW_UP = '<script>window.__xss=7</script><img src=z onerror="window.__xss=8">';
const CREATOR_FOLLOW_UP = '<a href="javascript:window.__xss=9">more</a><svg onload="window.__xss=10">';

declare global {
  interface Window {
    __xss?: number;
  }
}

function assertInert(node: Element, payload: string) {
  expect(node.textContent).to.equal(payload);
  expect(node.children.length, `no element created for ${payload}`).to.equal(0);
  expect(node.querySelector('img, script, b, a, svg, iframe, style')).to.equal(null);
}

describe('hostile message text', () => {
  it('renders HTML and script payloads as inert text for the creator and the visitor', async function () {
    this.timeout(90_000);
    const creator = await wallet(9);
    const visitor = await wallet(10);
    await claim(creator, HANDLE, '0');

    // One payload through the UI, the rest through the SDK (set-up).
    const visitorEl = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await connect(visitorEl, 'composer');
    type($<HTMLTextAreaElement>(visitorEl, '#draft')!, PAYLOADS[0]!);
    const sent = nextEvent(visitorEl, 'harmony-message-sent');
    await click(visitorEl, 'send-button');
    await sent;
    const chat = await sdk(visitor, HANDLE);
    for (const text of PAYLOADS.slice(1)) await chat.send({ to: HANDLE, text });

    // The creator reads them all.
    const creatorEl = await mount({ handle: `@${HANDLE}`, provider: creator });
    await connect(creatorEl, 'inbox');
    await waitFor(() => $$(creatorEl, '[part~="inbox"] [part~="message-text"]').length === PAYLOADS.length, {
      message: 'all payloads in the inbox',
    });
    const shown = $$(creatorEl, '[part~="inbox"] [part~="message-text"]');
    for (const [i, payload] of [...PAYLOADS].reverse().entries()) assertInert(shown[i]!, payload); // newest first

    // The creator replies with a payload; the visitor reads it as text.
    const first = $$(creatorEl, '[part~="inbox"] [part~="message"]').pop()!;
    type(first.querySelector<HTMLTextAreaElement>('[part~="reply-input"]')!, REPLY);
    await creatorEl.updateComplete;
    const replied = nextEvent(creatorEl, 'harmony-reply-sent');
    first.querySelector<HTMLButtonElement>('[part~="reply-button"]')!.click();
    await replied;

    await waitFor(() => $$(visitorEl, '[part~="reply"] [part~="reply-text"]').length === 1, { message: 'the reply in the conversation', timeout: 20_000 });
    assertInert($$(visitorEl, '[part~="reply"] [part~="reply-text"]')[0]!, REPLY);

    // The reply opened the conversation: follow-ups from both sides (envelope kinds 3 and 4) carry payloads too.
    await chat.postFollowUp({ with: HANDLE, text: VISITOR_FOLLOW_UP });
    first.querySelector<HTMLButtonElement>('[part~="thread-button"]')!.click();
    await waitForPart(creatorEl, 'follow-up-form');
    const followUps = (el: HTMLElement, scope: string) => $$(el, `${scope} [part~="follow-up"] [part~="message-text"]`);
    await waitFor(() => followUps(creatorEl, '[part~="thread"]').length === 1, { message: "the visitor's follow-up at the creator", timeout: 20_000 });
    assertInert(followUps(creatorEl, '[part~="thread"]')[0]!, VISITOR_FOLLOW_UP);
    type($<HTMLTextAreaElement>(creatorEl, `#follow-${visitor.address.toLowerCase()}`)!, CREATOR_FOLLOW_UP);
    const followed = nextEvent(creatorEl, 'harmony-follow-up-sent');
    await creatorEl.updateComplete;
    await click(creatorEl, 'follow-up-button');
    await followed;
    await waitFor(() => followUps(visitorEl, '[part~="conversation"]').length === 2, { message: 'both follow-ups at the visitor', timeout: 20_000 });
    const atVisitor = followUps(visitorEl, '[part~="conversation"]');
    assertInert(atVisitor[0]!, VISITOR_FOLLOW_UP);
    assertInert(atVisitor[1]!, CREATOR_FOLLOW_UP);
    await waitFor(() => followUps(creatorEl, '[part~="thread"]').length === 2, { message: "the creator's own follow-up in the thread", timeout: 20_000 });
    assertInert(followUps(creatorEl, '[part~="thread"]')[1]!, CREATOR_FOLLOW_UP);
    const outboxTexts = $$(visitorEl, '[part~="conversation"] [part~="message-text"]');
    expect(outboxTexts.map((n) => n.textContent)).to.include.members(PAYLOADS);
    for (const n of outboxTexts) expect(n.children.length).to.equal(0);

    // Nothing ran, anywhere.
    await new Promise((r) => setTimeout(r, 200));
    expect(window.__xss).to.equal(undefined);
    expect(document.querySelectorAll('img, script[src*="x"], iframe').length).to.equal(0);
    for (const el of [creatorEl, visitorEl]) expect(el.shadowRoot!.querySelectorAll('img, iframe, svg circle, a[href^="javascript"]').length).to.equal(0);
    expect(text($(creatorEl, '[part~="message"]'))).to.contain('Verified sender');
  });
});
