"""Typed (text-to-text) accuracy on the closed skills' facts, for LM checkpoints or GGUF files side by side:
the quick check of what a stage did to the text skills, without a build's full eval.

    /usr/bin/python3 -m voxgate_recipe.typed_skills ../voxgate-tiny-en/lm.gguf WORK/lm-after-stage3c-….pt [--per-skill 80]
        [--data WORK/data.pt]

--data adds the open skills on that build's held-out texts: repeat of every dev sentence (the repeat and
transcription-only dev items), spell of every dev word. A drop-in for them: the dev items are never trained on.
"""
from __future__ import annotations

import argparse
import random

import torch

from . import skills, vocab as V
from .decode import CachedDecoder
from .evaluate import parse
from .lm_files import load_lm
from .sequences import prompt_ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lms", nargs="+", help="lm.gguf files or torch checkpoints (lm-after-*.pt)")
    ap.add_argument("--per-skill", type=int, default=80)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--data", help="a build's data.pt: also repeat and spell its held-out sentences and words")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    facts = {"arithmetic": list(skills.arithmetic(rng)), "next": list(skills.next_item(rng)), "count": list(skills.count(rng))}
    chosen = {k: rng.sample(v, min(args.per_skill, len(v))) for k, v in facts.items()}
    if args.data:
        dev = [i for i in torch.load(args.data, weights_only=False)["items"] if i["dev"]]
        sentences = sorted({i["answer"] for i in dev if i["skill"] in ("repeat", "asr")})
        words = sorted({i["answer"].replace(" ", "") for i in dev if i["skill"] == "spell"})
        chosen["repeat"] = list(skills.repeat(sentences, rng))
        chosen["spell"] = list(skills.spell(words, rng))
    for path in args.lms:
        lm = load_lm(path)
        row = []
        for skill, items in chosen.items():
            right = sum(parse(CachedDecoder(lm).generate(prompt_ids("text-to-text", q, []), 120, V.EOA_ID))["answer"].strip() == a.strip()
                        for _, q, a in items)
            row.append(f"{skill} {right}/{len(items)}")
        print(f"{path}: {', '.join(row)}", flush=True)


if __name__ == "__main__":
    main()
