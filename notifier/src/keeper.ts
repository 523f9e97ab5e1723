/**
 * The keeper (opt-in, `--keeper-key-file`): returns the coins of messages whose reply window has
 * passed, as the seed promises, without waiting for the sender to come back. It reads the list the
 * watcher keeps (`open_messages`: sent, not yet replied or refunded), and every `--keeper-interval`
 * sends `refundMany(ids)` (≤ 100 per transaction; the contract skips any that became settled) from
 * its own funded account:
 *
 * - chain time decides what is due (the latest block's timestamp, not this machine's clock);
 * - never above `--keeper-max-gas-price`: when the network asks more, it waits and says so;
 * - a failed batch is retried with backoff, each message at most `--keeper-max-attempts` times,
 *   then left alone with an error in the log and in /v1/status;
 * - below `--keeper-min-balance` it warns on every round (log and /v1/status), and a transaction
 *   that fails for lack of funds says exactly that.
 *
 * With several instances on one database, one runs the keeper at a time (a lease).
 */
import { readFileSync } from 'node:fs';
import { BaseError, ContractFunctionRevertedError, createWalletClient, formatEther, formatGwei, http, parseEventLogs, type Address, type Chain, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { estimateContractGas, getBalance, getBlock, getGasPrice, simulateContract, waitForTransactionReceipt, writeContract } from 'viem/actions';
import { paidChatAbi } from 'harmony-paid-chat';
import type { Store } from './store/store.js';
import type { Logger } from './log.js';
import { backoffMs } from './mailer.js';

export interface KeeperOptions {
  reader: PublicClient;
  chain: Chain;
  rpcUrl: string;
  contract: Address;
  store: Store;
  log: Logger;
  keyFile: string;
  maxGasPrice: bigint;
  batch: number;
  intervalMs: number;
  minBalance: bigint;
  maxAttempts: number;
  retryBaseMs: number;
  shared: boolean;
  instanceId: string;
  leaseMs: number;
  receiptTimeoutMs?: number;
}

/** Reads the keeper's private key from its file (0x + 64 hex digits, surrounding whitespace allowed). */
export function readKeeperKey(file: string): Hex {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new Error(`--keeper-key-file: cannot read ${file}: ${(e as Error).message}`);
  }
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new Error(`--keeper-key-file: ${file} must hold one private key (0x followed by 64 hex digits).`);
  return (text.startsWith('0x') ? text : `0x${text}`) as Hex;
}

export interface KeeperStatus {
  address: Address;
  active: boolean;
  balance: string | null;
  lowBalance: boolean;
  gasPrice: string | null;
  waitingForGasPrice: boolean;
  due: number;
  refunded: number;
  transactions: number;
  lastRunAt: string | null;
  lastTx: string | null;
  lastError: string | null;
  gaveUp: string[];
}

export class Keeper {
  readonly #o: KeeperOptions;
  readonly account: PrivateKeyAccount;
  readonly #wallet;
  #stopped = true;
  #loop?: Promise<void>;
  #wake?: () => void;
  #active = false;
  #balance?: bigint;
  #gasPrice?: bigint;
  #waitingForGas = false;
  #due = 0;
  #refunded = 0;
  #transactions = 0;
  #lastRunAt?: number;
  #lastTx?: Hex;
  #lastError?: string;
  #gaveUp: string[] = [];
  /** After a failed batch, the next round comes when its retry is due (not a whole interval later). */
  #retryIn?: number;

