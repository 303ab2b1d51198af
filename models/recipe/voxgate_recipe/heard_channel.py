"""Heard units from text alone (phoneme units only): the speech encoder's channel, learnt from its own outputs.

With phoneme units the LM reads what the encoder's CTC head decided it heard: phonemes, blanks and word
boundaries, with its errors. Its transcripts then fail most on words it never saw spelled (a new word heard
right, spelled as it sounds: "cheep", "magate") and on sentences unlike its training ones (heard as a training
sentence). Rendering speech is what limits the data to some 14,000 questions; this channel makes heard units for
any text without rendering: each phoneme of the text (espeak-ng, as the encoder's targets) is replaced by what the
encoder emitted for that phoneme somewhere in the rendered training data (the phoneme itself, another one,
nothing, or more, with the blanks around it), drawn at random. It ignores the neighbours' influence, so it is an
approximation of the real channel; it is fitted on the training questions of every voice and channel, so its
error rate is theirs on average.
"""
from __future__ import annotations

import random
from collections import Counter

from . import phonemes

BLANK_CLASS = 0  # phonemes.inventory puts the blank first


def align(target: list[int], heard: list[int]) -> list[int]:
    """For each heard (non-blank) unit, the index of the target phoneme it stands for, by edit distance: the
    phoneme it matches or replaces, or for an inserted unit the target before it (-1 before the first)."""
    n, m = len(target), len(heard)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        row, prev, t = cost[i], cost[i - 1], target[i - 1]
        for j in range(1, m + 1):
            row[j] = min(prev[j - 1] + (t != heard[j - 1]), prev[j] + 1, row[j - 1] + 1)
    owner = [-1] * m
    i, j = n, m
    while j > 0:
        if i > 0 and cost[i][j] == cost[i - 1][j - 1] + (target[i - 1] != heard[j - 1]):
            owner[j - 1] = i - 1
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            owner[j - 1] = i - 1  # inserted: it follows target i-1 (or leads, at -1)
            j -= 1
    return owner


def segments(target: list[int], raw: list[int]) -> tuple[list[int], list[list[int]]]:
    """Splits a merged unit sequence (blanks included) into what was emitted before the first phoneme and what
    was emitted for each target phoneme: its units and the blanks after them (empty where it was not heard)."""
    positions = [k for k, u in enumerate(raw) if u != BLANK_CLASS]
    owner = align(target, [raw[k] for k in positions])
    lead: list[int] = []
    out: list[list[int]] = [[] for _ in target]
    current = -1
    nxt = 0
    for k, u in enumerate(raw):
        if nxt < len(positions) and positions[nxt] == k:
            # Owners only grow along the alignment; an inserted unit never moves back.
            current = max(current, owner[nxt])
            nxt += 1
        (lead if current < 0 else out[current]).append(u)
    return lead, out


class HeardChannel:
    """What the encoder emits per phoneme class, as counted over aligned training questions."""

    def __init__(self, inventory: list[str], emitted: dict[int, Counter], leads: Counter) -> None:
        self.inventory = list(inventory)
        self.ids = {p: i for i, p in enumerate(inventory)}
        self._emitted = {p: (list(c.keys()), list(c.values())) for p, c in emitted.items()}
        self._leads = (list(leads.keys()), list(leads.values()))

    def widened(self, temperature: float) -> "HeardChannel":
        """The same channel with each phoneme's emissions flattened (weights ** (1 / temperature)): rare mistakes
        drawn more often, for voices and channels harder than the fit's average (1: unchanged)."""
        if temperature <= 0:
            raise ValueError("the channel's temperature must be positive")
        emitted = {p: Counter({seg: c ** (1 / temperature) for seg, c in zip(segs, counts)})
                   for p, (segs, counts) in self._emitted.items()}
        return HeardChannel(self.inventory, emitted, Counter(dict(zip(*self._leads))))

    @classmethod
    def fit(cls, texts: list[str], heard: list[list[int]], inventory: list[str]) -> "HeardChannel":
        """`heard[n]`: the merged phoneme-class units (blank = 0) the encoder gave for a rendering of `texts[n]`."""
        ids = {p: i for i, p in enumerate(inventory)}
        emitted: dict[int, Counter] = {}
        leads: Counter = Counter()
        for phones, raw in zip(phonemes.phonemize(texts), heard):
            target = [ids[p] for p in phones if p in ids]
            if not target:
                continue
            lead, per_phone = segments(target, raw)
            leads[tuple(lead)] += 1
            for p, seg in zip(target, per_phone):
                emitted.setdefault(p, Counter())[tuple(seg)] += 1
        if not emitted:
            raise ValueError("no aligned question to fit the heard channel on")
        return cls(inventory, emitted, leads)

    def error_rate(self) -> float:
        """Share of phonemes not emitted as themselves alone (blanks aside): the channel's phoneme error rate."""
        wrong = total = 0
        for p, (segs, counts) in self._emitted.items():
            for seg, c in zip(segs, counts):
                total += c
                wrong += c * ([u for u in seg if u != BLANK_CLASS] != [p])
        return wrong / max(1, total)

    def sample_classes(self, phones: list[str], rng: random.Random) -> list[int]:
        """Heard phoneme classes for one rendering of `phones`, repeats merged as the extractor merges them."""
        segs, weights = self._leads
        out = list(rng.choices(segs, weights)[0]) if segs else []
        for p in phones:
            cls = self.ids.get(p)
            if cls is None:
                continue
            if cls in self._emitted:
                segs, weights = self._emitted[cls]
                out.extend(rng.choices(segs, weights)[0])
            else:
                out.extend((cls, BLANK_CLASS))  # a phoneme the fit never met: heard as itself
        merged: list[int] = []
        for u in out:
            if not merged or merged[-1] != u:
                merged.append(u)
        return merged

    def sample(self, texts: list[str], rng: random.Random, offset: int = 0) -> list[list[int]]:
        """Heard units for each text: phoneme classes plus `offset` (where the data's heard units start)."""
        return [[offset + u for u in self.sample_classes(phones, rng)] for phones in phonemes.phonemize(texts)]
