/**
 * The notifier's configuration: command-line flags, else environment variables, else defaults.
 * `--help` prints every option with its variable and default (see HELP below).
 */
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getAddress, isAddress, type Address } from 'viem';
import type { ChainName } from 'harmony-paid-chat';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface RateLimit {
  /** Burst size (bucket capacity). */
  capacity: number;
  /** Time to refill the whole bucket, in ms. */
  perMs: number;
}

export interface NotifierConfig {
  chain: ChainName;
  rpcUrl?: string;
  contract?: Address;
  /** First block to scan when the database has no cursor yet; default: the chain head. */
  fromBlock?: bigint;
  /** Blocks to stay behind the head (Harmony is final on commit: 0). */
  confirmations: number;
  smtpUrl: string;
  from?: string;
  dbPath: string;
  /** SQLite durability: 'full' (fsync every commit) or 'normal' (WAL; safe against process crashes). */
  sqliteSynchronous: 'full' | 'normal';
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The service's own public base URL (links in emails, the signed message's domain/URI). */
  publicUrl?: string;
  /** The page that hosts the widget; `{handle}` is replaced. Default `${publicUrl}/h/{handle}`. */
  pageUrl?: string;
  /** RPC URL given to the widget on /h/:handle pages; default rpcUrl. */
  widgetRpcUrl?: string;
  allowedOrigins: string[];
  pollIntervalMs: number;
  reminderLeadSec: number;
  adminToken?: string;
  /** Key for unsubscribe links (HMAC). Default: generated once and kept in the database. */
  secret?: string;
  staticDir: string;
  rateIp: RateLimit;
  rateAddress: RateLimit;
  trustProxy: boolean;
  confirmTtlSec: number;
  retryBaseMs: number;
  retryMaxMs: number;
  smtpTimeoutMs: number;
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface OptionSpec {
  flag: string;
  env: string;
  arg: string;
  help: string;
  def?: string;
  boolean?: boolean;
}

