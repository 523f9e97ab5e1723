/**
 * The facts of a notification: what the chain says happened, and nothing else — never a message's
 * text, encrypted or not (the service never even reads the envelope). The watcher stores them as the
 * payload of each outbox row; the sender renders an email from them, the webhook sender a Standard
 * Webhooks payload.
 */
import { createHash } from 'node:crypto';
import type { Address } from 'viem';
import type { NotificationKind } from './store/store.js';

export interface Party {
  address: Address;
  /** '' when the address holds no handle. */
  handle: string;
}

export interface NotificationFacts {
  kind: NotificationKind;
  /** The paid message (message, reply, refund, reminder); for a follow-up: 0n. */
  id: bigint;
  /** The conversation (thread) number, when known. */
  thread?: number;
  /** A follow-up's index in its thread. */
  index?: number;
  /** The visitor who paid (the thread's sender). */
  sender: Party;
  /** The creator (the handle's owner). */
  recipient: Party;
  /** For a follow-up: who wrote it (sender or recipient). */
  author?: Address;
  /** Wei: paid (message, reminder), paid out (reply, follow-up), returned (refund). */
  amount: bigint;
  /** Protocol fee kept (reply, follow-up; wei). */
  fee?: bigint;
  /** Unix seconds (message, reminder). */
  deadline?: bigint;
  txHash?: string;
  explorerUrl?: string;
  blockNumber: bigint;
  /** Unix seconds of the block (when known). */
  blockTime?: bigint;
}

/**
 * The event's own key: one email per event, ever; the id its webhooks carry and the email's
 * Message-ID are derived from it. A chain event's key names its transaction: after a reorg, an event
 * of another transaction that reuses the message id (or thread and index) is another event, and is
 * delivered, even if the orphaned one already was. A reminder is about chain time, not a
 * transaction: its key is the message alone.
 */
export function eventKey(f: Pick<NotificationFacts, 'kind' | 'id' | 'thread' | 'index' | 'txHash'>): string {
  const base = f.kind === 'follow-up' ? `follow-up:${f.thread}:${f.index}` : `${f.kind}:${f.id}`;
  return f.kind === 'reminder' || !f.txHash ? base : `${base}:${f.txHash.toLowerCase()}`;
}

/** The Standard Webhooks `webhook-id` of an event: stable across retries and restarts. */
export function webhookEventId(scope: string, key: string): string {
  return `msg_${createHash('sha256').update(`harmony-paid-chat-notifier\n${scope}\n${key}`).digest('base64url').slice(0, 27)}`;
}

export function serializeFacts(f: NotificationFacts): string {
  return JSON.stringify(f, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

export function parseFacts(payload: string): NotificationFacts {
  return JSON.parse(payload, (_k, v) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));
}

export const WEBHOOK_TYPES: Record<Exclude<NotificationKind, 'reminder'>, string> = {
  message: 'message.sent',
  reply: 'message.replied',
  refund: 'message.refunded',
  'follow-up': 'followup.posted',
};

/** The JSON body of a webhook (Standard Webhooks: `type`, `timestamp`, `data`). Public facts only. */
export function webhookBody(f: NotificationFacts, ctx: { chainId: number; contract: Address; now: number }): string {
  const kind = f.kind as Exclude<NotificationKind, 'reminder'>;
  const data: Record<string, unknown> = {
    chainId: ctx.chainId,
    contract: ctx.contract,
    ...(f.kind === 'follow-up' ? { thread: f.thread, index: f.index, author: f.author } : { id: f.id.toString(), thread: f.thread ?? null }),
    sender: f.sender.address,
    senderHandle: f.sender.handle || null,
    recipient: f.recipient.address,
    recipientHandle: f.recipient.handle || null,
  };
  switch (f.kind) {
    case 'message':
      Object.assign(data, { amount: f.amount.toString(), deadline: f.deadline !== undefined ? new Date(Number(f.deadline) * 1000).toISOString() : null });
      break;
    case 'reply':
    case 'follow-up':
      Object.assign(data, { payout: f.amount.toString(), fee: (f.fee ?? 0n).toString() });
      break;
    case 'refund':
      Object.assign(data, { amount: f.amount.toString() });
      break;
  }
  Object.assign(data, { blockNumber: f.blockNumber.toString(), txHash: f.txHash ?? null });
  const timestamp = new Date(f.blockTime !== undefined ? Number(f.blockTime) * 1000 : ctx.now).toISOString();
  return JSON.stringify({ type: WEBHOOK_TYPES[kind], timestamp, data });
}
