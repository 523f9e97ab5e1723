/**
 * The keyring and key backups, without a chain: keys made on the device, sealed to the backup key
 * once a passphrase is set (then non-extractable), backup files that restore only into their own
 * account and scope, and every way a backup can be wrong — each with its own error, changing nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, type Address } from 'viem';
import { expectCode } from '../support/expect-error.js';
import { Keyring } from '../../src/sdk/keyring.js';
import { memoryKeyStore, type KeyStore } from '../../src/sdk/keystore.js';
import { DEFAULT_SCRYPT, checkPassphrase, newBackupKey, parseBackupFile } from '../../src/sdk/backup.js';
import { generateMessagingKey } from '../../src/sdk/keys.js';

const CONTRACT: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const ME: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const OTHER: Address = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const CREATOR_A: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const CREATOR_B: Address = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
const PASS = 'correct horse battery staple';
const CHEAP = { cost: { N: 1024 } };

const ring = (store: KeyStore = memoryKeyStore(), account = ME, chainId = 31337) => new Keyring(store, { chainId, contract: CONTRACT, account });


/** Both keys agree on the same secret with a fixed peer, so they are the same private key. */
async function sameKey(a: { agree(p: Uint8Array): Promise<Uint8Array> }, b: { agree(p: Uint8Array): Promise<Uint8Array> }) {
  const { key: peer } = await generateMessagingKey();
  assert.equal(bytesToHex(await a.agree(peer.publicKey)), bytesToHex(await b.agree(peer.publicKey)));
}

describe('keyring', () => {
  it('a key made before a passphrase is extractable and not backed up; setting one seals it and makes it non-extractable', async () => {
    const r = ring();
    const k = await r.createConversationKey(CREATOR_A);
    let [held] = await r.held();
    assert.equal(held!.backedUp, false);
    assert.equal(held!.extractable, true);
    await r.setBackupPassphrase(PASS, CHEAP);
    [held] = await r.held();
    assert.equal(held!.backedUp, true);
    assert.equal(held!.extractable, false);
    const [again] = await r.conversationKeys(CREATOR_A);
    await sameKey(k, again!);
    await expectCode(again!.exportSecret(), 'KEY_NOT_EXTRACTABLE');
    // A key made after the passphrase is sealed and non-extractable from birth.
    await r.createConversationKey(CREATOR_B);
    assert.ok((await r.held()).every((h) => h.backedUp && !h.extractable));
  });

  it('inbox keys are pending until confirmed with their on-chain id; a failed one can be dropped', async () => {
    const r = ring();
    const k = await r.createInboxKey();
    assert.equal((await r.pendingInboxKeys()).length, 1);
    assert.equal(await r.inboxKey(1), undefined);
    await r.confirmInboxKey(k.publicKeyHex, 1);
    assert.equal((await r.pendingInboxKeys()).length, 0);
    await sameKey(k, (await r.inboxKey(1))!);
    const k2 = await r.createInboxKey();
    await r.deleteKey(k2.publicKeyHex);
    assert.equal((await r.held()).length, 1);
  });

  it('keeps each account apart in one store, and forget() clears only its own', async () => {
    const store = memoryKeyStore();
    const mine = ring(store, ME);
    const theirs = ring(store, OTHER);
    await mine.createConversationKey(CREATOR_A);
    await theirs.createConversationKey(CREATOR_A);
    assert.equal((await mine.held()).length, 1);
    await mine.forget();
    assert.equal((await mine.held()).length, 0);
    assert.equal((await theirs.held()).length, 1);
  });

  it('changing the passphrase needs the current one; a wrong one changes nothing', async () => {
    const r = ring();
    await r.createConversationKey(CREATOR_A);
    await r.setBackupPassphrase(PASS, CHEAP);
    await expectCode(r.setBackupPassphrase('another long passphrase', CHEAP), 'BACKUP_PASSPHRASE_WRONG', 'current-needed');
    await expectCode(r.setBackupPassphrase('another long passphrase', { ...CHEAP, current: 'not the passphrase' }), 'BACKUP_PASSPHRASE_WRONG');
    const before = await r.exportBackup();
    await r.setBackupPassphrase('another long passphrase', { ...CHEAP, current: PASS });
    const after = await r.exportBackup();
    assert.notEqual(parseBackupFile(before).backupKey, parseBackupFile(after).backupKey);
    const fresh = ring();
    await expectCode(fresh.restoreBackup(after, PASS), 'BACKUP_PASSPHRASE_WRONG');
    assert.equal((await fresh.restoreBackup(after, 'another long passphrase')).restored.length, 1);
  });

  it('weak passphrases are refused', async () => {
    await expectCode(() => checkPassphrase('short'), 'PASSPHRASE_WEAK', 'too-short');
    await expectCode(() => checkPassphrase('aaaaaaaaaaaaaaaa'), 'PASSPHRASE_WEAK', 'repetitive');
    await expectCode(ring().setBackupPassphrase('1234', CHEAP), 'PASSPHRASE_WEAK');
  });

  it('new backup keys use scrypt N=2^17, r=8, p=1 by default', async () => {
    const t = Date.now();
    const b = await newBackupKey(PASS);
    assert.deepEqual([b.kdf.N, b.kdf.r, b.kdf.p], [DEFAULT_SCRYPT.N, 8, 1]);
    assert.equal(b.kdf.N, 2 ** 17);
    assert.ok(Date.now() - t > 50, 'scrypt at this cost takes noticeable time');
  });
});

