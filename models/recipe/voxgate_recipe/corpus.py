"""Sentence and word sources: Debian's fortunes and word list, plus sentences voxgate writes itself.

Breadth of distinct texts is what lets transcription and repetition generalise to sentences
the model never saw, so the corpus mixes thousands of short sentences of varied vocabulary.
"""
from __future__ import annotations

import glob
import itertools
import random
import re
from typing import Iterator

FORTUNE_DIR = "/usr/share/games/fortunes"
WORDS_FILE = "/usr/share/dict/words"
# Collections left out: pictures, and themes unsuited to a product demo.
SKIPPED_FORTUNES = ("art", "ascii-art", "drugs", "ethnic", "sex", "politics", "medicine", "religion",
                    "men-women", "love", "miscellaneous", "linux", "perl", "riddles")
MAX_WORDS = 9
MAX_CHARS = 48
SENTENCE = re.compile(r"[a-z' ]+")


def _fortune_texts() -> Iterator[str]:
    """Each kept collection's whole text."""
    for path in sorted(glob.glob(f"{FORTUNE_DIR}/*")):
        name = path.rsplit("/", 1)[-1]
        if "." in name or name in SKIPPED_FORTUNES:
            continue
        yield open(path, encoding="latin-1").read()


def fortune_sentences() -> list[str]:
    found: set[str] = set()
    for text in _fortune_texts():
        for cookie in text.split("\n%\n"):
            for s in re.split(r"(?<=[.!?])\s+", " ".join(cookie.split())):
                # Commas go after the end's punctuation, so a few sentences end in a space ("... alive "). Left so:
                # the phoneme classes and the shipped model's data come from these texts as they are (stripping
                # them gave 72 classes, not the shipped folder's 70); bench/hearing.ts ignores end spaces.
                s = re.sub(r"[.!?,;:]+$", "", s.strip().lower()).replace(",", "")
                if SENTENCE.fullmatch(s) and 3 <= len(s.split()) <= MAX_WORDS and len(s) <= MAX_CHARS:
                    found.add(s)
    return sorted(found)


def fortune_clauses() -> list[str]:
    """Every clause of the same fortunes, cut at any punctuation: many more short texts than the whole sentences
    fortune_sentences keeps, for text-only training (heard_text.py)."""
    found: set[str] = set()
    for text in _fortune_texts():
        for clause in re.split(r"[.!?,;:()\"\n-]+", text.lower()):
            c = " ".join(clause.split())
            if SENTENCE.fullmatch(c) and 2 <= len(c.split()) <= MAX_WORDS and len(c) <= MAX_CHARS:
                found.add(c)
    return sorted(found)


SUBJECTS = ["the cat", "my brother", "our teacher", "the old man", "a small dog", "my friend", "the farmer",
            "her sister", "the pilot", "a young girl", "the baker", "his mother", "the children", "we",
            "they", "i", "you", "the doctor", "my neighbour", "the driver", "a tall woman", "the team"]
VERBS = ["found", "painted", "carried", "opened", "cleaned", "watched", "bought", "fixed", "lost",
         "wanted", "needed", "moved", "liked", "sold", "dropped", "kept", "made", "saw", "took", "left"]
OBJECTS = ["a red box", "the green door", "some fresh bread", "an old letter", "the big window",
           "a blue car", "the heavy bag", "a warm coat", "the kitchen table", "a paper boat",
           "the garden gate", "a new phone", "the yellow kite", "a cup of tea", "the wooden chair",
           "a bunch of flowers", "the last train ticket", "a silver ring", "the front steps"]
PLACES = ["in the morning", "near the river", "at the station", "after lunch", "before dinner",
          "in the park", "on monday", "last night", "at school", "by the sea", "in the rain",
          "on the hill", "at the market", "in winter", "after work", ""]


def written_sentences(rng: random.Random, count: int) -> list[str]:
    combos = list(itertools.product(SUBJECTS, VERBS, OBJECTS, PLACES))
    rng.shuffle(combos)
    out = []
    for s, v, o, p in combos[:count]:
        out.append(" ".join(x for x in (s, v, o, p) if x))
    return out


def spelling_words() -> list[str]:
    words = set()
    for w in open(WORDS_FILE, encoding="utf-8"):
        w = w.strip()
        if w.isascii() and w.isalpha() and w.islower() and 3 <= len(w) <= 8:
            words.add(w)
    return sorted(words)
