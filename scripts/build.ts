/**
 * `npm run build`: dist/ + types, cdn/ (module and classic builds) with their SRI hashes, the
 * notifier package (notifier/dist/) and the WordPress plugin zip (build/). See lib/package-build.ts.
 * `--if-stale` builds only when a source is newer than the outputs (what `npm test` uses).
 */
import { buildPackages, isPackageBuildFresh } from './lib/package-build.js';

if (process.argv.includes('--if-stale') && isPackageBuildFresh()) {
  console.log('The build is up to date (dist/, cdn/, notifier/dist/, the WordPress zip).');
} else {
  const { seconds } = buildPackages();
  console.log(`\nBuilt in ${seconds.toFixed(1)} s.`);
}
