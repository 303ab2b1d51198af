"""Training and export of the unit vocoder (vocoder.onnx).

API used by the build:
    train_vocoder(examples, steps=None, seed=0, log=print, cfg=None) -> UnitVocoder
    export_vocoder_onnx(model, path) -> None
    vocoder_manifest(model, file="vocoder.onnx") -> dict   (the manifest's "vocoder" section)
    merge_repeats(frame_units) -> (units, durations)

`examples` are (wav float32 16 kHz, frame_units int64) with len(frame_units) == len(wav) // 160,
unit i describing samples [160 i, 160 (i + 1)). The model learns per-unit durations from the
true run lengths of repeated units and a log-magnitude spectrogram from the audio; Griffin-Lim
inside the graph turns magnitudes into samples.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from .finite_step import finite_step
from .units import merge_repeats
from .vocoder_model import HOP_SAMPLES, LOG_MAGNITUDE_FLOOR, SAMPLE_RATE_HZ, NetConfig, UnitVocoder
from .vocoder_griffinlim import Stft

__all__ = ["VocoderConfig", "train_vocoder", "export_vocoder_onnx", "vocoder_manifest", "merge_repeats", "UnitVocoder"]

Example = tuple[np.ndarray, np.ndarray]


@dataclass
class VocoderConfig:
    net: NetConfig = field(default_factory=NetConfig)
    steps: int = 2400  # ≈ 6 minutes on 2 cores with the default batch
    batch_size: int = 16
    segment_units: int = 40
    learning_rate: float = 2e-3
    warmup_steps: int = 100
    duration_loss_weight: float = 1.0
    convergence_loss_weight: float = 1.0

    @classmethod
    def smoke(cls) -> "VocoderConfig":
        """Seconds of training: for tests of the plumbing, not for listening."""
        return cls(steps=150, batch_size=4, segment_units=24, warmup_steps=10)


@dataclass
class _Utterance:
    units: np.ndarray  # merged unit ids [U]
    durations: np.ndarray  # frames per unit [U]
    frame_starts: np.ndarray  # first frame of each unit [U]
    log_magnitude: np.ndarray  # [frames * subframes, bins] at the Griffin-Lim hop


def _prepare(examples: Sequence[Example], net: NetConfig) -> list[_Utterance]:
    stft = Stft(net.stft)
    bins = net.stft.bins
    out: list[_Utterance] = []
    for wav, frame_units in examples:
        frames = len(frame_units)
        if frames != len(wav) // HOP_SAMPLES:
            raise ValueError(f"frame_units has {frames} units for {len(wav)} samples; expected len(wav) // {HOP_SAMPLES}")
        if frames == 0:
            continue
        signal = torch.from_numpy(np.ascontiguousarray(wav[: frames * HOP_SAMPLES], dtype=np.float32))[None]
        with torch.no_grad():
            spec = stft.analyse(signal)[0]
        magnitude = torch.sqrt(spec[:bins] ** 2 + spec[bins:] ** 2).t()
        units, durations = merge_repeats(np.asarray(frame_units, dtype=np.int64))
        starts = np.concatenate([[0], np.cumsum(durations)[:-1]]).astype(np.int64)
        out.append(_Utterance(units, durations, starts, torch.log(magnitude + LOG_MAGNITUDE_FLOOR).numpy()))
    if not out:
        raise ValueError("no non-empty examples to train the vocoder on")
    return out


def _batch(utts: list[_Utterance], cfg: VocoderConfig, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """Random runs of whole units (segment_units long), padded; pads carry duration 1 and no loss."""
    lengths = np.array([len(u.units) for u in utts], dtype=np.float64)
    picks = rng.choice(len(utts), size=cfg.batch_size, p=lengths / lengths.sum())
    sub = cfg.net.subframes
    rows = []
    for i in picks:
        u = utts[int(i)]
        start = int(rng.integers(0, max(1, len(u.units) - cfg.segment_units + 1)))
        stop = min(len(u.units), start + cfg.segment_units)
        first, last = int(u.frame_starts[start]), int(u.frame_starts[stop - 1] + u.durations[stop - 1])
        rows.append((u.units[start:stop], u.durations[start:stop], u.log_magnitude[first * sub : last * sub]))
    max_units = max(len(r[0]) for r in rows)
    max_frames = max(len(r[2]) for r in rows) // sub
    bins = cfg.net.stft.bins
    units = np.zeros((len(rows), max_units), dtype=np.int64)
    durations = np.ones((len(rows), max_units), dtype=np.int64)
    unit_mask = np.zeros((len(rows), max_units), dtype=np.float32)
    target = np.full((len(rows), max_frames * sub, bins), math.log(LOG_MAGNITUDE_FLOOR), dtype=np.float32)
    frame_mask = np.zeros((len(rows), max_frames * sub), dtype=np.float32)
    for j, (u, d, m) in enumerate(rows):
        units[j, : len(u)] = u
        durations[j, : len(d)] = d
        unit_mask[j, : len(u)] = 1
        target[j, : len(m)] = m
        frame_mask[j, : len(m)] = 1
    as_t = torch.from_numpy
    return {"units": as_t(units), "durations": as_t(durations), "unit_mask": as_t(unit_mask),
            "target": as_t(target), "frame_mask": as_t(frame_mask), "frames": torch.tensor(max_frames)}


def _losses(model: UnitVocoder, b: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    h, log_d = model.encode(b["units"])
    true_log_d = torch.log(b["durations"].float())
    duration = (((log_d - true_log_d) ** 2) * b["unit_mask"]).sum() / b["unit_mask"].sum()
    pred = model.log_magnitude(h, b["durations"], int(b["frames"]))
    mask = b["frame_mask"][..., None]
    l1 = ((pred - b["target"]).abs() * mask).sum() / (mask.sum() * pred.shape[2])
    # Spectral convergence weighs loud bins, where intelligibility lives; L1 on logs covers the rest.
    linear_pred, linear_true = torch.exp(pred) * mask, torch.exp(b["target"]) * mask
    convergence = torch.norm(linear_pred - linear_true) / torch.norm(linear_true).clamp(min=1e-6)
    return {"duration": duration, "log_l1": l1, "convergence": convergence}


def _calibrate_durations(model: UnitVocoder, utts: list[_Utterance]) -> None:
    """Picks the log-duration bias that makes rounded predictions sum to the true frame count.

    Regressing log-durations predicts a geometric mean, so rounding its exponent runs short.
    """
    with torch.no_grad():
        preds = [model.encode(torch.from_numpy(u.units)[None])[1][0] for u in utts[:400]]
    true_total = float(sum(int(u.durations.sum()) for u in utts[:400]))
    lo, hi = -1.0, 1.0
    for _ in range(30):
        mid = (lo + hi) / 2
        model.log_duration_bias.fill_(mid)
        total = sum(float(model.round_durations(p).sum()) for p in preds)
        lo, hi = (mid, hi) if total < true_total else (lo, mid)
    model.log_duration_bias.fill_((lo + hi) / 2)


def train_vocoder(
    examples: Sequence[Example],
    steps: int | None = None,
    seed: int = 0,
    log: Callable[[str], None] = print,
    cfg: VocoderConfig | None = None,
) -> UnitVocoder:
    """Trains durations and magnitudes jointly (durations teacher-forced) and returns the model in eval mode."""
    cfg = cfg or VocoderConfig()
    if steps is not None:
        cfg = replace(cfg, steps=steps)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    utts = _prepare(examples, cfg.net)
    model = UnitVocoder(cfg.net)
    params = [p for n, p in model.named_parameters() if not n.startswith("griffin_lim.")]
    opt = torch.optim.Adam(params, lr=cfg.learning_rate)
    schedule = lambda s: min(1.0, (s + 1) / cfg.warmup_steps) * 0.5 * (1 + math.cos(math.pi * s / cfg.steps))  # noqa: E731
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    frames = sum(int(u.durations.sum()) for u in utts)
    log(f"vocoder: {len(utts)} utterances, {frames / 100:.0f} s, "
        f"{sum(p.numel() for p in params) / 1e3:.0f}k parameters, {cfg.steps} steps")
    model.train()
    started = time.time()
    for step in range(cfg.steps):
        parts = _losses(model, _batch(utts, cfg, rng))
        loss = parts["log_l1"] + cfg.duration_loss_weight * parts["duration"] + cfg.convergence_loss_weight * parts["convergence"]
        finite_step(loss, params, opt)
        sched.step()
        if step % 100 == 0 or step == cfg.steps - 1:
            shown = " ".join(f"{k} {v.item():.3f}" for k, v in parts.items())
            log(f"vocoder step {step}: {shown} ({time.time() - started:.0f} s)")
    model.eval()
    _calibrate_durations(model, utts)
    log(f"vocoder: log-duration bias {model.log_duration_bias.item():+.3f}")
    return model


def export_vocoder_onnx(model: UnitVocoder, path: str) -> None:
    """Writes vocoder.onnx: `units` int64 [1, U] → `audio` float32 [1, S], `durations` int64 [1, U], S = sum(durations) * 160."""
    model.eval()
    dummy = torch.zeros((1, 12), dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(
            model, (dummy,), path, input_names=["units"], output_names=["audio", "durations"],
            dynamic_axes={"units": {1: "units"}, "audio": {1: "samples"}, "durations": {1: "units"}},
            opset_version=13,
        )


def vocoder_manifest(model, file: str = "vocoder.onnx") -> dict:
    """The manifest's `vocoder` section for this model, chunking included.

    leftContextUnits covers the model's look-back (a phase head's included: a unit lasts at least
    one frame) plus the held-back lookahead units that the gateway re-sends as context;
    lookaheadUnits tells the gateway how many to hold back. `model` is a UnitVocoder or a SpectralVocoder.
    """
    net = model.cfg
    phase = getattr(model, "phase_cfg", None)  # a phase head (vocoder_phase.py) looks further back
    extra = phase.context_frames if phase is not None else 0
    return {
        "file": file, "sampleRateHz": SAMPLE_RATE_HZ, "hopSamples": HOP_SAMPLES, "durationPrediction": True,
        "firstChunkUnits": 10, "chunkUnits": 40,
        "leftContextUnits": max(8, net.context_units + net.lookahead_units + extra),
        "lookaheadUnits": net.lookahead_units,
    }
