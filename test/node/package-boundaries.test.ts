/**
 * The package boundaries, in the source: the element reaches the notifier only through the SDK; the
 * notifier uses the SDK only through its public entry (`harmony-paid-chat`); nothing outside test/
 * (scripts, demo, benches, src, the notifier) imports test code; the two packages declare what they
 * import, and agree on versions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|mjs|js)$/.test(e.name) ? [join(dir, e.name)] : []));
const imports = (file: string) =>
  [
    ...readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm),
  ].map((m) => (m[1] ?? m[2] ?? m[3])!);
const pkgName = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);

test('src/ (SDK and element) never imports notifier code', () => {
  const bad = files('src').flatMap((f) => imports(f).filter((s) => /notifier\/|harmony-paid-chat-notifier/.test(s) && !s.endsWith('notifier-client.js')).map((s) => `${f}: ${s}`));
  assert.deepEqual(bad, []);
});

test('the notifier uses the SDK only through its public entry, and declares every package it imports', () => {
  const pkg = JSON.parse(readFileSync('notifier/package.json', 'utf8'));
  const declared = new Set(Object.keys(pkg.dependencies));
  const all = files('notifier/src').flatMap((f) => imports(f).map((s) => ({ f, s })));
  const escapes = all.filter(({ s }) => s.startsWith('.') && !s.startsWith('./'));
  assert.deepEqual(escapes.map(({ f, s }) => `${f}: ${s}`), [], 'no relative import out of notifier/src');
  const sdk = all.filter(({ s }) => s.startsWith('harmony-paid-chat'));
  assert.ok(sdk.length > 0);
  assert.deepEqual([...new Set(sdk.map(({ s }) => s))], ['harmony-paid-chat'], 'only the public entry');
  const undeclared = all.filter(({ s }) => !s.startsWith('.') && !s.startsWith('node:') && !declared.has(pkgName(s)));
  assert.deepEqual(undeclared.map(({ f, s }) => `${f}: ${s}`), []);
});

test('the notifier depends on exactly this version of the widget package, and the root has its dependencies for development', () => {
  const root = JSON.parse(readFileSync('package.json', 'utf8'));
  const notifier = JSON.parse(readFileSync('notifier/package.json', 'utf8'));
  assert.equal(notifier.version, root.version);
  assert.equal(notifier.dependencies['harmony-paid-chat'], root.version);
  for (const [name, range] of Object.entries(notifier.dependencies as Record<string, string>)) {
    if (name === 'harmony-paid-chat') continue;
    assert.equal(root.dependencies?.[name] ?? root.devDependencies?.[name], range, `${name}: the same range in package.json (to develop and test the notifier here)`);
  }
  for (const server of ['better-sqlite3', 'nodemailer']) assert.equal(root.dependencies[server], undefined, `${server} is not a widget dependency`);
  assert.equal(root.bin, undefined);
});

test('the widget declares every package its source imports at run time', () => {
  const root = JSON.parse(readFileSync('package.json', 'utf8'));
  const declared = new Set(Object.keys({ ...root.dependencies, ...root.peerDependencies }));
  const runtime = files('src').flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)]
      .map((m) => m[1] ?? m[2]!)
      .filter((s) => !s.startsWith('.'))
      .map((s) => ({ f, s })),
  );
  assert.ok(runtime.some(({ s }) => s === '@lit/task'));
  assert.deepEqual(runtime.filter(({ s }) => !declared.has(pkgName(s))).map(({ f, s }) => `${f}: ${s}`), []);
});

test('nothing outside test/ imports test code: scripts, demo, benches, the SDK and element, the notifier', () => {
  const scanned = ['scripts', 'demo', 'bench', 'src', 'notifier/src'].flatMap(files);
  assert.ok(scanned.includes(join('scripts', 'lib', 'chain.ts')) && scanned.some((f) => f.startsWith('bench')), 'the scan reaches scripts/lib and bench/');
  const bad = scanned.flatMap((f) => imports(f).filter((s) => /(^|\/)test\//.test(s)).map((s) => `${f}: ${s}`));
  assert.deepEqual(bad, []);
  // The guard sees every kind of import: a file that imported test/support would be caught.
  assert.deepEqual(imports(join('test', 'support', 'chain.ts')), ['../../scripts/lib/chain.js']);
});

test('README.md says why each dependency of both packages (and each dev tool) is there', () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Dependencies, and why each is there'));
  const root = JSON.parse(readFileSync('package.json', 'utf8'));
  const notifier = JSON.parse(readFileSync('notifier/package.json', 'utf8'));
  const names = new Set([...Object.keys(root.dependencies), ...Object.keys(root.devDependencies), ...Object.keys(notifier.dependencies)]);
  assert.deepEqual([...names].filter((n) => !section.includes(`\`${n}\``)), []);
});

test("the notifier's README documents every option of --help, with its environment variable", async () => {
  const { HELP } = await import('../../notifier/src/config.js');
  const readme = readFileSync('notifier/README.md', 'utf8');
  const flags = [...HELP.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]!).filter((f) => f !== 'help' && f !== 'version');
  const envs = [...HELP.matchAll(/env (NOTIFIER_[A-Z_]+)/g)].map((m) => m[1]!);
  assert.ok(flags.length >= 25 && envs.length === flags.length);
  assert.deepEqual(flags.filter((f) => !readme.includes(`\`--${f}\``)), []);
  assert.deepEqual(envs.filter((e) => !readme.includes(`\`${e}\``)), []);
  for (const section of ['## Install and run', '## Configuration', '## systemd', '## Container']) assert.ok(readme.includes(section), section);
});
