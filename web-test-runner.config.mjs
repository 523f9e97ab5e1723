/**
 * Browser tests of <harmony-paid-chat>: real Chromium (never a downloaded one), a real anvil node
 * with the real contract, the element's TypeScript served as is.
 *
 *   CHROME_PATH=/usr/lib/chromium/chromium npx web-test-runner --config web-test-runner.config.mjs
 *
 * - TypeScript through esbuild with the repo's tsconfig (legacy decorators, no define semantics).
 * - eciesjs is CommonJS and @web3-onboard/* is a large ESM graph with CommonJS inside: both are
 *   pre-bundled here with esbuild (ESM, browser) on first request and their bare imports mapped to
 *   the result.
 * - serverStart starts anvil (Istanbul rules), deploys PaidChat and Safe 1.4.1 (singleton, proxy
 *   factory, fallback handler) with two funded 1-owner Safes; tests read `/__chain__.json` →
 *   `{ rpcUrl, chainId, contract, deployBlock, closedRpcUrl, safes: [{ address, owner }] }` and talk
 *   to anvil directly (CORS is open) for time travel and balances. serverStop stops anvil.
 */
import { createRequire } from 'node:module';
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import * as esbuild from 'esbuild';
import { register } from 'tsx/esm/api';

const require = createRequire(import.meta.url);
const pkg = require('./package.json');
register();
const { CHROME_FLAGS, findChrome } = await import('./scripts/lib/chromium.ts');

// ---------------------------------------------------------------- pre-bundled dependencies

const PREFIX = '/__prebundled__/';
/** Bare specifier → [bundle group, output name]. */
const PREBUNDLED = {
  eciesjs: ['ecies', 'eciesjs'],
  'eciesjs/config': ['ecies', 'eciesjs-config'],
  'eciesjs/utils': ['ecies', 'eciesjs-utils'],
  '@web3-onboard/core': ['onboard', 'onboard-core'],
  '@web3-onboard/injected-wallets': ['onboard', 'onboard-injected-wallets'],
  '@web3-onboard/walletconnect': ['onboard', 'onboard-walletconnect'],
};

/** Source of a virtual entry re-exporting a package with named exports (listed from Node for CommonJS). */
function entrySource(spec) {
  if (spec.startsWith('eciesjs')) {
    const names = Object.keys(require(spec)).filter((n) => n !== 'default' && n !== '__esModule' && /^[A-Za-z_$][\w$]*$/.test(n));
    return `export { ${names.join(', ')} } from ${JSON.stringify(spec)};`;
  }
  return `export * from ${JSON.stringify(spec)};\nexport { default } from ${JSON.stringify(spec)};`;
}

function prebundlePlugin() {
  const groups = new Map(); // group → Promise<Map<urlPath, text>>
  const build = (group) => {
    if (!groups.has(group)) {
      const specs = Object.entries(PREBUNDLED).filter(([, [g]]) => g === group);
      const started = Date.now();
      const p = esbuild
        .build({
          entryPoints: Object.fromEntries(specs.map(([spec, [, name]]) => [name, `virtual:${spec}`])),
          bundle: true,
          splitting: true,
          format: 'esm',
          platform: 'browser',
          target: 'es2022',
          outdir: `/prebundled/${group}`,
          write: false,
          logLevel: 'error',
          define: { 'process.env.NODE_ENV': '"development"', global: 'globalThis' },
          plugins: [
            {
              name: 'virtual-entries',
              setup(b) {
                b.onResolve({ filter: /^virtual:/ }, (a) => ({ path: a.path.slice('virtual:'.length), namespace: 'virtual' }));
                b.onLoad({ filter: /.*/, namespace: 'virtual' }, (a) => ({ contents: entrySource(a.path), resolveDir: process.cwd(), loader: 'js' }));
              },
            },
          ],
        })
        .then((r) => {
          console.log(`[prebundle] ${group}: ${r.outputFiles.length} files in ${Date.now() - started} ms`);
          return new Map(r.outputFiles.map((f) => [`${PREFIX}${group}/${f.path.split('/').pop()}`, f.text]));
        });
      p.catch(() => groups.delete(group));
      groups.set(group, p);
    }
    return groups.get(group);
  };
  return {
    name: 'prebundle',
    resolveImport({ source }) {
      const hit = PREBUNDLED[source];
      if (hit) return `${PREFIX}${hit[0]}/${hit[1]}.js`;
      return undefined;
    },
    async serve(context) {
      if (!context.path.startsWith(PREFIX)) return undefined;
      const group = context.path.slice(PREFIX.length).split('/')[0];
      const files = await build(group);
      const body = files.get(context.path);
      return body === undefined ? undefined : { body, type: 'js' };
    },
  };
}

// ---------------------------------------------------------------- the local chain

/** Dev accounts that own the two Safes (1 owner, threshold 1), each funded with 1,000 ONE. */
const SAFE_OWNERS = [40, 41];

function chainPlugin() {
  let chain;
  let closedRpcUrl;
  let safes = [];
  return {
    name: 'anvil-chain',
    async serverStart() {
      const { startTestChain } = await import('./test/support/chain.ts');
      const started = Date.now();
      chain = await startTestChain({ accounts: 64, balance: 1_000_000 });
      const { freePort } = await import('./scripts/lib/anvil.ts');
      closedRpcUrl = `http://127.0.0.1:${await freePort()}`; // nothing listens there: an RPC that is down
      const { createSafe } = await import('./test/support/safe.ts');
      for (const owner of SAFE_OWNERS) {
        const safe = await createSafe(chain, owner, { fund: 1_000n * 10n ** 18n });
        safes.push({ address: safe.address, owner });
      }
      console.log(`[chain] anvil at ${chain.rpcUrl}, PaidChat at ${chain.contract}, ${safes.length} Safes (${Date.now() - started} ms)`);
    },
    async serverStop() {
      await chain?.stop();
    },
    serve(context) {
      if (context.path !== '/__chain__.json') return undefined;
      return {
        body: JSON.stringify({
          rpcUrl: chain.rpcUrl,
          chainId: chain.chain.id,
          contract: chain.contract,
          deployBlock: String(chain.deployBlock),
          closedRpcUrl,
          safes,
        }),
        type: 'json',
      };
    },
  };
}

const executablePath = process.env.CHROME_PATH || findChrome();
if (!executablePath) throw new Error('No Chromium found: set CHROME_PATH (e.g. /usr/lib/chromium/chromium) or run `npm test`.');

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  concurrency: 1,
  concurrentBrowsers: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 120_000,
  testsFinishTimeout: Number(process.env.WTR_FINISH_TIMEOUT ?? 300_000),
  testFramework: { config: { timeout: 60_000, slow: 5_000 } },
  plugins: [
    prebundlePlugin(),
    chainPlugin(),
    // The version the builds write in from package.json (src/sdk/version.ts), here too.
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json', define: { __HARMONY_PAID_CHAT_VERSION__: JSON.stringify(pkg.version) } }),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath,
        headless: true,
        args: CHROME_FLAGS.filter((f) => !f.startsWith('--headless')),
      },
    }),
  ],
};
