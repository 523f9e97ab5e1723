/**
 * The WordPress plugin in a real WordPress: the zip that `npm run build` makes is installed through
 * core's own Plugin_Upgrader (as "Upload Plugin" does) into WordPress 6.5.5 (PHP + MariaDB on
 * loopback), and Chromium sees the shortcode render the widget — loaded from the plugin itself — in a
 * block theme (Twenty Twenty-Four) and a classic theme (Twenty Twenty-One). The shortcode validates
 * and escapes its attributes, its strings translate, readme.txt follows the wordpress.org format, and
 * WordPress 6.4 refuses the plugin cleanly.
 *
 * Needs php-cli, php-mysql, mariadb-server and wordpress-theme-twentytwentyone (`.ci/run` installs them). Without them the WordPress
 * tests skip with what is missing — except when HPC_REQUIRE_ALL_PARTS=1 (CI), where they fail.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { createWalletClient, http } from 'viem';
import type { Browser } from 'puppeteer-core';
import { createPaidChat } from '../../src/sdk/index.js';
import { startTestChain, type TestChain } from '../support/chain.js';
import { launchChromium, shadowText } from '../support/browser.js';
import { CLASSIC_THEME_DIR, missingWordPressParts, wordpressBuilds, startMariaDb, startWordPress, installPluginZip, type MariaDb, type WordPress } from '../support/wordpress.js';
import { ensurePackageBuild, packageVersion, pluginZipPath, PLUGIN_DIR } from '../../scripts/lib/package-build.js';

const PLUGIN_FILE = 'harmony-paid-chat/harmony-paid-chat.php';
const missing = missingWordPressParts();
if (missing.length && process.env.HPC_REQUIRE_ALL_PARTS === '1') {
  throw new Error(`HPC_REQUIRE_ALL_PARTS=1 but this machine lacks: ${missing.join(', ')} (.ci/run installs them)`);
}
const skip = missing.length ? `WordPress test skipped: this machine lacks ${missing.join(', ')}` : false;
if (skip) console.log(`# ${skip}`);

let tmp: string;
let tc: TestChain;
let db: MariaDb;
let wp: WordPress;
let browser: Browser;
const version = packageVersion();

before(async () => {
  if (skip) return;
  ensurePackageBuild();
  tmp = mkdtempSync(join(tmpdir(), 'hpc-wordpress-'));
  const builds = wordpressBuilds();
  [tc, db] = await Promise.all([startTestChain(), startMariaDb(join(tmp, 'mariadb'))]);
  const satoshi = createPaidChat({ chain: tc.chain, contract: tc.contract, wallet: createWalletClient({ account: tc.accounts[1], chain: tc.chain, transport: http(tc.rpcUrl) }) });
  await satoshi.claimHandle({ handle: 'satoshi', price: '10' });
  wp = await startWordPress({ zip: builds.wp65, dir: join(tmp, 'wp65'), db, dbName: 'wp65' });
  cpSync(CLASSIC_THEME_DIR, join(wp.dir, 'wp-content/themes/twentytwentyone'), { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await wp?.stop();
  await db?.stop();
  await tc?.stop();
  if (tmp && !process.env.HPC_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
});

test('readme.txt is in the wordpress.org format, and every version matches package.json', () => {
  const readme = readFileSync(join(PLUGIN_DIR, 'readme.txt'), 'utf8');
  assert.match(readme, /^=== Harmony Paid Chat ===\n/);
  const header = readme.slice(0, readme.indexOf('\n\n', readme.indexOf('License URI')));
  const fields = Object.fromEntries([...header.matchAll(/^([A-Za-z ]+):\s*(.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
  for (const f of ['Contributors', 'Tags', 'Requires at least', 'Tested up to', 'Requires PHP', 'Stable tag', 'License', 'License URI']) {
    assert.ok(fields[f], `readme.txt header field "${f}"`);
  }
  assert.ok(fields['Tags']!.split(',').length <= 5, 'wordpress.org reads at most 5 tags');
  assert.equal(fields['Stable tag'], version);
  assert.match(fields['License URI']!, /^https:\/\//);
  const short = readme.slice(readme.indexOf('\n\n', readme.indexOf('License URI')) + 2).split('\n')[0]!;
  assert.ok(short.length > 0 && short.length <= 150, `the short description is 1–150 characters (${short.length})`);
  for (const section of ['Description', 'Installation', 'Frequently Asked Questions', 'Changelog']) {
    assert.match(readme, new RegExp(`^== ${section} ==$`, 'm'), `section ${section}`);
  }
  assert.match(readme, new RegExp(`^= ${version.replace(/\./g, '\\.')} =$`, 'm'), 'the changelog names this version');
  // wordpress.org asks that minified code come with a way to its human-readable source.
  const source = readme.slice(readme.indexOf('= Source code ='), readme.indexOf('\n= ', readme.indexOf('= Source code =') + 1));
  assert.ok(source.length > 20, 'readme.txt has a "Source code" note');
  assert.match(source, /npmjs\.com\/package\/harmony-paid-chat/);
  assert.match(source, /`dist\/`.*unminified/s);
  assert.match(readme, /^\* `walletconnect_project_id`: /m, 'readme.txt documents walletconnect_project_id');
  const php = readFileSync(join(PLUGIN_DIR, 'harmony-paid-chat.php'), 'utf8');
  assert.match(php, new RegExp(`^ \\* Version:\\s+${version.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(php, /^ \* Text Domain:\s+harmony-paid-chat$/m);
  assert.match(php, /^ \* License URI:\s+https:\/\//m);
  assert.equal(/Requires at least:\s*(\S+)/.exec(php)?.[1], fields['Requires at least']);
  // Every gettext call names the plugin's text domain.
  const calls = [...php.matchAll(/\b(?:__|_e|_x|_n|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(\s*('(?:[^'\\]|\\.)*')\s*,\s*'([^']*)'/g)];
  assert.ok(calls.length >= 4, 'the plugin translates its texts');
  assert.deepEqual([...new Set(calls.map((c) => c[2]))], ['harmony-paid-chat']);
  assert.doesNotMatch(php, /unpkg|jsdelivr|cdn\./i, 'the plugin loads no script from a third party');
});

test('the plugin zip carries the built script files, and is valid PHP', () => {
  const zip = pluginZipPath();
  const list = Object.keys(unzipSync(readFileSync(zip)));
  for (const f of ['harmony-paid-chat/harmony-paid-chat.php', 'harmony-paid-chat/readme.txt', 'harmony-paid-chat/LICENSE', 'harmony-paid-chat/js/harmony-paid-chat.js']) assert.ok(list.includes(f), f);
  // The licence the header names (MIT), the same text as the npm packages'.
  assert.equal(readFileSync(join(PLUGIN_DIR, 'LICENSE'), 'utf8'), readFileSync(join(PLUGIN_DIR, '../../../LICENSE'), 'utf8'));
  assert.match(readFileSync(join(PLUGIN_DIR, 'LICENSE'), 'utf8'), /^MIT License\n/);
  assert.ok(list.some((f) => /^harmony-paid-chat\/js\/chunks\/.+\.js$/.test(f)), 'the lazily loaded chunks are in the zip');
  if (!skip) assert.match(execFileSync('php', ['-l', join(PLUGIN_DIR, 'harmony-paid-chat.php')], { encoding: 'utf8' }), /No syntax errors/);
});

test('WordPress 6.5: the zip installs and activates through core, and the shortcode validates and escapes', { skip }, () => {
  assert.match(wp.version, /^6\.5\./);
  assert.deepEqual(installPluginZip(wp, pluginZipPath(), PLUGIN_FILE), { installed: true, errors: [], activation: 'ok' });
  const render = (atts: Record<string, string>[], user: number) =>
    JSON.parse(
      wp.php(
        `$out = array();
foreach (json_decode(${JSON.stringify(JSON.stringify(atts))}, true) as $a) {
  $s = '[harmony_paid_chat';
  foreach ($a as $k => $v) { $s .= ' ' . $k . '="' . str_replace('"', '&quot;', $v) . '"'; }
  $out[] = do_shortcode($s . ']');
}
echo json_encode(array('out' => $out));`,
        user,
      ),
    ) as { out: string[] };
  const { out } = render(
    [
      { handle: '@Satoshi', theme: 'dark', chain: 'harmony-testnet', rpc_url: 'https://api.s0.b.hmny.io', contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
      { handle: 'satoshi-admirer', chain: 'mainnet onload=alert(1)', theme: '<script>' },
      { handle: '"><script>alert(1)</script>' },
      { handle: 'ok_handle', rpc_url: 'javascript:alert(1)', contract: '0xnot-an-address><img src=x>' },
      { handle: 'phones', walletconnect_project_id: '0123456789abcdefABCDEF0123456789' },
      { handle: 'phones', walletconnect_project_id: '0123456789abcdef0123456789abcde" onmouseover="alert(1)' },
      { handle: 'phones', walletconnect_project_id: '0123456789abcdef0123456789abcdef0' },
    ],
    0,
  );
  assert.equal(
    out[0],
    '<harmony-paid-chat handle="@satoshi" chain="harmony-testnet" theme="dark" rpc-url="https://api.s0.b.hmny.io" contract="0x5FbDB2315678afecb367f032d93F642f64180aa3"></harmony-paid-chat>',
  );
  assert.equal(out[1], '<harmony-paid-chat handle="@satoshi-admirer" chain="harmony" theme="light"></harmony-paid-chat>');
  assert.equal(out[2], '', 'an invalid handle prints nothing for visitors');
  assert.equal(out[3], '<harmony-paid-chat handle="@ok_handle" chain="harmony" theme="light"></harmony-paid-chat>');
  // walletconnect_project_id: exactly 32 hex characters, passed on as walletconnect-project-id; anything else is left out.
  assert.equal(out[4], '<harmony-paid-chat handle="@phones" chain="harmony" theme="light" walletconnect-project-id="0123456789abcdefABCDEF0123456789"></harmony-paid-chat>');
  assert.equal(out[5], '<harmony-paid-chat handle="@phones" chain="harmony" theme="light"></harmony-paid-chat>');
  assert.equal(out[6], '<harmony-paid-chat handle="@phones" chain="harmony" theme="light"></harmony-paid-chat>');
  const editor = render([{ handle: 'x' }], 1).out[0]!;
  assert.match(editor, /set a valid handle/);
});

test("the plugin's strings translate (text domain harmony-paid-chat, a de_DE translation file)", { skip }, () => {
  const dir = join(wp.dir, 'wp-content/languages/plugins');
  mkdirSync(dir, { recursive: true });
  const original = 'set a valid handle, like [harmony_paid_chat handle="@satoshi"] (3–32 characters a-z, 0-9, _ or -).';
  writeFileSync(
    join(dir, 'harmony-paid-chat-de_DE.l10n.php'),
    `<?php return array('domain' => 'harmony-paid-chat', 'language' => 'de_DE', 'messages' => array(${JSON.stringify(original).replace(/\$/g, '\\$')} => 'gib ein gültiges Handle an.', 'Harmony Paid Chat:' => 'Harmony-Bezahlchat:'));`,
  );
  // The site's language, as Settings → General sets it (no core de_DE files are needed for a plugin's own).
  const out = wp.php(`add_filter('locale', function () { return 'de_DE'; }); echo do_shortcode('[harmony_paid_chat handle="x"]');`, 1);
  assert.match(out, /Harmony-Bezahlchat:<\/strong> gib ein gültiges Handle an\./);
});

for (const theme of [
  { slug: 'twentytwentyfour', kind: 'block theme' },
  { slug: 'twentytwentyone', kind: 'classic theme' },
]) {
  test(`Chromium: the shortcode renders the widget from the plugin's own script in a ${theme.kind} (${theme.slug})`, { skip }, async () => {
    const postId = wp
      .php(
        `switch_theme('${theme.slug}');
echo wp_insert_post(array('post_title' => 'Write to me', 'post_status' => 'publish', 'post_content' =>
  '<!-- wp:paragraph --><p>Ask me anything.</p><!-- /wp:paragraph -->' .
  '<!-- wp:shortcode -->[harmony_paid_chat handle="@satoshi" chain="local" rpc_url="${tc.rpcUrl}" contract="${tc.contract}"]<!-- /wp:shortcode -->' .
  '<!-- wp:shortcode -->[harmony_paid_chat handle="@satoshi" chain="local" theme="dark" rpc_url="${tc.rpcUrl}" contract="${tc.contract}"]<!-- /wp:shortcode -->'));`,
        1,
      )
      .trim();
    assert.equal(wp.php(`echo get_stylesheet(); echo wp_is_block_theme() ? ' block' : ' classic';`).trim(), `${theme.slug} ${theme.kind.split(' ')[0]}`);
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    const res = await page.goto(`${wp.url}/?p=${postId}`, { waitUntil: 'load' });
    const html = (await res!.text());
    const tags = html.match(/<script[^>]*harmony-paid-chat\.js[^>]*>/g) ?? [];
    assert.equal(tags.length, 1, `one module script for two shortcodes: ${tags.join(' ')}`);
    assert.match(tags[0]!, /type="module"/);
    assert.equal(await page.evaluate(() => document.querySelectorAll('harmony-paid-chat').length), 2);
    assert.match(await shadowText(page, '[part~="price"]', /10 ONE/, 20_000), /10 ONE/);
    const script = `${wp.url}/wp-content/plugins/harmony-paid-chat/js/harmony-paid-chat.js?ver=${version}`;
    assert.ok(requests.includes(script), `the element came from the plugin (${script})`);
    const foreign = requests.filter((u) => !u.startsWith(wp.url) && !u.startsWith(`blob:${wp.url}`) && !u.startsWith(tc.rpcUrl) && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'nothing is loaded from a third party');
    assert.equal(await page.evaluate(() => (customElements.get('harmony-paid-chat') as any)?.version), version);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('WordPress 6.4 (older than supported): activation is refused cleanly, and a forced activation renders nothing and says why', { skip }, async () => {
  const old = await startWordPress({ zip: wordpressBuilds().wp64, dir: join(tmp, 'wp64'), db, dbName: 'wp64' });
  try {
    assert.match(old.version, /^6\.4\./);
    const upload = installPluginZip(old, pluginZipPath(), PLUGIN_FILE);
    assert.equal(upload.installed, false, 'core refuses to install it, from the plugin header');
    assert.match(upload.errors.join(' '), /Your WordPress version is 6\.4\.\d+, however the uploaded plugin requires 6\.5\./);
    // Copied into wp-content/plugins by hand: core refuses to activate it.
    for (const [path, bytes] of Object.entries(unzipSync(readFileSync(pluginZipPath())))) {
      const file = join(old.dir, 'wp-content/plugins', path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
    const activation = old.php(`require_once ABSPATH . 'wp-admin/includes/plugin.php'; $r = activate_plugin('${PLUGIN_FILE}'); echo is_wp_error($r) ? $r->get_error_code() : 'activated';`, 1);
    assert.equal(activation.trim(), 'plugin_wp_incompatible');
    // Still loaded anyway (e.g. WordPress was downgraded under it): no fatal error, no raw shortcode.
    const postId = old.php(`update_option('active_plugins', array('${PLUGIN_FILE}'));
echo wp_insert_post(array('post_title' => 'Chat', 'post_status' => 'publish', 'post_content' => '[harmony_paid_chat handle="@satoshi"]'));`, 1).trim();
    const res = await fetch(`${old.url}/?p=${postId}`);
    const html = await res.text();
    assert.equal(res.status, 200);
    assert.doesNotMatch(html, /harmony_paid_chat|<harmony-paid-chat|harmony-paid-chat\.js|Fatal error/);
    const editorNote = old.php(`echo do_shortcode('[harmony_paid_chat handle="@satoshi"]');`, 1);
    assert.match(editorNote, /needs WordPress 6\.5 or later/);
    const notice = old.php(`do_action('admin_notices');`, 1);
    assert.match(notice, /notice-error.*Harmony Paid Chat needs WordPress 6\.5 or later; this site runs 6\.4/s);
  } finally {
    await old.stop();
  }
});
