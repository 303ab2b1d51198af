"""Renders the recipe's dev set as WAV files, per listening condition, for the gateway-path listening
bench (bench/hearing.ts): the same dev items, voices and channels the recipe's eval uses, so a model
folder can be measured through the code the gateway runs (units extracted incrementally by units.onnx,
the GGUF in node-llama-cpp) rather than through torch.

    /usr/bin/python3 -m voxgate_recipe.render_dev --data WORK/data.pt --human-root WORK/human/root --out /tmp/dev-set

Writes OUT/index.json: {"utterances": [{"file", "condition", "skill", "said", "answer"}]}; `answer` is null
for transcription-only items and human clips.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import wave

import numpy as np
import torch

from .audio import SAMPLE_RATE_HZ
from .dataset import render_job
from .eval_conditions import CONDITIONS
from .plan import FULL


def write_wav(path: str, pcm: np.ndarray) -> None:
    pcm16 = (np.clip(pcm, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE_HZ)
        w.writeframes(pcm16.tobytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="a build's data.pt (its dev items)")
    ap.add_argument("--human-root", help="Debian's speech packages unpacked: adds the held-out human voices")
    ap.add_argument("--per-condition", type=int, default=40)
    ap.add_argument("--seed", type=int, default=FULL.seed)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    data = torch.load(args.data, weights_only=False)
    dev = sorted((i for i in data["items"] if i["dev"]), key=lambda i: (i["skill"], i["question"]))
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name, (voice_of, chain_of) in CONDITIONS.items():
        for n, item in enumerate(rng.sample(dev, min(args.per_condition, len(dev)))):
            file = f"{name}-{n:03d}.wav"
            write_wav(os.path.join(args.out, file), render_job(item["question"], voice_of(rng), chain_of(rng)))
            rows.append({"file": file, "condition": name, "skill": item["skill"], "said": item["question"],
                         "answer": None if item["skill"] == "asr" else item["answer"]})
    if args.human_root:
        from .human_speech import load, split
        for n, u in enumerate(split(args.human_root)[1]):
            file = f"heldOutHumanVoices-{n:03d}.wav"
            write_wav(os.path.join(args.out, file), load(u))
            rows.append({"file": file, "condition": "heldOutHumanVoices", "skill": "asr", "said": u.text, "answer": None})
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump({"utterances": rows}, f, indent=1)
    print(f"{len(rows)} utterances in {args.out}")


if __name__ == "__main__":
    main()
