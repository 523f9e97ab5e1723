/**
 * The full build behind `npm run build`: what each kind of user installs.
 *
 *  1. rollup (rollup.config.mjs): dist/ (ES modules for bundlers), cdn/ (module build with lazy
 *     chunks, and the classic loader that carries the module build's SRI hashes)
 *  2. dist/**.d.ts (tsc -p tsconfig.build.json)
 *  3. the notifier package: notifier/dist/ (tsc -p notifier/tsconfig.json; JavaScript + types)
 *  4. cdn/integrity.json: Subresource Integrity (sha384) of the two files a page loads by URL
 *  5. the WordPress plugin: integrations/wordpress/harmony-paid-chat/js/ (the module build, loaded
 *     from the plugin itself), zipped to build/harmony-paid-chat-wordpress-<version>.zip
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { ROOT } from './build.js';
import { cdnSnippets, type Integrity } from './snippets.js';

export const PLUGIN_SLUG = 'harmony-paid-chat';
export const PLUGIN_DIR = join(ROOT, 'integrations/wordpress', PLUGIN_SLUG);
/** The files a page loads by URL, whose SRI hashes the README pins. */
export const CDN_ENTRIES = ['harmony-paid-chat.js', 'harmony-paid-chat.classic.js'] as const;

export function packageVersion(dir = ROOT): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function pluginZipPath(version = packageVersion()): string {
  return join(ROOT, 'build', `${PLUGIN_SLUG}-wordpress-${version}.zip`);
}

export function sri(file: string): string {
  return `sha384-${createHash('sha384').update(readFileSync(file)).digest('base64')}`;
}

/** The plugin header's Version and readme.txt's Stable tag; both must equal package.json's version. */
export function pluginVersions(): { header: string | undefined; stableTag: string | undefined; constant: string | undefined } {
  const php = readFileSync(join(PLUGIN_DIR, `${PLUGIN_SLUG}.php`), 'utf8');
  const readme = readFileSync(join(PLUGIN_DIR, 'readme.txt'), 'utf8');
  return {
    header: /^\s*\*\s*Version:\s*(\S+)/m.exec(php)?.[1],
    constant: /const HARMONY_PAID_CHAT_VERSION = '([^']+)'/.exec(php)?.[1],
    stableTag: /^Stable tag:\s*(\S+)/m.exec(readme)?.[1],
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

function newestMtime(paths: string[]): number {
  return Math.max(0, ...paths.filter(existsSync).flatMap((p) => (statSync(p).isDirectory() ? filesUnder(p) : [p])).map((f) => statSync(f).mtimeMs));
}

const SOURCES = ['src', 'notifier/src', 'rollup.config.mjs', 'package.json', 'notifier/package.json', 'tsconfig.build.json', 'notifier/tsconfig.json', 'integrations/wordpress'];
const OUTPUTS = () => ['dist/index.d.ts', 'cdn/integrity.json', 'notifier/dist/main.js', pluginZipPath()];

/** True when every output exists and is newer than every source. */
export function isPackageBuildFresh(): boolean {
  const outs = OUTPUTS().map((o) => (o.startsWith('/') ? o : join(ROOT, o)));
  if (!outs.every(existsSync)) return false;
  const oldestOut = Math.min(...outs.map((o) => statSync(o).mtimeMs));
  const sources = SOURCES.map((s) => join(ROOT, s)).flatMap((s) => (s.endsWith('wordpress') && existsSync(s) ? filesUnder(s).filter((f) => !f.includes(`${PLUGIN_SLUG}/js/`)) : [s]));
  return oldestOut > newestMtime(sources);
}

export interface BuildResult {
  version: string;
  integrity: Record<string, string>;
  pluginZip: string;
  seconds: number;
}