const OPTIONS: OptionSpec[] = [
  { flag: 'rpc-url', env: 'NOTIFIER_RPC_URL', arg: 'URL', help: "JSON-RPC endpoint to read the chain from.", def: "the chain's public RPC" },
  { flag: 'chain', env: 'NOTIFIER_CHAIN', arg: 'NAME', help: 'harmony | harmony-testnet | local', def: 'harmony' },
  { flag: 'contract', env: 'NOTIFIER_CONTRACT', arg: '0x…', help: 'PaidChat contract address.', def: "the SDK's known deployment on the chain" },
  { flag: 'from-block', env: 'NOTIFIER_FROM_BLOCK', arg: 'N', help: 'First block to scan when the database has no cursor yet.', def: 'the current head' },
  { flag: 'confirmations', env: 'NOTIFIER_CONFIRMATIONS', arg: 'N', help: 'Stay N blocks behind the head (Harmony is final on commit).', def: '0' },
  { flag: 'smtp-url', env: 'NOTIFIER_SMTP_URL', arg: 'URL', help: 'smtp://user:pass@host:587 or smtps://…:465; nodemailer options as query (?ignoreTLS=true).', def: 'smtp://127.0.0.1:25' },
  { flag: 'from', env: 'NOTIFIER_FROM', arg: 'ADDRESS', help: 'From: of every email, e.g. "Paid Chat <notify@example.com>".', def: 'notifications@<public host>' },
  { flag: 'db', env: 'NOTIFIER_DB', arg: 'PATH', help: 'SQLite database (subscriptions, outbox, cursor).', def: './.data/notifier.sqlite' },
  { flag: 'sqlite-sync', env: 'NOTIFIER_SQLITE_SYNC', arg: 'MODE', help: 'full: fsync every commit (survives power loss); normal: WAL without fsync per commit (survives process crashes only).', def: 'full' },
  { flag: 'host', env: 'NOTIFIER_HOST', arg: 'HOST', help: 'HTTP listen address.', def: '127.0.0.1' },
  { flag: 'port', env: 'NOTIFIER_PORT', arg: 'PORT', help: 'HTTP port (0 = any free port).', def: '8787' },
  { flag: 'public-url', env: 'NOTIFIER_PUBLIC_URL', arg: 'URL', help: "The service's public base URL, used in links and in the signed message.", def: 'http://<host>:<port>' },
  { flag: 'page-url', env: 'NOTIFIER_PAGE_URL', arg: 'URL', help: 'Public page hosting the widget, "{handle}" is replaced (else ?handle= is added).', def: '<public-url>/h/{handle}' },
  { flag: 'widget-rpc-url', env: 'NOTIFIER_WIDGET_RPC_URL', arg: 'URL', help: 'RPC URL the widget on /h/:handle uses (browsers must reach it).', def: '--rpc-url' },
  { flag: 'allowed-origins', env: 'NOTIFIER_ALLOWED_ORIGINS', arg: 'LIST', help: 'Comma-separated origins allowed to call the API from a browser (CORS).', def: 'only the public URL\'s own origin' },
  { flag: 'poll-interval', env: 'NOTIFIER_POLL_INTERVAL', arg: 'DURATION', help: 'How often to poll the chain (ms, or 500ms / 2s / 1m).', def: '2s' },
  { flag: 'reminder-lead', env: 'NOTIFIER_REMINDER_LEAD', arg: 'DURATION', help: 'Remind the recipient this long before a deadline (s, or 24h).', def: '24h' },
  { flag: 'admin-token', env: 'NOTIFIER_ADMIN_TOKEN', arg: 'TOKEN', help: 'Bearer token for GET /v1/status (disabled when unset).' },
  { flag: 'secret', env: 'NOTIFIER_SECRET', arg: 'TEXT', help: 'Key (≥ 32 chars) for unsubscribe links.', def: 'generated once, kept in the database' },
  { flag: 'static-dir', env: 'NOTIFIER_STATIC_DIR', arg: 'DIR', help: 'Directory served at /widget/ (the element bundle).', def: "cdn/ of the installed harmony-paid-chat package, else ./cdn" },
  { flag: 'rate-ip', env: 'NOTIFIER_RATE_IP', arg: 'N/DURATION', help: 'Requests per client IP (token bucket).', def: '30/1m' },
  { flag: 'rate-address', env: 'NOTIFIER_RATE_ADDRESS', arg: 'N/DURATION', help: 'Signed subscriptions per address.', def: '5/1h' },
  { flag: 'trust-proxy', env: 'NOTIFIER_TRUST_PROXY', arg: '', help: 'Take the client IP from X-Forwarded-For (behind a reverse proxy).', boolean: true },
  { flag: 'confirm-ttl', env: 'NOTIFIER_CONFIRM_TTL', arg: 'DURATION', help: 'Lifetime of a confirmation link (s, or 24h).', def: '24h' },
  { flag: 'retry-base', env: 'NOTIFIER_RETRY_BASE', arg: 'DURATION', help: 'First SMTP retry delay; doubles per attempt (ms, or 1s).', def: '1s' },
  { flag: 'retry-max', env: 'NOTIFIER_RETRY_MAX', arg: 'DURATION', help: 'Longest SMTP retry delay (ms, or 5m).', def: '5m' },
  { flag: 'smtp-timeout', env: 'NOTIFIER_SMTP_TIMEOUT', arg: 'DURATION', help: 'SMTP connection / greeting / socket timeout (ms, or 30s).', def: '30s' },
  { flag: 'log-level', env: 'NOTIFIER_LOG_LEVEL', arg: 'LEVEL', help: 'debug | info | warn | error | silent (JSON lines on stdout).', def: 'info' },
];

