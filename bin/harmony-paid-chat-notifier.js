#!/usr/bin/env node
// Launches the notifier (src/notifier/main.ts) through tsx's loader, in this process, so that
// signals and the exit code are the notifier's own. Works from a source checkout (`npm ci`).
let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  process.stderr.write(
    'harmony-paid-chat-notifier: the TypeScript loader "tsx" is not installed. Run `npm ci` in the project, or `npm run notifier -- --help`.\n',
  );
  process.exit(1);
}
register();
await import(new URL('../src/notifier/main.ts', import.meta.url).href);
