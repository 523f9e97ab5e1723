/**
 * What installing the packages costs a user, measured with plain `npm install` of the packed
 * tarballs into empty projects (dependencies from the registry or npm's cache, as a user with a warm
 * cache gets them). Writes bench/out/install.json with exactly these keys:
 *  - widgetInstallBytes: node_modules after installing the widget tarball into an empty project
 *  - dependenciesOnlyBytes: node_modules of its declared dependencies (package.json) installed alone
 *  - widgetInstallSeconds: wall time of that widget install
 *  - widgetNativeModules: packages in the widget install that build or hold a native addon (0)
 *  - notifierInstallBytes: node_modules after installing the notifier tarball (with the widget's)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePackageBuild } from '../scripts/lib/package-build.js';
import { packBoth, newProject, npmInstall, dirBytes, nativeModules, declaredDependencies } from '../scripts/lib/consumer.js';
import { report } from './lib.js';

export async function runInstallBench() {
  ensurePackageBuild();
  const tmp = mkdtempSync(join(tmpdir(), 'hpc-install-bench-'));
  try {
    const tarballs = packBoth(join(tmp, 'packs'));
    const widget = newProject(join(tmp, 'widget'), 'widget');
    const { seconds } = await npmInstall(widget, [tarballs.widget]);
    const deps = newProject(join(tmp, 'deps'), 'deps');
    await npmInstall(deps, declaredDependencies());
    const notifier = newProject(join(tmp, 'notifier'), 'notifier');
    const n = await npmInstall(notifier, [tarballs.widget, tarballs.notifier]);
    const result = {
      widgetInstallBytes: dirBytes(join(widget, 'node_modules')),
      dependenciesOnlyBytes: dirBytes(join(deps, 'node_modules')),
      widgetInstallSeconds: Math.round(seconds * 10) / 10,
      widgetNativeModules: nativeModules(join(widget, 'node_modules')).length,
      notifierInstallBytes: dirBytes(join(notifier, 'node_modules')),
    };
    const MB = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    const extra = result.widgetInstallBytes - result.dependenciesOnlyBytes;
    report(
      'install',
      [
        { metric: 'widget install (node_modules)', value: MB(result.widgetInstallBytes) },
        { metric: 'its declared dependencies alone', value: MB(result.dependenciesOnlyBytes) },
        { metric: 'difference', value: MB(extra), bar: '≤ 5 MB', met: extra <= 5_000_000 },
        { metric: 'widget install time', value: `${result.widgetInstallSeconds} s` },
        { metric: 'native modules in the widget install', value: result.widgetNativeModules, bar: '0', met: result.widgetNativeModules === 0 },
        { metric: 'notifier install (node_modules)', value: MB(result.notifierInstallBytes) },
        { metric: 'notifier install time (native better-sqlite3 build)', value: `${n.seconds.toFixed(1)} s` },
      ],
      result,
    );
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
