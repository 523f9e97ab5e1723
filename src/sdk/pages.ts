/**
 * Pages of an inbox or a conversation, read without an indexer: one view call gives the records
 * (and the blocks of their ciphertexts), then batched log queries around those blocks give the
 * envelopes, which are opened with the keys this device holds. Every envelope is hostile input:
 * one that cannot be read is labelled (see `ReadState`) and never stops the rest of the page.
 */
import type { Address, Chain, Client, Hex, Transport } from 'viem';
import { getLogs, readContract } from 'viem/actions';
import { getAbiItem } from 'viem/utils';
import { PaidChatError } from './errors.js';
import { ENVELOPE_KIND, openEnvelope, readEnvelopeHeader, type EnvelopeKind } from './envelope.js';
import { paidChatAbi } from './generated/paid-chat.js';
import { bytes32ToHandle } from './handles.js';
import { parsePublicKey } from './keys.js';
import type { Keyring } from './keyring.js';
import { blockClusters, withRetry, type RetryPolicy } from './rpc.js';
import type { ChatMessage, ConversationEntry, ConversationPage, FollowUp, MessageStatus, ReadState, ThreadInfo } from './types.js';

const STATUS: Record<number, MessageStatus> = { 1: 'waiting', 2: 'refundable', 3: 'replied', 4: 'refunded' };
const ZERO = '0x0000000000000000000000000000000000000000';
/** Cursor value that starts a conversation page at its newest entry. */
export const NEWEST = 0xffffffff;

export interface ReadContext {
  chain: Chain;
  contract: Address;
  reader: Client<Transport, Chain>;
  retry: RetryPolicy;
}

/** The contract's MessageView, as viem decodes it. */
export interface RawMessage {
  id: bigint;
  thread: number;
  sender: Address;
  recipient: Address;
  senderHandle: Hex;
  amount: bigint;
  feeBps: bigint;
  deadline: bigint;
  sentBlock: bigint;
  replyBlock: bigint;
  status: number;
  hidden: boolean;
}

interface RawThread {
  thread: number;
  sender: Address;
  recipient: Address;
  followUps: bigint;
  closedBelow: number;
  ticket: bigint;
  blocked: boolean;
}

interface RawConversationPage {
  thread: RawThread;
  messages: readonly RawMessage[];
  followUpIndexes: readonly number[];
  followUpBlocks: readonly number[];
  nextMessageCursor: number;
  nextFollowUpCursor: number;
  recipientKeys: readonly Hex[];
  firstKeyId: number;
}

export async function readView<T>(ctx: ReadContext, functionName: string, args: readonly unknown[]): Promise<T> {
  return withRetry(
    () => readContract(ctx.reader, { address: ctx.contract, abi: paidChatAbi, functionName: functionName as any, args: args as any }) as Promise<T>,
    ctx.retry,
    `the ${ctx.chain.name} RPC`,
  );
}

type EnvelopeLog = { eventName: string; args: any; transactionHash: Hex; blockNumber: bigint; logIndex: number; address: Address };

/** The envelope-carrying logs at `blocks`, in few batched queries. */
export async function logsAt(ctx: ReadContext, blocks: Iterable<bigint>, followUps: boolean): Promise<EnvelopeLog[]> {
  const names = followUps ? (['MessageSent', 'MessageReplied', 'FollowUpPosted'] as const) : (['MessageSent', 'MessageReplied'] as const);
  const events = names.map((name) => getAbiItem({ abi: paidChatAbi, name }));
  const batches = await Promise.all(
    blockClusters(blocks).map(([fromBlock, toBlock]) =>
      withRetry(() => getLogs(ctx.reader, { address: ctx.contract, events, fromBlock, toBlock } as any), ctx.retry),
    ),
  );
  return (batches.flat() as unknown as EnvelopeLog[]).filter((l) => l.address.toLowerCase() === ctx.contract.toLowerCase());
}

/** Who reads, with which keys. */
export interface Reader {
  account?: Address;
  ring?: Keyring;
}

/** The inbox keys of a creator by id, read from the chain once per page. */
type CreatorKeys = (keyId: number) => Promise<Uint8Array | undefined>;

interface Opened {
  text?: string;
  readState: ReadState;
  verified: boolean;
  error?: PaidChatError;
  keyId?: number;
}

function notHeld(header: ReturnType<typeof readEnvelopeHeader>, asCreator: boolean): PaidChatError {
  return asCreator
    ? new PaidChatError(
        'KEY_NOT_HELD',
        `Sealed to your inbox key #${header.keyId}, which this browser does not hold. Restore a backup that has it to read this message.`,
        { keyId: header.keyId },
      )
    : new PaidChatError(
        'KEY_NOT_HELD',
        'Sealed with a conversation key that this browser does not hold (it was made in another browser, or lost). Restore that backup to read it here.',
        { conversationKey: `0x${[...header.conversationKey].map((b) => b.toString(16).padStart(2, '0')).join('')}` },
      );
}

