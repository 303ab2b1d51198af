// Word pieces for the LM's text (models/recipe/voxgate_recipe/text_pieces.py): the training texts' most frequent
// whole words, fixed for the same texts, only letters, digits and apostrophes after a space (so text cannot spell a
// marker); a piece stands for its word only where the whole word is written (any other word is its letters); a
// character LM widened by them starts out reading a piece as it read the piece's spelling; an LM file of either
// format (GGUF, checkpoint) reads back with its pieces (lm_files.read_lm).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { itIf } from '../helpers/requires.ts';
import { PYTHON } from '../helpers/random-lm.ts';

const RECIPE = fileURLToPath(new URL('../../models/recipe/', import.meta.url));
const ready = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const SCRIPT = `
import json, os, tempfile, torch
from voxgate_recipe import vocab as V, warm_start
from voxgate_recipe.gguf_writer import write_gguf
from voxgate_recipe.lm_files import read_lm
from voxgate_recipe.lm_model import LlamaLm, LmConfig, save_checkpoint
from voxgate_recipe.text_pieces import is_text_piece, learn_pieces
texts = ["what is two plus three", "what is three plus four", "spell the word house", "the house; is it there?",
         "what's this <12> [tq]"] * 3
pieces = learn_pieces(texts, 40)
again = learn_pieces(list(texts), 40)
V.use_text_pieces(pieces, 8)
ids = V.encode_text(" what is three plus two;")
unseen = V.encode_text(" whatever isle")
cfg = LmConfig(dim=16, n_layers=1, n_heads=2, ffn_dim=32, vocab_size=V.FIRST_UNIT_ID + 8, max_seq_len=64)
torch.manual_seed(0)
lm = LlamaLm(cfg)
wide = warm_start.widen_text(lm, pieces)
k = pieces.index(" what")
chars = [V.char_token(c) for c in " what"]
row = wide.embed.weight[V.unit_id_end() + k]
# Read back from either file format: the same pieces and unit count, and the same weights.
folder = tempfile.mkdtemp()
write_gguf(wide, V.build_vocab(8), os.path.join(folder, "lm.gguf"))
save_checkpoint(wide, os.path.join(folder, "lm.pt"), pieces)
read = [read_lm(os.path.join(folder, f)) for f in ("lm.gguf", "lm.pt")]
print(json.dumps({
    "readBack": [[r.pieces == pieces, r.unit_count, bool(torch.allclose(r.lm.embed.weight, wide.embed.weight))] for r in read],
    "pieces": pieces, "same": pieces == again, "allPieces": all(is_text_piece(p) for p in pieces),
    "text": "".join(V.text_of(i) for i in ids), "tokens": len(ids), "chars": len(" what is three plus two;"),
    "unseenLetters": unseen == [V.char_token(c) for c in " whatever isle"],
    "vocab": len(V.build_vocab(8)), "wideVocab": wide.cfg.vocab_size,
    "unitOfPiece": V.unit_of_token(V.unit_id_end() + k), "unitOfLastUnit": V.unit_of_token(V.FIRST_UNIT_ID + 7),
    "rowIsMean": bool(torch.allclose(row, lm.embed.weight[chars].mean(dim=0))),
    "oldRowsKept": bool(torch.equal(wide.head.weight[: cfg.vocab_size], lm.head.weight)),
}))
`;

itIf(ready, `${PYTHON} with torch`)('takes the most frequent whole words as pieces, reads other words by letter, and widens an LM by them', () => {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], { cwd: RECIPE, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout) as Record<string, unknown> & { pieces: string[] };
  expect(out['same']).toBe(true);
  expect(out['allPieces']).toBe(true);
  expect(out.pieces).toContain(' what');
  expect(out.pieces.every((p) => /^ [a-z0-9']+$/.test(p))).toBe(true);
  // The most frequent word first (" is" 9 times), ties by text; "house;" and "there?" are no words of the rule.
  expect(out.pieces.slice(0, 5)).toEqual([' is', ' plus', ' the', ' three', ' what']);
  expect(out.pieces).not.toContain(' house;');
  expect(out['unseenLetters']).toBe(true);
  expect(out['text']).toBe(' what is three plus two;');
  expect(out['tokens'] as number).toBeLessThanOrEqual(12); // 24 characters
  expect(out['vocab']).toBe(110 + 8 + out.pieces.length);
  expect(out['wideVocab']).toBe(out['vocab']);
  expect(out['unitOfPiece']).toBe(-1);
  expect(out['unitOfLastUnit']).toBe(7);
  expect(out['rowIsMean']).toBe(true);
  expect(out['oldRowsKept']).toBe(true);
  expect(out['readBack']).toEqual([[true, 8, true], [true, 8, true]]);
});
