/** Runs the rollup build unless cdn/ is newer than every file in src/ and the rollup config. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export function isBuildFresh(): boolean {
  const out = join(ROOT, 'cdn/harmony-paid-chat.js');
  return (
    existsSync(out) &&
    existsSync(join(ROOT, 'cdn/harmony-paid-chat.classic.js')) &&
    statSync(out).mtimeMs > Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'rollup.config.mjs')).mtimeMs)
  );
}

export function ensureBuild(force = false): void {
  if (!force && isBuildFresh()) return;
  execFileSync('npx', ['rollup', '-c', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}

/** Like ensureBuild, in a child process, so that other start-up work goes on meanwhile. */
export function ensureBuildAsync(force = false): Promise<'fresh' | 'built'> {
  if (!force && isBuildFresh()) return Promise.resolve('fresh');
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['rollup', '-c', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve('built') : reject(new Error(`the rollup build failed (exit ${code})`))));
  });
}