/** Opens one envelope for whoever of the two parties is reading; labels every failure. */
async function openFor(
  who: Reader,
  parties: { visitor: Address; creator: Address },
  creatorKeys: CreatorKeys,
  envelope: Hex | undefined,
  kind: EnvelopeKind,
  context: { author: Address; reader: Address; ref: bigint },
  ctx: ReadContext,
): Promise<Opened> {
  const me = who.account?.toLowerCase();
  const asCreator = me === parties.creator.toLowerCase();
  const asVisitor = me === parties.visitor.toLowerCase();
  if (!who.ring || (!asCreator && !asVisitor)) return { readState: 'not-party', verified: false };
  if (!envelope) {
    return {
      readState: 'unreadable',
      verified: false,
      error: new PaidChatError('ENVELOPE_INVALID', 'The ciphertext was not found at the block the contract points to. The RPC may be missing logs.', { reason: 'missing' }),
    };
  }
  let header: ReturnType<typeof readEnvelopeHeader>;
  try {
    header = readEnvelopeHeader(envelope);
  } catch (e) {
    const error = e as PaidChatError;
    return { readState: error.details?.reason === 'newer-version' ? 'newer-version' : 'unreadable', verified: false, error };
  }
  try {
    let myKey;
    let other: Uint8Array | undefined;
    if (asCreator) {
      myKey = await who.ring.inboxKey(header.keyId);
      other = header.conversationKey;
    } else {
      myKey = await who.ring.conversationKey(parties.creator, header.conversationKey);
      other = await creatorKeys(header.keyId);
      if (myKey && !other) {
        throw new PaidChatError('KEY_NOT_FOUND', `The creator has no inbox key #${header.keyId} on chain, so this text cannot be opened.`, { keyId: header.keyId });
      }
    }
    if (!myKey) return { readState: 'key-not-held', verified: false, error: notHeld(header, asCreator), keyId: header.keyId };
    const { text } = await openEnvelope({ envelope, kind, myKey, otherPublicKey: other!, context: { chainId: ctx.chain.id, contract: ctx.contract, ...context } });
    return { text, readState: 'ok', verified: true, keyId: header.keyId };
  } catch (e) {
    const error = e instanceof PaidChatError ? e : new PaidChatError('DECRYPT_FAILED', 'This text could not be opened.', {}, { cause: e });
    return { readState: 'unreadable', verified: false, error, keyId: header.keyId };
  }
}

function creatorKeysFrom(keys: readonly Hex[], firstKeyId: number, fallback: (keyId: number) => Promise<Hex>): CreatorKeys {
  const cache = new Map<number, Promise<Uint8Array | undefined>>();
  keys.forEach((k, i) => cache.set(firstKeyId + i, Promise.resolve(/^0x0{64}$/.test(k) ? undefined : parsePublicKey(k))));
  return (keyId) => {
    let p = cache.get(keyId);
    if (!p) {
      p = fallback(keyId).then((k) => (/^0x0{64}$/.test(k) ? undefined : parsePublicKey(k)));
      cache.set(keyId, p);
    }
    return p;
  };
}

/** Fills paid messages with their ciphertexts and opens them (and their replies) for `who`. */
export async function hydrateMessages(ctx: ReadContext, who: Reader, raw: readonly RawMessage[], creatorKeys?: CreatorKeys, preloaded?: EnvelopeLog[]): Promise<ChatMessage[]> {
  if (raw.length === 0) return [];
  const logs = preloaded ?? (await logsAt(ctx, raw.flatMap((m) => (m.replyBlock ? [m.sentBlock, m.replyBlock] : [m.sentBlock])), false));
  const sent = new Map<bigint, EnvelopeLog>();
  const replied = new Map<bigint, EnvelopeLog>();
  for (const l of logs) {
    if (l.eventName === 'MessageSent') sent.set(l.args.id, l);
    else if (l.eventName === 'MessageReplied') replied.set(l.args.id, l);
  }
  const keysByCreator = new Map<string, CreatorKeys>();
  const keysOf = (creator: Address): CreatorKeys => {
    if (creatorKeys) return creatorKeys;
    let k = keysByCreator.get(creator.toLowerCase());
    if (!k) {
      k = creatorKeysFrom([], 1, (keyId) => readView<Hex>(ctx, 'inboxKeyOf', [creator, keyId]));
      keysByCreator.set(creator.toLowerCase(), k);
    }
    return k;
  };
  return Promise.all(
    raw.map(async (m) => {
      const s = sent.get(m.id);
      const r = replied.get(m.id);
      const parties = { visitor: m.sender, creator: m.recipient };
      const fee = (m.amount * m.feeBps) / 10_000n;
      const out: ChatMessage = {
        id: m.id,
        thread: Number(m.thread),
        sender: m.sender,
        recipient: m.recipient,
        senderHandle: bytes32ToHandle(m.senderHandle),
        amount: m.amount,
        payout: m.amount - fee,
        deadline: m.deadline,
        status: STATUS[m.status] ?? 'waiting',
        hidden: m.hidden,
        sentBlock: m.sentBlock,
        ...(m.replyBlock ? { replyBlock: m.replyBlock } : {}),
        txHash: s?.transactionHash,
        replyTxHash: r?.transactionHash,
        readState: 'not-party',
        verified: false,
      };
      const text = await openFor(who, parties, keysOf(m.recipient), s?.args.envelope, ENVELOPE_KIND.message, { author: m.sender, reader: m.recipient, ref: 0n }, ctx);
      Object.assign(out, { text: text.text, readState: text.readState, verified: text.verified, error: text.error, keyId: text.keyId });
      if (m.replyBlock) {
        const rep = await openFor(who, parties, keysOf(m.recipient), r?.args.envelope, ENVELOPE_KIND.reply, { author: m.recipient, reader: m.sender, ref: m.id }, ctx);
        Object.assign(out, { reply: rep.text, replyReadState: rep.readState, replyError: rep.error });
      }
      return out;
    }),
  );
}

