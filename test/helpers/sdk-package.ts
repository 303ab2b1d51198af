// The client SDK as an app developer gets it: `npm pack` of client-sdk/ (its prepack script builds dist/), and a
// scratch app in the system's temp folder, outside this repository, so nothing resolves to our sources or our
// node_modules. The app installs the tarball and its own tools from the npm registry (or npm's cache).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const SDK_DIR = fileURLToPath(new URL('../../client-sdk/', import.meta.url));
const ROOT_PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

export interface PackedSdk {
  tarball: string;
  /** Compressed size of the tarball. */
  sizeBytes: number;
  unpackedBytes: number;
  files: string[];
}

/**
 * Our environment without what `npm test` tells its scripts about this repository (npm_package_*, the local
 * prefix): an npm run inside the scratch app must see only the app.
 */
function appEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|config_local_prefix)/i.test(k)));
}

/** Runs a command to completion; its stdout, or an error carrying its stderr. */
export async function run(cmd: string, args: string[], opts: { cwd: string; timeoutMs?: number }): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, env: appEnv(), maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${opts.cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** `npm pack` of client-sdk/ into `destDir`, which runs its build first (prepack). */
export async function packSdk(destDir: string): Promise<PackedSdk> {
  const out = await run('npm', ['pack', '--json', '--pack-destination', destDir], { cwd: SDK_DIR, timeoutMs: 180_000 });
  const [info] = JSON.parse(out) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  if (info === undefined) throw new Error(`npm pack printed no package: ${out}`);
  return { tarball: join(destDir, info.filename), sizeBytes: info.size, unpackedBytes: info.unpackedSize, files: info.files.map((f) => f.path) };
}

/** The version this repository uses of a tool the scratch app installs too (so npm's cache has it). */
function ourVersion(name: string): string {
  const v = ROOT_PACKAGE.devDependencies[name] ?? ROOT_PACKAGE.dependencies[name];
  if (v === undefined) throw new Error(`${name} is not a dependency of this repository`);
  return v;
}

/**
 * A fresh app folder under the system temp folder with the tarball and `tools` installed (each at the version
 * this repository uses). Offline works when npm's cache holds them; otherwise the npm registry is used.
 */
export async function createScratchApp(tarball: string, tools: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-sdk-app-'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }, null, 2)}\n`);
  await npmInstall(dir, [tarball, ...tools.map((t) => `${t}@${ourVersion(t)}`)]);
  return dir;
}

/** Adds packages to the app, each at the version this repository uses. */
export async function installIntoApp(dir: string, packages: string[]): Promise<void> {
  await npmInstall(dir, packages.map((p) => `${p}@${ourVersion(p)}`));
}

async function npmInstall(dir: string, specs: string[]): Promise<void> {
  await run('npm', ['install', ...specs, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeoutMs: 300_000 });
}
