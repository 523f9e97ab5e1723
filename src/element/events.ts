/**
 * The events `<harmony-paid-chat>` dispatches. Each is a typed class; all bubble and cross the
 * shadow boundary (`composed`), so a host page can listen on the element or on `document`.
 */
import type { PaidChatError, PaidChatErrorCode } from '../sdk/errors.js';

type Hex = `0x${string}`;

const init = { bubbles: true, composed: true } as const;

export interface HarmonyConnectDetail {
  /** The connected account (0x…). */
  address: Hex;
  /** The chain the wallet is on (may differ from the element's chain until the visitor switches). */
  chainId: number;
  /** `creator` when the account owns the handle, `visitor` otherwise. */
  role: 'creator' | 'visitor';
}

/** A wallet was connected. */
export class HarmonyConnectEvent extends Event {
  static readonly eventName = 'harmony-connect';
  readonly detail: HarmonyConnectDetail;
  constructor(detail: HarmonyConnectDetail) {
    super(HarmonyConnectEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyMessageSentDetail {
  /** Message id on chain. */
  id: bigint;
  /** The conversation (thread) it belongs to. */
  thread: number;
  /** Recipient's handle, without '@'. */
  to: string;
  /** Amount paid, in wei (held by the contract until a reply or a refund). */
  amount: bigint;
  /** The protocol fee fixed at send, in wei: taken on reply, never on a refund. */
  fee: bigint;
  /** What the creator receives if they reply in time, in wei: `amount - fee`. */
  payout: bigint;
  txHash: Hex;
  /** Link to the transaction in the block explorer (undefined on a local chain). */
  explorerUrl?: string;
}

/** A paid message was delivered (its transaction is mined). */
export class HarmonyMessageSentEvent extends Event {
  static readonly eventName = 'harmony-message-sent';
  readonly detail: HarmonyMessageSentDetail;
  constructor(detail: HarmonyMessageSentDetail) {
    super(HarmonyMessageSentEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyReplySentDetail {
  /** Id of the message replied to. */
  id: bigint;
  /** The conversation (thread) it belongs to; it is open for follow-ups from now on. */
  thread: number;
  /** The message's amount, in wei. */
  amount: bigint;
  /** What the creator received, in wei: the amount minus the fee fixed when the message was sent. */
  payout: bigint;
  /** The protocol fee taken, in wei. */
  fee: bigint;
  txHash: Hex;
  explorerUrl?: string;
}

/** The creator replied to a message and collected its amount. */
export class HarmonyReplySentEvent extends Event {
  static readonly eventName = 'harmony-reply-sent';
  readonly detail: HarmonyReplySentDetail;
  constructor(detail: HarmonyReplySentDetail) {
    super(HarmonyReplySentEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyRefundDetail {
  /** Id of the refunded message. */
  id: bigint;
  /** The conversation (thread) it belongs to. */
  thread: number;
  /** Amount returned to the sender, in wei (all of it: no fee on a refund). */
  amount: bigint;
  /** What the creator received: always 0 for a refund. */
  payout: bigint;
  txHash: Hex;
  explorerUrl?: string;
}

/** A visitor took back the amount of a message that was not answered in time. */
export class HarmonyRefundEvent extends Event {
  static readonly eventName = 'harmony-refund';
  readonly detail: HarmonyRefundDetail;
  constructor(detail: HarmonyRefundDetail) {
    super(HarmonyRefundEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyFollowUpSentDetail {
  /** The conversation (thread). */
  thread: number;
  /** Index of the follow-up in the conversation. */
  index: number;
  /** Who wrote it. */
  by: 'visitor' | 'creator';
  /** Paid with it, in wei (a visitor pays the creator's follow-up price; a creator pays only gas). */
  amount: bigint;
  /** What the creator received at once, in wei: `amount - fee` (0 for the creator's own follow-up). */
  payout: bigint;
  /** The protocol fee taken, in wei. */
  fee: bigint;
  txHash: Hex;
  explorerUrl?: string;
}

/** A follow-up was posted in an answered conversation. */
export class HarmonyFollowUpSentEvent extends Event {
  static readonly eventName = 'harmony-follow-up-sent';
  readonly detail: HarmonyFollowUpSentDetail;
  constructor(detail: HarmonyFollowUpSentDetail) {
    super(HarmonyFollowUpSentEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyThreadClosedDetail {
  /** The conversation (thread) closed for follow-ups; a reply to a new paid message opens it again. */
  thread: number;
  /** Who closed it, as seen from this widget. */
  by: 'visitor' | 'creator';
  txHash: Hex;
  explorerUrl?: string;
}

/** This widget's user closed a conversation for follow-ups. */
export class HarmonyThreadClosedEvent extends Event {
  static readonly eventName = 'harmony-thread-closed';
  readonly detail: HarmonyThreadClosedDetail;
  constructor(detail: HarmonyThreadClosedDetail) {
    super(HarmonyThreadClosedEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyMessageReceivedDetail {
  /** What arrived: a paid message (creator), a reply (visitor) or a follow-up (either). */
  kind: 'message' | 'reply' | 'follow-up';
  /** The conversation (thread). */
  thread: number;
  /** The paid message's id (for `message` and `reply`). */
  id?: bigint;
  /** The follow-up's index in the conversation (for `follow-up`). */
  index?: number;
  /** Who wrote it (0x…). */
  from: Hex;
  /** Wei paid with it (0 for a reply and for the creator's follow-ups). */
  amount: bigint;
  /**
   * What the creator receives, in wei, after the fee: for a message, what a reply in time pays
   * out; for a reply, what it paid out; for a follow-up, what it paid at once.
   */
  payout: bigint;
  txHash: Hex;
}

/**
 * Something from the other party arrived while the widget was open (seen live, without a
 * reload). Public facts only: the text stays inside the widget.
 */
export class HarmonyMessageReceivedEvent extends Event {
  static readonly eventName = 'harmony-message-received';
  readonly detail: HarmonyMessageReceivedDetail;
  constructor(detail: HarmonyMessageReceivedDetail) {
    super(HarmonyMessageReceivedEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyBlockChangeDetail {
  /** The sender (0x…) whose paid messages and follow-ups the creator now refuses (or accepts again). */
  address: Hex;
  blocked: boolean;
  txHash: Hex;
  explorerUrl?: string;
}

/** The creator blocked or unblocked a sender (on chain). */
export class HarmonyBlockChangeEvent extends Event {
  static readonly eventName = 'harmony-block-change';
  readonly detail: HarmonyBlockChangeDetail;
  constructor(detail: HarmonyBlockChangeDetail) {
    super(HarmonyBlockChangeEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyHideChangeDetail {
  /** The messages hidden from (or shown again in) the inbox view. Their coins follow the usual rules. */
  ids: bigint[];
  hidden: boolean;
  txHash: Hex;
  explorerUrl?: string;
}

/** The creator hid messages from the inbox view, or showed them again (on chain). */
export class HarmonyHideChangeEvent extends Event {
  static readonly eventName = 'harmony-hide-change';
  readonly detail: HarmonyHideChangeDetail;
  constructor(detail: HarmonyHideChangeDetail) {
    super(HarmonyHideChangeEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyKeyChangeDetail {
  /**
   * What changed in this browser: a key was `created` (first send, claim), the backup passphrase
   * was set (`passphrase-set`), a backup file was made (`backup-made`), keys were `restored`, the
   * inbox key was `rotated`, or every key of the account was `forgotten` (sign-out).
   */
  change: 'created' | 'passphrase-set' | 'backup-made' | 'restored' | 'rotated' | 'forgotten';
  role: 'creator' | 'visitor';
  /** The inbox key id, for a creator's new or rotated key. */
  keyId?: number;
  /** Keys of this account held here now, and how many of them are in no backup. Never a key itself. */
  keys: number;
  notBackedUp: number;
}

/** Keys held in this browser changed. Carries counts and ids only, never key material. */
export class HarmonyKeyChangeEvent extends Event {
  static readonly eventName = 'harmony-key-change';
  readonly detail: HarmonyKeyChangeDetail;
  constructor(detail: HarmonyKeyChangeDetail) {
    super(HarmonyKeyChangeEvent.eventName, init);
    this.detail = detail;
  }
}

export interface HarmonyErrorDetail {
  /** Stable error code (see the SDK's `PaidChatErrorCode`). */
  code: PaidChatErrorCode;
  /** What happened and what to do, as shown to the user. */
  message: string;
  /**
   * What the user was doing: 'card', 'connect', 'switch-chain', 'load', 'send', 'reply', 'refund',
   * 'follow-up', 'close-thread', 'block', 'hide', 'claim', 'settings', 'sites', 'email',
   * 'passphrase', 'backup', 'inspect', 'restore', 'rotate', 'sign-out'.
   */
  action: string;
  error: PaidChatError;
}

/** Something failed; the element also shows the message to the user. */
export class HarmonyErrorEvent extends Event {
  static readonly eventName = 'harmony-error';
  readonly detail: HarmonyErrorDetail;
  constructor(detail: HarmonyErrorDetail) {
    super(HarmonyErrorEvent.eventName, init);
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'harmony-connect': HarmonyConnectEvent;
    'harmony-message-sent': HarmonyMessageSentEvent;
    'harmony-reply-sent': HarmonyReplySentEvent;
    'harmony-refund': HarmonyRefundEvent;
    'harmony-follow-up-sent': HarmonyFollowUpSentEvent;
    'harmony-thread-closed': HarmonyThreadClosedEvent;
    'harmony-message-received': HarmonyMessageReceivedEvent;
    'harmony-block-change': HarmonyBlockChangeEvent;
    'harmony-hide-change': HarmonyHideChangeEvent;
    'harmony-key-change': HarmonyKeyChangeEvent;
    'harmony-error': HarmonyErrorEvent;
  }
}
