/** Deploys the PaidChat contract with a viem wallet client, the way Harmony needs it. */
import {
  createPublicClient,
  createWalletClient,
  http,
  type Account,
  type Address,
  type Chain,
  type Hex,
} from 'viem';
import { paidChatAbi, paidChatBytecode } from '../../src/sdk/generated/paid-chat.js';

export const HARMONY_MIN_GAS_PRICE = 100_000_000_000n; // 100 gwei

export async function deployPaidChat(opts: {
  rpcUrl: string;
  chain: Chain;
  account: Account;
  feeRecipient?: Address;
}): Promise<{ address: Address; txHash: Hex; blockNumber: bigint; gasUsed: bigint }> {
  const transport = http(opts.rpcUrl);
  const wallet = createWalletClient({ account: opts.account, chain: opts.chain, transport });
  const pub = createPublicClient({ chain: opts.chain, transport });
  const gasPrice = await pub.getGasPrice();
  const txHash = await wallet.deployContract({
    abi: paidChatAbi,
    bytecode: paidChatBytecode,
    args: [opts.feeRecipient ?? opts.account.address],
    type: 'legacy',
    gasPrice: gasPrice > HARMONY_MIN_GAS_PRICE ? gasPrice : HARMONY_MIN_GAS_PRICE,
  });
  const receipt = await pub.waitForTransactionReceipt({ hash: txHash, pollingInterval: 50 });
  if (receipt.status !== 'success' || !receipt.contractAddress) {
    throw new Error(`deployment failed in tx ${txHash}`);
  }
  return { address: receipt.contractAddress, txHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}
