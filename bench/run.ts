/** `npm run bench`: every benchmark, one after another; JSON in bench/out/. */
import { runGasBench } from './gas.js';
import { runSdkBench } from './sdk.js';
import { runBundleBench } from './bundle.js';
import { runNotifierBench } from './notifier.js';
import { runInstallBench } from './install.js';
import { runElementBench } from './element.js';

const only = process.argv.slice(2);
const benches: Record<string, () => Promise<unknown>> = {
  gas: runGasBench,
  sdk: runSdkBench,
  bundle: runBundleBench,
  notifier: runNotifierBench,
  install: runInstallBench,
  element: runElementBench,
};
for (const [name, run] of Object.entries(benches)) {
  if (only.length && !only.includes(name)) continue;
  await run();
}
