// A random-weight LM written by the recipe (models/recipe/voxgate_recipe/make_random_lm.py):
// a real GGUF for LM tests without a trained model.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = process.env['VOXGATE_PYTHON'] ?? '/usr/bin/python3';
export const RECIPE_DIR = new URL('../../models/recipe/', import.meta.url).pathname;

export interface ParityCase {
  name: string;
  prompt: number[];
  expected: number[];
  /** Per generated step, torch's gap between the two best logits. */
  margins: number[];
}

export interface ParityFile {
  gguf: string;
  eosId: number;
  maxNew: number;
  weights: 'f32' | 'f16' | 'q8_0';
  cases: ParityCase[];
}

/** Whether the recipe's Python (Debian's python3-torch) is there to build fixtures. */
export function pythonHasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Writes lm.gguf + parity.json, lm-f16.gguf + parity-f16.json and lm-q8_0.gguf + parity-q8_0.json into a new temp folder; returns it. */
export function makeRandomLm(args: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-lm-'));
  const run = spawnSync(PYTHON, ['-m', 'voxgate_recipe.make_random_lm', dir, ...args], {
    cwd: RECIPE_DIR,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (run.status !== 0) throw new Error(`make_random_lm failed (${run.status}): ${run.stderr}`);
  return dir;
}

export function readParity(path: string): ParityFile {
  return JSON.parse(readFileSync(path, 'utf8')) as ParityFile;
}
