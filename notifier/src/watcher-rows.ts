/**
 * What the watcher's reads turn into, with no RPC of its own: the decoded contract events of one
 * window become, inside that window's transaction, the email and webhook outbox rows (unique keys),
 * the reminders, the keeper's list of open messages and the settlements; and the reminders that fell
 * due become reminder emails. The reading itself (windows, reorgs, the cursor, the chain's context)
 * is in watcher.ts.
 */
import { getAddress, type Address, type Hex } from 'viem';
import type { Queryable } from './store/driver.js';
import type { NewOutboxRow, ReminderRow, Store, Subscription, Topic, Webhook } from './store/store.js';
import { eventKey, serializeFacts, webhookEventId, type NotificationFacts, type Party } from './facts.js';

export const STATUS_WAITING = 1;

export const EVENT_NAMES = ['MessageSent', 'MessageReplied', 'MessageRefunded', 'FollowUpPosted', 'HandleClaimed', 'HandleReleased'] as const;

export type RawMessageView = { id: bigint; thread: number; sender: Address; recipient: Address; amount: bigint; deadline: bigint; status: number };
export type Context = { handles: Map<string, string>; threads: Map<number, { sender: Address; recipient: Address }>; times: Map<bigint, bigint> };
export type Log = { eventName: (typeof EVENT_NAMES)[number]; args: any; blockNumber: bigint; blockHash: Hex; transactionHash: Hex; logIndex: number };

/** The watcher's options these rows depend on (WatcherOptions has them all). */
export interface RowOptions {
  store: Store;
  scope: string;
  webhooks: boolean;
  reminderLeadSec: number;
  explorerTxUrl(hash: string): string | undefined;
}

export function party(address: Address, handles: Map<string, string>): Party {
  const a = getAddress(address);
  return { address: a, handle: handles.get(a) ?? '' };
}

