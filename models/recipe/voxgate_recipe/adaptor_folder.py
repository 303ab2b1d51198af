"""The adaptor's files beside an ONNX LM: speech.onnx (pcm → adapted embeddings) and torch's reference.

speech-parity.json holds, for one rendered utterance (its samples in speech-parity.f32, float32 little-endian),
the embeddings torch computes for the whole utterance and the LM's greedy speech-to-text continuation after them,
so the gateway can check that embeddings streamed window by window equal them, and that prefilling them as they
arrive gives torch's answer (test/integration/speech-embeddings.test.ts).
"""
from __future__ import annotations

import json
import os

import numpy as np
import torch

from . import vocab as V
from .adaptor import SpeechAdaptor, SpeechEmbedder
from .audio import render
from .encoder_model import SpeechEncoder
from .lm_model import LlamaLm
from .onnx_parity import TorchSequence
from .sequences import PROMPTS
from .train_adaptor import SpeechPair, train_adaptor

SPEECH_FILE, PARITY_FILE, PCM_FILE = "speech.onnx", "speech-parity.json", "speech-parity.f32"

# Stage-1 pairs for a smoke build: a few questions in a few espeak-ng voices.
SMOKE_TEXTS = ["what is two plus three", "say hello", "count from one to five", "spell cat", "what comes after monday",
               "repeat after me good morning"]
SMOKE_VOICES = [("en-us", 160, 50), ("en-gb", 150, 40), ("en-us", 180, 60)]
REFERENCE = ("what is four plus one", ("en-us", 170, 50))


def smoke_pairs() -> list[SpeechPair]:
    return [SpeechPair(render(t, v, s, p), t) for t in SMOKE_TEXTS for v, s, p in SMOKE_VOICES]


@torch.no_grad()
def speech_parity(embedder: SpeechEmbedder, lm: LlamaLm, wav: np.ndarray, max_new: int = 48) -> dict:
    before, after = (V.encode_template(part) for part in PROMPTS["speech-to-text"].split("{input}"))
    embeddings = embedder.utterance(wav)
    seq = TorchSequence(lm)
    seq.tokens(before)
    seq.run(embeddings)
    expected, margins = seq.greedy(after, max_new, V.EOS_ID)
    return {"pcm": PCM_FILE, "sampleRateHz": 16000, "hopSamples": embedder.hop, "leftContextSamples": embedder.left,
            "embeddings": [[round(float(v), 7) for v in row] for row in embeddings],
            "before": before, "after": after, "expected": expected, "margins": [round(m, 6) for m in margins],
            "eosId": V.EOS_ID, "maxNew": max_new}


def declare_speech_input(out_dir: str, embedder: SpeechEmbedder) -> None:
    """The folder's manifest says its LM hears speech as speech.onnx's embeddings (docs/models.md, "speech")."""
    path = os.path.join(out_dir, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    speech = {"file": SPEECH_FILE, "frameMs": embedder.hop * 1000 // 16000, "hopSamples": embedder.hop,
              "leftContextSamples": embedder.left}
    # speech sits before lm, as units does: the parts in the order a caller's audio meets them.
    ordered = {}
    for key, value in manifest.items():
        if key == "lm":
            ordered["speech"] = speech
            value = {**value, "inputKind": "embeddings"}
        ordered[key] = value
    with open(path, "w") as f:
        json.dump(ordered, f, indent=2)
        f.write("\n")


def write_adaptor_files(encoder: SpeechEncoder, lm: LlamaLm, out_dir: str, *, steps: int, lr: float, batch: int,
                        seed: int, log=print) -> dict:
    """Trains a fresh adaptor's stage 1 on smoke pairs, then writes speech.onnx and its parity files."""
    torch.manual_seed(seed)
    adaptor = SpeechAdaptor(encoder.cfg.dim, lm.cfg.dim)
    adaptor.match_scale(float(lm.embed.weight.std()))
    embedder = SpeechEmbedder(encoder, adaptor)
    report = train_adaptor(embedder, lm, smoke_pairs(), steps=steps, lr=lr, batch=batch, seed=seed, log=log)
    if report["lossBefore"] is None or report["lossAfter"] >= report["lossBefore"]:
        raise RuntimeError(f"adaptor stage 1 did not lower the transcript loss: {report}")
    embedder.eval()
    embedder.export_onnx(os.path.join(out_dir, SPEECH_FILE))
    text, (voice, speed, pitch) = REFERENCE
    wav = render(text, voice, speed, pitch)
    wav.astype("<f4").tofile(os.path.join(out_dir, PCM_FILE))
    with open(os.path.join(out_dir, PARITY_FILE), "w") as f:
        json.dump(speech_parity(embedder, lm, wav), f)
        f.write("\n")
    declare_speech_input(out_dir, embedder)
    log(f"adaptor: stage 1 transcript loss {report['lossBefore']} → {report['lossAfter']} in {report['seconds']} s; "
        f"{SPEECH_FILE} written to {out_dir}")
    return report
