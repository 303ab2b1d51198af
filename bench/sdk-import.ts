// How long an app waits on `import 'voxgate-client/node'` (and the core and WebRTC entries, for comparison): each
// run is a fresh Node process timing one dynamic import of the built package (client-sdk/dist, built first), so
// nothing is cached in-process; the OS file cache is warm after the first run, as on a server that restarts.
// Prints the median and the spread over the runs. The browser entry's size is printed by
// test/e2e/client-sdk-package.test.ts, which bundles it from the installed tarball.
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { percentile } from '../server/src/loadtest/stats.ts';

const RUNS = Number(process.env['RUNS'] ?? 7);
/** Budget for the Node entry's median: a CLI or a serverless function pays it on every start. */
const NODE_BUDGET_MS = 250;
const SDK = fileURLToPath(new URL('../client-sdk/', import.meta.url));
const ENTRIES = {
  'voxgate-client': 'dist/index.js',
  'voxgate-client/node': 'dist/node/index.js',
  'voxgate-client/node/webrtc': 'dist/transports/webrtc-node.js',
} as const;

execFileSync(process.execPath, [`${SDK}scripts/build.mjs`], { stdio: 'inherit' });

function importMs(file: string): number {
  const url = pathToFileURL(`${SDK}${file}`).href;
  const script = `const t0 = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t0);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
}

console.log(`import time of the built SDK, ${RUNS} fresh processes each (ms: median [min – max])`);
for (const [name, file] of Object.entries(ENTRIES)) {
  const runs = Array.from({ length: RUNS }, () => importMs(file));
  const median = percentile(runs, 50);
  let verdict = '';
  if (name === 'voxgate-client/node') {
    verdict = median <= NODE_BUDGET_MS ? `   within the ${NODE_BUDGET_MS} ms budget` : `   OVER the ${NODE_BUDGET_MS} ms budget`;
    if (median > NODE_BUDGET_MS) process.exitCode = 1;
  }
  console.log(`  ${name.padEnd(28)} ${median.toFixed(1).padStart(7)}   [${percentile(runs, 0).toFixed(1)} – ${percentile(runs, 100).toFixed(1)}]${verdict}`);
}
