/**
 * Entry point: `npm run notifier -- [options]`, `harmony-paid-chat-notifier [options]`, or
 * `node --import tsx src/notifier/main.ts [options]`. See `--help`.
 */
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
