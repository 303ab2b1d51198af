"""Builds a small vocoder in seconds, for tests that need a real vocoder.onnx before the shipped one exists.

    /usr/bin/python3 models/recipe/voxgate_recipe/make_smoke_vocoder.py OUT_DIR

Writes OUT_DIR/vocoder.onnx and OUT_DIR/heldout-units.json: the manifest's vocoder section for it
and merged unit sequences of answer-voice sentences it did not train on, as the LM would emit them. Quality is far below the shipped
model's; the graph, its shapes and its streaming behaviour are the same.
"""
from __future__ import annotations

import json
import os
import sys

if __package__ in (None, ""):
    # Run as a file, Python puts this folder first on the path, where the recipe's numbers.py
    # would shadow the standard library's; import the package from models/recipe instead.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.path.dirname(here))

import torch  # noqa: E402

from voxgate_recipe.units import UnitConfig, merge_repeats  # noqa: E402
from voxgate_recipe.vocoder import VocoderConfig, export_vocoder_onnx, train_vocoder, vocoder_manifest  # noqa: E402
from voxgate_recipe.vocoder_dev import answer_audio, dev_texts, examples_for, fit_extractor  # noqa: E402
from voxgate_recipe.vocoder_phase import PhaseConfig, SpectralVocoder  # noqa: E402
from voxgate_recipe.vocoder_phase_train import PhaseTrainConfig, train_phase_head  # noqa: E402

TRAIN_TEXTS = 24
HELD_OUT_TEXTS = 3


def main(out_dir: str) -> None:
    torch.set_num_threads(1)
    os.makedirs(out_dir, exist_ok=True)
    texts = dev_texts(TRAIN_TEXTS + HELD_OUT_TEXTS, seed=1)
    wavs = answer_audio(texts)
    train_wavs, held_wavs = wavs[HELD_OUT_TEXTS:], wavs[:HELD_OUT_TEXTS]
    extractor = fit_extractor(train_wavs, UnitConfig(kmeans_iterations=5), log=lambda _: None)
    cfg = VocoderConfig.smoke()
    examples = examples_for(extractor, train_wavs)
    # The shipped kind of vocoder: magnitudes, then a phase head for one inverse STFT.
    model = SpectralVocoder(train_vocoder(examples, cfg=cfg, log=lambda _: None), PhaseConfig())
    train_phase_head(model, examples, PhaseTrainConfig.smoke(), log=lambda _: None)
    export_vocoder_onnx(model, os.path.join(out_dir, "vocoder.onnx"))
    held = [merge_repeats(extractor.frame_units(w))[0].tolist() for w in held_wavs]
    with open(os.path.join(out_dir, "heldout-units.json"), "w") as f:
        json.dump({"unitCount": cfg.net.unit_count, "vocoder": vocoder_manifest(model), "sequences": held}, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