describe('backups', async () => {
  const source = ring();
  const kA = await source.createConversationKey(CREATOR_A);
  const kB = await source.createConversationKey(CREATOR_B);
  const inbox = await source.createInboxKey();
  await source.confirmInboxKey(inbox.publicKeyHex, 3);
  await source.setBackupPassphrase(PASS, CHEAP);
  const file = await source.exportBackup();

  it('export needs no passphrase (entries are already sealed) and names only public facts', async () => {
    const parsed = parseBackupFile(file);
    assert.equal(parsed.entries.length, 3);
    assert.ok(!file.includes(bytesToHex(await kA.agree(kB.publicKey))), 'no shared secret');
    assert.deepEqual(parsed.entries.map((e) => e.kind).sort(), ['conversation', 'conversation', 'inbox']);
    assert.equal(parsed.entries.find((e) => e.kind === 'inbox')!.keyId, 3);
  });

  it('restores on a fresh device into the same keys, non-extractable, and the device adopts the backup key', async () => {
    const target = ring();
    const report = await target.restoreBackup(file, PASS, undefined, CHEAP);
    assert.equal(report.restored.length, 3);
    assert.deepEqual(report.skipped, []);
    await sameKey(kA, (await target.conversationKey(CREATOR_A, kA.publicKey))!);
    await sameKey(inbox, (await target.inboxKey(3))!);
    assert.ok((await target.held()).every((h) => !h.extractable && h.backedUp));
    // Keys made later there go into the same backup, under the same passphrase.
    await target.createConversationKey(OTHER);
    const again = await target.exportBackup();
    assert.equal(parseBackupFile(again).entries.length, 4);
    assert.equal(parseBackupFile(again).backupKey, parseBackupFile(file).backupKey, 'the file\'s backup key was adopted');
    assert.equal((await ring().restoreBackup(again, PASS, undefined, CHEAP)).restored.length, 4);
    // Restoring twice skips what is held.
    assert.deepEqual((await target.restoreBackup(file, PASS)).skipped.map((s) => s.reason), ['already-held', 'already-held', 'already-held']);
  });

  it('a file cheaper than the default scrypt cost is re-keyed on the device at the default cost, under the same passphrase', async () => {
    assert.equal(parseBackupFile(file).kdf.N, 1024);
    const target = ring();
    assert.equal((await target.restoreBackup(file, PASS)).restored.length, 3);
    const again = parseBackupFile(await target.exportBackup());
    assert.equal(again.kdf.N, DEFAULT_SCRYPT.N, 'the device did not adopt the cheap cost');
    assert.notEqual(again.backupKey, parseBackupFile(file).backupKey);
    assert.notEqual(again.kdf.salt, parseBackupFile(file).kdf.salt);
    // Keys made later are sealed to the new key; its file opens with the same passphrase.
    await target.createConversationKey(OTHER);
    const later = await target.exportBackup();
    assert.equal((await ring().restoreBackup(later, PASS)).restored.length, 4);
  });

  it('an inbox key sealed while pending is sealed again with its key id when confirmed', async () => {
    const r = ring();
    await r.setBackupPassphrase(PASS, CHEAP);
    const k = await r.createInboxKey();
    await r.confirmInboxKey(k.publicKeyHex, 7);
    const file7 = await r.exportBackup();
    assert.equal(parseBackupFile(file7).entries[0]!.keyId, 7);
    const target = ring();
    await target.restoreBackup(file7, PASS, undefined, CHEAP);
    await sameKey(k, (await target.inboxKey(7))!);
  });

  it('confirmed after a reload, it stays backed up without a key id (restored as pending) until it is sealed again', async () => {
    const store = memoryKeyStore();
    const r = ring(store);
    await r.setBackupPassphrase(PASS, CHEAP);
    const k = await r.createInboxKey();
    const reloaded = ring(store); // the page closed before the transaction ended
    await reloaded.confirmInboxKey(k.publicKeyHex, 7);
    const [entry] = parseBackupFile(await reloaded.exportBackup()).entries;
    assert.equal(entry!.keyId, undefined, 'the seal was made before the key id was known');
    const target = ring();
    await target.restoreBackup(await reloaded.exportBackup(), PASS, undefined, CHEAP);
    assert.deepEqual((await target.pendingInboxKeys()).map((h) => h.publicKey), [k.publicKeyHex]);
    // Changing the passphrase seals every key again, now with its key id.
    await reloaded.setBackupPassphrase('another long passphrase', { ...CHEAP, current: PASS });
    const resealed = await reloaded.exportBackup();
    assert.equal(parseBackupFile(resealed).entries[0]!.keyId, 7);
    const fresh = ring();
    await fresh.restoreBackup(resealed, 'another long passphrase', undefined, CHEAP);
    await sameKey(k, (await fresh.inboxKey(7))!);
  });

  it('restores only what the filter allows, and nothing of another account or chain', async () => {
    const scoped = await ring().restoreBackup(file, PASS, (m) => m.kind === 'conversation' && m.peer === CREATOR_A);
    assert.equal(scoped.restored.length, 1);
    assert.deepEqual(scoped.skipped.map((s) => s.reason).sort(), ['out-of-scope', 'out-of-scope']);
    const other = await ring(memoryKeyStore(), OTHER).restoreBackup(file, PASS);
    assert.equal(other.restored.length, 0);
    assert.ok(other.skipped.every((s) => s.reason === 'other-account'));
    const chain = await ring(memoryKeyStore(), ME, 1).restoreBackup(file, PASS);
    assert.ok(chain.skipped.every((s) => s.reason === 'other-chain'));
  });

  it('a wrong passphrase is refused and stores nothing', async () => {
    const store = memoryKeyStore();
    const target = ring(store);
    await expectCode(target.restoreBackup(file, 'Correct horse battery staple'), 'BACKUP_PASSPHRASE_WRONG');
    assert.equal((await target.held()).length, 0);
    assert.equal((await target.backupStatus()).passphraseSet, false);
  });

  const corrupt: [string, (f: any) => unknown, string][] = [
    ['not JSON', () => '{"format": "harmony-paid', 'not-json'],
    ['another kind of file', (f) => ({ ...f, format: 'something-else' }), 'not-a-backup'],
    ['a newer format version', (f) => ({ ...f, version: 2 }), 'newer-version'],
    ['a lowered scrypt cost', (f) => ({ ...f, kdf: { ...f.kdf, N: 16 } }), 'bad-kdf'],
    ['no keys', (f) => ({ ...f, entries: [] }), 'empty'],
    ['a bad public key', (f) => ({ ...f, entries: [{ ...f.entries[0], publicKey: '0x1234' }] }), 'bad-field'],
    ['a bad kind', (f) => ({ ...f, entries: [{ ...f.entries[0], kind: 'master' }] }), 'bad-field'],
    ['sealed data that is not base64', (f) => ({ ...f, entries: [{ ...f.entries[0], sealed: '%%%' }] }), 'bad-field'],
    ['damaged sealed data', (f) => ({ ...f, entries: [{ ...f.entries[0], sealed: flipB64(f.entries[0].sealed) }] }), 'sealed-damaged'],
    ['an entry relabelled to another conversation', (f) => ({ ...f, entries: [{ ...f.entries[0], peer: OTHER }] }), 'key-mismatch'],
    ['an inbox entry relabelled to another key id', (f) => ({ ...f, entries: [{ ...f.entries.find((e: any) => e.kind === 'inbox'), keyId: 4 }] }), 'key-mismatch'],
    ['an inbox entry whose key id was removed', (f) => ({ ...f, entries: [{ ...f.entries.find((e: any) => e.kind === 'inbox'), keyId: undefined }] }), 'key-mismatch'],
    ['a damaged entry after a good one', (f) => ({ ...f, entries: [f.entries[1], { ...f.entries[0], sealed: flipB64(f.entries[0].sealed) }] }), 'sealed-damaged'],
    ['an entry whose public key was swapped', (f) => ({ ...f, entries: [{ ...f.entries[0], publicKey: f.entries[1].publicKey }] }), 'key-mismatch'],
  ];
  for (const [what, change, reason] of corrupt) {
    it(`a corrupt file (${what}) gets BACKUP_INVALID/${reason} and changes nothing`, async () => {
      const f = JSON.parse(file);
      const changed = change(f);
      const text = typeof changed === 'string' ? changed : JSON.stringify(changed);
      // A device that already holds a key not backed up yet (extractable, no passphrase set).
      const target = ring();
      await target.createConversationKey(OTHER);
      const [held, status] = [await target.held(), await target.backupStatus()];
      assert.deepEqual([status.passphraseSet, status.notBackedUp], [false, 1]);
      await expectCode(target.restoreBackup(text, PASS, undefined, CHEAP), 'BACKUP_INVALID', reason);
      assert.deepEqual(await target.held(), held, 'no key was added, sealed or locked');
      assert.deepEqual(await target.backupStatus(), status, 'no backup key was stored');
    });
  }

  it('export without a passphrase says to set one; with no keys says there is nothing', async () => {
    const r = ring();
    await r.createConversationKey(CREATOR_A);
    await expectCode(r.exportBackup(), 'BACKUP_INVALID', 'no-passphrase');
    const empty = ring();
    await empty.setBackupPassphrase(PASS, CHEAP);
    await expectCode(empty.exportBackup(), 'KEY_MISSING');
  });
});

function flipB64(s: string): string {
  const b = Buffer.from(s, 'base64');
  b[b.length - 3]! ^= 1;
  return b.toString('base64');
}
