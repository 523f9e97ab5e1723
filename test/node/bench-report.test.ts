/**
 * `npm run bench` fails loudly when a figure misses its bar: bench/lib.ts's report() marks the row
 * MISSED, names it on stderr and sets the exit code; and every bench that prints a bar says whether
 * it was met (the Row type makes `met` required next to `bar`, so `tsc` checks the benches too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../scripts/lib/build.js';

/** Runs report() in a child (it sets process.exitCode, which must not touch this test run). */
function runReport(rows: unknown[]) {
  const out = mkdtempSync(join(tmpdir(), 'hpc-bench-report-'));
  try {
    const code = `import { report } from './bench/lib.ts'; report('selftest', ${JSON.stringify(rows)}, { a: 1 }, ${JSON.stringify(out)});`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: JSON.parse(readFileSync(join(out, 'selftest.json'), 'utf8')) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

test('a missed bar sets the exit code and is named; bars that are met and rows without a bar do not', () => {
  const ok = runReport([
    { metric: 'gas', value: 70_000, bar: '≤ 80k', met: true },
    { metric: 'info', value: 3 },
  ]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.json.a, 1);
  assert.doesNotMatch(ok.stdout + ok.stderr, /MISSED/);
  const missed = runReport([
    { metric: 'gas', value: 90_000, bar: '≤ 80k', met: false },
    { metric: 'info', value: 3 },
  ]);
  assert.equal(missed.status, 1, 'npm run bench exits non-zero');
  assert.match(missed.stdout, /MISSED/);
  assert.match(missed.stderr, /selftest: MISSED the bar: gas = 90000 \(bar ≤ 80k\)/);
});

test('every bench row that prints a bar also says whether it was met, and nothing prints a bar outside report()', () => {
  const benches = readdirSync(join(ROOT, 'bench')).filter((f) => f.endsWith('.ts') && f !== 'lib.ts');
  for (const f of benches) {
    const src = readFileSync(join(ROOT, 'bench', f), 'utf8');
    const rows = src.split('\n').filter((l) => /\bbar:\s*['`]/.test(l));
    assert.deepEqual(rows.filter((l) => !/\bmet:/.test(l)), [], `${f}: a row with a bar and no met`);
    assert.doesNotMatch(src, /console\.table|'OVER'/, `${f}: prints through report()`);
  }
});
