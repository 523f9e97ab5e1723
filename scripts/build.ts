/**
 * `npm run build`: dist/ + types, cdn/ (module and classic builds) with their SRI hashes, the
 * notifier package (notifier/dist/) and the WordPress plugin zip (build/). See lib/package-build.ts.
 */
import { buildPackages } from './lib/package-build.js';

const { seconds } = buildPackages();
console.log(`\nBuilt in ${seconds.toFixed(1)} s.`);
