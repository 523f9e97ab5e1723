/**
 * Test support: real Safe 1.4.1 contract wallets (`@safe-global/safe-contracts`, compiled for
 * pre-London EVMs) on the local Istanbul anvil. Deploys the singleton, the proxy factory and the
 * compatibility fallback handler once per chain, creates 1-owner Safes owned by a dev account, and
 * executes transactions through them with the owner's EIP-712 signature — exactly what a Safe
 * wallet UI (or an EIP-1193 Safe provider) does on a real chain.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  encodeFunctionData,
  getAddress,
  parseEventLogs,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { GAS_PRICE, type TestChain } from './chain.js';
import { encodeExecTransaction, safeTxTypedData, type SafeCall } from './safe-tx.js';

export type { SafeCall } from './safe-tx.js';

const require = createRequire(import.meta.url);

interface Artifact {
  abi: Abi;
  bytecode: Hex;
}
function artifact(path: string): Artifact {
  const file = require.resolve(`@safe-global/safe-contracts/build/artifacts/contracts/${path}`);
  const { abi, bytecode } = JSON.parse(readFileSync(file, 'utf8'));
  return { abi, bytecode };
}

export const safeArtifact = artifact('Safe.sol/Safe.json');
export const safeProxyFactoryArtifact = artifact('proxies/SafeProxyFactory.sol/SafeProxyFactory.json');
export const compatibilityFallbackHandlerArtifact = artifact('handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json');
export const safeAbi = safeArtifact.abi;

export interface SafeInfra {
  singleton: Address;
  factory: Address;
  fallbackHandler: Address;
}

export interface SafeWallet {
  address: Address;
  /** Dev account index of its single owner. */
  ownerIndex: number;
  /** Receipt of the proxy creation. */
  creation: TransactionReceipt;
}

const infraByChain = new WeakMap<TestChain, SafeInfra>();

async function deploy(tc: TestChain, from: number, a: Artifact): Promise<Address> {
  const hash = await tc.wallet(from).deployContract({ abi: a.abi, bytecode: a.bytecode, type: 'legacy', gasPrice: GAS_PRICE } as never);
  const receipt = await tc.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error('Safe contract deployment failed');
  return getAddress(receipt.contractAddress);
}

/** Deploys (once per chain, again after a revert to an earlier snapshot) the Safe singleton, proxy factory and fallback handler, from dev account `from`. */
export async function deploySafeInfra(tc: TestChain, from = 0): Promise<SafeInfra> {
  const known = infraByChain.get(tc);
  // A test may have reverted the chain to a snapshot taken before the deployment.
  if (known && ((await tc.publicClient.getCode({ address: known.factory })) ?? '0x') !== '0x') return known;
  const singleton = await deploy(tc, from, safeArtifact);
  const factory = await deploy(tc, from, safeProxyFactoryArtifact);
  const fallbackHandler = await deploy(tc, from, compatibilityFallbackHandlerArtifact);
  const infra = { singleton, factory, fallbackHandler };
  infraByChain.set(tc, infra);
  return infra;
}

let saltNonce = 0n;

/** Creates a 1-owner (threshold 1) Safe owned by dev account `ownerIndex`, optionally funded with `fund` wei. */
export async function createSafe(tc: TestChain, ownerIndex: number, opts: { fund?: bigint } = {}): Promise<SafeWallet> {
  const infra = await deploySafeInfra(tc);
  const initializer = encodeFunctionData({
    abi: safeAbi,
    functionName: 'setup',
    args: [[tc.accounts[ownerIndex].address], 1n, zeroAddress, '0x', infra.fallbackHandler, zeroAddress, 0n, zeroAddress],
  });
  const creation = await tc.wallet(ownerIndex).writeContractSync({
    address: infra.factory,
    abi: safeProxyFactoryArtifact.abi,
    functionName: 'createProxyWithNonce',
    args: [infra.singleton, initializer, ++saltNonce],
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never);
  if (creation.status !== 'success') throw new Error('Safe creation reverted');
  const [created] = parseEventLogs({ abi: safeProxyFactoryArtifact.abi, logs: creation.logs, eventName: 'ProxyCreation' as never }) as unknown as {
    args: { proxy: Address };
  }[];
  const address = getAddress(created.args.proxy);
  if (opts.fund) {
    const r = await tc.wallet(ownerIndex).sendTransactionSync({ to: address, value: opts.fund, type: 'legacy', gasPrice: GAS_PRICE } as never);
    if ((r as TransactionReceipt).status !== 'success') throw new Error('funding the Safe failed');
  }
  return { address, ownerIndex, creation };
}

/** The owner's EIP-712 signature over a SafeTx for the Safe's current nonce (operation CALL, no refund). */
export async function signSafeTransaction(tc: TestChain, safe: SafeWallet, call: SafeCall, nonce?: bigint): Promise<Hex> {
  const n =
    nonce ?? ((await tc.publicClient.readContract({ address: safe.address, abi: safeAbi, functionName: 'nonce' } as never)) as bigint);
  return tc.accounts[safe.ownerIndex].signTypedData(safeTxTypedData(tc.chain.id, safe.address, call, n));
}

/** `execTransaction` calldata for `call`, signed by the Safe's owner. */
export async function execTransactionData(tc: TestChain, safe: SafeWallet, call: SafeCall): Promise<Hex> {
  return encodeExecTransaction(call, await signSafeTransaction(tc, safe, call));
}

/**
 * Executes `call` from `safe`: the owner (dev account `ownerIndex`) signs the SafeTx and also relays
 * `execTransaction` (legacy, 100 gwei; gas estimated unless given). Returns the receipt; throws if
 * the Safe transaction reverted (with safeTxGas 0 a failing inner call reverts `execTransaction`).
 */
export async function execSafeTransaction(
  tc: TestChain,
  safe: SafeWallet,
  ownerIndex: number,
  call: SafeCall,
  opts: { gas?: bigint } = {},
): Promise<TransactionReceipt> {
  if (ownerIndex !== safe.ownerIndex) throw new Error(`account ${ownerIndex} does not own this Safe`);
  const data = await execTransactionData(tc, safe, call);
  const receipt = (await tc.wallet(ownerIndex).sendTransactionSync({
    to: safe.address,
    data,
    gas: opts.gas,
    type: 'legacy',
    gasPrice: GAS_PRICE,
    throwOnReceiptRevert: false,
  } as never)) as TransactionReceipt;
  if (receipt.status !== 'success') throw new Error(`Safe execTransaction reverted (${receipt.transactionHash})`);
  const failed = parseEventLogs({ abi: safeAbi, logs: receipt.logs, eventName: 'ExecutionFailure' as never });
  if (failed.length) throw new Error(`Safe inner call failed (${receipt.transactionHash})`);
  return receipt;
}
