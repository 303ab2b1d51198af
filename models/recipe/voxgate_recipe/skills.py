"""The default model's skills: question and answer texts, in the canonical phrasings and variants.

Every text is lower case with no punctuation except apostrophes, since it is also spoken
and transcribed. Each generator yields (skill, question, answer).
"""
from __future__ import annotations

import random
from typing import Iterator

from .numbers import number_words

NAME = "voxgate"
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
OPS = {"plus": lambda a, b: a + b, "minus": lambda a, b: a - b, "times": lambda a, b: a * b}

SKILLS = ["repeat", "spell", "arithmetic", "next", "count", "greeting", "name", "abilities", "other"]

REPEAT_PHRASES = ["repeat after me", "please repeat after me", "say after me", "repeat this",
                  "can you repeat after me"]
SPELL_PHRASES = ["spell", "please spell", "how do you spell", "can you spell"]
ARITH_PHRASES = ["what is", "what's", "how much is", "please tell me what is"]
GREETINGS = ["hello", "hi", "hello there", "hi there", "good morning", "good evening", "hey"]
GREETING_ANSWER = f"hello i am {NAME} how can i help you"
NAME_QUESTIONS = ["what is your name", "what's your name", "who are you", "tell me your name"]
NAME_ANSWER = f"my name is {NAME}"
ABILITY_QUESTIONS = ["what can you do", "how can you help me", "what are you able to do"]
ABILITY_ANSWER = ("i can repeat after you spell words do sums up to twenty count "
                  "and say which day month or number comes next")
OTHER_ANSWER = "sorry i can only repeat spell count and do simple sums"


def repeat(sentences: list[str], rng: random.Random) -> Iterator[tuple[str, str, str]]:
    for s in sentences:
        yield "repeat", f"{rng.choice(REPEAT_PHRASES)} {s}", s


def spell(words: list[str], rng: random.Random) -> Iterator[tuple[str, str, str]]:
    for w in words:
        yield "spell", f"{rng.choice(SPELL_PHRASES)} {w}", " ".join(w)


def arithmetic(rng: random.Random) -> Iterator[tuple[str, str, str]]:
    for a in range(21):
        for b in range(21):
            for op, fn in OPS.items():
                q = f"{rng.choice(ARITH_PHRASES)} {number_words(a)} {op} {number_words(b)}"
                yield "arithmetic", q, number_words(fn(a, b))


def next_item(rng: random.Random) -> Iterator[tuple[str, str, str]]:
    for kind, items in (("day", DAYS), ("month", MONTHS)):
        for i, item in enumerate(items):
            after, before = items[(i + 1) % len(items)], items[(i - 1) % len(items)]
            yield "next", f"what {kind} comes after {item}", after
            yield "next", f"what {kind} comes before {item}", before
            yield "next", f"which {kind} comes after {item}", after
            yield "next", f"which {kind} comes before {item}", before
    for n in range(21):
        yield "next", f"what number comes after {number_words(n)}", number_words(n + 1)
        yield "next", f"which number comes after {number_words(n)}", number_words(n + 1)
        if n > 0:
            yield "next", f"what number comes before {number_words(n)}", number_words(n - 1)
            yield "next", f"which number comes before {number_words(n)}", number_words(n - 1)


def count(rng: random.Random) -> Iterator[tuple[str, str, str]]:
    for a in range(21):
        for b in range(a + 1, min(a + 11, 21)):
            phrase = rng.choice(["count from", "please count from", "can you count from"])
            yield "count", f"{phrase} {number_words(a)} to {number_words(b)}", \
                " ".join(number_words(n) for n in range(a, b + 1))


def small_talk() -> Iterator[tuple[str, str, str]]:
    for g in GREETINGS:
        yield "greeting", g, GREETING_ANSWER
    for q in NAME_QUESTIONS:
        yield "name", q, NAME_ANSWER
    for q in ABILITY_QUESTIONS:
        yield "abilities", q, ABILITY_ANSWER


def other(sentences: list[str]) -> Iterator[tuple[str, str, str]]:
    """Requests outside the skill set get a polite refusal instead of a made-up answer."""
    for s in sentences:
        yield "other", s, OTHER_ANSWER
