/**
 * Paid messages: send (sealed to the creator's current inbox key with this device's conversation
 * key), reply (with the creator's inbox key, to the key the message carries), refund.
 */
import { bytesToHex, type Address } from 'viem';
import { parseEventLogs } from 'viem/utils';
import { same, withoutLogs, type ChatCore } from './core.js';
import { ENVELOPE_KIND, readEnvelopeHeader, sealEnvelope } from './envelope.js';
import { PaidChatError } from './errors.js';
import { paidChatAbi } from './generated/paid-chat.js';
import type { MessagingKey } from './keys.js';
import type { Keyring } from './keyring.js';
import { logsAt, type RawMessage } from './pages.js';
import { encodeMessageText } from './text.js';
import type { Profile, ReplyResult, SendResult, TxResult } from './types.js';
import { checkIdCount, formatOne, parseOne } from './units.js';

/** The newest conversation key with `peer` held here, or a new one (kept before it is used). */
export async function conversationKey(ring: Keyring, peer: Address): Promise<MessagingKey> {
  const held = await ring.conversationKeys(peer);
  return held[held.length - 1] ?? (await ring.createConversationKey(peer));
}

/** The inbox key to write with: the current one if held here, else the newest held. */
export async function authorInboxKey(core: ChatCore, ring: Keyring, account: Address): Promise<{ key: MessagingKey; keyId: number }> {
  const me = await core.profile(account);
  for (let id = me.keyId; id > 0; id--) {
    const key = await ring.inboxKey(id);
    if (key) return { key, keyId: id };
  }
  throw new PaidChatError(
    'KEY_NOT_HELD',
    'This browser holds none of your inbox keys. Restore your key backup, or register a new inbox key (messages sealed to the old one stay unreadable here).',
    { currentKeyId: me.keyId },
  );
}

/** The visitor's conversation key that one of their messages carries. */
export async function visitorKeyOf(core: ChatCore, id: bigint, sentBlock: bigint): Promise<Uint8Array> {
  const logs = await logsAt(core.ctx, [sentBlock], false);
  const sent = logs.find((l) => l.eventName === 'MessageSent' && l.args.id === id);
  if (!sent) throw new PaidChatError('ENVELOPE_INVALID', 'The message ciphertext was not found at the block the contract points to.', { reason: 'missing', id });
  return readEnvelopeHeader(sent.args.envelope).conversationKey;
}

export async function rawMessage(core: ChatCore, id: bigint): Promise<RawMessage> {
  const m = await core.read<RawMessage>('getMessage', [id]);
  if (m.status === 0) throw new PaidChatError('MESSAGE_NOT_FOUND', `There is no message ${id}.`, { id });
  return m;
}

const when = (deadline: bigint) => new Date(Number(deadline) * 1000).toISOString();

function assertOpen(m: RawMessage, action: 'reply' | 'refund') {
  if (m.status === 3 || m.status === 4) {
    throw new PaidChatError('ALREADY_SETTLED', `This message is already ${m.status === 3 ? 'replied to' : 'refunded'}.`, { id: m.id, status: m.status });
  }
  if (action === 'reply' && m.status === 2) {
    throw new PaidChatError('REPLY_WINDOW_CLOSED', `The reply window closed at ${when(m.deadline)}; the sender can now take a refund.`, { id: m.id, deadline: m.deadline });
  }
  if (action === 'refund' && m.status === 1) {
    throw new PaidChatError('NOT_YET_REFUNDABLE', `Not refundable yet: the creator can reply until ${when(m.deadline)}.`, { id: m.id, deadline: m.deadline });
  }
}

