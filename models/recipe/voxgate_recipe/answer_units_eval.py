"""How an LM speaks: text-to-speech turns on a build's held-out answers, their units against the answer voice's
own units for the same text (the units the LM was taught to write), for LM checkpoints side by side.

    /usr/bin/python3 -m voxgate_recipe.answer_units_eval WORK/lm.pt OTHER/lm.pt --data WORK/data-warm.pt [--count 200]

Per LM: answers right, unit error rate (edit distance over the reference's units, on the turns whose answer text is
right), turns whose units equal the reference's exactly, and the [ua] part's tokens per unit (below 1 with
answer-unit pieces, spoken_pieces.py). Checkpoints only: a GGUF does not say what its answer-unit pieces stand for.
"""
from __future__ import annotations

import argparse
import json
import random

import torch

from . import vocab as V
from .decode import CachedDecoder
from .evaluate import edit_distance, parse
from .lm_files import load_lm
from .sequences import prompt_ids

MAX_NEW_TOKENS = 1200


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lms", nargs="+", help="torch checkpoints (lm.pt, lm-after-*.pt)")
    ap.add_argument("--data", required=True, help="a warm build's data-warm.pt (answers in the spoken units)")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = torch.load(args.data, weights_only=False)
    units = data["units"]
    dev = {i["answer"]: i for i in data["items"] if i["dev"] and i["skill"] != "asr"}
    chosen = random.Random(args.seed).sample(sorted(dev), min(args.count, len(dev)))
    out = {}
    for path in args.lms:
        lm = load_lm(path)
        right = errors = ref_units = exact = ua_tokens = ua_units = 0
        for answer in chosen:
            item = dev[answer]
            ids = CachedDecoder(lm).generate(prompt_ids("text-to-speech", item["question"], []), MAX_NEW_TOKENS, V.EOA_ID)
            got = parse(ids)
            ua_tokens += sum(1 for t in ids if V.unit_of_token(t) >= 0)
            ua_units += len(got["units"])
            if got["answer"] != item["answer"]:
                continue
            right += 1
            ref = list(units[item["a_units"]])
            errors += edit_distance(ref, got["units"])
            ref_units += len(ref)
            exact += int(got["units"] == ref)
        out[path] = {"turns": len(chosen), "answersRight": right, "unitErrorRate": round(errors / max(1, ref_units), 4),
                     "exactUnits": exact, "uaTokensPerUnit": round(ua_tokens / max(1, ua_units), 4)}
        print(path, out[path], flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
