/**
 * Any wallet, through the same element and SDK (no path for tests only): an EOA that signs like
 * MetaMask, an EOA whose signatures are randomised, and a Safe 1.4.1 contract wallet (deployed on
 * the Istanbul anvil, driven through an EIP-1193 session as WalletConnect or a Safe app gives a
 * site: the account is the Safe, each transaction is a SafeTx signed by its owner and executed on
 * chain). Each claims a handle with a passphrase, reads and replies; and writes, reads the reply and
 * follows up. The element asks no wallet for a signature; keys never depend on one.
 */
import { expect } from '@open-wc/testing';
import { parseEther, recoverMessageAddress, toHex } from 'viem';
import { handleToBytes32 } from '../../src/sdk/handles.js';
import {
  $,
  $$,
  PASSPHRASE,
  balanceOf,
  click,
  connect,
  mount,
  nextEvent,
  part,
  prompts,
  readContract,
  rpc,
  safeWallet,
  text,
  type,
  waitFor,
  waitForPart,
  wallet,
  type TestWallet,
} from './support/harness.js';

/** The whole conversation through two elements; returns what it measured. */
async function converse(creator: TestWallet, visitor: TestWallet, handle: string): Promise<{ ms: number }> {
  const t0 = performance.now();
  // ---- the creator claims through the element
  const creatorEl = await mount({ handle: `@${handle}`, provider: creator });
  type($<HTMLInputElement>(creatorEl, '#claim-price')!, '2');
  type($<HTMLInputElement>(creatorEl, '#claim-pass')!, PASSPHRASE);
  type($<HTMLInputElement>(creatorEl, '#claim-pass-confirm')!, PASSPHRASE);
  await click(creatorEl, 'claim-button');
  await waitForPart(creatorEl, 'backup-link', 60_000);
  expect((await readContract('ownerOf', [handleToBytes32(handle)])).toLowerCase()).to.equal(creator.address.toLowerCase());

  // ---- the visitor writes through the element
  const visitorEl = await mount({ handle: `@${handle}`, provider: visitor });
  await connect(visitorEl, 'composer');
  const visitorBefore = await balanceOf(visitor.address);
  type($<HTMLTextAreaElement>(visitorEl, '#draft')!, `hello from ${visitor.name}`);
  const sent = nextEvent<CustomEvent>(visitorEl, 'harmony-message-sent');
  await click(visitorEl, 'send-button');
  const { id, amount } = (await sent).detail;
  expect(amount).to.equal(parseEther('2'));
  const onChain = await readContract('getMessage', [id]);
  expect(onChain.sender.toLowerCase()).to.equal(visitor.address.toLowerCase());
  if (visitor.safe) expect(visitorBefore - (await balanceOf(visitor.address))).to.equal(parseEther('2')); // the Safe paid, the owner paid gas

  // ---- the creator reads it (opened, verified) and replies
  const item = await waitFor(() => $(creatorEl, `#message-${id}`), { message: 'the message in the inbox', timeout: 20_000 });
  expect(text(item.querySelector('[part~="message-text"]'))).to.equal(`hello from ${visitor.name}`);
  expect(item.querySelector('[part~="verified"]')).to.exist;
  const creatorBefore = await balanceOf(creator.address);
  type(item.querySelector<HTMLTextAreaElement>('[part~="reply-input"]')!, `reply from ${creator.name}`);
  await creatorEl.updateComplete;
  const replied = nextEvent<CustomEvent>(creatorEl, 'harmony-reply-sent');
  item.querySelector<HTMLButtonElement>('[part~="reply-button"]')!.click();
  const { payout } = (await replied).detail;
  expect(payout).to.equal(parseEther('1.98'));
  if (creator.safe) expect((await balanceOf(creator.address)) - creatorBefore).to.equal(payout); // pushed to the Safe

  // ---- the visitor reads the reply and follows up (follow-up price 0: gas only)
  await waitFor(() => text(part(visitorEl, 'reply')).includes(`reply from ${creator.name}`), { message: 'the reply at the visitor', timeout: 20_000 });
  type(await waitFor(() => part(visitorEl, 'follow-up-form') && $<HTMLTextAreaElement>(visitorEl, '#draft'), { message: 'the composer in follow-up mode' }), 'and a follow-up');
  await visitorEl.updateComplete;
  const followed = nextEvent(visitorEl, 'harmony-follow-up-sent');
  await click(visitorEl, 'follow-up-button');
  await followed;
  await waitFor(() => $$(visitorEl, '[part~="follow-up"] [part~="message-text"]').some((n) => text(n) === 'and a follow-up'), { message: 'the follow-up' });

  // No wallet was asked for a signature; keys came from the browser.
  expect(prompts(creator.calls)).to.deep.equal(['eth_sendTransaction', 'eth_sendTransaction']); // claim, reply
  expect(prompts(visitor.calls)).to.deep.equal(['eth_sendTransaction', 'eth_sendTransaction']); // send, follow-up
  creatorEl.remove();
  visitorEl.remove();
  return { ms: Math.round(performance.now() - t0) };
}

describe('any wallet through the element', () => {
  it('the randomised-signature wallet really signs differently each time (and validly)', async () => {
    const w = await wallet(33, { randomSignatures: true });
    const plain = await wallet(33);
    await w.request({ method: 'eth_requestAccounts' });
    const msg = toHex('the same text');
    const [a, b] = [await w.request({ method: 'personal_sign', params: [msg, w.address] }), await w.request({ method: 'personal_sign', params: [msg, w.address] })];
    expect(a).not.to.equal(b);
    for (const sig of [a, b]) expect(await recoverMessageAddress({ message: { raw: msg }, signature: sig })).to.equal(w.address);
    const [c, d] = [await plain.request({ method: 'personal_sign', params: [msg, plain.address] }), await plain.request({ method: 'personal_sign', params: [msg, plain.address] })];
    expect(c).to.equal(d); // the default EOA is deterministic, like MetaMask
  });

  it('the Safe session: the account is the contract wallet, and it cannot sign messages', async () => {
    const safe = await safeWallet(0);
    expect(await safe.request({ method: 'eth_requestAccounts' })).to.deep.equal([safe.address]);
    expect((await rpc<string>('eth_getCode', [safe.address, 'latest'])).length).to.be.greaterThan(2); // a contract
    let code = 0;
    await safe.request({ method: 'personal_sign', params: [toHex('x'), safe.address] }).catch((e: { code: number }) => (code = e.code));
    expect(code).to.equal(4200);
  });

  it('a Safe claims, reads and replies; a randomised-signature wallet writes, reads and follows up', async function () {
    this.timeout(120_000);
    const { ms } = await converse(await safeWallet(0), await wallet(33, { randomSignatures: true }), 'safe-creator');
    console.log(`[measure] Safe creator × randomised visitor: ${ms} ms`);
  });

  it('a randomised-signature wallet claims, reads and replies; a Safe writes (paying from the Safe), reads and follows up', async function () {
    this.timeout(120_000);
    const { ms } = await converse(await wallet(34, { randomSignatures: true }), await safeWallet(1), 'random-creator');
    console.log(`[measure] randomised creator × Safe visitor: ${ms} ms`);
  });

  it('EOA to EOA, the same path', async function () {
    this.timeout(120_000);
    const { ms } = await converse(await wallet(35), await wallet(36), 'eoa-creator');
    console.log(`[measure] EOA creator × EOA visitor: ${ms} ms`);
  });
});