export const HELP = `harmony-paid-chat-notifier — emails people about their Harmony Paid Chat messages

Usage: harmony-paid-chat-notifier [options]     (in a source checkout: npm run notifier -- [options])

Every option can also be set by an environment variable; a flag wins over the variable.
Durations take a unit (500ms, 2s, 5m, 24h, 7d); a bare number is in the unit named below.

${OPTIONS.map((o) => {
  const head = `  --${o.flag}${o.arg ? ` ${o.arg}` : ''}`;
  return `${head.padEnd(34)} ${o.help}\n${' '.repeat(35)}env ${o.env}${o.def ? ` · default ${o.def}` : ''}`;
}).join('\n')}
${'  --version'.padEnd(34)} Print the notifier's and the SDK's versions and exit.
${'  --help'.padEnd(34)} Print this and exit.

HTTP API (JSON):  GET /v1/health · POST /v1/subscriptions · GET /v1/confirm?token= ·
                  GET|POST /v1/unsubscribe?token= (RFC 8058 one-click) · GET /v1/status (admin)
Pages:            GET /h/:handle (hosts the widget from --static-dir at /widget/)
`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "2s", "24h"… to ms; a bare number is taken in `bareUnit`. */
export function parseDuration(value: string, bareUnit: 'ms' | 's', name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!m) throw new ConfigError(`--${name}: "${value}" is not a duration (use e.g. 500ms, 2s, 5m, 24h).`);
  const ms = Number(m[1]) * UNITS[m[2] ?? bareUnit]!;
  if (!Number.isFinite(ms)) throw new ConfigError(`--${name}: "${value}" is out of range.`);
  return Math.round(ms);
}

export function parseRate(value: string, name: string): RateLimit {
  const m = /^\s*(\d+)\s*\/\s*(.+)$/.exec(value);
  if (!m || Number(m[1]) < 1) throw new ConfigError(`--${name}: "${value}" is not N/DURATION (e.g. 30/1m).`);
  const perMs = parseDuration(m[2]!, 's', name);
  if (perMs <= 0) throw new ConfigError(`--${name}: the duration must be positive.`);
  return { capacity: Number(m[1]), perMs };
}

function parseUrl(value: string, name: string): string {
  try {
    const u = new URL(value);
    if (!/^https?:$/.test(u.protocol)) throw new Error();
    return value;
  } catch {
    throw new ConfigError(`--${name}: "${value}" is not an http(s) URL.`);
  }
}

function checkPageUrl(value: string): string {
  parseUrl(value.replace('{handle}', 'x'), 'page-url');
  return value;
}

function parseOrigin(value: string): string {
  try {
    const u = new URL(value.trim());
    if (!/^https?:$/.test(u.protocol)) throw new Error();
    return u.origin;
  } catch {
    throw new ConfigError(`--allowed-origins: "${value}" is not an origin like https://example.com.`);
  }
}

function int(value: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`--${name}: "${value}" must be a whole number between ${min} and ${max}.`);
  }
  return Number(value);
}

/**
 * The widget bundle served at /widget/: the `cdn/` folder of the `harmony-paid-chat` package this
 * notifier depends on, when it is installed next to it; else `./cdn` (a source checkout).
 */
export function defaultStaticDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('harmony-paid-chat/package.json')), 'cdn');
  } catch {
    return 'cdn';
  }
}

