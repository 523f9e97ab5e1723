/**
 * An EIP-1193 provider backed by one of anvil's dev keys — the only stand-in for a wallet
 * extension, used by the browser tests, the Node SDK tests, the benches and the local demo. It
 * signs locally (personal_sign, legacy transactions) and sends raw transactions to the real anvil
 * node; reads are forwarded to the node like a wallet does. Runs in Node and in the browser.
 *
 * Switches: `chainId` (to pretend the wallet is on another network), `rejectNext()` (the next
 * prompt fails with 4001), `hold()` (the next transaction waits until released), and
 * `announce()` (EIP-6963 discovery).
 *
 * Kinds of wallets:
 * - default: an EOA that signs like MetaMask (RFC 6979, deterministic);
 * - `randomSignatures`: an EOA whose message signatures are randomised (hedged nonces, as some
 *   MPC and hardware wallets do): the same message never gives the same signature twice;
 * - `safe`: a session with a Safe 1.4.1 contract wallet (as WalletConnect or a Safe app gives a
 *   site): the account is the Safe; each `eth_sendTransaction` is signed by the owner (this dev
 *   key) as a SafeTx (EIP-712) and submitted as `execTransaction` from the owner, and the hash of
 *   that transaction is returned. The Safe cannot sign messages (no ECDSA key of its own).
 */
import { secp256k1 } from '@noble/curves/secp256k1';
import { bytesToHex, decodeFunctionResult, encodeFunctionData, hashMessage, hashTypedData, type Address, type Hex } from 'viem';
import { mnemonicToAccount, type HDAccount } from 'viem/accounts';
import { encodeExecTransaction, safeSessionAbi, safeTxTypedData } from './safe-tx.js';

export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

type Listener = (...args: unknown[]) => void;

export class ProviderRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Methods a real wallet asks the user about. */
const PROMPTS = new Set(['eth_requestAccounts', 'personal_sign', 'eth_sendTransaction', 'wallet_switchEthereumChain', 'wallet_addEthereumChain']);

export interface TestWalletOptions {
  /** Index of the anvil dev account (0 deployed the contract). */
  index: number;
  rpcUrl: string;
  /** Chain the wallet starts on (default: the node's). */
  chainId: number;
  /** Chains the wallet knows (switching to another one answers 4902). Default: only `chainId`. */
  knownChains?: number[];
  name?: string;
  /** Sign messages with random nonces (`extraEntropy`), like a hedged-signature wallet. */
  randomSignatures?: boolean;
  /** The Safe this dev key owns: the session's account is the Safe (see the module comment). */
  safe?: Address;
}

export class TestWallet {
  account: HDAccount;
  readonly rpcUrl: string;
  readonly name: string;
  readonly uuid = crypto.randomUUID();
  chainId: number;
  readonly knownChains: Set<number>;
  readonly randomSignatures: boolean;
  readonly safe?: Address;
  /** Every method asked for, in order. */
  readonly calls: string[] = [];
  /** Chains added through wallet_addEthereumChain. */
  readonly added: unknown[] = [];
  /** Whether the site was granted the account (eth_accounts is empty before). */
  authorized = false;

  #rejects: { n: number; method?: string }[] = [];
  #hold?: { promise: Promise<void>; release: () => void; reached: () => void; reachedPromise: Promise<void> };
  #listeners = new Map<string, Set<Listener>>();
  #id = 0;

