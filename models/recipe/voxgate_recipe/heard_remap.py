"""A finished LM made to hear a new unit extractor without learning to hear from nothing.

Both extractors give one unit per 20 ms of the same audio, so each new unit's embedding can start as the mean of
the old units' embeddings it co-occurs with, weighted by how often. The LM then reads a new unit sequence about as
it read the old one, and its skills carry over; fine-tuning only has to learn what the new units tell apart
that the old ones did not.
"""
from __future__ import annotations

import random

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from . import vocab as V
from .lm_model import LlamaLm, LmConfig


def centroids_of(units_onnx: str) -> torch.Tensor:
    """The k-means centroids an encoder unit extractor's units.onnx carries."""
    for init in onnx.load(units_onnx).graph.initializer:
        if init.name == "centroids":
            return torch.from_numpy(numpy_helper.to_array(init).astype(np.float32))
    raise SystemExit(f"{units_onnx}: no 'centroids' initializer (not an encoder + k-means unit extractor)")


def cooccurrence(old_extractor, new_extractor, wavs: list[np.ndarray], old_count: int, new_count: int) -> np.ndarray:
    """[new_count, old_count]: frames where the new extractor said j and the old one said i."""
    counts = np.zeros((new_count, old_count), dtype=np.float64)
    for wav in wavs:
        old = np.asarray(old_extractor.frame_units(wav))
        new = np.asarray(new_extractor.frame_units(wav))
        n = min(old.size, new.size)
        np.add.at(counts, (new[:n], old[:n]), 1.0)
    return counts


def remap_heard(lm: LlamaLm, heard_offset: int, counts: np.ndarray, seed: int) -> LlamaLm:
    """The same LM with its heard-unit rows (embedding and output head) rebuilt for `counts.shape[0]` new units.

    A new unit never seen beside an old one starts from the mean old heard row plus noise of their spread."""
    new_count, old_count = counts.shape
    first = V.FIRST_UNIT_ID + heard_offset
    if lm.cfg.vocab_size != first + old_count:
        raise ValueError(f"the LM has {lm.cfg.vocab_size} tokens; heard units at {first} + {old_count} would end there")
    wide = LlamaLm(LmConfig(**{**lm.cfg.to_dict(), "vocab_size": first + new_count}))
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(rng.randrange(2 ** 31))
    totals = counts.sum(axis=1, keepdims=True)
    weights = torch.from_numpy(np.where(totals > 0, counts / np.maximum(totals, 1.0), 0.0)).float()
    with torch.no_grad():
        state = lm.state_dict()
        for name, param in wide.state_dict().items():
            if name not in ("embed.weight", "head.weight"):
                param.copy_(state[name])
                continue
            rows = state[name]
            old_heard = rows[first:]
            param[:first] = rows[:first]
            mixed = weights @ old_heard
            unseen = torch.from_numpy(totals[:, 0] == 0)
            if bool(unseen.any()):
                spread = old_heard.std(dim=0)
                mixed[unseen] = old_heard.mean(dim=0) + torch.randn(int(unseen.sum()), rows.shape[1], generator=gen) * spread
            param[first:] = mixed
    return wide.eval()
