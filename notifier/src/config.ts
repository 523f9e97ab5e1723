/**
 * The notifier's configuration: command-line flags, else environment variables, else defaults.
 * `--help` prints every option with its variable and default (see HELP below).
 */
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getAddress, isAddress, parseEther, parseUnits, type Address } from 'viem';
import type { ChainName } from 'harmony-paid-chat';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface RateLimit {
  /** Burst size (bucket capacity). */
  capacity: number;
  /** Time to refill the whole bucket, in ms. */
  perMs: number;
}

export interface NotifierConfig {
  /** A chain the SDK knows by name, or the id of another EVM chain (then --rpc-url and --contract are needed). */
  chain: ChainName | number;
  rpcUrl?: string;
  contract?: Address;
  /** First block to scan when the database has no cursor yet; default: the chain head. */
  fromBlock?: bigint;
  /** Blocks to stay behind the head (Harmony is final on commit: 0; another chain: 12 unless set). */
  confirmations: number;
  smtpUrl: string;
  from?: string;
  /** A SQLite file, or a postgres:// URL (several instances may share one PostgreSQL database). */
  dbPath: string;
  /** SQLite durability: 'full' (fsync every commit) or 'normal' (WAL; safe against process crashes). */
  sqliteSynchronous: 'full' | 'normal';
  /** PostgreSQL connections per instance. */
  dbPool: number;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The service's own public base URL (links in emails, the signed message's domain/URI). */
  publicUrl?: string;
  /** The page that hosts the widget; `{handle}` is replaced. Default `${publicUrl}/h/{handle}`. */
  pageUrl?: string;
  /** RPC URL given to the widget on /h/:handle pages; default rpcUrl. */
  widgetRpcUrl?: string;
  /** Empty: any site may call the public endpoints (the default). Else only these origins. */
  allowedOrigins: string[];
  pollIntervalMs: number;
  reminderLeadSec: number;
  adminToken?: string;
  /** Key for unsubscribe links (HMAC). Default: generated once and kept in the database. */
  secret?: string;
  staticDir: string;
  rateIp: RateLimit;
  rateAddress: RateLimit;
  /** Confirmation emails per recipient address (whatever wallet or IP asks), as N per window. */
  rateEmail: RateLimit;
  trustProxy: boolean;
  confirmTtlSec: number;
  retryBaseMs: number;
  retryMaxMs: number;
  smtpTimeoutMs: number;
  /** SMTP connections used at once by the outbox. */
  smtpConnections: number;
  /** Delivered, failed and skipped outbox rows are deleted after this long. */
  retentionMs: number;
  /** An instance that has not written a heartbeat for this long is taken for dead: its work goes to the others. */
  instanceTimeoutMs: number;
  webhooks: boolean;
  /** Development only: allow http:// webhook URLs to loopback hosts. */
  webhookAllowHttpLoopback: boolean;
  webhookTimeoutMs: number;
  webhookConcurrency: number;
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  webhookMaxAttempts: number;
  webhooksPerAddress: number;
  /** The keeper (refunds expired messages) runs when this file with a 0x private key is given. */
  keeperKeyFile?: string;
  /** Highest gas price the keeper pays (wei). */
  keeperMaxGasPrice: bigint;
  keeperBatch: number;
  keeperIntervalMs: number;
  /** Below this balance (wei) the keeper warns loudly. */
  keeperMinBalance: bigint;
  keeperMaxAttempts: number;
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
  { flag: 'chain', env: 'NOTIFIER_CHAIN', arg: 'NAME|ID', help: 'harmony | harmony-testnet | local, or the chain id of another EVM chain (with --rpc-url and --contract).', def: 'harmony' },
  { flag: 'contract', env: 'NOTIFIER_CONTRACT', arg: '0x…', help: 'PaidChat contract address.', def: "the SDK's known deployment on the chain" },
  { flag: 'from-block', env: 'NOTIFIER_FROM_BLOCK', arg: 'N', help: 'First block to scan when the database has no cursor yet.', def: 'the current head' },
  { flag: 'confirmations', env: 'NOTIFIER_CONFIRMATIONS', arg: 'N', help: 'Stay N blocks behind the head; a reorg up to N blocks deep never reaches the outbox.', def: '0 on Harmony (final on commit) and local, 12 on another chain' },
  { flag: 'smtp-url', env: 'NOTIFIER_SMTP_URL', arg: 'URL', help: 'smtp://user:pass@host:587 or smtps://…:465; nodemailer options as query (?ignoreTLS=true).', def: 'smtp://127.0.0.1:25' },
  { flag: 'from', env: 'NOTIFIER_FROM', arg: 'ADDRESS', help: 'From: of every email, e.g. "Paid Chat <notify@example.com>".', def: 'notifications@<public host>' },
  { flag: 'db', env: 'NOTIFIER_DB', arg: 'PATH|URL', help: 'SQLite file (one instance), or postgres://user:pass@host/db (several instances share the work).', def: './.data/notifier.sqlite' },
  { flag: 'sqlite-sync', env: 'NOTIFIER_SQLITE_SYNC', arg: 'MODE', help: 'full: fsync every commit (survives power loss); normal: WAL without fsync per commit (survives process crashes only).', def: 'full' },
  { flag: 'db-pool', env: 'NOTIFIER_DB_POOL', arg: 'N', help: 'PostgreSQL connections per instance.', def: '10' },
  { flag: 'host', env: 'NOTIFIER_HOST', arg: 'HOST', help: 'HTTP listen address.', def: '127.0.0.1' },
  { flag: 'port', env: 'NOTIFIER_PORT', arg: 'PORT', help: 'HTTP port (0 = any free port).', def: '8787' },
  { flag: 'public-url', env: 'NOTIFIER_PUBLIC_URL', arg: 'URL', help: "The service's public base URL: links in emails, and the resource every signed request names.", def: 'http://<host>:<port>' },
  { flag: 'page-url', env: 'NOTIFIER_PAGE_URL', arg: 'URL', help: 'Public page hosting the widget, "{handle}" is replaced (else ?handle= is added).', def: '<public-url>/h/{handle}' },
  { flag: 'widget-rpc-url', env: 'NOTIFIER_WIDGET_RPC_URL', arg: 'URL', help: 'RPC URL the widget on /h/:handle uses (browsers must reach it).', def: '--rpc-url' },
  { flag: 'allowed-origins', env: 'NOTIFIER_ALLOWED_ORIGINS', arg: 'LIST', help: 'Comma-separated origins allowed to call the API; unset: any site (each signed request is bound to its own origin).', def: 'any origin' },
  { flag: 'poll-interval', env: 'NOTIFIER_POLL_INTERVAL', arg: 'DURATION', help: 'How often to poll the chain (ms, or 500ms / 2s / 1m).', def: '1s' },
  { flag: 'reminder-lead', env: 'NOTIFIER_REMINDER_LEAD', arg: 'DURATION', help: 'Remind the recipient this long before a deadline (s, or 24h).', def: '24h' },
  { flag: 'admin-token', env: 'NOTIFIER_ADMIN_TOKEN', arg: 'TOKEN', help: 'Bearer token for GET /v1/status (disabled when unset).' },
  { flag: 'secret', env: 'NOTIFIER_SECRET', arg: 'TEXT', help: 'Key (≥ 32 chars) for unsubscribe links and the per-address cap.', def: 'generated once, kept in the database' },
  { flag: 'static-dir', env: 'NOTIFIER_STATIC_DIR', arg: 'DIR', help: 'Directory served at /widget/ (the element bundle).', def: "cdn/ of the installed harmony-paid-chat package, else ./cdn" },
  { flag: 'rate-ip', env: 'NOTIFIER_RATE_IP', arg: 'N/DURATION', help: 'Requests per client IP (token bucket, per instance).', def: '30/1m' },
  { flag: 'rate-address', env: 'NOTIFIER_RATE_ADDRESS', arg: 'N/DURATION', help: 'Signed requests per wallet address (token bucket, per instance).', def: '5/1h' },
  { flag: 'rate-email', env: 'NOTIFIER_RATE_EMAIL', arg: 'N/DURATION', help: 'Confirmation emails per recipient address in any window of DURATION, whatever wallet or IP asks (in the database: shared by instances).', def: '3/24h' },
  { flag: 'trust-proxy', env: 'NOTIFIER_TRUST_PROXY', arg: '', help: 'Take the client IP from X-Forwarded-For (behind a reverse proxy).', boolean: true },
  { flag: 'confirm-ttl', env: 'NOTIFIER_CONFIRM_TTL', arg: 'DURATION', help: 'Lifetime of a confirmation link; unconfirmed requests are deleted after it (s, or 24h).', def: '24h' },
  { flag: 'retry-base', env: 'NOTIFIER_RETRY_BASE', arg: 'DURATION', help: 'First SMTP retry delay; doubles per attempt (ms, or 1s).', def: '1s' },
  { flag: 'retry-max', env: 'NOTIFIER_RETRY_MAX', arg: 'DURATION', help: 'Longest SMTP retry delay (ms, or 5m).', def: '5m' },
  { flag: 'smtp-timeout', env: 'NOTIFIER_SMTP_TIMEOUT', arg: 'DURATION', help: 'SMTP connection / greeting / socket timeout (ms, or 30s).', def: '30s' },
  { flag: 'smtp-connections', env: 'NOTIFIER_SMTP_CONNECTIONS', arg: 'N', help: 'SMTP connections the outbox uses at once (messages in flight).', def: '8' },
  { flag: 'retention', env: 'NOTIFIER_RETENTION', arg: 'DURATION', help: 'Delete delivered, failed and skipped emails and webhooks from the outbox after this long (≥ 1h).', def: '30d' },
  { flag: 'instance-timeout', env: 'NOTIFIER_INSTANCE_TIMEOUT', arg: 'DURATION', help: 'PostgreSQL: an instance silent this long is taken for dead; its claimed work goes to the others.', def: '15s' },
  { flag: 'webhooks', env: 'NOTIFIER_WEBHOOKS', arg: 'on|off', help: 'Let creators register webhook endpoints (POST /v1/webhooks).', def: 'on' },
  { flag: 'webhook-allow-http-loopback', env: 'NOTIFIER_WEBHOOK_ALLOW_HTTP_LOOPBACK', arg: '', help: 'Development only: accept http:// webhook URLs to loopback hosts (else https only, never to private addresses).', boolean: true },
  { flag: 'webhook-timeout', env: 'NOTIFIER_WEBHOOK_TIMEOUT', arg: 'DURATION', help: 'Time a webhook endpoint has to answer, from the start of the attempt to its status and headers.', def: '10s' },
  { flag: 'webhook-concurrency', env: 'NOTIFIER_WEBHOOK_CONCURRENCY', arg: 'N', help: 'Webhook deliveries in flight at once.', def: '8' },
  { flag: 'webhook-retry-base', env: 'NOTIFIER_WEBHOOK_RETRY_BASE', arg: 'DURATION', help: 'First webhook retry delay; doubles per attempt.', def: '5s' },
  { flag: 'webhook-retry-max', env: 'NOTIFIER_WEBHOOK_RETRY_MAX', arg: 'DURATION', help: 'Longest webhook retry delay.', def: '1h' },
  { flag: 'webhook-max-attempts', env: 'NOTIFIER_WEBHOOK_MAX_ATTEMPTS', arg: 'N', help: 'Attempts per webhook delivery before it is recorded as failed.', def: '12' },
  { flag: 'webhooks-per-address', env: 'NOTIFIER_WEBHOOKS_PER_ADDRESS', arg: 'N', help: 'Endpoints one address may register.', def: '5' },
  { flag: 'keeper-key-file', env: 'NOTIFIER_KEEPER_KEY_FILE', arg: 'PATH', help: 'Turns the keeper on: a file holding the 0x private key of a funded account that refunds expired messages (refundMany).', def: 'off' },
  { flag: 'keeper-max-gas-price', env: 'NOTIFIER_KEEPER_MAX_GAS_PRICE', arg: 'GWEI', help: 'Highest gas price the keeper pays (e.g. 200gwei); above it the keeper waits.', def: '300gwei' },
  { flag: 'keeper-batch', env: 'NOTIFIER_KEEPER_BATCH', arg: 'N', help: 'Messages per refundMany transaction (1–100).', def: '100' },
  { flag: 'keeper-interval', env: 'NOTIFIER_KEEPER_INTERVAL', arg: 'DURATION', help: 'How often the keeper looks for expired messages.', def: '1m' },
  { flag: 'keeper-min-balance', env: 'NOTIFIER_KEEPER_MIN_BALANCE', arg: 'ONE', help: 'Warn when the keeper account holds less than this (in ONE).', def: '10' },
  { flag: 'keeper-max-attempts', env: 'NOTIFIER_KEEPER_MAX_ATTEMPTS', arg: 'N', help: 'Refund attempts per message before the keeper gives up on it (and says so).', def: '5' },
  { flag: 'log-level', env: 'NOTIFIER_LOG_LEVEL', arg: 'LEVEL', help: 'debug | info | warn | error | silent (JSON lines on stdout).', def: 'info' },
];

