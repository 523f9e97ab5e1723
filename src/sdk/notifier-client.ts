/**
 * The browser half of the email notifier's wire protocol (DOM-free, no Node imports): the exact
 * text an address signs to subscribe an email (Sign-In with Ethereum style, EIP-4361 layout), the
 * request and answer types, the error codes, and a small client. The notifier service
 * (`harmony-paid-chat-notifier`) imports these from the SDK's public entry, so both sides build the
 * same bytes.
 *
 *   const info = await fetchNotifierInfo(notifierUrl);
 *   const message = subscriptionMessage({ ...info, address, email, nonce: newNonce(), issuedAt, expiresAt });
 *   const { signature } = await chat.signText(message);
 *   POST {notifierUrl}/v1/subscriptions  { address, email, nonce, issuedAt, expiresAt, signature }
 *
 * or simply `await requestSubscription({ notifierUrl, address, email, signText: (m) => chat.signText(m) })`.
 */
import { getAddress, isAddress, type Address, type Hex } from 'viem';

/** Version line of the signed message; bump when its layout changes. */
export const SUBSCRIPTION_MESSAGE_VERSION = '1';
/** Name of the service, as it appears in the signed text and in emails. */
export const NOTIFIER_SERVICE_NAME = 'harmony-paid-chat notifier';
export const MAX_EMAIL_LENGTH = 254;

/** Every `error.code` the service answers with (`{ error: { code, message, details? } }`). */
export const NOTIFIER_ERROR_CODES = [
  'unsupported_media_type', // 415: Content-Type is not application/json
  'body_too_large', // 413
  'json_invalid', // 400: not JSON
  'body_invalid', // 400: JSON but not an object
  'field_missing', // 400: details.field
  'field_unknown', // 400: details.field
  'field_invalid', // 400: wrong type; details.field
  'address_invalid', // 400
  'email_invalid', // 400
  'nonce_invalid', // 400: 8–64 letters and digits
  'timestamp_invalid', // 400: issuedAt / expiresAt not ISO-8601 UTC, or expiresAt ≤ issuedAt
  'chain_mismatch', // 400: body.chainId is not the service's chain
  'signature_malformed', // 400: not 65 bytes of hex
  'issued_in_future', // 400: issuedAt later than now + skew
  'lifetime_too_long', // 400: expiresAt − issuedAt > MAX_SUBSCRIPTION_LIFETIME_SECONDS
  'expired', // 400: expiresAt has passed
  'signature_invalid', // 401: not signed by `address` over exactly this text
  'nonce_used', // 409
  'origin_not_allowed', // 403 (CORS)
  'rate_limited', // 429 + Retry-After
  'unauthorized', // 401: /v1/status without the admin token
  'not_found', // 404
  'method_not_allowed', // 405
  'token_invalid', // 404: unknown / malformed confirm or unsubscribe token
  'token_expired', // 410
  'mail_unavailable', // 503: the confirmation email could not be sent; nothing was stored
  'internal', // 500
] as const;
export type NotifierErrorCode = (typeof NOTIFIER_ERROR_CODES)[number];

export interface NotifierErrorBody {
  error: { code: NotifierErrorCode; message: string; details?: Record<string, unknown> };
}

/** What `GET /v1/health` tells a client so that it signs exactly the text the service expects. */
export interface NotifierInfo {
  status: 'ok';
  service: string;
  /** `domain` line of the signed message (host[:port] of the service's public URL). */
  domain: string;
  /** `URI:` line of the signed message (the service's public base URL). */
  uri: string;
  chainId: number;
  contract: Address;
  version: string;
  maxLifetimeSeconds: number;
}

export interface SubscriptionMessageFields {
  domain: string;
  uri: string;
  address: string;
  email: string;
  nonce: string;
  chainId: number;
  /** ISO-8601 UTC, e.g. 2026-01-02T03:04:05.000Z */
  issuedAt: string;
  /** ISO-8601 UTC */
  expiresAt: string;
}

/** The JSON body of `POST /v1/subscriptions`. */
export interface SubscriptionRequest {
  address: Address;
  email: string;
  nonce: string;
  issuedAt: string;
  expiresAt: string;
  signature: Hex;
  /** Optional; when given it must equal the service's chain id (clearer error than a bad signature). */
  chainId?: number;
}

