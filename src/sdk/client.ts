/**
 * The headless PaidChat client: profiles, handles, send / reply / refund, inbox and outbox pages
 * (decrypted and verified), and a watch for new events. Built on viem's small `createClient` and
 * single actions, so a browser bundle carries only what it uses.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  UserRejectedRequestError,
  InsufficientFundsError,
  createClient,
  custom,
  bytesToHex as toHex,
  hexToBytes,
  formatEther,
  parseEther,
  type Address,
  type Chain,
  type Client,
  type EIP1193Provider,
  type Hex,
  type Transport,
  type Log,
} from 'viem';
import {
  estimateContractGas,
  getBlockNumber,
  getChainId,
  getGasPrice,
  getLogs,
  readContract,
  requestAddresses,
  getAddresses,
  signMessage,
  waitForTransactionReceipt,
  writeContract,
  getBalance,
  getBlock,
} from 'viem/actions';
import { getAbiItem, parseEventLogs, recoverMessageAddress } from 'viem/utils';
import { paidChatAbi } from './generated/paid-chat.js';
import { PaidChatError, type PaidChatErrorCode } from './errors.js';
import { resolveChain, resolveContract, explorerTxUrl, type ChainName } from './chains.js';
import { createReadClient, withRetry, logWindows, blockClusters, type RetryPolicy } from './rpc.js';
import { normalizeHandle, handleToBytes32, bytes32ToHandle } from './handles.js';
import { parseAddress } from './address.js';
import { encodeMessageText } from './text.js';
import {
  keyDerivationMessage,
  deriveMessagingKey,
  publicKeyFromChain,
  assertKeyMatches,
  exportMessagingKey,
  importMessagingKey,
  type MessagingKey,
} from './keys.js';
import { sealEnvelope, openEnvelope, ENVELOPE_KIND_MESSAGE, ENVELOPE_KIND_REPLY } from './envelope.js';
import type { RawCardProfile } from './card.js';

/** Harmony refuses gas prices below 100 gwei. */
export const MIN_GAS_PRICE = 100_000_000_000n;
/** eth_estimateGas has under-estimated on Harmony: add this margin (percent). */
export const GAS_MARGIN_PERCENT = 25n;

export type MessageStatus = 'waiting' | 'refundable' | 'replied' | 'refunded';
const STATUS: Record<number, MessageStatus> = { 1: 'waiting', 2: 'refundable', 3: 'replied', 4: 'refunded' };

export interface Profile {
  address: Address;
  /** Canonical handle without '@'; '' when the address holds none. */
  handle: string;
  price: bigint;
  /** Reply window in seconds. */
  window: number;
  /** Compressed messaging public key, or undefined when none (or an invalid one) is registered. */
  publicKey?: Uint8Array;
  hasKey: boolean;
  inboxCount: number;
}

export interface ChatMessage {
  id: bigint;
  sender: Address;
  recipient: Address;
  senderHandle: string;
  recipientHandle: string;
  /** Wei paid with the message (held while waiting). */
  amount: bigint;
  /** Unix seconds; replies are accepted strictly before it, refunds at or after it. */
  deadline: bigint;
  status: MessageStatus;
  sentBlock: bigint;
  replyBlock?: bigint;
  txHash?: Hex;
  replyTxHash?: Hex;
  /** Decrypted text; undefined while locked or when it could not be decrypted (see `error`). */
  text?: string;
  /** The reply's decrypted text, when replied and readable. */
  reply?: string;
  /** True when the text was sealed by the key registered to `sender` for this very message. */
  verified: boolean;
  error?: PaidChatError;
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the next (older) page; undefined when there is no more. */
  nextCursor?: bigint;
}

export interface SendResult {
  id: bigint;
  txHash: Hex;
  blockNumber: bigint;
  explorerUrl?: string;
}

export interface TxResult {
  txHash: Hex;
  blockNumber: bigint;
  explorerUrl?: string;
}

export type WalletInput = EIP1193Provider | Client;

export interface PaidChatOptions {
  /** 'harmony' (default), 'harmony-testnet', 'local' or a viem chain. */
  chain?: ChainName | Chain;
  /** JSON-RPC URL for reads; the chain's default otherwise. */
  rpcUrl?: string;
  /** PaidChat contract address; the chain's default deployment otherwise. */
  contract?: Address;
  /** An EIP-1193 provider (window.ethereum, web3-onboard) or a viem wallet client. */
  wallet?: WalletInput;
  /** Advanced: a viem transport for reads (e.g. webSocket). */
  transport?: Transport;
  /** Retries of failed RPC reads, with backoff; `onRetry` lets a UI say so. */
  retry?: RetryPolicy;
  /** First block to scan when watching history (the deployment block). */
  fromBlock?: bigint;
}

export type ChatEvent =
  | { type: 'message'; id: bigint; sender: Address; recipient: Address; amount: bigint; deadline: bigint; blockNumber: bigint; txHash: Hex }
  | { type: 'reply'; id: bigint; sender: Address; recipient: Address; payout: bigint; fee: bigint; blockNumber: bigint; txHash: Hex }
  | { type: 'refund'; id: bigint; sender: Address; recipient: Address; amount: bigint; blockNumber: bigint; txHash: Hex };

