/**
 * A visitor's "Email me when … replies" (with `notifier-url`): shown once the visitor has a
 * conversation with the page's creator, not before and not without a notifier; a bad address is
 * refused before any signature, and an unreachable notifier is said plainly (nothing signed).
 * The service side of a sender's subscription is tested in test/node/notifier-flow.test.ts.
 */
import { expect } from '@open-wc/testing';
import { $, chainInfo, claim, click, connect, mount, part, sdk, text, type, waitFor, waitForPart, wallet, type TestWallet } from './support/harness.js';

const HANDLE = 'visitor-email';

describe('visitor email notifications', () => {
  let creator: TestWallet;
  let visitor: TestWallet;
  let stranger: TestWallet;

  before(async () => {
    creator = await wallet(56);
    visitor = await wallet(57);
    stranger = await wallet(58);
    await claim(creator, HANDLE, '1', 2 * 86_400);
    await (await sdk(visitor, HANDLE)).send({ to: HANDLE, text: 'Will you answer?' });
  });

  it('appears under the conversation, refuses a bad address before signing, and says when the notifier is unreachable', async () => {
    const c = await chainInfo();
    const el = await mount({ handle: `@${HANDLE}`, provider: visitor, notifierUrl: c.closedRpcUrl });
    await connect(el, 'conversation');
    const email = await waitForPart<HTMLInputElement>(el, 'email-input');
    expect(text($(el, 'label[for="visitor-email"]'))).to.equal(`Email me when @${HANDLE} replies`);
    type(email, 'not an email');
    await el.updateComplete;
    const signatures = () => visitor.calls.filter((m) => m === 'personal_sign').length;
    const before = signatures();
    await click(el, 'email-button');
    await waitFor(() => $(el, '#email-error'), { message: 'the email error' });
    expect(text($(el, '#email-error'))).to.match(/Check the email address and try again\.$/);
    type(email, 'visitor@example.com');
    await el.updateComplete;
    await click(el, 'email-button');
    await waitFor(() => /Can't reach the notification service/.test(text($(el, '#email-error'))), { message: 'the notifier error' });
    expect(signatures()).to.equal(before, 'nothing signed');
  });

  it('is not offered without a conversation, nor without notifier-url', async () => {
    const c = await chainInfo();
    const fresh = await mount({ handle: `@${HANDLE}`, provider: stranger, notifierUrl: c.closedRpcUrl });
    await connect(fresh, 'composer');
    expect(part(fresh, 'email-input')).to.equal(null);
    const without = await mount({ handle: `@${HANDLE}`, provider: visitor });
    await connect(without, 'conversation');
    expect(part(without, 'email-input')).to.equal(null);
  });
});
