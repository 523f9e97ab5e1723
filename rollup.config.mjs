/**
 * Builds:
 *  - dist/      ES modules for bundlers (dependencies external) — types come from `tsc -p tsconfig.build.json`
 *  - cdn/harmony-paid-chat.js          self-contained ES module for a <script type="module"> tag; wallet,
 *                                      chain and crypto code sit in lazily loaded chunks (cdn/chunks/)
 *  - cdn/harmony-paid-chat.classic.js  a classic-script loader for hosts that cannot use
 *                                      `type="module"`: it imports the module build next to it
 * The dev wallet switcher of the demo is never part of these builds.
 *
 * The dependency list is read from package.json: in dist/ every package import stays an import and
 * must be a declared dependency (the build fails otherwise); the version is written in from
 * package.json (`__HARMONY_PAID_CHAT_VERSION__`, see src/sdk/version.ts).
 * `npm run build` (scripts/build.ts) runs this, then the declarations, the notifier, the SRI hashes
 * and the WordPress plugin zip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import nodeResolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import esbuild from 'rollup-plugin-esbuild';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const isExternal = (id) => id.startsWith('node:') || external.some((d) => id === d || id.startsWith(`${d}/`));

/** dist/: a package import that is not a declared dependency would be bundled silently; refuse it. */
const onlyDeclaredDependencies = () => ({
  name: 'only-declared-dependencies',
  resolveId(source, importer) {
    if (!importer || source.startsWith('\0') || source.startsWith('.') || source.startsWith('/') || isExternal(source)) return null;
    this.error(`"${source}" (imported by ${importer}) is not in package.json "dependencies" or "peerDependencies"; add it there, or it would be bundled into dist/ as a second copy.`);
  },
});

/**
 * Chunk file names from the chunk's modules and the version, not from its content hash: rollup's
 * content hashes of chunks that import each other in a cycle (wallet and SDK chunks do) came out
 * differently from one run to the next under load, and the README pins SRI hashes of these files,
 * so the build must be byte-for-byte reproducible. The version in the name still changes every URL
 * with each release (caches, the WordPress plugin's chunks).
 */
const ROOT = fileURLToPath(new URL('.', import.meta.url));
const stableId = (id) => {
  const clean = id.replace(/\\/g, '/');
  const nm = clean.indexOf('/node_modules/');
  return nm >= 0 ? clean.slice(nm + 1) : clean.startsWith(ROOT) ? clean.slice(ROOT.length) : clean;
};
const chunkFileNames = (chunk) => {
  const key = [pkg.version, ...chunk.moduleIds.map(stableId).sort()].join('\n');
  return `chunks/[name]-${createHash('sha256').update(key).digest('base64url').slice(0, 10)}.js`;
};

/**
 * The CommonJS plugin's helpers module used to land at a place in its chunk that varied between runs
 * (which CommonJS module happened to be transformed first). Importing it first thing in the entry
 * gives it the first place in execution order, every time (it has no side effects: nothing is added
 * to the entry chunk).
 */
const helpersFirst = () => ({
  name: 'commonjs-helpers-first',
  transform(code, id) {
    if (id.replace(/\\/g, '/').endsWith(ELEMENT)) return { code: `import '\0commonjsHelpers.js';\n${code}`, map: null };
    return null;
  },
});

const ts = (minify) =>
  esbuild({
    include: /\.[jt]s$/,
    target: 'es2022',
    minify,
    legalComments: 'none',
    tsconfig: 'tsconfig.json',
    define: { 'process.env.NODE_ENV': '"production"', __HARMONY_PAID_CHAT_VERSION__: JSON.stringify(pkg.version) },
  });

/**
 * One Lit in the CDN build: WalletConnect's modal uses Phosphor's icons, which ship their own copy
 * of Lit (reactive-element 2.0.4, lit-element 4.0.6, lit-html 3.1.4) inside their dist; those
 * modules are resolved to the widget's one Lit instead (same major versions).
 */
const oneLit = () => ({
  name: 'one-lit',
  async resolveId(source, importer, options) {
    if (!importer || !source.startsWith('.')) return null;
    const full = resolvePath(dirname(importer), source).replace(/\\/g, '/');
    const m = full.match(/\/node_modules\/\.pnpm\/[^/]+\/node_modules\/(@lit\/reactive-element|lit-element|lit-html|lit)\/(.+?)\.m?js$/);
    if (!m) return null;
    const own = resolvePath(ROOT, 'node_modules', m[1], `${m[2]}.js`);
    return existsSync(own) ? own : this.resolve(`${m[1]}/${m[2]}.js`, importer, { ...options, skipSelf: true });
  },
});

const browserResolve = () =>
  nodeResolve({
    browser: true,
    preferBuiltins: false,
    // WalletConnect's modal (Reown AppKit) pins its own Lit 3.3.0: one copy of Lit for everything.
    dedupe: ['lit', 'lit-html', 'lit-element', '@lit/reactive-element'],
    exportConditions: ['browser', 'module', 'import', 'default'],
    extensions: ['.mjs', '.js', '.ts', '.json'],
  });

const onwarn = (warning, warn) => {
  // Dependencies' own noise: circular imports and `this` at module level in CJS/UMD code.
  if (['CIRCULAR_DEPENDENCY', 'THIS_IS_UNDEFINED', 'EVAL', 'SOURCEMAP_ERROR'].includes(warning.code)) return;
  if (warning.code === 'INVALID_ANNOTATION' || /annotation/i.test(warning.message)) return;
  warn(warning);
};

const ELEMENT = 'src/element/harmony-paid-chat.ts';

/**
 * The classic script is a loader: hosts that strip `type="module"` still run a plain `<script>`, and a
 * classic script may `import()` modules. It loads the module build next to it (a relative specifier
 * resolves against the classic script's own URL), so both builds share one set of files: the package
 * stays small and a classic page gets the same lazy loading.
 */
const CLASSIC_LOADER = `
const entry = './harmony-paid-chat.js';
import(entry).catch((e) => console.error('<harmony-paid-chat> could not load ' + entry, e));
`;
const classicLoader = () => ({
  name: 'classic-loader',
  resolveId: (id) => (id === 'classic-loader' ? id : id === './harmony-paid-chat.js' ? { id, external: true } : null),
  load: (id) => (id === 'classic-loader' ? CLASSIC_LOADER : null),
});

export default [
  {
    input: { index: 'src/index.ts', 'element/harmony-paid-chat': ELEMENT, 'sdk/card': 'src/sdk/card.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: false, entryFileNames: '[name].js', chunkFileNames },
    external: isExternal,
    plugins: [onlyDeclaredDependencies(), nodeResolve({ extensions: ['.mjs', '.js', '.ts'] }), ts(false)],
    onwarn,
  },
  {
    input: { 'harmony-paid-chat': ELEMENT },
    output: { dir: 'cdn', format: 'es', entryFileNames: '[name].js', chunkFileNames, sourcemap: false },
    plugins: [helpersFirst(), oneLit(), browserResolve(), commonjs({ transformMixedEsModules: true }), ts(true)],
    onwarn,
  },
  {
    input: 'classic-loader',
    output: { file: 'cdn/harmony-paid-chat.classic.js', format: 'iife', sourcemap: false },
    plugins: [classicLoader(), ts(true)],
    onwarn,
  },
];
