"""Token sequences for the three training stages, in the manifest's chain-of-modality template.

Each example is (ids, loss_mask): the loss covers what the assistant says (stages 2 and 3)
or everything (stage 1, unit sequences alone).
"""
from __future__ import annotations

import random

from . import vocab as V
from .task_descriptions import ASR, TTS

MODES = ["speech-to-speech", "speech-to-text", "text-to-speech", "text-to-text"]
PROMPTS = {
    "speech-to-speech": "[Human]:<sosp>{input}<eosp><2s><eoh>[Assistant]:",
    "speech-to-text": "[Human]:<sosp>{input}<eosp><2t><eoh>[Assistant]:",
    "text-to-speech": "[Human]:{input}<2s><eoh>[Assistant]:",
    "text-to-text": "[Human]:{input}<2t><eoh>[Assistant]:",
}
# Share of each mode in chain-of-modality fine-tuning: speech output is the hardest part.
MODE_WEIGHTS = [0.4, 0.2, 0.25, 0.15]


def prompt_ids(mode: str, question: str, q_units: list[int]) -> list[int]:
    before, after = PROMPTS[mode].split("{input}")
    middle = V.encode_units(q_units) if mode.startswith("speech") else V.encode_text(question)
    return V.encode_template(before) + middle + V.encode_template(after)


def answer_ids(mode: str, question: str, answer: str, a_units: list[int]) -> list[int]:
    """`[tq] q; [ta] a; [ua] units<eoa>` with the parts each mode has."""
    ids: list[int] = []
    if mode.startswith("speech"):
        ids += [V.TQ_ID] + V.encode_text(" " + question + ";") + V.encode_text(" ")
    ids += [V.TA_ID] + V.encode_text(" " + answer)
    if mode.endswith("speech"):
        ids += V.encode_text("; ") + [V.UA_ID] + V.encode_text(" ") + V.encode_spoken_units(a_units)
    return ids + [V.EOA_ID]


def com_turn(mode: str, item: dict, units: list[list[int]]) -> tuple[list[int], list[int]]:
    p = prompt_ids(mode, item["question"], units[item["q_units"]])
    a = answer_ids(mode, item["question"], item["answer"], units[item["a_units"]])
    return p + a, [0] * len(p) + [1] * len(a)


def stage1(units: list[list[int]]) -> list[tuple[list[int], list[int]]]:
    """Modality adaptation: plain unit sequences, next-token prediction on all of them."""
    out = []
    for u in units:
        ids = [V.SOSP_ID] + V.encode_units(u) + [V.EOSP_ID]
        out.append((ids, [1] * len(ids)))
    return out


def asr_example(heard_units: list[int], text: str, rng: random.Random) -> tuple[list[int], list[int]]:
    """A transcription instruction with a random description: the heard units, then the text trained."""
    p = V.encode_template("[Human]:") + V.encode_text(rng.choice(ASR) + " this is input: ") + \
        [V.SOSP_ID] + V.encode_units(heard_units) + [V.EOSP_ID, V.EOH_ID, V.ASSISTANT_ID]
    a = V.encode_text(text) + [V.EOA_ID]
    return p + a, [0] * len(p) + [1] * len(a)


def stage2(items: list[dict], units: list[list[int]], rng: random.Random) -> list[tuple[list[int], list[int]]]:
    """Cross-modal instructions: ASR (caller voices) and TTS (answer voice), each with a random description."""
    out = []
    for item in items:
        out.append(asr_example(units[item["q_units"]], item["question"], rng))
        p = V.encode_template("[Human]:") + V.encode_text(rng.choice(TTS) + " this is input: " + item["answer"]) + \
            [V.EOH_ID, V.ASSISTANT_ID]
        a = V.encode_spoken_units(units[item["a_units"]]) + [V.EOA_ID]
        out.append((p + a, [0] * len(p) + [1] * len(a)))
    return out


def stage3(items: list[dict], units: list[list[int]], rng: random.Random, multi_turn_share: float,
           max_tokens: int) -> list[tuple[list[int], list[int]]]:
    """Chain-of-modality conversations in the four modes; some carry an earlier turn as context."""
    out = []
    for item in items:
        mode = rng.choices(MODES, MODE_WEIGHTS)[0]
        ids, mask = com_turn(mode, item, units)
        if rng.random() < multi_turn_share:
            prev = rng.choice(items)
            pids, _ = com_turn(rng.choices(MODES, MODE_WEIGHTS)[0], prev, units)
            if len(pids) + len(ids) <= max_tokens:
                ids, mask = pids + ids, [0] * len(pids) + mask
        out.append((ids[:max_tokens], mask[:max_tokens]))
    return out


def grounded_turns(items: list[dict], units: list[list[int]], rng: random.Random,
                   count: int) -> list[tuple[list[int], list[int]]]:
    """Speech turns that hear another question's units, with the transcript given and not trained on: the
    answer can only come from the transcript. Heard units of an unseen voice can still lead to the right
    transcript and then a wrong answer drawn from the units ("what is two plus three" heard right, answered
    "fifteen"); a caller reads that transcript, so the answer must follow it."""
    speech_modes = [m for m in MODES if m.startswith("speech")]
    weights = [w for m, w in zip(MODES, MODE_WEIGHTS) if m.startswith("speech")]
    if len({i["question"] for i in items}) < 2:
        raise ValueError("grounded turns need at least two different questions")
    out = []
    for _ in range(count):
        item = rng.choice(items)
        other = rng.choice(items)
        while other["question"] == item["question"]:
            other = rng.choice(items)
        mode = rng.choices(speech_modes, weights)[0]
        out.append(given_transcript_turn(mode, item["question"], item["answer"], units[other["q_units"]],
                                         units[item["a_units"]]))
    return out


def given_transcript_turn(mode: str, question: str, answer: str, heard_units: list[int],
                          answer_units: list[int]) -> tuple[list[int], list[int]]:
    """A speech turn that hears `heard_units` and is given `question` as its transcript, untrained: the loss
    starts at the answer marker, so what is learnt is the answer that follows the transcript."""
    p = prompt_ids(mode, question, heard_units)
    a = answer_ids(mode, question, answer, answer_units)
    given = 1 + len(V.encode_text(" " + question + ";")) + len(V.encode_text(" "))
    assert a[given] == V.TA_ID, "the loss must start at the answer marker"
    return p + a, [0] * (len(p) + given) + [1] * (len(a) - given)


def text_drill(triples: list[tuple[str, str, str]], copies: int, rng: random.Random) -> list[tuple[list[int], list[int]]]:
    """Typed turns (text-to-text) of every closed-skill fact, `copies` times each: cheap, short examples
    that teach the facts themselves (sums, next/before, counting) apart from hearing them."""
    out = []
    for _ in range(copies):
        for _skill, q, a in triples:
            p = prompt_ids("text-to-text", q, [])
            ans = answer_ids("text-to-text", q, a, [])
            out.append((p + ans, [0] * len(p) + [1] * len(ans)))
    rng.shuffle(out)
    return out
