/**
 * `npm test`: everything, in order — types, the build (`npm run build`, when stale), the Node suites
 * (contract, SDK, notifier — also on a throwaway PostgreSQL cluster —, the Lit lint, the built widget and `npm start` in Chromium against anvil
 * and a loopback SMTP server, the packed packages installed into fresh projects, the CDN snippets, the
 * WordPress plugin in a real WordPress), then the element's browser suites in real Chromium. Ends
 * with one line counting every test that ran.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const started = Date.now();
const results: { step: string; ok: boolean; seconds: number; passed?: number; failed?: number }[] = [];

/** Runs a step with its output streamed through, and returns what it printed. */
function run(step: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ok: boolean; out: string }> {
  const t = Date.now();
  console.log(`\n▶ ${step}: ${cmd} ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => {
      const ok = code === 0;
      results.push({ step, ok, seconds: Math.round((Date.now() - t) / 100) / 10 });
      resolve({ ok, out });
    });
  });
}

const last = (out: string, re: RegExp) => {
  const all = [...out.matchAll(re)];
  return all.length ? Number(all[all.length - 1][1]) : undefined;
};

const nodeTests = readdirSync('test/node').filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/node/${f}`);
await run('typecheck', 'npx', ['tsc', '--noEmit']);
// The notifier's PostgreSQL test starts a throwaway cluster of Debian's postgresql on loopback.
{
  const { ensurePostgres } = await import('./lib/postgres.js');
  ensurePostgres();
}
// Once, before the suites that use it (the consumer, CDN and WordPress tests pack and load the build).
await run('build', 'npx', ['tsx', 'scripts/build.ts', '--if-stale']);
{
  const { out } = await run('node tests', process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...nodeTests]);
  Object.assign(results[results.length - 1], { passed: last(out, /^# pass (\d+)/gm), failed: last(out, /^# fail (\d+)/gm) });
}
if (existsSync('web-test-runner.config.mjs')) {
  const { ensureChrome } = await import('./lib/chromium.js');
  const chrome = ensureChrome();
  const { out } = await run('browser tests', 'npx', ['web-test-runner', '--config', 'web-test-runner.config.mjs'], { CHROME_PATH: chrome });
  const m = [...out.matchAll(/(\d+) passed, (\d+) failed/g)].pop();
  if (m) Object.assign(results[results.length - 1], { passed: Number(m[1]), failed: Number(m[2]) });
}

console.log('\nSummary');
console.table(results);
const failedSteps = results.filter((r) => !r.ok).length;
const passed = results.reduce((n, r) => n + (r.passed ?? 0), 0);
const failed = results.reduce((n, r) => n + (r.failed ?? 0), 0);
console.log(`total ${Math.round((Date.now() - started) / 1000)} s; ${failedSteps} of ${results.length} steps failed`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failedSteps ? 1 : 0);
