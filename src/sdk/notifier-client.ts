/**
 * The browser half of the notifier's wire protocol (DOM-free, no Node imports): what a person signs
 * to subscribe an email or register a webhook, the request and answer types, the error codes, and a
 * small client. The notifier service (`harmony-paid-chat-notifier`) imports the same functions from
 * the SDK's public entry, so both sides build the same bytes.
 *
 * Every signed request is an EIP-4361 (Sign-In with Ethereum) message made with `viem/siwe`, bound to
 * the site the person is on: its `scheme`, `domain` and `URI` are the page's origin (the wallet
 * shows that site, and warns when a page asks for another one's), and the notifier refuses it unless
 * they match the request's `Origin` header. The statement says what the signature allows, in words;
 * the only resource is the notifier's own URL, so a signature for one notifier is useless at another.
 *
 *   const r = await requestSubscription({
 *     notifierUrl, origin: location.origin, address, email, topic: 'inbox',
 *     signText: (message) => chat.signText(message),
 *   });
 */
import { createSiweMessage } from 'viem/siwe';
import { getAddress, isAddress, type Address, type Hex } from 'viem';

/** Version of the notifier's HTTP protocol (`GET /v1/health` → `version`). */
export const NOTIFIER_PROTOCOL_VERSION = '2';
/** @deprecated The name of protocol 1; the same value as NOTIFIER_PROTOCOL_VERSION. */
export const SUBSCRIPTION_MESSAGE_VERSION = NOTIFIER_PROTOCOL_VERSION;
/** Name of the service, as it appears in emails and pages. */
export const NOTIFIER_SERVICE_NAME = 'harmony-paid-chat notifier';
export const MAX_EMAIL_LENGTH = 254;
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * What an email subscription is about:
 * - `inbox`: as a creator — a new paid message, a follow-up from a visitor, a reply deadline coming;
 * - `outbox`: as a sender — the creator replied or followed up, the coins came back.
 */
export type SubscriptionTopic = 'inbox' | 'outbox';
export const SUBSCRIPTION_TOPICS: readonly SubscriptionTopic[] = ['inbox', 'outbox'];

/** What a signed request asks the notifier to do. */
export type NotifierAction =
  | { type: 'subscribe'; email: string; topic: SubscriptionTopic }
  | { type: 'add-webhook'; url: string }
  | { type: 'remove-webhook'; url: string }
  | { type: 'list-webhooks' };

/** Every `error.code` the service answers with (`{ error: { code, message, details? } }`). */
export const NOTIFIER_ERROR_CODES = [
  'unsupported_media_type', // 415: Content-Type is not application/json
  'body_too_large', // 413
  'bad_request', // 400: a malformed URL, query or form
  'json_invalid', // 400: not JSON
  'body_invalid', // 400: JSON but not an object
  'field_missing', // 400: details.field
  'field_unknown', // 400: details.field
  'field_invalid', // 400: wrong type or value; details.field
  'address_invalid', // 400
  'email_invalid', // 400
  'topic_invalid', // 400: not inbox / outbox
  'url_invalid', // 400: a webhook URL that is not https (or not allowed here)
  'message_invalid', // 400: not an EIP-4361 message, or not in the canonical form
  'statement_mismatch', // 400: the signed statement does not say what the body asks for
  'notifier_mismatch', // 400: the message names another notifier (resources)
  'nonce_invalid', // 400: 8–64 letters and digits
  'timestamp_invalid', // 400: Issued At / Expiration Time missing or malformed, or expiry ≤ issue
  'chain_mismatch', // 400: the message's chain id is not the service's chain
  'signature_malformed', // 400: not hex
  'issued_in_future', // 400: issuedAt later than now + skew
  'lifetime_too_long', // 400: expirationTime − issuedAt > maxLifetimeSeconds
  'expired', // 400: expirationTime has passed
  'origin_mismatch', // 403: the message's scheme / domain / URI is not the request's Origin
  'origin_not_allowed', // 403: the operator restricted the origins (--allowed-origins)
  'signature_invalid', // 401: not signed by the address over exactly this text (EOA or EIP-1271)
  'nonce_used', // 409
  'rate_limited', // 429 + Retry-After; details.scope: ip | address | email
  'unauthorized', // 401: /v1/status without the admin token
  'not_found', // 404
  'method_not_allowed', // 405
  'token_invalid', // 404: unknown / malformed confirm or unsubscribe token
  'token_expired', // 410
  'too_many_webhooks', // 409: the address has the most endpoints allowed
  'mail_unavailable', // 503: the confirmation email could not be sent; nothing was stored
  'chain_unavailable', // 503: a contract wallet's signature could not be checked (RPC down)
  'internal', // 500
] as const;
export type NotifierErrorCode = (typeof NOTIFIER_ERROR_CODES)[number];

