/**
 * An EIP-1193 provider backed by one of anvil's dev keys: the only stand-in the tests use for a
 * wallet extension. It signs locally and sends raw legacy transactions to the node. It runs in
 * Node and in the browser (fetch only). Switches let a test reject the next prompt or pretend the
 * wallet is on another chain.
 */
import type { Hex, LocalAccount } from 'viem';

type Listener = (...args: unknown[]) => void;

export class TestWallet {
  chainId: number;
  /** Reject the next N prompts (signatures, transactions, account requests) with code 4001. */
  rejectNext = 0;
  /** Every method asked for, in order. */
  readonly calls: string[] = [];
  readonly knownChains = new Set<number>();
  #listeners = new Map<string, Set<Listener>>();
  #id = 0;

  account: LocalAccount;

  constructor(
    account: LocalAccount,
    readonly rpcUrl: string,
    chainId: number,
  ) {
    this.account = account;
    this.chainId = chainId;
    this.knownChains.add(chainId);
  }

  /** Acts as another account, as a wallet does when the user switches (emits accountsChanged). */
  setAccount(account: LocalAccount) {
    this.account = account;
    this.#emit('accountsChanged', [account.address]);
  }

  on(event: string, fn: Listener) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event)!.add(fn);
    return this;
  }

  removeListener(event: string, fn: Listener) {
    this.#listeners.get(event)?.delete(fn);
    return this;
  }

  #emit(event: string, ...args: unknown[]) {
    for (const fn of this.#listeners.get(event) ?? []) fn(...args);
  }

  async #rpc(method: string, params: unknown[] = []): Promise<any> {
    const res = await fetch(this.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.#id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data });
    return body.result;
  }

  #prompt() {
    if (this.rejectNext > 0) {
      this.rejectNext--;
      throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
    }
  }

  async request({ method, params = [] }: { method: string; params?: any[] }): Promise<any> {
    this.calls.push(method);
    switch (method) {
      case 'eth_requestAccounts':
        this.#prompt();
        return [this.account.address];
      case 'eth_accounts':
        return [this.account.address];
      case 'eth_chainId':
        return `0x${this.chainId.toString(16)}`;
      case 'wallet_switchEthereumChain': {
        this.#prompt();
        const id = Number(params[0].chainId);
        if (!this.knownChains.has(id)) throw Object.assign(new Error('Unrecognized chain'), { code: 4902 });
        this.chainId = id;
        this.#emit('chainChanged', params[0].chainId);
        return null;
      }
      case 'wallet_addEthereumChain': {
        this.#prompt();
        const id = Number(params[0].chainId);
        this.knownChains.add(id);
        this.chainId = id;
        this.#emit('chainChanged', params[0].chainId);
        return null;
      }
      case 'personal_sign': {
        this.#prompt();
        const [data] = params as [Hex, string];
        return this.account.signMessage({ message: { raw: data } });
      }
      case 'eth_sendTransaction': {
        this.#prompt();
        const tx = params[0];
        const [nonce, gasPrice, realChain] = await Promise.all([
          this.#rpc('eth_getTransactionCount', [this.account.address, 'pending']),
          tx.gasPrice ? Promise.resolve(tx.gasPrice) : this.#rpc('eth_gasPrice'),
          this.#rpc('eth_chainId'),
        ]);
        const gas = tx.gas ?? (await this.#rpc('eth_estimateGas', [{ ...tx, from: this.account.address }]));
        const signed = await this.account.signTransaction({
          type: 'legacy',
          chainId: Number(realChain),
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
}

