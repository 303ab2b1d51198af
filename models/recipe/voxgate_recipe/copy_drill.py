"""The open skills' copy drill: repeat and spell on texts the data never holds.

Repeat and spell copy the question's words letter for letter. The data teaches them on its own ~5,000
sentences and 3,000 words, and a model this size then copies the text it has seen better than new text:
typed, it drops or doubles a letter of a new word ("doomsday" spelled d o m s d a y) or runs on past the
end. The drill draws fresh words from the dictionary (never a word of a dev question, nor of voxgate's own
bench and demo questions) for every example, in two kinds of turns:
- typed (text-to-text): the answer copies the question;
- spoken with the transcript given (sequences.given_transcript_turn): the units of some training question,
  then the new question as the transcript, untrained, then the answer trained: the answer copies the
  transcript, as every spoken repeat and spell does.
An LM with whole-word pieces (text_pieces.py) also copies and spells its pieces, the training texts' most
frequent words: a piece is one token, and without this drill a new sentence's piece comes back as a
neighbouring one ("leave" repeated "eleven", "see how" as "seven who"). Pieces are training words, so drilling
them holds out nothing a dev question measures: its sentences stay unseen.
Text only, so it costs no rendering.
"""
from __future__ import annotations

import json
import os
import random
import re

from . import corpus, skills, vocab as V
from .sequences import given_transcript_turn, prompt_ids, answer_ids

MIN_LETTERS, MAX_LETTERS = 2, 12
MAX_SENTENCE_WORDS = 8
PIECE_SHARE = 1 / 3  # of drill sentences and spelled words drawn from the LM's pieces, when it has any
PIECE_WORD_SHARE = 0.8  # of a piece sentence's words that are pieces; the rest fresh words between them
WORD = re.compile(r"[a-z']+")
_REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
REPO_QUESTION_SETS = [os.path.join(_REPO, "bench", "utterances", "index.json"),
                      os.path.join(_REPO, "web", "samples", "index.json")]


def words_of(texts) -> set[str]:
    return {w for t in texts for w in WORD.findall(t.lower())}


def repo_question_texts() -> list[str]:
    """Questions and answers of voxgate's bench and demo sets (their index.json), where the repository has them."""
    out = []
    for path in REPO_QUESTION_SETS:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            doc = json.load(f)
        for u in doc.get("utterances", []) + doc.get("samples", []):
            out += [str(u.get(k) or "") for k in ("transcript", "question", "answer", "expected")]
    return out


def held_out_texts(data: dict) -> list[str]:
    """Texts measured as unseen: the data's dev questions and answers, and voxgate's bench and demo questions."""
    return [t for i in data["items"] if i["dev"] for t in (i["question"], i["answer"])] + repo_question_texts()


def held_out_words(data: dict) -> set[str]:
    """Words the drill never uses: every word of a held-out text."""
    return words_of(held_out_texts(data))


def fresh_words(excluded: set[str]) -> list[str]:
    with open(corpus.WORDS_FILE, encoding="utf-8") as f:
        words = {line.strip() for line in f}
    out = {w for w in words
           if w.isascii() and w.isalpha() and w.islower() and MIN_LETTERS <= len(w) <= MAX_LETTERS and w not in excluded}
    return sorted(out)


def fresh_sentence(words: list[str], sentences: list[str], rng: random.Random, pieces: list[str] = ()) -> str:
    """With pieces, a third of the time mostly pieces in a row; else half the time some dictionary words in a row,
    else a training sentence with one or two words replaced."""
    if pieces and rng.random() < PIECE_SHARE:
        return " ".join(rng.choice(pieces) if rng.random() < PIECE_WORD_SHARE else rng.choice(words)
                        for _ in range(rng.randint(2, MAX_SENTENCE_WORDS)))
    if not sentences or rng.random() < 0.5:
        return " ".join(rng.choice(words) for _ in range(rng.randint(2, MAX_SENTENCE_WORDS)))
    parts = rng.choice(sentences).split()
    for _ in range(rng.randint(1, 2)):
        parts[rng.randrange(len(parts))] = rng.choice(words)
    return " ".join(parts[:MAX_SENTENCE_WORDS])


def copy_triples(count: int, words: list[str], sentences: list[str], rng: random.Random,
                 pieces: list[str] = ()) -> list[tuple[str, str, str]]:
    """`pieces`: the LM's word pieces as words (no leading space); none for a character LM."""
    out = []
    for _ in range(count):
        if rng.random() < 0.5:
            source = pieces if pieces and rng.random() < PIECE_SHARE else words
            out += list(skills.spell([rng.choice(source)], rng))
        else:
            out += list(skills.repeat([fresh_sentence(words, sentences, rng, pieces)], rng))
    return out


def copy_turns(items: list[dict], units: list[list[int]], count: int, excluded: set[str],
               rng: random.Random) -> list[tuple[list[int], list[int]]]:
    """`count` drill examples, half typed and half spoken with the transcript given. `items`: the training
    items (their repeat sentences seed the new ones, their question units are heard); `excluded`: words no
    example may hold."""
    words = fresh_words(excluded)
    if not words:
        raise ValueError("the copy drill needs dictionary words outside the excluded ones")
    sentences = [i["answer"] for i in items if i["skill"] == "repeat"]
    heard = [i["q_units"] for i in items]
    out = []
    pieces = [p.strip() for p in V.text_pieces()]
    for _skill, q, a in copy_triples(count, words, sentences, rng, pieces):
        if rng.random() < 0.5:
            p, ans = prompt_ids("text-to-text", q, []), answer_ids("text-to-text", q, a, [])
            out.append((p + ans, [0] * len(p) + [1] * len(ans)))
        else:
            out.append(given_transcript_turn("speech-to-text", q, a, units[rng.choice(heard)], []))
    return out
