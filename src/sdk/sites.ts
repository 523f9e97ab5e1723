/**
 * A creator's sites: the origins (`https://satoshi.example`) where the inbox may be opened. They are
 * stored on chain in the profile (`setSites`, at most 256 bytes, separated by spaces); the SDK keeps
 * and restores inbox keys only on a page whose origin is listed.
 */
import { PaidChatError } from './errors.js';

export const MAX_SITES_BYTES = 256;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The canonical origin of a site: `https://host[:port]`, or `http://` for loopback only.
 *
 * @throws PaidChatError `SITES_INVALID` with `details.site`.
 */
export function normalizeOrigin(site: string): string {
  let url: URL;
  try {
    url = new URL(String(site).trim());
  } catch {
    throw new PaidChatError('SITES_INVALID', `"${String(site).slice(0, 80)}" is not a web address. Write it like https://example.com.`, { site });
  }
  const loopback = isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new PaidChatError('SITES_INVALID', `${url.origin} is not served over https; your inbox may be opened only on https sites (or on this computer while testing).`, {
      site,
    });
  }
  if (url.username || url.password) throw new PaidChatError('SITES_INVALID', `${url.origin} must not carry a user name or password.`, { site });
  return url.origin;
}

/** The origins of a sites string as stored on chain (invalid parts are dropped). */
export function parseSites(text: string): string[] {
  const out: string[] = [];
  for (const part of String(text).split(/\s+/)) {
    if (!part) continue;
    try {
      const o = normalizeOrigin(part);
      if (!out.includes(o)) out.push(o);
    } catch {
      /* a part that is not an origin allows nothing */
    }
  }
  return out;
}

/**
 * The sites string to store on chain.
 *
 * @throws PaidChatError `SITES_INVALID` for an invalid origin or when it would exceed 256 bytes.
 */
export function formatSites(sites: readonly string[]): string {
  const list = [...new Set(sites.map(normalizeOrigin))];
  const text = list.join(' ');
  if (new TextEncoder().encode(text).length > MAX_SITES_BYTES) {
    throw new PaidChatError('SITES_INVALID', `These sites take more than ${MAX_SITES_BYTES} bytes; list fewer.`, { sites: list });
  }
  return text;
}

/** Whether `origin` is one of `sites`. */
export function siteAllowed(sites: readonly string[], origin: string): boolean {
  let o: string;
  try {
    o = normalizeOrigin(origin);
  } catch {
    return false;
  }
  return sites.includes(o);
}