/** The contract's `Profile` tuple, as viem decodes it. */
type RawProfile = RawCardProfile;
type RawMessage = {
  id: bigint;
  sender: Address;
  recipient: Address;
  amount: bigint;
  deadline: bigint;
  sentBlock: bigint;
  replyBlock: bigint;
  status: number;
};

const ZERO = '0x0000000000000000000000000000000000000000';
const EVENTS = ['MessageSent', 'MessageReplied', 'MessageRefunded'] as const;

const REVERT_CODES: Record<string, PaidChatErrorCode> = {
  HandleInvalid: 'HANDLE_INVALID',
  HandleTaken: 'HANDLE_TAKEN',
  AlreadyHasHandle: 'ALREADY_HAS_HANDLE',
  NoHandle: 'HANDLE_NOT_FOUND',
  WindowOutOfRange: 'WINDOW_OUT_OF_RANGE',
  KeyInvalid: 'KEY_INVALID',
  NoMessagingKey: 'KEY_MISSING',
  SelfMessage: 'SELF_MESSAGE',
  PriceTooLow: 'PRICE_TOO_LOW',
  WindowTooLong: 'WINDOW_TOO_LONG',
  EnvelopeSize: 'ENVELOPE_INVALID',
  AmountTooLarge: 'AMOUNT_INVALID',
  UnknownMessage: 'MESSAGE_NOT_FOUND',
  NotRecipient: 'NOT_RECIPIENT',
  ReplyWindowClosed: 'REPLY_WINDOW_CLOSED',
  NotYetRefundable: 'NOT_YET_REFUNDABLE',
  NothingToRefund: 'NOT_YET_REFUNDABLE',
  AlreadySettled: 'ALREADY_SETTLED',
  NothingToWithdraw: 'NOTHING_TO_WITHDRAW',
};

/** Amount in ONE as a decimal string ("10", "0.5"). */
export function formatOne(wei: bigint): string {
  return formatEther(wei);
}

/** Parses an amount given as wei (bigint) or ONE (decimal string/number). */
export function parseOne(amount: bigint | string | number): bigint {
  if (typeof amount === 'bigint') {
    if (amount < 0n) throw new PaidChatError('AMOUNT_INVALID', 'An amount cannot be negative.', { amount });
    return amount;
  }
  const s = String(amount).trim();
  if (!/^\d+(\.\d{1,18})?$/.test(s)) {
    throw new PaidChatError('AMOUNT_INVALID', `"${s}" is not an amount of ONE. Use digits with up to 18 decimals, like 10 or 0.5.`, { amount: s });
  }
  return parseEther(s);
}

function describeWindow(seconds: number | bigint): string {
  const s = Number(seconds);
  if (s % 86_400 === 0) return `${s / 86_400} day${s === 86_400 ? '' : 's'}`;
  if (s % 3_600 === 0) return `${s / 3_600} hour${s === 3_600 ? '' : 's'}`;
  return `${s} seconds`;
}

function revertMessage(name: string, args: readonly unknown[]): string {
  const a = args as any[];
  switch (name) {
    case 'PriceTooLow':
      return `The price is ${formatOne(a[0])} ONE; ${formatOne(a[1])} ONE is too little. Send at least ${formatOne(a[0])} ONE.`;
    case 'HandleTaken':
      return `@${bytes32ToHandle(a[0])} is already taken. Choose another handle.`;
    case 'HandleInvalid':
      return 'That handle is not valid: use 3–32 characters a-z, 0-9, _ or -, starting with a letter or digit.';
    case 'AlreadyHasHandle':
      return `This wallet already holds @${bytes32ToHandle(a[1])}. Release it first, or use another wallet.`;
    case 'NoHandle':
      return 'That account holds no handle (it may have been released). Check the handle and try again.';
    case 'WindowOutOfRange':
      return `The reply window must be between ${describeWindow(a[1])} and ${describeWindow(a[2])}.`;
    case 'SelfMessage':
      return 'You cannot send a paid message to yourself.';
    case 'WindowTooLong':
      return `The creator's reply window changed to ${describeWindow(a[0])}. Reload and check the terms before sending.`;
    case 'ReplyWindowClosed':
      return `The reply window closed at ${new Date(Number(a[1]) * 1000).toISOString()}; the sender can now take a refund.`;
    case 'NotYetRefundable':
      return `Not refundable yet: the creator can reply until ${new Date(Number(a[1]) * 1000).toISOString()}.`;
    case 'NothingToRefund':
      return 'None of these messages is refundable now.';
    case 'AlreadySettled':
      return `Message ${a[0]} is already ${Number(a[1]) === 3 ? 'replied to' : 'refunded'}.`;
    case 'NotRecipient':
      return 'Only the recipient of this message can reply to it. Connect the wallet that owns the handle.';
    case 'UnknownMessage':
      return `There is no message ${a[0]}.`;
    case 'NoMessagingKey':
      return 'This account has no messaging key yet. Unlock once to create it.';
    case 'KeyInvalid':
      return 'The messaging key is not valid.';
    case 'NothingToWithdraw':
      return 'There is nothing to withdraw.';
    default:
      return `The contract refused: ${name}.`;
  }
}

