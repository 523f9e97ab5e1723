/** Shared bits for benchmarks: where results go and how they are printed. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OUT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'out');

/** A printed figure. A row with a `bar` says in `met` whether the figure is within it. */
export type Row = { metric: string; value: number | string; note?: string } & ({ bar?: undefined; met?: undefined } | { bar: string; met: boolean });

/**
 * Writes `json` to bench/out/NAME.json and prints the rows. A missed bar is marked MISSED, named on
 * stderr, and sets `process.exitCode = 1`, so `npm run bench` fails loudly (the other benches still run).
 */
export function report(name: string, rows: Row[], json: Record<string, unknown>, outDir = OUT_DIR): void {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ measuredAt: new Date().toISOString(), ...json }, null, 2) + '\n');
  console.log(`\n${name} → ${file}`);
  const mark = (r: Row) => (r.bar === undefined ? '' : r.met ? 'ok' : 'MISSED');
  console.table(rows.map((r) => ({ metric: r.metric, value: r.value, bar: r.bar ?? '', '': mark(r), note: r.note ?? '' })));
  const missed = rows.filter((r) => r.bar !== undefined && !r.met);
  if (missed.length) {
    for (const r of missed) console.error(`${name}: MISSED the bar: ${r.metric} = ${r.value} (bar ${r.bar})`);
    process.exitCode = 1;
  }
}
