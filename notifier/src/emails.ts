/**
 * What the notifier mails: the facts of a notification (never a message's content — the service
 * never even reads the ciphertext), its deterministic Message-ID, and unsubscribe links.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Address } from 'viem';
import { formatOne, toOneAddress } from 'harmony-paid-chat';
import { escapeHtml } from './html.js';
import { canonicalEmail } from './store/mailbox.js';
import type { Topic } from './store/store.js';
import type { NotificationFacts, Party } from './facts.js';

export type { NotificationFacts, Party } from './facts.js';
export { canonicalEmail } from './store/mailbox.js';

export interface RenderContext {
  /** Where the person reads and replies: the widget page for a handle. */
  pageUrl: string;
  unsubscribeUrl: string;
  /** The address this subscription is for, and what about. */
  subscriber: Address;
  topic: Topic;
  email: string;
  reminderLeadSec: number;
  chainName: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** `@alice` or a short address. */
export function displayName(p: Party): string {
  return p.handle ? `@${p.handle}` : `${p.address.slice(0, 6)}…${p.address.slice(-4)}`;
}

function oneForm(address: Address): string | undefined {
  try {
    return toOneAddress(address);
  } catch {
    return undefined; // the SDK's address helpers are unavailable: show 0x only
  }
}

/** `@alice (0x… / one1…)` — both address forms, as Harmony users meet both. */
export function describeParty(p: Party): string {
  const one = oneForm(p.address);
  const addrs = one ? `${p.address} / ${one}` : p.address;
  return p.handle ? `@${p.handle} (${addrs})` : addrs;
}

export function formatTime(unixSeconds: bigint | number): string {
  return new Date(Number(unixSeconds) * 1000).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

export function describeDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} hour${seconds === 3_600 ? '' : 's'}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} seconds`;
}

/**
 * Deterministic RFC 5322 Message-ID for a notification key: a resend after a crash carries the
 * same id, which mail systems use to drop the duplicate.
 */
export function notificationMessageId(scope: string, key: string, domain: string): string {
  const h = createHash('sha256').update(`harmony-paid-chat-notifier\n${scope}\n${key}`).digest('hex').slice(0, 40);
  return `<${h}.${key.split(':')[0]}@${domain}>`;
}

/** A keyed hash of an email address's mailbox (canonicalEmail): counts confirmation emails per recipient without storing the address twice. */
export function emailKey(secret: string, email: string): string {
  return createHmac('sha256', secret).update(`email\n${canonicalEmail(email)}`).digest('base64url');
}

// ------------------------------------------------------------------ tokens

/** A random one-time token (confirmation links) and the hash kept at rest. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newUnsubId(): string {
  return randomBytes(16).toString('hex');
}

/** Unsubscribe token `unsubId.mac`: verifiable without storing the token itself. */
export function unsubscribeToken(secret: string, unsubId: string): string {
  return `${unsubId}.${createHmac('sha256', secret).update(`unsubscribe\n${unsubId}`).digest('base64url')}`;
}

/** The unsubscribe id inside a genuine token, else undefined. */
export function verifyUnsubscribeToken(secret: string, token: string): string | undefined {
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return undefined;
  const expected = Buffer.from(unsubscribeToken(secret, m[1]!));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given) ? m[1] : undefined;
}

// ------------------------------------------------------------------ rendering

/** What a topic covers, in words (emails and pages). */
export const TOPIC_TEXT: Record<Topic, string> = {
  inbox: 'new paid messages, follow-ups and reply deadlines (as a creator)',
  outbox: 'replies, follow-ups and refunds of the messages you paid for (as a sender)',
};

function footer(ctx: RenderContext): { text: string; html: string } {
  const text = [
    '',
    '--',
    `You get this email because ${ctx.subscriber} subscribed ${ctx.email} to Harmony Paid Chat notifications about ${TOPIC_TEXT[ctx.topic]} (${ctx.chainName}).`,
    `Unsubscribe with one click: ${ctx.unsubscribeUrl}`,
  ].join('\n');
  const html = `<hr><p style="color:#666;font-size:12px">You get this email because <code>${escapeHtml(ctx.subscriber)}</code> subscribed ${escapeHtml(
    ctx.email,
  )} to Harmony Paid Chat notifications about ${escapeHtml(TOPIC_TEXT[ctx.topic])} (${escapeHtml(ctx.chainName)}). <a href="${escapeHtml(ctx.unsubscribeUrl)}">Unsubscribe</a>.</p>`;
  return { text, html };
}

function layout(rows: [string, string][], intro: string, action: { label: string; url: string }, outro: string, ctx: RenderContext): { text: string; html: string } {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const f = footer(ctx);
  const text = [intro, '', ...rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`), '', `${action.label}: ${action.url}`, '', outro, f.text].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${escapeHtml(intro)}</p>
