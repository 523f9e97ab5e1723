import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate } from '../../scripts/compile.js';

test('generated ABI modules match contracts/ (run `npm run compile` after editing a .sol file)', () => {
  for (const { out, text } of generate()) {
    const committed = readFileSync(new URL(`../../${out}`, import.meta.url), 'utf8');
    assert.ok(committed === text, `${out} is stale: run npm run compile`);
  }
});