/** Turns any error from viem, a wallet or the contract into a PaidChatError. */
export function toPaidChatError(e: unknown): PaidChatError {
  if (e instanceof PaidChatError) return e;
  if (e instanceof BaseError) {
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data?.errorName) {
      const name = reverted.data.errorName;
      const args = reverted.data.args ?? [];
      return new PaidChatError(REVERT_CODES[name] ?? 'TRANSACTION_FAILED', revertMessage(name, args), { revert: name, args }, { cause: e });
    }
    if (e.walk((x) => x instanceof UserRejectedRequestError || (x as any)?.code === 4001)) {
      return new PaidChatError('USER_REJECTED', 'You declined in your wallet. Nothing was sent; try again when ready.', {}, { cause: e });
    }
    if (e.walk((x) => x instanceof InsufficientFundsError)) {
      return new PaidChatError('INSUFFICIENT_FUNDS', 'Your wallet does not hold enough ONE for the amount plus gas.', {}, { cause: e });
    }
  }
  if ((e as any)?.code === 4001) {
    return new PaidChatError('USER_REJECTED', 'You declined in your wallet. Nothing was sent; try again when ready.', {}, { cause: e });
  }
  const msg = e instanceof BaseError ? e.shortMessage : e instanceof Error ? e.message : String(e);
  return new PaidChatError('TRANSACTION_FAILED', `The transaction failed: ${msg}`, {}, { cause: e });
}

function isClient(w: WalletInput): w is Client {
  return typeof (w as Client).extend === 'function' && 'transport' in (w as Client);
}

export class PaidChat {
  readonly chain: Chain;
  readonly contract: Address;
  readonly reader: Client<Transport, Chain>;
  #wallet?: Client;
  #key?: MessagingKey;
  #keyAccount?: Address;
  #retry: RetryPolicy;
  readonly fromBlock: bigint;

  constructor(options: PaidChatOptions = {}) {
    this.chain = resolveChain(options.chain, options.rpcUrl);
    this.contract = resolveContract(this.chain, options.contract ? parseAddress(options.contract) : undefined);
    this.reader = createReadClient(this.chain, options.transport);
    this.#retry = options.retry ?? {};
    this.fromBlock = options.fromBlock ?? 0n;
    if (options.wallet) this.setWallet(options.wallet);
  }

  // ---------------------------------------------------------------- wallet

  /** Use another wallet (an EIP-1193 provider or a viem wallet client); forgets the unlocked key. */
  setWallet(wallet: WalletInput | undefined): void {
    this.#wallet = wallet === undefined ? undefined : isClient(wallet) ? wallet : createClient({ transport: custom(wallet) });
    this.lock();
  }

  get hasWallet(): boolean {
    return this.#wallet !== undefined;
  }

