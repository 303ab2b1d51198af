"""Griffin-Lim phase reconstruction built from convolutions, so it exports to ONNX.

torch 1.13 cannot export stft/istft; a framed DFT is a conv1d with fixed cosine/sine
weights and the overlap-add inverse is a conv_transpose1d with the same shape. The
iteration count is fixed and unrolled into the graph, and the initial phase is zero
(relative to each frame's centre), so the result is deterministic and shifting the
input by whole frames shifts the output by whole hops: a chunk vocoded with left
context matches the whole utterance away from its edges.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class StftConfig:
    fft_samples: int = 512  # analysis window (Hann) and DFT size
    hop_samples: int = 80  # Griffin-Lim hop: 2 frames per 10 ms unit frame (more overlap, better phase)
    iterations: int = 32
    momentum: float = 0.99  # "fast Griffin-Lim" (Perraudin et al. 2013)
    # Frame j is centred on sample j*hop + centre_offset. -80 puts the two frames of unit frame t
    # around t*160 - 40, the centre of the 25 ms window the unit extractor read unit t from, so a
    # causal decoder predicts the spectrum its unit actually describes.
    centre_offset_samples: int = -80

    @property
    def bins(self) -> int:
        return self.fft_samples // 2 + 1

    @property
    def pad_left(self) -> int:
        return self.fft_samples // 2 - self.centre_offset_samples

    @property
    def pad_right(self) -> int:
        # Enough that a signal of T*hop samples yields exactly T frames.
        return self.fft_samples - self.hop_samples - self.pad_left


def dft_kernels(fft_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windowed forward DFT [2B, 1, N], windowed inverse [2B, 1, N], squared window [1, 1, N]."""
    n = np.arange(fft_samples)
    window = 0.5 - 0.5 * np.cos(2 * math.pi * n / fft_samples)  # periodic Hann
    bins = fft_samples // 2 + 1
    angle = 2 * math.pi * np.arange(bins)[:, None] * n[None, :] / fft_samples
    forward = np.concatenate([np.cos(angle) * window, -np.sin(angle) * window])
    # Real inverse of a half spectrum: DC and Nyquist once, the other bins twice.
    weight = np.full(bins, 2.0)
    weight[0] = weight[-1] = 1.0
    inverse = np.concatenate([np.cos(angle), -np.sin(angle)]) * np.tile(weight, 2)[:, None] / fft_samples * window
    as32 = lambda a: a.astype(np.float32)[:, None, :]  # noqa: E731
    return as32(forward), as32(inverse), as32((window ** 2)[None, :])


class Stft(nn.Module):
    """Signal [1, T*hop] ↔ half spectrum as real/imag channels [1, 2B, T]."""

    def __init__(self, cfg: StftConfig) -> None:
        super().__init__()
        self.cfg = cfg
        forward, inverse, window_sq = dft_kernels(cfg.fft_samples)
        self.register_buffer("forward_kernel", torch.from_numpy(forward))
        self.register_buffer("inverse_kernel", torch.from_numpy(inverse))
        self.register_buffer("window_sq", torch.from_numpy(window_sq))

    def analyse(self, signal: torch.Tensor) -> torch.Tensor:
        padded = F.pad(signal.unsqueeze(1), (self.cfg.pad_left, self.cfg.pad_right))
        return F.conv1d(padded, self.forward_kernel, stride=self.cfg.hop_samples)

    def window_sum(self, frames: torch.Tensor) -> torch.Tensor:
        """Σ window² over overlapping frames, the least-squares overlap-add normaliser."""
        ones = torch.ones_like(frames[:, :1, :])
        return F.conv_transpose1d(ones, self.window_sq, stride=self.cfg.hop_samples)

    def synthesise(self, spectrum: torch.Tensor, window_sum: torch.Tensor) -> torch.Tensor:
        summed = F.conv_transpose1d(spectrum, self.inverse_kernel, stride=self.cfg.hop_samples)
        signal = (summed / window_sum.clamp(min=1e-3))[:, 0]
        samples = spectrum.shape[2] * self.cfg.hop_samples
        return signal[:, self.cfg.pad_left : self.cfg.pad_left + samples]


class GriffinLim(nn.Module):
    """Magnitude [1, B, T] → waveform [1, T*hop] by fast Griffin-Lim, zero initial phase."""

    def __init__(self, cfg: StftConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.stft = Stft(cfg)

    def forward(self, magnitude: torch.Tensor) -> torch.Tensor:
        bins = self.cfg.bins
        window_sum = self.stft.window_sum(magnitude)
        target = torch.cat([magnitude, torch.zeros_like(magnitude)], dim=1)
        previous = target
        signal = self.stft.synthesise(target, window_sum)
        for _ in range(self.cfg.iterations):
            spectrum = self.stft.analyse(signal)
            real, imag = spectrum[:, :bins], spectrum[:, bins:]
            scale = magnitude / torch.sqrt(real * real + imag * imag + 1e-12)
            projected = torch.cat([real * scale, imag * scale], dim=1)
            accelerated = projected + self.cfg.momentum * (projected - previous)
            previous = projected
            signal = self.stft.synthesise(accelerated, window_sum)
        return self.stft.synthesise(previous, window_sum)
