/**
 * Templates of the connected states (loaded lazily with the controller): the wallet notices (no
 * wallet, wrong network), the account line, and the choice between the visitor's and the
 * creator's views. The views themselves live in `visitor-views.ts`, `creator-views.ts` and
 * `key-views.ts`.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { shortAddress, toOneAddress } from '../sdk/address.js';
import type { Card } from '../sdk/card.js';
import type { ChatController, ChatHost } from './chat-controller.js';
import { copy } from './copy-connected.js';
import { renderCreator } from './creator-views.js';
import { renderKeysButton, renderKeyPanel } from './key-views.js';
import { errorText, type Maybe } from './view-parts.js';
import { renderVisitor } from './visitor-views.js';
import { isPhone, walletAppLinks } from './wallet.js';

const METAMASK_URL = 'https://metamask.io/download/';

/**
 * No wallet in this browser. On a phone: links that reopen the page inside wallet apps' browsers;
 * anywhere: WalletConnect when the site configured it; on a computer: where to get a wallet.
 */
function renderNoWallet(host: ChatHost, c: ChatController): TemplateResult {
  const s = c.session;
  const phone = isPhone();
  const wc = !!host.walletConnectProjectId;
  const href = globalThis.location?.href ?? '';
  return html`<div part="no-wallet" class="notice" tabindex="-1" data-phone=${phone ? 'true' : 'false'}>
    <p>${phone ? copy.wallet.noneHerePhone : copy.wallet.needOne}</p>
    ${phone
      ? html`<ul part="wallet-links" class="wallet-links">
          ${walletAppLinks(href).map(
            (l) => html`<li><a part="link wallet-link" class="target button-link" href=${l.url} rel="noopener noreferrer" data-wallet=${l.name}>${copy.wallet.openIn(l.name)}</a></li>`,
          )}
        </ul>`
      : nothing}
    ${wc
      ? html`<p class="small">${phone ? copy.wallet.walletConnectHintPhone : copy.wallet.walletConnectHint}</p>
          <button part="walletconnect-button" type="button" @click=${() => s.connectWalletConnect()}>${copy.wallet.walletConnect}</button>`
      : nothing}
    ${phone
      ? nothing
      : html`<p><a part="link" href=${METAMASK_URL} target="_blank" rel="noopener noreferrer">${copy.wallet.getMetaMask}</a>${copy.wallet.getMetaMaskAfter}</p>`}
    <button part="connect-button" class="secondary" type="button" @click=${() => s.disconnect()}>${copy.wallet.tryAgain}</button>
    ${errorText(c, 'connect')}
  </div>`;
}

/** The wallet states shown instead of the composer / inbox: no wallet, wrong network. */
export function renderWalletNotice(host: ChatHost, c: ChatController): Maybe {
  const s = c.session;
  if (s.phase === 'no-wallet') return renderNoWallet(host, c);
  if (s.phase === 'wrong-chain') {
    const busy = c.activity.is('switch-chain');
    const name = c.chat.chain.name;
    return html`<div part="wrong-network" class="notice">
      <p>${copy.wallet.wrongChain(s.walletChainId, host.card?.handle ?? '', name)}</p>
      <button part="switch-button" type="button" aria-disabled=${busy ? 'true' : 'false'} @click=${() => !busy && s.switchChain()}>
        ${busy ? copy.wallet.confirmInWallet : copy.wallet.switchTo(name)}
      </button>
      ${errorText(c, 'switch-chain')}
    </div>`;
  }
  return nothing;
}

function account(c: ChatController): TemplateResult {
  const a = c.session.account!;
  return html`<div class="account-row">
    <p part="account" class="muted small">
      ${copy.connect.account}<span title=${`${a} · ${toOneAddress(a)}`}>${shortAddress(a)}</span>${c.session.walletName ? ` (${c.session.walletName})` : nothing}
      <button part="disconnect-button" class="link-button" type="button" @click=${() => c.session.disconnect()}>${copy.connect.disconnect}</button>
    </p>
    ${renderKeysButton(c)}
  </div>`;
}

/** While the RPC does not answer: what is happening, when the next try is, and a way to try now. */
function renderLive(c: ChatController): Maybe {
  const l = c.live;
  if (l.state !== 'offline') return nothing;
  return html`<div part="live" class="notice warning live-offline" data-state="offline">
    <p class="small">${copy.live.offline(l.retryInSeconds, l.failures)}</p>
    <button part="retry-button" class="secondary small-button" type="button" @click=${() => l.retryNow()}>${copy.live.retryNow}</button>
  </div>`;
}

/** The connected body: a wallet notice, or the visitor's or the creator's view. */
export function renderConnected(host: ChatHost, c: ChatController, card: Card): TemplateResult {
  const notice = renderWalletNotice(host, c);
  if (notice !== nothing) return notice as TemplateResult;
  const body = c.role === 'creator' ? renderCreator(host, c, card) : renderVisitor(c, card);
  return html`${account(c)}${renderLive(c)}${renderKeyPanel(c, card)}${body}`;
}