export interface NotifierErrorBody {
  error: { code: NotifierErrorCode; message: string; details?: Record<string, unknown> };
}

/** What `GET /v1/health` tells a client so that it signs exactly what the service expects. */
export interface NotifierInfo {
  status: 'ok';
  service: string;
  /** The notifier's public base URL: the one resource of every signed message. */
  uri: string;
  chainId: number;
  contract: Address;
  version: string;
  maxLifetimeSeconds: number;
  topics: SubscriptionTopic[];
  webhooks: boolean;
}

/** The fields of a signed request's EIP-4361 message. */
export interface NotifierMessageFields {
  /** The page's origin (`location.origin`): its scheme, host and port become scheme, domain and URI. */
  origin: string;
  /** The notifier's public base URL (`NotifierInfo.uri`). */
  notifierUri: string;
  address: string;
  chainId: number;
  nonce: string;
  issuedAt: Date;
  expirationTime: Date;
  action: NotifierAction;
}

/** The JSON body of a signed request: the message, its signature, and what it asks for. */
export type SignedRequestBody = { message: string; signature: Hex } & (
  | { email: string; topic: SubscriptionTopic }
  | { url: string }
  | Record<string, never>
);

export interface SubscriptionAccepted {
  status: 'confirmation_sent';
  address: Address;
  email: string;
  topic: SubscriptionTopic;
  /** When the link in the confirmation email stops working. */
  confirmBy: string;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  createdAt: string;
  /** Only in the answer to registering it: the key the deliveries are signed with (`whsec_…`). */
  secret?: string;
  /** Set when deliveries kept failing and the endpoint was switched off. */
  disabledAt?: string | null;
}

const NONCE = /^[A-Za-z0-9]{8,64}$/;
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Why `email` is not an address the service mails, or null when it is fine. */
export function emailProblem(email: unknown): string | null {
  if (typeof email !== 'string') return 'The email must be a string.';
  if (email.length === 0) return 'The email is empty.';
  if (email.length > MAX_EMAIL_LENGTH) return `The email is longer than ${MAX_EMAIL_LENGTH} characters.`;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return 'The email needs one "@" with text on both sides.';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64) return 'The part before "@" is longer than 64 characters.';
  if (!LOCAL_PART.test(local)) return 'The part before "@" holds characters an email address cannot (spaces, quotes, "@", two dots in a row…).';
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return 'The part after "@" is not a domain name like example.com.';
  if (!/^([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/.test(labels[labels.length - 1]!)) return 'The domain does not end in a top-level domain like .com.';
  return null;
}

export function isValidEmail(email: unknown): email is string {
  return emailProblem(email) === null;
}

export function isValidNonce(nonce: unknown): nonce is string {
  return typeof nonce === 'string' && NONCE.test(nonce);
}

/** A random nonce of 16 letters and digits (EIP-4361 asks for at least 8). */
export function newNonce(length = 16): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const out: string[] = [];
  while (out.length < length) {
    for (const b of globalThis.crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248 && out.length < length) out.push(alphabet[b % 62]!); // 248 = 4 × 62: no bias
    }
  }
  return out.join('');
}

/**
 * A webhook URL in its canonical form, or a reason it is refused. Only `https:` — except, when
 * `allowHttpLoopback` (a notifier started with `--webhook-allow-http-loopback`, for development),
 * `http:` to a loopback host. No credentials in the URL, no fragment.
 */
