"""Speech rendering with espeak-ng: the recipe's only source of audio."""
from __future__ import annotations

import subprocess
import numpy as np

SAMPLE_RATE_HZ = 16000

# The one voice the model answers in (its vocoder is trained on it alone).
ANSWER_VOICE = {"voice": "en-us", "speed": 160, "pitch": 50}


def render(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """Speaks `text` and returns float32 mono PCM at 16 kHz in [-1, 1].

    espeak-ng writes 22.05 kHz; sox resamples to 16 kHz in the same pipe, without dither (-D),
    which would otherwise add random noise.
    Identical arguments give bit-identical audio, so callers can cache by them.
    """
    espeak = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        check=True, capture_output=True,
    )
    sox = subprocess.run(
        ["sox", "-D", "-t", "wav", "-", "-t", "raw", "-r", str(SAMPLE_RATE_HZ), "-e", "signed-integer",
         "-b", "16", "-c", "1", "-"],
        input=espeak.stdout, check=True, capture_output=True,
    )
    pcm = np.frombuffer(sox.stdout, dtype="<i2").astype(np.float32) / 32768.0
    return trim_silence(pcm)


def trim_silence(pcm: np.ndarray, threshold: float = 0.003, pad_samples: int = 800) -> np.ndarray:
    """Cuts leading/trailing silence but keeps 50 ms either side, so units start on speech."""
    loud = np.nonzero(np.abs(pcm) > threshold)[0]
    if loud.size == 0:
        return pcm[:pad_samples]
    start = max(0, int(loud[0]) - pad_samples)
    end = min(pcm.size, int(loud[-1]) + pad_samples)
    return pcm[start:end].copy()


def write_wav(path: str, pcm: np.ndarray, sample_rate_hz: int = SAMPLE_RATE_HZ) -> None:
    """16-bit mono WAV, for fixtures and listening."""
    import wave
    data = (np.clip(pcm, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate_hz)
        w.writeframes(data)