export async function sendMessage(core: ChatCore, opts: { to: string; text: string; amount?: bigint | string | number }): Promise<SendResult> {
  encodeMessageText(opts.text);
  const s = opts.to.trim();
  let recipient = /^(0x|one1)/i.test(s) ? await core.profile(s) : await core.profileByHandle(s);
  if (!recipient.handle) throw new PaidChatError('HANDLE_NOT_FOUND', `${opts.to} holds no handle, so it cannot receive paid messages.`, { to: opts.to });
  if (!recipient.publicKey) throw new PaidChatError('KEY_MISSING', `@${recipient.handle} has no usable inbox key, so a message could not be read. Nothing was sent.`);
  await core.guard.checkPeer(recipient.address);
  const amount = opts.amount === undefined ? recipient.price : parseOne(opts.amount);
  if (amount < recipient.price) {
    throw new PaidChatError('PRICE_TOO_LOW', `@${recipient.handle} asks at least ${formatOne(recipient.price)} ONE; ${formatOne(amount)} ONE is too little.`, {
      required: recipient.price,
      sent: amount,
    });
  }
  const account = await core.requireAccount();
  if (same(account, recipient.address)) throw new PaidChatError('SELF_MESSAGE', 'You cannot send a paid message to yourself.');
  const key = await conversationKey(await core.ring(account), recipient.address);
  const send = async (p: Profile) => {
    const envelope = await sealEnvelope({
      kind: ENVELOPE_KIND.message,
      text: opts.text,
      authorKey: key,
      readerPublicKey: p.publicKey!,
      keyId: p.keyId,
      context: { chainId: core.chain.id, contract: core.contract, author: account, reader: p.address },
    });
    return core.send('sendMessage', [p.address, BigInt(p.window), bytesToHex(envelope)], amount);
  };
  let res;
  try {
    res = await send(recipient);
  } catch (e) {
    if ((e as PaidChatError).code !== 'KEY_STALE') throw e;
    // The creator replaced their key between our read and the estimate: seal to the new one.
    recipient = await core.profile(recipient.address);
    res = await send(recipient);
  }
  const [sent] = parseEventLogs({ abi: paidChatAbi, eventName: 'MessageSent', logs: res.logs });
  if (!sent) throw new PaidChatError('TRANSACTION_FAILED', `No MessageSent event in ${res.txHash}.`);
  // The fee is fixed in the block of the send; the creator gets the rest on reply.
  const bps = await core.read<bigint>('feeAt', [res.blockNumber]);
  const fee = (sent.args.amount * bps) / 10_000n;
  return {
    id: sent.args.id,
    thread: Number(sent.args.thread),
    amount: sent.args.amount,
    fee,
    payout: sent.args.amount - fee,
    txHash: res.txHash,
    blockNumber: res.blockNumber,
    explorerUrl: res.explorerUrl,
  };
}

export async function reply(core: ChatCore, opts: { id: bigint; text: string }): Promise<ReplyResult> {
  encodeMessageText(opts.text);
  const m = await rawMessage(core, opts.id);
  const account = await core.requireAccount();
  if (!same(m.recipient, account)) {
    throw new PaidChatError('NOT_RECIPIENT', 'Only the recipient of this message can reply to it. Connect the wallet that owns the handle.', { id: opts.id });
  }
  assertOpen(m, 'reply');
  await core.guard.requireInbox(account);
  const { key, keyId } = await authorInboxKey(core, await core.ring(account), account);
  const envelope = await sealEnvelope({
    kind: ENVELOPE_KIND.reply,
    text: opts.text,
    authorKey: key,
    readerPublicKey: await visitorKeyOf(core, m.id, m.sentBlock),
    keyId,
    context: { chainId: core.chain.id, contract: core.contract, author: account, reader: m.sender, ref: opts.id },
  });
  const res = await core.send('reply', [opts.id, bytesToHex(envelope)]);
  const [replied] = parseEventLogs({ abi: paidChatAbi, eventName: 'MessageReplied', logs: res.logs });
  return { ...withoutLogs(res), thread: Number(m.thread), payout: replied?.args.payout ?? 0n, fee: replied?.args.fee ?? 0n };
}

export async function refund(core: ChatCore, ids: bigint | bigint[]): Promise<TxResult> {
  const list = Array.isArray(ids) ? ids : [ids];
  checkIdCount(list);
  if (list.length === 1) assertOpen(await rawMessage(core, list[0]!), 'refund');
  return withoutLogs(list.length === 1 ? await core.send('refund', [list[0]]) : await core.send('refundMany', [list]));
}