<table cellpadding="4" style="border-collapse:collapse">${rows
    .map(([k, v]) => `<tr><th align="left" valign="top">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</table>
<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>
<p>${escapeHtml(outro)}</p>
${f.html}
</body></html>`;
  return { text, html };
}

/** Subject and bodies of a notification. Only public facts from the chain; never message text. */
export function renderNotification(f: NotificationFacts, ctx: RenderContext): RenderedEmail {
  const amount = `${formatOne(f.amount)} ONE`;
  const tx: [string, string][] = f.explorerUrl ? [['Transaction', f.explorerUrl]] : f.txHash ? [['Transaction', f.txHash]] : [];
  switch (f.kind) {
    case 'message': {
      const deadline = f.deadline ?? 0n;
      const body = layout(
        [
          ['From', describeParty(f.sender)],
          ['To', describeParty(f.recipient)],
          ['Amount', amount],
          ['Reply by', formatTime(deadline)],
          ['Message', `#${f.id}`],
          ...tx,
        ],
        `${displayName(f.sender)} sent you a paid message with ${amount} in it.`,
        { label: 'Read and reply', url: ctx.pageUrl },
        'The message is end-to-end encrypted: only you can read it, in the chat widget. Reply before the deadline to receive the coins; after it, the sender can take them back.',
        ctx,
      );
      return { subject: `New paid message from ${displayName(f.sender)}: ${amount}`, ...body };
    }
    case 'reminder': {
      const deadline = f.deadline ?? 0n;
      const lead = describeDuration(ctx.reminderLeadSec);
      const body = layout(
        [
          ['From', describeParty(f.sender)],
          ['Amount', amount],
          ['Reply by', formatTime(deadline)],
          ['Message', `#${f.id}`],
        ],
        `Less than ${lead} left to reply to the paid message from ${displayName(f.sender)} (${amount}).`,
        { label: 'Reply now', url: ctx.pageUrl },
        'If you do not reply before the deadline, the sender can take the coins back.',
        ctx,
      );
      return { subject: `Reminder: ${lead} left to reply to ${displayName(f.sender)} (${amount})`, ...body };
    }
    case 'follow-up': {
      const fromCreator = f.author !== undefined && f.author.toLowerCase() === f.recipient.address.toLowerCase();
      const author = fromCreator ? f.recipient : f.sender;
      const paid = f.amount > 0n;
      const body = layout(
        [
          ['From', describeParty(author)],
          ...(paid ? ([['Paid out', `${formatOne(f.amount)} ONE`]] as [string, string][]) : []),
          ['Conversation', `#${f.thread}`],
          ...tx,
        ],
        `${displayName(author)} wrote a follow-up in your conversation${!fromCreator && paid ? ` (${amount} paid to you)` : ''}.`,
        { label: 'Read it', url: ctx.pageUrl },
        'Follow-ups are end-to-end encrypted: only you can read them, in the chat widget.',
        ctx,
      );
      return { subject: `Follow-up from ${displayName(author)}`, ...body };
    }
    case 'reply': {
      const body = layout(
        [
          ['Replied by', describeParty(f.recipient)],
          ['Paid out', amount],
          ...(f.fee !== undefined && f.fee > 0n ? ([['Protocol fee', `${formatOne(f.fee)} ONE`]] as [string, string][]) : []),
          ['Message', `#${f.id}`],
          ...tx,
        ],
        `${displayName(f.recipient)} replied to your paid message.`,
        { label: 'Read the reply', url: ctx.pageUrl },
        'The reply is end-to-end encrypted: only you can read it, in the chat widget, with the wallet that sent the message.',
        ctx,
      );
      return { subject: `${displayName(f.recipient)} replied to your message`, ...body };
    }
    case 'refund': {
      const body = layout(
        [
          ['To', describeParty(f.recipient)],
          ['Returned', amount],
          ['Message', `#${f.id}`],
          ...tx,
        ],
        `Your paid message to ${displayName(f.recipient)} was not answered in time; ${amount} went back to your wallet.`,
        { label: 'Open the chat', url: ctx.pageUrl },
        'Refunds happen on chain; nothing else is needed from you.',
        ctx,
      );
      return { subject: `Refunded: ${amount} from your message to ${displayName(f.recipient)}`, ...body };
    }
  }
}

export function renderConfirmation(p: { address: Address; topic: Topic; email: string; link: string; expiresAt: number; site: string; serviceHost: string; chainName: string }): RenderedEmail {
  const until = new Date(p.expiresAt).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
  const what = TOPIC_TEXT[p.topic];
  const text = [
    `Someone (hopefully you) on ${p.site} signed with the wallet ${p.address} a request to email this address about ${what} on Harmony Paid Chat (${p.chainName}).`,
    '',
    `To confirm, open this page and press "Confirm": ${p.link}`,
    '',
    `The link works until ${until}; a newer request replaces it.`,
    'If you did not ask for this, ignore this email: nothing will be sent to you.',
    '',
    `-- ${p.serviceHost}`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>Someone (hopefully you) on <b>${escapeHtml(p.site)}</b> signed with the wallet <code>${escapeHtml(p.address)}</code> a request to email this address about ${escapeHtml(what)} on Harmony Paid Chat (${escapeHtml(p.chainName)}).</p>
<p><a href="${escapeHtml(p.link)}">Open the confirmation page</a> and press "Confirm".</p>
<p>The link works until ${escapeHtml(until)}; a newer request replaces it. If you did not ask for this, ignore this email: nothing will be sent to you.</p>
</body></html>`;
  return { subject: 'Confirm email notifications for Harmony Paid Chat', text, html };
}
