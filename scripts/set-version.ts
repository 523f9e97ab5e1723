/**
 * `npm version <patch|minor|major|x.y.z>` runs this (the `version` lifecycle script) after it has
 * written the new version into package.json: the same version goes into notifier/package.json (its
 * own version and its exact dependency on harmony-paid-chat), the WordPress plugin's header and
 * constant, and readme.txt's Stable tag. Then it stages them for npm's version commit. The changelog
 * entries (readme.txt) are yours to write: the WordPress test fails until readme.txt names the version.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './lib/build.js';
import { packageVersion, PLUGIN_DIR } from './lib/package-build.js';

const version = packageVersion();
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) throw new Error(`package.json version "${version}" is not x.y.z`);

const edit = (file: string, change: (text: string) => string) => {
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (!after.includes(version)) throw new Error(`${file}: could not write the version — is its version field where it should be?`);
  if (after !== before) writeFileSync(file, after);
  return file;
};
const files = [
  edit(join(ROOT, 'notifier/package.json'), (t) => {
    const pkg = JSON.parse(t);
    pkg.version = version;
    pkg.dependencies['harmony-paid-chat'] = version;
    return JSON.stringify(pkg, null, 2) + '\n';
  }),
  edit(join(PLUGIN_DIR, 'harmony-paid-chat.php'), (t) =>
    t.replace(/^( \* Version:\s+)\S+$/m, `$1${version}`).replace(/const HARMONY_PAID_CHAT_VERSION = '[^']*';/, `const HARMONY_PAID_CHAT_VERSION = '${version}';`),
  ),
  edit(join(PLUGIN_DIR, 'readme.txt'), (t) => t.replace(/^Stable tag:\s*\S+$/m, `Stable tag: ${version}`)),
];
execFileSync('git', ['add', ...files], { cwd: ROOT, stdio: 'inherit' });
console.log(`Version ${version} written into ${files.map((f) => f.slice(ROOT.length + 1)).join(', ')}. Add its changelog to readme.txt, then npm run build && npm run docs.`);
