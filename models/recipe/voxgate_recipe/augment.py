"""The audio real calls carry, applied to clean speech: pace, pitch, vocal tract, room, noise, level,
telephone band and the Opus codec.

One random chain per utterance, drawn from a seeded generator so a build is repeatable. sox does the
signal processing (speed, tempo, pitch, reverb, 8 kHz μ-law), opus-tools the codec round trip.
"""
from __future__ import annotations

import random
import subprocess

import numpy as np

from .audio import SAMPLE_RATE_HZ

RAW16 = ["-t", "raw", "-r", str(SAMPLE_RATE_HZ), "-e", "signed-integer", "-b", "16", "-c", "1"]
# Browsers' WebRTC Opus runs at about 32 kb/s for voice; the gateway and SDK encode at 24 kb/s.
OPUS_BITRATES_KBPS = [16, 24, 32]


def to_i16(pcm: np.ndarray) -> bytes:
    return (np.clip(pcm, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def from_i16(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def sox_effects(pcm: np.ndarray, effects: list[str]) -> np.ndarray:
    res = subprocess.run(["sox", "-D", *RAW16, "-", *RAW16, "-", *effects], input=to_i16(pcm),
                         check=True, capture_output=True)
    return from_i16(res.stdout)


def telephone(pcm: np.ndarray) -> np.ndarray:
    """8 kHz G.711 μ-law and back, as a phone call carries it."""
    narrow = subprocess.run(["sox", "-D", *RAW16, "-", "-t", "raw", "-r", "8000", "-e", "u-law", "-b", "8", "-c", "1",
                             "-"], input=to_i16(pcm), check=True, capture_output=True).stdout
    wide = subprocess.run(["sox", "-D", "-t", "raw", "-r", "8000", "-e", "u-law", "-b", "8", "-c", "1", "-", *RAW16,
                           "-"], input=narrow, check=True, capture_output=True).stdout
    return from_i16(wide)


def opus_round_trip(pcm: np.ndarray, bitrate_kbps: int) -> np.ndarray:
    enc = subprocess.run(["opusenc", "--quiet", "--raw", "--raw-rate", str(SAMPLE_RATE_HZ), "--raw-chan", "1",
                          "--bitrate", str(bitrate_kbps), "-", "-"], input=to_i16(pcm), check=True, capture_output=True)
    dec = subprocess.run(["opusdec", "--quiet", "--rate", str(SAMPLE_RATE_HZ), "-", "-"], input=enc.stdout,
                         check=True, capture_output=True)
    return from_i16(dec.stdout)[: pcm.size]


def add_noise(pcm: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White, pink or brown noise at the given SNR over the speech's own power."""
    white = rng.standard_normal(pcm.size).astype(np.float32)
    colour = rng.integers(3)
    if colour:
        spec = np.fft.rfft(white)
        f = np.maximum(np.arange(spec.size), 1)
        spec /= f ** (0.5 * colour)  # 1/f (pink) or 1/f^2 (brown) power
        white = np.fft.irfft(spec, n=pcm.size).astype(np.float32)
    power = float(np.mean(pcm ** 2)) + 1e-9
    noise_power = float(np.mean(white ** 2)) + 1e-12
    return pcm + white * np.sqrt(power / noise_power / 10 ** (snr_db / 10))


# The chain that changes nothing: a base for conditions that add one effect (telephone, Opus).
CLEAN_CHAIN = {"tempo": 1.0, "vtlp": 1.0, "pitchCents": 0, "reverb": 0, "snrDb": None, "gainDb": 0.0,
               "telephone": False, "opusKbps": None, "seed": 0}


def random_chain(rng: random.Random) -> dict:
    """The chain's settings; recorded beside the utterance so a figure can be split by condition."""
    return {
        "tempo": round(rng.uniform(0.9, 1.1), 3) if rng.random() < 0.6 else 1.0,
        # A resampling speed change moves formants and pitch together, as a shorter or longer vocal tract does.
        "vtlp": round(rng.uniform(0.9, 1.1), 3) if rng.random() < 0.5 else 1.0,
        "pitchCents": rng.randint(-300, 300) if rng.random() < 0.5 else 0,
        "reverb": rng.randint(10, 60) if rng.random() < 0.25 else 0,
        "snrDb": round(rng.uniform(10, 30), 1) if rng.random() < 0.4 else None,
        "gainDb": round(rng.uniform(-20, 3), 1),
        "telephone": rng.random() < 0.2,
        "opusKbps": rng.choice(OPUS_BITRATES_KBPS) if rng.random() < 0.3 else None,
        "seed": rng.randrange(2 ** 31),
    }


def apply_chain(pcm: np.ndarray, chain: dict) -> np.ndarray:
    effects: list[str] = []
    if chain["vtlp"] != 1.0:
        effects += ["speed", str(chain["vtlp"])]
    if chain["tempo"] != 1.0:
        effects += ["tempo", "-s", str(chain["tempo"])]
    if chain["pitchCents"]:
        effects += ["pitch", str(chain["pitchCents"])]
    if chain["reverb"]:
        effects += ["reverb", str(chain["reverb"])]
    if effects:
        effects += ["rate", str(SAMPLE_RATE_HZ)]
        pcm = sox_effects(pcm, effects)
    if chain["snrDb"] is not None:
        pcm = add_noise(pcm, chain["snrDb"], np.random.default_rng(chain["seed"]))
    pcm = pcm * np.float32(10 ** (chain["gainDb"] / 20))
    peak = float(np.max(np.abs(pcm))) if pcm.size else 0.0
    if peak > 0.99:
        pcm = pcm * np.float32(0.99 / peak)
    if chain["telephone"]:
        pcm = telephone(pcm)
    if chain["opusKbps"]:
        pcm = opus_round_trip(pcm, chain["opusKbps"])
    return pcm.astype(np.float32)