export function webhookUrlProblem(url: unknown, opts: { allowHttpLoopback?: boolean } = {}): { url: string } | { problem: string } {
  if (typeof url !== 'string' || url.length === 0) return { problem: 'The webhook URL must be a non-empty string.' };
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return { problem: `The webhook URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters.` };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { problem: 'The webhook URL is not a URL.' };
  }
  if (u.username || u.password) return { problem: 'The webhook URL must not carry a user name or password.' };
  if (u.hash) return { problem: 'The webhook URL must not have a #fragment.' };
  const loopback = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i.test(u.hostname);
  if (u.protocol === 'https:') return { url: u.href };
  if (u.protocol === 'http:' && loopback && opts.allowHttpLoopback) return { url: u.href };
  return { problem: 'The webhook URL must start with https:// (http:// only to a loopback host on a notifier run for development).' };
}

/**
 * The human-readable statement of a signed request: what the signature allows, nothing else. ASCII,
 * one line (EIP-4361). `notifierHost` is the host of the notifier's public URL.
 *
 * @throws TypeError for an action that cannot be said unambiguously (a bad email, topic or URL).
 */
export function notifierStatement(action: NotifierAction, notifierHost: string): string {
  const by = `(notifications by ${notifierHost})`;
  switch (action.type) {
    case 'subscribe': {
      const problem = emailProblem(action.email);
      if (problem) throw new TypeError(`notifierStatement: email: ${problem}`);
      if (action.topic === 'inbox') return `Email ${action.email} when someone sends me a paid message or a follow-up, and before a reply deadline ${by}.`;
      if (action.topic === 'outbox') return `Email ${action.email} when a creator replies to my paid messages or follows up, and when my coins come back ${by}.`;
      throw new TypeError(`notifierStatement: topic "${String((action as { topic?: unknown }).topic)}" is not inbox or outbox.`);
    }
    case 'add-webhook':
    case 'remove-webhook': {
      if (typeof action.url !== 'string' || !/^[\x21-\x7e]+$/.test(action.url)) throw new TypeError('notifierStatement: the webhook URL must be printable ASCII without spaces.');
      return action.type === 'add-webhook'
        ? `Send signed webhooks about my paid messages (new messages, replies, refunds, follow-ups; never their text) to ${action.url} ${by}.`
        : `Stop the webhooks to ${action.url} ${by}.`;
    }
    case 'list-webhooks':
      return `Show the webhooks registered for this address ${by}.`;
    default:
      throw new TypeError(`notifierStatement: unknown action "${String((action as { type?: unknown }).type)}".`);
  }
}

/**
 * The exact EIP-4361 text a wallet signs (EIP-191 `personal_sign`, or EIP-1271 for a contract wallet)
 * for a notifier request, built with viem's `createSiweMessage`. The element and the service both
 * build it with this function, so the bytes always match.
 *
 * @throws TypeError (or viem's SiweInvalidMessageFieldError) when a field is malformed.
 */
export function notifierSignInMessage(f: NotifierMessageFields): string {
  let origin: URL;
  let notifier: URL;
  try {
    origin = new URL(f.origin);
    notifier = new URL(f.notifierUri);
  } catch {
    throw new TypeError('notifierSignInMessage: origin and notifierUri must be absolute http(s) URLs.');
  }
  if (!/^https?:$/.test(origin.protocol) || !/^https?:$/.test(notifier.protocol)) throw new TypeError('notifierSignInMessage: origin and notifierUri must be http(s).');
  if (typeof f.address !== 'string' || !isAddress(f.address, { strict: false })) throw new TypeError(`notifierSignInMessage: address "${String(f.address)}" is not a 0x address.`);
  if (!isValidNonce(f.nonce)) throw new TypeError('notifierSignInMessage: nonce must be 8–64 letters and digits.');
  return createSiweMessage({
    scheme: origin.protocol.slice(0, -1),
    domain: origin.host,
    uri: origin.origin,
    address: getAddress(f.address),
    statement: notifierStatement(f.action, notifier.host),
    version: '1',
    chainId: f.chainId,
    nonce: f.nonce,
    issuedAt: f.issuedAt,
    expirationTime: f.expirationTime,
    resources: [notifierBase(f.notifierUri)],
  });
}

