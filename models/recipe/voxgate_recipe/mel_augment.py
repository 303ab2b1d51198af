"""Speaker and microphone variation drawn afresh each time an utterance is batched, in the log-mel domain.

The rendered chains (augment.py) fix one voice change per utterance for the whole training run; these two
draw a new one every epoch, so the encoder meets many more vocal tracts and microphones than there are
renders: a frequency warp (vocal-tract length: formants move, pitch and timing stay) and a smooth random
tilt across the bands (a microphone's or a codec's frequency response).
"""
from __future__ import annotations

import random

import numpy as np
import torch

from .audio import SAMPLE_RATE_HZ
from .units import WINDOW_SAMPLES, mel_filterbank

WARP_RANGE = (0.86, 1.16)  # adult vocal tracts span about ±15 % in length
WARP_KNEE = 0.8  # above this share of the top band the warp bends back, so the band edge maps to itself
TILT_COMPONENTS = 3
TILT_MAX = 0.35  # per cosine component, in natural-log power: about ±1.5 dB each


class MelAugment:
    def __init__(self, mel_bands: int) -> None:
        fb = mel_filterbank(mel_bands, WINDOW_SAMPLES, SAMPLE_RATE_HZ)
        fft_hz = np.linspace(0.0, SAMPLE_RATE_HZ / 2.0, fb.shape[1])
        self.centers_hz = (fb * fft_hz).sum(axis=1) / fb.sum(axis=1)
        self.bands = mel_bands
        b = np.arange(mel_bands)
        self.cosines = np.stack([np.cos(np.pi * k * b / (mel_bands - 1)) for k in range(1, TILT_COMPONENTS + 1)])
        for alpha in (WARP_RANGE[0], 1.0, WARP_RANGE[1]):  # the warp must keep the band order and its edges
            pos = self.warp_positions(alpha)
            assert np.all(np.diff(pos) >= 0) and abs(pos[-1] - (mel_bands - 1)) < 1e-6, alpha
        assert np.allclose(self.warp_positions(1.0), b)

    def warp_positions(self, alpha: float) -> np.ndarray:
        """For each output band, the (fractional) input band it reads: output frequency f comes from f / alpha."""
        top = self.centers_hz[-1]
        knee = WARP_KNEE * top * min(1.0, 1.0 / alpha)
        f = self.centers_hz
        src = np.where(f <= knee * alpha, f / alpha,
                       knee + (f - knee * alpha) * (top - knee) / max(top - knee * alpha, 1e-6))
        return np.interp(src, self.centers_hz, np.arange(self.bands))

    def __call__(self, mel: torch.Tensor, rng: random.Random) -> torch.Tensor:
        """mel [frames, bands] (log power) → the same shape, one warp and one tilt for the whole utterance."""
        pos = torch.from_numpy(self.warp_positions(rng.uniform(*WARP_RANGE)).astype(np.float32))
        lo = pos.floor().long().clamp(0, self.bands - 1)
        hi = (lo + 1).clamp(max=self.bands - 1)
        frac = pos - lo.float()
        out = mel[:, lo] * (1 - frac) + mel[:, hi] * frac
        weights = np.array([rng.uniform(-TILT_MAX, TILT_MAX) for _ in range(TILT_COMPONENTS)])
        return out + torch.from_numpy((weights @ self.cosines).astype(np.float32))
