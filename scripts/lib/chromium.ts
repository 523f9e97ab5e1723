/**
 * Finds a Chromium or Chrome for browser tests: $CHROME_PATH, then the usual paths. Where there is
 * none it says how to get one, and on Debian as root it installs the `chromium` package itself.
 * It never downloads a browser build of its own.
 */
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';

const CANDIDATES = [
  '/usr/lib/chromium/chromium', // Debian's real binary (/usr/bin/chromium is a shell wrapper)
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function findChrome(): string | undefined {
  const env = process.env.CHROME_PATH;
  if (env) {
    if (existsSync(env)) return env;
    throw new Error(`CHROME_PATH is set to ${env}, but there is no such file.`);
  }
  return CANDIDATES.find((p) => existsSync(p));
}

export function ensureChrome(): string {
  const found = findChrome();
  if (found) return found;
  const isDebian = existsSync('/etc/debian_version');
  const isRoot = process.getuid?.() === 0;
  if (isDebian && isRoot) {
    console.log('No Chromium found: installing the Debian package `chromium` (apt-get)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
    const after = findChrome();
    if (after) return after;
  }
  const how = isDebian
    ? 'sudo apt-get update && sudo apt-get install -y chromium'
    : process.platform === 'darwin'
      ? 'brew install --cask chromium   (or install Google Chrome)'
      : 'install Chromium or Google Chrome with your package manager';
  throw new Error(
    `Browser tests need Chromium or Chrome and none was found.\n` +
      `Looked at $CHROME_PATH and: ${CANDIDATES.join(', ')}.\n` +
      `Install one:  ${how}\nor point CHROME_PATH at an installed Chrome/Chromium binary.`,
  );
}

export function chromeVersion(path: string): string {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim();
}
