// A model folder's variant for a test: the same files (linked, not copied) under a manifest the test changes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PYTHON, RECIPE_DIR } from './random-lm.ts';

type Manifest = Record<string, Record<string, unknown>>;

/**
 * A new temp folder holding links to `srcDir`'s files (but those in `leaveOut`, for the test to write) and
 * `change(manifest)` as its manifest.json; returns it.
 */
export function modelVariant(srcDir: string, change: (manifest: Manifest) => void, leaveOut: string[] = []): string {
  const out = mkdtempSync(join(tmpdir(), 'voxgate-model-variant-'));
  for (const name of readdirSync(srcDir)) {
    if (name !== 'manifest.json' && !leaveOut.includes(name)) symlinkSync(resolve(srcDir, name), join(out, name));
  }
  const manifest = JSON.parse(readFileSync(join(srcDir, 'manifest.json'), 'utf8')) as Manifest;
  change(manifest);
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return out;
}

/** Writes `srcDir`'s LM into `outDir` as lm.gguf + parity.json with its matrices stored as `weights` (the recipe's requantize). */
export function requantize(srcDir: string, weights: 'f32' | 'f16' | 'q8_0', outDir: string): void {
  const run = spawnSync(PYTHON, ['-m', 'voxgate_recipe.requantize', '--src', resolve(srcDir), '--weights', weights, '--out', resolve(outDir)], {
    cwd: RECIPE_DIR,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (run.status !== 0) throw new Error(`requantize failed (${run.status}): ${run.stderr}`);
}
