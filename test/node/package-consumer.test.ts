/**
 * The packages as users get them: both are packed with `npm pack`, and the tarballs installed with a
 * plain `npm install` into fresh projects (dependencies come from the registry or npm's cache). Then:
 *  - the widget install builds nothing native, runs no install script of its own and pulls no server
 *    dependency: it is at most 5 MB larger than its declared browser dependencies installed alone;
 *  - every package import in dist/ is a declared dependency, and each bundle holds one copy of Lit;
 *  - the SDK imports in Node and reads a creator's price from anvil; a TypeScript consumer
 *    type-checks with moduleResolution node16 and bundler;
 *  - Chromium renders a creator's price from the installed CDN module, the classic script, and
 *    esbuild and rollup bundles of `harmony-paid-chat/element` (one Lit at run time): `sideEffects`
 *    keeps the chunk that registers the element, which both bundlers would otherwise drop;
 *  - the tarball ships the contract source the package needs, and no test contract;
 *  - publint and @arethetypeswrong/cli find nothing in either tarball;
 *  - the notifier's installed bin answers --help and --version, refuses bad flags clearly, and starts
 *    from flags and environment against the chain and answers /v1/health.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { createWalletClient, http } from 'viem';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import nodeResolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import type { Browser } from 'puppeteer-core';
import { createPaidChat } from '../../src/sdk/index.js';
import { startTestChain, type TestChain } from '../support/chain.js';
import { launchChromium, shadowText } from '../support/browser.js';
import { freePort } from '../../scripts/lib/anvil.js';
import { ROOT } from '../../scripts/lib/build.js';
import { ensurePackageBuild, packageVersion } from '../../scripts/lib/package-build.js';
import {
  packBoth,
  newProject,
  npmInstall,
  dirBytes,
  nativeModules,
  installScripts,
  installedPackages,
  declaredDependencies,
  type Tarballs,
} from '../../scripts/lib/consumer.js';

const run = promisify(execFile);
const MB = 1024 * 1024;
const SERVER_DEPENDENCIES = ['better-sqlite3', 'nodemailer', 'smtp-server', 'harmony-paid-chat-notifier', 'tsx'];
const version = packageVersion();
const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');

let tmp: string;
let tarballs: Tarballs;
let widgetApp: string;
let depsOnly: string;
let notifierApp: string;
let notifierInstall: Promise<{ seconds: number }>;
let widgetInstall: { seconds: number };
let tc: TestChain;
let browser: Browser | undefined;
let server: Server | undefined;
const children: ChildProcess[] = [];

before(async () => {
  ensurePackageBuild();
  tmp = mkdtempSync(join(tmpdir(), 'hpc-consumer-'));
  tarballs = packBoth(join(tmp, 'packs'));
  widgetApp = newProject(join(tmp, 'widget-app'), 'widget-app');
  depsOnly = newProject(join(tmp, 'deps-only'), 'deps-only');
  notifierApp = newProject(join(tmp, 'notifier-app'), 'notifier-app');
  // The notifier compiles better-sqlite3 (≈ 1 min where no prebuilt binary is reachable): start it first.
  notifierInstall = npmInstall(notifierApp, [tarballs.widget, tarballs.notifier]);
  notifierInstall.catch(() => undefined);
  [widgetInstall] = await Promise.all([npmInstall(widgetApp, [tarballs.widget]), npmInstall(depsOnly, declaredDependencies())]);
  tc = await startTestChain();
  const satoshi = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: createWalletClient({ account: tc.accounts[1], chain: tc.chain, transport: http(tc.rpcUrl) }) });
  await satoshi.claimHandle({ handle: 'satoshi', price: '10' });
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) killGroup(c, 'SIGKILL');
  await browser?.close();
  await new Promise<void>((r) => (server ? (server.closeAllConnections(), server.close(() => r())) : r()));
  await tc?.stop();
  await notifierInstall?.catch(() => undefined);
  if (tmp && !process.env.HPC_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* gone */
  }
}

