/**
 * Keys through the element: a visitor backs up their conversation key, comes back in a new browser
 * profile (this origin's key store emptied) where the conversation shows what cannot be read and
 * why, is refused a damaged file and a file of another conversation or account before any
 * passphrase is asked, gets a wrong passphrase refused with nothing changed, restores, reads again,
 * and signs out (forgotten; a warning first when a key is in no backup). A creator rotates the
 * inbox key, loses the browser, restores an old backup (only what it has opens; the notice says
 * why and what to do), then the new one; a key replaced elsewhere is explained. Envelopes of a newer
 * version and tampered ones are labelled one by one and never stop the rest. axe in every state.
 */
import { expect } from '@open-wc/testing';
import { encodeFunctionData, toHex } from 'viem';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { memoryKeyStore } from '../../src/sdk/keystore.js';
import { createPaidChat } from '../../src/sdk/client.js';
import type { HarmonyPaidChat } from '../../src/element/harmony-paid-chat.component.js';
import {
  $,
  $$,
  PASSPHRASE,
  chainInfo,
  claim,
  clearAllKeys,
  click,
  connect,
  mount,
  nextEvent,
  part,
  prompts,
  sdk,
  text,
  type,
  waitFor,
  waitForPart,
  waitForStatus,
  wallet,
} from './support/harness.js';

