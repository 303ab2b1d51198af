"""Figures for judging a vocoder against the audio it imitates."""
from __future__ import annotations

import numpy as np
import torch

from .vocoder_griffinlim import Stft, StftConfig

# A fixed analysis unrelated to the vocoder's own STFT, so it does not grade its own framing.
_ANALYSIS = StftConfig(fft_samples=512, hop_samples=160)
SPEECH_RANGE_DB = 40.0  # frames quieter than the loudest by more than this are silence


def power_db(wav: np.ndarray) -> np.ndarray:
    """Power spectrogram in dB, [frames, 257]."""
    stft = Stft(_ANALYSIS)
    n = len(wav) // _ANALYSIS.hop_samples * _ANALYSIS.hop_samples
    with torch.no_grad():
        spec = stft.analyse(torch.from_numpy(np.ascontiguousarray(wav[:n], dtype=np.float32))[None])[0]
    b = _ANALYSIS.bins
    return (10 * torch.log10(spec[:b] ** 2 + spec[b:] ** 2 + 1e-10)).t().numpy()


def log_spectral_distance_db(reference: np.ndarray, test: np.ndarray) -> float:
    """RMS over bins of the dB difference, averaged over the reference's speech frames.

    Both are floored 80 dB under the reference's peak so silent bins do not dominate.
    """
    n = min(len(reference), len(test))
    ref, tst = power_db(reference[:n]), power_db(test[:n])
    floor = ref.max() - 80.0
    ref, tst = np.maximum(ref, floor), np.maximum(tst, floor)
    energy = 10 * np.log10(np.mean(10 ** (ref / 10), axis=1))
    speech = energy > energy.max() - SPEECH_RANGE_DB
    return float(np.sqrt(((ref - tst) ** 2).mean(axis=1))[speech].mean())


def spectral_convergence(reference: np.ndarray, test: np.ndarray) -> float:
    """‖|S_ref| − |S_test|‖ / ‖|S_ref|‖ over the whole signal (0 is perfect)."""
    n = min(len(reference), len(test))
    ref = np.sqrt(10 ** (power_db(reference[:n]) / 10))
    tst = np.sqrt(10 ** (power_db(test[:n]) / 10))
    return float(np.linalg.norm(ref - tst) / np.linalg.norm(ref))


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """Waveform signal-to-error ratio: 10 log10(Σ ref² / Σ (ref − test)²)."""
    n = min(len(reference), len(test))
    err = np.sum((reference[:n].astype(np.float64) - test[:n]) ** 2)
    return float(10 * np.log10(np.sum(reference[:n].astype(np.float64) ** 2) / max(err, 1e-20)))


def edit_distance(a: np.ndarray, b: np.ndarray) -> int:
    """Levenshtein distance between two id sequences."""
    row = np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        prev, row = row, np.empty_like(row)
        row[0] = i
        for j in range(1, len(b) + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
    return int(row[-1])
