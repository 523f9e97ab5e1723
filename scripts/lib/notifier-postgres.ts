/**
 * Test support: a throwaway PostgreSQL cluster on loopback (Debian's `postgresql` package; its tools
 * are in /usr/lib/postgresql/<version>/bin). As root the cluster runs as the `postgres` user. The
 * cluster lives in a temporary directory, listens on a free port on 127.0.0.1 (and a socket in that
 * directory), and is stopped and deleted by `stop()` — or, if the test process dies, by an exit hook.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './anvil.js';
import { postgresBin } from './postgres.js';

export { postgresBin };

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/DB */
  url: string;
  port: number;
  /** A new empty database on the same cluster. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const asRoot = userInfo().uid === 0;
const running = new Set<() => void>();
process.on('exit', () => {
  for (const stop of running) stop();
});

function run(bin: string, tool: string, args: string[]) {
  const cmd = join(bin, tool);
  if (asRoot) return execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe', encoding: 'utf8' });
  return execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' });
}

/** Starts a cluster; undefined when PostgreSQL is not installed (the caller skips, or fails under HPC_REQUIRE_ALL_PARTS). */
export async function startPostgres(): Promise<TestPostgres | undefined> {
  const bin = postgresBin();
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'notifier-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const stopSync = () => {
    try {
      run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      /* not running */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    run(bin, 'pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, '-w', 'start']);
  } catch (e) {
    stopSync();
    throw new Error(`PostgreSQL did not start: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
  running.add(stopSync);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const createDatabase = async (name: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return `postgres://postgres@127.0.0.1:${port}/${name}`;
  };
  const url = await createDatabase('notifier');
  return {
    url,
    port,
    createDatabase,
    async stop() {
      running.delete(stopSync);
      try {
        run(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
