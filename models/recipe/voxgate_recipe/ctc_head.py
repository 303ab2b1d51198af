"""A linear CTC phoneme head on a frozen speech encoder's states: fitted, and scored by phoneme error rate.

Two users. The phoneme units (`--phoneme-units`: a unit is the head's best class per 20 ms, blank included) need
an encoder with a trained head, and one rebuilt from a shipped folder's speech.onnx has none (the LLaSM folder
ships the encoder, not its head): `fit_encoder_head` fits one and saves it into the work folder's encoder.pt.
And the encoder probe (encoder_probe.py) fits the same kind of head on whatever a unit scheme keeps of the states.
"""
from __future__ import annotations

import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import phonemes
from .encoder_data import EncoderDataConfig, plan_jobs, render_sets
from .encoder_model import SpeechEncoder
from .evaluate import edit_distance
from .train_encoder import greedy, normalised


def states(encoder: SpeechEncoder, mel: np.ndarray) -> torch.Tensor:
    """[frames / 2, dim]: the hidden states of one utterance's log-mel (as the recipe renders it)."""
    with torch.no_grad():
        x = normalised(encoder, torch.from_numpy(mel.astype(np.float32)).unsqueeze(0))
        return encoder.hidden(x)[0]


def train_head(feats: list[torch.Tensor], targets: list[list[int]], classes: int, epochs: int, seed: int,
               units: int = 0) -> torch.nn.Module:
    """A linear CTC head on `feats` (vectors per frame), or on unit ids (`units` of them) read as a one-hot."""
    torch.manual_seed(seed)
    if units:  # unit ids: a linear head on their one-hot is a lookup table, started at no preference
        head: torch.nn.Module = torch.nn.Embedding(units, classes)
        torch.nn.init.zeros_(head.weight)
    else:
        head = torch.nn.Linear(feats[0].shape[1], classes)
    # A lookup row moves only by its own step, where a linear head's logits move by a step per input dimension:
    # ten times the rate lets a lookup learn within the same epochs (a 1-epoch check learnt nothing at 3e-3).
    opt = torch.optim.Adam(head.parameters(), lr=3e-2 if units else 3e-3)
    order = list(range(len(feats)))
    rng = random.Random(seed)
    batch = 32
    for _ in range(epochs):
        rng.shuffle(order)
        for k in range(0, len(order), batch):
            idx = order[k : k + batch]
            longest = max(feats[i].shape[0] for i in idx)
            x = torch.zeros(len(idx), longest, dtype=torch.long) if units else torch.zeros(len(idx), longest, feats[0].shape[1])
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


def per(head: torch.nn.Module, feats: list[torch.Tensor], targets: list[list[int]]) -> float:
    errors = total = 0
    with torch.no_grad():
        for h, ref in zip(feats, targets):
            errors += edit_distance(ref, greedy(head(h)))
            total += len(ref)
    return errors / max(1, total)


def head_classes(data_cfg, *, train_utterances: int = 3000, seed: int = 11) -> list[str]:
    """The classes fit_encoder_head gives a head (blank first, then the phonemes of its synthetic training texts,
    sorted): known from the plan's texts alone, without rendering, so a head read back from a units.onnx (which
    keeps no names) gets its classes back (encoder_from_onnx --units)."""
    cfg = EncoderDataConfig(train_utterances=train_utterances, dev_per_condition=0, seed=seed)
    texts = sorted({j["text"] for j in plan_jobs(cfg, data_cfg, None)["train"]})
    return phonemes.inventory(phonemes.phonemize(texts))


def fit_encoder_head(encoder: SpeechEncoder, data_cfg, human_root: str | None, log, *, train_utterances: int = 3000,
                     epochs: int = 12, seed: int = 11) -> tuple[SpeechEncoder, list[str], dict]:
    """The encoder with a fitted CTC head (its other weights untouched), the head's classes, and a report.

    Trained on the encoder data's voices and channels (the plan's training texts only) and, with `human_root`, the
    training speakers' real clips; classes from the synthetic texts alone, as the encoder stage takes them."""
    started = time.time()
    cfg = EncoderDataConfig(train_utterances=train_utterances, dev_per_condition=0, seed=seed)
    jobs = plan_jobs(cfg, data_cfg, human_root)
    sets = render_sets({k: v for k, v in jobs.items() if k in ("train", "train-human")}, log)
    rows = sets["train"] + sets.get("train-human", [])
    inventory = head_classes(data_cfg, train_utterances=train_utterances, seed=seed)
    ids = {p: i for i, p in enumerate(inventory)}
    targets = [[ids[p] for p in r["phones"] if p in ids] for r in rows]
    feats = [states(encoder, r["mel"]) for r in rows]
    head = train_head(feats, targets, len(inventory), epochs, seed)
    assert isinstance(head, torch.nn.Linear)
    encoder.cfg.phonemes = len(inventory)
    encoder.ctc = head
    report = {"utterances": len(rows), "realUtterances": len(sets.get("train-human", [])), "classes": len(inventory),
              "epochs": epochs, "trainingPer": round(per(head, feats, targets), 4), "seconds": round(time.time() - started)}
    log(f"CTC head fitted on the frozen encoder: {report}")
    return encoder.eval(), inventory, report


def ensure_head(work: str, encoder: SpeechEncoder, data_cfg, human_root: str | None, log) -> SpeechEncoder:
    """The work folder's encoder with a trained CTC head: as trained, or fitted here once and saved into encoder.pt
    (an encoder rebuilt from speech.onnx records no classes: its head was never kept)."""
    path = os.path.join(work, "encoder.pt")
    saved = torch.load(path, weights_only=False)
    if saved.get("inventory"):
        return encoder
    encoder, inventory, report = fit_encoder_head(encoder, data_cfg, human_root, log)
    torch.save({**saved, "model": encoder.state_dict(), "config": encoder.cfg.to_dict(), "inventory": inventory,
                "report": {**saved["report"], "ctcHeadFitted": report}}, path)
    return encoder
