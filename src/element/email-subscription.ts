/**
 * Email notifications (with `notifier-url`): a creator asks "Email me about new messages" (topic
 * `inbox`), a visitor "Email me when they reply" (topic `outbox`: the creator's reply and follow-ups,
 * and the coins coming back). The wallet signs an EIP-4361 (Sign-In with Ethereum) message bound to
 * this page's origin — the wallet shows the site the person is on — and the subscription is POSTed
 * to `/v1/subscriptions`; the notifier mails a link whose page has the button that confirms. The one
 * signature the element ever asks for, and it yields no key.
 * The protocol's browser half lives in the SDK (`src/sdk/notifier-client.ts`), loaded on first use.
 */
import { PaidChatError } from '../sdk/errors.js';
import type { ChatController } from './chat-controller.js';
import { copy } from './copy-connected.js';

export type EmailTopic = 'inbox' | 'outbox';

export class EmailSubscription {
  email = '';
  /** The address a confirmation was sent to. */
  subscribed?: string;
  readonly #c: ChatController;

  constructor(c: ChatController) {
    this.#c = c;
  }

  setEmail(value: string): void {
    this.email = value;
    this.#c.host.requestUpdate();
  }

  /** `inbox` from the creator's settings, `outbox` from a visitor's conversation. */
  async subscribe(topic: EmailTopic = 'inbox'): Promise<void> {
    const c = this.#c;
    const notifierUrl = c.host.notifierUrl;
    const email = this.email.trim();
    const address = c.session.account;
    if (!notifierUrl || !email || !address) return;
    const ok = await c.activity.run('email', undefined, async () => {
      const protocol = await import('../sdk/notifier-client.js');
      const problem = protocol.emailProblem(email);
      if (problem) throw new PaidChatError('NOTIFIER_REFUSED', copy.email.invalid(problem), { email, reason: 'invalid-email' });
      try {
        await protocol.requestSubscription({ notifierUrl, origin: location.origin, address, email, topic, signText: (message) => c.chat.signText(message) });
      } catch (e) {
        if (e instanceof protocol.NotifierRequestError) {
          throw e.code === 'network'
            ? new PaidChatError('NOTIFIER_UNAVAILABLE', copy.email.unreachable, { status: e.status }, { cause: e })
            : new PaidChatError('NOTIFIER_REFUSED', copy.email.refused(e.message), { notifierCode: e.code, status: e.status }, { cause: e });
        }
        throw e;
      }
      return true;
    });
    if (!ok) {
      await c.host.focusSelector(topic === 'inbox' ? '#settings-email' : '#visitor-email', true);
      return;
    }
    this.subscribed = email;
    c.host.announce(copy.email.checkInbox(email), 'success');
  }
}
