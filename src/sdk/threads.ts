/**
 * Conversations (threads): the pair visitor → creator, read as one ordered page, follow-ups from
 * either side once the creator has replied, and closing.
 */
import { bytesToHex, type Address } from 'viem';
import { parseEventLogs } from 'viem/utils';
import { parseAddress } from './address.js';
import { same, withoutLogs, type ChatCore } from './core.js';
import { ENVELOPE_KIND, readEnvelopeHeader, sealEnvelope } from './envelope.js';
import { PaidChatError } from './errors.js';
import { paidChatAbi } from './generated/paid-chat.js';
import { normalizeHandle } from './handles.js';
import { authorInboxKey, conversationKey, visitorKeyOf } from './messages.js';
import { logsAt, readConversation } from './pages.js';
import { encodeMessageText } from './text.js';
import type { ConversationPage, FollowUpResult, ThreadInfo, TxResult } from './types.js';
import { formatOne, parseOne } from './units.js';

/**
 * The conversation visitor → creator that `with` names for the connected account. A handle names
 * its owner as the creator; an address names a visitor writing to me. On a scoped page, the owner
 * of the page's handle is always the creator.
 */
async function parties(core: ChatCore, withWho: string): Promise<{ visitor: Address; creator: Address; account: Address }> {
  const account = await core.requireAccount();
  const owner = await core.guard.owner();
  const w = withWho.trim();
  const isAddress = /^(0x|one1)/i.test(w);
  const other = isAddress ? parseAddress(w) : owner && normalizeHandle(w) === core.guard.handle ? owner : (await core.profileByHandle(w)).address;
  if (same(other, account)) throw new PaidChatError('SELF_MESSAGE', 'A conversation needs two different accounts.');
  const meCreator = owner ? same(owner, account) : isAddress;
  if (meCreator) {
    await core.guard.requireInbox(account);
    return { visitor: other, creator: account, account };
  }
  await core.guard.checkPeer(other);
  return { visitor: account, creator: other, account };
}

export async function thread(core: ChatCore, opts: { with: string }): Promise<ThreadInfo | undefined> {
  const { visitor, creator } = await parties(core, opts.with);
  const [t] = await core.read<[number, boolean]>('threadOf', [visitor, creator]);
  if (!t) return undefined;
  const v = await core.read<any>('getThread', [t]);
  return { thread: Number(v.thread), visitor: v.sender, creator: v.recipient, followUps: Number(v.followUps), ticket: v.ticket, open: v.ticket !== 0n, blocked: v.blocked };
}

export async function conversation(core: ChatCore, opts: { with: string; cursor?: ConversationPage['cursor']; limit?: number }): Promise<ConversationPage> {
  const { visitor, creator, account } = await parties(core, opts.with);
  return readConversation(core.ctx, { account, ring: await core.ring(account) }, { visitor, creator }, opts.cursor, opts.limit ?? 50);
}

/** The visitor's newest conversation key in their conversation with the creator (from their newest entry). */
async function latestVisitorKey(core: ChatCore, visitor: Address, creator: Address): Promise<Uint8Array> {
  let cursor: ConversationPage['cursor'];
  for (let i = 0; i < 20; i++) {
    const page = await readConversation(core.ctx, {}, { visitor, creator }, cursor, 20);
    for (const e of [...page.entries].reverse()) {
      if (e.type === 'message') return visitorKeyOf(core, e.message.id, e.message.sentBlock);
      if (e.followUp.by === 'visitor') {
        const l = (await logsAt(core.ctx, [e.followUp.blockNumber], true)).find(
          (x) => x.eventName === 'FollowUpPosted' && Number(x.args.index) === e.followUp.index && Number(x.args.thread) === e.followUp.thread,
        );
        if (l) return readEnvelopeHeader(l.args.envelope).conversationKey;
      }
    }
    if (!page.cursor) break;
    cursor = page.cursor;
  }
  throw new PaidChatError('KEY_MISSING', 'The visitor has no conversation key in this conversation.');
}

export async function postFollowUp(
  core: ChatCore,
  opts: { with: string; text: string; amount?: bigint | string | number },
): Promise<FollowUpResult> {
  encodeMessageText(opts.text);
  const { visitor, creator, account } = await parties(core, opts.with);
  const info = await thread(core, { with: opts.with });
  if (!info?.open) {
    throw new PaidChatError('THREAD_NOT_OPEN', 'This conversation is not open for follow-ups: the creator has not replied to a paid message in it (since it was last closed).', {
      thread: info?.thread ?? 0,
    });
  }
  const ring = await core.ring(account);
  const context = { chainId: core.chain.id, contract: core.contract, author: account, ref: BigInt(info.thread) };
  let envelope: Uint8Array;
  let value = 0n;
  if (same(account, visitor)) {
    const p = await core.profile(creator);
    if (!p.publicKey) throw new PaidChatError('KEY_MISSING', 'The creator has no usable inbox key.');
    value = opts.amount === undefined ? p.followUpPrice : parseOne(opts.amount);
    if (value < p.followUpPrice) {
      throw new PaidChatError('PRICE_TOO_LOW', `A follow-up costs at least ${formatOne(p.followUpPrice)} ONE; ${formatOne(value)} ONE is too little.`, {
        required: p.followUpPrice,
        sent: value,
      });
    }
    envelope = await sealEnvelope({
      kind: ENVELOPE_KIND.visitorFollowUp,
      text: opts.text,
      authorKey: await conversationKey(ring, creator),
      readerPublicKey: p.publicKey,
      keyId: p.keyId,
      context: { ...context, reader: creator },
    });
  } else {
    if (opts.amount !== undefined && parseOne(opts.amount) !== 0n) throw new PaidChatError('VALUE_NOT_ACCEPTED', 'A creator cannot send coins with a follow-up.');
    const { key, keyId } = await authorInboxKey(core, ring, account);
    envelope = await sealEnvelope({
      kind: ENVELOPE_KIND.creatorFollowUp,
      text: opts.text,
      authorKey: key,
      readerPublicKey: await latestVisitorKey(core, visitor, creator),
      keyId,
      context: { ...context, reader: visitor },
    });
  }
  const res = await core.send('postFollowUp', [info.ticket, bytesToHex(envelope)], value);
  const [posted] = parseEventLogs({ abi: paidChatAbi, eventName: 'FollowUpPosted', logs: res.logs });
  return {
    ...withoutLogs(res),
    thread: info.thread,
    index: Number(posted?.args.index ?? 0),
    amount: value,
    payout: posted?.args.payout ?? 0n,
    fee: posted?.args.fee ?? 0n,
  };
}

export async function closeThread(core: ChatCore, opts: { with: string }): Promise<TxResult> {
  const info = await thread(core, opts);
  if (!info) throw new PaidChatError('THREAD_NOT_FOUND', 'There is no conversation with them yet: it starts with a paid message.');
  return withoutLogs(await core.send('closeThread', [info.thread]));
}
