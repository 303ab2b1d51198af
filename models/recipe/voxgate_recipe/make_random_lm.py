"""A small random-weight LM, written as GGUF (f32, f16 and q8_0) with parity files: a fixture for tests.

    /usr/bin/python3 -m voxgate_recipe.make_random_lm OUT_DIR [--dim 64 --layers 2 --heads 4 --units 32]

OUT_DIR receives lm.gguf + parity.json (f32), lm-f16.gguf + parity-f16.json and lm-q8_0.gguf +
parity-q8_0.json. With --pieces (word pieces,
comma-separated, after the units: text_pieces.py) it also receives text-samples.json: sample texts and the ids
the recipe tokenises them to, for the gateway's tokenizer to match.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from . import vocab as V
from .gguf_writer import write_gguf
from .lm_model import LlamaLm, LmConfig
from .parity import parity_prompts, write_parity


def random_lm(dim: int, layers: int, heads: int, units: int, seed: int) -> LlamaLm:
    torch.manual_seed(seed)
    cfg = LmConfig(dim=dim, n_layers=layers, n_heads=heads, ffn_dim=dim * 8 // 3 // 8 * 8,
                   vocab_size=len(V.build_vocab(units)), max_seq_len=256)
    model = LlamaLm(cfg)
    with torch.no_grad():
        # Norm weights away from 1 so a missing or misplaced norm shows; a sharper head so argmax is never a near tie.
        for name, p in model.named_parameters():
            if p.ndim == 1:
                p.copy_(1 + 0.3 * torch.randn_like(p))
        model.head.weight.mul_(4.0)
    model.eval()
    _make_eos_reachable(model)
    return model


def _make_eos_reachable(model: LlamaLm) -> None:
    """Random weights almost never pick <eoa>: give it a scaled copy of the head row of a token that the
    parity prompts generate only late, so some cases stop at EOS and others run to max_new."""
    first_seen: dict[int, list[int]] = {}
    for _, prompt in parity_prompts((V.unit_id_end() or model.cfg.vocab_size) - V.FIRST_UNIT_ID):
        out = model.greedy(prompt, 48, V.EOS_ID)
        for tok in set(out):
            first_seen.setdefault(tok, []).append(out.index(tok))
    late = [t for t, idx in first_seen.items() if min(idx) >= 16] or list(first_seen)
    trigger = max(late, key=lambda t: (len(first_seen[t]), -t))
    with torch.no_grad():
        model.head.weight[V.EOS_ID] = model.head.weight[trigger] * 1.02


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--units", type=int, default=32)
    ap.add_argument("--max-new", type=int, default=48)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pieces", default="", help="word pieces, comma-separated (a leading space kept)")
    args = ap.parse_args()
    V.use_text_pieces([p for p in args.pieces.split(",") if p], args.units)
    torch.set_num_threads(1)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = random_lm(args.dim, args.layers, args.heads, args.units, args.seed)
    vocab = V.build_vocab(args.units)
    for weights, gguf, parity in (("f32", "lm.gguf", "parity.json"), ("f16", "lm-f16.gguf", "parity-f16.json"),
                                  ("q8_0", "lm-q8_0.gguf", "parity-q8_0.json")):
        write_gguf(model, vocab, out / gguf, name="voxgate-random", weights=weights)
        write_parity(model, out / parity, gguf_file=gguf, max_new=args.max_new, weights=weights)
    if V.text_pieces():
        samples = [" what is two plus three;", "Spell THE word: this, then that's it!", "a😀b\nthe end"]
        (out / "text-samples.json").write_text(json.dumps(
            [{"text": t, "ids": V.encode_text(t)} for t in samples], indent=1) + "\n")
    info = {"params": model.param_count(), "config": model.cfg.to_dict(), "unitCount": args.units}
    (out / "random-lm.json").write_text(json.dumps(info, indent=1) + "\n")


if __name__ == "__main__":
    main()
