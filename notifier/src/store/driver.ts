/**
 * One small interface over the two databases the notifier runs on: SQLite (better-sqlite3, the
 * embedded default, one instance per file) and PostgreSQL (`pg`, for several instances sharing one
 * database). SQL is written once with `?` placeholders; the PostgreSQL driver numbers them.
 *
 * SQLite is synchronous and single-connection: every statement and every transaction goes through
 * one async mutex, so a transaction's statements never interleave with another task's.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Dialect = 'sqlite' | 'postgres';
export type Param = string | number | bigint | boolean | null | undefined;

export interface Queryable {
  all<T = Record<string, any>>(sql: string, params?: Param[]): Promise<T[]>;
  get<T = Record<string, any>>(sql: string, params?: Param[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: Param[]): Promise<number>;
}

export interface SqlDriver extends Queryable {
  readonly dialect: Dialect;
  /** Where the data lives, for logs (passwords removed). */
  readonly where: string;
  /** Runs `fn` in one transaction: all or nothing. `fn` must use the given handle only. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements (schema). */
  exec(sql: string): Promise<void>;
  /** PostgreSQL: call `fn` on every NOTIFY on `channel` (from any instance); returns a stop function. SQLite: nothing to listen to. */
  listen(channel: string, fn: () => void): Promise<() => Promise<void>>;
  /** PostgreSQL: NOTIFY `channel` (every listening instance hears it). SQLite: no-op. */
  notify(channel: string): Promise<void>;
  close(): Promise<void>;
}

/** Whether a database option names PostgreSQL (`postgres://…` / `postgresql://…`). */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

function sqliteParam(p: Param): string | number | bigint | null {
  if (p === undefined || p === null) return null;
  if (typeof p === 'boolean') return p ? 1 : 0;
  if (typeof p === 'bigint') return p >= BigInt(Number.MIN_SAFE_INTEGER) && p <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(p) : p.toString();
  return p;
}

class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const r = this.#tail.then(fn, fn);
    this.#tail = r.catch(() => undefined);
    return r;
  }
}

export function openSqlite(path: string, opts: { synchronous?: 'full' | 'normal' } = {}): SqlDriver {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL (default): a committed cursor / "sent" mark survives power loss, not only a process
  // crash. NORMAL (WAL): survives any process crash; a power loss may roll back the last commits.
  db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (cache.size > 500) cache.clear();
      cache.set(sql, s);
    }
    return s;
  };
  const q: Queryable = {
    async all<T>(sql: string, params: Param[] = []) {
      return stmt(sql).all(...params.map(sqliteParam)) as T[];
    },
    async get<T>(sql: string, params: Param[] = []) {
      const s = stmt(sql);
      return (s.reader ? s.get(...params.map(sqliteParam)) : (s.run(...params.map(sqliteParam)), undefined)) as T | undefined;
    },
    async run(sql: string, params: Param[] = []) {
      const s = stmt(sql);
      if (s.reader) return s.all(...params.map(sqliteParam)).length;
      return s.run(...params.map(sqliteParam)).changes;
    },
  };
  const lock = new Mutex();
  return {
    dialect: 'sqlite',
    where: path,
    all: (sql, params) => lock.run(() => q.all(sql, params)),
    get: (sql, params) => lock.run(() => q.get(sql, params)),
    run: (sql, params) => lock.run(() => q.run(sql, params)),
    tx: (fn) =>
      lock.run(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const r = await fn(q);
          db.exec('COMMIT');
          return r;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      }),
    exec: (sql) => lock.run(() => void db.exec(sql)),
    listen: async () => async () => undefined,
    notify: async () => undefined,
    close: () =>
      lock.run(() => {
        if (db.open) db.close();
      }),
  };
}

/** `?` → `$1, $2, …` (the SQL of this package never has a `?` inside a literal). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

function pgParam(p: Param): string | number | boolean | null {
  if (p === undefined || p === null) return null;
  if (typeof p === 'bigint') return p.toString();
  return p;
}

/** int8 (COUNT, BIGINT columns) as a JavaScript number: every value here is a time in ms, a block number or a count. */
const pgTypes = {
  getTypeParser(oid: number, format?: any) {
    if (oid === 20) return (v: string) => (v === null ? null : Number(v));
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

export function openPostgres(url: string, opts: { poolSize?: number; onError?: (e: Error) => void } = {}): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 8, types: pgTypes as any, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // A connection that dies while idle (server restart) must not crash the process.
  pool.on('error', (e) => opts.onError?.(e));
  const on = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async all<T>(sql: string, params: Param[] = []) {
      return (await c.query(numbered(sql), params.map(pgParam))).rows as T[];
    },
    async get<T>(sql: string, params: Param[] = []) {
      return (await c.query(numbered(sql), params.map(pgParam))).rows[0] as T | undefined;
    },
    async run(sql: string, params: Param[] = []) {
      return (await c.query(numbered(sql), params.map(pgParam))).rowCount ?? 0;
    },
  });
  const q = on(pool);
  let where = url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    where = u.toString();
  } catch {
    /* keep as is */
  }
  return {
    dialect: 'postgres',
    where,
    ...q,
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const r = await fn(on(client));
        await client.query('COMMIT');
        return r;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async listen(channel, fn) {
      if (!/^[a-z_]+$/.test(channel)) throw new Error(`bad channel ${channel}`);
      let stopped = false;
      let client: pg.Client | undefined;
      const connect = async (): Promise<void> => {
        if (stopped) return;
        const c = new pg.Client({ connectionString: url, types: pgTypes as any });
        c.on('notification', () => fn());
        c.on('error', (e) => {
          opts.onError?.(e);
          if (client === c) client = undefined;
          // Reconnect: meanwhile the loops still look on their own timers.
          setTimeout(() => void connect().catch(() => undefined), 1000).unref();
        });
        await c.connect();
        await c.query(`LISTEN ${channel}`);
        client = c;
      };
      await connect();
      return async () => {
        stopped = true;
        await client?.end().catch(() => undefined);
      };
    },
    async notify(channel) {
      await pool.query('SELECT pg_notify($1, $2)', [channel, '']);
    },
    async close() {
      await pool.end();
    },
  };
}
