/**
 * Builds:
 *  - dist/      ES modules for bundlers (dependencies external) — types come from `tsc -p tsconfig.build.json`
 *  - cdn/harmony-paid-chat.js          self-contained ES module for a <script type="module"> tag; wallet,
 *                                      chain and crypto code sit in lazily loaded chunks (cdn/chunks/)
 *  - cdn/harmony-paid-chat.classic.js  a classic-script loader for hosts that cannot use
 *                                      `type="module"`: it loads the module build next to it, with
 *                                      that build's SRI hashes written in
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
 * The classic script is a loader: hosts that strip `type="module"` still run a plain `<script>`. It
 * adds the module build next to it (resolved against its own URL, `document.currentScript.src`) as a
 * `<script type="module" integrity>`, after `<link rel="modulepreload" integrity>` lines for the chunks
 * the entry imports statically, exactly like the module snippet; the sha384 hashes are those of the
 * module build's final bytes, written into the loader here. So the loader's own SRI hash (the classic
 * snippet) pins the whole chain the browser loads up front: a changed module entry or first-render
 * chunk is refused by the browser. Both builds share one set of files.
 */
const sha384 = (code) => `sha384-${createHash('sha384').update(code).digest('base64')}`;
const classicLoaderSource = (entry, preload) => `/* harmony-paid-chat ${pkg.version}: classic loader of the module build (harmony-paid-chat.js), SRI-checked */
(function () {
  var s = document.currentScript, base = s && s.src;
  if (!base) return console.error('<harmony-paid-chat>: load harmony-paid-chat.classic.js from a <script src> tag');
  var head = document.head || document.documentElement;
  function add(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    head.appendChild(e);
    return e;
  }
  ${JSON.stringify(preload)}.forEach(function (p) {
    add('link', { rel: 'modulepreload', href: new URL(p[0], base).href, integrity: p[1], crossorigin: 'anonymous' });
  });
  var src = new URL(${JSON.stringify(entry[0])}, base).href;
  add('script', { type: 'module', src: src, integrity: ${JSON.stringify(entry[1])}, crossorigin: 'anonymous' }).onerror = function () {
    console.error('<harmony-paid-chat> could not load ' + src);
  };
})();
`;
const classicLoader = () => ({
  name: 'classic-loader',
  generateBundle(_options, bundle) {
    // The chunks' code is final here (esbuild minified it in renderChunk): hash exactly what is written.
    const entry = bundle['harmony-paid-chat.js'];
    if (entry?.type !== 'chunk') this.error('the module build has no harmony-paid-chat.js entry');
    const preload = entry.imports.map((f) => {
      const chunk = bundle[f];
      if (chunk?.type !== 'chunk') this.error(`harmony-paid-chat.js imports ${f}, which is not in the build`);
      return [`./${f}`, sha384(chunk.code)];
    });
    this.emitFile({ type: 'asset', fileName: 'harmony-paid-chat.classic.js', source: classicLoaderSource(['./harmony-paid-chat.js', sha384(entry.code)], preload) });
  },
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
    plugins: [helpersFirst(), oneLit(), browserResolve(), commonjs({ transformMixedEsModules: true }), ts(true), classicLoader()],
    onwarn,
  },
];
