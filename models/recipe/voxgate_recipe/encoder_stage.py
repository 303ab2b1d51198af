"""The build's encoder stage: render its data, train with CTC (checkpointed), report phoneme error rates."""
from __future__ import annotations

import dataclasses
import json
import os

import torch

from . import dataset, phonemes
from .encoder_data import SMOKE, TRAIN_PAD_SAMPLES, EncoderDataConfig, plan_human_jobs, plan_jobs, render_sets
from .encoder_model import MEL_HOP_SAMPLES, EncoderConfig, SpeechEncoder
from .train_encoder import fit_normalisation, phoneme_error_rate, train_encoder


def data_config(smoke: bool, train_utterances: int | None = None, fresh_round: int = 0,
                human_copies: int | None = None, festival_share: float | None = None) -> EncoderDataConfig:
    """What encoder_data renders. `fresh_round` K > 0: other texts, voices and channels than the first training's
    and the K-1 continued trainings' before (a continued training sees new renders, not ones it already fitted);
    the dev sets' texts and held-out voices stay held out either way."""
    cfg = SMOKE if smoke else EncoderDataConfig()
    if train_utterances:
        cfg = dataclasses.replace(cfg, train_utterances=train_utterances)
    if fresh_round:
        cfg = dataclasses.replace(cfg, seed=cfg.seed + fresh_round)
    if human_copies:
        cfg = dataclasses.replace(cfg, human_copies=human_copies)
    if festival_share:
        cfg = dataclasses.replace(cfg, festival_share=festival_share)
    return cfg


def encoder_data(work: str, smoke: bool, data_cfg: dataset.DataConfig, human_root: str | None, log,
                 train_utterances: int | None = None, fresh_round: int = 0, human_copies: int | None = None,
                 festival_share: float | None = None) -> dict:
    """Rendered once into work/encoder-data.pt; real speech is added to an earlier render when it appears."""
    cfg = data_config(smoke, train_utterances, fresh_round, human_copies, festival_share)
    path = os.path.join(work, "encoder-data.pt")
    if os.path.exists(path):
        log(f"reusing {path}")
        sets = torch.load(path, weights_only=False)
    else:
        sets = render_sets(plan_jobs(cfg, data_cfg, None), log)
        torch.save(sets, path)
    if human_root and "dev-human" not in sets:
        sets.update(render_sets(plan_human_jobs(cfg, human_root), log))
        torch.save(sets, path)
    return sets


def finished_encoder(work: str) -> tuple[SpeechEncoder, dict] | None:
    """The encoder a finished run left in work/encoder.pt, without loading its (large) data."""
    ckpt = os.path.join(work, "encoder.pt")
    if not os.path.exists(ckpt):
        return None
    saved = torch.load(ckpt, weights_only=False)
    if not saved.get("report"):
        return None
    model = SpeechEncoder(EncoderConfig(**saved["config"]))
    model.load_state_dict(saved["model"])
    report = saved["report"]
    report_path = os.path.join(work, "encoder-report.json")
    if os.path.exists(report_path):  # the full report: figures measured after the checkpoint was written
        with open(report_path) as f:
            report = json.load(f)
    return model.eval(), report


def build_encoder(work: str, settings: dict, sets: dict, log, resume: bool = True,
                  start_from: str | None = None, batch_seed_offset: int = 0) -> tuple[SpeechEncoder, dict]:
    """Trains (or finishes training) the encoder; work/encoder.pt holds the last checkpoint.

    `start_from`: an encoder.pt with a trained CTC head (a finished build's, or one `ctc_head` fitted) whose
    weights, normalisation and classes this training continues from, every weight learning, for the settings'
    steps on a fresh schedule; the report then also gives its phoneme error rates before. `batch_seed_offset`:
    a later continuation's batches and augmentation drawn apart from an earlier one's."""
    train_rows = sets["train"] + sets.get("train-human", [])
    start_model = None
    if start_from:
        base = torch.load(start_from, weights_only=False)
        if not base.get("inventory"):
            raise SystemExit(f"--encoder-continue {start_from}: no CTC head (fit one first: build.py --phoneme-units)")
        inventory = base["inventory"]
        cfg = EncoderConfig(**base["config"])
        start_model = SpeechEncoder(cfg)
        start_model.load_state_dict(base["model"])
    else:
        # From the synthetic texts alone, so adding real speech later keeps the classes (and a checkpoint) valid;
        # a rare phoneme only real speech has is left out of its targets.
        inventory = phonemes.inventory([r["phones"] for r in sets["train"]])
        cfg = EncoderConfig(phonemes=len(inventory), **settings.get("model", {}))
    model = SpeechEncoder(cfg)
    ckpt = os.path.join(work, "encoder.pt")
    start, opt_state = 0, None
    if resume and os.path.exists(ckpt):
        saved = torch.load(ckpt, weights_only=False)
        if saved["inventory"] == inventory and saved["config"] == cfg.to_dict():
            model.load_state_dict(saved["model"])
            start, opt_state = saved["step"], saved["optimizer"] or None
            log(f"encoder: resuming at step {start}")
    if start == 0 and start_model is not None:
        model.load_state_dict(start_model.state_dict())  # its normalisation included: the units' input stays put
    elif start == 0:
        fit_normalisation(model, train_rows, TRAIN_PAD_SAMPLES // MEL_HOP_SAMPLES)
    log(f"encoder: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters, {len(inventory)} classes, "
        f"left context {cfg.left_context_samples()} samples")

    def save(step: int, opt: dict, report: dict | None = None) -> None:
        torch.save({"model": model.state_dict(), "step": step, "optimizer": opt, "config": cfg.to_dict(),
                    "inventory": inventory, "report": report}, ckpt)

    # From trained weights the plan's peak rate would first undo part of what they hold: half of it.
    lr = settings["lr"] * (0.5 if start_model is not None else 1.0)
    report = train_encoder(model, train_rows, inventory, steps=settings["steps"], lr=lr,
                           frames_per_batch=settings["frames_per_batch"], seed=7 + batch_seed_offset, log=log, checkpoint=save,
                           start_step=start, optimizer_state=opt_state, max_seconds=settings.get("max_seconds"))
    report["phonemeErrorRate"] = {name: round(phoneme_error_rate(model, rows, inventory), 4)
                                  for name, rows in sets.items() if name.startswith("dev")}
    if start_model is not None:
        report["continuedFrom"] = start_from
        report["phonemeErrorRateBefore"] = {name: round(phoneme_error_rate(start_model.eval(), rows, inventory), 4)
                                            for name, rows in sets.items() if name.startswith("dev")}
        log(f"encoder phoneme error rate before this training: {report['phonemeErrorRateBefore']}")
    report["config"] = cfg.to_dict()
    report["parameters"] = sum(p.numel() for p in model.parameters())
    report["hours"] = {name: round(sum(r["seconds"] for r in rows) / 3600, 3) for name, rows in sets.items()}
    log(f"encoder phoneme error rate: {report['phonemeErrorRate']}")
    with open(os.path.join(work, "encoder-report.json"), "w") as f:
        json.dump(report, f, indent=2)
    save(report["steps"], {}, report)
    return model.eval(), report
