"""Training examples heard from text alone (build.py --heard-text; phoneme units only): questions the data never
rendered, with heard units drawn from the encoder's channel (heard_channel.py).

Two kinds, as the rendered data has them: transcription (stage 2: heard units, then the text) and speech-to-text
turns (stage 3): the open skills on new texts (repeat a fortune clause, spell a fresh dictionary word, refuse an
out-of-scope clause of three words or more) and the closed skills' own questions (greetings and small talk, sums,
next and count), heard through the channel as often as refusals, so a short question heard wrong is not taught as
out of scope by the refusals alone. The texts are fortune clauses (some 40,000) and fresh dictionary words, never a dev text
or a bench or demo question: a clause sharing three words in a row with one of those is left out, as is every
word of a dev spelling question, and every clause that is or begins like a skill's question.
"""
from __future__ import annotations

import random

from . import copy_drill, corpus, skills
from .heard_channel import HeardChannel
from .sequences import answer_ids, asr_example, prompt_ids

NGRAM = 3


def _ngrams(text: str) -> set[tuple[str, ...]]:
    w = text.split()
    return {tuple(w[k : k + NGRAM]) for k in range(len(w) - NGRAM + 1)}


# How a skill's questions begin: a clause beginning so is a question of that skill, not an out-of-scope one.
SKILL_OPENINGS = tuple(skills.REPEAT_PHRASES + skills.SPELL_PHRASES + skills.ARITH_PHRASES + [
    "count from", "please count", "can you count", "what day", "which day", "what month", "which month",
    "what number", "which number", "hello", "hi", "hey", "good morning", "good evening"])


SMALL_TALK = frozenset(q for _s, q, _a in skills.small_talk())


def in_skill(clause: str) -> bool:
    """A clause that is, or begins like, one of the skills' questions: heard as "other" it would teach refusing
    them (fortunes hold "good morning" and "who are you")."""
    return clause in SMALL_TALK or any(clause == o or clause.startswith(o + " ") for o in SKILL_OPENINGS)


def fresh_clauses(data: dict) -> list[str]:
    """Fortune clauses that share no three words in a row with a held-out text, hold no held-out spelling word and
    are not a skill's question."""
    held = copy_drill.held_out_texts(data)
    grams = set().union(*(_ngrams(t) for t in held)) if held else set()
    whole = set(held)
    spelled = {i["answer"].replace(" ", "") for i in data["items"] if i["dev"] and i["skill"] == "spell"}
    return [c for c in corpus.fortune_clauses()
            if c not in whole and not (_ngrams(c) & grams) and not (set(c.split()) & spelled) and not in_skill(c)]


# Out-of-scope clauses shorter than this are left out: a two-word refusal looks like a misheard greeting.
MIN_OTHER_WORDS = 3
# Of the closed skills' heard questions, this share is small talk (14 questions), the rest sums, next and count.
SMALL_TALK_SHARE = 0.5


class HeardText:
    """Draws heard-from-text examples for one build: its channel, clauses and fresh words."""

    def __init__(self, channel: HeardChannel, data: dict, offset: int) -> None:
        self.channel = channel
        self.offset = offset
        self.clauses = fresh_clauses(data)
        self.words = copy_drill.fresh_words(copy_drill.held_out_words(data))
        self.other_clauses = [c for c in self.clauses if len(c.split()) >= MIN_OTHER_WORDS]
        self.small_talk = list(skills.small_talk())
        # Closed skills: their questions are a finite set, every one already in the rendered training data.
        # Three draws of their phrasings ("what is" / "how much is", "count from" / "please count from").
        self.closed = sorted({t for seed in range(3) for gen in (skills.arithmetic, skills.next_item, skills.count)
                              for t in gen(random.Random(seed))})
        if not self.other_clauses or not self.words:
            raise ValueError("heard text needs fortune clauses and dictionary words outside the held-out ones")

    def triples(self, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
        """Questions: repeat 35 %, spell 30 % (new texts), out of scope 17.5 %, closed skills 17.5 % (half small talk)."""
        out = []
        for _ in range(count):
            r = rng.random()
            if r < 0.35:
                out += skills.repeat([rng.choice(self.clauses)], rng)
            elif r < 0.65:
                out += skills.spell([rng.choice(self.words)], rng)
            elif r < 0.825:
                out += skills.other([rng.choice(self.other_clauses)])
            elif rng.random() < SMALL_TALK_SHARE:
                out.append(rng.choice(self.small_talk))
            else:
                out.append(rng.choice(self.closed))
        return out

    def transcriptions(self, count: int, rng: random.Random) -> list[tuple[list[int], list[int]]]:
        """Stage-2 examples: half plain clauses, half skill questions, each heard through the channel."""
        texts = [rng.choice(self.clauses) if rng.random() < 0.5 else q for _s, q, _a in self.triples(count, rng)]
        heard = self.channel.sample(texts, rng, self.offset)
        return [asr_example(u, t, rng) for t, u in zip(texts, heard)]

    def turns(self, count: int, rng: random.Random) -> list[tuple[list[int], list[int]]]:
        """Stage-3 speech-to-text turns: the question heard through the channel, transcript and answer trained."""
        triples = self.triples(count, rng)
        heard = self.channel.sample([q for _s, q, _a in triples], rng, self.offset)
        out = []
        for (_s, q, a), u in zip(triples, heard):
            p, ans = prompt_ids("speech-to-text", q, u), answer_ids("speech-to-text", q, a, [])
            out.append((p + ans, [0] * len(p) + [1] * len(ans)))
        return out
