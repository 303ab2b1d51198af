// How lm.gguf stores its matrices (models/recipe/voxgate_recipe/gguf_weights.py): an LM written as f32, f16 or
// q8_0 reads back (gguf_reader.py) with exactly the values the file holds, which are what parity.py's torch
// reference runs with; q8_0 keeps each value within about half a step of its block (its largest magnitude / 127), stores a matrix whose rows
// are not whole 32-value blocks as f16, keeps norms f32, and takes about a quarter of f32's bytes.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const ready = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const SCRIPT = `
import json, os, tempfile, torch
from voxgate_recipe import vocab as V
from voxgate_recipe.gguf_reader import read_gguf
from voxgate_recipe.gguf_weights import GGML_F16, GGML_F32, GGML_Q8_0, as_stored, stored_type
from voxgate_recipe.gguf_writer import tensor_map, write_gguf
from voxgate_recipe.lm_model import LlamaLm, LmConfig
from voxgate_recipe.parity import as_stored_model
V.use_text_pieces([], 8)
# ffn_dim 48: ffn_down's rows are 48 wide, not whole 32-value blocks.
cfg = LmConfig(dim=64, n_layers=1, n_heads=2, ffn_dim=48, vocab_size=V.FIRST_UNIT_ID + 8, max_seq_len=64)
torch.manual_seed(0)
lm = LlamaLm(cfg)
folder = tempfile.mkdtemp()
out = {}
for weights in ("f32", "f16", "q8_0"):
    path = os.path.join(folder, weights + ".gguf")
    write_gguf(lm, V.build_vocab(8), path, weights=weights)
    back, vocab = read_gguf(path)
    ref = as_stored_model(lm, weights)
    exact = all(torch.equal(a, b) for (_, a), (_, b) in zip(tensor_map(back), tensor_map(ref)))
    worst = 0.0
    for (name, w), (_, r) in zip(tensor_map(lm), tensor_map(back)):
        if stored_type(w.detach().numpy(), weights) == GGML_Q8_0:
            blocks = w.detach().reshape(w.shape[0], -1, 32)
            step = blocks.abs().amax(dim=2, keepdim=True) / 127
            worst = max(worst, float(((blocks - r.reshape(blocks.shape)).abs() / step).max()))
    types = {n: stored_type(w.detach().numpy(), weights) for n, w in tensor_map(lm)}
    out[weights] = {"exact": exact, "bytes": os.path.getsize(path), "worstSteps": worst,
                    "vocab": vocab == V.build_vocab(8),
                    "q": types["blk.0.attn_q.weight"], "down": types["blk.0.ffn_down.weight"],
                    "norm": types["blk.0.attn_norm.weight"], "embd": types["token_embd.weight"]}
out["types"] = {"f32": GGML_F32, "f16": GGML_F16, "q8_0": GGML_Q8_0}
f32 = next(p for n, p in tensor_map(lm) if n == "blk.0.attn_q.weight").detach().numpy()
out["f32Unchanged"] = bool((as_stored(f32, "f32") == f32).all())
print(json.dumps(out))
`;

itIf(ready, `${PYTHON} with torch`)('writes f32, f16 and q8_0 GGUFs that read back as the values parity runs with', () => {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], { cwd: RECIPE, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  type Written = { exact: boolean; bytes: number; worstSteps: number; vocab: boolean; q: number; down: number; norm: number; embd: number };
  const out = JSON.parse(run.stdout) as Record<'f32' | 'f16' | 'q8_0', Written> & { types: Record<'f32' | 'f16' | 'q8_0', number>; f32Unchanged: boolean };
  const { types } = out;
  for (const w of ['f32', 'f16', 'q8_0'] as const) {
    expect(out[w].exact, w).toBe(true);
    expect(out[w].vocab, w).toBe(true);
    expect(out[w].norm, w).toBe(types.f32);
  }
  expect(out.f32Unchanged).toBe(true);
  expect([out.f16.q, out.f16.down, out.f16.embd]).toEqual([types.f16, types.f16, types.f16]);
  expect([out.q8_0.q, out.q8_0.embd]).toEqual([types.q8_0, types.q8_0]);
  expect(out.q8_0.down).toBe(types.f16);
  // Rounded to the nearest of 255 levels per block: half a step, plus up to 127 times the f16 rounding of the
  // scale itself (2^-11 of it): at most 0.5 + 0.062 steps.
  expect(out.q8_0.worstSteps).toBeGreaterThan(0);
  expect(out.q8_0.worstSteps).toBeLessThan(0.563);
  expect(out.q8_0.bytes).toBeLessThan(out.f16.bytes);
  expect(out.f16.bytes).toBeLessThan(out.f32.bytes);
});
