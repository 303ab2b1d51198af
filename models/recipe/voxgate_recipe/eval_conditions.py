"""Transcript WER per listening condition: the model card's table of who and what the model can hear.

Each condition renders dev sentences (never trained on) in its own voices and channel, and goes
through the same path as the gateway: units of the whole utterance after the left context (which
the streaming extractor reproduces exactly), merged, then the LM in speech-to-text mode.
"""
from __future__ import annotations

import random

from .augment import CLEAN_CHAIN, random_chain
from .dataset import render_job
from .evaluate import transcribe, word_errors
from .synth import FESTIVAL_DEV, sample_festival_voice, sample_synth_voice

CLEAN = None


CONDITIONS = {
    "trainingVoices": (lambda rng: sample_synth_voice(rng, False), lambda rng: CLEAN),
    "unseenEspeakVoices": (lambda rng: sample_synth_voice(rng, True, flite_share=0.0), lambda rng: CLEAN),
    "heldOutFliteVoice": (lambda rng: sample_synth_voice(rng, True, flite_share=1.0), lambda rng: CLEAN),
    "telephoneBand": (lambda rng: sample_synth_voice(rng, True, flite_share=0.0),
                      lambda rng: {**CLEAN_CHAIN, "telephone": True}),
    "opusRoundTrip": (lambda rng: sample_synth_voice(rng, True, flite_share=0.0),
                      lambda rng: {**CLEAN_CHAIN, "opusKbps": 24}),
    "noisyRoomUnseenVoices": (lambda rng: sample_synth_voice(rng, True, flite_share=0.0), random_chain),
}

# Rendered on request only (render_dev --conditions), not in a build's eval: Festival, a synthesizer the shipped
# models never trained on (both its voices), and its voice that no training ever hears (encoder_data's festival_share
# trains on the other).
EXTRA_CONDITIONS = {
    "festivalVoices": (lambda rng: sample_festival_voice(rng), lambda rng: CLEAN),
    "heldOutFestivalVoice": (lambda rng: sample_festival_voice(rng, FESTIVAL_DEV), lambda rng: CLEAN),
}


def evaluate_conditions(lm, extractor, data: dict, per_condition: int, seed: int, human_dev=None,
                        log=print) -> dict:
    """{condition: {"wer": .., "utterances": n, "examples": [...]}}; human_dev: (text, wav) pairs."""
    rng = random.Random(seed)
    sentences = sorted({i["question"] for i in data["items"] if i["dev"] and i["skill"] == "asr"})
    out: dict = {}
    for name, (voice_of, chain_of) in CONDITIONS.items():
        pairs = []
        for text in rng.sample(sentences, min(per_condition, len(sentences))):
            pairs.append((text, render_job(text, voice_of(rng), chain_of(rng))))
        out[name] = _score(lm, extractor, pairs)
        log(f"condition {name}: WER {out[name]['wer']}")
    if human_dev:
        out["heldOutHumanVoices"] = _score(lm, extractor, human_dev)
        log(f"condition heldOutHumanVoices: WER {out['heldOutHumanVoices']['wer']}")
    return out


def _score(lm, extractor, pairs) -> dict:
    errors = words = 0
    examples = []
    for text, wav in pairs:
        heard = transcribe(lm, extractor, wav)
        e, w = word_errors(text, heard)
        errors += e
        words += w
        if len(examples) < 4:
            examples.append({"said": text, "heard": heard})
    return {"wer": round(errors / max(1, words), 4), "utterances": len(pairs), "examples": examples}
