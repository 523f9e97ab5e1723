/**
 * The SDK knows nothing of the DOM or Lit: its module graph (as a bundler sees it) imports
 * neither, and none of its own files touch DOM APIs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const DOM = /\b(?:(?:window|document|navigator|globalThis\.document)\s*[.[]|(?:HTMLElement|customElements|localStorage|sessionStorage|CustomEvent|ShadowRoot|DOMParser)\b)/;

for (const entry of ['src/sdk/index.ts', 'src/sdk/card.ts']) {
  test(`${entry}: module graph has no lit, no web3-onboard, no DOM API`, async (t) => {
    try {
      readFileSync(entry);
    } catch {
      t.skip(`${entry} does not exist`);
      return;
    }
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'neutral',
      format: 'esm',
      mainFields: ['module', 'main'],
      conditions: ['browser', 'import', 'default'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const forbidden = inputs.filter((p) => /node_modules\/(lit|lit-html|lit-element|@lit|@web3-onboard)\//.test(p));
    assert.deepEqual(forbidden, [], 'the SDK must not import lit or web3-onboard');
    const own = inputs.filter((p) => p.startsWith('src/'));
    assert.ok(own.every((p) => p.startsWith('src/sdk/')), `SDK imports outside src/sdk: ${own.filter((p) => !p.startsWith('src/sdk/'))}`);
    for (const file of own) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/(['"`])(?:\\.|(?!\1).)*\1/g, '""');
      const m = code.match(DOM);
      assert.equal(m, null, `${file} uses a DOM API: ${m?.[0]}`);
    }
  });
}
