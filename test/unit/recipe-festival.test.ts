// Festival as the recipe's third synthesizer (models/recipe/voxgate_recipe/synth.py): its voices render real speech
// at 16 kHz, the same voice description gives the same samples, and render_dev's opt-in `festivalVoices` condition
// (a synthesizer no build trains on) writes a set bench/hearing.ts reads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const ready =
  spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('text2wave', ['--help'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('sox', ['--version'], { stdio: 'ignore' }).status === 0;

const SCRIPT = `
import json, random
import numpy as np
from voxgate_recipe.synth import FESTIVAL_VOICES, SynthVoice, synthesize, sample_festival_voice
out = {}
for name in sorted(FESTIVAL_VOICES):
    v = SynthVoice("festival", name, 1.0, 0)
    a = synthesize("what day comes after monday", v)
    b = synthesize("what day comes after monday", v)
    fast = synthesize("what day comes after monday", SynthVoice("festival", name, 1.15, 0))
    out[name] = {"seconds": len(a) / 16000, "peak": float(np.abs(a).max()), "same": bool(np.array_equal(a, b)),
                 "fastSeconds": len(fast) / 16000}
rng = random.Random(3)
out["sampled"] = sorted({sample_festival_voice(rng).name for _ in range(20)})
print(json.dumps(out))
`;

itIf(ready, `${PYTHON} with torch, Festival's text2wave (festival, festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts) and sox`)(
  'renders every Festival voice deterministically, at the asked pace, and render_dev writes the festivalVoices set',
  () => {
    const run = spawnSync(PYTHON, ['-c', SCRIPT], { cwd: RECIPE, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, { seconds: number; peak: number; same: boolean; fastSeconds: number }> & { sampled: string[] };
    for (const name of ['kal_diphone', 'ked_diphone', 'cmu_us_slt_arctic_hts']) {
      const v = r[name];
      expect(v, name).toBeDefined();
      // Six words of speech, silence trimmed: about 1–2.5 s, and audible.
      expect(v!.seconds).toBeGreaterThan(0.8);
      expect(v!.seconds).toBeLessThan(2.5);
      expect(v!.peak).toBeGreaterThan(0.05);
      expect(v!.same).toBe(true);
      expect(v!.fastSeconds).toBeLessThan(v!.seconds * 0.95);
    }
    expect(r.sampled).toEqual(['cmu_us_slt_arctic_hts', 'kal_diphone', 'ked_diphone']);

    const out = mkdtempSync(join(tmpdir(), 'voxgate-festival-'));
    try {
      const dev = spawnSync(PYTHON, ['-m', 'voxgate_recipe.render_dev', '--plan', 'smoke', '--conditions', 'festivalVoices', '--per-condition', '3', '--out', out], { cwd: RECIPE, encoding: 'utf8', timeout: 120_000 });
      expect(dev.status, dev.stderr).toBe(0);
      const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { utterances: { file: string; condition: string }[] };
      expect(index.utterances.map((u) => u.condition)).toEqual(['festivalVoices', 'festivalVoices', 'festivalVoices']);
      expect(readdirSync(out).filter((f) => f.endsWith('.wav'))).toHaveLength(3);
      const bad = spawnSync(PYTHON, ['-m', 'voxgate_recipe.render_dev', '--plan', 'smoke', '--conditions', 'festival', '--out', out], { cwd: RECIPE, encoding: 'utf8' });
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/unknown conditions \['festival'\]/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
  240_000,
);

// The encoder's data with Festival in it (build.py --festival-share): a share of the synthetic training renders in its
// training voice, its other voice a held-out dev set, and without the option the very renders of builds before it.
const SHARE = `
import json, random
from voxgate_recipe import dataset
from voxgate_recipe.encoder_stage import data_config
from voxgate_recipe.encoder_data import plan_jobs
items = dataset.build_items(dataset.DataConfig(), random.Random(dataset.DataConfig().seed))
dev_texts = {i.question for i in items if i.dev and i.skill in ("asr", "repeat", "spell", "other")}
key = lambda j: [j["text"], j["voice"]["name"], json.dumps(j["chain"], sort_keys=True)]
out = {}
for name, share in (("default", None), ("zero", 0.0), ("share", 0.3)):
    sets = plan_jobs(data_config(False, 400, 3, festival_share=share), dataset.DataConfig(), None)
    out[name] = {
        "sets": sorted(sets),
        "train": [key(j) for j in sets["train"]],
        "festivalTrain": [j["voice"]["name"] for j in sets["train"] if j["voice"]["engine"] == "festival"],
        "festivalDev": sorted({j["voice"]["name"] for j in sets.get("dev-heldout-festival", [])}),
        "festivalElsewhere": sum(j["voice"]["engine"] == "festival" for n, js in sets.items() if n not in ("train", "dev-heldout-festival") for j in js),
        "trainDevTexts": sum(j["text"] in dev_texts for j in sets["train"]),
    }
print(json.dumps(out))
`;

itIf(ready, `${PYTHON} with torch`)('puts the asked share of the encoder\'s training renders in Festival\'s training voice and holds its other voice out', () => {
  const run = spawnSync(PYTHON, ['-c', SHARE], { cwd: RECIPE, encoding: 'utf8', timeout: 120_000 });
  expect(run.status, run.stderr).toBe(0);
  type Plan = { sets: string[]; train: string[][]; festivalTrain: string[]; festivalDev: string[]; festivalElsewhere: number; trainDevTexts: number };
  const out = JSON.parse(run.stdout) as Record<'default' | 'zero' | 'share', Plan>;
  expect(out.zero.train).toEqual(out.default.train);
  expect(out.default.festivalTrain).toEqual([]);
  expect(out.default.sets).not.toContain('dev-heldout-festival');
  const share = out.share.festivalTrain.length / out.share.train.length;
  expect(share).toBeGreaterThan(0.2);
  expect(share).toBeLessThan(0.4);
  expect(new Set(out.share.festivalTrain)).toEqual(new Set(['kal_diphone', 'ked_diphone']));
  expect(out.share.festivalDev).toEqual(['cmu_us_slt_arctic_hts']);
  expect(out.share.festivalElsewhere).toBe(0);
  expect(out.share.trainDevTexts).toBe(0);
});
