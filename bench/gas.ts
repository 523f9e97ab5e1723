/**
 * Receipt gas of PaidChat's operations on anvil with Istanbul rules and the real contract, with
 * realistic 211-byte envelopes (bytes 0..5: version 2, kind, current key id big-endian; the rest
 * random non-zero bytes, as a ciphertext is). Also a send made by a Safe 1.4.1 contract wallet.
 * Writes bench/out/gas.json.
 */
import { encodeFunctionData, parseEventLogs, stringToHex, type Hex, type TransactionReceipt } from 'viem';
import { paidChatAbi } from '../src/sdk/generated/paid-chat.js';
import { startTestChain, writePaidChat, ONE } from '../scripts/lib/chain.js';
import { createSafe, execSafeTransaction } from '../scripts/lib/safe.js';
import { report } from './lib.js';

export const ENVELOPE_BYTES = 211;
const KIND_MESSAGE = 1;
const KIND_REPLY = 2;
const KIND_FOLLOW_UP = 3;

/** A `size`-byte envelope: version 2, kind, key id (big-endian), then random non-zero bytes. */
export function benchEnvelope(kind: number, keyId: number, size = ENVELOPE_BYTES): Hex {
  const bytes = new Uint8Array(size);
  bytes[0] = 2;
  bytes[1] = kind;
  new DataView(bytes.buffer).setUint32(2, keyId);
  for (let i = 6; i < size; i++) bytes[i] = 1 + Math.floor(Math.random() * 255);
  return ('0x' + Buffer.from(bytes).toString('hex')) as Hex;
}

