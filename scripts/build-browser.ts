// Writes the browser bundles (the SDK as /voxgate.js, the demo page as /app.js) to web/dist/, for installs that
// serve the page without esbuild (the server otherwise bundles in memory on first request).
//   npx tsx scripts/build-browser.ts
import { mkdir, writeFile } from 'node:fs/promises';
import * as esbuild from 'esbuild';
import { BROWSER_BUNDLES, DIST_DIR, REPO_ROOT, browserBuildOptions } from '../server/src/http/static-bundle.ts';

await mkdir(`${REPO_ROOT}${DIST_DIR}`, { recursive: true });
for (const [urlPath, entry] of Object.entries(BROWSER_BUNDLES)) {
  const t0 = performance.now();
  const result = await esbuild.build({ ...browserBuildOptions(entry), sourcemap: false, minify: true, write: false });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  const out = `${DIST_DIR}${urlPath}`;
  await writeFile(`${REPO_ROOT}${out}`, js);
  console.log(`${entry} → ${out} (${(js.length / 1024).toFixed(1)} KiB, ${Math.round(performance.now() - t0)} ms)`);
}
