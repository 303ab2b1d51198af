// The browser bundles the demo page loads: built in memory with esbuild on first request (a fraction of a second,
// cached for the process), or read from web/dist/ where scripts/build-browser.mjs put them (installs without
// dev dependencies). One list of entries, shared with the build script.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** URL path → entry point (relative to the repo root). The build script reads this table too. */
export const BROWSER_BUNDLES: Readonly<Record<string, string>> = {
  '/voxgate.js': 'client-sdk/src/browser/index.ts',
  '/app.js': 'web/src/app.ts',
};

export const DIST_DIR = 'web/dist';

const cache = new Map<string, Promise<string>>();

/** The bundle's JavaScript; rejects with a message saying how to build it when neither way works. */
export function loadBundle(urlPath: string): Promise<string> {
  const entry = BROWSER_BUNDLES[urlPath];
  if (entry === undefined) return Promise.reject(new Error(`no bundle for ${urlPath}`));
  let hit = cache.get(urlPath);
  if (hit === undefined) {
    hit = build(entry).catch(async (err: unknown) => {
      try {
        return await readFile(`${REPO_ROOT}${DIST_DIR}${urlPath}`, 'utf8');
      } catch {
        cache.delete(urlPath);
        throw new Error(`cannot bundle ${entry} (${(err as Error).message}) and ${DIST_DIR}${urlPath} is missing: run node scripts/build-browser.mjs`);
      }
    });
    cache.set(urlPath, hit);
  }
  return hit;
}

async function build(entry: string): Promise<string> {
  // esbuild is a dev dependency: imported only here, only when a page is asked for.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ ...browserBuildOptions(entry), write: false });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error('esbuild produced no output');
  return out.text;
}

/** esbuild options for one entry: ESM for current browsers, with a source map inline for the demo's readers. */
export function browserBuildOptions(entry: string) {
  return {
    entryPoints: [`${REPO_ROOT}${entry}`],
    bundle: true,
    format: 'esm' as const,
    platform: 'browser' as const,
    target: ['chrome110', 'firefox115', 'safari16'],
    sourcemap: 'inline' as const,
    minify: false,
    logLevel: 'silent' as const,
  };
}
