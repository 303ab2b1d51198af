// Answer-unit pieces (models/recipe/voxgate_recipe/spoken_pieces.py): byte-pair merges of the answers' spoken units,
// each a unit token numbered after the data's units; an answer written with them decodes back to the same units;
// the manifest's expansions are what the gateway hands the vocoder; an LM widened by them keeps every other row in
// place (its word pieces move up after the new tokens) and starts a piece as the mean of its units' rows; a
// checkpoint keeps the merges; a build going on from an LM with fewer merges than asked keeps its own as the first
// and widens it by the rest, which gives the rows widening by all of them at once would.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const ready = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const SCRIPT = `
import dataclasses, json, os, random, tempfile, torch
import build
from voxgate_recipe.plan import PLANS
from voxgate_recipe import spoken_pieces as S, vocab as V, warm_start
from voxgate_recipe.lm_model import LlamaLm, LmConfig, checkpoint_spoken_pieces, save_checkpoint
rng = random.Random(3)
words = [[rng.randrange(8) for _ in range(rng.randrange(2, 6))] for _ in range(12)]
answers = [[u for w in rng.sample(words, 4) for u in w] for _ in range(200)]
held = [[u for w in rng.sample(words, 4) for u in w] for _ in range(50)]
first = 10  # 8 spoken units, 2 heard ones
merges = S.learn_merges(answers, 30, first)
again = S.learn_merges([list(a) for a in answers], 30, first)
flat = S.expansions(merges, first)
enc = [S.encode(a, merges, first) for a in held]
V.use_text_pieces([" what"], first + len(merges))
V.use_spoken_pieces(merges, first)
ids = V.encode_spoken_units(held[0])
cfg = LmConfig(dim=16, n_layers=1, n_heads=2, ffn_dim=32, vocab_size=V.FIRST_UNIT_ID + first + 1, max_seq_len=64)
torch.manual_seed(0)
lm = LlamaLm(cfg)
at = V.FIRST_UNIT_ID + first
wide = warm_start.widen_spoken(lm, at, flat)
e0 = wide.embed.weight
path = os.path.join(tempfile.mkdtemp(), "lm.pt")
save_checkpoint(wide, path, [" what"], (merges, first))
data = {"unit_count": first, "units": answers, "items": [{"answer": f"a{k}", "a_units": k} for k in range(len(answers))]}
plan = dataclasses.replace(PLANS["warm"], spoken_pieces=30)
work = tempfile.mkdtemp()
grown = build.lm_spoken_merges(plan, data, work, (merges[:12], first), None, lambda *a: None)
kept = build.lm_spoken_merges(dataclasses.replace(plan, spoken_pieces=12), data, work, (merges[:12], first), None, lambda *a: None)
try:
    build.lm_spoken_merges(plan, data, work, ([merges[1], merges[0]], first), None, lambda *a: None)
    foreign = "accepted"
except ValueError as e:
    foreign = str(e)
twice = warm_start.widen_spoken(warm_start.widen_spoken(lm, at, flat[:12]), at + 12, flat[12:])
print(json.dumps({
    "grown": grown == merges, "kept": kept == merges[:12], "foreign": foreign,
    "twiceSame": bool(torch.equal(twice.embed.weight, wide.embed.weight) and torch.equal(twice.head.weight, wide.head.weight)),
    "merges": len(merges), "same": merges == again,
    "roundTrip": all(S.decode(e, merges, first) == a for e, a in zip(enc, held)),
    "expandsToSpoken": all(len(f) >= 2 and all(0 <= u < 8 for u in f) for f in flat),
    "ratio": sum(map(len, held)) / sum(map(len, enc)),
    "tokensAreUnits": [V.unit_of_token(t) for t in ids] == S.encode(held[0], merges, first),
    "decodeSpoken": V.decode_spoken_units([V.unit_of_token(t) for t in ids]) == held[0],
    "vocab": len(V.build_vocab(first + len(merges))), "wideVocab": wide.cfg.vocab_size,
    "rowIsMean": bool(torch.allclose(e0[at + 0], lm.embed.weight[[V.unit_token(u) for u in flat[0]]].mean(dim=0))),
    "before": bool(torch.equal(wide.head.weight[:at], lm.head.weight[:at])),
    "wordPieceMoved": bool(torch.equal(wide.embed.weight[at + len(flat)], lm.embed.weight[at])),
    "checkpoint": checkpoint_spoken_pieces(path) == (merges, first),
}))
`;

itIf(ready, `${PYTHON} with torch`)('writes answers with fewer unit tokens, decodes them back exactly, and widens an LM by the pieces', () => {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], { cwd: RECIPE, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout) as Record<string, unknown>;
  expect(out['merges']).toBe(30);
  expect(out['same']).toBe(true);
  expect(out['roundTrip']).toBe(true);
  expect(out['expandsToSpoken']).toBe(true);
  // Answers made of 12 repeating "words": held-out ones take well under half the tokens.
  expect(out['ratio'] as number).toBeGreaterThan(2);
  expect(out['tokensAreUnits']).toBe(true);
  expect(out['decodeSpoken']).toBe(true);
  expect(out['vocab']).toBe(110 + 10 + 30 + 1);
  expect(out['wideVocab']).toBe(out['vocab']);
  expect(out['rowIsMean']).toBe(true);
  expect(out['before']).toBe(true);
  expect(out['wordPieceMoved']).toBe(true);
  expect(out['checkpoint']).toBe(true);
  // Going on from an LM with 12 of the 30 merges: it keeps them as the first, the build adds the other 18.
  expect(out['grown']).toBe(true);
  expect(out['kept']).toBe(true);
  expect(out['foreign']).toMatch(/not the first of the 30/);
  expect(out['twiceSame']).toBe(true);
});
