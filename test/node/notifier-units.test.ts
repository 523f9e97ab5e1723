/**
 * Parts of the notifier on their own, with real sockets on loopback where there are any: the
 * webhook client refuses private and local destinations (by literal and by what a name resolves
 * to), the rate limiter counts IPv6 clients by /64 and makes room without forgetting the clients it
 * is limiting, and email addresses are compared as mailboxes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { WebhookAddressError, WebhookClient, addressAllowed } from '../../notifier/src/webhooks.js';
import { TokenBuckets, clientKey } from '../../notifier/src/ratelimit.js';
import { canonicalEmail } from '../../notifier/src/store/mailbox.js';

describe('webhook destinations', () => {
  let server: Server;
  let port = 0;
  let connections = 0;

  before(async () => {
    // A real endpoint on loopback: a refused delivery must never even connect to it.
    server = createServer((s) => {
      connections++;
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const delivery = (url: string) => ({ url, id: 'msg_test', body: '{}', secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` });

  test('private, local, NAT64, 6to4 and site-local addresses are refused; public ones are not', () => {
    const refused = ['127.0.0.1', '10.0.0.1', '169.254.169.254', '192.168.1.1', '100.64.0.1', '::1', '::', '::ffff:10.0.0.1', '::ffff:a00:1', 'fd00::1', 'fe80::1', 'fec0::1', '64:ff9b::a00:1', '64:ff9b::808:808', '64:ff9b:1::1', '2002:a00:1::1', 'ff02::1'];
    for (const a of refused) assert.equal(addressAllowed(a, false), false, a);
    for (const a of ['8.8.8.8', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8']) assert.equal(addressAllowed(a, false), true, a);
    assert.equal(addressAllowed('127.0.0.1', true), true, 'loopback with the development flag');
    assert.equal(addressAllowed('10.0.0.1', true), false, 'but never the private network');
  });

  test('sending to loopback or a private address is refused with WebhookAddressError, before any connection', async () => {
    const client = new WebhookClient({ timeoutMs: 2000, allowHttpLoopback: false, maxSockets: 4 });
    try {
      for (const url of [
        `https://localhost:${port}/hook`, // a name: refused on what it resolves to (the guarded lookup)
        `https://127.0.0.1:${port}/hook`,
        `https://[::ffff:a00:1]:${port}/hook`,
        `https://[::ffff:7f00:1]:${port}/hook`,
        `https://[64:ff9b::7f00:1]:${port}/hook`,
        `https://10.0.0.1:${port}/hook`,
        `http://localhost:${port}/hook`,
      ]) {
        await assert.rejects(client.send(delivery(url)), (e: Error) => e instanceof WebhookAddressError && (e as WebhookAddressError).code === 'EADDRNOTALLOWED', url);
      }
      assert.equal(connections, 0, 'nothing reached the loopback endpoint');
    } finally {
      client.close();
    }
  });

  test('with --webhook-allow-http-loopback a name resolving to loopback is delivered to; private addresses still are not', async () => {
    const client = new WebhookClient({ timeoutMs: 2000, allowHttpLoopback: true, maxSockets: 4 });
    try {
      const r = await client.send(delivery(`http://localhost:${port}/hook`));
      assert.equal(r.status, 200);
      assert.equal(connections, 1);
      await assert.rejects(client.send(delivery(`http://10.0.0.1:${port}/hook`)), WebhookAddressError);
    } finally {
      client.close();
    }
  });
});

describe('rate limits', () => {
  test('IPv6 clients are counted by /64, IPv4 by address (IPv4-mapped as IPv4)', () => {
    assert.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    assert.equal(clientKey('2001:DB8:1:2::1'), clientKey('2001:db8:0001:0002:0:0:0:9'));
    assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
    assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.notEqual(clientKey('203.0.113.7'), clientKey('203.0.113.8'));
  });

  test('a flood of new keys evicts the least recently used buckets, not the one being limited', () => {
    const buckets = new TokenBuckets({ capacity: 2, perMs: 60_000 }, 3);
    const now = 1_000_000;
    buckets.take('b', now);
    buckets.take('c', now);
    assert.ok(buckets.take('limited', now).ok);
    assert.ok(buckets.take('limited', now).ok);
    assert.equal(buckets.take('limited', now).ok, false);
    for (let i = 0; i < 2; i++) {
      buckets.take(`new-${i}`, now); // pushes out b, then c
      assert.equal(buckets.take('limited', now).ok, false, 'still limited');
    }
    assert.equal(buckets.size, 3, 'never more than the maximum');
    assert.ok(buckets.take('b', now).ok, 'an evicted key starts afresh');
  });
});

describe('email addresses as mailboxes', () => {
  test('case, +tags, Gmail dots and googlemail.com', () => {
    const same = (a: string, b: string) => assert.equal(canonicalEmail(a), canonicalEmail(b), `${a} = ${b}`);
    same('Victim@Example.com', 'victim@example.com');
    same('victim+1@example.com', 'victim@example.com');
    same('victim+a+b@example.com', 'VICTIM@example.com');
    same('j.d.o.e@gmail.com', 'jdoe@gmail.com');
    same('J.Doe+news@GoogleMail.com', 'jdoe@gmail.com');
    assert.notEqual(canonicalEmail('j.doe@example.com'), canonicalEmail('jdoe@example.com'), 'dots count outside Gmail');
    assert.notEqual(canonicalEmail('victim@example.com'), canonicalEmail('victim@example.org'));
    assert.equal(canonicalEmail('+tag@example.com'), '+tag@example.com', 'a local part that is only a tag stays');
  });
});
