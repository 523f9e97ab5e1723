/** Asserts that a contract call or transaction reverted with the named custom error (and args). */
import assert from 'node:assert/strict';
import { BaseError, ContractFunctionRevertedError } from 'viem';

export async function expectRevert(p: Promise<unknown>, name: string, args?: readonly unknown[]): Promise<ContractFunctionRevertedError> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  if (error === undefined) assert.fail(`expected revert ${name}, but it succeeded`);
  if (!(error instanceof BaseError)) throw error;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) assert.fail(`expected revert ${name}, got: ${error.shortMessage}`);
  assert.equal(reverted.data?.errorName, name, `expected ${name}, got ${reverted.data?.errorName ?? reverted.shortMessage}`);
  if (args) assert.deepStrictEqual(reverted.data?.args ?? [], args, `${name} args`);
  return reverted;
}
