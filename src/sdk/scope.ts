/**
 * What a scoped client may hold: the conversation with the page's handle, and — for its owner, on
 * one of the owner's sites — the inbox. The facts these checks need (the handle's owner, an account's
 * sites) are read from the chain and reused for {@link SCOPE_FACTS_TTL_MS}.
 */
import type { Address } from 'viem';
import type { BackupEntryMeta } from './backup.js';
import { same } from './core.js';
import { PaidChatError } from './errors.js';
import { siteAllowed } from './sites.js';

/** How long scope facts are reused (a change of owner or sites shows within this time). */
export const SCOPE_FACTS_TTL_MS = 30_000;

export type InboxAccess = { ok: true; sites: string[] } | { ok: false; error: PaidChatError; sites: string[] };

export class ScopeGuard {
  /** The handle (canonical, without '@') and origin this client is limited to, if any. */
  readonly handle?: string;
  readonly origin?: string;
  readonly #ownerOf: (handle: string) => Promise<Address>;
  readonly #sitesOf: (account: Address) => Promise<string[]>;
  readonly #facts = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(scope: { handle?: string; origin?: string }, reads: { ownerOf: (handle: string) => Promise<Address>; sitesOf: (account: Address) => Promise<string[]> }) {
    this.handle = scope.handle;
    this.origin = scope.origin;
    this.#ownerOf = reads.ownerOf;
    this.#sitesOf = reads.sitesOf;
  }

  #fact<T>(key: string, read: () => Promise<T>): Promise<T> {
    const hit = this.#facts.get(key);
    if (hit && Date.now() - hit.at < SCOPE_FACTS_TTL_MS) return hit.value as Promise<T>;
    const value = read();
    this.#facts.set(key, { at: Date.now(), value });
    value.catch(() => this.#facts.delete(key));
    return value;
  }

  /** Forgets cached facts (after this client changed them). */
  forget(): void {
    this.#facts.clear();
  }

  /** The owner of the scope's handle (undefined without a scope handle). */
  owner(): Promise<Address | undefined> {
    const handle = this.handle;
    if (!handle) return Promise.resolve(undefined);
    return this.#fact(`owner:${handle}`, () => this.#ownerOf(handle));
  }

  /** @throws PaidChatError `OUT_OF_SCOPE` unless a conversation with `peer` is in scope. */
  async checkPeer(peer: Address): Promise<void> {
    const owner = await this.owner();
    if (owner && !same(owner, peer)) {
      throw new PaidChatError(
        'OUT_OF_SCOPE',
        `This page is for @${this.handle}; it does not keep keys for conversations with anyone else. Write to them on a page that embeds their handle.`,
        { handle: this.handle, peer },
      );
    }
  }

  /** Whether the inbox of `account` may be opened here: it owns the scope's handle, and the origin is one of its sites. */
  async inbox(account: Address): Promise<InboxAccess> {
    const [owner, sites] = await Promise.all([
      this.owner(),
      this.origin ? this.#fact(`sites:${account.toLowerCase()}`, () => this.#sitesOf(account)) : Promise.resolve([] as string[]),
    ]);
    if (owner && !same(owner, account)) {
      return {
        ok: false,
        sites,
        error: new PaidChatError('NOT_HANDLE_OWNER', `This page is for @${this.handle}, which this wallet does not own; its inbox cannot be opened here.`, {
          handle: this.handle,
        }),
      };
    }
    if (this.origin && !siteAllowed(sites, this.origin)) {
      return {
        ok: false,
        sites,
        error: new PaidChatError(
          'SITE_NOT_ALLOWED',
          sites.length
            ? `Your inbox opens only on your own sites (${sites.join(', ')}). This page (${this.origin}) is not one of them: open your inbox there, or add this site from one of them.`
            : `Your profile lists no site where your inbox may be opened. Add ${this.origin} in your settings first.`,
          { origin: this.origin, sites },
        ),
      };
    }
    return { ok: true, sites };
  }

  /** @throws PaidChatError `NOT_HANDLE_OWNER` / `SITE_NOT_ALLOWED`. */
  async requireInbox(account: Address): Promise<void> {
    const access = await this.inbox(account);
    if (!access.ok) throw access.error;
  }

  /** Which backup entries this page may restore or export for `account`. */
  async entryFilter(account: Address): Promise<(m: BackupEntryMeta) => boolean> {
    const [owner, access] = await Promise.all([this.owner(), this.inbox(account)]);
    return (m) => (m.kind === 'inbox' ? access.ok : !owner || same(m.peer, owner));
  }
}
