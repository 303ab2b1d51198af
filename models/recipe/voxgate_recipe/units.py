"""The unit extractor: log-mel features, fixed normalisation, causal frame stacking, k-means.

HuBERT's first iteration clusters MFCC-like features with k-means; here the features are
log-mel frames stacked with their two predecessors (causal, so streaming needs only left
context). Normalisation statistics are fixed at training time, so a sliding window gives
exactly the units of the whole utterance (the gateway relies on that).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

SAMPLE_RATE_HZ = 16000
HOP_SAMPLES = 160  # 10 ms frames
WINDOW_SAMPLES = 400  # 25 ms analysis window
STACK_FRAMES = 3  # frame t plus frames t-1 and t-2
# Samples before the first new hop that one unit depends on: the two stacked earlier hops
# plus the part of the analysis window that reaches back before its own hop.
LEFT_CONTEXT_SAMPLES = (STACK_FRAMES - 1) * HOP_SAMPLES + (WINDOW_SAMPLES - HOP_SAMPLES)


@dataclass
class UnitConfig:
    mel_bands: int = 40
    clusters: int = 128
    kmeans_iterations: int = 25
    kmeans_frames: int = 200_000
    seed: int = 0
    # With a speech encoder: units are its CTC head's phoneme classes (clusters unused), not k-means of its states.
    phonemes: bool = False


def mel_filterbank(bands: int, n_fft: int, sample_rate_hz: int) -> np.ndarray:
    """Triangular filters on the HTK mel scale, shape [bands, n_fft // 2 + 1]."""
    def hz_to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def mel_to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    bins = n_fft // 2 + 1
    fft_hz = np.linspace(0.0, sample_rate_hz / 2.0, bins)
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(np.array(40.0)), hz_to_mel(np.array(7600.0)), bands + 2))
    fb = np.zeros((bands, bins), dtype=np.float32)
    for b in range(bands):
        lo, mid, hi = edges_hz[b], edges_hz[b + 1], edges_hz[b + 2]
        rise = (fft_hz - lo) / (mid - lo)
        fall = (hi - fft_hz) / (hi - mid)
        fb[b] = np.maximum(0.0, np.minimum(rise, fall))
    return fb


class LogMel(nn.Module):
    """Framed power spectrum as a conv1d with fixed DFT weights (exports to ONNX), then log-mel."""

    def __init__(self, mel_bands: int) -> None:
        super().__init__()
        n_fft = WINDOW_SAMPLES
        bins = n_fft // 2 + 1
        window = np.hanning(n_fft + 1)[:-1]
        k = np.arange(bins)[:, None]
        n = np.arange(n_fft)[None, :]
        real = np.cos(2 * math.pi * k * n / n_fft) * window
        imag = -np.sin(2 * math.pi * k * n / n_fft) * window
        dft = np.concatenate([real, imag], axis=0).astype(np.float32)[:, None, :]
        self.register_buffer("dft", torch.from_numpy(dft))
        self.register_buffer("mel", torch.from_numpy(mel_filterbank(mel_bands, n_fft, SAMPLE_RATE_HZ)))
        self.bins = bins

    def forward(self, pcm: torch.Tensor) -> torch.Tensor:
        """pcm [1, N] → log-mel [frames, bands], frames = (N - window) // hop + 1."""
        spec = torch.nn.functional.conv1d(pcm.unsqueeze(1), self.dft, stride=HOP_SAMPLES)  # [1, 2*bins, F]
        power = spec[:, : self.bins] ** 2 + spec[:, self.bins :] ** 2
        mel = torch.matmul(self.mel, power[0])  # [bands, F]
        return torch.log(mel + 1e-6).transpose(0, 1)


class UnitModel(nn.Module):
    """PCM → unit ids, one per hop after the left context. This is what units.onnx contains."""

    def __init__(self, cfg: UnitConfig) -> None:
        super().__init__()
        self.features = LogMel(cfg.mel_bands)
        dim = cfg.mel_bands * STACK_FRAMES
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("inv_std", torch.ones(dim))
        self.register_buffer("centroids", torch.zeros(cfg.clusters, dim))

    def stacked(self, pcm: torch.Tensor) -> torch.Tensor:
        mel = self.features(pcm)  # [F, bands]
        frames = mel.shape[0] - (STACK_FRAMES - 1)
        parts = [mel[i : i + frames] for i in range(STACK_FRAMES)]
        return torch.cat(parts, dim=1)  # row j holds frames j, j+1, j+2: unit j ends with frame j+2

    def normalised(self, pcm: torch.Tensor) -> torch.Tensor:
        return (self.stacked(pcm) - self.mean) * self.inv_std

    def forward(self, pcm: torch.Tensor) -> torch.Tensor:
        x = self.normalised(pcm)
        # Squared distance without the |x|^2 term, which does not change the argmin.
        scores = torch.matmul(x, self.centroids.t()) * -2.0 + (self.centroids ** 2).sum(dim=1)
        return torch.argmin(scores, dim=1).unsqueeze(0)


