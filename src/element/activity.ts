/**
 * The element's one busy/state model. At most one action runs at a time; it moves through
 * `working` (reading, sealing) → `confirm` (the wallet is asking the user) → `sending` (the
 * transaction is out, waiting for the chain). Each failure is kept next to what failed (per action,
 * and per message or thread), announced in the live region, and dispatched as `harmony-error`.
 *
 * The wallet steps are not guessed: the provider given to the SDK is observed (`walletPrompt` /
 * `walletDone`), so "confirm in your wallet" shows exactly while the wallet is asking.
 */
import { toPaidChatError } from '../sdk/revert.js';
import type { PaidChatError } from '../sdk/errors.js';
import { copy } from './copy-connected.js';
import { HarmonyErrorEvent } from './events.js';

export type StatusTone = 'info' | 'busy' | 'success' | 'warn' | 'error';

export type Action =
  | 'card'
  | 'connect'
  | 'switch-chain'
  | 'load'
  | 'send'
  | 'reply'
  | 'refund'
  | 'follow-up'
  | 'close-thread'
  | 'block'
  | 'hide'
  | 'claim'
  | 'settings'
  | 'sites'
  | 'email'
  | 'passphrase'
  | 'backup'
  | 'inspect'
  | 'restore'
  | 'rotate'
  | 'sign-out';

export type Step = 'working' | 'confirm' | 'sending';

export interface Busy {
  action: Action;
  /** Message id or thread the action is about. */
  id?: string;
  step: Step;
  /** What the wallet is asking for right now. */
  prompt?: 'signature' | 'transaction';
}

export interface ActionError {
  action: Action;
  id?: string;
  error: PaidChatError;
}

/** What the model needs from the element. */
export interface ActivityHost {
  announce(text: string, tone?: StatusTone): void;
  requestUpdate(): void;
  dispatchEvent(event: Event): boolean;
}

const key = (action: Action, id?: string) => (id === undefined ? action : `${action}:${id}`);

const SIGNATURE_METHODS = new Set(['personal_sign', 'eth_sign', 'eth_signTypedData', 'eth_signTypedData_v3', 'eth_signTypedData_v4']);

export class Activity {
  busy?: Busy;
  readonly errors = new Map<string, ActionError>();
  /** Called with every failure before it is shown (e.g. WRONG_CHAIN moves the session). */
  onError?: (error: PaidChatError, action: Action) => void;
  readonly #host: ActivityHost;

  constructor(host: ActivityHost) {
    this.#host = host;
  }

  /** Whether `action` (for `id`, when given) is the one running. */
  is(action: Action, id?: string): boolean {
    return this.busy?.action === action && (id === undefined || this.busy.id === id);
  }

  errorFor(action: Action, id?: string): PaidChatError | undefined {
    return this.errors.get(key(action, id))?.error;
  }

  clearError(action: Action, id?: string): void {
    if (this.errors.delete(key(action, id))) this.#host.requestUpdate();
  }

  /** Records, announces and dispatches a failure. */
  fail(action: Action, e: unknown, id?: string): PaidChatError {
    const error = toPaidChatError(e);
    this.errors.set(key(action, id), { action, id, error });
    this.onError?.(error, action);
    this.#host.announce(error.message, 'error');
    this.#host.dispatchEvent(new HarmonyErrorEvent({ code: error.code, message: error.message, action, error }));
    this.#host.requestUpdate();
    return error;
  }

  /**
   * Runs one action: refuses while another runs, clears its previous error, announces `start`,
   * and turns any failure into a shown error. Resolves to undefined on failure (or when busy).
   */
  async run<T>(action: Action, id: string | undefined, fn: () => Promise<T>, start?: string): Promise<T | undefined> {
    if (this.busy) return undefined;
    this.clearError(action, id);
    this.busy = { action, id, step: 'working' };
    if (start) this.#host.announce(start, 'busy');
    this.#host.requestUpdate();
    try {
      return await fn();
    } catch (e) {
      this.busy = undefined;
      this.fail(action, e, id);
      return undefined;
    } finally {
      this.busy = undefined;
      this.#host.requestUpdate();
    }
  }

  /** The wallet is about to ask the user (an observed EIP-1193 request). */
  walletPrompt(method: string): void {
    const prompt = SIGNATURE_METHODS.has(method) ? 'signature' : method === 'eth_sendTransaction' ? 'transaction' : undefined;
    if (!prompt || !this.busy) return;
    this.busy = { ...this.busy, step: 'confirm', prompt };
    const text = prompt === 'transaction' || this.busy.action === 'email' ? copy.progress.prompt(this.busy.action) : copy.progress.signature;
    this.#host.announce(text, 'busy');
    this.#host.requestUpdate();
  }

  /** The wallet answered. After a sent transaction, the action waits for the chain. */
  walletDone(method: string, ok: boolean): void {
    if (method !== 'eth_sendTransaction' || !ok || !this.busy) return;
    this.busy = { ...this.busy, step: 'sending', prompt: undefined };
    this.#host.announce(copy.progress.sending(this.busy.action), 'busy');
    this.#host.requestUpdate();
  }
}
