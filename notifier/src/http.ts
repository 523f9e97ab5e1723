/**
 * The notifier's HTTP side, on Hono (routing, CORS, body limit and secure headers as middleware;
 * handlers stay thin, the database is the only state):
 *
 *   GET  /v1/health                 what a client needs to sign a request (the notifier's URL, chain)
 *   POST /v1/subscriptions          signed request → confirmation email (202)
 *   GET  /v1/confirm?token=…        the emailed link: a page with a "Confirm" button; changes nothing
 *   POST /v1/confirm                the button (form: token) — the only thing that confirms
 *   GET  /v1/unsubscribe?token=…    a page with an "Unsubscribe" button
 *   POST /v1/unsubscribe?token=…    RFC 8058 one-click unsubscribe (mail clients POST it themselves)
 *   POST /v1/webhooks               signed request → registers an HTTPS endpoint, answers its secret once
 *   POST /v1/webhooks/remove        signed request → removes one
 *   POST /v1/webhooks/list          signed request → the address's endpoints (no secrets)
 *   GET  /v1/status                 outbox counts, last errors, cursor, keeper (Bearer admin token)
 *   GET  /h/:handle                 a minimal page hosting the <harmony-paid-chat> widget
 *   GET  /widget/*                  the widget bundle from the static directory
 *
 * Any site may call the public endpoints, without credentials (CORS `*`, unless the operator set
 * --allowed-origins); a signed request is bound to the Origin it comes from instead (signed.ts).
 * Every refusal is `{ error: { code, message, details? } }` with a fitting status and changes
 * nothing; a malformed request of any kind gets a 400, never a crash.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Address, PublicClient } from 'viem';
import {
  NOTIFIER_PROTOCOL_VERSION,
  NOTIFIER_SERVICE_NAME,
  SUBSCRIPTION_TOPICS,
  emailProblem,
  normalizeHandle,
  webhookUrlProblem,
  type NotifierAction,
  type NotifierInfo,
  type SubscriptionTopic,
} from 'harmony-paid-chat';
import { CLOCK_SKEW_SECONDS, MAX_BODY_BYTES, MAX_SIGNED_LIFETIME_SECONDS } from './protocol.js';
import { escapeHtml, simplePage, PAGE_STYLE, type Page } from './html.js';
import { emailKey, hashToken, newToken, newUnsubId, renderConfirmation, TOPIC_TEXT, verifyUnsubscribeToken } from './emails.js';
import { HttpError, verifySignedRequest } from './signed.js';
import { clientKey, TokenBuckets } from './ratelimit.js';
import { addressAllowed, newWebhookId, newWebhookSecret } from './webhooks.js';
import type { NotifierConfig } from './config.js';
import type { Store, Webhook } from './store/store.js';
import type { Logger } from './log.js';
import type { Mailer } from './mailer.js';

export { HttpError } from './signed.js';

export interface HttpContext {
  cfg: NotifierConfig;
  store: Store;
  log: Logger;
  /** Sends confirmation emails (its own connection: the outbox's queue never delays them). */
  mailer: Mailer;
  from: string;
  secret: string;
  chainId: number;
  chainName: string;
  contract: Address;
  reader: PublicClient;
  /** Filled in once the server listens (the port may be chosen by the OS). */
  publicUrl: () => string;
  widgetRpcUrl: string;
  status: () => Promise<Record<string, unknown>>;
}

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
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const JSON_HEADERS = { 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" };

function errorBody(e: HttpError) {
  return { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
}

function json(c: Context, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return c.body(text, status as any, { 'content-type': 'application/json; charset=utf-8', ...JSON_HEADERS, ...headers });
}

function page(c: Context, p: Page) {
  return c.body(p.body, p.status as any, p.headers);
}

/** The raw value of one query parameter, percent-decoded; a malformed escape is a 400, not a crash. */
function queryParam(c: Context, name: string): string {
  const raw = c.req.url.split('?')[1] ?? '';
  for (const part of raw.split('&')) {
    const [k, v = ''] = part.split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      throw new HttpError(400, 'bad_request', `The query parameter "${name}" has a malformed percent-escape.`);
    }
  }
  return '';
}

export function createApp(ctx: HttpContext): Hono {
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
  const restricted = cfg.allowedOrigins.length > 0;
  const originAllowed = (origin: string | undefined) => !restricted || (origin !== undefined && (cfg.allowedOrigins.includes(origin) || origin === new URL(ctx.publicUrl()).origin));
  const notifierUri = () => ctx.publicUrl();
  /** The path the public URL adds in front of ours (a reverse proxy's prefix), '' when none: links and forms go through it. */
  const basePath = () => new URL(ctx.publicUrl()).pathname.replace(/\/+$/, '');

  /**
   * The confirm and unsubscribe buttons post only from this notifier's own pages (or a mail
   * client's one-click request, which sends no Origin): a cross-site form cannot press them for
   * someone. `Origin: null` is what a browser sends from our own pages (their Referrer-Policy is
   * no-referrer); Sec-Fetch-Site, when sent, tells same-origin from cross-site.
   */
  function refuseCrossSite(c: Context) {
    const site = c.req.header('sec-fetch-site');
    const origin = c.req.header('origin');
    const own = [new URL(ctx.publicUrl()).origin, new URL(c.req.url).origin];
    if ((site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && origin !== 'null' && !own.includes(origin))) {
      log.warn('cross-site form post refused', { path: c.req.path, origin: origin ?? null, site: site ?? null });
      return page(c, simplePage(403, 'Not from this page', '<p>This button works only on the page the email links to. Open the link from the email and press the button there.</p>'));
    }
    return undefined;
  }

  function info(): NotifierInfo {
    return {
      status: 'ok',
      service: NOTIFIER_SERVICE_NAME,
      uri: notifierUri(),
      chainId: ctx.chainId,
      contract: ctx.contract,
      version: NOTIFIER_PROTOCOL_VERSION,
      maxLifetimeSeconds: MAX_SIGNED_LIFETIME_SECONDS,
      topics: [...SUBSCRIPTION_TOPICS],
      webhooks: cfg.webhooks,
    };
  }

  function clientIp(c: Context): string {
    if (cfg.trustProxy) {
      const xff = (c.req.header('x-forwarded-for') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (xff.length) return xff[xff.length - 1]!;
    }
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      return 'unknown';
    }
  }

  function rateLimit(buckets: TokenBuckets, key: string, scope: 'ip' | 'address', what: string) {
    const r = buckets.take(key);
    if (!r.ok) {
      throw new HttpError(429, 'rate_limited', `Too many requests ${what}. Try again in ${r.retryAfterSec} s.`, { scope, retryAfterSeconds: r.retryAfterSec }, { 'retry-after': String(r.retryAfterSec) });
    }
  }

  /** The JSON object of a POST, with only `fields` allowed. */
  async function readJson(c: Context, fields: readonly string[]): Promise<Record<string, unknown>> {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(type.trim())) {
      throw new HttpError(415, 'unsupported_media_type', 'Send the body as Content-Type: application/json.', { contentType: type || null });
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await c.req.arrayBuffer()));
    } catch (e) {
      if (e instanceof HttpError) throw e;
      throw new HttpError(400, 'json_invalid', 'The body is not valid JSON (UTF-8).');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body_invalid', `The body must be a JSON object with ${fields.join(', ')}.`);
    for (const k of Object.keys(body)) {
      if (!fields.includes(k)) throw new HttpError(400, 'field_unknown', `Unknown field "${k}". Allowed: ${fields.join(', ')}.`, { field: k });
    }
    for (const [k, v] of Object.entries(body)) if (typeof v !== 'string') throw new HttpError(400, 'field_invalid', `The field "${k}" must be a string.`, { field: k });
    return body as Record<string, unknown>;
  }

  /** Verifies a signed request for `action`, spends its nonce and charges its address. */
  async function signed(c: Context, body: Record<string, unknown>, action: NotifierAction, spendNonce: boolean) {
    const v = await verifySignedRequest({ body, origin: c.req.header('origin') ?? null, action, notifierUri: notifierUri(), chainId: ctx.chainId, reader: ctx.reader });
    if (await store.hasNonce(v.nonce)) throw new HttpError(409, 'nonce_used', 'This nonce was used already. Sign a new request (with a new nonce).');
    // Charged only once the signature verified: nobody can exhaust someone else's allowance.
    rateLimit(addressBuckets, v.address, 'address', `for ${v.address}`);
    if (spendNonce && !(await store.useNonce(v.nonce, v.address, v.expiresAt + CLOCK_SKEW_SECONDS * 1000))) {
      throw new HttpError(409, 'nonce_used', 'This nonce was used already. Sign a new request (with a new nonce).');
    }
    return v;
  }

  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof HttpError) {
      if (err.status === 429) log.warn('rate limited', { path: c.req.path, ip: clientIp(c), scope: err.details?.scope });
      return json(c, err.status, errorBody(err), err.headers);
    }
    log.error('request failed', { path: c.req.path, error: String((err as Error)?.stack ?? err) });
    return json(c, 500, errorBody(new HttpError(500, 'internal', 'Something went wrong on our side; nothing was changed.')));
  });
  app.notFound((c) => json(c, 404, errorBody(new HttpError(404, 'not_found', `Nothing at ${c.req.path}.`))));

  app.use('*', secureHeaders({ crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false, strictTransportSecurity: false, xFrameOptions: 'DENY', referrerPolicy: 'no-referrer' }));

  // Public API: any site, no credentials (unless the operator restricted the origins).
  const publicCors = cors({
    origin: (origin) => (restricted ? (originAllowed(origin) ? origin : null) : '*'),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['content-type'],
    maxAge: 600,
  });
  for (const path of ['/v1/health', '/v1/subscriptions', '/v1/webhooks', '/v1/webhooks/*']) {
    app.use(path, async (c, next) => {
      const origin = c.req.header('origin');
      if (restricted && origin !== undefined && !originAllowed(origin) && (c.req.method === 'OPTIONS' || c.req.method === 'POST')) {
        throw new HttpError(403, 'origin_not_allowed', `Requests from ${origin} are not allowed by this notifier's operator (--allowed-origins).`);
      }
      return next();
    });
    app.use(path, publicCors);
  }
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => json(c, 413, errorBody(new HttpError(413, 'body_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`, { limit: MAX_BODY_BYTES })), { connection: 'close' }),
  });
  for (const path of ['/v1/subscriptions', '/v1/webhooks', '/v1/webhooks/*', '/v1/confirm', '/v1/unsubscribe']) app.on(['POST'], path, limit);

  const methods = (allowed: string) => (c: Context) => {
    throw new HttpError(405, 'method_not_allowed', `Use ${allowed} on ${c.req.path}.`, undefined, { allow: allowed });
  };

  app.get('/v1/health', (c) => json(c, 200, info()));
  app.all('/v1/health', methods('GET'));

  // ---------------------------------------------------------------- subscriptions

  app.post('/v1/subscriptions', async (c) => {
    rateLimit(ipBuckets, clientKey(clientIp(c)), 'ip', 'from your network');
    const body = await readJson(c, ['message', 'signature', 'email', 'topic']);
    for (const k of ['message', 'signature', 'email', 'topic']) if (body[k] === undefined) throw new HttpError(400, 'field_missing', `The field "${k}" is missing.`, { field: k });
    const email = body.email as string;
    const emailIssue = emailProblem(email);
    if (emailIssue) throw new HttpError(400, 'email_invalid', emailIssue, { field: 'email' });
    const topic = body.topic as SubscriptionTopic;
    if (!SUBSCRIPTION_TOPICS.includes(topic)) throw new HttpError(400, 'topic_invalid', 'The topic must be "inbox" (as a creator) or "outbox" (as a sender).', { field: 'topic' });
    const v = await signed(c, body, { type: 'subscribe', email, topic }, false);

    const now = Date.now();
    const { token, hash } = newToken();
    const confirmBy = now + cfg.confirmTtlSec * 1000;
    const added = await store.addPending({
      address: v.address,
      topic,
      email,
      emailKey: emailKey(ctx.secret, email),
      tokenHash: hash,
      nonce: v.nonce,
      nonceExpiresAt: v.expiresAt + CLOCK_SKEW_SECONDS * 1000,
      now,
      expiresAt: confirmBy,
      perEmail: { max: cfg.rateEmail.capacity, windowMs: cfg.rateEmail.perMs },
    });
    if (added === 'nonce_used') throw new HttpError(409, 'nonce_used', 'This nonce was used already. Sign a new request (with a new nonce).');
    if ('quota' in added) {
      const retry = Math.ceil(added.quota.retryAfterMs / 1000);
      throw new HttpError(429, 'rate_limited', `This email address has received the most confirmation emails allowed for now. Try again in ${Math.ceil(retry / 3600)} h.`, { scope: 'email', retryAfterSeconds: retry }, { 'retry-after': String(retry) });
    }
    const link = `${ctx.publicUrl()}/v1/confirm?token=${token}`;
    const mail = renderConfirmation({ address: v.address, topic, email, link, expiresAt: confirmBy, site: v.origin, serviceHost: new URL(ctx.publicUrl()).host, chainName: ctx.chainName });
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
      await store.undoPending(added.id, v.nonce);
      log.error('confirmation email failed', { address: v.address, error: String((e as Error)?.message ?? e) });
      throw new HttpError(503, 'mail_unavailable', 'The confirmation email could not be sent right now; nothing was stored. Try again later (the same signed request works until it expires).');
    }
    log.info('subscription requested', { address: v.address, topic, site: v.origin });
    return json(c, 202, { status: 'confirmation_sent', address: v.address, email, topic, confirmBy: new Date(confirmBy).toISOString() });
  });
  app.all('/v1/subscriptions', methods('POST, OPTIONS'));

  const confirmPage = async (c: Context, token: string) => {
    if (!TOKEN.test(token)) {
      return page(c, simplePage(404, 'This link is not valid', '<p>The confirmation link is incomplete or wrong. Copy the whole link from the email, or subscribe again.</p>'));
    }
    const state = await store.pendingState(hashToken(token), Date.now());
    switch (state.status) {
      case 'invalid':
        return page(c, simplePage(404, 'This link is not valid', '<p>This confirmation link is unknown (it may be from an older request). Subscribe again from the chat widget.</p>'));
      case 'expired':
        return page(c, simplePage(410, 'This link has expired', '<p>Confirmation links work for a limited time. Subscribe again from the chat widget.</p>'));
      case 'superseded':
        return page(c, simplePage(410, 'This link was replaced', '<p>A newer request was made for this wallet address; only the link in the newest email works.</p>'));
      case 'confirmed':
        return page(c, simplePage(200, 'Already confirmed', `<p>Notifications for <code>${escapeHtml(state.address)}</code> were already confirmed for ${escapeHtml(state.email)}.</p>`));
      case 'pending':
        return page(
          c,
          simplePage(
            200,
            'Confirm email notifications?',
            `<p>Send ${escapeHtml(state.email)} an email about ${escapeHtml(TOPIC_TEXT[state.topic])} for <code>${escapeHtml(state.address)}</code>?</p>
<form method="post" action="${escapeHtml(basePath())}/v1/confirm"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Confirm</button></form>
<p>Nothing changes until you press the button. If you did not ask for this, close this page.</p>`,
          ),
        );
    }
  };

  app.get('/v1/confirm', async (c) => {
    rateLimit(ipBuckets, clientKey(clientIp(c)), 'ip', 'from your network');
    return confirmPage(c, queryParam(c, 'token'));
  });
  app.post('/v1/confirm', async (c) => {
    rateLimit(ipBuckets, clientKey(clientIp(c)), 'ip', 'from your network');
    const crossSite = refuseCrossSite(c);
    if (crossSite) return crossSite;
    let token = queryParam(c, 'token');
    if (!token) {
      const form = await c.req.text();
      for (const part of form.split('&')) {
        const [k, v = ''] = part.split('=');
        if (k !== 'token') continue;
        try {
          token = decodeURIComponent(v.replace(/\+/g, ' '));
        } catch {
          throw new HttpError(400, 'bad_request', 'The form field "token" has a malformed percent-escape.');
        }
      }
    }
    if (!TOKEN.test(token)) return page(c, simplePage(404, 'This link is not valid', '<p>The confirmation link is incomplete or wrong. Copy the whole link from the email, or subscribe again.</p>'));
    const r = await store.confirm(hashToken(token), Date.now(), newUnsubId);
    switch (r.status) {
      case 'invalid':
        return page(c, simplePage(404, 'This link is not valid', '<p>This confirmation link is unknown. Subscribe again from the chat widget.</p>'));
      case 'expired':
        return page(c, simplePage(410, 'This link has expired', '<p>Confirmation links work for a limited time. Subscribe again from the chat widget.</p>'));
      case 'superseded':
        return page(c, simplePage(410, 'This link was replaced', '<p>A newer request was made for this wallet address; only the link in the newest email works.</p>'));
      case 'already':
        return page(c, simplePage(200, 'Already confirmed', `<p>Notifications for <code>${escapeHtml(r.address)}</code> were already confirmed for ${escapeHtml(r.email)}.</p>`));
      case 'confirmed':
        log.info('subscription confirmed', { address: r.address, topic: r.topic });
        return page(
          c,
          simplePage(
            200,
            'Email notifications are on',
            `<p>${escapeHtml(r.email)} will now get an email about ${escapeHtml(TOPIC_TEXT[r.topic])} for <code>${escapeHtml(r.address)}</code>.</p><p>Every email has a one-click unsubscribe link.</p>`,
          ),
        );
    }
  });
  app.all('/v1/confirm', methods('GET, POST'));

  const unsubscribe = async (c: Context) => {
    const token = queryParam(c, 'token');
    const unsubId = verifyUnsubscribeToken(ctx.secret, token);
    if (c.req.method === 'POST') await c.req.arrayBuffer().catch(() => undefined); // "List-Unsubscribe=One-Click"; content is not needed
    if (!unsubId) return page(c, simplePage(404, 'This link is not valid', '<p>The unsubscribe link is incomplete or wrong. Copy the whole link from the email.</p>'));
    if (c.req.method === 'POST') {
      const crossSite = refuseCrossSite(c);
      if (crossSite) return crossSite;
      const removed = await store.unsubscribe(unsubId);
      if (removed) log.info('unsubscribed', { subscriptions: removed });
      return page(c, simplePage(200, 'Unsubscribed', '<p>This notifier will send no more email to this address, and keeps no copy of it.</p>'));
    }
    const sub = await store.subscriptionByUnsub(unsubId);
    if (!sub) return page(c, simplePage(200, 'Not subscribed', '<p>This subscription no longer exists; no emails will be sent for it.</p>'));
    const action = `${basePath()}/v1/unsubscribe?token=${encodeURIComponent(token)}`;
    return page(
      c,
      simplePage(
        200,
        'Unsubscribe?',
        `<p>Stop every email to ${escapeHtml(sub.email)} from this notifier (including these about <code>${escapeHtml(sub.address)}</code>)?</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      ),
    );
  };
  app.get('/v1/unsubscribe', unsubscribe);
  app.post('/v1/unsubscribe', unsubscribe);
  app.all('/v1/unsubscribe', methods('GET, POST'));

  // ---------------------------------------------------------------- webhooks

  const webhookView = (w: Webhook, withSecret: boolean) => ({
    id: w.id,
    url: w.url,
    createdAt: new Date(Number(w.created_at)).toISOString(),
    disabledAt: w.disabled_at ? new Date(Number(w.disabled_at)).toISOString() : null,
    ...(withSecret ? { secret: w.secret } : {}),
  });

  async function webhookUrl(body: Record<string, unknown>): Promise<string> {
    if (body.url === undefined) throw new HttpError(400, 'field_missing', 'The field "url" is missing.', { field: 'url' });
    const r = webhookUrlProblem(body.url, { allowHttpLoopback: cfg.webhookAllowHttpLoopback });
    if ('problem' in r) throw new HttpError(400, 'url_invalid', r.problem, { field: 'url' });
    if (r.url !== body.url) throw new HttpError(400, 'url_invalid', `Send the URL in its canonical form: ${r.url}`, { field: 'url', canonical: r.url });
    return r.url;
  }

  async function checkReachable(url: string) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    // One answer whether the name does not resolve or resolves only to private addresses: the
    // notifier's DNS view of the operator's network is not for the public.
    const refused = new HttpError(400, 'url_invalid', `The host ${host} of the webhook URL must resolve to a public address.`, { field: 'url' });
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw refused;
    }
    if (!addresses.some((a) => addressAllowed(a, cfg.webhookAllowHttpLoopback))) throw refused;
  }

  const webhooksOn = () => {
    if (!cfg.webhooks) throw new HttpError(404, 'not_found', 'Webhooks are turned off on this notifier (--webhooks off).');
  };

  app.post('/v1/webhooks', async (c) => {
    webhooksOn();
    rateLimit(ipBuckets, clientKey(clientIp(c)), 'ip', 'from your network');
    const body = await readJson(c, ['message', 'signature', 'url']);
    const url = await webhookUrl(body);
    const v = await signed(c, body, { type: 'add-webhook', url }, true);
    await checkReachable(url);
    const w = await store.addWebhook({ id: newWebhookId(), address: v.address, url, secret: newWebhookSecret(), now: Date.now(), max: cfg.webhooksPerAddress });
    if (w === 'too_many') throw new HttpError(409, 'too_many_webhooks', `An address may register at most ${cfg.webhooksPerAddress} endpoints; remove one first.`, { max: cfg.webhooksPerAddress });
    log.info('webhook registered', { address: v.address, id: w.id, host: new URL(url).host, site: v.origin });
    return json(c, 201, webhookView(w, true));
  });
  app.post('/v1/webhooks/remove', async (c) => {
    webhooksOn();
    rateLimit(ipBuckets, clientKey(clientIp(c)), 'ip', 'from your network');
    const body = await readJson(c, ['message', 'signature', 'url']);
    const url = await webhookUrl(body);
    const v = await signed(c, body, { type: 'remove-webhook', url }, true);
    const removed = await store.removeWebhook(v.address, url);
    if (removed) log.info('webhook removed', { address: v.address, host: new URL(url).host });
    return json(c, 200, { status: removed ? 'removed' : 'not_found', url });
  });
  app.post('/v1/webhooks/list', async (c) => {
    webhooksOn();
    rateLimit(ipBuckets, clientKey(clientIp(c)), 'ip', 'from your network');
    const body = await readJson(c, ['message', 'signature']);
    const v = await signed(c, body, { type: 'list-webhooks' }, true);
    return json(c, 200, { webhooks: (await store.webhooksOf(v.address)).map((w) => webhookView(w, false)) });
  });
  app.all('/v1/webhooks', methods('POST, OPTIONS'));
  app.all('/v1/webhooks/*', methods('POST, OPTIONS'));

  // ---------------------------------------------------------------- operator

  app.get('/v1/status', async (c) => {
    const expected = cfg.adminToken;
    if (!expected) throw new HttpError(401, 'unauthorized', 'The status endpoint is disabled: start the notifier with --admin-token.');
    const m = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
    const given = Buffer.from(m?.[1]?.trim() ?? '');
    const want = Buffer.from(expected);
    if (!(given.length === want.length && timingSafeEqual(given, want))) {
      throw new HttpError(401, 'unauthorized', 'Send Authorization: Bearer <admin token>.', undefined, { 'www-authenticate': 'Bearer' });
    }
    return json(c, 200, await ctx.status());
  });
  app.all('/v1/status', methods('GET'));

  // ---------------------------------------------------------------- pages

  app.get('/h/:handle', (c) => {
    let handle: string;
    try {
      const raw = /^\/h\/([^/]+)$/.exec(new URL(c.req.url).pathname)?.[1] ?? '';
      handle = normalizeHandle(decodeURIComponent(raw));
    } catch {
      return page(c, simplePage(404, 'No such handle', '<p>That is not a valid handle (3–32 characters of a-z, 0-9, _ and -).</p>'));
    }
    const built = existsSync(resolve(staticDir, WIDGET_SCRIPT));
    const attrs = [
      ['handle', handle],
      ['chain', typeof cfg.chain === 'number' ? String(cfg.chain) : cfg.chain],
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
<script type="module" src="${escapeHtml(basePath())}/widget/${WIDGET_SCRIPT}"></script>
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
    return c.body(body, 200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'`,
      'cache-control': 'no-cache',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
  });
  app.all('/h/:handle', methods('GET'));

  app.get('/widget/*', (c) => {
    const rel = new URL(c.req.url).pathname.slice('/widget/'.length);
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
    return c.body(Readable.toWeb(createReadStream(file)) as any, 200, {
      'content-type': STATIC_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(size),
      'cache-control': 'public, max-age=300',
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
    });
  });
  app.all('/widget/*', methods('GET'));

  app.get('/', (c) =>
    page(
      c,
      simplePage(
        200,
        'Harmony Paid Chat notifier',
        `<p>This service emails people about their paid messages on ${escapeHtml(ctx.chainName)}, and delivers signed webhooks to creators' tools. Subscribe from the chat widget; every email has a one-click unsubscribe link.</p>`,
      ),
    ),
  );
  app.all('/', methods('GET'));

  return app;
}