test('the widget installs light: nothing native, no install script of its own, no server dependency, ≤ 5 MB over its browser dependencies', (t) => {
  const nm = join(widgetApp, 'node_modules');
  const installed = JSON.parse(readFileSync(join(nm, 'harmony-paid-chat/package.json'), 'utf8'));
  assert.equal(installed.version, version);
  assert.equal(installed.bin, undefined, 'the widget has no bin');
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(installed.scripts?.[s], undefined, `no ${s} script`);
  assert.deepEqual(nativeModules(nm), [], 'no native module');
  const names = new Set(installedPackages(nm).map((p) => p.name));
  assert.deepEqual(SERVER_DEPENDENCIES.filter((n) => names.has(n)), [], 'no server dependency');
  // Install scripts that do run come from the declared browser dependencies (web3-onboard's tree), never from us.
  assert.deepEqual(installScripts(nm), installScripts(join(depsOnly, 'node_modules')));
  const widgetBytes = dirBytes(nm);
  const depsBytes = dirBytes(join(depsOnly, 'node_modules'));
  t.diagnostic(`widget install ${(widgetBytes / MB).toFixed(1)} MB in ${widgetInstall.seconds.toFixed(1)} s; its dependencies alone ${(depsBytes / MB).toFixed(1)} MB; install scripts (from dependencies): ${installScripts(nm).join(', ') || 'none'}`);
  // The package's own files: dist/ (readable ES modules, no source maps), cdn/ (the module build with its
  // lazy chunks, WalletConnect's ≈ 1.7 MB among them — loaded only with walletconnect-project-id and
  // only when a visitor asks for it — and a classic loader that shares them).
  assert.ok(widgetBytes - depsBytes <= 5_000_000, `the widget adds ${((widgetBytes - depsBytes) / 1e6).toFixed(2)} MB over its dependencies (bar 5 MB)`);
});

test('each tarball carries the MIT LICENSE; the widget ships the contract it needs and no test contract', async () => {
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n/);
  for (const [name, tgz, dir] of [
    ['harmony-paid-chat', tarballs.widget, widgetApp],
    ['harmony-paid-chat-notifier', tarballs.notifier, notifierApp],
  ] as const) {
    const list = (await run('tar', ['-tzf', tgz])).stdout.split('\n').filter(Boolean);
    assert.ok(list.includes('package/LICENSE'), `${name}: LICENSE in the tarball`);
    assert.equal(JSON.parse(readFileSync(join(ROOT, name === 'harmony-paid-chat' ? '' : 'notifier', 'package.json'), 'utf8')).license, 'MIT');
    if (name === 'harmony-paid-chat') {
      assert.equal(readFileSync(join(dir, 'node_modules', name, 'LICENSE'), 'utf8'), license);
      assert.deepEqual(list.filter((f) => f.startsWith('package/contracts/')), ['package/contracts/PaidChat.sol'], 'only the contract, no test contracts');
    }
  }
  assert.equal(readFileSync(join(ROOT, 'notifier/LICENSE'), 'utf8'), license);
});

/** Bare module specifiers a built file imports (static, re-export, dynamic); comments are left out. */
function bareImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [
    ...code.matchAll(/(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]*?from\s*)?["']([^"']+)["']/g),
    ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specs.filter((s) => !s.startsWith('.') && !s.startsWith('/'));
}
const packageName = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

test('every package the built dist/ imports is a declared dependency; each bundle holds one copy of Lit', () => {
  const pkgDir = join(widgetApp, 'node_modules/harmony-paid-chat');
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }));
  const imported = new Set(jsFiles(join(pkgDir, 'dist')).flatMap((f) => bareImports(readFileSync(f, 'utf8'))).map(packageName));
  for (const name of ['lit', '@lit/task', 'viem']) assert.ok(imported.has(name), `dist imports ${name}`);
  assert.deepEqual([...imported].filter((n) => !n.startsWith('node:') && !declared.has(n)), [], 'imported but not a dependency');
  // Every copy of Lit's classes registers its version on a global list: count the registrations.
  const count = (files: string[], marker: string) => files.reduce((n, f) => n + (readFileSync(f, 'utf8').split(marker).length - 1), 0);
  const bundles = {
    'dist (Lit stays a dependency)': [jsFiles(join(pkgDir, 'dist')), 0],
    'cdn module build (entry + chunks)': [[join(pkgDir, 'cdn/harmony-paid-chat.js'), ...jsFiles(join(pkgDir, 'cdn/chunks'))], 1],
    'cdn classic loader (it imports the module build)': [[join(pkgDir, 'cdn/harmony-paid-chat.classic.js')], 0],
  } as const;
  for (const [name, [files, expected]] of Object.entries(bundles)) {
    for (const marker of ['reactiveElementVersions', 'litElementVersions', 'litHtmlVersions']) {
      assert.equal(count([...files], marker), expected, `${name}: ${marker}`);
    }
  }
});