export const HELP = `harmony-paid-chat-notifier — email and signed webhooks about Harmony Paid Chat messages, and an optional refund keeper

Usage: harmony-paid-chat-notifier [options]     (in a source checkout: npm run notifier -- [options])

Every option can also be set by an environment variable; a flag wins over the variable.
Durations take a unit (500ms, 2s, 5m, 24h, 7d); a bare number is in the unit named below.

${OPTIONS.map((o) => {
  const head = `  --${o.flag}${o.arg ? ` ${o.arg}` : ''}`;
  return `${head.padEnd(34)} ${o.help}\n${' '.repeat(35)}env ${o.env}${o.def ? ` · default ${o.def}` : ''}`;
}).join('\n')}
${'  --version'.padEnd(34)} Print the notifier's and the SDK's versions and exit.
${'  --help'.padEnd(34)} Print this and exit.

HTTP API (JSON):  GET /v1/health · POST /v1/subscriptions · GET|POST /v1/confirm ·
                  GET|POST /v1/unsubscribe?token= (RFC 8058 one-click) ·
                  POST /v1/webhooks · POST /v1/webhooks/remove · POST /v1/webhooks/list ·
                  GET /v1/status (admin)
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

  const chainRaw = (get('chain') ?? 'harmony').trim();
  let chain: ChainName | number;
  if (['harmony', 'harmony-testnet', 'local'].includes(chainRaw)) chain = chainRaw as ChainName;
  else if (/^\d{1,15}$/.test(chainRaw) && Number(chainRaw) > 0) chain = Number(chainRaw);
  else throw new ConfigError(`--chain: "${chainRaw}" is not one of harmony, harmony-testnet, local, or a chain id.`);
  const contractRaw = get('contract');
  if (contractRaw !== undefined && !isAddress(contractRaw, { strict: false })) {
    throw new ConfigError(`--contract: "${contractRaw}" is not a 0x address.`);
  }
  if (typeof chain === 'number' && (get('rpc-url') === undefined || contractRaw === undefined)) {
    throw new ConfigError(`--chain ${chain}: another EVM chain needs --rpc-url and --contract.`);
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
  const sqliteSynchronous = (get('sqlite-sync') ?? 'full').toLowerCase();
  if (sqliteSynchronous !== 'full' && sqliteSynchronous !== 'normal') throw new ConfigError(`--sqlite-sync: "${sqliteSynchronous}" is not full or normal.`);
  const dbPath = get('db') ?? './.data/notifier.sqlite';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dbPath) && !/^postgres(ql)?:\/\//i.test(dbPath)) throw new ConfigError(`--db: "${dbPath.replace(/\/\/[^@/]*@/, '//***@')}" is neither a file path nor a postgres:// URL.`);
  const retentionMs = parseDuration(get('retention') ?? '30d', 's', 'retention');
  if (retentionMs < 3_600_000) throw new ConfigError('--retention must be at least 1h (rows are kept that long to recognise a replayed block).');
  const keeperKeyFile = get('keeper-key-file');
  const keeperBatch = int(get('keeper-batch') ?? '100', 'keeper-batch', 1, 100);

  return {
    chain,
    rpcUrl: get('rpc-url') !== undefined ? parseUrl(get('rpc-url')!, 'rpc-url') : undefined,
    contract: contractRaw ? getAddress(contractRaw) : undefined,
    fromBlock: fromBlockRaw !== undefined ? BigInt(fromBlockRaw) : undefined,
    confirmations: int(get('confirmations') ?? (typeof chain === 'number' ? '12' : '0'), 'confirmations', 0, 1000),
    smtpUrl,
    from: get('from'),
    dbPath,
    sqliteSynchronous,
    dbPool: int(get('db-pool') ?? '10', 'db-pool', 2, 200),
    host: get('host') ?? '127.0.0.1',
    port: int(get('port') ?? '8787', 'port', 0, 65535),
    publicUrl: get('public-url') !== undefined ? parseUrl(get('public-url')!, 'public-url').replace(/\/+$/, '') : undefined,
    pageUrl: get('page-url') !== undefined ? checkPageUrl(get('page-url')!) : undefined,
    widgetRpcUrl: get('widget-rpc-url') !== undefined ? parseUrl(get('widget-rpc-url')!, 'widget-rpc-url') : undefined,
    allowedOrigins: (get('allowed-origins') ?? '').split(',').filter((s) => s.trim() !== '' && s.trim() !== '*').map(parseOrigin),
    pollIntervalMs: Math.max(50, parseDuration(get('poll-interval') ?? '1s', 'ms', 'poll-interval')),
    reminderLeadSec: Math.round(parseDuration(get('reminder-lead') ?? '24h', 's', 'reminder-lead') / 1000),
    adminToken,
    secret,
    staticDir: get('static-dir') ?? defaultStaticDir(),
    rateIp: parseRate(get('rate-ip') ?? '30/1m', 'rate-ip'),
    rateAddress: parseRate(get('rate-address') ?? '5/1h', 'rate-address'),
    rateEmail: parseRate(get('rate-email') ?? '3/24h', 'rate-email'),
    trustProxy: bool(get('trust-proxy'), 'trust-proxy', false),
    confirmTtlSec: Math.round(parseDuration(get('confirm-ttl') ?? '24h', 's', 'confirm-ttl') / 1000),
    retryBaseMs: Math.max(10, parseDuration(get('retry-base') ?? '1s', 'ms', 'retry-base')),
    retryMaxMs: Math.max(10, parseDuration(get('retry-max') ?? '5m', 'ms', 'retry-max')),
    smtpTimeoutMs: Math.max(100, parseDuration(get('smtp-timeout') ?? '30s', 'ms', 'smtp-timeout')),
    smtpConnections: int(get('smtp-connections') ?? '8', 'smtp-connections', 1, 64),
    retentionMs,
    instanceTimeoutMs: Math.max(1000, parseDuration(get('instance-timeout') ?? '15s', 's', 'instance-timeout')),
    webhooks: bool(get('webhooks'), 'webhooks', true),
    webhookAllowHttpLoopback: bool(get('webhook-allow-http-loopback'), 'webhook-allow-http-loopback', false),
    webhookTimeoutMs: Math.max(100, parseDuration(get('webhook-timeout') ?? '10s', 's', 'webhook-timeout')),
    webhookConcurrency: int(get('webhook-concurrency') ?? '8', 'webhook-concurrency', 1, 256),
    webhookRetryBaseMs: Math.max(10, parseDuration(get('webhook-retry-base') ?? '5s', 's', 'webhook-retry-base')),
    webhookRetryMaxMs: Math.max(10, parseDuration(get('webhook-retry-max') ?? '1h', 's', 'webhook-retry-max')),
    webhookMaxAttempts: int(get('webhook-max-attempts') ?? '12', 'webhook-max-attempts', 1, 100),
    webhooksPerAddress: int(get('webhooks-per-address') ?? '5', 'webhooks-per-address', 1, 100),
    keeperKeyFile,
    keeperMaxGasPrice: parseGwei(get('keeper-max-gas-price') ?? '300gwei', 'keeper-max-gas-price'),
    keeperBatch,
    keeperIntervalMs: Math.max(100, parseDuration(get('keeper-interval') ?? '1m', 's', 'keeper-interval')),
    keeperMinBalance: parseOneAmount(get('keeper-min-balance') ?? '10', 'keeper-min-balance'),
    keeperMaxAttempts: int(get('keeper-max-attempts') ?? '5', 'keeper-max-attempts', 1, 100),
    logLevel,
  };
}

