/**
 * One way to send a PaidChat transaction, shaped by Harmony: the contract's own error surfaces
 * from a gas estimate before any wallet prompt; legacy transactions; a gas price of at least
 * 100 gwei; a +25 % margin on the estimate (Harmony has under-estimated in the past); the receipt
 * awaited through the read RPC with retries.
 */
import type { Address, Chain, Client, Hex, Log, Transport } from 'viem';
import { estimateContractGas, getGasPrice, waitForTransactionReceipt, writeContract } from 'viem/actions';
import { explorerTxUrl } from './chains.js';
import { PaidChatError } from './errors.js';
import { paidChatAbi } from './generated/paid-chat.js';
import { toPaidChatError } from './revert.js';
import { withRetry, type RetryPolicy } from './rpc.js';
import type { TxResult } from './types.js';

/** Harmony refuses gas prices below 100 gwei. */
export const MIN_GAS_PRICE = 100_000_000_000n;
/** eth_estimateGas has under-estimated on Harmony: add this margin (percent). */
export const GAS_MARGIN_PERCENT = 25n;

export interface TxContext {
  chain: Chain;
  contract: Address;
  reader: Client<Transport, Chain>;
  retry: RetryPolicy;
  wallet: Client;
  account: Address;
}

/** Codes a wallet answers with before it broadcasts anything. */
const REFUSED_BY_WALLET = new Set(['USER_REJECTED', 'INSUFFICIENT_FUNDS', 'WRONG_CHAIN', 'NO_WALLET']);

/**
 * Marks `e` as raised before anything was broadcast (`details.sent === false`): nothing of it can
 * reach the chain, so what was made for it (a new inbox key) may be dropped.
 */
export function beforeBroadcast(e: unknown): PaidChatError {
  const error = toPaidChatError(e);
  if (error.details.sent === undefined) error.details.sent = false;
  return error;
}

/**
 * Whether the transaction behind `e` certainly did not take effect: refused before broadcast, or
 * reverted on chain. Any other failure (a receipt that could not be read, a wallet that timed out, a
 * Safe whose transaction runs later) may still take effect.
 */
export function certainlyNotApplied(e: PaidChatError): boolean {
  return e.details.sent === false || e.details.reverted === true;
}

/**
 * Estimates, sends and waits for one call of the contract. Each error says in `details.sent` whether
 * the transaction was broadcast: `false` before (estimate, wallet refusal), `true` after (with
 * `txHash`), absent when a wallet failed without saying.
 *
 * @throws PaidChatError with the contract's error code (from the estimate), `USER_REJECTED`,
 *   `INSUFFICIENT_FUNDS`, `RPC_UNAVAILABLE`, `TRANSACTION_FAILED` (reverted on chain, or a wallet
 *   failure), or `TRANSACTION_UNCONFIRMED` (sent, but its outcome could not be read).
 */
export async function sendContractTx(
  ctx: TxContext,
  functionName: string,
  args: readonly unknown[],
  value = 0n,
): Promise<TxResult & { logs: Log[] }> {
  const request = { address: ctx.contract, abi: paidChatAbi, functionName: functionName as any, args: args as any, value, account: ctx.account } as const;
  let gas: bigint;
  let gasPrice: bigint;
  try {
    [gas, gasPrice] = await Promise.all([
      withRetry(() => estimateContractGas(ctx.reader, request as any), ctx.retry),
      withRetry(() => getGasPrice(ctx.reader), ctx.retry),
    ]);
  } catch (e) {
    throw beforeBroadcast(e);
  }
  if (gasPrice < MIN_GAS_PRICE) gasPrice = MIN_GAS_PRICE;
  gas = (gas * (100n + GAS_MARGIN_PERCENT)) / 100n;
  let txHash: Hex;
  try {
    txHash = await writeContract(ctx.wallet as any, {
      ...request,
      account: (ctx.wallet.account ?? ctx.account) as any,
      chain: ctx.chain,
      gas,
      gasPrice,
      type: 'legacy',
    } as any);
  } catch (e) {
    const error = toPaidChatError(e);
    // The wallet refused before broadcasting; anything else (a timeout, a lost session) is unknown.
    throw REFUSED_BY_WALLET.has(error.code) || error.details.revert ? beforeBroadcast(error) : error;
  }
  let receipt;
  try {
    receipt = await withRetry(() => waitForTransactionReceipt(ctx.reader, { hash: txHash }), ctx.retry);
  } catch (e) {
    if (e instanceof PaidChatError) {
      Object.assign(e.details, { txHash, sent: true });
      throw e;
    }
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new PaidChatError(
      'TRANSACTION_UNCONFIRMED',
      `The transaction ${txHash} was sent, but its outcome could not be read (${msg}). It may still go through: check it in the explorer before trying again.`,
      { txHash, sent: true },
      { cause: e },
    );
  }
  if (receipt.status !== 'success') {
    throw new PaidChatError('TRANSACTION_FAILED', `The transaction ${txHash} was reverted on chain.`, { txHash, sent: true, reverted: true });
  }
  return { txHash, blockNumber: receipt.blockNumber, explorerUrl: explorerTxUrl(ctx.chain, txHash), logs: receipt.logs };
}
