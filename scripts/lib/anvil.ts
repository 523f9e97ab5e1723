/**
 * Starts a real anvil node (from the npm package @foundry-rs/anvil) on a free loopback port with
 * Harmony's rules (Istanbul EVM, 100 gwei gas price) and stops it again. Used by tests, benches
 * and `npm start`. The binary is spawned directly so that stopping it stops the node itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';

export interface Anvil {
  rpcUrl: string;
  port: number;
  chainId: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  port?: number;
  chainId?: number;
  /** Seconds between blocks; default: a block per transaction. */
  blockTime?: number;
  accounts?: number;
  /** Balance of each dev account in ether/ONE. */
  balance?: number;
}

/** anvil's default mnemonic; its first accounts are the well-known dev keys. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';
export const LOCAL_CHAIN_ID = 31337;

export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@foundry-rs/anvil-linux-amd64/package.json');
  return join(dirname(pkg), 'bin', 'anvil');
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const p of running) p.kill('SIGKILL');
  };
  process.on('exit', killAll);
  // A test runner stops a timed-out file with a signal, which skips 'exit' handlers: stop the
  // nodes first. Where the program handles the signal itself (npm start), it stops them itself.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      killAll();
      process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
    });
  }
}

/** Whether nothing listens on 127.0.0.1:`port` (a bind succeeds). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolveFree(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolveFree(true)));
  });
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  // A node already on a given port would answer the readiness check below in place of ours.
  if (options.port !== undefined && !(await portIsFree(options.port))) {
    throw new Error(`Port ${options.port} is in use (another chain?): anvil cannot listen there. Stop what holds it, or choose another port.`);
  }
  const port = options.port ?? (await freePort());
  const chainId = options.chainId ?? LOCAL_CHAIN_ID;
  const args = [
    '--host', '127.0.0.1',
    '--port', String(port),
    '--hardfork', 'istanbul',
    '--chain-id', String(chainId),
    '--gas-price', '100000000000',
    '--accounts', String(options.accounts ?? 10),
    '--balance', String(options.balance ?? 10_000),
    '--mnemonic', ANVIL_MNEMONIC,
  ];
  if (options.blockTime) args.push('--block-time', String(options.blockTime));
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  installExitHook();
  let log = '';
  child.stdout!.on('data', (d) => (log = (log + d).slice(-4000)));
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => { running.delete(child); r(); }));

  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`anvil did not answer on ${rpcUrl} within 15 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    rpcUrl,
    port,
    chainId,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
