/**
 * The notifier's HTTP side (node:http, no framework):
 *
 *   GET  /v1/health                    service facts a client needs to build the signed message
 *   POST /v1/subscriptions             signed subscription request → confirmation email (202)
 *   GET  /v1/confirm?token=…           follows the emailed one-time link (HTML)
 *   GET  /v1/unsubscribe?token=…       confirm page with a one-click button (HTML)
 *   POST /v1/unsubscribe?token=…       RFC 8058 one-click unsubscribe
 *   GET  /v1/status                    outbox counts, last errors, cursor (Bearer admin token)
 *   GET  /h/:handle                    a minimal page hosting the <harmony-paid-chat> widget
 *   GET  /widget/*                     the widget bundle from the static directory
 *
 * Every refusal is `{ error: { code, message, details? } }` with a fitting status, and changes
 * nothing: the request is validated completely before anything is written.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { verifyMessage, type Address, type Hex } from 'viem';
import {
  parseAddress,
  normalizeHandle,
  NOTIFIER_SERVICE_NAME,
  SUBSCRIPTION_MESSAGE_VERSION,
  emailProblem,
  isValidNonce,
  parseIsoUtc,
  subscriptionMessage,
  type NotifierErrorCode,
  type NotifierInfo,
} from 'harmony-paid-chat';
import { CLOCK_SKEW_SECONDS, MAX_BODY_BYTES, MAX_SUBSCRIPTION_LIFETIME_SECONDS } from './protocol.js';
import { escapeHtml, simplePage, PAGE_STYLE, type Page } from './html.js';
import { hashToken, newToken, newUnsubId, renderConfirmation, verifyUnsubscribeToken } from './emails.js';
import { TokenBuckets } from './ratelimit.js';
import type { NotifierConfig } from './config.js';
import type { Store } from './db.js';
import type { Logger } from './log.js';
import type { Mailer } from './sender.js';

export interface HttpContext {
  cfg: NotifierConfig;
  store: Store;
  log: Logger;
  mailer: Mailer;
  from: string;
  secret: string;
  chainId: number;
  chainName: string;
  contract: Address;
  /** Filled in once the server listens (the port may be chosen by the OS). */
  publicUrl: () => string;
  widgetRpcUrl: string;
  status: () => Record<string, unknown>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: NotifierErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

const STATIC_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const WIDGET_SCRIPT = 'harmony-paid-chat.js';
const FIELDS = ['address', 'email', 'nonce', 'issuedAt', 'expiresAt', 'signature', 'chainId'] as const;
const REQUIRED = ['address', 'email', 'nonce', 'issuedAt', 'expiresAt', 'signature'] as const;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Declared bodies larger than this are not even drained: the connection is closed. */
const DRAIN_LIMIT = 1024 * 1024;

