/** Shared bits for benchmarks: where results go and how they are printed. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OUT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'out');

export type Row = { metric: string; value: number | string; bar?: string; note?: string };

export function report(name: string, rows: Row[], json: Record<string, unknown>): void {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify({ measuredAt: new Date().toISOString(), ...json }, null, 2) + '\n');
  console.log(`\n${name} → ${file}`);
  console.table(rows.map((r) => ({ metric: r.metric, value: r.value, bar: r.bar ?? '', note: r.note ?? '' })));
}
