// A model folder whose LM runs in onnxruntime, derived by the recipe from a GGUF model folder
// (models/recipe/voxgate_recipe/onnx_lm_folder.py): the same weights, so both runtimes must answer alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PYTHON, RECIPE_DIR } from './random-lm.ts';

/** Writes the ONNX-LM folder of `srcDir` into a new temp folder; returns it. */
export function deriveOnnxLmFolder(srcDir: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'voxgate-onnx-lm-')), 'model');
  const run = spawnSync(PYTHON, ['-m', 'voxgate_recipe.onnx_lm_folder', '--from', resolve(srcDir), '--out', out], {
    cwd: RECIPE_DIR,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (run.status !== 0) throw new Error(`onnx_lm_folder failed (${run.status}): ${run.stderr}`);
  return out;
}