export function createHttpHandler(ctx: HttpContext) {
  const { cfg, store, log } = ctx;
  const ipBuckets = new TokenBuckets(cfg.rateIp);
  const addressBuckets = new TokenBuckets(cfg.rateAddress);
  const staticDir = resolve(cfg.staticDir);
  const rpcOrigin = (() => {
    try {
      return new URL(ctx.widgetRpcUrl).origin;
    } catch {
      return '';
    }
  })();

  const allowedOrigins = () => new Set([...cfg.allowedOrigins, new URL(ctx.publicUrl()).origin]);
  const domain = () => new URL(ctx.publicUrl()).host;

  function info(): NotifierInfo {
    return {
      status: 'ok',
      service: NOTIFIER_SERVICE_NAME,
      domain: domain(),
      uri: ctx.publicUrl(),
      chainId: ctx.chainId,
      contract: ctx.contract,
      version: SUBSCRIPTION_MESSAGE_VERSION,
      maxLifetimeSeconds: MAX_SUBSCRIPTION_LIFETIME_SECONDS,
    };
  }

  function clientIp(req: IncomingMessage): string {
    if (cfg.trustProxy) {
      const xff = String(req.headers['x-forwarded-for'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (xff.length) return xff[xff.length - 1]!;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  function corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && allowedOrigins().has(origin)) {
      return { 'access-control-allow-origin': origin, vary: 'Origin' };
    }
    return { vary: 'Origin' };
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function sendPage(res: ServerResponse, page: Page) {
    res.writeHead(page.status, { ...page.headers, 'content-length': Buffer.byteLength(page.body) });
    res.end(page.body);
  }

  function sendError(res: ServerResponse, e: HttpError, extra: Record<string, string> = {}) {
    const body = { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
    sendJson(res, e.status, body, { ...extra, ...e.headers });
  }

  function rateLimit(buckets: TokenBuckets, key: string, what: string) {
    const r = buckets.take(key);
    if (!r.ok) {
      throw new HttpError(429, 'rate_limited', `Too many requests ${what}. Try again in ${r.retryAfterSec} s.`, { retryAfterSeconds: r.retryAfterSec }, {
        'retry-after': String(r.retryAfterSec),
      });
    }
  }

  /** Reads the body up to MAX_BODY_BYTES; larger bodies are drained (up to a limit) and refused. */
  function readBody(req: IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > DRAIN_LIMIT) {
      req.socket.destroySoon?.();
      return Promise.reject(new HttpError(413, 'body_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`, { limit: MAX_BODY_BYTES }, { connection: 'close' }));
    }
    return new Promise((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) tooLarge = true;
        if (size > DRAIN_LIMIT) {
          req.destroy();
          return;
        }
        if (!tooLarge) chunks.push(c);
      });
      req.on('end', () => {
        if (tooLarge) reject(new HttpError(413, 'body_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`, { limit: MAX_BODY_BYTES }));
        else resolveBody(Buffer.concat(chunks));
      });
      req.on('error', reject);
      req.on('close', () => {
        if (size > DRAIN_LIMIT) reject(new HttpError(413, 'body_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`, { limit: MAX_BODY_BYTES }));
      });
    });
  }

  /** Checks everything about a subscription request that needs no database; returns its parts. */
  async function validateSubscription(raw: Buffer) {
    let text: string;
    let body: unknown;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'json_invalid', 'The body is not valid JSON (UTF-8).');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'body_invalid', `The body must be a JSON object with ${REQUIRED.join(', ')}.`);
    }
    const b = body as Record<string, unknown>;
    for (const k of Object.keys(b)) {
      if (!(FIELDS as readonly string[]).includes(k)) throw new HttpError(400, 'field_unknown', `Unknown field "${k}". Allowed: ${FIELDS.join(', ')}.`, { field: k });
    }
    for (const k of REQUIRED) {
      if (b[k] === undefined || b[k] === null) throw new HttpError(400, 'field_missing', `The field "${k}" is missing.`, { field: k });
      if (typeof b[k] !== 'string') throw new HttpError(400, 'field_invalid', `The field "${k}" must be a string.`, { field: k });
    }
    if (b.chainId !== undefined && (typeof b.chainId !== 'number' || !Number.isSafeInteger(b.chainId))) {
      throw new HttpError(400, 'field_invalid', 'The field "chainId" must be an integer.', { field: 'chainId' });
    }
    let address: Address;
    try {
      address = parseAddress(b.address as string);
    } catch (e) {
      throw new HttpError(400, 'address_invalid', (e as Error).message, { field: 'address' });
    }
    const email = b.email as string;
    const emailIssue = emailProblem(email);
    if (emailIssue) throw new HttpError(400, 'email_invalid', emailIssue, { field: 'email' });
    const nonce = b.nonce as string;
    if (!isValidNonce(nonce)) throw new HttpError(400, 'nonce_invalid', 'The nonce must be 8 to 64 letters and digits.', { field: 'nonce' });
    const issuedAt = parseIsoUtc(b.issuedAt);
    if (issuedAt === undefined) throw new HttpError(400, 'timestamp_invalid', 'issuedAt must be an ISO-8601 UTC time like 2026-01-02T03:04:05.000Z.', { field: 'issuedAt' });
    const expiresAt = parseIsoUtc(b.expiresAt);
    if (expiresAt === undefined) throw new HttpError(400, 'timestamp_invalid', 'expiresAt must be an ISO-8601 UTC time like 2026-01-02T03:04:05.000Z.', { field: 'expiresAt' });
    if (expiresAt <= issuedAt) throw new HttpError(400, 'timestamp_invalid', 'expiresAt must be later than issuedAt.', { field: 'expiresAt' });
    if (b.chainId !== undefined && b.chainId !== ctx.chainId) {
      throw new HttpError(400, 'chain_mismatch', `This notifier serves chain ${ctx.chainId}, not ${b.chainId}.`, { expected: ctx.chainId, actual: b.chainId });
    }
    const signature = b.signature as string;
    if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) {
      throw new HttpError(400, 'signature_malformed', 'The signature must be 65 bytes of hex (0x followed by 130 hex digits).', { field: 'signature' });
    }
    const now = Date.now();
    if (issuedAt > now + CLOCK_SKEW_SECONDS * 1000) {
      throw new HttpError(400, 'issued_in_future', `issuedAt is in the future (more than ${CLOCK_SKEW_SECONDS} s ahead of the service's clock). Check your device's clock.`, {
        serverTime: new Date(now).toISOString(),
      });
    }
    if (expiresAt - issuedAt > MAX_SUBSCRIPTION_LIFETIME_SECONDS * 1000) {
      throw new HttpError(400, 'lifetime_too_long', `A signed request may live at most ${MAX_SUBSCRIPTION_LIFETIME_SECONDS} s from issuedAt to expiresAt.`, {
        maxLifetimeSeconds: MAX_SUBSCRIPTION_LIFETIME_SECONDS,
      });
    }
    if (expiresAt <= now) {
      throw new HttpError(400, 'expired', 'This signed request has expired. Sign a new one.', { expiresAt: b.expiresAt, serverTime: new Date(now).toISOString() });
    }
    const message = subscriptionMessage({
      domain: domain(),
      uri: ctx.publicUrl(),
      address,
      email,
      nonce,
      chainId: ctx.chainId,
      issuedAt: b.issuedAt as string,
      expiresAt: b.expiresAt as string,
    });
    let valid = false;
    try {
      valid = await verifyMessage({ address, message, signature: signature as Hex });
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new HttpError(401, 'signature_invalid', `The signature was not made by ${address} over this exact subscription message (address, email, nonce, times, this service and chain ${ctx.chainId}).`);
    }
    return { address, email, nonce, expiresAt };
  }

  async function subscribe(req: IncomingMessage, res: ServerResponse) {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !allowedOrigins().has(origin)) {
      throw new HttpError(403, 'origin_not_allowed', `Requests from ${origin} are not allowed. Ask the operator to add it to --allowed-origins.`);
    }
    rateLimit(ipBuckets, clientIp(req), 'from your network');
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(type.trim())) {
      throw new HttpError(415, 'unsupported_media_type', 'Send the body as Content-Type: application/json.', { contentType: type || null });
    }
    const { address, email, nonce, expiresAt } = await validateSubscription(await readBody(req));
    if (store.hasNonce(nonce)) throw new HttpError(409, 'nonce_used', 'This nonce was used already. Sign a new request (with a new nonce).');
    rateLimit(addressBuckets, address, `for ${address}`);

    const now = Date.now();
    const { token, hash } = newToken();
    const confirmBy = now + cfg.confirmTtlSec * 1000;
    const added = store.addPending({ address, email, tokenHash: hash, nonce, nonceExpiresAt: expiresAt + CLOCK_SKEW_SECONDS * 1000, now, expiresAt: confirmBy });
    if (added === 'nonce_used') throw new HttpError(409, 'nonce_used', 'This nonce was used already. Sign a new request (with a new nonce).');
    const link = `${ctx.publicUrl()}/v1/confirm?token=${token}`;
    const mail = renderConfirmation({ address, email, link, expiresAt: confirmBy, serviceHost: domain(), chainName: ctx.chainName });
    try {
      await ctx.mailer.send({
        from: ctx.from,
        to: email,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<confirm.${hash.slice(0, 32)}@${new URL(ctx.publicUrl()).hostname}>`,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-PaidChat-Notification': 'confirmation' },
      });
    } catch (e) {
      store.removePending(added.id, nonce);
      log.error('confirmation email failed', { address, error: String((e as Error)?.message ?? e) });
      throw new HttpError(503, 'mail_unavailable', 'The confirmation email could not be sent right now; nothing was stored. Try again later (the same signed request works until it expires).');
    }
    log.info('subscription requested', { address });
    sendJson(res, 202, { status: 'confirmation_sent', address, email, confirmBy: new Date(confirmBy).toISOString() }, corsHeaders(req));
  }

  function confirm(req: IncomingMessage, res: ServerResponse, url: URL) {
    rateLimit(ipBuckets, clientIp(req), 'from your network');
    const token = url.searchParams.get('token') ?? '';
    if (!TOKEN.test(token)) {
      return sendPage(res, simplePage(404, 'This link is not valid', '<p>The confirmation link is incomplete or wrong. Copy the whole link from the email, or subscribe again.</p>'));
    }
    const r = store.confirm(hashToken(token), Date.now(), newUnsubId);
    switch (r.status) {
      case 'invalid':
        return sendPage(res, simplePage(404, 'This link is not valid', '<p>This confirmation link is unknown (it may be from an older request). Subscribe again from the chat widget.</p>'));
      case 'expired':
        return sendPage(res, simplePage(410, 'This link has expired', '<p>Confirmation links work for a limited time. Subscribe again from the chat widget.</p>'));
      case 'already':
        return sendPage(res, simplePage(200, 'Already confirmed', `<p>Notifications for <code>${escapeHtml(r.address)}</code> were already confirmed for ${escapeHtml(r.email)}.</p>`));
      case 'confirmed':
        log.info('subscription confirmed', { address: r.address });
        return sendPage(
          res,
          simplePage(
            200,
            'Email notifications are on',
            `<p>${escapeHtml(r.email)} will now get an email about new paid messages, replies, refunds and reply deadlines for <code>${escapeHtml(r.address)}</code>.</p><p>Every email has a one-click unsubscribe link.</p>`,
          ),
        );
    }
  }

  async function unsubscribe(req: IncomingMessage, res: ServerResponse, url: URL) {
    const token = url.searchParams.get('token') ?? '';
    const unsubId = verifyUnsubscribeToken(ctx.secret, token);
    if (req.method === 'POST') await readBody(req).catch(() => Buffer.alloc(0)); // "List-Unsubscribe=One-Click"; content is not needed
    if (!unsubId) {
      return sendPage(res, simplePage(404, 'This link is not valid', '<p>The unsubscribe link is incomplete or wrong. Copy the whole link from the email.</p>'));
    }
    if (req.method === 'POST') {
      const removed = store.unsubscribe(unsubId);
      if (removed) log.info('unsubscribed', { unsubId: unsubId.slice(0, 8) });
      return sendPage(res, simplePage(200, 'Unsubscribed', '<p>You will get no more emails from this notifier for this subscription.</p>'));
    }
    const sub = store.subscriptionByUnsub(unsubId);
    if (!sub) return sendPage(res, simplePage(200, 'Not subscribed', '<p>This subscription no longer exists; no emails will be sent for it.</p>'));
    const action = `/v1/unsubscribe?token=${encodeURIComponent(token)}`;
    return sendPage(
      res,
      simplePage(
        200,
        'Unsubscribe?',
        `<p>Stop emails to ${escapeHtml(sub.email)} about <code>${escapeHtml(sub.address)}</code>?</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      ),
    );
  }

  function status(req: IncomingMessage, res: ServerResponse) {
    const expected = cfg.adminToken;
    if (!expected) throw new HttpError(401, 'unauthorized', 'The status endpoint is disabled: start the notifier with --admin-token.');
    const m = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    const given = Buffer.from(m?.[1]?.trim() ?? '');
    const want = Buffer.from(expected);
    if (!(given.length === want.length && timingSafeEqual(given, want))) {
      throw new HttpError(401, 'unauthorized', 'Send Authorization: Bearer <admin token>.', undefined, { 'www-authenticate': 'Bearer' });
    }
    sendJson(res, 200, ctx.status());
  }

  function widgetPage(res: ServerResponse, rawHandle: string) {
    let handle: string;
    try {
      handle = normalizeHandle(decodeURIComponent(rawHandle));
    } catch {
      return sendPage(res, simplePage(404, 'No such handle', '<p>That is not a valid handle (3–32 characters of a-z, 0-9, _ and -).</p>'));
    }
    const built = existsSync(resolve(staticDir, WIDGET_SCRIPT));
    const attrs = [
      ['handle', handle],
      ['chain', cfg.chain],
      ['rpc-url', ctx.widgetRpcUrl],
      ['contract', ctx.contract],
      ['notifier-url', ctx.publicUrl()],
    ]
      .map(([k, v]) => `${k}="${escapeHtml(v)}"`)
      .join(' ');
    const note = built
      ? ''
      : `<p class="note">The chat widget is not built on this server yet (<code>${escapeHtml(cfg.staticDir)}/${WIDGET_SCRIPT}</code> is missing). The operator can build it with the project's rollup config and restart nothing: this page picks it up on the next load.</p>`;
    const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@${escapeHtml(handle)} · Harmony Paid Chat</title>
<style>${PAGE_STYLE}</style>
<script type="module" src="/widget/${WIDGET_SCRIPT}"></script>
</head>
<body>
<main>
<h1>Message @${escapeHtml(handle)}</h1>
<harmony-paid-chat ${attrs}></harmony-paid-chat>
<noscript><p class="note">The chat needs JavaScript and a wallet.</p></noscript>
${note}
</main>
</body>
</html>
`;
    const connect = ["'self'", rpcOrigin].filter(Boolean).join(' ');
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'`,
      'cache-control': 'no-cache',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    res.end(body);
  }

  function serveStatic(res: ServerResponse, rel: string) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rel);
    } catch {
      throw new HttpError(404, 'not_found', 'No such file.');
    }
    const file = resolve(staticDir, decoded);
    if (decoded.includes('\0') || !file.startsWith(staticDir + sep)) throw new HttpError(404, 'not_found', 'No such file.');
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error();
      size = st.size;
    } catch {
      throw new HttpError(404, 'not_found', `No such file in the widget bundle${existsSync(staticDir) ? '' : ` (${cfg.staticDir}/ is not built)`}.`);
    }
    res.writeHead(200, {
      'content-type': STATIC_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': 'public, max-age=300',
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
    });
    createReadStream(file).pipe(res);
  }

  function index(res: ServerResponse) {
    sendPage(
      res,
      simplePage(
        200,
        'Harmony Paid Chat notifier',
        `<p>This service emails people about their paid messages on ${escapeHtml(ctx.chainName)}. Subscribe from the chat widget's settings; every email has a one-click unsubscribe link.</p>`,
      ),
    );
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendError(res, new HttpError(400, 'not_found', 'Malformed request URL.'));
    }
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const cors = path.startsWith('/v1/') ? corsHeaders(req) : {};
    try {
      if (path.startsWith('/v1/') && method === 'OPTIONS') {
        const origin = req.headers.origin;
        if (typeof origin !== 'string' || !allowedOrigins().has(origin)) {
          throw new HttpError(403, 'origin_not_allowed', `Requests from ${String(origin)} are not allowed.`);
        }
        res.writeHead(204, {
          ...cors,
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'content-type',
          'access-control-max-age': '600',
          'content-length': '0',
        });
        return void res.end();
      }
      const is = (m: string) => method === m || (m === 'GET' && method === 'HEAD');
      const allow = (methods: string) => {
        throw new HttpError(405, 'method_not_allowed', `Use ${methods} on ${path}.`, undefined, { allow: methods });
      };
      if (path === '/v1/health') {
        if (!is('GET')) allow('GET');
        return sendJson(res, 200, info(), cors);
      }
      if (path === '/v1/subscriptions') {
        if (method !== 'POST') allow('POST, OPTIONS');
        return await subscribe(req, res);
      }
      if (path === '/v1/confirm') {
        if (!is('GET')) allow('GET');
        return confirm(req, res, url);
      }
      if (path === '/v1/unsubscribe') {
        if (!is('GET') && method !== 'POST') allow('GET, POST');
        return await unsubscribe(req, res, url);
      }
      if (path === '/v1/status') {
        if (!is('GET')) allow('GET');
        return status(req, res);
      }
      if (path.startsWith('/h/') && path.length > 3 && !path.slice(3).includes('/')) {
        if (!is('GET')) allow('GET');
        return widgetPage(res, path.slice(3));
      }
      if (path.startsWith('/widget/')) {
        if (!is('GET')) allow('GET');
        return serveStatic(res, path.slice('/widget/'.length));
      }
      if (path === '/') {
        if (!is('GET')) allow('GET');
        return index(res);
      }
      throw new HttpError(404, 'not_found', `Nothing at ${path}.`);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) {
        if (e.status === 429) log.warn('rate limited', { path, ip: clientIp(req) });
        return sendError(res, e, cors);
      }
      log.error('request failed', { path, error: String((e as Error)?.stack ?? e) });
      return sendError(res, new HttpError(500, 'internal', 'Something went wrong on our side; nothing was changed.'), cors);
    }
  };
}