export async function runGasBench() {
  const tc = await startTestChain();
  try {
    const a = (i: number) => tc.accounts[i].address;
    const tx = (i: number, functionName: string, args: readonly unknown[], value = 0n) => writePaidChat(tc, i, functionName, args, value);
    const g = (r: { gasUsed: bigint }) => Number(r.gasUsed);
    const sentId = (r: TransactionReceipt) =>
      (parseEventLogs({ abi: paidChatAbi, logs: r.logs, eventName: 'MessageSent' })[0] as unknown as { args: { id: bigint } }).args.id;
    const key = (s: string) => stringToHex(s, { size: 32 });
    const PRICE = ONE(1);
    const WEEK = 7n * 24n * 3600n;
    const CREATOR = 1;
    const VISITOR = 2;
    const OTHER = 3;
    const KEEPER = 4;

    // Creator: a handle with a key (id 1) and one site; then two more keys (ids 2, 3).
    const claim = await tx(CREATOR, 'claimHandle', [key('satoshi'), PRICE, 0, key('key-1'), stringToHex('https://blog.example.com')]);
    const registerKey = await tx(CREATOR, 'addInboxKey', [key('key-2')]);
    const rotateKey = await tx(CREATOR, 'addInboxKey', [key('key-3')]);
    const keyId = 3;
    const msg = () => benchEnvelope(KIND_MESSAGE, keyId);

    // Sends: the first of a conversation, then a further one; another visitor's first.
    const newConversation = await tx(VISITOR, 'sendMessage', [a(CREATOR), WEEK, msg()], PRICE);
    const further = await tx(VISITOR, 'sendMessage', [a(CREATOR), WEEK, msg()], PRICE);
    const otherFirst = await tx(OTHER, 'sendMessage', [a(CREATOR), WEEK, msg()], PRICE);

    // Reply (opens the conversation), then visitor follow-ups (follow-up price 0, the default):
    // index 0 starts the first storage word, 1..7 fill it, 8 starts the next, …
    const reply = await tx(CREATOR, 'reply', [sentId(further), benchEnvelope(KIND_REPLY, keyId)]);
    const ticket = sentId(further);
    const followUps: TransactionReceipt[] = [];
    for (let i = 0; i < 17; i++) followUps.push(await tx(VISITOR, 'postFollowUp', [ticket, benchEnvelope(KIND_FOLLOW_UP, keyId)]));
    const creatorFollowUp = await tx(CREATOR, 'postFollowUp', [ticket, benchEnvelope(KIND_FOLLOW_UP, keyId)]);
    // A paid follow-up (price 0.1 ONE): pushed to the creator at once, minus the fee.
    await tx(CREATOR, 'updateProfile', [PRICE, 0, ONE('0.1')]);
    const paidFollowUp = await tx(VISITOR, 'postFollowUp', [ticket, benchEnvelope(KIND_FOLLOW_UP, keyId)], ONE('0.1'));
    const visitor = followUps.slice(1); // 16 follow-ups after the first: indexes 1..16
    const newWord = followUps[8]; // index 8
    const inWord = followUps[9]; // index 9: its word exists

    // Spam controls and closing.
    const hide = await tx(CREATOR, 'setHidden', [[sentId(otherFirst)], true]);
    const blockExisting = await tx(CREATOR, 'setBlocked', [a(OTHER), true]);
    const blockNew = await tx(CREATOR, 'setBlocked', [a(5), true]);
    const close = await tx(VISITOR, 'closeThread', [1]);

    // Refunds: one single, then a batch of ten (EOA senders).
    const due: bigint[] = [];
    for (let i = 0; i < 11; i++) due.push(sentId(await tx(VISITOR, 'sendMessage', [a(CREATOR), WEEK, msg()], PRICE)));
    await tc.increaseTime(WEEK);
    const refund = await tx(KEEPER, 'refund', [due[0]]);
    const batch = await tx(KEEPER, 'refundMany', [due.slice(1)]);

    // A Safe 1.4.1 (1 owner) sends: its first message to the creator, then a further one.
    const safe = await createSafe(tc, 6, { fund: ONE(10) });
    const viaSafe = () =>
      execSafeTransaction(tc, safe, 6, {
        to: tc.contract,
        value: PRICE,
        data: encodeFunctionData({ abi: paidChatAbi, functionName: 'sendMessage', args: [a(CREATOR), WEEK, msg()] }),
      });
    const safeFirst = await viaSafe();
    const safeFurther = await viaSafe();

    const result = {
      envelopeBytes: ENVELOPE_BYTES,
      sendMessage: g(further),
      sendMessageNewConversation: g(newConversation),
      registerKey: g(registerKey),
      rotateKey: g(rotateKey),
      claimHandle: g(claim),
      reply: g(reply),
      refund: g(refund),
      refundManyPerMessage: Math.round(g(batch) / 10),
      threadMessage: g(inWord),
      threadMessageNewWord: g(newWord),
      threadMessageAverage: Math.round(visitor.reduce((s, r) => s + g(r), 0) / visitor.length),
      threadMessageCreator: g(creatorFollowUp),
      threadMessagePaid: g(paidFollowUp),
      block: g(blockNew),
      blockExistingConversation: g(blockExisting),
      hide: g(hide),
      closeThread: g(close),
      sendFromContractWallet: g(safeFurther),
      sendFromContractWalletNewConversation: g(safeFirst),
      safeCreation: g(safe.creation),
    };
    report(
      'gas',
      [
        { metric: `sendMessage (further, ${ENVELOPE_BYTES}-byte envelope)`, value: result.sendMessage, bar: '≤ 80k', met: result.sendMessage <= 80_000 },
        { metric: 'sendMessage, new conversation', value: result.sendMessageNewConversation },
        { metric: 'claimHandle (key + 24-byte site)', value: result.claimHandle },
        { metric: 'registerKey (addInboxKey, has a handle)', value: result.registerKey },
        { metric: 'rotateKey (another addInboxKey)', value: result.rotateKey },
        { metric: 'reply', value: result.reply },
        { metric: 'refund', value: result.refund },
        { metric: 'refundMany per message (10 ids)', value: result.refundManyPerMessage },
        { metric: 'threadMessage (visitor follow-up, word exists)', value: result.threadMessage, bar: '≤ 50k', met: result.threadMessage <= 50_000 },
        { metric: 'threadMessageNewWord (1 in 8)', value: result.threadMessageNewWord },
        { metric: 'threadMessageAverage (16 visitor follow-ups)', value: result.threadMessageAverage },
        { metric: 'threadMessageCreator', value: result.threadMessageCreator },
        { metric: 'threadMessagePaid (0.1 ONE, pushed)', value: result.threadMessagePaid },
        { metric: 'block (a sender with no conversation yet)', value: result.block, bar: '≤ 50k', met: result.block <= 50_000 },
        { metric: 'block (a sender who wrote before)', value: result.blockExistingConversation },
        { metric: 'hide (one message)', value: result.hide },
        { metric: 'closeThread', value: result.closeThread },
        { metric: 'sendFromContractWallet (Safe 1.4.1 execTransaction, further)', value: result.sendFromContractWallet },
        { metric: 'sendFromContractWallet, new conversation', value: result.sendFromContractWalletNewConversation },
        { metric: 'Safe creation (1 owner, proxy)', value: result.safeCreation },
      ],
      result,
    );
    return result;
  } finally {
    await tc.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runGasBench();
