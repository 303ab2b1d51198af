"""espeak-ng voices for callers: a training pool and a disjoint dev pool never seen in training."""
from __future__ import annotations

import random
from dataclasses import dataclass

TRAIN_BASES = ["en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"]
TRAIN_VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f5", "klatt", "klatt2",
                  "adam", "Alex", "david", "ed", "john", "max", "linda", "paul", "rob", "belinda"]
# Held out whole: variants and an accent that no training utterance uses.
DEV_BASES = ["en-us", "en-gb", "en-us-nyc", "en-029"]
DEV_VARIANTS = ["m6", "f4", "klatt3", "Andy", "steph"]


@dataclass(frozen=True)
class Voice:
    name: str
    speed: int
    pitch: int


def sample_voice(rng: random.Random, dev: bool) -> Voice:
    bases, variants = (DEV_BASES, DEV_VARIANTS) if dev else (TRAIN_BASES, TRAIN_VARIANTS)
    base, variant = rng.choice(bases), rng.choice(variants)
    name = base if not variant else f"{base}+{variant}"
    return Voice(name, rng.randint(130, 195), rng.randint(30, 70))
