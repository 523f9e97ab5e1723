/**
 * The notifier's tables, for SQLite and PostgreSQL (the same columns; only types and the key
 * generator differ). Times are Unix milliseconds except chain times (deadline, due_at: Unix
 * seconds); message ids and amounts are decimal text (uint64 / uint256).
 *
 *   meta                   key/value: schema version, chain scope, generated secret
 *   cursor                 the last block whose logs are fully turned into outbox rows, and its hash
 *   block_hashes           hashes of recent blocks that produced rows (to find the fork point of a reorg)
 *   instances              running instances and their heartbeats (who holds a claimed outbox row)
 *   leases                 which instance runs the watcher and the keeper (PostgreSQL: one at a time)
 *   nonces                 nonces of accepted signed requests, until their expiry
 *   pending_subscriptions  signed requests waiting for the emailed link (token hashed, expiring,
 *                          superseded by a newer request for the same address and topic)
 *   email_sends            confirmation emails sent per address (keyed by an HMAC of the address): the daily cap
 *   subscriptions          confirmed (address, topic) → email, with the id its unsubscribe links carry
 *   webhooks               registered endpoints per address, with their signing secret
 *   reminders              open messages whose "reply soon" reminder is not due yet
 *   open_messages          messages waiting for a reply or a refund (the keeper's work list)
 *   outbox                 every email and webhook delivery, unique by key, with its facts (never
 *                          message text), status, attempts and the instance that has it in hand
 */
import type { Dialect } from './driver.js';

export const SCHEMA_VERSION = 2;

export function schema(dialect: Dialect): string {
  const id = dialect === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY';
  const int = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  return `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursor (
  scope      TEXT PRIMARY KEY,
  last_block ${int} NOT NULL,
  last_hash  TEXT,
  updated_at ${int} NOT NULL
);
CREATE TABLE IF NOT EXISTS block_hashes (
  scope  TEXT NOT NULL,
  number ${int} NOT NULL,
  hash   TEXT NOT NULL,
  PRIMARY KEY (scope, number)
);
CREATE TABLE IF NOT EXISTS instances (
  id           TEXT PRIMARY KEY,
  started_at   ${int} NOT NULL,
  heartbeat_at ${int} NOT NULL,
  info         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at ${int} NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
  nonce      TEXT PRIMARY KEY,
  address    TEXT NOT NULL,
  expires_at ${int} NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_subscriptions (
  id            ${id},
  address       TEXT NOT NULL,
  topic         TEXT NOT NULL,
  email         TEXT NOT NULL,
  token_hash    TEXT NOT NULL UNIQUE,
  created_at    ${int} NOT NULL,
  expires_at    ${int} NOT NULL,
  confirmed_at  ${int},
  superseded_at ${int},
  superseded_by ${int}
);
CREATE INDEX IF NOT EXISTS pending_by_address ON pending_subscriptions (address, topic);
CREATE INDEX IF NOT EXISTS pending_by_email ON pending_subscriptions (email);
CREATE TABLE IF NOT EXISTS email_sends (
  id        ${id},
  email_key TEXT NOT NULL,
  sent_at   ${int} NOT NULL,
  pending   ${int}
);
CREATE INDEX IF NOT EXISTS email_sends_by_key ON email_sends (email_key, sent_at);
CREATE TABLE IF NOT EXISTS subscriptions (
  id           ${id},
  address      TEXT NOT NULL,
  topic        TEXT NOT NULL CHECK (topic IN ('inbox', 'outbox')),
  email        TEXT NOT NULL,
  unsub_id     TEXT NOT NULL UNIQUE,
  confirmed_at ${int} NOT NULL,
  UNIQUE (address, topic)
);
CREATE INDEX IF NOT EXISTS subscriptions_by_email ON subscriptions (email);
CREATE TABLE IF NOT EXISTS webhooks (
  id          TEXT PRIMARY KEY,
  address     TEXT NOT NULL,
  url         TEXT NOT NULL,
  secret      TEXT NOT NULL,
  created_at  ${int} NOT NULL,
  disabled_at ${int},
  UNIQUE (address, url)
);
CREATE TABLE IF NOT EXISTS reminders (
  message_id    TEXT PRIMARY KEY,
  recipient     TEXT NOT NULL,
  sender        TEXT NOT NULL,
  amount        TEXT NOT NULL,
  deadline      ${int} NOT NULL,
  due_at        ${int} NOT NULL,
  block_number  ${int} NOT NULL,
  settled_block ${int}
);
CREATE INDEX IF NOT EXISTS reminders_due ON reminders (due_at);
CREATE TABLE IF NOT EXISTS open_messages (
  message_id      TEXT PRIMARY KEY,
  deadline        ${int} NOT NULL,
  block_number    ${int} NOT NULL,
  settled_block   ${int},
  keeper_attempts ${int} NOT NULL DEFAULT 0,
  keeper_next_at  ${int} NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS open_messages_due ON open_messages (deadline);
CREATE TABLE IF NOT EXISTS outbox (
  id              ${id},
  key             TEXT NOT NULL UNIQUE,
  channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
  kind            TEXT NOT NULL,
  target          TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  payload         TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
  attempts        ${int} NOT NULL DEFAULT 0,
  next_attempt_at ${int} NOT NULL,
  claimed_by      TEXT,
  last_error      TEXT,
  response        TEXT,
  created_at      ${int} NOT NULL,
  updated_at      ${int} NOT NULL,
  sent_at         ${int},
  block_number    ${int} NOT NULL,
  block_hash      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (channel, status, next_attempt_at, id);
CREATE INDEX IF NOT EXISTS outbox_block ON outbox (block_number);
CREATE INDEX IF NOT EXISTS outbox_target ON outbox (target);
CREATE INDEX IF NOT EXISTS outbox_updated ON outbox (status, updated_at);
`;
}
