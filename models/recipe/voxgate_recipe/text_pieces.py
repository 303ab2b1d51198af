"""Word pieces for the LM's text: the training texts' most frequent words, each one token.

A character vocabulary spends one decode step per character, and every transcript and answer character
is decoded before the first answer audio can be vocoded: the load tester's 21 questions' transcripts and answers
average 45 tokens with their separator and spaces; with the 500 most frequent training words as tokens, 11.9.
A piece is a whole word with its leading space (" what": lower-case letters, digits, apostrophes; `is_text_piece`),
and it stands for that word only where the whole word is written: any other word, a word the LM never saw among
them, is its characters, as in a character LM, so the LM reads and spells an unseen word letter by letter.
(Byte-pair pieces, tried first, cut the tokens as much but split unseen words into pieces whose letters the LM
had to learn one by one: typed spelling fell from 50/50 to 41/50. With 50 merges already 97 % of unseen words
held a multi-letter piece.) Text can never spell a marker or a unit token, and the gateway's tokenizer
(server/src/runtimes/tokenizer.ts) tells a piece from any other token by the same rule and tokenises alike.
"""
from __future__ import annotations

import collections
import re

_PIECE = re.compile(r"^ [a-z0-9']+$")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789'")


def is_text_piece(text: str) -> bool:
    """A token that is a whole word with its leading space: letters, digits, apostrophes."""
    return _PIECE.match(text) is not None


def learn_pieces(texts: list[str], count: int) -> list[str]:
    """Up to `count` words (with their leading space) seen at least twice, most frequent first, ties by text."""
    freq = collections.Counter(" " + w for t in texts for w in t.lower().split())
    ranked = sorted((w for w, n in freq.items() if n >= 2 and is_text_piece(w)), key=lambda w: (-freq[w], w))
    return ranked[:count]


def word_at(text: str, i: int) -> str | None:
    """The whole word with its leading space starting at `i` (" what" in "x what is"), or None where no word starts."""
    if text[i] != " ":
        return None
    j = i + 1
    while j < len(text) and text[j] in _WORD_CHARS:
        j += 1
    return text[i:j] if j > i + 1 else None
