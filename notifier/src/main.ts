#!/usr/bin/env node
/**
 * Entry point: `harmony-paid-chat-notifier [options]` (the package's bin, compiled to
 * dist/main.js), or from a source checkout `npm run notifier -- [options]`. See `--help`.
 */
import { createRequire } from 'node:module';
import { VERSION as SDK_VERSION } from 'harmony-paid-chat';
import { ConfigError, HELP, loadConfig } from './config.js';
import { startNotifier } from './service.js';

async function main(): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0); // e.g. `--help | head`
    throw e;
  });
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`harmony-paid-chat-notifier: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (config === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (config === 'version') {
    // ../package.json from both src/main.ts and dist/main.js: this package's own manifest.
    const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
    process.stdout.write(`harmony-paid-chat-notifier ${version} (harmony-paid-chat SDK ${SDK_VERSION})\n`);
    return;
  }
  const notifier = await startNotifier(config);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    process.stdout.write(JSON.stringify({ t: new Date().toISOString(), level: 'info', msg: 'shutting down', signal }) + '\n');
    notifier.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`harmony-paid-chat-notifier: ${(e as Error)?.message ?? e}\n`);
  process.exit(1);
});
