/**
 * The Lit-aware lint (eslint-plugin-lit, eslint.config.mjs) passes on the element, and really
 * checks templates: a probe with known template mistakes is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('npm run lint: the element\'s templates pass eslint-plugin-lit', async () => {
  const r = await run('npx', ['eslint', '--max-warnings', '0', '--format', 'json', 'src/element']).catch((e) => e);
  const report = JSON.parse(r.stdout) as { filePath: string; messages: { ruleId: string; message: string; line: number }[] }[];
  assert.ok(report.length >= 5, `eslint looked at the element's files (${report.length})`);
  assert.deepEqual(report.flatMap((f) => f.messages.map((m) => `${f.filePath}:${m.line} ${m.ruleId} ${m.message}`)), []);
  assert.equal(r.code ?? 0, 0);
});

test('the lint catches template mistakes (a probe)', async () => {
  const probe = "import { html } from 'lit';\nexport const t = (x: string) => html`<${x}></${x}><div a=${x} a=${x} title=\"a>b\"></div>`;\n";
  const running = run('npx', ['eslint', '--format', 'json', '--stdin', '--stdin-filename', 'src/element/probe.ts']);
  running.child.stdin!.end(probe);
  const r = await running.catch((e) => e); // exit 1: problems found
  const rules = new Set((JSON.parse(r.stdout)[0].messages as { ruleId: string }[]).map((m) => m.ruleId));
  for (const rule of ['lit/binding-positions', 'lit/no-duplicate-template-bindings', 'lit/attribute-value-entities']) assert.ok(rules.has(rule), `${rule} reported`);
});
