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
import { timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
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
  webhookUrlProblem,
  type NotifierAction,
  type NotifierInfo,
  type SubscriptionTopic,
} from 'harmony-paid-chat';
import { CLOCK_SKEW_SECONDS, MAX_BODY_BYTES, MAX_SIGNED_LIFETIME_SECONDS } from './protocol.js';
import { emailKey, newToken, renderConfirmation } from './emails.js';
import { errorBody, json, methods } from './http-kit.js';
import { linkRoutes } from './http-links.js';
import { pageRoutes } from './http-pages.js';
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


export function createApp(ctx: HttpContext): Hono {
  const { cfg, store, log } = ctx;
  const ipBuckets = new TokenBuckets(cfg.rateIp);
  const addressBuckets = new TokenBuckets(cfg.rateAddress);
  const restricted = cfg.allowedOrigins.length > 0;
  const originAllowed = (origin: string | undefined) => !restricted || (origin !== undefined && (cfg.allowedOrigins.includes(origin) || origin === new URL(ctx.publicUrl()).origin));
  const notifierUri = () => ctx.publicUrl();
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

  linkRoutes(app, ctx, (c: Context) => rateLimit(ipBuckets, clientKey(clientIp(c)), 'ip', 'from your network'));

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

  pageRoutes(app, ctx);

  return app;
}
