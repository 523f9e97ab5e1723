/** Runs the rollup build unless cdn/ is newer than every file in src/ and the rollup config. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
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
const builds = new Set<ChildProcess>();

export function ensureBuildAsync(force = false): Promise<'fresh' | 'built'> {
  if (!force && isBuildFresh()) return Promise.resolve('fresh');
  return new Promise((resolve, reject) => {
    // Its own process group, so that `stopBuilds` stops npx and the rollup under it together.
    const child = spawn('npx', ['rollup', '-c', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    builds.add(child);
    child.once('error', reject);
    child.once('exit', (code) => {
      builds.delete(child);
      code === 0 ? resolve('built') : reject(new Error(`the rollup build failed (exit ${code})`));
    });
  });
}

/** Stops builds still running (a start that failed or was interrupted must not leave one writing cdn/). */
export async function stopBuilds(): Promise<void> {
  await Promise.all(
    [...builds].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            resolve();
          }
        }),
    ),
  );
}
