"""Training from a shipped model: its LM and its spoken units stay, the speech encoder's units are heard.

A model this size cannot be trained from nothing on two CPU cores (the chain-of-modality stages need
tens of millions of tokens), but a shipped model already writes text, answers and speaks its answer
units. So the heard side changes alone: the encoder's k-means units (speaker-invariant) become new LM
tokens after the shipped model's own units, and the answers keep the shipped units, which its
vocoder was trained to speak in the answer voice. Fine-tuning then teaches the LM the new tokens.
"""
from __future__ import annotations

import os
import time
from multiprocessing import Pool

import numpy as np
import onnx
import onnx.numpy_helper
import torch

from . import dataset
from . import vocab as V
from .lm_model import LlamaLm, LmConfig
from .units import UnitConfig, UnitExtractor, merge_repeats


def spoken_extractor(model_dir: str) -> UnitExtractor:
    """The shipped log-mel k-means extractor, from the constants in its units.onnx."""
    graph = onnx.load(os.path.join(model_dir, "units.onnx")).graph
    weights = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in graph.initializer}
    clusters = int(weights["centroids"].shape[0])
    ex = UnitExtractor(UnitConfig(clusters=clusters))
    state = ex.state()
    for name in ("mean", "inv_std", "centroids", "features.dft", "features.mel"):
        if weights[name].shape != state[name].shape:
            raise ValueError(f"{model_dir}/units.onnx: {name} has shape {tuple(weights[name].shape)}")
        state[name] = weights[name]
    ex.load_state(state)
    return ex


def widen_units(model: LlamaLm, extra: int, seed: int) -> LlamaLm:
    """The same LM with `extra` unit tokens appended; their embeddings drawn like the existing units'."""
    old = model.cfg
    wide = LlamaLm(LmConfig(**{**old.to_dict(), "vocab_size": old.vocab_size + extra}))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        state = model.state_dict()
        for name, param in wide.state_dict().items():
            if name in ("embed.weight", "head.weight"):
                rows = state[name]
                scale = rows[-extra:].std()
                param[: rows.shape[0]] = rows
                param[rows.shape[0]:] = torch.randn(extra, rows.shape[1], generator=gen) * scale
            else:
                param.copy_(state[name])
    return wide.eval()


def widen_text(model: LlamaLm, pieces: list[str]) -> LlamaLm:
    """The same LM with word-piece tokens appended (text_pieces.py): each piece's embedding and output rows start
    as the mean of its characters' rows, so a piece starts out read much as its spelling was."""
    return _with_mean_rows(model, model.cfg.vocab_size, [[V.char_token(c) for c in piece] for piece in pieces])


def widen_spoken(model: LlamaLm, at: int, pieces: list[list[int]]) -> LlamaLm:
    """The same LM with answer-unit pieces (spoken_pieces.py) inserted as tokens at id `at` (after the units, before
    any word pieces): each piece's embedding and output rows start as the mean of its units' rows."""
    return _with_mean_rows(model, at, [[V.unit_token(u) for u in units] for units in pieces])


def _with_mean_rows(model: LlamaLm, at: int, sources: list[list[int]]) -> LlamaLm:
    """The LM with one new token per entry of `sources` inserted at id `at` (the tokens from `at` on move up), its
    embedding and output rows the mean of those tokens' rows."""
    old = model.cfg
    wide = LlamaLm(LmConfig(**{**old.to_dict(), "vocab_size": old.vocab_size + len(sources)}))
    with torch.no_grad():
        state = model.state_dict()
        for name, param in wide.state_dict().items():
            if name in ("embed.weight", "head.weight"):
                rows = state[name]
                param[:at] = rows[:at]
                for k, ids in enumerate(sources):
                    param[at + k] = rows[ids].mean(dim=0)
                param[at + len(sources):] = rows[at:]
            else:
                param.copy_(state[name])
    return wide.eval()


def with_spoken_answers(data: dict, spoken: UnitExtractor, log=print) -> dict:
    """data.pt (heard units from the encoder) → the same items with answers in the spoken units.

    Unit index layout: spoken units 0..S-1, heard units S..S+H-1 (`heard_offset` = S).
    """
    spoken_count = spoken.cfg.clusters
    heard = [[u + spoken_count for u in seq] for seq in data["units"]]
    answer_jobs = sorted({i["a_units"] for i in data["items"]})
    texts = {}
    for i in data["items"]:
        texts[i["a_units"]] = i["answer"]
    voice = tuple(dataset.ANSWER_SYNTH.__dict__.values())
    jobs = [(texts[j], voice, None, False) for j in answer_jobs]
    t0 = time.time()
    answers = []
    with Pool(2, initializer=dataset._init_worker, initargs=(spoken.state(), spoken.cfg)) as pool:
        for frames, _, _ in pool.imap(dataset._render_units, jobs, chunksize=16):
            answers.append(merge_repeats(frames)[0].tolist())
    log(f"spoken units of {len(jobs)} answers in {time.time() - t0:.0f}s, "
        f"{np.mean([len(a) for a in answers]):.1f} merged units each")
    index = {j: len(heard) + k for k, j in enumerate(answer_jobs)}
    items = [{**i, "a_units": index[i["a_units"]]} for i in data["items"]]
    return {**data, "items": items, "units": heard + answers, "unit_count": spoken_count + data["unit_count"],
            "heard_offset": spoken_count, "spoken_unit_count": spoken_count}


class HeardUnits:
    """A heard-unit extractor whose units are numbered after the spoken ones, as the LM's tokens are."""

    def __init__(self, extractor, offset: int) -> None:
        self.extractor = extractor
        self.offset = offset

    def frame_units(self, wav: np.ndarray) -> np.ndarray:
        return self.extractor.frame_units(wav) + self.offset