/** Inside the window's transaction: every row the window's events imply. Returns rows queued. */
export async function applyWindow(o: RowOptions, q: Queryable, logs: Log[], ctx: Context): Promise<number> {
  const { store } = o;
  const events = logs.filter((l) => l.eventName !== 'HandleClaimed' && l.eventName !== 'HandleReleased');
  if (events.length === 0) return 0;
  const addresses = new Set<string>();
  for (const l of events) for (const k of ['sender', 'recipient', 'author', 'reader']) if (l.args[k]) addresses.add(getAddress(l.args[k]));
  const subs = new Map<string, Subscription>();
  for (const s of await store.subscriptionsFor(q, [...addresses])) subs.set(`${s.address}:${s.topic}`, s);
  const hooks = new Map<string, Webhook[]>();
  if (o.webhooks) for (const w of await store.webhooksFor(q, [...addresses])) hooks.set(w.address, [...(hooks.get(w.address) ?? []), w]);

  const rows: NewOutboxRow[] = [];
  const reminders: Parameters<Store['scheduleReminders']>[1] = [];
  const open: Parameters<Store['openMessages']>[1] = [];
  const settled: Parameters<Store['settle']>[1] = [];
  const lead = BigInt(o.reminderLeadSec);

  const emit = (f: NotificationFacts, blockHash: Hex, mailTo: { address: Address; topic: Topic } | undefined) => {
    const key = eventKey(f);
    const payload = serializeFacts(f);
    const id = webhookEventId(o.scope, key);
    if (mailTo) {
      const sub = subs.get(`${mailTo.address}:${mailTo.topic}`);
      if (sub) rows.push({ key: `email:${key}`, channel: 'email', kind: f.kind, target: String(sub.id), eventId: id, payload: JSON.stringify({ facts: JSON.parse(payload), unsubId: sub.unsub_id }), blockNumber: f.blockNumber, blockHash });
    }
    if (f.kind === 'reminder') return;
    for (const party of new Set([f.sender.address, f.recipient.address])) {
      for (const w of hooks.get(party) ?? []) {
        rows.push({ key: `webhook:${w.id}:${key}`, channel: 'webhook', kind: f.kind, target: w.id, eventId: id, payload, blockNumber: f.blockNumber, blockHash });
      }
    }
  };

  for (const l of events) {
    const a = l.args;
    const base = {
      txHash: l.transactionHash,
      explorerUrl: o.explorerTxUrl(l.transactionHash),
      blockNumber: l.blockNumber,
      blockTime: ctx.times.get(l.blockNumber),
    };
    switch (l.eventName) {
      case 'MessageSent': {
        const sender = party(a.sender, ctx.handles);
        const recipient = party(a.recipient, ctx.handles);
        const sentAt = ctx.times.get(l.blockNumber) ?? 0n;
        if (a.deadline - lead > sentAt) {
          reminders.push({ messageId: a.id, recipient: recipient.address, sender: sender.address, amount: a.amount, deadline: a.deadline, dueAt: a.deadline - lead, blockNumber: l.blockNumber });
        }
        open.push({ messageId: a.id, deadline: a.deadline, blockNumber: l.blockNumber });
        emit({ kind: 'message', id: a.id, thread: Number(a.thread), sender, recipient, amount: a.amount, deadline: a.deadline, ...base }, l.blockHash, { address: recipient.address, topic: 'inbox' });
        break;
      }
      case 'MessageReplied': {
        const sender = party(a.sender, ctx.handles);
        const recipient = party(a.recipient, ctx.handles);
        settled.push({ messageId: a.id, blockNumber: l.blockNumber });
        emit({ kind: 'reply', id: a.id, thread: Number(a.thread), sender, recipient, amount: a.payout, fee: a.fee, ...base }, l.blockHash, { address: sender.address, topic: 'outbox' });
        break;
      }
      case 'MessageRefunded': {
        const sender = party(a.sender, ctx.handles);
        const recipient = party(a.recipient, ctx.handles);
        settled.push({ messageId: a.id, blockNumber: l.blockNumber });
        emit({ kind: 'refund', id: a.id, sender, recipient, amount: a.amount, ...base }, l.blockHash, { address: sender.address, topic: 'outbox' });
        break;
      }
      case 'FollowUpPosted': {
        const thread = Number(a.thread);
        const parties = ctx.threads.get(thread);
        const author = getAddress(a.author);
        const reader = getAddress(a.reader);
        // The thread's parties: the visitor who opened it (sender) and the creator (recipient).
        const senderAddr = parties?.sender ?? (author === reader ? author : author);
        const recipientAddr = parties?.recipient ?? reader;
        const sender = party(senderAddr, ctx.handles);
        const recipient = party(recipientAddr, ctx.handles);
        const mailTo = reader === recipient.address ? { address: reader, topic: 'inbox' as const } : { address: reader, topic: 'outbox' as const };
        emit(
          { kind: 'follow-up', id: 0n, thread, index: Number(a.index), sender, recipient, author, amount: a.payout, fee: a.fee, ...base },
          l.blockHash,
          mailTo,
        );
        break;
      }
    }
  }
  await store.scheduleReminders(q, reminders);
  await store.openMessages(q, open);
  await store.settle(q, settled);
  return store.enqueue(q, rows);
}

/** The reminder emails for `due` reminders whose message still waits (per `views`, read from the chain) and whose recipient subscribes. */
export function reminderRows(scope: string, now: bigint, due: ReminderRow[], views: RawMessageView[], subs: Map<string, Subscription>, handles: Map<string, string>): NewOutboxRow[] {
  const rows: NewOutboxRow[] = [];
  due.forEach((r, i) => {
    const v = views[i]!;
    if (v.status !== STATUS_WAITING || v.deadline <= now) return;
    const sub = subs.get(getAddress(r.recipient));
    if (!sub) return;
    const facts: NotificationFacts = {
      kind: 'reminder',
      id: BigInt(r.message_id),
      thread: Number(v.thread),
      sender: party(r.sender as Address, handles),
      recipient: party(r.recipient as Address, handles),
      amount: BigInt(r.amount),
      deadline: BigInt(r.deadline),
      blockNumber: BigInt(r.block_number),
    };
    const key = eventKey(facts);
    rows.push({
      key: `email:${key}`,
      channel: 'email',
      kind: 'reminder',
      target: String(sub.id),
      eventId: webhookEventId(scope, key),
      payload: JSON.stringify({ facts: JSON.parse(serializeFacts(facts)), unsubId: sub.unsub_id }),
      // Not tied to a block that a reorg could orphan: it is about chain time.
      blockNumber: 0n,
    });
  });
  return rows;
}
