"""What the speech encoder hears, per listening condition, before and after its states become units.

A linear CTC head on phonemes is trained on the frozen encoder's hidden states, and a second one on the same
states replaced by their nearest k-means centroid (what a unit carries); both are scored by phoneme error rate
on the dev set that `bench/hearing.ts` reads (voices, a synthesizer and sentences never trained on; the held-out
human voices). Where the model's transcripts fail, this tells the encoder apart from the units: a condition
whose continuous states already give a high PER needs a better encoder, one that loses most in quantization
needs more or better units. A linear probe is a lower bound on what the states hold.

    cd models/recipe && /usr/bin/python3 -m voxgate_recipe.encoder_probe --encoder-work WORK \\
        --units ../voxgate-tiny-en/units.onnx --dev-set ../../bench/out/dev-set \\
        --human-root ../../bench/out/human/root --out probe.json

(`WORK`: a build's work folder holding its finished encoder, `encoder.pt`; `encoder_from_onnx` makes one from the
LLaSM folder.) Training speech: the `long` plan's training texts (its dev sentences stay held out) spoken by the
encoder data's voices and channels, plus the training speakers' real clips when `--human-root` is given.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections import defaultdict

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

from . import phonemes
from .audio import trim_silence
from .encoder_data import EncoderDataConfig, _init, mel_of, plan_jobs, render_sets
from .encoder_model import SpeechEncoder
from .encoder_stage import finished_encoder
from .evaluate import edit_distance
from .human_speech import decode
from .plan import PLANS
from .train_encoder import greedy, normalised
from .units import kmeans


def centroids_of(units_onnx: str) -> torch.Tensor:
    for init in onnx.load(units_onnx).graph.initializer:
        if init.name == "centroids":
            return torch.from_numpy(numpy_helper.to_array(init).astype(np.float32))
    raise SystemExit(f"{units_onnx}: no 'centroids' initializer (not an encoder + k-means unit extractor)")


def states(encoder: SpeechEncoder, mel: np.ndarray) -> torch.Tensor:
    """[frames / 2, dim]: the hidden states of one utterance's log-mel (as the recipe renders it)."""
    with torch.no_grad():
        x = normalised(encoder, torch.from_numpy(mel.astype(np.float32)).unsqueeze(0))
        return encoder.hidden(x)[0]


