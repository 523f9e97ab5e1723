/**
 * Finds PostgreSQL's server tools (Debian's `postgresql` package puts them in
 * /usr/lib/postgresql/<version>/bin, not on PATH) for the notifier's PostgreSQL tests and bench,
 * which start a throwaway cluster on loopback themselves. Where there are none it says how to get
 * them, and on Debian as root it installs the package itself (no system service is used).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

/** The directory holding pg_ctl and initdb, or undefined. */
export function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0]!, 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return found ? join(found, '..') : undefined;
}

/** The tools' directory; installs Debian's `postgresql` when missing and allowed to. Undefined when absent. */
export function ensurePostgres(): string | undefined {
  const found = postgresBin();
  if (found) return found;
  const isDebian = existsSync('/etc/debian_version');
  const isRoot = process.getuid?.() === 0;
  if (isDebian && isRoot) {
    console.log('No PostgreSQL found: installing the Debian package `postgresql` (apt-get) for the notifier tests…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { stdio: 'inherit', env });
    return postgresBin();
  }
  console.log(
    `PostgreSQL is not installed: the notifier's PostgreSQL tests will be skipped. Install it with ${isDebian ? 'sudo apt-get install -y postgresql' : 'your package manager'}.`,
  );
  return undefined;
}
