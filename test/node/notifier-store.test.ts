/**
 * The notifier's store on its own, on SQLite and on a real PostgreSQL server (loopback): an
 * instance that stalled past --instance-timeout cannot change a row another instance took over;
 * unsubscribing removes the mailbox from every row, whatever the case, `+tag` or Gmail dots.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, type Mark } from '../../notifier/src/store/store.js';
import { startPostgres, type TestPostgres } from '../support/notifier-postgres.js';
import { tempDb } from '../support/notifier.js';

const required = process.env.HPC_REQUIRE_ALL_PARTS === '1';
let pgServer: TestPostgres | undefined;
const sqlite = tempDb();

before(async () => {
  pgServer = await startPostgres();
  if (!pgServer && required) throw new Error('PostgreSQL is not installed (apt-get install postgresql); HPC_REQUIRE_ALL_PARTS=1 requires this test to run.');
});

after(async () => {
  await pgServer?.stop();
  sqlite.cleanup();
});

async function row(store: Store, id: number) {
  return store.db.get<{ status: string; claimed_by: string | null; attempts: number }>('SELECT status, claimed_by, attempts FROM outbox WHERE id = ?', [id]);
}

let pending = 0;
async function subscribe(store: Store, address: string, email: string): Promise<string> {
  const now = Date.now();
  const n = ++pending;
  const tokenHash = `token-${n}`;
  const added = await store.addPending({ address, topic: 'inbox', email, emailKey: `key-${n}`, tokenHash, nonce: `nonce-${n}`, nonceExpiresAt: now + 60_000, now, expiresAt: now + 60_000, perEmail: { max: 10, windowMs: 60_000 } });
  assert.ok(typeof added === 'object' && 'id' in added);
  const unsub = `unsub-${n}`;
  assert.equal((await store.confirm(tokenHash, now, () => unsub)).status, 'confirmed');
  return unsub;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`the store on ${kind}`, () => {
    let store: Store;

    before(async (t) => {
      if (kind === 'postgres' && !pgServer) return void (t as unknown as { skip?: (m: string) => void }).skip?.('PostgreSQL is not installed');
      store = await Store.open(kind === 'sqlite' ? sqlite.path : await pgServer!.createDatabase('store'));
    });
    after(async () => {
      await store?.close();
    });

    test('an outcome from an instance that lost its claim changes nothing; the new holder’s does', async (t) => {
      if (!store) return t.skip('PostgreSQL is not installed');
      await store.tx((q) => store.enqueue(q, [{ key: 'email:message:1:0xabc', channel: 'email', kind: 'message', target: '1', eventId: 'msg_1', payload: '{}', blockNumber: 1n }]));
      await store.registerInstance('stalled', {});
      await store.registerInstance('taker', {});
      const [claimed] = await store.claim('email', 'stalled', Date.now(), 10);
      assert.ok(claimed);
      // `stalled` stops beating; `taker` counts it dead and takes its rows back, then claims the row.
      assert.equal(await store.reclaim('taker', 0, true), 1);
      const [again] = await store.claim('email', 'taker', Date.now(), 10);
      assert.equal(again?.id, claimed.id);
      const late: Mark[] = [
        { id: claimed.id, outcome: 'retry', nextAttemptAt: Date.now() + 60_000, error: 'late' },
        { id: claimed.id, outcome: 'failed', error: 'late' },
        { id: claimed.id, outcome: 'skipped', reason: 'late' },
        { id: claimed.id, outcome: 'release' },
        { id: claimed.id, outcome: 'sent', response: 'late' },
      ];
      for (const m of late) {
        await store.mark([m], 'stalled');
        assert.deepEqual(await row(store, claimed.id), { status: 'sending', claimed_by: 'taker', attempts: 0 }, `the stalled instance's "${m.outcome}" is ignored`);
      }
      await store.mark([{ id: claimed.id, outcome: 'sent', response: '250 ok' }], 'taker');
      assert.equal((await row(store, claimed.id))?.status, 'sent');
    });

    test('unsubscribing removes the mailbox from every row: other case, +tags, Gmail dots; not other mailboxes', async (t) => {
      if (!store) return t.skip('PostgreSQL is not installed');
      const token = await subscribe(store, '0x0000000000000000000000000000000000000001', 'Alice@Example.com');
      await subscribe(store, '0x0000000000000000000000000000000000000002', 'alice@example.COM');
      await subscribe(store, '0x0000000000000000000000000000000000000003', 'alice+chat@example.com');
      await subscribe(store, '0x0000000000000000000000000000000000000004', 'alice@example.org');
      await subscribe(store, '0x0000000000000000000000000000000000000005', 'a_lice@example.com');
      const g = await subscribe(store, '0x0000000000000000000000000000000000000006', 'J.Doe@gmail.com');
      await subscribe(store, '0x0000000000000000000000000000000000000007', 'jdoe+x@googlemail.com');
      assert.equal(await store.unsubscribe(token), 3);
      const left = async () => (await store.db.all<{ email: string }>('SELECT email FROM subscriptions ORDER BY email')).map((r) => r.email).sort();
      assert.deepEqual(await left(), ['J.Doe@gmail.com', 'a_lice@example.com', 'alice@example.org', 'jdoe+x@googlemail.com'].sort());
      assert.equal(await store.unsubscribe(g), 2);
      assert.deepEqual(await left(), ['a_lice@example.com', 'alice@example.org']);
    });
  });
}
