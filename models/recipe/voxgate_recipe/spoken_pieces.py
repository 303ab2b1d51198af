"""Spoken-unit pieces: the answer units' most frequent runs, each one LM token (byte-pair merges over units).

Every answer unit is a decode step, and the units are most of an answer's tokens (a turn generated 83 tokens for
1.4 s of answer, most of them units): the LM's pace per token under load is what ends the gateway's capacity.
The answers are spoken by one voice, so their unit runs repeat: 256 merges learned on the training answers make
a held-out answer 2.3 times fewer tokens. A piece is a unit token numbered after the heard units (`<198>` ...);
the manifest's `lm.spokenPieces` lists the spoken units each stands for, and the gateway hands the vocoder those
units in order, so the vocoder is unchanged.
"""
from __future__ import annotations

import collections


def learn_merges(seqs: list[list[int]], count: int, first: int) -> list[tuple[int, int]]:
    """Up to `count` merges, most frequent pair first (ties by the pair), merge k making unit `first + k`;
    a pair must occur at least twice."""
    cur = [list(s) for s in seqs]
    merges: list[tuple[int, int]] = []
    for k in range(count):
        pairs = collections.Counter()
        for s in cur:
            pairs.update(zip(s, s[1:]))
        if not pairs:
            break
        pair, n = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < 2:
            break
        merges.append(pair)
        cur = [_merge(s, pair, first + k) for s in cur]
    return merges


def _merge(s: list[int], pair: tuple[int, int], new: int) -> list[int]:
    a, b = pair
    out: list[int] = []
    i = 0
    while i < len(s):
        if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(s[i])
            i += 1
    return out


def encode(units: list[int], merges: list[tuple[int, int]], first: int) -> list[int]:
    """The units with every merge applied in the order learned."""
    out = list(units)
    for k, pair in enumerate(merges):
        if len(out) < 2:
            break
        out = _merge(out, pair, first + k)
    return out


def expansions(merges: list[tuple[int, int]], first: int) -> list[list[int]]:
    """The spoken units each piece stands for, piece k (unit `first + k`) at index k."""
    flat: list[list[int]] = []
    for a, b in merges:
        flat.append(_expand(a, flat, first) + _expand(b, flat, first))
    return flat


def _expand(u: int, flat: list[list[int]], first: int) -> list[int]:
    return flat[u - first] if first <= u < first + len(flat) else [u]


def decode(ids: list[int], merges: list[tuple[int, int]], first: int) -> list[int]:
    """Units with pieces back to spoken units."""
    flat = expansions(merges, first)
    return [x for u in ids for x in _expand(u, flat, first)]