test('Node: the installed SDK imports and reads a creator\'s price from the chain', async () => {
  writeFileSync(
    join(widgetApp, 'read.mjs'),
    `import { createPaidChat, formatOne, VERSION } from 'harmony-paid-chat';
import { readCard } from 'harmony-paid-chat/card';
import { HarmonyPaidChat } from 'harmony-paid-chat/element';
const [rpcUrl, contract] = process.argv.slice(2);
const chat = createPaidChat({ chain: 'local', rpcUrl, contract });
const profile = await chat.getProfile('@satoshi');
console.log(JSON.stringify({ VERSION, price: formatOne(profile.price), card: typeof readCard, element: HarmonyPaidChat.version }));
`,
  );
  const { stdout } = await run(process.execPath, ['read.mjs', tc.rpcUrl, tc.contract], { cwd: widgetApp });
  assert.deepEqual(JSON.parse(stdout), { VERSION: version, price: '10', card: 'function', element: version });
});

test('TypeScript: a consumer type-checks against the installed types with moduleResolution node16 and bundler', async () => {
  writeFileSync(
    join(widgetApp, 'consumer.ts'),
    `import { createPaidChat, isPaidChatError, notifierSignInMessage, VERSION, type Profile, type ChainName, type NotifierInfo } from 'harmony-paid-chat';
import { readCard } from 'harmony-paid-chat/card';
import { HarmonyPaidChat, HarmonyMessageSentEvent, defineHarmonyPaidChat } from 'harmony-paid-chat/element';

const chain: ChainName = 'local';
const chat = createPaidChat({ chain, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' });
export async function price(handle: string): Promise<bigint> {
  const profile: Profile = await chat.getProfile(handle);
  return profile.price;
}
export const card = readCard;
export const version: string = VERSION;
export const info = (i: NotifierInfo): number => i.chainId;
export const isError = (e: unknown): boolean => isPaidChatError(e);
export const text = notifierSignInMessage;

const el: HarmonyPaidChat = document.createElement('harmony-paid-chat');
el.handle = '@satoshi';
el.theme = 'dark';
el.addEventListener('harmony-message-sent', (e) => {
  const sent: HarmonyMessageSentEvent = e;
  console.log(sent.detail.txHash);
});
defineHarmonyPaidChat();
// The types are real, not any: each of these must be an error.
// @ts-expect-error the handle is a string
el.handle = 42;
// @ts-expect-error no such theme
el.theme = 'neon';
// @ts-expect-error no such chain name
createPaidChat({ chain: 'ethereum' });
`,
  );
  for (const [name, options] of [
    ['node16', { module: 'Node16', moduleResolution: 'Node16' }],
    ['bundler', { module: 'ESNext', moduleResolution: 'Bundler' }],
  ] as const) {
    const config = `tsconfig.${name}.json`;
    writeFileSync(
      join(widgetApp, config),
      JSON.stringify({ compilerOptions: { ...options, target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'], strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['consumer.ts'] }),
    );
    const r = await run(process.execPath, [tsc, '-p', config], { cwd: widgetApp }).catch((e) => e);
    assert.equal(r.code ?? 0, 0, `tsc (${name}):\n${r.stdout}${r.stderr}`);
  }
});

/** Serves the consumer project's files (node_modules included) and test pages. */
async function serveProject(dir: string, pages: Record<string, string>): Promise<string> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.html': 'text/html' };
  server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (pages[path]) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages[path]);
    const file = join(dir, normalize(path));
    if (!file.startsWith(dir + '/')) return void res.writeHead(403).end();
    const body = await readFile(file).catch(() => undefined);
    if (body === undefined) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}`;
}

test('Chromium: the installed package renders a creator\'s price — CDN module, classic script, and esbuild and rollup builds of harmony-paid-chat/element', async () => {
  // A bundler consumer: esbuild resolves harmony-paid-chat/element and its dependencies from the project.
  writeFileSync(join(widgetApp, 'app.js'), `import 'harmony-paid-chat/element';\n`);
  mkdirSync(join(widgetApp, 'bundle'), { recursive: true });
  await build({ absWorkingDir: widgetApp, entryPoints: ['app.js'], bundle: true, splitting: true, format: 'esm', platform: 'browser', outdir: 'bundle', logLevel: 'error', minify: true });
  // A rollup consumer, set up the usual way (node-resolve for the browser, commonjs for eciesjs & co.).
  const rolled = await rollup({
    input: join(widgetApp, 'app.js'),
    plugins: [nodeResolve({ browser: true, preferBuiltins: false, rootDir: widgetApp }), commonjs()],
    onwarn: () => undefined,
  });
  await rolled.write({ dir: join(widgetApp, 'rolled'), format: 'es' });
  await rolled.close();
  // Both bundlers honour "sideEffects": an `import 'harmony-paid-chat/element'` must keep the define call.
  for (const dir of ['bundle', 'rolled']) {
    const code = jsFiles(join(widgetApp, dir)).map((f) => readFileSync(f, 'utf8')).join('\n');
    assert.match(code, /customElements/, `${dir}: the bundle keeps the code that registers <harmony-paid-chat>`);
  }
  const tag = `<harmony-paid-chat handle="@satoshi" chain="local" rpc-url="${tc.rpcUrl}" contract="${tc.contract}"></harmony-paid-chat>`;
  const page = (script: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>consumer</title>${script}</head><body>${tag}</body></html>`;
  const url = await serveProject(widgetApp, {
    '/module.html': page('<script type="module" src="/node_modules/harmony-paid-chat/cdn/harmony-paid-chat.js"></script>'),
    '/classic.html': page('<script src="/node_modules/harmony-paid-chat/cdn/harmony-paid-chat.classic.js"></script>'),
    '/bundled.html': page('<script type="module" src="/bundle/app.js"></script>'),
    '/rolled.html': page('<script type="module" src="/rolled/app.js"></script>'),
  });
  browser = await launchChromium();
  for (const path of ['/module.html', '/classic.html', '/bundled.html', '/rolled.html']) {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(url + path, { waitUntil: 'load' });
    assert.match(await shadowText(tab, '[part~="price"]', /10 ONE/), /10 ONE/, path);
    const seen = await tab.evaluate(() => ({
      version: (customElements.get('harmony-paid-chat') as any)?.version,
      reactiveElement: (window as any).reactiveElementVersions?.length,
      litHtml: (window as any).litHtmlVersions?.length,
    }));
    assert.deepEqual(seen, { version, reactiveElement: 1, litHtml: 1 }, `${path}: the version from package.json, one Lit`);
    assert.deepEqual(errors, [], path);
    await tab.close();
  }
});

