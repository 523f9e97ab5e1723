/** What the lazily loaded controller needs from `<harmony-paid-chat>` (kept apart to avoid import cycles). */
import type { ReactiveControllerHost } from 'lit';
import type { Card } from '../sdk/card.js';
import type { ChainName } from '../sdk/chains.js';
import type { StatusTone } from './activity.js';
import type { Eip1193Provider } from './wallet.js';

export interface ChatHost extends ReactiveControllerHost, HTMLElement {
  handle: string;
  chain: ChainName;
  rpcUrl?: string;
  contract?: string;
  provider?: Eip1193Provider;
  notifierUrl?: string;
  walletConnectProjectId?: string;
  readonly card: Card | undefined;
  announce(text: string, tone?: StatusTone): void;
  refreshCard(): Promise<Card | undefined>;
  /** Moves focus to the first match in the shadow root after the next render (unless focus is elsewhere on the page). */
  focusSelector(selector: string, force?: boolean): Promise<void>;
}
