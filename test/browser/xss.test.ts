/**
 * Message text is always rendered as text: HTML, <script> and <img onerror> payloads in messages
 * and replies create no element and run nothing; their textContent is exactly the payload.
 */
import { expect } from '@open-wc/testing';
import { $, $$, claim, click, connect, mount, nextEvent, sdk, text, type, waitFor, wallet } from './support/harness.js';

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
    const outboxTexts = $$(visitorEl, '[part~="conversation"] [part~="message-text"]');
    expect(outboxTexts.map((n) => n.textContent)).to.include.members(PAYLOADS);
    for (const n of outboxTexts) expect(n.children.length).to.equal(0);

    // Nothing ran, anywhere.
    await new Promise((r) => setTimeout(r, 200));
    expect(window.__xss).to.equal(undefined);
    expect(document.querySelectorAll('img, script[src*="x"], iframe').length).to.equal(0);
    expect(text($(creatorEl, '[part~="message"]'))).to.contain('Verified sender');
  });
});
