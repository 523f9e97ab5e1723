/**
 * Test support: a real anvil node (Istanbul rules) with the real compiled PaidChat deployed,
 * viem clients for the dev accounts, and time travel. No mocks.
 */
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  parseEther,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TestClient,
  type WalletClient,
  type Account,
  type Transport,
} from 'viem';
import { mnemonicToAccount, type HDAccount } from 'viem/accounts';
import { startAnvil, ANVIL_MNEMONIC, type Anvil, type AnvilOptions } from './anvil.js';
import { deployPaidChat, HARMONY_MIN_GAS_PRICE } from './deploy.js';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';

export interface TestChain {
  anvil: Anvil;
  chain: Chain;
  rpcUrl: string;
  contract: Address;
  deployBlock: bigint;
  publicClient: PublicClient<Transport, Chain>;
  testClient: TestClient<'anvil', Transport, Chain>;
  /** Dev accounts 0..9 (0 deployed the contract and is the owner and fee recipient). */
  accounts: HDAccount[];
  wallet(i: number): WalletClient<Transport, Chain, Account>;
  /** Move the chain's clock forward by `seconds` and mine a block. */
  increaseTime(seconds: number | bigint): Promise<void>;
  /** Set the next block's timestamp exactly and mine it. */
  mineAt(timestamp: bigint): Promise<void>;
  latestTimestamp(): Promise<bigint>;
  snapshot(): Promise<Hex>;
  revert(id: Hex): Promise<void>;
  stop(): Promise<void>;
}

export const GAS_PRICE = HARMONY_MIN_GAS_PRICE;

export function localChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: 'Local (anvil)',
    nativeCurrency: { name: 'ONE', symbol: 'ONE', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export async function startTestChain(options: AnvilOptions = {}): Promise<TestChain> {
  const anvil = await startAnvil(options);
  try {
    const chain = localChain(anvil.chainId, anvil.rpcUrl);
    const transport = http(anvil.rpcUrl, { batch: false });
    const accounts = Array.from({ length: options.accounts ?? 10 }, (_, i) =>
      mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }),
    );
    const { address, blockNumber } = await deployPaidChat({ rpcUrl: anvil.rpcUrl, chain, account: accounts[0] });
    const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
    const testClient = createTestClient({ chain, mode: 'anvil', transport });
    const wallets = new Map<number, WalletClient<Transport, Chain, Account>>();
    const tc: TestChain = {
      anvil,
      chain,
      rpcUrl: anvil.rpcUrl,
      contract: address,
      deployBlock: blockNumber,
      publicClient,
      testClient,
      accounts,
      wallet(i) {
        let w = wallets.get(i);
        if (!w) {
          w = createWalletClient({ account: accounts[i], chain, transport });
          wallets.set(i, w);
        }
        return w;
      },
      async increaseTime(seconds) {
        await testClient.increaseTime({ seconds: Number(seconds) });
        await testClient.mine({ blocks: 1 });
      },
      async mineAt(timestamp) {
        await testClient.setNextBlockTimestamp({ timestamp });
        await testClient.mine({ blocks: 1 });
      },
      async latestTimestamp() {
        return (await publicClient.getBlock()).timestamp;
      },
      snapshot: () => testClient.snapshot(),
      revert: (id) => testClient.revert({ id }),
      stop: () => anvil.stop(),
    };
    return tc;
  } catch (e) {
    await anvil.stop();
    throw e;
  }
}

export const ONE = (n: string | number) => parseEther(String(n));

/** Sends a PaidChat transaction from dev account `from` (legacy, 100 gwei) and waits for it; throws if it reverted. */
export async function writePaidChat(tc: TestChain, from: number, functionName: string, args: readonly unknown[], value = 0n) {
  const hash = await tc.wallet(from).writeContract({
    address: tc.contract,
    abi: paidChatAbi,
    functionName: functionName as any,
    args: args as any,
    value,
    type: 'legacy',
    gasPrice: GAS_PRICE,
  } as any);
  const receipt = await tc.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (receipt.status !== 'success') throw new Error(`${functionName} reverted (${hash})`);
  return receipt;
}
