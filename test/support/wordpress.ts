/**
 * A real WordPress on loopback for the plugin test: WordPress (6.5.5, and 6.4 for the refusal) from
 * the npm package @wp-playground/wordpress-builds, Debian's PHP (`php -S`, mysqli) and a throwaway
 * MariaDB data directory. Nothing is installed system-wide and nothing is mocked.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { unzipSync } from 'fflate';
import { freePort } from '../../scripts/lib/anvil.js';
import { ROOT } from '../../scripts/lib/build.js';

export const WORDPRESS_BUILDS = '@wp-playground/wordpress-builds@0.9.19';
const CACHE = join(ROOT, 'node_modules/.cache/wordpress-builds-0.9.19');
const MARIADBD = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld', '/usr/bin/mariadbd'].find(existsSync);
/** A classic theme: Twenty Twenty-One from Debian's wordpress-theme-twentytwentyone (the npm builds carry only block themes). */
export const CLASSIC_THEME_DIR = '/usr/share/wordpress/wp-content/themes/twentytwentyone';

/** What this machine lacks to run WordPress here (empty when everything is there). */
export function missingWordPressParts(): string[] {
  const missing: string[] = [];
  const php = spawnSync('php', ['-m'], { encoding: 'utf8' });
  if (php.status !== 0) missing.push('php (Debian: php-cli)');
  else if (!/^mysqli$/m.test(php.stdout)) missing.push('PHP mysqli (Debian: php-mysql)');
  if (!MARIADBD || spawnSync('mariadb-install-db', ['--help']).error) missing.push('MariaDB server (Debian: mariadb-server)');
  if (!existsSync(join(CLASSIC_THEME_DIR, 'functions.php'))) missing.push('a classic theme (Debian: wordpress-theme-twentytwentyone)');
  return missing;
}

/**
 * WordPress 6.5 and 6.4 zips from the npm package (≈ 160 MB
 * packed, fetched once with `npm pack`, which checks the registry's integrity; cached under
 * node_modules/.cache).
 */