function bool(value: string | undefined, name: string, def: boolean): boolean {
  if (value === undefined) return def;
  if (/^(1|true|yes|on)$/i.test(value.trim())) return true;
  if (/^(0|false|no|off)$/i.test(value.trim())) return false;
  throw new ConfigError(`--${name}: "${value}" is not on or off.`);
}

/** "200gwei", "200 gwei" or a bare number of gwei → wei. */
export function parseGwei(value: string, name: string): bigint {
  const m = /^\s*(\d+(?:\.\d{1,9})?)\s*(gwei|wei)?\s*$/i.exec(value);
  if (!m) throw new ConfigError(`--${name}: "${value}" is not a gas price like 200gwei.`);
  return m[2]?.toLowerCase() === 'wei' ? BigInt(m[1]!.split('.')[0]!) : parseUnits(m[1]!, 9);
}

function parseOneAmount(value: string, name: string): bigint {
  if (!/^\s*\d+(\.\d{1,18})?\s*$/.test(value)) throw new ConfigError(`--${name}: "${value}" is not an amount of ONE like 10 or 0.5.`);
  return parseEther(value.trim());
}

/** Defaults for a programmatic start (tests, the bench); `overrides` as in NotifierConfig. */
export function configWith(overrides: Partial<NotifierConfig>): NotifierConfig {
  const base = loadConfig([], {}) as NotifierConfig;
  return { ...base, ...overrides };
}
