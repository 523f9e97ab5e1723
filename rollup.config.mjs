/**
 * Builds:
 *  - dist/      ES modules for bundlers (dependencies external) — types come from `tsc -p tsconfig.build.json`
 *  - cdn/harmony-paid-chat.js          self-contained ES module for a <script type="module"> tag; wallet,
 *                                      chain and crypto code sit in lazily loaded chunks (cdn/chunks/)
 *  - cdn/harmony-paid-chat.classic.js  one classic script for hosts that cannot use modules
 * The dev wallet switcher of the demo is never part of these builds.
 *
 * The dependency list is read from package.json: in dist/ every package import stays an import and
 * must be a declared dependency (the build fails otherwise); the version is written in from
 * package.json (`__HARMONY_PAID_CHAT_VERSION__`, see src/sdk/version.ts).
 * `npm run build` (scripts/build.ts) runs this, then the declarations, the notifier, the SRI hashes
 * and the WordPress plugin zip.
 */
import { readFileSync } from 'node:fs';
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

const ts = (minify) =>
  esbuild({
    include: /\.[jt]s$/,
    target: 'es2022',
    minify,
    legalComments: 'none',
    tsconfig: 'tsconfig.json',
    define: { 'process.env.NODE_ENV': '"production"', __HARMONY_PAID_CHAT_VERSION__: JSON.stringify(pkg.version) },
  });

const browserResolve = () =>
  nodeResolve({
    browser: true,
    preferBuiltins: false,
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

export default [
  {
    input: { index: 'src/index.ts', 'element/harmony-paid-chat': ELEMENT, 'sdk/card': 'src/sdk/card.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    external: isExternal,
    plugins: [onlyDeclaredDependencies(), nodeResolve({ extensions: ['.mjs', '.js', '.ts'] }), ts(false)],
    onwarn,
  },
  {
    input: { 'harmony-paid-chat': ELEMENT },
    output: { dir: 'cdn', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: false },
    plugins: [browserResolve(), commonjs({ transformMixedEsModules: true }), ts(true)],
    onwarn,
  },
  {
    input: ELEMENT,
    output: { file: 'cdn/harmony-paid-chat.classic.js', format: 'iife', inlineDynamicImports: true, sourcemap: false },
    plugins: [browserResolve(), commonjs({ transformMixedEsModules: true }), ts(true)],
    onwarn,
  },
];