/** Chooses a file in the key panel's file input, as a user does. */
async function chooseFile(el: HarmonyPaidChat, content: string, name = 'backup.json'): Promise<void> {
  const input = await waitForPart<HTMLInputElement>(el, 'restore-file');
  const dt = new DataTransfer();
  dt.items.add(new File([content], name, { type: 'application/json' }));
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

/** The backup file behind the panel's download link. */
async function downloadBackup(el: HarmonyPaidChat): Promise<string> {
  const link = await waitForPart<HTMLAnchorElement>(el, 'backup-link', 30_000);
  return (await fetch(link.href)).text();
}

async function openPanel(el: HarmonyPaidChat): Promise<void> {
  if (!part(el, 'keys')) await click(el, 'keys-button');
  await waitForPart(el, 'keys');
}

/** The origin notice inside the form or block `scope` (a part name): keys are kept per origin, so the origin is shown plainly. */
const originNotice = (el: HarmonyPaidChat, scope: string) => text($(el, `[part~="${scope}"] [part~="origin-notice"], .keys-block:has([part~="${scope}"]) [part~="origin-notice"]`));

const labels = (el: HarmonyPaidChat) => $$(el, '[part~="read-state"]').map((n) => `${n.getAttribute('data-read-state')}: ${text(n)}`);

describe('keys, backups and recovery through the element', () => {
  it('visitor: backup → new profile (labels) → refused files → wrong passphrase → restore → readable → sign out forgets', async function () {
    this.timeout(180_000);
    const creator = await wallet(24);
    const visitor = await wallet(25);
    const stranger = await wallet(26);
    const creatorChat = await claim(creator, 'keys-creator', '1');
    await claim(await wallet(29), 'keys-other', '0');

    // The visitor writes through the element; the creator replies.
    const el = await mount({ handle: '@keys-creator', provider: visitor });
    await connect(el, 'composer');
    type($<HTMLTextAreaElement>(el, '#draft')!, 'Sealed with a key made right here');
    const sent = nextEvent<CustomEvent>(el, 'harmony-message-sent');
    await click(el, 'send-button');
    const { id } = (await sent).detail;
    await creatorChat.reply({ id, text: 'And answered.' });
    await waitFor(() => text(part(el, 'reply')).includes('And answered.'), { message: 'the reply', timeout: 20_000 });

    // Back up from the hint: passphrase first (twice), then the file.
    const changes: string[] = [];
    el.addEventListener('harmony-key-change', (e) => changes.push((e as CustomEvent).detail.change));
    (await waitForPart(el, 'backup-hint')).querySelector('button')!.click();
    await waitFor(() => el.shadowRoot!.activeElement === $(el, '#pass-new'), { message: 'focus on the new passphrase' });
    expect(originNotice(el, 'passphrase-form')).to.equal(
      `You are on ${location.origin}. Continue only if this is the site of @keys-creator: every page of this site can use the keys kept here.`,
    );
    type($<HTMLInputElement>(el, '#pass-new')!, PASSPHRASE);
    type($<HTMLInputElement>(el, '#pass-confirm')!, PASSPHRASE);
    await el.updateComplete;
    const tSeal = performance.now();
    await click(el, 'passphrase-button');
    await waitForStatus(el, /Passphrase set/, 30_000);
    console.log(`[measure] set a backup passphrase (scrypt N=2^17, r=8) and seal 1 key in Chromium: ${Math.round(performance.now() - tSeal)} ms`);
    expect(text(part(el, 'key-status'))).to.contain('1 key in this browser, all in your backup');
    await click(el, 'backup-button');
    const backup = await downloadBackup(el);
    expect(JSON.parse(backup).entries.map((e: any) => e.kind)).to.deep.equal(['conversation']);
    expect(changes).to.deep.equal(['passphrase-set', 'backup-made']);
    expect(part(el, 'backup-hint')).to.equal(null);
    await expect(el).to.be.accessible();

    // Files that are not for this page: one of another conversation, one of another account.
    const other = await sdk(visitor, 'keys-other');
    await other.send({ to: 'keys-other', text: 'to the other creator' });
    const otherFile = await other.exportBackup();
    const strangerChat = await sdk(stranger, 'keys-creator');
    await strangerChat.send({ to: 'keys-creator', text: 'a stranger writes' });
    await strangerChat.setBackupPassphrase('another long passphrase', { cost: { N: 2 ** 10 } });
    const strangerFile = await strangerChat.exportBackup();

    // ---- a new browser profile: no key at all on this origin
    el.remove();
    await clearAllKeys();
    const before = visitor.calls.length;
    const fresh = await mount({ handle: '@keys-creator', provider: visitor });
    await connect(fresh, 'composer');
    await waitFor(() => labels(fresh).length === 2, { message: 'the two labels' });
    expect(labels(fresh)[0]).to.match(/^key-not-held: Sealed with a conversation key this browser does not hold .* restore a backup that has it/);
    expect(labels(fresh)[1]).to.match(/^key-not-held: /); // the reply
    expect(text(part(fresh, 'message-meta'))).to.match(/1 ONE · Answered/); // the rest of the entry still shows
    expect(prompts(visitor.calls.slice(before))).to.deep.equal([]);
    await expect(fresh).to.be.accessible();

    await openPanel(fresh);
    expect(text(part(fresh, 'key-status'))).to.contain('No key in this browser yet.');
    // A damaged file: refused, no passphrase field.
    await chooseFile(fresh, backup.replace(/"sealed":"[^"]{8}/, '"sealed":"AAAAAAAA').slice(0, -30), 'damaged.json');
    await waitFor(() => $(fresh, '#inspect-error'), { message: 'the damaged-file error' });
    expect(text($(fresh, '#inspect-error'))).to.match(/./);
    expect($(fresh, '#restore-pass')).to.equal(null);
    await expect(fresh).to.be.accessible();
    // Another conversation's file, another account's file: refused before a passphrase is asked.
    const refused = nextEvent<CustomEvent>(fresh, 'harmony-error');
    await chooseFile(fresh, otherFile, 'other.json');
    expect((await refused).detail).to.include({ code: 'OUT_OF_SCOPE', action: 'inspect' });
    expect(text($(fresh, '#inspect-error'))).to.contain('this page keeps only your conversation with @keys-creator');
    expect($(fresh, '#restore-pass')).to.equal(null);
    await chooseFile(fresh, strangerFile, 'stranger.json');
    await waitFor(() => /another account/.test(text($(fresh, '#inspect-error'))), { message: 'the other-account error' });
    expect($(fresh, '#restore-pass')).to.equal(null);

    // The right file, a wrong passphrase: refused, nothing restored.
    await chooseFile(fresh, backup);
    await waitFor(() => $(fresh, '#restore-pass'), { message: 'the passphrase field' });
    await waitFor(() => fresh.shadowRoot!.activeElement === $(fresh, '#restore-pass'), { message: 'focus on the passphrase' });
    expect(text(part(fresh, 'restore-summary'))).to.contain('This file holds 1 key for this page');
    expect(originNotice(fresh, 'restore-form')).to.equal(
      `You are on ${location.origin}. Continue only if this is the site of @keys-creator: every page of this site can use the keys kept here.`,
    );
    await expect(fresh).to.be.accessible();
    type($<HTMLInputElement>(fresh, '#restore-pass')!, 'not the passphrase at all');
    await fresh.updateComplete;
    const wrong = nextEvent<CustomEvent>(fresh, 'harmony-error');
    await click(fresh, 'restore-button');
    expect((await wrong).detail).to.include({ code: 'BACKUP_PASSPHRASE_WRONG', action: 'restore' });
    expect(text($(fresh, '#restore-error'))).to.match(/passphrase/i);
    await expect(fresh).to.be.accessible();
    expect(labels(fresh)).to.have.length(2); // nothing changed
    expect(text(part(fresh, 'key-status'))).to.contain('No key in this browser yet.');

    // The right passphrase: restored, and the conversation reads again.
    type($<HTMLInputElement>(fresh, '#restore-pass')!, PASSPHRASE);
    await fresh.updateComplete;
    const restored = nextEvent<CustomEvent>(fresh, 'harmony-key-change');
    const tRestore = performance.now();
    await click(fresh, 'restore-button');
    expect((await restored).detail).to.include({ change: 'restored', role: 'visitor', keys: 1, notBackedUp: 0 });
    console.log(`[measure] restore a 1-key backup (scrypt N=2^17) in Chromium: ${Math.round(performance.now() - tRestore)} ms`);
    await waitFor(() => text(part(fresh, 'message-text')) === 'Sealed with a key made right here', { message: 'the restored conversation' });
    expect(text(part(fresh, 'reply'))).to.equal('@keys-creator replied: And answered.');
    expect(labels(fresh)).to.deep.equal([]);
    expect(prompts(visitor.calls.slice(before))).to.deep.equal([]);

    // Sign out: backed up, so no warning; the keys are gone from this browser.
    await openPanel(fresh);
    const forgotten = nextEvent<CustomEvent>(fresh, 'harmony-key-change');
    await click(fresh, 'sign-out-button');
    expect((await forgotten).detail).to.include({ change: 'forgotten', keys: 0 });
    await waitForStatus(fresh, /Signed out of this site/);
    await waitForPart(fresh, 'connect-button');
    await connect(fresh, 'composer');
    await waitFor(() => labels(fresh).length === 2, { message: 'labels again after signing out' });

    // A key in no backup: signing out warns first. (The conversation is open, so the composer
    // writes a follow-up; it needs a conversation key as a paid message does, and makes one.)
    await waitForPart(fresh, 'follow-up-form');
    type($<HTMLTextAreaElement>(fresh, '#draft')!, 'A new key, not backed up');
    const again = nextEvent(fresh, 'harmony-follow-up-sent');
    const created = nextEvent<CustomEvent>(fresh, 'harmony-key-change');
    await click(fresh, 'follow-up-button');
    await again;
    expect((await created).detail).to.include({ change: 'created', role: 'visitor', notBackedUp: 1 });
    await openPanel(fresh);
    await waitFor(() => /1 not in a backup/.test(text(part(fresh, 'key-status'))), { message: 'the new key, not backed up' });
    await click(fresh, 'sign-out-button');
    const warning = await waitForPart(fresh, 'sign-out-warning');
    expect(text(warning)).to.contain('1 key here is not in a backup');
    await expect(fresh).to.be.accessible();
    await click(fresh, 'sign-out-confirm');
    await waitForPart(fresh, 'connect-button');
    const check = await sdk(visitor, 'keys-creator');
    expect((await check.keyStatus()).backup.keys).to.equal(0);
  });

  it('creator: rotation, new profile, an old backup opens only what it has, the notice says why; a key replaced elsewhere is explained', async function () {
    this.timeout(180_000);
    const creator = await wallet(27);
    const visitor = await wallet(28);
    const c = await chainInfo();

    // Claim through the element: passphrase, then the first backup (key #1).
    const el = await mount({ handle: '@rotating', provider: creator });
    type($<HTMLInputElement>(el, '#claim-price')!, '0');
    type($<HTMLInputElement>(el, '#claim-pass')!, PASSPHRASE);
    type($<HTMLInputElement>(el, '#claim-pass-confirm')!, PASSPHRASE);
    await click(el, 'claim-button');
    const backup1 = await downloadBackup(el);
    expect(JSON.parse(backup1).entries.map((e: any) => e.keyId)).to.deep.equal([1]);

    const v = await sdk(visitor, 'rotating');
    await v.send({ to: 'rotating', text: 'sealed to key one' });
    await waitFor(() => $$(el, '[part~="inbox"] [part~="message-text"]').length === 1, { message: 'the first message', timeout: 20_000 });

    // Rotate in the panel: a transaction, no signature; the old download link is withdrawn.
    await openPanel(el);
    const yourSite = `You are on ${location.origin}. Continue only if this is your own site: every page of this site can use the keys kept here.`;
    expect(originNotice(el, 'rotate-button')).to.equal(yourSite);
    expect(originNotice(el, 'passphrase-form')).to.equal(yourSite);
    expect(originNotice(el, 'restore-form')).to.equal(yourSite);
    const rotated = nextEvent<CustomEvent>(el, 'harmony-key-change');
    await click(el, 'rotate-button');
    expect((await rotated).detail).to.include({ change: 'rotated', role: 'creator', keyId: 2 });
    await waitForStatus(el, /New inbox key #2 registered/);
    expect(part(el, 'backup-link')).to.equal(null);
    expect(text(part(el, 'key-status'))).to.contain('Current inbox key: #2 (in this browser).');
    await click(el, 'backup-button');
    const backup2 = await downloadBackup(el);
    expect(JSON.parse(backup2).entries.map((e: any) => e.keyId).sort()).to.deep.equal([1, 2]);
    expect(prompts(creator.calls).every((m) => m === 'eth_sendTransaction')).to.equal(true);

    await v.send({ to: 'rotating', text: 'sealed to key two' });
    await waitFor(() => $$(el, '[part~="inbox"] [part~="message-text"]').map(text).join('|') === 'sealed to key two|sealed to key one', {
      message: 'both messages readable',
      timeout: 20_000,
    });

    // ---- a new profile: nothing opens; the notice says why and what to do
    el.remove();
    await clearAllKeys();
    const fresh = await mount({ handle: '@rotating', provider: creator });
    await connect(fresh, 'inbox');
    const notice = await waitForPart(fresh, 'key-notice');
    expect(text(notice)).to.contain('This browser holds none of your inbox keys (the current one is #2). Restore your key backup');
    await waitFor(() => labels(fresh).length === 2, { message: 'two labels' });
    expect(labels(fresh)).to.deep.equal([
      'key-not-held: Sealed to your inbox key #2, which this browser does not hold: restore a backup that has it to read this.',
      'key-not-held: Sealed to your inbox key #1, which this browser does not hold: restore a backup that has it to read this.',
    ]);
    await expect(fresh).to.be.accessible();

    // The old backup: #1 opens, #2 still says it is missing, and the notice explains.
    await openPanel(fresh);
    await chooseFile(fresh, backup1);
    type(await waitFor(() => $<HTMLInputElement>(fresh, '#restore-pass'), { message: 'the passphrase field' }), PASSPHRASE);
    await fresh.updateComplete;
    await click(fresh, 'restore-button');
    await waitFor(() => labels(fresh).length === 1, { message: 'one message restored', timeout: 30_000 });
    expect($$(fresh, '[part~="inbox"] [part~="message-text"]').map(text)[1]).to.equal('sealed to key one');
    expect(labels(fresh)[0]).to.contain('#2');
    expect(text(part(fresh, 'key-notice'))).to.contain('Your current inbox key #2 is not in this browser (this browser holds #1). Either it was made in another browser, or someone who controls your wallet replaced it.');
    await expect(fresh).to.be.accessible();

    // The new backup: everything opens, the notice goes.
    await chooseFile(fresh, backup2);
    type(await waitFor(() => $<HTMLInputElement>(fresh, '#restore-pass'), { message: 'the passphrase field' }), PASSPHRASE);
    await fresh.updateComplete;
    await click(fresh, 'restore-button');
    await waitFor(() => labels(fresh).length === 0 && !part(fresh, 'key-notice'), { message: 'all readable', timeout: 30_000 });

    // The same wallet replaces the key from somewhere else (another browser, or whoever holds the wallet).
    const elsewhere = createPaidChat({ chain: 'local', rpcUrl: c.rpcUrl, contract: c.contract, wallet: creator as any, keyStore: memoryKeyStore(), scope: { handle: 'rotating', origin: location.origin } });
    expect((await elsewhere.rotateInboxKey()).keyId).to.equal(3);
    fresh.remove();
    const later = await mount({ handle: '@rotating', provider: creator });
    await connect(later, 'inbox');
    const why = await waitForPart(later, 'key-notice');
    expect(text(why)).to.contain('Your current inbox key #3 is not in this browser (this browser holds #1, #2)');
    expect(text(why)).to.contain('someone who controls your wallet replaced it');
    await waitFor(() => $$(later, '[part~="inbox"] [part~="message-text"]').map(text).join('|') === 'sealed to key two|sealed to key one', {
      message: 'the history, still readable with #1 and #2',
    });
    await expect(later).to.be.accessible();
  });

  it('changes the backup passphrase: a wrong current one changes nothing; the next backup opens only with the new one', async function () {
    this.timeout(120_000);
    const visitor = await wallet(38);
    await claim(await wallet(39), 'pass-change', '0');
    const el = await mount({ handle: '@pass-change', provider: visitor });
    await connect(el, 'composer');
    type($<HTMLTextAreaElement>(el, '#draft')!, 'before the change');
    const sent = nextEvent(el, 'harmony-message-sent');
    await click(el, 'send-button');
    await sent;
    await openPanel(el);
    type($<HTMLInputElement>(el, '#pass-new')!, PASSPHRASE);
    type($<HTMLInputElement>(el, '#pass-confirm')!, PASSPHRASE);
    await el.updateComplete;
    await click(el, 'passphrase-button');
    await waitForStatus(el, /Passphrase set/, 30_000);

    const NEW = 'a completely different passphrase';
    await waitFor(() => $(el, '#pass-current'), { message: 'the current-passphrase field' });
    type($<HTMLInputElement>(el, '#pass-current')!, 'not the current one');
    type($<HTMLInputElement>(el, '#pass-new')!, NEW);
    type($<HTMLInputElement>(el, '#pass-confirm')!, NEW);
    await el.updateComplete;
    const wrong = nextEvent<CustomEvent>(el, 'harmony-error');
    await click(el, 'passphrase-button');
    expect((await wrong).detail).to.include({ code: 'BACKUP_PASSPHRASE_WRONG', action: 'passphrase' });
    await expect(el).to.be.accessible();

    type($<HTMLInputElement>(el, '#pass-current')!, PASSPHRASE);
    await el.updateComplete;
    await click(el, 'passphrase-button');
    await waitForStatus(el, /Passphrase set/, 30_000);
    await click(el, 'backup-button');
    const file = await downloadBackup(el);

    el.remove();
    await clearAllKeys();
    const fresh = await mount({ handle: '@pass-change', provider: visitor });
    await connect(fresh, 'composer');
    await openPanel(fresh);
    await chooseFile(fresh, file);
    type(await waitFor(() => $<HTMLInputElement>(fresh, '#restore-pass'), { message: 'the passphrase field' }), PASSPHRASE);
    await fresh.updateComplete;
    const old = nextEvent<CustomEvent>(fresh, 'harmony-error');
    await click(fresh, 'restore-button');
    expect((await old).detail.code).to.equal('BACKUP_PASSPHRASE_WRONG'); // the old passphrase no longer opens it
    type($<HTMLInputElement>(fresh, '#restore-pass')!, NEW);
    await fresh.updateComplete;
    await click(fresh, 'restore-button');
    await waitFor(() => text(part(fresh, 'message-text')) === 'before the change', { message: 'readable with the new passphrase', timeout: 30_000 });
  });

  it('labels a newer-version envelope and a tampered one, each on its own, and reads the rest', async function () {
    this.timeout(60_000);
    const creator = await wallet(30);
    const visitor = await wallet(31);
    const chat = await claim(creator, 'labels', '0');
    const v = await sdk(visitor, 'labels');
    await v.send({ to: 'labels', text: 'a readable one' });
    const { contract } = await chainInfo();
    const keyId = (await chat.getProfile('labels')).keyId;
    const raw = async (first: number[]) => {
      const env = new Uint8Array(211);
      crypto.getRandomValues(env);
      env.set(first, 0);
      new DataView(env.buffer).setUint32(2, keyId);
      const data = encodeFunctionData({ abi: paidChatAbi, functionName: 'sendMessage', args: [creator.address, 30n * 86_400n, toHex(env)] });
      await visitor.request({ method: 'eth_sendTransaction', params: [{ from: visitor.address, to: contract, data, value: '0x0' }] });
    };
    await raw([3, 1]); // format 3: newer than this app
    await raw([2, 1]); // format 2, random bytes: tampered / not from this app
    await v.send({ to: 'labels', text: 'another readable one' });

    const el = await mount({ handle: '@labels', provider: creator });
    await connect(el, 'inbox');
    await waitFor(() => $$(el, '[part~="inbox"] [part~="message"]').length === 4, { message: 'four messages' });
    expect($$(el, '[part~="inbox"] [part~="message-text"]').map((n) => n.getAttribute('data-read-state') ?? text(n))).to.deep.equal([
      'another readable one',
      'unreadable',
      'newer-version',
      'a readable one',
    ]);
    expect(labels(el)[0]).to.match(/^unreadable: This text could not be read: This message could not be opened/);
    expect(labels(el)[1]).to.equal('newer-version: Written with a newer version of this app: update the page (or the app) to read it.');
    await expect(el).to.be.accessible();
  });
});
