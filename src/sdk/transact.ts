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

/**
 * Estimates, sends and waits for one call of the contract.
 *
 * @throws PaidChatError with the contract's error code (from the estimate), `USER_REJECTED`,
 *   `INSUFFICIENT_FUNDS`, `RPC_UNAVAILABLE`, or `TRANSACTION_FAILED` (reverted on chain).
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
    throw toPaidChatError(e);
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
    throw toPaidChatError(e);
  }
  const receipt = await withRetry(() => waitForTransactionReceipt(ctx.reader, { hash: txHash }), ctx.retry);
  if (receipt.status !== 'success') {
    throw new PaidChatError('TRANSACTION_FAILED', `The transaction ${txHash} was reverted on chain.`, { txHash });
  }
  return { txHash, blockNumber: receipt.blockNumber, explorerUrl: explorerTxUrl(ctx.chain, txHash), logs: receipt.logs };
}
