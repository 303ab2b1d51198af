"""Training of the vocoder's phase head on a trained (frozen) magnitude network.

The magnitudes are computed once per utterance with the true durations (teacher-forced, as the
magnitude network was trained), so a step costs only the head, one overlap-add and the losses:
- multi-resolution STFT loss against the real audio (log-magnitude L1 + spectral convergence at
  three window sizes), which judges what a listener hears and does not grade the vocoder's own framing;
- consistency: the synthesised audio analysed with the vocoder's own STFT should have the
  magnitudes the network asked for (what Griffin-Lim iterates towards).
Each example carries `context_frames` of left context so its first subframes see what they
would see inside an utterance; the loss skips that context and the last window's worth of samples.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from .finite_step import finite_step
from .units import merge_repeats
from .vocoder_model import HOP_SAMPLES
from .vocoder_phase import SpectralVocoder

Example = tuple[np.ndarray, np.ndarray]


@dataclass
class PhaseTrainConfig:
    steps: int = 3000
    batch_size: int = 12
    segment_frames: int = 64  # 0.64 s scored per example
    context_frames: int = 8
    learning_rate: float = 1e-3
    warmup_steps: int = 100
    consistency_weight: float = 1.0
    max_seconds: float | None = None  # stop early (cosine schedule follows the time) on a fitted CPU plan
    resolutions: tuple[tuple[int, int], ...] = ((256, 64), (512, 128), (1024, 256))

    @classmethod
    def smoke(cls) -> "PhaseTrainConfig":
        return cls(steps=30, batch_size=2, segment_frames=32, warmup_steps=5)


@dataclass
class _Prepared:
    log_mag: torch.Tensor  # [S, B] predicted with true durations
    features: torch.Tensor  # [S, C]
    wav: torch.Tensor  # [frames * 160]


def prepare(model: SpectralVocoder, examples: Sequence[Example], min_frames: int) -> list[_Prepared]:
    out: list[_Prepared] = []
    with torch.no_grad():
        for wav, frame_units in examples:
            frames = len(frame_units)
            if frames < min_frames:
                continue
            units, durations = merge_repeats(np.asarray(frame_units, dtype=np.int64))
            log_mag, features = model.frame_outputs(torch.from_numpy(units)[None], torch.from_numpy(durations)[None], frames)
            out.append(_Prepared(log_mag[0], features[0], torch.from_numpy(np.ascontiguousarray(wav[: frames * HOP_SAMPLES], dtype=np.float32))))
    if not out:
        raise ValueError(f"no example is {min_frames} frames long")
    return out


def _batch(utts: list[_Prepared], cfg: PhaseTrainConfig, sub: int, rng: np.random.Generator):
    lengths = np.array([len(u.wav) for u in utts], dtype=np.float64)
    picks = rng.choice(len(utts), size=cfg.batch_size, p=lengths / lengths.sum())
    span = cfg.context_frames + cfg.segment_frames
    mags, feats, wavs = [], [], []
    for i in picks:
        u = utts[int(i)]
        frames = len(u.wav) // HOP_SAMPLES
        # Utterance starts count too: there the context is the silence the gateway also starts from.
        start = int(rng.integers(-cfg.context_frames, frames - span + 1))
        lo, hi = max(0, start), start + span
        pad = lo - start
        mag = u.log_mag[lo * sub: hi * sub]
        feat = u.features[lo * sub: hi * sub]
        wav = u.wav[lo * HOP_SAMPLES: hi * HOP_SAMPLES]
        if pad:
            # Before the first unit the magnitude network never ran: the floor (silence) and zero features.
            mag = torch.cat([torch.full((pad * sub, mag.shape[1]), float(u.log_mag.min())), mag])
            feat = torch.cat([torch.zeros(pad * sub, feat.shape[1]), feat])
            wav = torch.cat([torch.zeros(pad * HOP_SAMPLES), wav])
        mags.append(mag)
        feats.append(feat)
        wavs.append(wav)
    return torch.stack(mags), torch.stack(feats), torch.stack(wavs)


def _stft_magnitude(signal: torch.Tensor, fft: int, hop: int) -> torch.Tensor:
    window = torch.hann_window(fft)
    spec = torch.stft(signal, fft, hop, window=window, center=False, return_complex=True)
    return spec.abs()


def losses(model: SpectralVocoder, mag: torch.Tensor, feat: torch.Tensor, wav: torch.Tensor,
           cfg: PhaseTrainConfig) -> dict[str, torch.Tensor]:
    spectrum = model.spectrum(mag, feat)
    audio = model.synthesise(spectrum)
    first = cfg.context_frames * HOP_SAMPLES
    last = audio.shape[1] - model.cfg.stft.fft_samples // 2
    pred, ref = audio[:, first:last], wav[:, first:last]
    parts: dict[str, torch.Tensor] = {}
    sc, log_l1 = [], []
    for fft, hop in cfg.resolutions:
        p, r = _stft_magnitude(pred, fft, hop), _stft_magnitude(ref, fft, hop)
        sc.append(torch.norm(p - r) / torch.norm(r).clamp(min=1e-6))
        log_l1.append((torch.log(p + 1e-4) - torch.log(r + 1e-4)).abs().mean())
    parts["stft_sc"] = torch.stack(sc).mean()
    parts["stft_log_l1"] = torch.stack(log_l1).mean()
    # Consistency inside the scored span, on the vocoder's own analysis.
    bins = model.cfg.stft.bins
    heard = model.stft.analyse(audio)
    heard_mag = torch.sqrt(heard[:, :bins] ** 2 + heard[:, bins:] ** 2 + 1e-10)
    asked = torch.exp(mag).transpose(1, 2)
    sub_first = cfg.context_frames * model.cfg.subframes
    sub_last = heard_mag.shape[2] - model.cfg.stft.fft_samples // model.cfg.stft.hop_samples
    h, a = heard_mag[:, :, sub_first:sub_last], asked[:, :, sub_first:sub_last]
    parts["consistency"] = torch.norm(h - a) / torch.norm(a).clamp(min=1e-6)
    return parts


def train_phase_head(model: SpectralVocoder, examples: Sequence[Example], cfg: PhaseTrainConfig | None = None,
                     seed: int = 0, log: Callable[[str], None] = print) -> SpectralVocoder:
    cfg = cfg or PhaseTrainConfig()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    for p in model.magnitudes.parameters():
        p.requires_grad_(False)
    model.magnitudes.eval()
    utts = prepare(model, examples, cfg.segment_frames + 1)
    params = list(model.head.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=1e-4)
    started = time.time()

    def progress(step: int) -> float:
        by_steps = step / cfg.steps
        by_time = (time.time() - started) / cfg.max_seconds if cfg.max_seconds else 0.0
        return min(1.0, max(by_steps, by_time))

    log(f"phase head: {len(utts)} utterances, {sum(len(u.wav) for u in utts) / 16000:.0f} s, "
        f"{sum(p.numel() for p in params) / 1e3:.0f}k parameters, up to {cfg.steps} steps")
    sub = model.cfg.subframes
    step = 0
    while step < cfg.steps and progress(step) < 1.0:
        lr_scale = min(1.0, (step + 1) / cfg.warmup_steps) * 0.5 * (1 + math.cos(math.pi * progress(step)))
        for group in opt.param_groups:
            group["lr"] = cfg.learning_rate * lr_scale
        parts = losses(model, *_batch(utts, cfg, sub, rng), cfg)
        loss = parts["stft_sc"] + parts["stft_log_l1"] + cfg.consistency_weight * parts["consistency"]
        finite_step(loss, params, opt)
        if step % 100 == 0:
            shown = " ".join(f"{k} {v.item():.3f}" for k, v in parts.items())
            log(f"phase step {step}: {shown} ({time.time() - started:.0f} s)")
        step += 1
    log(f"phase head: {step} steps in {time.time() - started:.0f} s")
    model.eval()
    return model