  constructor(opts: TestWalletOptions) {
    this.account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: opts.index });
    this.rpcUrl = opts.rpcUrl;
    this.chainId = opts.chainId;
    this.knownChains = new Set(opts.knownChains ?? [opts.chainId]);
    this.name = opts.name ?? (opts.safe ? `Test Safe (owner ${opts.index})` : `Test Wallet ${opts.index}`);
    this.randomSignatures = opts.randomSignatures ?? false;
    this.safe = opts.safe;
  }

  /** The account the site sees: the Safe for a Safe session, the dev key's address otherwise. */
  get address(): `0x${string}` {
    return this.safe ?? this.account.address;
  }

  /** A message signature: deterministic like MetaMask, or randomised (`randomSignatures`). */
  async #signHash(hash: Hex): Promise<Hex> {
    const key = this.account.getHdKey().privateKey!;
    const sig = secp256k1.sign(hash.slice(2), key, { lowS: true, ...(this.randomSignatures ? { extraEntropy: true } : {}) });
    return `${bytesToHex(sig.toCompactRawBytes())}${(27 + sig.recovery).toString(16)}` as Hex;
  }

  #refuseSafeSignature(): never {
    throw new ProviderRpcError(4200, 'This Safe has no key of its own to sign messages with; it can only send transactions.');
  }

  /**
   * The next `n` prompts (signatures, transactions, account or chain requests) — or only the next
   * `n` of one `method` — are rejected with 4001, as when the user clicks "Reject".
   */
  rejectNext(n = 1, method?: string): void {
    if (n > 0) this.#rejects.push({ n, method });
  }

  /**
   * The next eth_sendTransaction waits (as if the user had not confirmed yet). `reached` resolves
   * when the wallet is waiting; call `release()` to go on.
   */
  hold(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    const reachedPromise = new Promise<void>((r) => (reached = r));
    this.#hold = { promise, release, reached, reachedPromise };
    return { reached: reachedPromise, release };
  }

  /** Pretends the user switched to another account in the wallet (emits accountsChanged). */
  useAccount(index: number): void {
    this.account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
    if (this.authorized) this.#emit('accountsChanged', [this.address]);
  }

  /** Pretends the user switched the wallet to another network. */
  setChainId(id: number): void {
    this.chainId = id;
    this.knownChains.add(id);
    this.#emit('chainChanged', `0x${id.toString(16)}`);
  }

  on(event: string, fn: Listener): this {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event)!.add(fn);
    return this;
  }

  removeListener(event: string, fn: Listener): this {
    this.#listeners.get(event)?.delete(fn);
    return this;
  }

  listenerCount(event: string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  #emit(event: string, ...args: unknown[]): void {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) fn(...args);
  }

  /** Announces this wallet through EIP-6963, now and on every `eip6963:requestProvider`. Returns a stop function. */
  announce(): () => void {
    const send = () =>
      window.dispatchEvent(
        new CustomEvent('eip6963:announceProvider', {
          detail: Object.freeze({
            info: { uuid: this.uuid, name: this.name, rdns: `test.wallet.${this.uuid}`, icon: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg"/>' },
            provider: this,
          }),
        }),
      );
    window.addEventListener('eip6963:requestProvider', send);
    send();
    return () => window.removeEventListener('eip6963:requestProvider', send);
  }

  async #rpc(method: string, params: unknown[] = []): Promise<any> {
    const res = await fetch(this.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.#id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw Object.assign(new ProviderRpcError(body.error.code ?? -32603, body.error.message), { data: body.error.data });
    return body.result;
  }

  async request({ method, params = [] }: { method: string; params?: any }): Promise<any> {
    this.calls.push(method);
    const reject = PROMPTS.has(method) && this.#rejects.find((r) => r.n > 0 && (!r.method || r.method === method));
    if (reject) {
      reject.n--;
      this.#rejects = this.#rejects.filter((r) => r.n > 0);
      throw new ProviderRpcError(4001, 'User rejected the request.');
    }
    switch (method) {
      case 'eth_requestAccounts':
        this.authorized = true;
        this.#emit('connect', { chainId: `0x${this.chainId.toString(16)}` });
        return [this.address];
      case 'eth_accounts':
        return this.authorized ? [this.address] : [];
      case 'eth_chainId':
        return `0x${this.chainId.toString(16)}`;
      case 'net_version':
        return String(this.chainId);
      case 'wallet_switchEthereumChain': {
        const id = Number(params[0].chainId);
        if (!this.knownChains.has(id)) throw new ProviderRpcError(4902, `Unrecognized chain ID ${params[0].chainId}. Try adding the chain using wallet_addEthereumChain first.`);
        this.setChainId(id);
        return null;
      }
      case 'wallet_addEthereumChain': {
        const id = Number(params[0].chainId);
        this.added.push(params[0]);
        this.setChainId(id); // like MetaMask: adding also offers to switch, and the user accepts
        return null;
      }
      case 'personal_sign': {
        if (this.safe) this.#refuseSafeSignature();
        const [data, from] = params as [`0x${string}`, string];
        if (from && from.toLowerCase() !== this.address.toLowerCase()) throw new ProviderRpcError(4100, 'Unknown account.');
        return this.#signHash(hashMessage({ raw: data }));
      }
      case 'eth_signTypedData_v4': {
        if (this.safe) this.#refuseSafeSignature();
        const [from, json] = params as [string, string];
        if (from && from.toLowerCase() !== this.address.toLowerCase()) throw new ProviderRpcError(4100, 'Unknown account.');
        return this.#signHash(hashTypedData(typeof json === 'string' ? JSON.parse(json) : json));
      }
      case 'eth_sendTransaction': {
        if (!this.authorized) throw new ProviderRpcError(4100, 'The site is not connected.');
        const hold = this.#hold;
        this.#hold = undefined;
        if (hold) {
          hold.reached();
          await hold.promise;
        }
        const tx = this.safe ? await this.#viaSafe(params[0]) : params[0];
        const owner = this.account.address;
        const [nonce, gasPrice] = await Promise.all([
          this.#rpc('eth_getTransactionCount', [owner, 'pending']),
          tx.gasPrice ? Promise.resolve(tx.gasPrice) : this.#rpc('eth_gasPrice'),
        ]);
        const gas = tx.gas ?? (await this.#rpc('eth_estimateGas', [{ to: tx.to, data: tx.data, value: tx.value, from: owner }]));
        const signed = await this.account.signTransaction({
          type: 'legacy',
          chainId: this.chainId,
          nonce: Number(nonce),
          to: tx.to,
          data: tx.data,
          value: tx.value ? BigInt(tx.value) : 0n,
          gas: BigInt(gas),
          gasPrice: BigInt(gasPrice),
        });
        return this.#rpc('eth_sendRawTransaction', [signed]);
      }
      default:
        return this.#rpc(method, params);
    }
  }

  /**
   * The owner's transaction that makes the Safe execute `tx`: the SafeTx signed for the Safe's
   * current nonce, wrapped in `execTransaction` (gas estimated for the wrapper, +30 %).
   */
  async #viaSafe(tx: { to: Address; data?: Hex; value?: Hex }): Promise<{ to: Address; data: Hex; value: Hex; gas: Hex; gasPrice?: Hex }> {
    const safe = this.safe!;
    const call = { to: tx.to, data: tx.data ?? '0x', value: tx.value ? BigInt(tx.value) : 0n };
    const raw = await this.#rpc('eth_call', [{ to: safe, data: encodeFunctionData({ abi: safeSessionAbi, functionName: 'nonce' }) }, 'latest']);
    const nonce = decodeFunctionResult({ abi: safeSessionAbi, functionName: 'nonce', data: raw }) as bigint;
    const signature = await this.account.signTypedData(safeTxTypedData(this.chainId, safe, call, nonce));
    const data = encodeExecTransaction(call, signature);
    const estimate = BigInt(await this.#rpc('eth_estimateGas', [{ from: this.account.address, to: safe, data }]));
    return { to: safe, data, value: '0x0', gas: `0x${((estimate * 13n) / 10n).toString(16)}` };
  }
}
