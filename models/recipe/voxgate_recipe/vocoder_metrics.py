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


CEPSTRUM_ORDER = 13  # c1..c13; c0 (loudness) is left out, as mel-cepstral distortion usually does
MEL_BANDS = 40


def mel_cepstrum(wav: np.ndarray) -> np.ndarray:
    """Mel-cepstra [frames, 13] from 40-band mel log-amplitudes (DCT-II, orthonormal), 10 ms frames."""
    from .units import mel_filterbank

    power = 10 ** (power_db(wav) / 10)
    mel = mel_filterbank(MEL_BANDS, _ANALYSIS.fft_samples, 16000)
    log_amplitude = 0.5 * np.log(power @ mel.T + 1e-10)
    n = np.arange(MEL_BANDS)
    k = np.arange(1, CEPSTRUM_ORDER + 1)
    dct = np.sqrt(2.0 / MEL_BANDS) * np.cos(np.pi * k[:, None] * (2 * n[None, :] + 1) / (2 * MEL_BANDS))
    return log_amplitude @ dct.T


def _speech_frames(wav: np.ndarray) -> np.ndarray:
    db = power_db(wav)
    energy = 10 * np.log10(np.mean(10 ** (db / 10), axis=1) + 1e-20)
    return energy > energy.max() - SPEECH_RANGE_DB


def mel_cepstral_distortion_db(reference: np.ndarray, test: np.ndarray, align: bool = False) -> float:
    """Mean MCD in dB over the reference's speech frames: (10 / ln 10) · sqrt(2 Σ_d (c_d − c'_d)²).

    Frame-by-frame when the two share a time axis (oracle durations); `align` pairs frames by
    dynamic time warping instead, for audio whose durations were predicted.
    """
    ref_c, tst_c = mel_cepstrum(reference), mel_cepstrum(test)
    speech = _speech_frames(reference)
    if not align:
        n = min(len(ref_c), len(tst_c))
        ref_c, tst_c, speech = ref_c[:n], tst_c[:n], speech[:n]
        pairs = [(i, i) for i in range(n)]
    else:
        pairs = dtw_path(ref_c, tst_c)
    k = 10.0 / np.log(10.0) * np.sqrt(2.0)
    per = [k * float(np.sqrt(np.sum((ref_c[i] - tst_c[j]) ** 2))) for i, j in pairs if speech[i]]
    return float(np.mean(per))


def dtw_path(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    """Least-cost monotonic alignment of two frame sequences (Euclidean frame distance)."""
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    acc = np.full((len(a) + 1, len(b) + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    i, j, path = len(a), len(b), []
    while i > 0 and j > 0:
        path.append((i - 1, j - 1))
        step = int(np.argmin([acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]]))
        i, j = (i - 1, j - 1) if step == 0 else (i - 1, j) if step == 1 else (i, j - 1)
    return path[::-1]
