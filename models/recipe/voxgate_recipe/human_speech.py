"""Real human English speech with its text, from Debian packages (issue 9 item 2).

fetch() unpacks the packages without installing them, collect() lists every utterance whose
words are known, load() decodes one to the recipe's audio format and verify() drops clips whose
audio cannot be what the text says. Run as a module for a summary of what is kept.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import random
import subprocess
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE_HZ, trim_silence
from .human_speech_texts import (ALPHABET, HEDGEWARS_ENGLISH, HEDGEWARS_NOT_SPEECH, HEDGEWARS_SPEAKER,
                                 HEDGEWARS_WORDS, KAJONGG_VOICES, KAJONGG_WORDS, KLETTRES_NOT_WORDS,
                                 asterisk_text, letter_or_word)

PACKAGES = ["asterisk-core-sounds-en-wav", "asterisk-core-sounds-en", "hedgewars-data", "kajongg",
            "klettres-data", "qabcs-data"]

# Held out whole as the human dev set: two people the model never hears. Of the hedgewars voices
# this is the one whose clips a recogniser (pocketsphinx, constrained to the 46 phrases) most
# often matched to their file names, so its texts are the most trustworthy to score against.
DEV_SPEAKERS = ("hedgewars/Classic+Default", "kajongg/female1")

SHARE = "usr/share"
ASTERISK_DIR = f"{SHARE}/asterisk/sounds/en_US_f_Allison"
ASTERISK_TEXTS = f"{SHARE}/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"


@dataclass
class Utterance:
    path: str
    text: str
    speaker: str
    corpus: str


def fetch(cache_dir: str) -> str:
    """Unpacks PACKAGES under cache_dir/root (apt-get download + dpkg -x); returns the root.

    A package counts as unpacked when its /usr/share/doc/PKG exists (every Debian package ships
    one), and a .deb already in cache_dir/debs is not downloaded again.
    """
    root, debs = os.path.join(cache_dir, "root"), os.path.join(cache_dir, "debs")
    os.makedirs(debs, exist_ok=True)
    for pkg in PACKAGES:
        if os.path.isdir(os.path.join(root, SHARE, "doc", pkg)):
            continue
        found = [f for f in os.listdir(debs) if f.startswith(pkg + "_") and f.endswith(".deb")]
        if not found:
            subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True)
            found = [f for f in os.listdir(debs) if f.startswith(pkg + "_") and f.endswith(".deb")]
        subprocess.run(["dpkg", "-x", os.path.join(debs, sorted(found)[-1]), root], check=True)
    return root


def _files(folder: str, ext: str) -> list[str]:
    # A missing folder raises: a corpus must never vanish from training without a word.
    return sorted(f for f in os.listdir(folder) if f.endswith(ext))


def _asterisk(root: str) -> list[Utterance]:
    out = []
    with gzip.open(os.path.join(root, ASTERISK_TEXTS), "rt", encoding="utf-8") as f:
        for line in f:
            key, sep, said = line.partition(":")
            path = os.path.join(root, ASTERISK_DIR, key.strip() + ".wav")
            if line.startswith(";") or not sep or not os.path.exists(path):
                continue
            text = asterisk_text(key.strip(), said.strip())
            if text:
                out.append(Utterance(path, text, "asterisk/allison", "asterisk"))
    return out


def _hedgewars(root: str) -> list[Utterance]:
    out = []
    for voice in HEDGEWARS_ENGLISH:
        folder = os.path.join(root, SHARE, "games/hedgewars/Data/Sounds/voices", voice)
        speaker = "hedgewars/" + HEDGEWARS_SPEAKER.get(voice, voice)
        for name in _files(folder, ".ogg"):
            stem = name[:-4]
            if stem in HEDGEWARS_WORDS:
                out.append(Utterance(os.path.join(folder, name), HEDGEWARS_WORDS[stem], speaker,
                                     "hedgewars"))
            elif not HEDGEWARS_NOT_SPEECH.match(stem):
                raise ValueError(f"hedgewars stem with no table entry: {voice}/{name}")
    return out


def _kajongg(root: str) -> list[Utterance]:
    out = []
    for voice in KAJONGG_VOICES:
        folder = os.path.join(root, SHARE, "kajongg/voices", voice)
        for name in _files(folder, ".ogg"):
            text = KAJONGG_WORDS.get(name[:-4])
            if text is None:
                raise ValueError(f"kajongg sound with no table entry: {voice}/{name}")
            out.append(Utterance(os.path.join(folder, name), text, f"kajongg/{voice}", "kajongg"))
    return out


def _letters_and_words(root: str) -> list[Utterance]:
    folders = [("klettres", lang, f"{SHARE}/klettres/{lang}/{kind}")
               for lang in ("en", "en_GB") for kind in ("alpha", "syllab")]
    folders += [("qabcs", lang, f"{SHARE}/qabcs/abcs/{lang}/sounds/{kind}")
                for lang in ("en", "en_gb") for kind in ("alpha", "words")]
    out = []
    for corpus, lang, rel in folders:
        for name in _files(os.path.join(root, rel), ".ogg"):
            stem = name[:-4].lower()
            text = None if stem in KLETTRES_NOT_WORDS else letter_or_word(stem)
            if text:
                out.append(Utterance(os.path.join(root, rel, name), text, f"{corpus}/{lang}", corpus))
    return out


def collect(root: str) -> list[Utterance]:
    """Every English utterance under root whose exact words are known."""
    utts = _asterisk(root) + _hedgewars(root) + _kajongg(root) + _letters_and_words(root)
    for u in utts:
        assert ALPHABET.fullmatch(u.text) and u.text == " ".join(u.text.split()), u
    return utts


def decode(path: str) -> np.ndarray:
    """float32 mono PCM at 16 kHz in [-1, 1], untrimmed; sox mixes channels and resamples
    without dither (-D), which would add noise."""
    raw = subprocess.run(["sox", "-D", path, "-t", "raw", "-r", str(SAMPLE_RATE_HZ), "-e",
                          "signed-integer", "-b", "16", "-c", "1", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def load(u: Utterance) -> np.ndarray:
    """The utterance as the recipe's audio, leading and trailing silence cut."""
    return trim_silence(decode(u.path))


