/**
 * custom-elements.json is generated from the element's JSDoc and committed; README.md's reference
 * tables are generated from it. Both fail here when stale.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readmeWithApi } from '../../scripts/docs.js';

test('custom-elements.json matches the element source (run `npm run docs`)', () => {
  // The analyzer resolves its outdir against the working directory: use an ignored folder here.
  const out = 'node_modules/.cache/cem-check';
  rmSync(out, { recursive: true, force: true });
  execFileSync('npx', ['cem', 'analyze', '--config', 'custom-elements-manifest.config.mjs'], { env: { ...process.env, CEM_OUTDIR: out }, stdio: 'pipe' });
  const fresh = JSON.parse(readFileSync(join(out, 'custom-elements.json'), 'utf8'));
  const committed = JSON.parse(readFileSync('custom-elements.json', 'utf8'));
  assert.deepEqual(committed, fresh, 'custom-elements.json is stale: run npm run docs');
});

test('the manifest names the tag and documents events, parts and custom properties', () => {
  const manifest = JSON.parse(readFileSync('custom-elements.json', 'utf8'));
  const el = manifest.modules.flatMap((m: any) => m.declarations ?? []).find((d: any) => d.customElement);
  assert.equal(el.tagName, 'harmony-paid-chat');
  const events = el.events.filter((e: any) => e.name).map((e: any) => e.name).sort();
  assert.deepEqual(events, [
    'harmony-block-change',
    'harmony-connect',
    'harmony-error',
    'harmony-follow-up-sent',
    'harmony-hide-change',
    'harmony-key-change',
    'harmony-message-received',
    'harmony-message-sent',
    'harmony-refund',
    'harmony-reply-sent',
    'harmony-thread-closed',
  ]);
  // Events that report money say what the creator nets after the fee.
  for (const name of ['harmony-message-sent', 'harmony-reply-sent', 'harmony-follow-up-sent', 'harmony-refund', 'harmony-message-received']) {
    assert.match(el.events.find((e: any) => e.name === name).description, /payout/, `${name} documents payout`);
  }
  const parts = ['base', 'header', 'price', 'message-list', 'message', 'composer', 'input', 'send-button', 'connect-button', 'status'];
  const keyParts = ['keys-button', 'keys', 'passphrase-input', 'backup-link', 'restore-file', 'rotate-button', 'sign-out-button', 'read-state', 'site-notice', 'key-notice'];
  const threadParts = ['paid', 'follow-up', 'thread-state', 'mode-button', 'close-button', 'blocked-notice', 'inbox-tools', 'sort-select', 'filter-button', 'hidden-button', 'hide-button', 'block-button', 'live', 'wallet-link', 'walletconnect-button'];
  for (const part of [...parts, ...keyParts, ...threadParts]) {
    assert.ok(el.cssParts.some((p: any) => p.name === part), `part ${part} is documented`);
  }
  assert.ok(el.cssProperties.every((p: any) => p.name.startsWith('--harmony-') && p.default !== undefined), 'every custom property is --harmony-* with a default');
  assert.ok(el.cssProperties.every((p: any) => !/\drem\b/.test(p.default)), 'no default in rem (the page root font size must not matter)');
  assert.ok(el.attributes.some((a: any) => a.name === 'walletconnect-project-id'), 'walletconnect-project-id is documented');
});

test('README.md reference tables match custom-elements.json (run `npm run docs`)', () => {
  const readme = readFileSync('README.md', 'utf8');
  const manifest = JSON.parse(readFileSync('custom-elements.json', 'utf8'));
  assert.ok(readmeWithApi(readme, manifest) === readme, 'README.md API tables are stale: run npm run docs');
});
