/**
 * The card's light read path (src/sdk/card.ts): its hand-written call encoding and tuple decoding
 * agree with viem and the generated ABI, and readCard reads real cards from anvil with clear errors.
 */
import { expect } from '@open-wc/testing';
import { decodeFunctionResult, encodeFunctionData, getAbiItem, toFunctionSelector } from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import {
  PROFILE_OF_HANDLE_SELECTOR,
  decodeProfileOfHandle,
  encodeProfileOfHandle,
  profileOfHandleAbiItem,
  readCard,
} from '../../src/sdk/card.js';
import { handleToBytes32 } from '../../src/sdk/handles.js';
import { toOneAddress } from '../../src/sdk/address.js';
import { PaidChatError } from '../../src/sdk/errors.js';
import { chainInfo, claim, rpc, wallet } from './support/harness.js';

async function rejects(p: Promise<unknown>): Promise<PaidChatError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(PaidChatError);
    return e as PaidChatError;
  }
  throw new Error('expected a rejection');
}

describe('card read path', () => {
  before(async () => {
    await claim(await wallet(20), 'card-owner', '12.5', 3 * 3_600);
  });

  it('is the generated ABI item, with its selector', () => {
    const generated = getAbiItem({ abi: paidChatAbi, name: 'profileOfHandle' });
    expect(profileOfHandleAbiItem).to.deep.equal(generated);
    expect(PROFILE_OF_HANDLE_SELECTOR).to.equal(toFunctionSelector(generated as any));
  });

  it('encodes and decodes exactly as viem does, on real answers', async () => {
    const c = await chainInfo();
    for (const handle of ['card-owner', 'nobody-owns-this']) {
      const data = encodeProfileOfHandle(handle);
      expect(data).to.equal(encodeFunctionData({ abi: paidChatAbi, functionName: 'profileOfHandle', args: [handleToBytes32(handle)] }));
      const answer = await rpc<`0x${string}`>('eth_call', [{ to: c.contract, data }, 'latest']);
      const ours = decodeProfileOfHandle(answer);
      const viems = decodeFunctionResult({ abi: paidChatAbi, functionName: 'profileOfHandle', data: answer }) as any;
      expect({ ...ours, account: ours.account.toLowerCase() }).to.deep.equal({ ...viems, account: viems.account.toLowerCase() });
    }
  });

  it('refuses answers that are not a profile', () => {
    for (const bad of ['0x', '0x1234', 'nope', `0x${'f'.repeat(512)}`]) {
      expect(() => decodeProfileOfHandle(bad)).to.throw(PaidChatError);
    }
  });

  it('reads an owned card and a free one', async () => {
    const c = await chainInfo();
    const owned = await readCard({ chain: 'local', rpcUrl: c.rpcUrl, contract: c.contract, handle: ' @Card-Owner ' });
    expect(owned).to.include({ handle: 'card-owner', free: false, window: 3 * 3_600, hasKey: true, chainId: 31337 });
    expect(owned.price).to.equal(12_500_000_000_000_000_000n);
    expect(owned.owner.toLowerCase()).to.equal((await wallet(20)).address.toLowerCase());
    const free = await readCard({ chain: 'local', rpcUrl: c.rpcUrl, contract: toOneAddress(c.contract), handle: 'nobody-owns-this' });
    expect(free).to.include({ handle: 'nobody-owns-this', free: true, price: 0n, hasKey: false });
  });

  it('says clearly what is wrong', async () => {
    const c = await chainInfo();
    expect((await rejects(readCard({ chain: 'local', rpcUrl: c.rpcUrl, contract: c.contract, handle: 'Bad Handle!' }))).code).to.equal('HANDLE_INVALID');
    const noCode = await rejects(readCard({ chain: 'local', rpcUrl: c.rpcUrl, contract: '0x000000000000000000000000000000000000dEaD', handle: 'satoshi' }));
    expect(noCode.code).to.equal('CONTRACT_NOT_FOUND');
    expect(noCode.message).to.contain('There is no PaidChat contract at 0x000000000000000000000000000000000000dEaD');
    const mainnet = await rejects(readCard({ handle: 'satoshi' }));
    expect(mainnet.code).to.equal('CONTRACT_NOT_FOUND'); // no default deployment on mainnet yet
    expect((await rejects(readCard({ chain: 'moon' as any, handle: 'satoshi' }))).code).to.equal('UNSUPPORTED_CHAIN');
    const retries: number[] = [];
    const down = await rejects(
      readCard({ chain: 'local', rpcUrl: c.closedRpcUrl, contract: c.contract, handle: 'satoshi', retry: { attempts: 3, baseDelayMs: 10, onRetry: (i) => retries.push(i.delayMs) } }),
    );
    expect(down.code).to.equal('RPC_UNAVAILABLE');
    expect(retries).to.deep.equal([10, 20]);
  });
});