function threadInfo(t: RawThread): ThreadInfo | undefined {
  if (!t.thread) return undefined;
  return {
    thread: Number(t.thread),
    visitor: t.sender,
    creator: t.recipient,
    followUps: Number(t.followUps),
    ticket: t.ticket,
    open: t.ticket !== 0n,
    blocked: t.blocked,
  };
}

/** One page of the conversation visitor → creator, oldest entry first. */
export async function readConversation(
  ctx: ReadContext,
  who: Reader,
  parties: { visitor: Address; creator: Address },
  cursor: { messages: number; followUps: number } | undefined,
  limit: number,
): Promise<ConversationPage> {
  const page = await readView<RawConversationPage>(ctx, 'conversationPage', [
    parties.visitor,
    parties.creator,
    cursor?.messages ?? NEWEST,
    cursor?.followUps ?? NEWEST,
    BigInt(limit),
  ]);
  const thread = threadInfo(page.thread);
  if (!thread) return { entries: [] };
  const blocks = [
    ...page.messages.flatMap((m) => (m.replyBlock ? [m.sentBlock, m.replyBlock] : [m.sentBlock])),
    ...page.followUpBlocks.map((b) => BigInt(b)),
  ];
  const logs = await logsAt(ctx, blocks, page.followUpBlocks.length > 0);
  const keys = creatorKeysFrom(page.recipientKeys, page.firstKeyId, (keyId) => readView<Hex>(ctx, 'inboxKeyOf', [parties.creator, keyId]));
  const messages = await hydrateMessages(ctx, who, page.messages, keys, logs);
  const wanted = new Set(page.followUpIndexes.map(Number));
  const followLogs = logs.filter((l) => l.eventName === 'FollowUpPosted' && Number(l.args.thread) === thread.thread && wanted.has(Number(l.args.index)));
  const followUps = await Promise.all(
    followLogs.map(async (l): Promise<FollowUp> => {
      const byVisitor = l.args.author.toLowerCase() === parties.visitor.toLowerCase();
      const opened = await openFor(
        who,
        parties,
        keys,
        l.args.envelope,
        byVisitor ? ENVELOPE_KIND.visitorFollowUp : ENVELOPE_KIND.creatorFollowUp,
        { author: l.args.author, reader: l.args.reader, ref: BigInt(thread.thread) },
        ctx,
      );
      return {
        thread: thread.thread,
        index: Number(l.args.index),
        author: l.args.author,
        reader: l.args.reader,
        by: byVisitor ? 'visitor' : 'creator',
        payout: l.args.payout,
        fee: l.args.fee,
        blockNumber: l.blockNumber,
        txHash: l.transactionHash,
        text: opened.text,
        readState: opened.readState,
        verified: opened.verified,
        error: opened.error,
      };
    }),
  );
  // Order by where each entry sits on chain: a paid message at its MessageSent log, a follow-up at its own.
  const position = new Map<unknown, [bigint, number]>();
  for (const l of logs) {
    if (l.eventName === 'MessageSent') position.set(`m${l.args.id}`, [l.blockNumber, l.logIndex]);
    if (l.eventName === 'FollowUpPosted') position.set(`f${l.args.index}`, [l.blockNumber, l.logIndex]);
  }
  const entries: ConversationEntry[] = [
    ...messages.map((message) => ({ type: 'message' as const, message })),
    ...followUps.map((followUp) => ({ type: 'follow-up' as const, followUp })),
  ];
  const pos = (e: ConversationEntry): [bigint, number] =>
    (e.type === 'message' ? position.get(`m${e.message.id}`) ?? [e.message.sentBlock, 0] : position.get(`f${e.followUp.index}`) ?? [e.followUp.blockNumber, 0]);
  entries.sort((a, b) => {
    const [ab, ai] = pos(a);
    const [bb, bi] = pos(b);
    return ab === bb ? ai - bi : ab < bb ? -1 : 1;
  });
  const more = page.nextMessageCursor !== 0 || page.nextFollowUpCursor !== 0;
  return { thread, entries, ...(more ? { cursor: { messages: page.nextMessageCursor, followUps: page.nextFollowUpCursor } } : {}) };
}

export { ZERO };
