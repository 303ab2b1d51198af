"""Typed (text-to-text) accuracy on the closed skills' facts, for LM checkpoints or GGUF files side by side:
the quick check of what a stage did to the text skills, without a build's full eval.

    /usr/bin/python3 -m voxgate_recipe.typed_skills ../voxgate-tiny-en/lm.gguf WORK/lm-after-stage3c-….pt [--per-skill 80]
"""
from __future__ import annotations

import argparse
import random

import torch

from . import skills, vocab as V
from .decode import CachedDecoder
from .evaluate import parse
from .gguf_reader import read_gguf
from .lm_model import LlamaLm, load_checkpoint
from .sequences import prompt_ids


def load_lm(path: str) -> LlamaLm:
    return read_gguf(path)[0] if path.endswith(".gguf") else load_checkpoint(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lms", nargs="+", help="lm.gguf files or torch checkpoints (lm-after-*.pt)")
    ap.add_argument("--per-skill", type=int, default=80)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    facts = {"arithmetic": list(skills.arithmetic(rng)), "next": list(skills.next_item(rng)), "count": list(skills.count(rng))}
    chosen = {k: rng.sample(v, min(args.per_skill, len(v))) for k, v in facts.items()}
    for path in args.lms:
        lm = load_lm(path)
        row = []
        for skill, items in chosen.items():
            right = sum(parse(CachedDecoder(lm).generate(prompt_ids("text-to-text", q, []), 60, V.EOA_ID))["answer"] == a
                        for _, q, a in items)
            row.append(f"{skill} {right}/{len(items)}")
        print(f"{path}: {', '.join(row)}", flush=True)


if __name__ == "__main__":
    main()
