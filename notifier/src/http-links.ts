/**
 * The pages an email links to: the confirmation link (GET shows a page and changes nothing; only
 * its button's POST confirms) and the unsubscribe link (a page, and RFC 8058 one-click POST). The
 * buttons refuse cross-site posts; their forms go through the public URL's path.
 */
import type { Context, Hono } from 'hono';
import { escapeHtml, simplePage } from './html.js';
import { hashToken, newUnsubId, TOPIC_TEXT, verifyUnsubscribeToken } from './emails.js';
import { HttpError } from './signed.js';
import { basePath as pathOf, methods, page, queryParam } from './http-kit.js';
import type { HttpContext } from './http.js';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Adds the link pages to `app`; `limitIp` charges the client's per-IP allowance. */
export function linkRoutes(app: Hono, ctx: HttpContext, limitIp: (c: Context) => void): void {
  const { store, log } = ctx;
  const basePath = () => pathOf(ctx.publicUrl());

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
    limitIp(c);
    return confirmPage(c, queryParam(c, 'token'));
  });
  app.post('/v1/confirm', async (c) => {
    limitIp(c);
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
}
