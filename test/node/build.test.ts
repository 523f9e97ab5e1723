/** The package's type declarations build (dist/*.d.ts for bundlers), and name the public API. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

test('tsc -p tsconfig.build.json emits portable declarations for the SDK, the card reader and the element', () => {
  const out = 'node_modules/.cache/dts-check';
  rmSync(out, { recursive: true, force: true });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out], { stdio: 'pipe' });
  const index = readFileSync(`${out}/index.d.ts`, 'utf8');
  assert.match(index, /export \* from '\.\/sdk\/index\.js'/);
  const sdk = readFileSync(`${out}/sdk/index.d.ts`, 'utf8');
  for (const name of ['createPaidChat', 'PaidChatError', 'normalizeHandle', 'toOneAddress', 'sealEnvelope']) assert.match(sdk, new RegExp(name));
  assert.match(readFileSync(`${out}/element/harmony-paid-chat.d.ts`, 'utf8'), /HarmonyPaidChat/);
});
