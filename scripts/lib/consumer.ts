/**
 * What a user of the published packages gets: `npm pack` both packages, install the tarballs into a
 * fresh project with plain `npm install`, and look at what landed in node_modules. Shared by the
 * consumer test (test/node/package-consumer.test.ts) and the install bench (bench/install.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './build.js';

export interface Tarballs {
  widget: string;
  notifier: string;
}

/** `npm pack` of the widget (the repository root) and the notifier (notifier/) into `dest`; build first. */
export function packBoth(dest: string): Tarballs {
  mkdirSync(dest, { recursive: true });
  const pack = (dir: string) => {
    // --ignore-scripts: the prepack build already ran (ensurePackageBuild) and must not run twice.
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: dir, encoding: 'utf8' });
    return join(dest, (JSON.parse(out) as { filename: string }[])[0]!.filename);
  };
  return { widget: pack(ROOT), notifier: pack(join(ROOT, 'notifier')) };
}

/** A new, empty ES-module project. */
export function newProject(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n');
  return dir;
}

/** Plain `npm install <specs…>` in `dir` (the registry or npm's cache supplies the dependencies). */
export function npmInstall(dir: string, specs: string[]): Promise<{ seconds: number; log: string }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--loglevel=warn', ...specs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve({ seconds: (Date.now() - t0) / 1000, log }) : reject(new Error(`npm install ${specs.join(' ')} failed (${code}) in ${dir}:\n${log.slice(-3000)}`)),
    );
  });
}

/** Bytes of every file under `dir` (symlinks not followed). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += lstatSync(p).size;
  }
  return total;
}

/** Every package folder under node_modules (scoped and nested ones too). */
export function installedPackages(nodeModules: string): { name: string; dir: string; pkg: any }[] {
  const out: { name: string; dir: string; pkg: any }[] = [];
  const visit = (nm: string) => {
    if (!existsSync(nm)) return;
    for (const e of readdirSync(nm, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const dirs = e.name.startsWith('@') ? readdirSync(join(nm, e.name)).map((s) => join(nm, e.name, s)) : [join(nm, e.name)];
      for (const dir of dirs) {
        const manifest = join(dir, 'package.json');
        if (!existsSync(manifest)) continue;
        const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
        out.push({ name: pkg.name, dir, pkg });
        visit(join(dir, 'node_modules'));
      }
    }
  };
  visit(nodeModules);
  return out;
}

/** Packages that compile native code on install (binding.gyp) or hold a compiled Node addon (*.node). */
export function nativeModules(nodeModules: string): string[] {
  const hasAddon = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? e.name !== 'node_modules' && hasAddon(join(dir, e.name)) : e.name.endsWith('.node')));
  return installedPackages(nodeModules)
    .filter(({ dir, pkg }) => pkg.gypfile || existsSync(join(dir, 'binding.gyp')) || hasAddon(dir))
    .map(({ pkg }) => `${pkg.name}@${pkg.version}`)
    .sort();
}

/** Packages with an install-time script (preinstall, install, postinstall). */
export function installScripts(nodeModules: string): string[] {
  return installedPackages(nodeModules)
    .filter(({ pkg }) => ['preinstall', 'install', 'postinstall'].some((s) => pkg.scripts?.[s]))
    .map(({ pkg }) => `${pkg.name}@${pkg.version}`)
    .sort();
}

/** The widget's declared runtime dependencies as install specs (`name@range`), read from package.json. */
export function declaredDependencies(dir = ROOT): string[] {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return Object.entries({ ...(pkg.dependencies ?? {}), ...(pkg.peerDependencies ?? {}) }).map(([n, r]) => `${n}@${r}`);
}