def speech_seconds(pcm: np.ndarray, frame: int = 320) -> float:
    """Seconds from the first to the last frame of speech.

    Speech is 12 dB over the file's own floor (some recordings carry steady noise above
    trim_silence's fixed threshold), but never needs more than 20 dB under the loudest frame,
    since many clips are cut so tight that their quietest frames are speech too.
    """
    frames = pcm[: pcm.size // frame * frame].reshape(-1, frame)
    if frames.shape[0] == 0:
        return 0.0
    db = 10 * np.log10((frames ** 2).mean(1) + 1e-10)
    peak = float(db.max())
    loud = np.nonzero(db > min(max(float(np.percentile(db, 10)) + 12, peak - 40), peak - 20))[0]
    return float(loud[-1] - loud[0] + 1) * frame / SAMPLE_RATE_HZ


# Bounds on how long a text can take, in seconds of speech (see verify()).
MIN_SPEECH_S = 0.2
MAX_CHARS_PER_S = 30.0
SLOW_ALLOWANCE_S, MIN_CHARS_PER_S = 1.5, 2.5
PACE_RANGE = (0.5, 2.0)


def verify(utts: list[Utterance]) -> tuple[list[tuple[Utterance, float]], list[tuple[Utterance, str]]]:
    """Keeps (utterance, seconds of speech) whose audio can be what the text says.

    Without listening, the audio must (1) decode and not be silent; (2) not be the same bytes
    as a clip filed under other words (hedgewars reuses one sound for several phrases); a copy
    under the same words is kept once; (3) last at least 0.2 s, no faster than 30 characters
    per second (about 9 syllables per second, past any speaker here, even the sped-up hedgehog
    voices) and no slower than 2.5 characters per second after a 1.5 s allowance for a
    drawn-out single word or letter; (4) where three or more speakers say the same text, last
    within half to twice what this recording's own pace (its median ratio to the others) predicts:
    a phrase said much longer or shorter than usual is other words.
    """
    # File names per audio content, counting every sound file beside an utterance, so that a word
    # file that is byte-for-byte a grunt file (hedgewars Classic/Melon = Firepunch1) is caught.
    digest, texts_of = {}, defaultdict(set)
    for folder in sorted({os.path.dirname(u.path) for u in utts}):
        for name in os.listdir(folder):
            if name.endswith((".ogg", ".wav")):
                with open(os.path.join(folder, name), "rb") as f:
                    digest[os.path.join(folder, name)] = hashlib.sha1(f.read()).hexdigest()
                texts_of[digest[os.path.join(folder, name)]].add(name.rsplit(".", 1)[0].lower())
    first = {}
    dropped, seconds, candidates = [], {}, []
    for u in utts:
        d = digest[u.path]
        if len(texts_of[d]) > 1:
            dropped.append((u, "same audio filed under other words"))
            continue
        if d in first:
            dropped.append((u, "copy of another clip"))
            continue
        first[d] = u
        try:
            pcm = decode(u.path)
        except subprocess.CalledProcessError as e:
            dropped.append((u, "decode failed: " + e.stderr.decode(errors="replace").strip()[:80]))
            continue
        s, n = speech_seconds(pcm), len(u.text)
        if pcm.size == 0 or np.abs(pcm).max() < 0.003:
            dropped.append((u, "silent"))
        elif s < MIN_SPEECH_S:
            dropped.append((u, "under 0.2 s of speech"))
        elif n / s > MAX_CHARS_PER_S:
            dropped.append((u, "too fast for the text"))
        elif s > SLOW_ALLOWANCE_S + n / MIN_CHARS_PER_S:
            dropped.append((u, "too slow for the text"))
        else:
            seconds[u.path] = s
            candidates.append(u)
    kept = []
    for u, residual in _pace_residuals(candidates, seconds):
        if PACE_RANGE[0] <= residual <= PACE_RANGE[1]:
            kept.append((u, seconds[u.path]))
        else:
            dropped.append((u, "unlike other speakers' duration for these words"))
    return kept, dropped


def _pace_residuals(utts: list[Utterance], seconds: dict[str, float]) -> list[tuple[Utterance, float]]:
    """Each clip's duration over what its recording's pace predicts for its text (1.0 where the
    text has fewer than three clips to compare with). Pace is per folder, i.e. per recording
    session: one speaker's two packs (hedgewars Classic, Default) were recorded at different paces."""
    by_text = defaultdict(list)
    for u in utts:
        by_text[(u.corpus, u.text)].append(seconds[u.path])
    typical = {k: float(np.median(v)) for k, v in by_text.items() if len(v) >= 3}
    ratios = defaultdict(list)
    for u in utts:
        if (u.corpus, u.text) in typical:
            ratios[os.path.dirname(u.path)].append(seconds[u.path] / typical[(u.corpus, u.text)])
    pace = {folder: float(np.median(r)) for folder, r in ratios.items()}
    return [(u, seconds[u.path] / (pace[os.path.dirname(u.path)] * typical[(u.corpus, u.text)])
             if (u.corpus, u.text) in typical else 1.0) for u in utts]


def split(root: str) -> tuple[list[Utterance], list[Utterance]]:
    """Verified clips: (training speakers, DEV_SPEAKERS held out whole)."""
    kept = [u for u, _seconds in verify(collect(root))[0]]
    return [u for u in kept if u.speaker not in DEV_SPEAKERS], [u for u in kept if u.speaker in DEV_SPEAKERS]


def summary(kept: list[tuple[Utterance, float]], dropped: list[tuple[Utterance, str]]) -> str:
    """Clips and minutes of speech (first to last speech frame) kept per corpus and speaker, and
    drop counts per reason."""
    rows = defaultdict(lambda: [0, 0.0, 0])
    for u, seconds in kept:
        for key in (u.corpus, u.speaker):
            rows[key][0] += 1
            rows[key][1] += seconds / 60
    for u, _ in dropped:
        rows[u.corpus][2] += 1
        rows[u.speaker][2] += 1
    lines = [f"{'corpus / speaker':28s} {'kept':>5s} {'min':>6s} {'dropped':>7s}"]
    for key in sorted(rows, key=lambda k: (k.split("/")[0], "/" in k, k)):
        n, minutes, d = rows[key]
        dev = "  (dev)" if key in DEV_SPEAKERS else ""
        lines.append(f"{('  ' if '/' in key else '') + key:28s} {n:5d} {minutes:6.2f} {d:7d}{dev}")
    total = sum(s for _, s in kept) / 60
    lines.append(f"{'total':28s} {len(kept):5d} {total:6.2f} {len(dropped):7d}")
    reasons = defaultdict(int)
    for u, why in dropped:
        reasons[f"{u.corpus}: {why}"] += 1
    lines += [f"dropped {n:4d}  {why}" for why, n in sorted(reasons.items())]
    return "\n".join(lines)


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="unpacked tree; default: fetch into --cache")
    parser.add_argument("--cache", default="cache/human_speech")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    root = args.root or fetch(args.cache)
    utts = collect(root)
    kept, dropped = verify(utts)
    print(summary(kept, dropped))
    for u, why in dropped:
        print(f"  dropped {u.speaker} {os.path.basename(u.path)} '{u.text}': {why}")
    for u, _ in random.Random(args.seed).sample(kept, 15):
        print(f"{os.path.relpath(u.path, root)} -> {u.text}")
    # Invariants the training set relies on.
    speakers = {u.speaker for u, _ in kept}
    corpora = {u.corpus for u, _ in kept}
    assert corpora == {"asterisk", "hedgewars", "kajongg", "klettres", "qabcs"}, corpora
    assert set(DEV_SPEAKERS) <= speakers and len(speakers - set(DEV_SPEAKERS)) >= 10, speakers
    assert len({u.path for u, _ in kept}) == len(kept) and len(kept) + len(dropped) == len(utts)
    assert not any(s.startswith(("hedgewars/Default_", "hedgewars/Russian")) for s in speakers)
    assert all(ALPHABET.fullmatch(u.text) for u, _ in kept)
    assert sum(s for u, s in kept if u.corpus == "asterisk") > 15 * 60, "asterisk under 15 minutes"
    for corpus in sorted(corpora):
        u, seconds = next((u, s) for u, s in kept if u.corpus == corpus)
        pcm = load(u)
        assert pcm.dtype == np.float32 and pcm.ndim == 1 and 0 < np.abs(pcm).max() <= 1.0, u
        assert pcm.size >= seconds * SAMPLE_RATE_HZ * 0.9, (u, pcm.size, seconds)


if __name__ == "__main__":
    _main()