  #requireWallet(): Client {
    if (!this.#wallet) {
      throw new PaidChatError('NO_WALLET', 'Connect a wallet first.');
    }
    return this.#wallet;
  }

  /** Asks the wallet for access and returns the connected account. */
  async connect(): Promise<Address> {
    const w = this.#requireWallet();
    if (w.account) return w.account.address;
    try {
      const [address] = await requestAddresses(w as any);
      if (!address) throw new PaidChatError('NO_WALLET', 'The wallet returned no account. Unlock it and try again.');
      return address;
    } catch (e) {
      throw toPaidChatError(e);
    }
  }

  /** The connected account, or undefined when the wallet has not granted access. */
  async account(): Promise<Address | undefined> {
    const w = this.#wallet;
    if (!w) return undefined;
    if (w.account) return w.account.address;
    try {
      const [a] = await getAddresses(w as any);
      return a;
    } catch (e) {
      throw toPaidChatError(e);
    }
  }

  async #requireAccount(): Promise<Address> {
    const a = await this.account();
    if (!a) throw new PaidChatError('NO_WALLET', 'Connect a wallet first.');
    return a;
  }

  /** The chain id the wallet is on. */
  async walletChainId(): Promise<number> {
    try {
      return await getChainId(this.#requireWallet() as any);
    } catch (e) {
      throw toPaidChatError(e);
    }
  }

  /** Throws WRONG_CHAIN unless the wallet is on this client's chain. */
  async assertChain(): Promise<void> {
    const actual = await this.walletChainId();
    if (actual !== this.chain.id) {
      throw new PaidChatError(
        'WRONG_CHAIN',
        `Your wallet is on chain ${actual}; switch it to ${this.chain.name} (chain ${this.chain.id}).`,
        { expected: this.chain.id, actual },
      );
    }
  }

  /** Asks the wallet to switch to this chain, adding it first if the wallet does not know it. */
  async switchChain(): Promise<void> {
    const w = this.#requireWallet();
    const hexId = `0x${this.chain.id.toString(16)}`;
    try {
      await w.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: hexId }] } as any);
    } catch (e: any) {
      const code = e?.code ?? e?.cause?.code;
      if (code !== 4902) throw toPaidChatError(e);
      try {
        await w.request({
          method: 'wallet_addEthereumChain',
          params: [
            {
              chainId: hexId,
              chainName: this.chain.name,
              nativeCurrency: this.chain.nativeCurrency,
              rpcUrls: this.chain.rpcUrls.default.http,
              blockExplorerUrls: this.chain.blockExplorers ? [this.chain.blockExplorers.default.url] : undefined,
            },
          ],
        } as any);
      } catch (e2) {
        throw toPaidChatError(e2);
      }
    }
  }

  /**
   * Asks the wallet to sign a plain-text message (EIP-191) as the connected account; used for
   * sign-in style requests such as the notifier's email subscription.
   */
  async signText(message: string): Promise<{ address: Address; signature: Hex }> {
    const w = this.#requireWallet();
    const address = await this.#requireAccount();
    try {
      const signature = await signMessage(w as any, { account: (w.account ?? address) as any, message });
      return { address, signature };
    } catch (e) {
      throw toPaidChatError(e);
    }
  }

  // ---------------------------------------------------------------- messaging key

  get unlocked(): boolean {
    return this.#key !== undefined;
  }

  /** Forgets the messaging key held in memory. */
  lock(): void {
    this.#key = undefined;
    this.#keyAccount = undefined;
  }

  /**
   * Derives the messaging key from one wallet signature (once per session) and checks it against
   * the key registered on chain. KEY_MISMATCH means this wallet signed differently than when the
   * key was registered; nothing is overwritten.
   */
  async unlock(): Promise<{ address: Address; registered: boolean }> {
    const address = await this.#requireAccount();
    if (this.#key && this.#keyAccount === address) {
      return { address, registered: (await this.getProfileByAddress(address)).hasKey };
    }
    await this.assertChain();
    const message = keyDerivationMessage({ chainId: this.chain.id, contract: this.contract, account: address });
    let signature: Hex;
    try {
      signature = await signMessage(this.#requireWallet() as any, { account: (this.#wallet!.account ?? address) as any, message });
    } catch (e) {
      throw toPaidChatError(e);
    }
    // A key must come from this account's own deterministic ECDSA signature: a signature by
    // another account, or a smart-contract wallet's (EIP-1271), cannot derive one.
    let signer: Address | undefined;
    try {
      signer = await recoverMessageAddress({ message, signature });
    } catch {
      signer = undefined;
    }
    if (signer?.toLowerCase() !== address.toLowerCase()) {
      throw new PaidChatError(
        'KEY_INVALID',
        'The wallet did not sign with this account\'s own key (a smart-contract wallet cannot derive a messaging key). Use a wallet with a regular account key.',
        { address, signer },
      );
    }
    const key = deriveMessagingKey(signature);
    const raw = await this.#rawProfile(address);
    if (raw.keyPrefix !== 0) assertKeyMatches(key, raw.keyX, raw.keyPrefix);
    this.#key = key;
    this.#keyAccount = address;
    return { address, registered: raw.keyPrefix !== 0 };
  }

  /** The unlocked key as a backup string. Keep it secret: it reads every message. */
  exportKey(): string {
    if (!this.#key) throw new PaidChatError('LOCKED', 'Unlock first, then export the key.');
    return exportMessagingKey(this.#key);
  }

  /** Unlocks with a backup string instead of a signature; it must match the registered key. */
  async importKey(backup: string): Promise<void> {
    const address = await this.#requireAccount();
    const key = importMessagingKey(backup);
    const raw = await this.#rawProfile(address);
    if (raw.keyPrefix !== 0) assertKeyMatches(key, raw.keyX, raw.keyPrefix);
    this.#key = key;
    this.#keyAccount = address;
  }

  async #requireKey(): Promise<{ key: MessagingKey; address: Address }> {
    const address = await this.#requireAccount();
    if (!this.#key || this.#keyAccount !== address) await this.unlock();
    return { key: this.#key!, address };
  }

  // ---------------------------------------------------------------- reads

  async #read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return withRetry(
      () => readContract(this.reader, { address: this.contract, abi: paidChatAbi, functionName: functionName as any, args: args as any }) as Promise<T>,
      this.#retry,
      `the ${this.chain.name} RPC`,
    );
  }

  async #rawProfile(address: Address): Promise<RawProfile> {
    return this.#read<RawProfile>('profileOf', [address]);
  }

  #profile(raw: RawProfile, address: Address): Profile {
    let publicKey: Uint8Array | undefined;
    if (raw.keyPrefix !== 0) {
      try {
        publicKey = publicKeyFromChain(raw.keyX, raw.keyPrefix);
      } catch {
        publicKey = undefined; // garbage registered by someone: treat as no usable key
      }
    }
    return {
      address,
      handle: bytes32ToHandle(raw.handle),
      price: raw.price,
      window: Number(raw.window),
      publicKey,
      hasKey: publicKey !== undefined,
      inboxCount: Number(raw.inboxCount),
    };
  }

  async getProfileByAddress(address: Address | string): Promise<Profile> {
    const a = parseAddress(address);
    return this.#profile(await this.#rawProfile(a), a);
  }

  /** The profile of a handle's owner; HANDLE_NOT_FOUND when nobody holds it. */
  async getProfileByHandle(handle: string): Promise<Profile> {
    const h = normalizeHandle(handle);
    const raw = await this.#read<RawProfile>('profileOfHandle', [handleToBytes32(h)]);
    if (raw.account === ZERO) {
      throw new PaidChatError('HANDLE_NOT_FOUND', `Nobody holds @${h} yet.`, { handle: h });
    }
    return this.#profile(raw, raw.account);
  }

  /** A profile by handle ('@satoshi', 'satoshi') or address ('0x…', 'one1…'). */
  async getProfile(who: string): Promise<Profile> {
    const s = who.trim();
    return /^(0x|one1)/i.test(s) ? this.getProfileByAddress(s) : this.getProfileByHandle(s);
  }

  /** Whether a handle is free to claim (validates it first). */
  async isHandleAvailable(handle: string): Promise<boolean> {
    const h = normalizeHandle(handle);
    return (await this.#read<Address>('ownerOf', [handleToBytes32(h)])) === ZERO;
  }

  async feeBps(): Promise<number> {
    return Number(await this.#read<bigint>('feeBps', []));
  }

  async creditOf(address: Address | string): Promise<bigint> {
    return this.#read<bigint>('creditOf', [parseAddress(address)]);
  }

  async balanceOf(address: Address | string): Promise<bigint> {
    return withRetry(() => getBalance(this.reader, { address: parseAddress(address) }), this.#retry);
  }

  async latestTimestamp(): Promise<bigint> {
    return (await withRetry(() => getBlock(this.reader), this.#retry)).timestamp;
  }

  // ---------------------------------------------------------------- writes

  async #write(functionName: string, args: readonly unknown[], value = 0n): Promise<TxResult & { logs: Log[] }> {
    const wallet = this.#requireWallet();
    const account = await this.#requireAccount();
    await this.assertChain();
    const request = { address: this.contract, abi: paidChatAbi, functionName: functionName as any, args: args as any, value, account } as const;
    let gas: bigint;
    let gasPrice: bigint;
    try {
      // Estimating through the read RPC surfaces the contract's own error before any wallet prompt.
      [gas, gasPrice] = await Promise.all([
        withRetry(() => estimateContractGas(this.reader, request as any), this.#retry),
        withRetry(() => getGasPrice(this.reader), this.#retry),
      ]);
    } catch (e) {
      throw toPaidChatError(e);
    }
    if (gasPrice < MIN_GAS_PRICE) gasPrice = MIN_GAS_PRICE;
    gas = (gas * (100n + GAS_MARGIN_PERCENT)) / 100n;
    let txHash: Hex;
    try {
      txHash = await writeContract(wallet as any, {
        ...request,
        account: (wallet.account ?? account) as any,
        chain: this.chain,
        gas,
        gasPrice,
        type: 'legacy',
      } as any);
    } catch (e) {
      throw toPaidChatError(e);
    }
    const receipt = await withRetry(() => waitForTransactionReceipt(this.reader, { hash: txHash }), this.#retry);
    if (receipt.status !== 'success') {
      throw new PaidChatError('TRANSACTION_FAILED', `The transaction ${txHash} was reverted on chain.`, { txHash });
    }
    return { txHash, blockNumber: receipt.blockNumber, explorerUrl: explorerTxUrl(this.chain, txHash), logs: receipt.logs };
  }

  /**
   * Claims a handle with a price (ONE as a decimal string, or wei as bigint; may be 0) and a reply
   * window in seconds (default 7 days). Registers the messaging key in the same transaction.
   */
  async claimHandle(opts: { handle: string; price: bigint | string | number; window?: number }): Promise<TxResult> {
    const handle = normalizeHandle(opts.handle);
    const price = parseOne(opts.price);
    const window = opts.window ?? 0;
    checkWindow(window);
    const address = await this.#requireAccount();
    const owner = await this.#read<Address>('ownerOf', [handleToBytes32(handle)]);
    if (owner !== ZERO) {
      throw new PaidChatError('HANDLE_TAKEN', `@${handle} is already taken. Choose another handle.`, { handle, owner });
    }
    const me = await this.getProfileByAddress(address);
    if (me.handle) {
      throw new PaidChatError('ALREADY_HAS_HANDLE', `This wallet already holds @${me.handle}. Release it first, or use another wallet.`, { handle: me.handle });
    }
    const { key } = await this.#requireKey();
    return this.#write('claimHandle', [handleToBytes32(handle), price, window, key.keyX, key.keyPrefix]);
  }

  /** Changes price and/or window of the connected account's handle. */
  async updateProfile(opts: { price?: bigint | string | number; window?: number }): Promise<TxResult> {
    const address = await this.#requireAccount();
    const me = await this.getProfileByAddress(address);
    if (!me.handle) throw new PaidChatError('NO_HANDLE', 'This wallet holds no handle. Claim one first.');
    const price = opts.price === undefined ? me.price : parseOne(opts.price);
    const window = opts.window ?? me.window;
    checkWindow(window);
    return this.#write('updateProfile', [price, window]);
  }

  async releaseHandle(): Promise<TxResult> {
    return this.#write('releaseHandle', []);
  }

  /**
   * Sends an encrypted message with `amount` (default: the recipient's price). The text is
   * checked (≤ 140 bytes of UTF-8) before any wallet prompt. A first-time sender's messaging key
   * is registered in the same transaction.
   */
  async send(opts: { to: string; text: string; amount?: bigint | string | number }): Promise<SendResult> {
    encodeMessageText(opts.text); // MESSAGE_EMPTY / MESSAGE_TOO_LONG before anything else
    const recipient = await this.getProfile(opts.to);
    if (!recipient.handle) {
      throw new PaidChatError('HANDLE_NOT_FOUND', `${opts.to} holds no handle, so it cannot receive paid messages.`, { to: opts.to });
    }
    if (!recipient.publicKey) {
      throw new PaidChatError('KEY_INVALID', `@${recipient.handle} has no usable messaging key, so a message could not be read. Nothing was sent.`);
    }
    const amount = opts.amount === undefined ? recipient.price : parseOne(opts.amount);
    if (amount < recipient.price) {
      throw new PaidChatError(
        'PRICE_TOO_LOW',
        `@${recipient.handle} asks at least ${formatOne(recipient.price)} ONE; ${formatOne(amount)} ONE is too little.`,
        { required: recipient.price, sent: amount },
      );
    }
    const address = await this.#requireAccount();
    if (address.toLowerCase() === recipient.address.toLowerCase()) {
      throw new PaidChatError('SELF_MESSAGE', 'You cannot send a paid message to yourself.');
    }
    const { key, registered } = await this.#keyWithRegistration();
    const envelope = sealEnvelope({
      kind: ENVELOPE_KIND_MESSAGE,
      text: opts.text,
      authorKey: key,
      readerPublicKey: recipient.publicKey,
      context: { chainId: this.chain.id, contract: this.contract, author: address, reader: recipient.address },
    });
    const envHex = toHex(envelope);
    const res = registered
      ? await this.#write('sendMessage', [recipient.address, BigInt(recipient.window), envHex], amount)
      : await this.#write('registerKeyAndSend', [key.keyX, key.keyPrefix, recipient.address, BigInt(recipient.window), envHex], amount);
    const [sent] = parseEventLogs({ abi: paidChatAbi, eventName: 'MessageSent', logs: res.logs });
    if (!sent) throw new PaidChatError('TRANSACTION_FAILED', `No MessageSent event in ${res.txHash}.`);
    return { id: sent.args.id, txHash: res.txHash, blockNumber: res.blockNumber, explorerUrl: res.explorerUrl };
  }

  /** The key, and whether it is registered on chain (a fresh unlock has just read that). */
  async #keyWithRegistration(): Promise<{ key: MessagingKey; registered: boolean }> {
    const address = await this.#requireAccount();
    if (!this.#key || this.#keyAccount !== address) {
      const { registered } = await this.unlock();
      return { key: this.#key!, registered };
    }
    const raw = await this.#rawProfile(address);
    return { key: this.#key, registered: raw.keyPrefix !== 0 };
  }

  /** Replies to a message (only its recipient, only before its deadline, once); releases the coins. */
  async reply(opts: { id: bigint; text: string }): Promise<TxResult> {
    encodeMessageText(opts.text);
    const m = await this.#rawMessage(opts.id);
    const address = await this.#requireAccount();
    if (m.recipient.toLowerCase() !== address.toLowerCase()) {
      throw new PaidChatError('NOT_RECIPIENT', 'Only the recipient of this message can reply to it. Connect the wallet that owns the handle.', { id: opts.id });
    }
    this.#assertOpen(m, 'reply');
    const senderProfile = await this.getProfileByAddress(m.sender);
    if (!senderProfile.publicKey) {
      throw new PaidChatError('KEY_INVALID', 'The sender has no usable messaging key; a reply could not be read by them.');
    }
    const { key } = await this.#requireKey();
    const envelope = sealEnvelope({
      kind: ENVELOPE_KIND_REPLY,
      text: opts.text,
      authorKey: key,
      readerPublicKey: senderProfile.publicKey,
      context: { chainId: this.chain.id, contract: this.contract, author: address, reader: m.sender, refId: opts.id },
    });
    return this.#write('reply', [opts.id, toHex(envelope)]);
  }

  /** Refunds one message, or every refundable one of several in a single transaction. */
  async refund(ids: bigint | bigint[]): Promise<TxResult> {
    const list = Array.isArray(ids) ? ids : [ids];
    if (list.length === 0) throw new PaidChatError('MESSAGE_NOT_FOUND', 'No message ids were given.');
    if (list.length === 1) {
      this.#assertOpen(await this.#rawMessage(list[0]), 'refund');
      return this.#write('refund', [list[0]]);
    }
    return this.#write('refundMany', [list]);
  }

  /** Withdraws payouts that could not be pushed to the connected account (e.g. a contract wallet). */
  async withdrawCredit(to?: Address | string): Promise<TxResult> {
    const address = await this.#requireAccount();
    return this.#write('withdrawCredit', [to ? parseAddress(to) : address]);
  }

  #assertOpen(m: RawMessage, action: 'reply' | 'refund') {
    const status = STATUS[m.status];
    if (status === 'replied' || status === 'refunded') {
      throw new PaidChatError('ALREADY_SETTLED', `This message is already ${status === 'replied' ? 'replied to' : 'refunded'}.`, { id: m.id, status });
    }
    if (action === 'reply' && status === 'refundable') {
      throw new PaidChatError(
        'REPLY_WINDOW_CLOSED',
        `The reply window closed at ${new Date(Number(m.deadline) * 1000).toISOString()}; the sender can now take a refund.`,
        { id: m.id, deadline: m.deadline },
      );
    }
    if (action === 'refund' && status === 'waiting') {
      throw new PaidChatError(
        'NOT_YET_REFUNDABLE',
        `Not refundable yet: the creator can reply until ${new Date(Number(m.deadline) * 1000).toISOString()}.`,
        { id: m.id, deadline: m.deadline },
      );
    }
  }

  async #rawMessage(id: bigint): Promise<RawMessage> {
    const m = await this.#read<RawMessage>('getMessage', [id]);
    if (m.status === 0) throw new PaidChatError('MESSAGE_NOT_FOUND', `There is no message ${id}.`, { id });
    return m;
  }

  // ---------------------------------------------------------------- pages

  /** One message, decrypted when the client is unlocked and the account is a party to it. */
  async getMessage(id: bigint): Promise<ChatMessage> {
    const [m] = await this.#hydrate([await this.#rawMessage(id)]);
    return m;
  }

  /** The connected (or given) account's inbox, newest first. */
  async inbox(opts: { cursor?: bigint; limit?: number; account?: Address | string } = {}): Promise<Page<ChatMessage>> {
    const account = opts.account ? parseAddress(opts.account) : await this.#requireAccount();
    const [raw, next] = await this.#read<[RawMessage[], bigint]>('inboxPage', [account, opts.cursor ?? 0n, BigInt(opts.limit ?? 20)]);
    return { items: await this.#hydrate(raw), nextCursor: next === 0n ? undefined : next };
  }

  /** The connected (or given) account's outbox, newest first. */
  async outbox(opts: { cursor?: bigint; limit?: number; account?: Address | string } = {}): Promise<Page<ChatMessage>> {
    const account = opts.account ? parseAddress(opts.account) : await this.#requireAccount();
    const [raw, next] = await this.#read<[RawMessage[], bigint]>('outboxPage', [account, opts.cursor ?? 0n, BigInt(opts.limit ?? 20)]);
    return { items: await this.#hydrate(raw), nextCursor: next === 0n ? undefined : next };
  }

  /**
   * Fills records with their ciphertexts (a few batched log queries around the blocks the
   * contract points at), the parties' handles and keys (one view call), and decrypts.
   */
  async #hydrate(raw: RawMessage[]): Promise<ChatMessage[]> {
    if (raw.length === 0) return [];
    const blocks = raw.flatMap((m) => (m.replyBlock ? [m.sentBlock, m.replyBlock] : [m.sentBlock]));
    const parties = [...new Set(raw.flatMap((m) => [m.sender, m.recipient]).map((a) => a.toLowerCase()))] as Address[];
    const [logs, profiles] = await Promise.all([
      Promise.all(
        blockClusters(blocks).map(([fromBlock, toBlock]) =>
          withRetry(
            () =>
              getLogs(this.reader, {
                address: this.contract,
                events: [getAbiItem({ abi: paidChatAbi, name: 'MessageSent' }), getAbiItem({ abi: paidChatAbi, name: 'MessageReplied' })],
                fromBlock,
                toBlock,
              }),
            this.#retry,
          ),
        ),
      ).then((l) => l.flat()),
      this.#read<RawProfile[]>('profilesOf', [parties]),
    ]);
    const profileOf = new Map<string, Profile>();
    parties.forEach((p, i) => profileOf.set(p, this.#profile(profiles[i], p)));
    const sentLog = new Map<bigint, any>();
    const replyLog = new Map<bigint, any>();
    for (const l of logs as any[]) {
      if (l.address.toLowerCase() !== this.contract.toLowerCase()) continue;
      if (l.eventName === 'MessageSent') sentLog.set(l.args.id, l);
      else if (l.eventName === 'MessageReplied') replyLog.set(l.args.id, l);
    }
    const me = this.#key ? this.#keyAccount?.toLowerCase() : undefined;
    return raw.map((m) => {
      const sender = profileOf.get(m.sender.toLowerCase())!;
      const recipient = profileOf.get(m.recipient.toLowerCase())!;
      const sent = sentLog.get(m.id);
      const replied = replyLog.get(m.id);
      const out: ChatMessage = {
        id: m.id,
        sender: m.sender,
        recipient: m.recipient,
        senderHandle: sender.handle,
        recipientHandle: recipient.handle,
        amount: m.amount,
        deadline: m.deadline !== 0n ? m.deadline : ((sent?.args.deadline as bigint | undefined) ?? 0n),
        status: STATUS[m.status] ?? 'waiting',
        sentBlock: m.sentBlock,
        replyBlock: m.replyBlock || undefined,
        txHash: sent?.transactionHash,
        replyTxHash: replied?.transactionHash,
        verified: false,
      };
      const iAmSender = me === m.sender.toLowerCase();
      const iAmRecipient = me === m.recipient.toLowerCase();
      if (!iAmSender && !iAmRecipient) return out;
      const other = iAmSender ? recipient : sender;
      const base = { chainId: this.chain.id, contract: this.contract };
      try {
        if (!sent) throw new PaidChatError('ENVELOPE_INVALID', 'The message ciphertext was not found at the block the contract points to.');
        if (!other.publicKey) throw new PaidChatError('KEY_INVALID', 'The other party has no usable messaging key.');
        const opened = openEnvelope({
          envelope: hexToBytesSafe(sent.args.envelope),
          myKey: this.#key!,
          otherPublicKey: other.publicKey,
          context: { ...base, kind: ENVELOPE_KIND_MESSAGE, author: m.sender, reader: m.recipient },
        } as any);
        out.text = opened.text;
        out.verified = true;
        if (replied) {
          const r = openEnvelope({
            envelope: hexToBytesSafe(replied.args.envelope),
            myKey: this.#key!,
            otherPublicKey: other.publicKey,
            context: { ...base, kind: ENVELOPE_KIND_REPLY, author: m.recipient, reader: m.sender, refId: m.id },
          } as any);
          out.reply = r.text;
        }
      } catch (e) {
        out.error = toPaidChatError(e);
      }
      return out;
    });
  }

  // ---------------------------------------------------------------- watch

  /**
   * Calls `onEvent` for every MessageSent / MessageReplied / MessageRefunded that involves
   * `account` (default: the connected one), from `fromBlock` (default: the next block) on. Polls
   * for new blocks and reads logs in ≤ 1024-block windows. Returns a function that stops it.
   */
  watch(opts: {
    account?: Address | string;
    fromBlock?: bigint;
    pollingIntervalMs?: number;
    onEvent: (e: ChatEvent) => void;
    onError?: (e: PaidChatError) => void;
  }): () => void {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let next: bigint | undefined = opts.fromBlock;
    const interval = opts.pollingIntervalMs ?? this.reader.pollingInterval;
    const tick = async () => {
      try {
        const account = opts.account ? parseAddress(opts.account) : await this.#requireAccount();
        const head = await withRetry(() => getBlockNumber(this.reader, { cacheTime: 0 }), this.#retry);
        if (next === undefined) next = head + 1n;
        if (head >= next) {
          for (const e of await this.events({ account, fromBlock: next, toBlock: head })) {
            if (stopped) return;
            opts.onEvent(e);
          }
          next = head + 1n;
        }
      } catch (e) {
        opts.onError?.(toPaidChatError(e));
      }
      if (!stopped) timer = setTimeout(tick, interval);
    };
    timer = setTimeout(tick, 0);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }

  /** Events involving `account` in [fromBlock, toBlock], oldest first, read in ≤ 1024-block windows. */
  async events(opts: { account?: Address | string; fromBlock: bigint; toBlock: bigint }): Promise<ChatEvent[]> {
    const account = opts.account ? parseAddress(opts.account) : undefined;
    const events = EVENTS.map((name) => getAbiItem({ abi: paidChatAbi, name }));
    const out: ChatEvent[] = [];
    for (const [fromBlock, toBlock] of logWindows(opts.fromBlock, opts.toBlock)) {
      const queries = account
        ? [{ sender: account }, { recipient: account }].map((args) =>
            withRetry(() => getLogs(this.reader, { address: this.contract, events, args, fromBlock, toBlock } as any), this.#retry),
          )
        : [withRetry(() => getLogs(this.reader, { address: this.contract, events, fromBlock, toBlock }), this.#retry)];
      const seen = new Set<string>();
      const logs = (await Promise.all(queries))
        .flat()
        .filter((l: any) => {
          const k = `${l.transactionHash}:${l.logIndex}`;
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        })
        .sort((a: any, b: any) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
      for (const l of logs as any[]) {
        const base = { id: l.args.id, sender: l.args.sender, recipient: l.args.recipient, blockNumber: l.blockNumber, txHash: l.transactionHash };
        if (l.eventName === 'MessageSent') out.push({ type: 'message', ...base, amount: l.args.amount, deadline: l.args.deadline });
        else if (l.eventName === 'MessageReplied') out.push({ type: 'reply', ...base, payout: l.args.payout, fee: l.args.fee });
        else out.push({ type: 'refund', ...base, amount: l.args.amount });
      }
    }
    return out;
  }
}

function checkWindow(window: number) {
  if (!Number.isInteger(window) || (window !== 0 && (window < 3_600 || window > 30 * 86_400))) {
    throw new PaidChatError('WINDOW_OUT_OF_RANGE', 'The reply window must be between 1 hour and 30 days.', { window });
  }
}

function hexToBytesSafe(hex: Hex): Uint8Array {
  try {
    return hexToBytes(hex);
  } catch (e) {
    throw new PaidChatError('ENVELOPE_INVALID', 'The ciphertext is not valid hex.', {}, { cause: e });
  }
}

/** Creates a client: `createPaidChat({ chain: 'harmony', wallet: window.ethereum })`. */
export function createPaidChat(options: PaidChatOptions = {}): PaidChat {
  return new PaidChat(options);
}
