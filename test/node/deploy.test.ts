import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicClient, http } from 'viem';
import { startAnvil } from '../../scripts/lib/anvil.js';
import { deploy } from '../../scripts/deploy.js';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';

// anvil's dev account 0 key: public knowledge, local chain only.
const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

test('npm run deploy -- --network local deploys a working contract to anvil', async () => {
  const anvil = await startAnvil();
  try {
    const r = await deploy(['--network', 'local', '--rpc-url', anvil.rpcUrl, '--fee-recipient', 'one17w0adeg64ky0daxwd2ugyuneellmjgnxvu4nql'], {
      DEPLOYER_PRIVATE_KEY: DEV_KEY,
    });
    assert.ok(r);
    const pub = createPublicClient({ transport: http(anvil.rpcUrl) });
    assert.equal(await pub.readContract({ address: r.address, abi: paidChatAbi, functionName: 'feeBps' }), 100n);
    assert.equal(await pub.readContract({ address: r.address, abi: paidChatAbi, functionName: 'PROTOCOL_VERSION' }), 2n);
    assert.equal(await pub.readContract({ address: r.address, abi: paidChatAbi, functionName: 'feeRecipient' }), '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    // A zero fee recipient is refused by the constructor itself.
    await assert.rejects(deploy(['--network', 'local', '--rpc-url', anvil.rpcUrl, '--fee-recipient', 'one1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqquzw7vz'], { DEPLOYER_PRIVATE_KEY: DEV_KEY }));
  } finally {
    await anvil.stop();
  }
});

test('deploy refuses without a key, with a malformed key, or on the wrong chain', async () => {
  await assert.rejects(deploy(['--network', 'local'], {}), /DEPLOYER_PRIVATE_KEY/);
  await assert.rejects(deploy(['--network', 'local'], { DEPLOYER_PRIVATE_KEY: '0x1234' }), /DEPLOYER_PRIVATE_KEY/);
  const anvil = await startAnvil();
  try {
    await assert.rejects(deploy(['--network', 'harmony-testnet', '--rpc-url', anvil.rpcUrl], { DEPLOYER_PRIVATE_KEY: DEV_KEY }), /not Harmony Testnet/);
  } finally {
    await anvil.stop();
  }
});
