"""Renders the recipe's dev set as WAV files, per listening condition, for the gateway-path listening
bench (bench/hearing.ts): the same dev items, voices and channels the recipe's eval uses, so a model
folder can be measured through the code the gateway runs (units extracted incrementally by units.onnx,
the GGUF in node-llama-cpp) rather than through torch.

    /usr/bin/python3 -m voxgate_recipe.render_dev --data WORK/data.pt --human-root WORK/human/root --out /tmp/dev-set
    /usr/bin/python3 -m voxgate_recipe.render_dev --plan long --fetch-human /tmp/human --out /tmp/dev-set

--conditions picks the listening conditions: by default the build eval's; `festivalVoices` and
`heldOutFestivalVoice` (eval_conditions.EXTRA_CONDITIONS) only on request. --plan takes the dev items
from a plan's data configuration without a build (dataset.build_items with the plan's seed: the same items
its data.pt holds; `long` is the shipped model's plan). --fetch-human downloads and unpacks Debian's speech packages into DIR (human_speech.fetch) for the held-out human voices.

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
from .dataset import build_items, render_job
from .eval_conditions import CONDITIONS, EXTRA_CONDITIONS
from .plan import FULL, PLANS


def write_wav(path: str, pcm: np.ndarray) -> None:
    pcm16 = (np.clip(pcm, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE_HZ)
        w.writeframes(pcm16.tobytes())


def dev_items(data_file: str | None, plan: str | None) -> list[dict]:
    """The dev items of a build's data.pt, or of a plan's data as its build makes them (same seed, same order)."""
    if data_file:
        data = torch.load(data_file, weights_only=False)  # our own file: lists, dicts and arrays
        return [i for i in data["items"] if i["dev"]]
    cfg = PLANS[plan].data
    return [dict(skill=i.skill, question=i.question, answer=i.answer) for i in build_items(cfg, random.Random(cfg.seed)) if i.dev]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="a build's data.pt (its dev items)")
    source.add_argument("--plan", choices=sorted(PLANS), help="a plan's dev items, built from its data configuration")
    human = ap.add_mutually_exclusive_group()
    human.add_argument("--human-root", help="Debian's speech packages unpacked: adds the held-out human voices")
    human.add_argument("--fetch-human", metavar="DIR", help="download and unpack them into DIR first (apt-get download)")
    ap.add_argument("--conditions", help="comma-separated conditions to render (default: the build eval's "
                    f"{', '.join(CONDITIONS)}; also {', '.join(EXTRA_CONDITIONS)})")
    ap.add_argument("--per-condition", type=int, default=40)
    ap.add_argument("--seed", type=int, default=FULL.seed)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    dev = sorted(dev_items(args.data, args.plan), key=lambda i: (i["skill"], i["question"]))
    if args.fetch_human:
        from .human_speech import fetch
        args.human_root = fetch(args.fetch_human)
    os.makedirs(args.out, exist_ok=True)
    known = {**CONDITIONS, **EXTRA_CONDITIONS}
    names = args.conditions.split(",") if args.conditions else list(CONDITIONS)
    unknown = [n for n in names if n not in known]
    if unknown:
        ap.error(f"unknown conditions {unknown}; known: {', '.join(known)}")
    rows = []
    for name in names:
        voice_of, chain_of = known[name]
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
