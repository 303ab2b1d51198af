"""The listening conditions of eval_conditions.py, measured on a model folder built by the earlier recipe
(log-mel k-means units; its lm.gguf read back into torch), so a new build's figures have a baseline taken
on the same dev sentences, voices and channels (same data file, same seed).

    /usr/bin/python3 -m voxgate_recipe.eval_shipped --model models/voxgate-tiny-en --data WORK/data.pt \\
        --human-root WORK/human/root --out /tmp/baseline.json
"""
from __future__ import annotations

import argparse
import json

import torch

from .eval_conditions import evaluate_conditions
from .lm_files import load_lm
from .human_speech import load, split
from .plan import FULL
from .warm_start import spoken_extractor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model folder with lm.gguf and a log-mel units.onnx")
    ap.add_argument("--data", required=True, help="a build's data.pt: its dev sentences are the conditions' texts")
    ap.add_argument("--human-root", help="Debian's speech packages unpacked: adds the held-out human voices")
    ap.add_argument("--per-condition", type=int, default=FULL.eval_per_condition)
    ap.add_argument("--seed", type=int, default=FULL.seed)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    lm = load_lm(f"{args.model}/lm.gguf")
    extractor = spoken_extractor(args.model)
    data = torch.load(args.data, weights_only=False)
    human_dev = [(u.text, load(u)) for u in split(args.human_root)[1]] if args.human_root else []
    figures = evaluate_conditions(lm, extractor, data, args.per_condition, args.seed, human_dev)
    with open(args.out, "w") as f:
        json.dump({"model": args.model, "conditions": figures}, f, indent=2)


if __name__ == "__main__":
    main()
