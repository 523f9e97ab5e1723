/** The SDK's public data shapes. */
import type { Address, Hex } from 'viem';
import type { PaidChatError } from './errors.js';
import type { HeldKey } from './keyring.js';

export type MessageStatus = 'waiting' | 'refundable' | 'replied' | 'refunded';

export interface Profile {
  address: Address;
  /** Canonical handle without '@'; '' when the address holds none. */
  handle: string;
  /** Minimum amount of a paid message, in wei. */
  price: bigint;
  /** Price of a visitor's follow-up in an answered conversation, in wei (0 = gas only). */
  followUpPrice: bigint;
  /** Reply window in seconds (0 when the address holds no handle). */
  window: number;
  /** Id of the current inbox key (0 = none). */
  keyId: number;
  /** The current inbox key (X25519, 32 bytes), when one is registered. */
  publicKey?: Uint8Array;
  hasKey: boolean;
  inboxCount: number;
}

/**
 * Whether a text could be read here, with an honest label:
 * - `ok`: decrypted, and sealed by the party the chain says wrote it;
 * - `not-party`: the connected account is not in this conversation (nothing was tried);
 * - `key-not-held`: sealed to a key this device does not hold (another browser, a lost key);
 *   `error.details` names it (`keyId` for an inbox key, `conversationKey` for a visitor's);
 * - `newer-version`: written by a newer version of the app;
 * - `unreadable`: garbage, tampered, or copied from elsewhere (`error.code` says which).
 */
export type ReadState = 'ok' | 'not-party' | 'key-not-held' | 'newer-version' | 'unreadable';

export interface ChatMessage {
  id: bigint;
  /** The conversation (thread) this paid message belongs to. */
  thread: number;
  sender: Address;
  recipient: Address;
  senderHandle: string;
  /** Wei paid with the message (held while waiting). */
  amount: bigint;
  /** What the creator receives on reply: amount minus the fee fixed when it was sent. */
  payout?: bigint;
  /** Unix seconds; replies are accepted strictly before it, refunds at or after it. */
  deadline: bigint;
  status: MessageStatus;
  /** Hidden by the creator from the inbox view (its coins follow the usual rules). */
  hidden: boolean;
  sentBlock: bigint;
  replyBlock?: bigint;
  txHash?: Hex;
  replyTxHash?: Hex;
  /** The creator's inbox key id the message was sealed to. */
  keyId?: number;
  /** Decrypted text, when `readState` is 'ok'. */
  text?: string;
  readState: ReadState;
  /** True when the text opened with the keys of the sender the chain names. */
  verified: boolean;
  error?: PaidChatError;
  /** The reply's text, when replied and readable. */
  reply?: string;
  replyReadState?: ReadState;
  replyError?: PaidChatError;
}

/** A follow-up in an answered conversation. */
export interface FollowUp {
  thread: number;
  index: number;
  author: Address;
  reader: Address;
  /** Who wrote it, from the creator's point of view. */
  by: 'visitor' | 'creator';
  /** Paid by the visitor above gas: what the creator received, after the fee. */
  payout: bigint;
  fee: bigint;
  blockNumber: bigint;
  txHash?: Hex;
  text?: string;
  readState: ReadState;
  verified: boolean;
  error?: PaidChatError;
}

export type ConversationEntry = { type: 'message'; message: ChatMessage } | { type: 'follow-up'; followUp: FollowUp };

export interface ThreadInfo {
  thread: number;
  visitor: Address;
  creator: Address;
  followUps: number;
  /** The newest replied paid message that opens the conversation for follow-ups (0n = not open). */
  ticket: bigint;
  open: boolean;
  /** The creator blocks the visitor. */
  blocked: boolean;
}

export interface ConversationPage {
  /** Undefined when the two have never written to each other. */
  thread?: ThreadInfo;
  /** Oldest first. */
  entries: ConversationEntry[];
  /** Pass back for the previous (older) page; undefined at the beginning of the conversation. */
  cursor?: { messages: number; followUps: number };
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the next (older) page; undefined when there is no more. */
  nextCursor?: bigint;
}

export interface TxResult {
  txHash: Hex;
  blockNumber: bigint;
  explorerUrl?: string;
}

export interface SendResult extends TxResult {
  id: bigint;
  thread: number;
  /** Wei sent with the message (held until a reply or a refund). */
  amount: bigint;
  /** The fee fixed at send, taken on reply (wei). */
  fee: bigint;
  /** What the creator receives on reply: `amount - fee` (wei). */
  payout: bigint;
}

export interface ReplyResult extends TxResult {
  thread: number;
  /** What the creator received (wei), after the fee fixed when the message was sent. */
  payout: bigint;
  fee: bigint;
}

export interface FollowUpResult extends TxResult {
  thread: number;
  index: number;
  /** Wei sent with the follow-up (a visitor's follow-up price; 0 from a creator). */
  amount: bigint;
  /** What the creator received at once (wei), after the fee. */
  payout: bigint;
  fee: bigint;
}

export type ChatEvent =
  | { type: 'message'; id: bigint; thread: number; sender: Address; recipient: Address; amount: bigint; deadline: bigint; blockNumber: bigint; txHash: Hex }
  | { type: 'reply'; id: bigint; thread: number; sender: Address; recipient: Address; payout: bigint; fee: bigint; blockNumber: bigint; txHash: Hex }
  | { type: 'refund'; id: bigint; sender: Address; recipient: Address; amount: bigint; blockNumber: bigint; txHash: Hex }
  | { type: 'follow-up'; thread: number; index: number; author: Address; reader: Address; payout: bigint; fee: bigint; blockNumber: bigint; txHash: Hex }
  | { type: 'thread-closed'; thread: number; by: Address; blockNumber: bigint; txHash: Hex }
  | { type: 'inbox-key'; account: Address; keyId: number; blockNumber: bigint; txHash: Hex }
  | { type: 'block-changed'; account: Address; sender: Address; blocked: boolean; blockNumber: bigint; txHash: Hex }
  | { type: 'hidden-changed'; account: Address; ids: bigint[]; hidden: boolean; blockNumber: bigint; txHash: Hex };

/** What the connected account holds on this device, and what it may do here. */
export interface KeyStatus {
  account: Address;
  /** 'creator' when the account owns the page's handle (or, without a scope, holds any handle). */
  role: 'creator' | 'visitor';
  /** Creator: the inbox keys on chain and here. */
  inbox?: {
    /** Current key id on chain (0 = none). */
    currentKeyId: number;
    /** Key ids held on this device. */
    heldKeyIds: number[];
    holdsCurrent: boolean;
    /** Keys made here whose registration is not confirmed yet. */
    pending: HeldKey[];
    /** The creator's sites, and whether this page's origin is one of them (true when no origin is known). */
    sites: string[];
    siteAllowed: boolean;
  };
  /** Visitor: conversation keys held here for the page's creator. */
  conversation?: { peer: Address; held: number };
  backup: { passphraseSet: boolean; notBackedUp: number; keys: number };
}
