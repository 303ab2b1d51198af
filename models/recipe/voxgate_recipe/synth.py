"""Speech from three synthesizers, espeak-ng, flite and Festival, behind one voice description.

Engines built in different ways (formant synthesis; diphone, unit-selection and HMM voices) are
what teach the encoder that a sound is the same sound whoever makes it. No shipped model has heard
Festival (render_dev's `festivalVoices` condition measures that); `build.py --festival-share` puts
its diphone voices in an encoder's training renders and keeps its HMM voice out.
"""
from __future__ import annotations

import random
import subprocess
import tempfile
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE_HZ, render as render_espeak, trim_silence
from .voices import sample_voice

# awb (Scottish male), slt (US female), kal/kal16 (US male diphone, 8 and 16 kHz) train; rms (US male)
# is held out whole as the dev set's other-synthesizer voice.
FLITE_TRAIN = ["awb", "slt", "kal", "kal16"]
FLITE_DEV = ["rms"]
# Festival (Debian's festival, festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts): its voice name -> the Scheme
# call that selects it.
FESTIVAL_VOICES = {"kal_diphone": "(voice_kal_diphone)", "ked_diphone": "(voice_ked_diphone)",
                   "cmu_us_slt_arctic_hts": "(voice_cmu_us_slt_arctic_hts)"}
# An encoder trained with Festival (encoder_data's festival_share) hears the two diphone voices (US men, each a real
# speaker's recorded diphones); the HMM voice stays out.
FESTIVAL_TRAIN = ["kal_diphone", "ked_diphone"]
FESTIVAL_DEV = ["cmu_us_slt_arctic_hts"]


@dataclass(frozen=True)
class SynthVoice:
    engine: str  # "espeak" | "flite" | "festival"
    name: str
    rate: float  # espeak: words per minute; flite: duration stretch (1 = the voice's own pace); festival: tempo factor
    pitch: float  # espeak: 0-99; flite: mean F0 in Hz (0 = the voice's own); festival: shift in cents


def sample_synth_voice(rng: random.Random, dev: bool, flite_share: float = 0.35) -> SynthVoice:
    if rng.random() < flite_share:
        name = rng.choice(FLITE_DEV if dev else FLITE_TRAIN)
        f0 = 0.0 if rng.random() < 0.5 else rng.uniform(80, 200)
        return SynthVoice("flite", name, round(rng.uniform(0.85, 1.25), 2), round(f0))
    v = sample_voice(rng, dev)
    return SynthVoice("espeak", v.name, v.speed, v.pitch)


def sample_festival_voice(rng: random.Random, voices: list[str] | None = None) -> SynthVoice:
    """A Festival voice (of `voices`, default all) at a random pace (tempo 0.9-1.15) and pitch (within two semitones)."""
    name = rng.choice(voices or sorted(FESTIVAL_VOICES))
    return SynthVoice("festival", name, round(rng.uniform(0.9, 1.15), 2), round(rng.uniform(-200, 200)))


def synthesize(text: str, voice: SynthVoice) -> np.ndarray:
    """float32 mono 16 kHz, silence trimmed; the same arguments give the same samples."""
    if voice.engine == "espeak":
        return render_espeak(text, voice.name, int(voice.rate), int(voice.pitch))
    effects: list[str] = []
    if voice.engine == "festival":
        # text2wave's own Duration_Stretch moves diphone voices only, so pace and pitch are sox's, alike for both.
        # It writes the WAV header's sizes last, by seeking: a file, not a pipe.
        with tempfile.NamedTemporaryFile(suffix=".wav") as out:
            subprocess.run(["text2wave", "-eval", FESTIVAL_VOICES[voice.name], "-o", out.name],
                           input=text.encode(), check=True, capture_output=True)
            wav = out.read()
        effects = ["tempo", "-s", str(voice.rate), "pitch", str(int(voice.pitch))]
    else:
        args = ["flite", "-voice", voice.name, "--setf", f"duration_stretch={voice.rate}"]
        if voice.pitch > 0:
            args += ["--setf", f"int_f0_target_mean={voice.pitch}"]
        wav = subprocess.run(args + ["-t", text, "-o", "/dev/stdout"], check=True, capture_output=True).stdout
    pcm = subprocess.run(
        ["sox", "-D", "-t", "wav", "-", "-t", "raw", "-r", str(SAMPLE_RATE_HZ), "-e", "signed-integer", "-b", "16",
         "-c", "1", "-", *effects], input=wav, check=True, capture_output=True).stdout
    return trim_silence(np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0)
