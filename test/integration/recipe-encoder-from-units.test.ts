// The recipe rebuilds the shipped model's speech encoder from its units.onnx (models/recipe/voxgate_recipe/
// encoder_from_onnx.py --units): the encoder and its CTC head read back by value from the ONNX constants give the
// units onnxruntime gives on the shipped file, and the head's classes (not kept in the file) are recovered from the
// plan's texts, checked by the head's phoneme error rate. A later LM pass can then start from the shipped folder
// alone, without the three rounds of encoder training behind it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';
import { DEFAULT_MODEL_DIR, loadManifest } from '../../server/src/runtimes/manifest.ts';
import { hasEspeak } from './engine-speech.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const ready = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0 && hasEspeak();

const READ_BACK = `
import json, sys, torch
saved = torch.load(sys.argv[1], weights_only=False)
print(json.dumps({"classes": len(saved["inventory"]), "blankFirst": saved["inventory"][0] == "<blank>",
                  "phonemes": saved["config"]["phonemes"], "report": saved["report"]}))
`;

itIf(ready, `${PYTHON} with torch and onnx, and espeak-ng`)('rebuilds the shipped encoder and its CTC head from units.onnx', () => {
  const work = mkdtempSync(join(tmpdir(), 'voxgate-units-'));
  try {
    const run = spawnSync(PYTHON, ['-m', 'voxgate_recipe.encoder_from_onnx', '--units', DEFAULT_MODEL_DIR, work], {
      cwd: RECIPE,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const read = spawnSync(PYTHON, ['-c', READ_BACK, join(work, 'encoder.pt')], { cwd: RECIPE, encoding: 'utf8' });
    expect(read.status, read.stderr).toBe(0);
    const saved = JSON.parse(read.stdout) as {
      classes: number;
      blankFirst: boolean;
      phonemes: number;
      report: { unitsEqual: number; headPhonemeErrorRate: number };
    };
    const count = loadManifest(DEFAULT_MODEL_DIR).units.count;
    expect(saved.classes).toBe(count);
    expect(saved.phonemes).toBe(count);
    expect(saved.blankFirst).toBe(true);
    expect(saved.report.unitsEqual).toBeGreaterThanOrEqual(0.99);
    // The model card gives the head 10-15 % phoneme errors on espeak-ng voices; a wrong class order reads nearly all wrong.
    expect(saved.report.headPhonemeErrorRate).toBeLessThan(0.35);
    console.log(`encoder from units.onnx: ${(saved.report.unitsEqual * 100).toFixed(2)} % of hops equal, head PER ${saved.report.headPhonemeErrorRate}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
