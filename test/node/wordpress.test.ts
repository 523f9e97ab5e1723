/**
 * The WordPress plugin (integrations/wordpress): valid PHP, and its shortcode prints exactly the
 * snippet — validated and escaped — and enqueues the module script once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';

const PLUGIN = 'integrations/wordpress/harmony-paid-chat/harmony-paid-chat.php';
const hasPhp = spawnSync('php', ['-v']).status === 0;

function render(atts: Record<string, string>[], editor = false) {
  const out = execFileSync('php', ['test/php/render-shortcode.php', JSON.stringify(atts)], {
    encoding: 'utf8',
    env: { ...process.env, AS_EDITOR: editor ? '1' : '0' },
  });
  return JSON.parse(out) as { outputs: string[]; enqueued: Record<string, string> };
}

test('the plugin is valid PHP', { skip: !hasPhp && 'php is not installed (.ci/run installs php-cli)' }, () => {
  assert.match(execFileSync('php', ['-l', PLUGIN], { encoding: 'utf8' }), /No syntax errors/);
});

test('[harmony_paid_chat] prints the element, validated and escaped, and loads the script once', { skip: !hasPhp && 'php is not installed' }, () => {
  const { outputs, enqueued } = render([
    { handle: '@Satoshi', theme: 'dark', chain: 'harmony-testnet', rpc_url: 'https://api.s0.b.hmny.io', contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
    { handle: 'satoshi-admirer', chain: 'mainnet" onload="alert(1)', theme: '<script>' },
    { handle: '"><script>alert(1)</script>' },
    { handle: 'ok_handle', rpc_url: 'javascript:alert(1)', contract: '0xnot-an-address"><img src=x>' },
  ]);
  assert.equal(
    outputs[0],
    '<harmony-paid-chat handle="@satoshi" chain="harmony-testnet" theme="dark" rpc-url="https://api.s0.b.hmny.io" contract="0x5FbDB2315678afecb367f032d93F642f64180aa3"></harmony-paid-chat>',
  );
  assert.equal(outputs[1], '<harmony-paid-chat handle="@satoshi-admirer" chain="harmony" theme="light"></harmony-paid-chat>');
  assert.equal(outputs[2], '', 'an invalid handle prints nothing for visitors');
  assert.equal(outputs[3], '<harmony-paid-chat handle="@ok_handle" chain="harmony" theme="light"></harmony-paid-chat>');
  assert.deepEqual(Object.keys(enqueued), ['harmony-paid-chat']);
  assert.match(enqueued['harmony-paid-chat'], /^https:\/\/unpkg\.com\/harmony-paid-chat@0\.1\.0\/cdn\/harmony-paid-chat\.js$/);
});

test('editors see why an invalid handle renders nothing', { skip: !hasPhp && 'php is not installed' }, () => {
  const { outputs } = render([{ handle: 'x' }], true);
  assert.match(outputs[0], /set a valid handle/);
});