test('publint and @arethetypeswrong/cli report nothing for either package', async () => {
  for (const tgz of [tarballs.widget, tarballs.notifier]) {
    const lint = await run('npx', ['publint', 'run', tgz, '--strict'], { cwd: ROOT }).catch((e) => e);
    assert.equal(lint.code ?? 0, 0, `publint ${tgz}:\n${lint.stdout}${lint.stderr}`);
    assert.match(lint.stdout, /All good!/);
    // ESM-only by design (Node ≥ 20): the esm-only profile leaves out require() and node10 resolution.
    const types = await run('npx', ['attw', tgz, '--profile', 'esm-only', '--format', 'json'], { cwd: ROOT, maxBuffer: 32 * MB }).catch((e) => e);
    assert.equal(types.code ?? 0, 0, `attw ${tgz}:\n${types.stdout.slice(0, 3000)}${types.stderr}`);
    const report = JSON.parse(types.stdout);
    const problems = (Object.values(report.problems ?? {}).flat() as { kind: string; entrypoint: string; resolutionKind?: string }[]).filter(
      (p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs',
    );
    assert.deepEqual(problems, [], `attw problems in ${tgz}`);
    const entrypoints = Object.keys(report.analysis?.entrypoints ?? {});
    assert.ok(entrypoints.includes('.'), `attw analysed ${tgz}'s entry points (${entrypoints})`);
  }
});

test('the notifier, installed from its tarball: --help, --version, a clear refusal, then it starts from flags and environment and is healthy', async () => {
  const { seconds } = await notifierInstall;
  const nm = join(notifierApp, 'node_modules');
  const installed = JSON.parse(readFileSync(join(nm, 'harmony-paid-chat-notifier/package.json'), 'utf8'));
  assert.equal(installed.version, version);
  // It uses the SDK only through its public entry.
  const sdkImports = jsFiles(join(nm, 'harmony-paid-chat-notifier/dist')).flatMap((f) => bareImports(readFileSync(f, 'utf8'))).filter((s) => s.startsWith('harmony-paid-chat'));
  assert.ok(sdkImports.length > 0);
  assert.deepEqual([...new Set(sdkImports)], ['harmony-paid-chat']);
  assert.ok(!existsSync(join(nm, 'tsx')), 'no TypeScript loader needed at run time');

  const help = await run('npx', ['harmony-paid-chat-notifier', '--help'], { cwd: notifierApp });
  assert.match(help.stdout, /--rpc-url URL/);
  assert.match(help.stdout, /env NOTIFIER_RPC_URL/);
  const v = await run('npx', ['harmony-paid-chat-notifier', '--version'], { cwd: notifierApp });
  assert.equal(v.stdout.trim(), `harmony-paid-chat-notifier ${version} (harmony-paid-chat SDK ${version})`);
  const bad = await run('npx', ['harmony-paid-chat-notifier', '--chain', 'mars'], { cwd: notifierApp }).catch((e) => e);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--chain: "mars" is not one of harmony, harmony-testnet, local/);

  const port = await freePort();
  const child = spawn('npx', ['harmony-paid-chat-notifier', '--rpc-url', tc.rpcUrl, '--contract', tc.contract], {
    cwd: notifierApp,
    detached: true, // npx → node: stop the whole group
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NOTIFIER_CHAIN: 'local', NOTIFIER_PORT: String(port), NOTIFIER_DB: join(tmp, 'notifier.sqlite'), NOTIFIER_SMTP_URL: 'smtp://127.0.0.1:9', NOTIFIER_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  let health: any;
  for (let i = 0; i < 200 && !health; i++) {
    if (child.exitCode !== null) break;
    health = await fetch(`${base}/v1/health`).then((r) => (r.ok ? r.json() : undefined), () => undefined);
    if (!health) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(health, `the notifier answered /v1/health:\n${log}`);
  assert.equal(health.status, 'ok');
  assert.equal(health.chainId, tc.chain.id);
  assert.equal(health.contract.toLowerCase(), tc.contract.toLowerCase());
  const widgetPage = await fetch(`${base}/h/satoshi`);
  assert.equal(widgetPage.status, 200);
  assert.match(await widgetPage.text(), /<harmony-paid-chat[^>]+handle="@?satoshi"/);
  // The widget bundle it serves is the installed harmony-paid-chat package's cdn/.
  const served = await fetch(`${base}/widget/harmony-paid-chat.js`);
  assert.equal(served.status, 200);
  assert.equal(await served.text(), readFileSync(join(nm, 'harmony-paid-chat/cdn/harmony-paid-chat.js'), 'utf8'));
  // Ctrl-C / `systemctl stop`: SIGTERM to the group (npx and the notifier); the notifier shuts down cleanly.
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  killGroup(child, 'SIGTERM');
  await exited;
  for (let i = 0; i < 50 && !/"msg":"shutting down"/.test(log); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(log, /"msg":"shutting down","signal":"SIGTERM"/);
  assert.equal(await fetch(`${base}/v1/health`).then(() => 'up', () => 'down'), 'down');
  console.log(`# notifier install ${seconds.toFixed(1)} s, ${(dirBytes(nm) / MB).toFixed(1)} MB (native: ${nativeModules(nm).join(', ')})`);
});