class UnitExtractor:
    """Trains the extractor on speech and turns whole utterances into per-frame units."""

    def __init__(self, cfg: UnitConfig | None = None) -> None:
        self.cfg = cfg or UnitConfig()
        self.model = UnitModel(self.cfg).eval()

    @staticmethod
    def pad(wav: np.ndarray) -> torch.Tensor:
        """Zeros before the utterance stand in for the left context of its first hop."""
        padded = np.concatenate([np.zeros(LEFT_CONTEXT_SAMPLES, dtype=np.float32), wav.astype(np.float32)])
        return torch.from_numpy(padded).unsqueeze(0)

    def fit(self, wavs: list[np.ndarray], log=print) -> None:
        gen = torch.Generator().manual_seed(self.cfg.seed)
        with torch.no_grad():
            feats = torch.cat([self.model.stacked(self.pad(w)) for w in wavs], dim=0)
            self.model.mean.copy_(feats.mean(dim=0))
            self.model.inv_std.copy_(1.0 / (feats.std(dim=0) + 1e-3))
            x = (feats - self.model.mean) * self.model.inv_std
            if x.shape[0] > self.cfg.kmeans_frames:
                x = x[torch.randperm(x.shape[0], generator=gen)[: self.cfg.kmeans_frames]]
            self.model.centroids.copy_(kmeans(x, self.cfg.clusters, self.cfg.kmeans_iterations, gen, log))

    def frame_units(self, wav: np.ndarray) -> np.ndarray:
        """One unit per 10 ms hop: len(wav) // 160 units, unit i describing samples [160 i, 160 (i+1))."""
        with torch.no_grad():
            return self.model(self.pad(wav))[0].numpy().astype(np.int64)

    def vocoder_frames(self, wav: np.ndarray) -> np.ndarray:
        """Units at the vocoder's 10 ms hop: the same as frame_units here."""
        return self.frame_units(wav)

    def export_onnx(self, path: str) -> None:
        dummy = self.pad(np.zeros(HOP_SAMPLES * 50, dtype=np.float32))
        torch.onnx.export(
            self.model, (dummy,), path, input_names=["pcm"], output_names=["units"],
            dynamic_axes={"pcm": {1: "samples"}, "units": {1: "frames"}}, opset_version=13,
        )

    def state(self) -> dict:
        return {k: v.clone() for k, v in self.model.state_dict().items()}

    def load_state(self, state: dict) -> None:
        self.model.load_state_dict(state)


def kmeans(x: torch.Tensor, k: int, iterations: int, gen: torch.Generator, log=print) -> torch.Tensor:
    """k-means++ seeding then Lloyd iterations; empty clusters are re-seeded from far points."""
    n = x.shape[0]
    centroids = x[torch.randint(n, (1,), generator=gen)]
    nearest = ((x - centroids[0]) ** 2).sum(dim=1)
    for _ in range(1, k):
        pick = torch.multinomial(nearest / nearest.sum(), 1, generator=gen)
        centroids = torch.cat([centroids, x[pick]], dim=0)
        nearest = torch.minimum(nearest, ((x - x[pick]) ** 2).sum(dim=1))
    for it in range(iterations):
        d = (x ** 2).sum(1, keepdim=True) - 2 * x @ centroids.t() + (centroids ** 2).sum(1)
        assign = d.argmin(dim=1)
        inertia = d.gather(1, assign[:, None]).mean().item()
        sums = torch.zeros_like(centroids).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=k).float()
        empty = counts == 0
        centroids = torch.where(empty[:, None], centroids, sums / counts.clamp(min=1)[:, None])
        if empty.any():
            far = d.gather(1, assign[:, None])[:, 0].topk(int(empty.sum())).indices
            centroids[empty] = x[far]
        if it % 5 == 0 or it == iterations - 1:
            log(f"kmeans iteration {it}: mean squared distance {inertia:.3f}, empty {int(empty.sum())}")
    return centroids


def merge_repeats(frame_units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`5 5 5 9 9 2` → units `5 9 2`, durations `3 2 1` (frames)."""
    if frame_units.size == 0:
        return frame_units.copy(), np.zeros(0, dtype=np.int64)
    change = np.nonzero(np.diff(frame_units))[0] + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [frame_units.size]])
    return frame_units[starts].copy(), (ends - starts).astype(np.int64)