export function wordpressBuilds(): { wp65: string; wp64: string } {
  const out = { wp65: join(CACHE, 'wp-6.5.zip'), wp64: join(CACHE, 'wp-6.4.zip') };
  if (existsSync(out.wp65) && existsSync(out.wp64)) return out;
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  const name = execFileSync('npm', ['pack', WORDPRESS_BUILDS, '--pack-destination', CACHE, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  const tgz = join(CACHE, name);
  execFileSync('tar', ['xzf', tgz, '-C', CACHE, 'package/src/wordpress/wp-6.5.zip', 'package/src/wordpress/wp-6.4.zip']);
  cpSync(join(CACHE, 'package/src/wordpress/wp-6.5.zip'), out.wp65);
  cpSync(join(CACHE, 'package/src/wordpress/wp-6.4.zip'), out.wp64);
  rmSync(join(CACHE, 'package'), { recursive: true, force: true });
  rmSync(tgz, { force: true });
  return out;
}

export interface MariaDb {
  socket: string;
  query(sql: string): string;
  stop(): Promise<void>;
}

/** A MariaDB server on a private socket (no TCP), in a fresh data directory under `dir`. */
export async function startMariaDb(dir: string): Promise<MariaDb> {
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  mkdirSync(data, { recursive: true });
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=socket', '--skip-test-db', ...asRoot], { stdio: 'pipe' });
  const child: ChildProcess = spawn(
    MARIADBD!,
    ['--no-defaults', `--datadir=${data}`, `--socket=${socket}`, '--skip-networking', `--pid-file=${join(dir, 'mysqld.pid')}`, '--skip-log-bin', '--innodb-buffer-pool-size=32M', ...asRoot],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout!.on('data', (d) => (log = (log + d).slice(-4000)));
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // mariadb-install-db lets the OS user who ran it in over the socket (root, or the developer).
  const user = asRoot.length ? 'root' : userInfo().username;
  const query = (sql: string) => execFileSync('mariadb', ['--no-defaults', `--socket=${socket}`, '-u', user, '-N', '-e', sql], { encoding: 'utf8' });
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited (${child.exitCode}):\n${log}`);
    if (existsSync(socket)) {
      try {
        query('SELECT 1');
        break;
      } catch {
        /* not ready */
      }
    }
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`mariadbd did not start within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    socket,
    query,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

export interface WordPress {
  dir: string;
  url: string;
  version: string;
  /** Runs PHP with WordPress loaded (as user `userId`, 0 = a visitor); returns what it printed. */
  php(code: string, userId?: number): string;
  stop(): Promise<void>;
}

/** Unpacks WordPress from `zip` into `dir`, installs it into database `db`, and serves it with `php -S`. */
export async function startWordPress(opts: { zip: string; dir: string; db: MariaDb; dbName: string }): Promise<WordPress> {
  const { dir, db, dbName } = opts;
  for (const [path, bytes] of Object.entries(unzipSync(readFileSync(opts.zip)))) {
    if (path.endsWith('/')) continue;
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  db.query(`CREATE DATABASE \`${dbName}\`; CREATE USER '${dbName}'@'localhost' IDENTIFIED BY '${dbName}-pw'; GRANT ALL ON \`${dbName}\`.* TO '${dbName}'@'localhost';`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const salts = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT']
    .map((k) => `define('${k}', '${k}-${dbName}-test-only');`)
    .join('\n');
  writeFileSync(
    join(dir, 'wp-config.php'),
    `<?php
define('DB_NAME', '${dbName}');
define('DB_USER', '${dbName}');
define('DB_PASSWORD', '${dbName}-pw');
define('DB_HOST', 'localhost:${db.socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
${salts}
$table_prefix = 'wp_';
define('WP_HOME', '${url}');
define('WP_SITEURL', '${url}');
define('FS_METHOD', 'direct');
define('WP_DEBUG', true);
define('WP_DEBUG_DISPLAY', false);
define('WP_DEBUG_LOG', '${join(dir, 'debug.log')}');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
`,
  );
  const runPhp = (code: string, userId = 0, installing = false): string => {
    const file = join(dir, `.hpc-run-${process.pid}.php`);
    writeFileSync(
      file,
      `<?php
${installing ? "define('WP_INSTALLING', true);" : ''}
$_SERVER['HTTP_HOST'] = '127.0.0.1:${port}';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
require __DIR__ . '/wp-load.php';
${installing ? '' : `wp_set_current_user(${userId});`}
${code}
`,
    );
    try {
      return execFileSync('php', ['-d', 'display_errors=stderr', '-d', 'memory_limit=256M', file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e: any) {
      throw new Error(`PHP failed: ${e.stderr || e.message}\n${e.stdout ?? ''}`);
    } finally {
      rmSync(file, { force: true });
    }
  };
  runPhp(
    `require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$r = wp_install('Plugin test', 'admin', 'admin@example.com', false, '', 'admin-password-0123');
update_option('permalink_structure', '');`,
    0,
    true,
  );
  const version = runPhp('echo get_bloginfo("version");').trim();

  // Its own process group: PHP_CLI_SERVER_WORKERS forks workers, and stop() ends them all.
  const server = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', dir], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PHP_CLI_SERVER_WORKERS: '4' },
    detached: true,
  });
  const killServer = (signal: NodeJS.Signals) => {
    try {
      process.kill(-server.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  process.once('exit', () => killServer('SIGKILL'));
  let log = '';
  server.stdout!.on('data', (d) => (log = (log + d).slice(-4000)));
  server.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  const end = Date.now() + 15_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`php -S exited:\n${log}`);
    if (await fetch(`${url}/wp-login.php`).then((r) => r.status < 500, () => false)) break;
    if (Date.now() > end) {
      killServer('SIGKILL');
      throw new Error(`php -S did not answer within 15 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    url,
    version,
    php: (code, userId = 0) => runPhp(code, userId),
    async stop() {
      if (server.exitCode === null) {
        killServer('SIGTERM');
        const t = setTimeout(() => killServer('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/** Installs a plugin zip the way "Upload Plugin" does (core's Plugin_Upgrader), then tries to activate it. */
export function installPluginZip(wp: WordPress, zip: string, pluginFile: string): { installed: boolean; errors: string[]; activation: string } {
  const out = wp.php(
    `require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/misc.php';
require_once ABSPATH . 'wp-admin/includes/class-wp-upgrader.php';
$skin = new WP_Ajax_Upgrader_Skin();
$installed = (new Plugin_Upgrader($skin))->install(${JSON.stringify(zip)});
$errors = $skin->get_errors();
$act = $installed === true ? activate_plugin(${JSON.stringify(pluginFile)}) : false; // null is success
echo json_encode(array(
  'installed' => $installed === true,
  'errors' => is_wp_error($errors) ? array_map('wp_strip_all_tags', array_merge($errors->get_error_messages(), array_map('strval', $errors->get_error_data() ? (array) $errors->get_error_data() : array()))) : array(),
  'activation' => $act === false ? 'not installed' : (is_wp_error($act) ? $act->get_error_code() . ': ' . wp_strip_all_tags($act->get_error_message()) : 'ok'),
));`,
    1,
  );
  const r = JSON.parse(out.slice(out.indexOf('{')));
  return { installed: r.installed, errors: r.errors, activation: r.activation };
}
