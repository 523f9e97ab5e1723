/** Small pieces the notifier's HTTP routes share: JSON and page answers, query parameters, 405s, the public URL's path. */
import type { Context } from 'hono';
import type { Page } from './html.js';
import { HttpError } from './signed.js';

const JSON_HEADERS = { 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" };

export function errorBody(e: HttpError) {
  return { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
}

export function json(c: Context, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return c.body(text, status as any, { 'content-type': 'application/json; charset=utf-8', ...JSON_HEADERS, ...headers });
}

export function page(c: Context, p: Page) {
  return c.body(p.body, p.status as any, p.headers);
}

/** The raw value of one query parameter, percent-decoded; a malformed escape is a 400, not a crash. */
export function queryParam(c: Context, name: string): string {
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

/** A handler for the methods a path does not take: 405 with Allow. */
export const methods = (allowed: string) => (c: Context) => {
  throw new HttpError(405, 'method_not_allowed', `Use ${allowed} on ${c.req.path}.`, undefined, { allow: allowed });
};

/** The path a public URL adds in front of ours (a reverse proxy's prefix), '' when none: links, forms and scripts go through it. */
export function basePath(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/+$/, '');
}