  constructor(o: KeeperOptions) {
    this.#o = o;
    this.account = privateKeyToAccount(readKeeperKey(o.keyFile));
    this.#wallet = createWalletClient({ account: this.account, chain: o.chain, transport: http(o.rpcUrl, { retryCount: 2 }) });
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    if (this.#active && this.#o.shared) await this.#o.store.releaseLease('keeper', this.#o.instanceId).catch(() => undefined);
  }

  /** Runs a round now (tests). */
  poke(): void {
    this.#wake?.();
  }

  status(): KeeperStatus {
    return {
      address: this.account.address,
      active: this.#active,
      balance: this.#balance !== undefined ? formatEther(this.#balance) : null,
      lowBalance: this.#balance !== undefined && this.#balance < this.#o.minBalance,
      gasPrice: this.#gasPrice !== undefined ? `${formatGwei(this.#gasPrice)} gwei` : null,
      waitingForGasPrice: this.#waitingForGas,
      due: this.#due,
      refunded: this.#refunded,
      transactions: this.#transactions,
      lastRunAt: this.#lastRunAt ? new Date(this.#lastRunAt).toISOString() : null,
      lastTx: this.#lastTx ?? null,
      lastError: this.#lastError ?? null,
      gaveUp: this.#gaveUp.slice(-20),
    };
  }

  async #run(): Promise<void> {
    const { log } = this.#o;
    log.info('keeper started', { address: this.account.address, maxGasPrice: `${formatGwei(this.#o.maxGasPrice)} gwei`, batch: this.#o.batch });
    while (!this.#stopped) {
      try {
        if (this.#o.shared) this.#active = await this.#o.store.lease('keeper', this.#o.instanceId, Math.max(this.#o.leaseMs, this.#o.intervalMs * 2));
        else this.#active = true;
        if (this.#active) await this.round();
      } catch (e) {
        this.#lastError = short(e);
        log.warn('keeper round failed, will retry', { error: this.#lastError });
      }
      if (this.#stopped) break;
      const delay = Math.min(this.#o.intervalMs, this.#retryIn ?? Infinity);
      this.#retryIn = undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(done, delay);
        const self = this;
        function done() {
          clearTimeout(t);
          self.#wake = undefined;
          r();
        }
        this.#wake = done;
      });
    }
  }

  /** One round: balance, what is due, the gas price, then batches until nothing due is left. */
  async round(): Promise<void> {
    const { reader, store, log, contract } = this.#o;
    this.#lastRunAt = Date.now();
    this.#balance = await getBalance(reader, { address: this.account.address });
    if (this.#balance < this.#o.minBalance) {
      log.warn('KEEPER BALANCE LOW: fund the keeper account or refunds will stop', {
        address: this.account.address,
        balance: `${formatEther(this.#balance)} ONE`,
        minimum: `${formatEther(this.#o.minBalance)} ONE`,
      });
    }
    const chainNow = (await getBlock(reader, { blockTag: 'latest' })).timestamp;
    this.#due = await store.countRefundable(chainNow);
    for (let rounds = 0; rounds < 20 && !this.#stopped; rounds++) {
      const due = await store.refundable(chainNow, Date.now(), this.#o.batch);
      if (due.length === 0) return;
      this.#gasPrice = await getGasPrice(reader);
      if (this.#gasPrice > this.#o.maxGasPrice) {
        this.#waitingForGas = true;
        log.warn('keeper waits: the gas price is above its ceiling', { gasPrice: `${formatGwei(this.#gasPrice)} gwei`, ceiling: `${formatGwei(this.#o.maxGasPrice)} gwei`, due: due.length });
        return;
      }
      this.#waitingForGas = false;
      const ids = due.map((d) => BigInt(d.message_id));
      const keys = due.map((d) => d.message_id);
      try {
        // Which of them can be refunded right now (someone may have replied or refunded meanwhile)?
        await simulateContract(reader, { account: this.account, address: contract, abi: paidChatAbi, functionName: 'refundMany', args: [ids] });
      } catch (e) {
        if (revertName(e) === 'NothingToRefund') {
          // All of them settled by others (their events will come through the watcher).
          await store.forgetOpen(keys);
          log.info('keeper: nothing left to refund in this batch (settled by others)', { ids: keys.length });
          continue;
        }
        await this.#failed(keys, due, e);
        return;
      }
      try {
        const gas = await estimateContractGas(reader, { account: this.account, address: contract, abi: paidChatAbi, functionName: 'refundMany', args: [ids] });
        const hash = await writeContract(this.#wallet, {
          address: contract,
          abi: paidChatAbi,
          functionName: 'refundMany',
          args: [ids],
          type: 'legacy',
          gasPrice: this.#gasPrice,
          gas: (gas * 125n) / 100n,
          chain: this.#o.chain,
        } as any);
        this.#lastTx = hash;
        this.#transactions++;
        const receipt = await waitForTransactionReceipt(reader, { hash, timeout: this.#o.receiptTimeoutMs ?? 120_000, pollingInterval: 250 });
        if (receipt.status !== 'success') throw new Error(`refundMany reverted (${hash})`);
        const refunded = parseEventLogs({ abi: paidChatAbi, eventName: 'MessageRefunded', logs: receipt.logs }).length;
        this.#refunded += refunded;
        this.#lastError = undefined;
        // The watcher marks them settled when it reads the block; until then do not pick them again.
        await store.deferOpen(keys, Date.now() + Math.max(60_000, this.#o.intervalMs * 2));
        log.info('keeper refunded', { refunded, batch: ids.length, tx: hash, gasUsed: receipt.gasUsed, gasPrice: `${formatGwei(this.#gasPrice)} gwei` });
      } catch (e) {
        await this.#failed(keys, due, e);
        return;
      }
    }
  }

  async #failed(keys: string[], due: { keeper_attempts: number }[], e: unknown): Promise<void> {
    const attempt = Math.max(...due.map((d) => d.keeper_attempts)) + 1;
    const delay = backoffMs(attempt, this.#o.retryBaseMs, Math.max(this.#o.retryBaseMs, 3_600_000));
    this.#lastError = short(e);
    const funds = /insufficient funds|exceeds the balance|InsufficientFunds/i.test(this.#lastError);
    const gaveUp = await this.#o.store.keeperFailed(keys, Date.now() + delay, this.#o.maxAttempts);
    if (gaveUp.length < keys.length) this.#retryIn = Math.min(this.#retryIn ?? Infinity, delay + 50);
    this.#o.log.warn(funds ? 'keeper cannot pay for the refund transaction: its balance is too low' : 'keeper refund failed, will retry', {
      error: this.#lastError,
      batch: keys.length,
      attempt,
      retryInMs: delay,
    });
    if (gaveUp.length) {
      this.#gaveUp.push(...gaveUp);
      this.#o.log.error('keeper gave up on messages after repeated failures (refund them by hand, or restart with a fresh list)', { ids: gaveUp.slice(0, 20), count: gaveUp.length });
    }
  }
}

function revertName(e: unknown): string | undefined {
  if (e instanceof BaseError) {
    const r = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    return r?.data?.errorName;
  }
  return undefined;
}

function short(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string; url?: string; cause?: { url?: string } };
  const text = String(err?.shortMessage ?? err?.message ?? e);
  // viem's short message of an RPC failure names no address: add it, and what to check.
  const url = err?.url ?? err?.cause?.url;
  return (url ? `${text} (${url}: check the chain's RPC, --rpc-url)` : text).slice(0, 300);
}
