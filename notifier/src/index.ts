/**
 * `harmony-paid-chat-notifier` as a library: start the service in your own process.
 *
 *   import { startNotifier, configWith } from 'harmony-paid-chat-notifier';
 *   const notifier = await startNotifier(configWith({ chain: 'harmony', contract: '0x…', smtpUrl: 'smtps://…' }));
 *   // … later: await notifier.stop();
 *
 * The command `harmony-paid-chat-notifier` (dist/main.js) does the same from flags and environment.
 * `verifyWebhook` is what a receiver of the notifier's webhooks runs (Standard Webhooks).
 */
export { startNotifier, type RunningNotifier, type StartOptions } from './service.js';
export { loadConfig, configWith, defaultStaticDir, ConfigError, HELP, type NotifierConfig, type RateLimit, type LogLevel } from './config.js';
export { createLogger, type Logger } from './log.js';
export { verifyWebhook, signWebhook } from './webhooks.js';
export { WEBHOOK_TYPES } from './facts.js';