def quantised(h: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    nearest = torch.cdist(h, centroids).argmin(dim=1)
    return centroids[nearest]


def train_head(feats: list[torch.Tensor], targets: list[list[int]], classes: int, epochs: int, seed: int) -> torch.nn.Linear:
    torch.manual_seed(seed)
    head = torch.nn.Linear(feats[0].shape[1], classes)
    opt = torch.optim.Adam(head.parameters(), lr=3e-3)
    order = list(range(len(feats)))
    rng = random.Random(seed)
    batch = 32
    for _ in range(epochs):
        rng.shuffle(order)
        for k in range(0, len(order), batch):
            idx = order[k : k + batch]
            longest = max(feats[i].shape[0] for i in idx)
            x = torch.zeros(len(idx), longest, feats[0].shape[1])
            for b, i in enumerate(idx):
                x[b, : feats[i].shape[0]] = feats[i]
            logp = F.log_softmax(head(x), dim=-1).transpose(0, 1)  # [T, B, C]
            loss = F.ctc_loss(logp, torch.tensor([t for i in idx for t in targets[i]]),
                              torch.tensor([feats[i].shape[0] for i in idx]), torch.tensor([len(targets[i]) for i in idx]),
                              blank=0, zero_infinity=True)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return head.eval()


def per(head: torch.nn.Linear, feats: list[torch.Tensor], targets: list[list[int]]) -> float:
    errors = total = 0
    with torch.no_grad():
        for h, ref in zip(feats, targets):
            errors += edit_distance(ref, greedy(head(h)))
            total += len(ref)
    return errors / max(1, total)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder-work", required=True, help="work folder with a finished encoder.pt")
    ap.add_argument("--units", help="the unit extractor (units.onnx) whose centroids quantise the states (a new "
                                    "encoder has none yet: --clusters fits its own)")
    ap.add_argument("--dev-set", required=True, help="a rendered dev set (index.json + WAVs), as bench/hearing.ts reads")
    ap.add_argument("--human-root", help="Debian's speech packages unpacked: the training speakers' clips join the probe's training")
    ap.add_argument("--train", type=int, default=2000, help="synthetic training utterances for the probe heads")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--clusters", default="", help="also k-means of these sizes (e.g. 128,256,512) fitted on the probe's "
                    "training states: what more units would keep")
    ap.add_argument("--rows-cache", help="keep the rendered training speech here and reuse it (a cache of the same --train, --seed and --human-root)")
    ap.add_argument("--out", help="write the figures here as JSON")
    args = ap.parse_args()
    torch.set_num_threads(2)
    started = time.time()

    found = finished_encoder(args.encoder_work)
    if found is None:
        raise SystemExit(f"{args.encoder_work}: no finished encoder.pt")
    encoder, _report = found
    centroids = centroids_of(args.units) if args.units else None
    if centroids is not None and centroids.shape[1] != encoder.cfg.dim:
        raise SystemExit(f"centroids are {centroids.shape[1]}-dimensional, the encoder's states {encoder.cfg.dim}")

    jobs = plan_jobs(EncoderDataConfig(train_utterances=args.train, dev_per_condition=0, seed=args.seed), PLANS["long"].data,
                     args.human_root)
    if args.rows_cache and os.path.exists(args.rows_cache):
        sets = torch.load(args.rows_cache, weights_only=False)
    else:
        sets = render_sets({k: v for k, v in jobs.items() if k in ("train", "train-human")})
        if args.rows_cache:
            torch.save(sets, args.rows_cache)
    train_rows = sets["train"] + sets.get("train-human", [])
    inventory = phonemes.inventory([r["phones"] for r in train_rows])
    ids = {p: i for i, p in enumerate(inventory)}
    train_targets = [[ids[p] for p in r["phones"] if p in ids] for r in train_rows]
    train_states = [states(encoder, r["mel"]) for r in train_rows]
    print(f"probe training set: {len(train_rows)} utterances ({len(sets.get('train-human', []))} real), "
          f"{sum(r['seconds'] for r in train_rows) / 3600:.2f} h, {len(inventory)} classes, {time.time() - started:.0f} s")

    _init()  # the log-mel the encoder data was rendered with
    index = json.load(open(os.path.join(args.dev_set, "index.json")))["utterances"]
    said_phones = dict(zip(sorted({u["said"] for u in index}), phonemes.phonemize(sorted({u["said"] for u in index}))))
    dev: dict[str, list[tuple[torch.Tensor, list[int]]]] = defaultdict(list)
    for u in index:
        pcm = trim_silence(decode(os.path.join(args.dev_set, u["file"])))
        dev[u["condition"]].append((states(encoder, mel_of(pcm)), [ids.get(p, -1) for p in said_phones[u["said"]]]))

    # What each head reads: the states themselves, or the states replaced by their nearest centroid.
    readers: dict[str, torch.Tensor | None] = {"encoder states": None}
    if centroids is not None:
        readers[f"units ({centroids.shape[0]}, shipped)"] = centroids
    gen = torch.Generator().manual_seed(args.seed)
    pooled = torch.cat(train_states)
    sample = pooled[torch.randperm(pooled.shape[0], generator=gen)[:200_000]]
    for k in [int(c) for c in args.clusters.split(",") if c.strip()]:
        readers[f"k-means {k}, fitted here"] = kmeans(sample, k, 25, gen, log=lambda _m: None)

    figures: dict[str, dict] = {}
    for name, cents in readers.items():
        read = (lambda h: h) if cents is None else (lambda h, c=cents: quantised(h, c))
        feats = [read(h) for h in train_states]
        head = train_head(feats, train_targets, len(inventory), args.epochs, args.seed)
        figures[name] = {"training": round(per(head, feats, train_targets), 4)}
        for condition, rows in dev.items():
            figures[name][condition] = round(per(head, [read(h) for h, _ in rows], [t for _, t in rows]), 4)
        print(f"{name}: done, {time.time() - started:.0f} s")

    print(f"| condition | utterances | {' | '.join(f'PER, {n}' for n in readers)} |")
    print(f"| --- | --- |{' --- |' * len(readers)}")
    for condition in ["training", *dev]:
        n = len(train_rows) if condition == "training" else len(dev[condition])
        print(f"| {condition} | {n} | {' | '.join(f'{100 * figures[r][condition]:.1f} %' for r in readers)} |")
    report = {"encoderWork": args.encoder_work, "units": args.units, "devSet": args.dev_set, "trainUtterances": len(train_rows),
              "classes": len(inventory), "epochs": args.epochs, "seed": args.seed, "seconds": round(time.time() - started),
              "phonemeErrorRate": figures}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
