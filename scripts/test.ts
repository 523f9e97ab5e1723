/**
 * `npm test`: everything, in order — types, the Node suites (contract, SDK, notifier against
 * anvil and a loopback SMTP server), then the browser suites in real Chromium.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const started = Date.now();
const results: { step: string; ok: boolean; seconds: number }[] = [];

function run(step: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const t = Date.now();
  console.log(`\n▶ ${step}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  results.push({ step, ok, seconds: Math.round((Date.now() - t) / 100) / 10 });
  return ok;
}

const nodeTests = readdirSync('test/node').filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/node/${f}`);
run('typecheck', 'npx', ['tsc', '--noEmit']);
run('node tests', process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...nodeTests]);
if (existsSync('web-test-runner.config.mjs')) {
  const { ensureChrome } = await import('./lib/chromium.js');
  const chrome = ensureChrome();
  run('browser tests', 'npx', ['web-test-runner', '--config', 'web-test-runner.config.mjs'], { CHROME_PATH: chrome });
}

console.log('\nSummary');
console.table(results);
const failed = results.filter((r) => !r.ok).length;
console.log(`total ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`steps: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