export function buildPackages(log: (line: string) => void = console.log): BuildResult {
  const t0 = Date.now();
  const version = packageVersion();
  const notifierPkg = JSON.parse(readFileSync(join(ROOT, 'notifier/package.json'), 'utf8'));
  if (notifierPkg.version !== version || notifierPkg.dependencies?.['harmony-paid-chat'] !== version) {
    throw new Error(
      `notifier/package.json must have version ${version} and depend on harmony-paid-chat ${version} exactly (it has ${notifierPkg.version} and ${notifierPkg.dependencies?.['harmony-paid-chat']}).`,
    );
  }
  const pv = pluginVersions();
  if (pv.header !== version || pv.stableTag !== version || pv.constant !== version) {
    throw new Error(
      `The WordPress plugin's versions (header ${pv.header}, HARMONY_PAID_CHAT_VERSION ${pv.constant}, readme Stable tag ${pv.stableTag}) must equal package.json's ${version}.`,
    );
  }
  const run = (what: string, args: string[]) => {
    const t = Date.now();
    execFileSync('npx', args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    log(`· ${what} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  };
  for (const out of ['dist', 'cdn', 'notifier/dist', join('integrations/wordpress', PLUGIN_SLUG, 'js')]) rmSync(join(ROOT, out), { recursive: true, force: true });
  run('dist/ and cdn/ (rollup)', ['rollup', '-c', '--silent']);
  run('dist/*.d.ts', ['tsc', '-p', 'tsconfig.build.json']);
  run('notifier/dist/ (tsc)', ['tsc', '-p', 'notifier/tsconfig.json']);

  // SRI of what a page names by URL: the two entries, and the chunks the module entry imports statically.
  const entry = readFileSync(join(ROOT, 'cdn/harmony-paid-chat.js'), 'utf8');
  const preload = [...entry.matchAll(/(?:^|[;\s}])import\s*(?:[\w*{}\s,$]*?from\s*)?["']\.\/(chunks\/[^"']+)["']/g)].map((m) => m[1]!);
  if (!preload.length) throw new Error('cdn/harmony-paid-chat.js imports no chunk statically: the SRI snippet expects one (see scripts/lib/snippets.ts)');
  const integrity = Object.fromEntries([...CDN_ENTRIES, ...preload].map((f) => [f, sri(join(ROOT, 'cdn', f))]));
  const record: Integrity = { version, files: integrity, preload };
  writeFileSync(join(ROOT, 'cdn/integrity.json'), JSON.stringify(record, null, 2) + '\n');

  // The plugin carries the module build (entry + lazy chunks) and loads it from itself.
  const pluginJs = join(PLUGIN_DIR, 'js');
  mkdirSync(pluginJs, { recursive: true });
  cpSync(join(ROOT, 'cdn/harmony-paid-chat.js'), join(pluginJs, 'harmony-paid-chat.js'));
  cpSync(join(ROOT, 'cdn/chunks'), join(pluginJs, 'chunks'), { recursive: true });
  const files: Zippable = {};
  for (const f of filesUnder(PLUGIN_DIR).sort()) {
    const rel = relative(join(PLUGIN_DIR, '..'), f).split('\\').join('/');
    files[rel] = [readFileSync(f), { mtime: new Date('2024-01-01T00:00:00Z') }];
  }
  const zip = pluginZipPath(version);
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  writeFileSync(zip, zipSync(files, { level: 9 }));
  log(`· WordPress plugin ${relative(ROOT, zip)} (${Math.round(statSync(zip).size / 1024)} KB)`);

  log(`\nharmony-paid-chat ${version}: Subresource Integrity of the CDN files (cdn/integrity.json; \`npm run docs\` puts them into README.md and docs/webflow.md):`);
  for (const [f, h] of Object.entries(integrity)) log(`  ${f}  ${h}`);
  const snippets = cdnSnippets(record);
  log(`\nModule build:\n${snippets.module}\n\nClassic build:\n${snippets.classic}`);
  return { version, integrity, pluginZip: zip, seconds: (Date.now() - t0) / 1000 };
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Builds unless every output is newer than every source. Test files running side by side share one
 * build: the first takes a lock (a directory), the others wait for it and find the build fresh.
 */
export function ensurePackageBuild(): void {
  if (isPackageBuildFresh()) return;
  const lock = join(ROOT, 'node_modules/.cache/hpc-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock older than 10 minutes belongs to a build that died: take it over.
      if (Date.now() - statSync(lock).mtimeMs > 10 * 60_000 || Date.now() > deadline) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      sleep(500);
    }
  }
  try {
    if (!isPackageBuildFresh()) buildPackages(() => undefined);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