/** Reads the configuration; returns 'help' or 'version' when --help or --version was asked for. */
export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): NotifierConfig | 'help' | 'version' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        ...Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: o.boolean ? 'boolean' : 'string' } as const])),
      },
    }) as any);
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\nRun with --help to see the options.`);
  }
  if (values.help) return 'help';
  if (values.version) return 'version';
  const get = (flag: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    if (v === true) return 'true';
    const o = OPTIONS.find((x) => x.flag === flag)!;
    const e = env[o.env];
    return e === undefined || e === '' ? undefined : e;
  };

  const chain = (get('chain') ?? 'harmony') as ChainName;
  if (!['harmony', 'harmony-testnet', 'local'].includes(chain)) {
    throw new ConfigError(`--chain: "${chain}" is not one of harmony, harmony-testnet, local.`);
  }
  const contractRaw = get('contract');
  if (contractRaw !== undefined && !isAddress(contractRaw, { strict: false })) {
    throw new ConfigError(`--contract: "${contractRaw}" is not a 0x address.`);
  }
  const fromBlockRaw = get('from-block');
  if (fromBlockRaw !== undefined && !/^\d+$/.test(fromBlockRaw)) throw new ConfigError(`--from-block: "${fromBlockRaw}" is not a block number.`);
  const smtpUrl = get('smtp-url') ?? 'smtp://127.0.0.1:25';
  if (!/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError(`--smtp-url: "${smtpUrl}" must start with smtp:// or smtps://.`);
  const logLevel = (get('log-level') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) throw new ConfigError(`--log-level: "${logLevel}" is not debug, info, warn, error or silent.`);
  const secret = get('secret');
  if (secret !== undefined && secret.length < 32) throw new ConfigError('--secret must be at least 32 characters.');
  const adminToken = get('admin-token');
  if (adminToken !== undefined && adminToken.length < 16) throw new ConfigError('--admin-token must be at least 16 characters.');
  const trust = get('trust-proxy');
  const sqliteSynchronous = (get('sqlite-sync') ?? 'full').toLowerCase();
  if (sqliteSynchronous !== 'full' && sqliteSynchronous !== 'normal') throw new ConfigError(`--sqlite-sync: "${sqliteSynchronous}" is not full or normal.`);

  return {
    chain,
    rpcUrl: get('rpc-url') !== undefined ? parseUrl(get('rpc-url')!, 'rpc-url') : undefined,
    contract: contractRaw ? getAddress(contractRaw) : undefined,
    fromBlock: fromBlockRaw !== undefined ? BigInt(fromBlockRaw) : undefined,
    confirmations: int(get('confirmations') ?? '0', 'confirmations', 0, 1000),
    smtpUrl,
    from: get('from'),
    dbPath: get('db') ?? './.data/notifier.sqlite',
    sqliteSynchronous,
    host: get('host') ?? '127.0.0.1',
    port: int(get('port') ?? '8787', 'port', 0, 65535),
    publicUrl: get('public-url') !== undefined ? parseUrl(get('public-url')!, 'public-url').replace(/\/+$/, '') : undefined,
    pageUrl: get('page-url') !== undefined ? checkPageUrl(get('page-url')!) : undefined,
    widgetRpcUrl: get('widget-rpc-url') !== undefined ? parseUrl(get('widget-rpc-url')!, 'widget-rpc-url') : undefined,
    allowedOrigins: (get('allowed-origins') ?? '').split(',').filter((s) => s.trim() !== '').map(parseOrigin),
    pollIntervalMs: Math.max(50, parseDuration(get('poll-interval') ?? '2s', 'ms', 'poll-interval')),
    reminderLeadSec: Math.round(parseDuration(get('reminder-lead') ?? '24h', 's', 'reminder-lead') / 1000),
    adminToken,
    secret,
    staticDir: get('static-dir') ?? defaultStaticDir(),
    rateIp: parseRate(get('rate-ip') ?? '30/1m', 'rate-ip'),
    rateAddress: parseRate(get('rate-address') ?? '5/1h', 'rate-address'),
    trustProxy: trust !== undefined && !/^(0|false|no)$/i.test(trust),
    confirmTtlSec: Math.round(parseDuration(get('confirm-ttl') ?? '24h', 's', 'confirm-ttl') / 1000),
    retryBaseMs: Math.max(10, parseDuration(get('retry-base') ?? '1s', 'ms', 'retry-base')),
    retryMaxMs: Math.max(10, parseDuration(get('retry-max') ?? '5m', 'ms', 'retry-max')),
    smtpTimeoutMs: Math.max(100, parseDuration(get('smtp-timeout') ?? '30s', 'ms', 'smtp-timeout')),
    logLevel,
  };
}

/** Defaults for a programmatic start (tests, the bench); `overrides` as in NotifierConfig. */
export function configWith(overrides: Partial<NotifierConfig>): NotifierConfig {
  const base = loadConfig([], {}) as NotifierConfig;
  return { ...base, ...overrides };
}
