"""Word pieces for the LM's text: byte-pair merges learned on the training texts.

A character vocabulary spends one decode step per character, and every transcript and answer character
is decoded before the first answer audio can be vocoded: the 21 bench questions' transcripts and answers
average 44 tokens with their separator and spaces. 500 merges of frequent character pairs within words (a
word carries its leading space, as " what") bring that to 11.4. Pieces only ever join letters, digits and apostrophes, with at most
one leading space (`is_text_piece`), so text can never spell a marker or a unit token, and the gateway's
tokenizer (server/src/runtimes/tokenizer.ts) tells a piece from any other token by the same rule.
Both sides tokenise text by longest match, left to right, over the pieces and single characters.
"""
from __future__ import annotations

import collections
import re

_PIECE = re.compile(r"^ ?[a-z0-9']+$")


def is_text_piece(text: str) -> bool:
    """A multi-character token that is a word or word piece: letters, digits, apostrophes, at most a leading space."""
    return len(text) > 1 and _PIECE.match(text) is not None


def learn_pieces(texts: list[str], merges: int) -> list[str]:
    """Up to `merges` pieces, most frequent merge first; ties broken by the pair's text, so the result is fixed."""
    freq = collections.Counter(" " + w for t in texts for w in t.lower().split())
    words = {w: list(w) for w in freq}
    pieces: list[str] = []
    for _ in range(merges):
        pairs: collections.Counter[tuple[str, str]] = collections.Counter()
        for w, symbols in words.items():
            for a, b in zip(symbols, symbols[1:]):
                if is_text_piece(a + b):
                    pairs[(a, b)] += freq[w]
        if not pairs:
            break
        (a, b), count = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if count < 2:
            break
        if a + b not in pieces:  # two merges can spell the same piece ("ab" + "c", "a" + "bc")
            pieces.append(a + b)
        for w, symbols in words.items():
            words[w] = _merged(symbols, a, b)
    return pieces


def _merged(symbols: list[str], a: str, b: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out