/** An error answer of the service, with its code and HTTP status. */
export class NotifierRequestError extends Error {
  override name = 'NotifierRequestError';
  constructor(
    readonly code: NotifierErrorCode | 'network',
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type FetchLike = (input: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

function notifierBase(notifierUrl: string): string {
  return notifierUrl.replace(/\/+$/, '');
}

async function call<T>(fetchFn: FetchLike, url: string, init?: Parameters<FetchLike>[1]): Promise<T> {
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetchFn(url, init);
  } catch (e) {
    throw new NotifierRequestError('network', `Can't reach the notifier at ${url}: ${(e as Error)?.message ?? e}`, 0);
  }
  const body = (await res.json().catch(() => undefined)) as any;
  if (!res.ok) {
    const err = body?.error;
    throw new NotifierRequestError(err?.code ?? 'internal', err?.message ?? `The notifier answered ${res.status}.`, res.status, err?.details ?? {});
  }
  return body as T;
}

/** `GET /v1/health`: the notifier's URL and chain, which every signed message names. */
export async function fetchNotifierInfo(notifierUrl: string, fetchFn: FetchLike = globalThis.fetch as any): Promise<NotifierInfo> {
  return call<NotifierInfo>(fetchFn, `${notifierBase(notifierUrl)}/v1/health`);
}

/** Options shared by every signed request. */
export interface SignedRequestOptions {
  notifierUrl: string;
  /** The page's origin (`location.origin` in a browser); a browser sends the same as the Origin header. */
  origin: string;
  address: string;
  signText: (message: string) => Promise<{ signature: Hex } | Hex>;
  /** Seconds the signature stays usable (default 600, at most the service's maximum). */
  lifetimeSeconds?: number;
  fetch?: FetchLike;
  now?: () => Date;
}

/** Signs `action` for the notifier and POSTs it to `path` with `fields`. */
async function signedRequest<T>(o: SignedRequestOptions, path: string, action: NotifierAction, fields: Record<string, unknown>): Promise<T> {
  const fetchFn = o.fetch ?? (globalThis.fetch as any as FetchLike);
  const info = await fetchNotifierInfo(o.notifierUrl, fetchFn);
  const now = o.now?.() ?? new Date();
  const lifetime = Math.min(o.lifetimeSeconds ?? 600, info.maxLifetimeSeconds);
  const message = notifierSignInMessage({
    origin: o.origin,
    notifierUri: info.uri,
    address: o.address,
    chainId: info.chainId,
    nonce: newNonce(),
    issuedAt: now,
    expirationTime: new Date(now.getTime() + lifetime * 1000),
    action,
  });
  const signed = await o.signText(message);
  const signature = typeof signed === 'string' ? signed : signed.signature;
  return call<T>(fetchFn, `${notifierBase(o.notifierUrl)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, signature, ...fields }),
  });
}

/**
 * Subscribes `email` to the notifications of `address` about `topic` (`inbox` for a creator,
 * `outbox` for a sender). On success the service has mailed a confirmation link; nothing else is
 * sent before the person opens it and presses the button on that page.
 *
 * @throws NotifierRequestError with the service's error code (or `network`).
 */
export async function requestSubscription(o: SignedRequestOptions & { email: string; topic?: SubscriptionTopic }): Promise<SubscriptionAccepted> {
  const topic = o.topic ?? 'inbox';
  return signedRequest(o, '/v1/subscriptions', { type: 'subscribe', email: o.email, topic }, { email: o.email, topic });
}

/** Registers an HTTPS endpoint for signed webhooks about `address`'s messages; the answer holds its secret (once). */
export async function registerWebhook(o: SignedRequestOptions & { url: string }): Promise<WebhookEndpoint> {
  const url = canonicalUrl(o.url);
  return signedRequest(o, '/v1/webhooks', { type: 'add-webhook', url }, { url });
}

/** The URL as the service compares it (`new URL(url).href`); the service says why when it refuses it. */
function canonicalUrl(url: string): string {
  const r = webhookUrlProblem(url, { allowHttpLoopback: true });
  return 'url' in r ? r.url : url;
}

/** Removes the endpoint `url` of `address`. */
export async function removeWebhook(o: SignedRequestOptions & { url: string }): Promise<{ status: 'removed' | 'not_found'; url: string }> {
  const url = canonicalUrl(o.url);
  return signedRequest(o, '/v1/webhooks/remove', { type: 'remove-webhook', url }, { url });
}

/** The endpoints registered for `address` (without their secrets). */
export async function listWebhooks(o: SignedRequestOptions): Promise<{ webhooks: WebhookEndpoint[] }> {
  return signedRequest(o, '/v1/webhooks/list', { type: 'list-webhooks' }, {});
}
