"""The recipe's eval: transcript WER, answer accuracy per skill and mode, vocoder round trip, speed.

Everything is measured on dev items: unseen voices always, unseen sentences and words for
the open skills (repeat, spell, other, transcription).
"""
from __future__ import annotations

import random
import time
from collections import defaultdict
from typing import Callable

import numpy as np

from . import vocab as V
from .decode import CachedDecoder
from .lm_model import LlamaLm
from .sequences import MODES, prompt_ids
from .dataset import ANSWER_SYNTH
from .synth import synthesize
from .units import UnitExtractor, merge_repeats

MAX_NEW_TOKENS = 700


def edit_distance(a: list, b: list) -> int:
    """Levenshtein distance between two sequences (words, phonemes, ...)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """Levenshtein distance over words, and the reference length."""
    r = ref.split()
    return edit_distance(r, hyp.split()), len(r)


def parse(ids: list[int]) -> dict:
    """Splits chain-of-modality output into transcript, answer and units."""
    parts: dict[str, list[int]] = {"tq": [], "ta": [], "ua": []}
    current = None
    marks = {V.TQ_ID: "tq", V.TA_ID: "ta", V.UA_ID: "ua"}
    for t in ids:
        if t in marks:
            current = marks[t]
        elif t == V.EOA_ID:
            break
        elif current is not None:
            parts[current].append(t)

    def text(tokens: list[int]) -> str:
        return "".join(V.text_of(t) for t in tokens).strip().rstrip(";").strip()

    return {"transcript": text(parts["tq"]), "answer": text(parts["ta"]),
            "units": V.decode_spoken_units([V.unit_of_token(t) for t in parts["ua"] if V.unit_of_token(t) >= 0])}


def run_turn(lm: LlamaLm, mode: str, question: str, q_units: list[int]) -> tuple[dict, int]:
    out = CachedDecoder(lm).generate(prompt_ids(mode, question, q_units), MAX_NEW_TOKENS, V.EOA_ID)
    return parse(out), len(out)


def transcribe(lm: LlamaLm, extractor: UnitExtractor, wav: np.ndarray) -> str:
    units = merge_repeats(extractor.frame_units(wav))[0].tolist()
    return run_turn(lm, "speech-to-text", "", units)[0]["transcript"]


def evaluate(lm: LlamaLm, extractor: UnitExtractor, data: dict, vocode: Callable[[list[int]], np.ndarray] | None,
             per_skill: int, seed: int, log=print) -> dict:
    """vocode None: no vocoder round trip (a warm-started build keeps the shipped vocoder's ONNX only)."""
    rng = random.Random(seed)
    units = data["units"]
    dev = [i for i in data["items"] if i["dev"]]
    by_skill: dict[str, list[dict]] = defaultdict(list)
    for item in dev:
        by_skill[item["skill"]].append(item)

    correct: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    wer_unseen_sentences = [0, 0]
    wer_all = [0, 0]
    roundtrip_generated = [0, 0]
    roundtrip_reference = [0, 0]
    roundtrip_espeak = [0, 0]
    examples: list[dict] = []
    decode_tokens, decode_seconds = 0, 0.0
    for skill, items in sorted(by_skill.items()):
        chosen = rng.sample(items, min(per_skill, len(items)))
        for n, item in enumerate(chosen):
            q_units = units[item["q_units"]]
            modes = ["speech-to-text"] if skill == "asr" else MODES
            for mode in modes:
                t0 = time.time()
                out, count = run_turn(lm, mode, item["question"], q_units)
                decode_seconds += time.time() - t0
                decode_tokens += count
                if mode.startswith("speech"):
                    e, w = word_errors(item["question"], out["transcript"])
                    wer_all[0] += e
                    wer_all[1] += w
                    if skill in ("asr", "repeat", "other", "spell"):
                        wer_unseen_sentences[0] += e
                        wer_unseen_sentences[1] += w
                if skill != "asr":
                    ok = out["answer"] == item["answer"]
                    correct[skill][mode][0] += int(ok)
                    correct[skill][mode][1] += 1
                if mode == "speech-to-speech" and n < 12 and out["units"] and vocode is not None:
                    heard = transcribe(lm, extractor, vocode(out["units"]))
                    e, w = word_errors(item["answer"], heard)
                    roundtrip_generated[0] += e
                    roundtrip_generated[1] += w
                    heard_ref = transcribe(lm, extractor, vocode(units[item["a_units"]]))
                    e, w = word_errors(item["answer"], heard_ref)
                    roundtrip_reference[0] += e
                    roundtrip_reference[1] += w
                    # The floor under both: the answer voice's own espeak-ng rendering, no vocoder. The LM
                    # learnt to transcribe questions, not answers (letters, number lists), so this is far from 0.
                    heard_espeak = transcribe(lm, extractor, synthesize(item["answer"], ANSWER_SYNTH))
                    e, w = word_errors(item["answer"], heard_espeak)
                    roundtrip_espeak[0] += e
                    roundtrip_espeak[1] += w
                    if len(examples) < 12:
                        examples.append({"skill": skill, "question": item["question"], "transcript": out["transcript"],
                                         "answer": out["answer"], "expected": item["answer"], "vocoded_heard": heard})
        log(f"eval {skill}: " + ", ".join(f"{m} {c[0]}/{c[1]}" for m, c in correct[skill].items()))

    def rate(pair: list[int]) -> float | None:
        return None if pair[1] == 0 else round(pair[0] / pair[1], 4)

    accuracy = {s: {m: rate(c) for m, c in modes.items()} for s, modes in correct.items()}
    per_skill_acc = {s: rate([sum(c[0] for c in modes.values()), sum(c[1] for c in modes.values())])
                     for s, modes in correct.items()}
    return {
        "transcriptWerUnseenVoices": rate(wer_all),
        "transcriptWerUnseenSentences": rate(wer_unseen_sentences),
        "answerAccuracyPerSkill": per_skill_acc,
        "answerAccuracyPerSkillAndMode": accuracy,
        "vocoderRoundTripWerGeneratedUnits": rate(roundtrip_generated),
        "vocoderRoundTripWerReferenceUnits": rate(roundtrip_reference),
        "answerVoiceTranscriptWerWithoutVocoder": rate(roundtrip_espeak),
        "torchDecodeMsPerToken": round(1000 * decode_seconds / max(1, decode_tokens), 2),
        "examples": examples,
    }
