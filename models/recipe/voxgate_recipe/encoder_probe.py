"""What the speech encoder hears, per listening condition, before and after its states become units.

A linear CTC head on phonemes is trained on the frozen encoder's hidden states, and a second one on the same
states replaced by their nearest k-means centroid (what a unit carries); both are scored by phoneme error rate
on the dev set that `bench/hearing.ts` reads (voices, a synthesizer and sentences never trained on; the held-out
human voices). Where the model's transcripts fail, this tells the encoder apart from the units: a condition
whose continuous states already give a high PER needs a better encoder, one that loses most in quantization
needs more or better units. A linear probe is a lower bound on what the states hold.

Other unit definitions from the same encoder, each read by a head on a one-hot of the unit id (a per-unit lookup,
what an LM's embedding table is): `--posterior-clusters` fits k-means over the CTC head's per-frame log-posteriors,
`--argmax-units` takes the CTC head's best phoneme per frame (blank included) as the unit, and `--one-hot-states`
reads the states' k-means units that way too (the default heads read their centroids). The CTC head is the
encoder's own where encoder.pt has a trained one; one rebuilt from a shipped folder has none, and the probe's own
head on the states (trained on the same speech) stands in. Every unit reader also reports its units per second
of dev speech after merging repeats (what the LM reads).

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
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from . import phonemes
from .audio import trim_silence
from .ctc_head import per, states, train_head
from .encoder_data import EncoderDataConfig, _init, mel_of, plan_jobs, render_sets
from .encoder_model import SpeechEncoder
from .encoder_stage import finished_encoder
from .heard_remap import centroids_of
from .human_speech import decode
from .plan import PLANS
from .units import kmeans, merge_repeats


def nearest(x: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    return torch.cdist(x, centroids).argmin(dim=1)


@dataclass
class Reader:
    """What a probe head reads of an utterance's hidden states."""
    units: Callable[[torch.Tensor], torch.Tensor] | None = None  # states → a unit id per frame; None: the states
    count: int = 0  # how many unit ids there are
    vectors: torch.Tensor | None = None  # the head reads vectors[id] (centroids); None: a one-hot of the id

    def features(self, h: torch.Tensor) -> torch.Tensor:
        if self.units is None:
            return h
        ids = self.units(h)
        return ids if self.vectors is None else self.vectors[ids]


def own_ctc_head(work: str, encoder: SpeechEncoder) -> torch.nn.Linear | None:
    """The encoder's CTC head, if its checkpoint was trained with one (a rebuilt one says no inventory)."""
    saved = torch.load(os.path.join(work, "encoder.pt"), weights_only=False)
    return encoder.ctc if saved.get("inventory") else None


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
    ap.add_argument("--posterior-clusters", default="", help="also k-means of these sizes (e.g. 256,512) over the CTC "
                    "head's per-frame log-posteriors, read as a one-hot")
    ap.add_argument("--argmax-units", action="store_true", help="also the CTC head's best class per frame (blank "
                    "included) as the unit, read as a one-hot")
    ap.add_argument("--one-hot-states", action="store_true", help="also read the states' k-means units as a one-hot, "
                    "as the posterior and argmax units are (a fair comparison with them)")
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
    dev_seconds: dict[str, float] = defaultdict(float)
    for u in index:
        pcm = trim_silence(decode(os.path.join(args.dev_set, u["file"])))
        dev[u["condition"]].append((states(encoder, mel_of(pcm)), [ids.get(p, -1) for p in said_phones[u["said"]]]))
        dev_seconds[u["condition"]] += pcm.size / 16000

    figures: dict[str, dict] = {}
    rates: dict[str, dict] = {}  # unit readers: merged units per second of dev speech

    def score(name: str, reader: Reader) -> torch.nn.Module:
        feats = [reader.features(h) for h in train_states]
        one_hot = reader.count if reader.vectors is None else 0  # the states reader has no units: 0 either way
        head = train_head(feats, train_targets, len(inventory), args.epochs, args.seed, one_hot)
        figures[name] = {"training": round(per(head, feats, train_targets), 4)}
        for condition, rows in dev.items():
            figures[name][condition] = round(per(head, [reader.features(h) for h, _ in rows], [t for _, t in rows]), 4)
            if reader.units is not None:
                merged = sum(len(merge_repeats(reader.units(h).numpy())[0]) for h, _ in rows)
                rates.setdefault(name, {})[condition] = round(merged / dev_seconds[condition], 1)
        print(f"{name}: done, {time.time() - started:.0f} s")
        return head

    # What each head reads: the states themselves, or the states replaced by a unit (its centroid, or a one-hot).
    states_head = score("encoder states", Reader())
    readers: dict[str, Reader] = {}
    if centroids is not None:
        readers[f"units ({centroids.shape[0]}, shipped)"] = Reader(lambda h: nearest(h, centroids), centroids.shape[0], centroids)
    gen = torch.Generator().manual_seed(args.seed)
    pooled = torch.cat(train_states)
    sample = pooled[torch.randperm(pooled.shape[0], generator=gen)[:200_000]]
    for k in [int(c) for c in args.clusters.split(",") if c.strip()]:
        cents = kmeans(sample, k, 25, gen, log=lambda _m: None)
        readers[f"k-means {k}, fitted here"] = Reader(lambda h, c=cents: nearest(h, c), k, cents)
    if args.one_hot_states:
        for name, r in list(readers.items()):
            readers[f"{name}, one-hot"] = Reader(r.units, r.count)
    # Units cut in the CTC head's space (or its argmax) might spend their ids on phonemes rather than on the voice and
    # channel variation the states also carry: these readers measure whether they keep more.
    own = own_ctc_head(args.encoder_work, encoder)
    ctc: torch.nn.Module = own if own is not None else states_head
    ctc_source = "the encoder's own" if own is not None else "refitted: the probe's linear CTC head on the states (none shipped)"

    def log_posteriors(h: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return F.log_softmax(ctc(h), dim=-1)

    posterior_sample = log_posteriors(sample)
    for k in [int(c) for c in args.posterior_clusters.split(",") if c.strip()]:
        cents = kmeans(posterior_sample, k, 25, gen, log=lambda _m: None)
        readers[f"k-means {k} of CTC log-posteriors"] = Reader(lambda h, c=cents: nearest(log_posteriors(h), c), k)
    if args.argmax_units:
        readers["CTC argmax"] = Reader(lambda h: log_posteriors(h).argmax(dim=-1), posterior_sample.shape[1])
    for name, reader in readers.items():
        score(name, reader)
    names = ["encoder states", *readers]

    print(f"| condition | utterances | {' | '.join(f'PER, {n}' for n in names)} |")
    print(f"| --- | --- |{' --- |' * len(names)}")
    for condition in ["training", *dev]:
        n = len(train_rows) if condition == "training" else len(dev[condition])
        print(f"| {condition} | {n} | {' | '.join(f'{100 * figures[r][condition]:.1f} %' for r in names)} |")
    print(f"| condition | {' | '.join(f'units/s, {n}' for n in rates)} |")
    print(f"| --- |{' --- |' * len(rates)}")
    for condition in dev:
        print(f"| {condition} | {' | '.join(f'{rates[r][condition]:.1f}' for r in rates)} |")
    report = {"encoderWork": args.encoder_work, "units": args.units, "devSet": args.dev_set, "trainUtterances": len(train_rows),
              "classes": len(inventory), "epochs": args.epochs, "seed": args.seed, "seconds": round(time.time() - started),
              "ctcHead": ctc_source, "phonemeErrorRate": figures, "mergedUnitsPerSecond": rates}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
