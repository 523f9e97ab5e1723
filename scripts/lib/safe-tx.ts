/**
 * The parts of a Safe 1.4.1 transaction that need no Node: the SafeTx typed data its owner signs
 * (EIP-712), and the `execTransaction` call that carries the signature. Shared by the Node helpers
 * (`safe.ts`) and the browser's Safe session (`test-wallet.ts`, option `safe`).
 */
import { encodeFunctionData, parseAbi, zeroAddress, type Address, type Hex } from 'viem';

/** What a Safe executes: one CALL (operation 0). */
export interface SafeCall {
  to: Address;
  data?: Hex;
  value?: bigint;
}

/** The Safe functions a wallet session uses. */
export const safeSessionAbi = parseAbi([
  'function nonce() view returns (uint256)',
  'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool success)',
]);

/** The EIP-712 SafeTx for `call` at `nonce` (no refund: safeTxGas, baseGas and gasPrice 0). */
export function safeTxTypedData(chainId: number, safe: Address, call: SafeCall, nonce: bigint) {
  return {
    domain: { chainId, verifyingContract: safe },
    types: {
      SafeTx: [
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'data', type: 'bytes' },
        { name: 'operation', type: 'uint8' },
        { name: 'safeTxGas', type: 'uint256' },
        { name: 'baseGas', type: 'uint256' },
        { name: 'gasPrice', type: 'uint256' },
        { name: 'gasToken', type: 'address' },
        { name: 'refundReceiver', type: 'address' },
        { name: 'nonce', type: 'uint256' },
      ],
    },
    primaryType: 'SafeTx',
    message: {
      to: call.to,
      value: call.value ?? 0n,
      data: call.data ?? '0x',
      operation: 0,
      safeTxGas: 0n,
      baseGas: 0n,
      gasPrice: 0n,
      gasToken: zeroAddress,
      refundReceiver: zeroAddress,
      nonce,
    },
  } as const;
}

/** `execTransaction` calldata for `call` with the owner's `signature`. */
export function encodeExecTransaction(call: SafeCall, signature: Hex): Hex {
  return encodeFunctionData({
    abi: safeSessionAbi,
    functionName: 'execTransaction',
    args: [call.to, call.value ?? 0n, call.data ?? '0x', 0, 0n, 0n, 0n, zeroAddress, zeroAddress, signature],
  });
}
