// The recipe's continued encoder training (models/recipe/voxgate_recipe/encoder_stage.py, build.py
// --encoder-continue): a trained encoder goes on learning from its own weights, normalisation and CTC classes, even
// when the new renders hold a phoneme the first ones did not, and the report gives its error rates before and after.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const hasPython = spawnSync(PYTHON, ['--version'], { stdio: 'ignore' }).status === 0;

// Random log-mel rows (a tiny seeded encoder learns nothing real from them; the test is about what carries over).
const SCRIPT = `
import json, os, tempfile
import numpy as np, torch
from voxgate_recipe.encoder_stage import build_encoder

torch.manual_seed(5)
rng = np.random.default_rng(3)
def row(ph, scale=1.0):
    return {"mel": (rng.standard_normal((120, 40)) * scale + 2.0).astype(np.float16), "phones": ph, "seconds": 1.2}
dev = [row(["a", "b"]) for _ in range(3)]
first_sets = {"train": [row(["a", "b", "c"]) for _ in range(8)], "dev-x": dev}
# New renders: other levels (a normalisation fitted on them would differ) and a phoneme the first classes lack.
next_sets = {"train": [row(["a", "d", "c"], 3.0) for _ in range(8)], "dev-x": dev}
settings = dict(steps=4, lr=2e-3, frames_per_batch=2000, model=dict(dim=32, layers=1, heads=2, ffn_dim=64))
root = tempfile.mkdtemp()
a, b = os.path.join(root, "a"), os.path.join(root, "b")
os.makedirs(a); os.makedirs(b)
quiet = lambda msg: None
first, first_report = build_encoder(a, settings, first_sets, quiet, resume=False)
start = {k: v.clone() for k, v in first.state_dict().items()}
second, report = build_encoder(b, dict(settings, steps=3), next_sets, quiet, resume=False,
                               start_from=os.path.join(a, "encoder.pt"))
saved_a = torch.load(os.path.join(a, "encoder.pt"), weights_only=False)
saved_b = torch.load(os.path.join(b, "encoder.pt"), weights_only=False)
after = second.state_dict()
print(json.dumps({
    "inventoryA": saved_a["inventory"], "inventoryB": saved_b["inventory"],
    "configEqual": saved_a["config"] == saved_b["config"],
    "normalisationKept": bool(torch.equal(start["mel_mean"], after["mel_mean"]) and torch.equal(start["mel_inv_std"], after["mel_inv_std"])),
    "weightsMoved": float(max((start[k].float() - after[k].float()).abs().max() for k in start if not k.startswith("mel_"))),
    "steps": report["steps"], "continuedFrom": report.get("continuedFrom"),
    "perFirst": first_report["phonemeErrorRate"], "perBefore": report.get("phonemeErrorRateBefore"),
}))
`;

itIf(hasPython, `${PYTHON}`)('continues a trained encoder from its weights, normalisation and classes', () => {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], { cwd: RECIPE, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout) as {
    inventoryA: string[];
    inventoryB: string[];
    configEqual: boolean;
    normalisationKept: boolean;
    weightsMoved: number;
    steps: number;
    continuedFrom: string;
    perFirst: Record<string, number>;
    perBefore: Record<string, number>;
  };
  // The classes stay the first training's: a phoneme only the new renders hold ("d") is left out of the targets.
  expect(out.inventoryB).toEqual(out.inventoryA);
  expect(out.inventoryB).not.toContain('d');
  expect(out.configEqual).toBe(true);
  expect(out.normalisationKept).toBe(true);
  expect(out.weightsMoved).toBeGreaterThan(0);
  expect(out.steps).toBe(3);
  expect(out.continuedFrom).toMatch(/a\/encoder\.pt$/);
  // "Before" is the starting encoder scored on the same dev rows: what the first training reported.
  expect(out.perBefore).toEqual(out.perFirst);
});

// build.py --encoder-round K: a second continued training renders other texts, voices and channels than the first
// (and batches them in another order), while the dev sets keep only held-out texts.
const ROUNDS = `
import json, random
from voxgate_recipe import dataset
from voxgate_recipe.encoder_stage import data_config
from voxgate_recipe.encoder_data import plan_jobs
items = dataset.build_items(dataset.DataConfig(), random.Random(dataset.DataConfig().seed))
dev_texts = {i.question for i in items if i.dev and i.skill in ("asr", "repeat", "spell", "other")}
out = {}
for r in (0, 1, 2, 1):
    sets = plan_jobs(data_config(False, 300, r), dataset.DataConfig(), None)
    key = lambda j: [j["text"], j["voice"]["name"], json.dumps(j["chain"], sort_keys=True)]
    out.setdefault(str(r), []).append({
        "train": [key(j) for j in sets["train"]],
        "trainDevTexts": sum(j["text"] in dev_texts for j in sets["train"]),
        "devOutside": sum(j["text"] not in dev_texts for name, js in sets.items() if name.startswith("dev") for j in js),
        "devJobs": sum(len(js) for name, js in sets.items() if name.startswith("dev")),
    })
print(json.dumps(out))
`;

itIf(hasPython, `${PYTHON}`)('draws a later continued training other renders than an earlier one, dev texts held out', () => {
  const run = spawnSync(PYTHON, ['-c', ROUNDS], { cwd: RECIPE, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  type Round = { train: string[][]; trainDevTexts: number; devOutside: number; devJobs: number };
  const out = JSON.parse(run.stdout) as Record<string, Round[]>;
  const [r0, r1, r2, r1Again] = [out['0']![0]!, out['1']![0]!, out['2']![0]!, out['1']![1]!];
  const shared = (a: Round, b: Round): number => {
    const keys = new Set(a.train.map((k) => JSON.stringify(k)));
    return b.train.filter((k) => keys.has(JSON.stringify(k))).length / b.train.length;
  };
  expect(r1Again.train).toEqual(r1.train); // a round is reproducible
  expect(shared(r1, r2)).toBeLessThan(0.05);
  expect(shared(r0, r2)).toBeLessThan(0.05);
  for (const r of [r0, r1, r2]) {
    expect(r.train).toHaveLength(300);
    expect(r.trainDevTexts).toBe(0);
    expect(r.devJobs).toBeGreaterThan(0);
    expect(r.devOutside).toBe(0);
  }
});
