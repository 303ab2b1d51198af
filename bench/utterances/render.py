"""Renders the load tester's callers: questions across the default model's skills, spoken by espeak-ng voices
the model never trained on (voices.DEV_VARIANTS and the en-us-nyc accent), rendered and trimmed exactly as the
recipe renders its training audio, with expected transcripts and answers taken from the recipe's skills.

    /usr/bin/python3 bench/utterances/render.py            # rewrites bench/utterances/*.wav and index.json
"""
from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models", "recipe"))

from voxgate_recipe import skills  # noqa: E402
from voxgate_recipe.audio import SAMPLE_RATE_HZ, render, write_wav  # noqa: E402
from voxgate_recipe.numbers import number_words  # noqa: E402
from voxgate_recipe.voices import DEV_VARIANTS, TRAIN_VARIANTS  # noqa: E402


def arith(phrase: str, a: int, op: str, b: int) -> tuple[str, str, str]:
    return "arithmetic", f"{phrase} {number_words(a)} {op} {number_words(b)}", number_words(skills.OPS[op](a, b))


def count(a: int, b: int) -> tuple[str, str, str]:
    return "count", f"count from {number_words(a)} to {number_words(b)}", " ".join(number_words(n) for n in range(a, b + 1))


# (skill, question, expected answer): the answers follow skills.py, so they match what the model was taught.
QUESTIONS: list[tuple[str, str, str]] = [
    ("repeat", "repeat after me the cat sat on the mat", "the cat sat on the mat"),
    ("repeat", "say after me i like green apples", "i like green apples"),
    ("spell", "spell cat", "c a t"),
    ("spell", "how do you spell house", "h o u s e"),
    arith("what is", 2, "plus", 3),
    arith("what is", 7, "times", 3),
    arith("how much is", 12, "minus", 4),
    arith("what is", 9, "plus", 11),
    ("next", "what day comes after monday", "tuesday"),
    ("next", "which day comes before sunday", "saturday"),
    ("next", "what month comes after may", "june"),
    ("next", "which month comes before january", "december"),
    ("next", "what number comes after nine", "ten"),
    ("next", "what number comes before fifteen", "fourteen"),
    count(1, 5),
    count(10, 13),
    ("greeting", "hello", skills.GREETING_ANSWER),
    ("greeting", "good morning", skills.GREETING_ANSWER),
    ("name", "what is your name", skills.NAME_ANSWER),
    ("name", "who are you", skills.NAME_ANSWER),
    ("abilities", "what can you do", skills.ABILITY_ANSWER),
]

# Held-out voices only: each a dev variant on a base, or the dev-only accent bare.
VOICES = ["en-us+m6", "en-gb+f4", "en-us-nyc", "en-029+klatt3", "en-us+Andy", "en-gb+steph", "en-us-nyc+f4",
          "en-us+klatt3", "en-gb+m6", "en-us-nyc+Andy", "en-029+steph"]
SPEEDS = [150, 165, 175, 160, 140, 170, 155]
PITCHES = [45, 55, 40, 60, 50]


def main() -> None:
    for v in VOICES:
        variant = v.split("+")[1] if "+" in v else ""
        assert variant not in TRAIN_VARIANTS or variant == "", v
        assert variant == "" or variant in DEV_VARIANTS, v
    entries = []
    for i, (skill, question, answer) in enumerate(QUESTIONS):
        voice, speed, pitch = VOICES[i % len(VOICES)], SPEEDS[i % len(SPEEDS)], PITCHES[i % len(PITCHES)]
        pcm = render(question, voice, speed, pitch)
        slug = "-".join(question.split()[:5]).replace("'", "")
        file = f"{i + 1:02d}-{skill}-{slug}.wav"
        write_wav(os.path.join(HERE, file), pcm)
        entries.append({
            "id": f"{i + 1:02d}-{skill}",
            "file": file,
            "skill": skill,
            "transcript": question,
            "answer": answer,
            "voice": voice,
            "speed": speed,
            "pitch": pitch,
            "durationMs": round(len(pcm) * 1000 / SAMPLE_RATE_HZ),
        })
    index = {
        "description": "Questions for voxgate loadtest: espeak-ng voices held out of training, 16 kHz mono 16-bit, "
                       "trimmed as the recipe trims training audio. Rendered by render.py.",
        "sampleRateHz": SAMPLE_RATE_HZ,
        "utterances": entries,
    }
    with open(os.path.join(HERE, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    total_s = sum(e["durationMs"] for e in entries) / 1000
    print(f"{len(entries)} utterances, {total_s:.1f} s of speech → {HERE}")


if __name__ == "__main__":
    main()