export interface SubscriptionAccepted {
  status: 'confirmation_sent';
  address: Address;
  email: string;
  /** When the link in the confirmation email stops working. */
  confirmBy: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const NONCE = /^[A-Za-z0-9]{8,64}$/;
const DOMAIN = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
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

/** Parses an ISO-8601 UTC timestamp as the protocol writes them; undefined when malformed. */
export function parseIsoUtc(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_UTC.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
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

function fail(what: string): never {
  throw new TypeError(`subscriptionMessage: ${what}`);
}

/**
 * The exact plain text an address signs (EIP-191 `personal_sign`) to subscribe `email`. Both the
 * element and the service build it with this function, so the bytes always match. The address is
 * written in its EIP-55 checksummed form whatever case it is given in.
 *
 * @throws TypeError when a field would make the text ambiguous (newlines, malformed values).
 */
export function subscriptionMessage(f: SubscriptionMessageFields): string {
  if (typeof f.domain !== 'string' || !DOMAIN.test(f.domain)) fail(`domain "${String(f.domain)}" is not host[:port].`);
  if (typeof f.uri !== 'string' || /\s/.test(f.uri) || !/^https?:\/\/[^/]/.test(f.uri)) fail(`uri "${String(f.uri)}" is not an http(s) URL.`);
  if (typeof f.address !== 'string' || !isAddress(f.address, { strict: false })) fail(`address "${String(f.address)}" is not a 0x address.`);
  const problem = emailProblem(f.email);
  if (problem) fail(`email: ${problem}`);
  if (!isValidNonce(f.nonce)) fail('nonce must be 8–64 letters and digits.');
  if (!Number.isSafeInteger(f.chainId) || f.chainId <= 0) fail('chainId must be a positive integer.');
  if (parseIsoUtc(f.issuedAt) === undefined) fail('issuedAt must be ISO-8601 UTC (…Z).');
  if (parseIsoUtc(f.expiresAt) === undefined) fail('expiresAt must be ISO-8601 UTC (…Z).');
  return [
    `${f.domain} wants you to sign in with your Ethereum account:`,
    getAddress(f.address),
    '',
    `Subscribe ${f.email} to email notifications from the ${NOTIFIER_SERVICE_NAME} about paid messages, replies, refunds and reply deadlines for this address.`,
    '',
    `URI: ${f.uri}`,
    `Version: ${SUBSCRIPTION_MESSAGE_VERSION}`,
    `Chain ID: ${f.chainId}`,
    `Nonce: ${f.nonce}`,
    `Issued At: ${f.issuedAt}`,
    `Expiration Time: ${f.expiresAt}`,
  ].join('\n');
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

function baseUrl(notifierUrl: string): string {
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

/** `GET /v1/health`: the domain, URI and chain the signed text must name. */
export async function fetchNotifierInfo(notifierUrl: string, fetchFn: FetchLike = globalThis.fetch as any): Promise<NotifierInfo> {
  return call<NotifierInfo>(fetchFn, `${baseUrl(notifierUrl)}/v1/health`);
}

/**
 * Builds the message, has the wallet sign it and posts the subscription. On success the service
 * has mailed a confirmation link to `email`; nothing else is sent before it is followed.
 *
 * @throws NotifierRequestError with the service's error code (or `network`).
 */
export async function requestSubscription(opts: {
  notifierUrl: string;
  address: string;
  email: string;
  signText: (message: string) => Promise<{ signature: Hex } | Hex>;
  lifetimeSeconds?: number;
  fetch?: FetchLike;
  now?: () => Date;
}): Promise<SubscriptionAccepted> {
  const fetchFn = opts.fetch ?? (globalThis.fetch as any as FetchLike);
  const info = await fetchNotifierInfo(opts.notifierUrl, fetchFn);
  const now = opts.now?.() ?? new Date();
  const lifetime = Math.min(opts.lifetimeSeconds ?? 600, info.maxLifetimeSeconds);
  const fields = {
    domain: info.domain,
    uri: info.uri,
    address: getAddress(opts.address),
    email: opts.email,
    nonce: newNonce(),
    chainId: info.chainId,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + lifetime * 1000).toISOString(),
  };
  const message = subscriptionMessage(fields);
  const signed = await opts.signText(message);
  const signature = typeof signed === 'string' ? signed : signed.signature;
  const body: SubscriptionRequest = {
    address: fields.address,
    email: fields.email,
    nonce: fields.nonce,
    issuedAt: fields.issuedAt,
    expiresAt: fields.expiresAt,
    signature,
    chainId: info.chainId,
  };
  return call<SubscriptionAccepted>(fetchFn, `${baseUrl(opts.notifierUrl)}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
