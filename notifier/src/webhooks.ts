/**
 * Webhooks the Standard Webhooks way (https://www.standardwebhooks.com): a POST of a JSON body
 * `{ type, timestamp, data }` with three headers —
 *
 *   webhook-id:        the event's id (the same on every retry: receivers deduplicate by it)
 *   webhook-timestamp: Unix seconds of this attempt
 *   webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body" with the endpoint's secret>
 *
 * The secret is `whsec_` + base64 of 32 random bytes, shown once when the endpoint is registered.
 * Endpoints must be https (http only to a loopback host with --webhook-allow-http-loopback, for
 * development), and are never reached on a private, loopback or link-local address: the check runs
 * on the address actually connected to, so a DNS answer that changes after registration cannot
 * point a delivery into the operator's network.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function newWebhookId(): string {
  return `wh_${randomBytes(12).toString('base64url')}`;
}

function key(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** `v1,<signature>` for one delivery attempt. */
export function signWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  return `v1,${createHmac('sha256', key(secret)).update(`${id}.${timestampSec}.${body}`).digest('base64')}`;
}

/** What a receiver does (used by the tests and documented for operators): true when one of the signatures matches and the time is within `toleranceSec`. */
export function verifyWebhook(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string, nowSec = Math.floor(Date.now() / 1000), toleranceSec = 300): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSec - ts) > toleranceSec) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, ts, body).slice(3), 'base64');
  return headers.signature.split(' ').some((s) => {
    const [v, sig] = s.split(',');
    if (v !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64 (RFC 6052): reaches any IPv4 address, private ones included
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7],
  ['fec0::', 10], // site-local (deprecated, still routed in some networks)
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a delivery may connect to `address`. */
export function addressAllowed(address: string, allowLoopback: boolean): boolean {
  let a = address;
  let type: 'ipv4' | 'ipv6' = isIP(a) === 6 ? 'ipv6' : 'ipv4';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) {
    a = mapped[1]!;
    type = 'ipv4';
  }
  if (allowLoopback && LOOPBACK.check(a, type)) return true;
  return !PRIVATE.check(a, type);
}

export class WebhookAddressError extends Error {
  override name = 'WebhookAddressError';
  code = 'EADDRNOTALLOWED';
}

function guardedLookup(allowLoopback: boolean) {
  return (hostname: string, options: any, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = (addresses as unknown as LookupAddress[]).filter((x) => addressAllowed(x.address, allowLoopback));
      if (list.length === 0) return callback(new WebhookAddressError(`${hostname} resolves only to private or local addresses; webhooks are not delivered there.`), '', 0);
      if (options?.all) callback(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** How much of an endpoint's answer is read (for the operator's status page); the rest is dropped. */
const MAX_RESPONSE_CHARS = 300;

export interface WebhookDelivery {
  url: string;
  id: string;
  body: string;
  secret: string;
}

export interface WebhookResult {
  status: number;
  /** The first bytes of the endpoint's answer, for the operator's status page. */
  response: string;
}

export class WebhookClient {
  readonly #timeoutMs: number;
  readonly #allowLoopback: boolean;
  readonly #agents: { http: http.Agent; https: https.Agent };
  readonly #inFlight = new Set<http.ClientRequest>();

  constructor(o: { timeoutMs: number; allowHttpLoopback: boolean; maxSockets: number }) {
    this.#timeoutMs = o.timeoutMs;
    this.#allowLoopback = o.allowHttpLoopback;
    const lookup = guardedLookup(o.allowHttpLoopback) as any;
    this.#agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: o.maxSockets, lookup } as any),
      https: new https.Agent({ keepAlive: true, maxSockets: o.maxSockets, lookup } as any),
    };
  }

  /**
   * One attempt. Resolves with the endpoint's status as soon as its headers (and at most the first
   * bytes of its body) are in; rejects on a network failure, a refused address, or when no status
   * came within the timeout — counted from the start, however slowly the endpoint trickles bytes.
   * The body is never read to its end: the connection is dropped after the first bytes.
   */
  send(d: WebhookDelivery, nowSec = Math.floor(Date.now() / 1000)): Promise<WebhookResult> {
    const u = new URL(d.url);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !addressAllowed(host, this.#allowLoopback)) return Promise.reject(new WebhookAddressError(`${host} is a private or local address; webhooks are not delivered there.`));
    if (u.protocol === 'http:' && !this.#allowLoopback) return Promise.reject(new WebhookAddressError('http:// endpoints are refused (https only).'));
    const lib = u.protocol === 'https:' ? https : http;
    const body = Buffer.from(d.body);
    return new Promise((resolve, reject) => {
      let status: number | undefined;
      let complete = false;
      let text = '';
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.#inFlight.delete(req);
        if (status === undefined) {
          req.destroy();
          return reject(err ?? new Error('no answer'));
        }
        // Whatever is left of the body is not wanted: the socket goes (it is not reused mid-body).
        if (!complete) req.destroy();
        resolve({ status, response: `${status} ${text.replace(/\s+/g, ' ').slice(0, 200)}`.trim() });
      };
      const req = lib.request(
        u,
        {
          method: 'POST',
          agent: u.protocol === 'https:' ? this.#agents.https : this.#agents.http,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'user-agent': 'harmony-paid-chat-notifier',
            'webhook-id': d.id,
            'webhook-timestamp': String(nowSec),
            'webhook-signature': signWebhook(d.secret, d.id, nowSec, d.body),
          },
        },
        (res) => {
          status = res.statusCode ?? 0;
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
            if (text.length >= MAX_RESPONSE_CHARS) finish();
          });
          res.on('end', () => {
            complete = true;
            finish();
          });
          res.on('error', (e) => finish(e));
          res.on('aborted', () => finish());
        },
      );
      // One deadline for the whole attempt (connect, send, status line and headers): a socket that
      // never goes quiet cannot hold a worker.
      const deadline = setTimeout(() => finish(Object.assign(new Error(`no answer within ${this.#timeoutMs} ms`), { code: 'ETIMEDOUT' })), this.#timeoutMs);
      this.#inFlight.add(req);
      req.on('error', (e) => finish(e));
      req.on('close', () => finish(new Error('the connection closed before an answer')));
      req.end(body);
    });
  }

  /** Drops every connection, deliveries in flight included (they fail and are retried later). */
  close(): void {
    for (const req of this.#inFlight) req.destroy(Object.assign(new Error('the notifier is stopping'), { code: 'ESHUTDOWN' }));
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}
