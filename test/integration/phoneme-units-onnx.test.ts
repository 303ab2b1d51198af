// Phoneme units (build.py --phoneme-units): a unit is the speech encoder's CTC head's best class per 20 ms, blank
// included. The recipe exports them as units.onnx; here a small encoder with seeded random weights is exported by
// the recipe's own code, and the gateway's unit encoder (onnxruntime) must give torch's units, whole and streamed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { UnitsSpec } from '../../server/src/runtimes/manifest.ts';
import { UnitEncoder } from '../../server/src/runtimes/unit-encoder.ts';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;

// Two seconds of a gliding two-tone signal with noise: enough frames, deterministic, no synthesizer needed.
const SCRIPT = `
import json, sys
import numpy as np, torch
from voxgate_recipe.encoder_model import EncoderConfig, SpeechEncoder
from voxgate_recipe.encoder_units import EncoderUnitExtractor
torch.manual_seed(3)
enc = SpeechEncoder(EncoderConfig(dim=64, layers=2, heads=2, ffn_dim=128, phonemes=12))
with torch.no_grad():
    enc.ctc.weight.mul_(8.0)  # a decisive head, so no frame's best class is a near tie between torch and onnxruntime
ex = EncoderUnitExtractor(enc, 0, phonemes=True)
t = np.arange(32000) / 16000.0
pcm = (0.3 * np.sin(2 * np.pi * (200 + 400 * t) * t) + 0.2 * np.sin(2 * np.pi * 1300 * t * (1 + t))
       + 0.05 * np.random.default_rng(5).standard_normal(t.size)).astype(np.float32)
ex.export_onnx(sys.argv[1] + "/units.onnx")
pcm.tofile(sys.argv[1] + "/pcm.f32")
with torch.no_grad():
    x = ex._padded(pcm)
    logits = enc.logits(enc.mel(x).unsqueeze(0))[0]
direct = logits.argmax(-1)[-(pcm.size // 320):].tolist()
print(json.dumps({"units": ex.frame_units(pcm).tolist(), "direct": direct, "count": ex.clusters,
                  "left": ex.left_context_samples, "hop": ex.hop_samples}))
`;

itIf(hasTorch, `${PYTHON} with torch and onnx`)('phoneme units: the exported graph gives the CTC head\'s best class per hop, whole and streamed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-phoneme-units-'));
  try {
    const run = spawnSync(PYTHON, ['-c', SCRIPT, dir], { cwd: RECIPE, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const want = JSON.parse(run.stdout) as { units: number[]; direct: number[]; count: number; left: number; hop: number };
    expect(want.count).toBe(12);
    expect(want.units).toEqual(want.direct);
    expect(new Set(want.units).size).toBeGreaterThan(2); // the check sees several classes, not one repeated
    const bytes = readFileSync(join(dir, 'pcm.f32'));
    const pcm = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const spec: UnitsSpec = { file: 'units.onnx', count: want.count, frameMs: 20, hopSamples: want.hop, leftContextSamples: want.left, mergeRepeats: true, tokenOffset: 0 };
    const enc = await UnitEncoder.load(join(dir, 'units.onnx'), spec);
    try {
      expect(await enc.encodeUtterance(pcm)).toEqual(want.units);
      const stream = enc.openStream({ runEveryMs: 100, sampleRateHz: 16000 });
      const streamed: number[] = [];
      for (let at = 0; at < pcm.length; at += 500) streamed.push(...(await stream.push(pcm.subarray(at, at + 500))));
      streamed.push(...(await stream.flush()));
      expect(streamed).toEqual(want.units);
    } finally {
      await enc.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
