"""Gives a shipped model folder's vocoder a trained phase head, measured against its Griffin-Lim on unseen texts.

    /usr/bin/python3 -m voxgate_recipe.vocoder_phase_build --model models/voxgate-tiny-en --work W --out W/out
        [--steps 3000] [--max-minutes 40] [--smoke]

The magnitude network is read back from the folder's vocoder.onnx and kept; the spoken units come
from the folder's units.onnx (the extractor its LM speaks in). Training speech: the answer voice
(espeak-ng, as the folder's vocoder was trained) on random dictionary sentences; the held-out
sentences are never trained on. Writes --out/vocoder.onnx (same interface: units → audio,
durations) and --out/metrics.json: mel-cepstral distortion against the espeak-ng rendering of the
same text (frame-aligned with the true durations, and DTW-aligned with the predicted ones), log-
spectral distance, and the round trip (the vocoded audio's units heard back by the extractor), for
the phase head and for Griffin-Lim at several iteration counts, on the same utterances.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np
import torch

from .audio import write_wav
from .units import merge_repeats
from .vocoder import export_vocoder_onnx
from .vocoder_dev import answer_audio, dev_texts
from .vocoder_metrics import edit_distance, log_spectral_distance_db, mel_cepstral_distortion_db
from .vocoder_griffinlim import GriffinLim
from .vocoder_phase import PhaseConfig, SpectralVocoder, load_onnx_magnitudes
from .vocoder_phase_train import PhaseTrainConfig, train_phase_head
from .warm_start import spoken_extractor


def griffin_lim_with(model: SpectralVocoder, iterations: int):
    """The folder's own vocoder (its magnitudes through Griffin-Lim) at an iteration count; it ships with 32."""
    griffin_lim = GriffinLim(dataclasses.replace(model.magnitudes.griffin_lim.cfg, iterations=iterations))

    def vocode(units: torch.Tensor, durations: torch.Tensor, frames: int) -> torch.Tensor:
        h, _ = model.magnitudes.encode(units)
        return griffin_lim(torch.exp(model.magnitudes.log_magnitude(h, durations, frames)).transpose(1, 2))
    return vocode


def evaluate(model: SpectralVocoder, extractor, held_out, gl_iterations: list[int], wav_dir: str | None) -> dict:
    systems = {"phase_head": model.vocode_with, **{f"griffin_lim_{k}": griffin_lim_with(model, k) for k in gl_iterations}}
    rows: dict[str, dict[str, list[float]]] = {name: {"mcd_db": [], "mcd_dtw_db": [], "lsd_db": [], "unit_error_rate": []} for name in systems}
    with torch.no_grad():
        for n, (wav, frame_units) in enumerate(held_out):
            frames = len(frame_units)
            ref = wav[: frames * 160]
            units, durations = merge_repeats(frame_units)
            u, d = torch.from_numpy(units)[None], torch.from_numpy(durations)[None]
            _, log_d = model.magnitudes.encode(u)
            pred_d = model.magnitudes.round_durations(log_d)
            for name, vocode in systems.items():
                oracle = vocode(u, d, frames)[0].numpy()
                predicted = vocode(u, pred_d, int(pred_d.sum()))[0].numpy()
                r = rows[name]
                r["mcd_db"].append(mel_cepstral_distortion_db(ref, oracle))
                r["mcd_dtw_db"].append(mel_cepstral_distortion_db(ref, predicted, align=True))
                r["lsd_db"].append(log_spectral_distance_db(ref, oracle))
                heard, _ = merge_repeats(extractor.frame_units(predicted))
                r["unit_error_rate"].append(edit_distance(units, heard) / len(units))
                if wav_dir and n < 3:
                    write_wav(os.path.join(wav_dir, f"heldout{n}_{name}.wav"), predicted)
            if wav_dir and n < 3:
                write_wav(os.path.join(wav_dir, f"heldout{n}_espeak.wav"), ref)
    return {name: {k: float(np.mean(v)) for k, v in r.items()} for name, r in rows.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model folder whose vocoder.onnx and units.onnx are used")
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True, help="folder for the new vocoder.onnx, metrics.json and sample WAVs")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--max-minutes", type=float)
    ap.add_argument("--train-texts", type=int, default=600)
    ap.add_argument("--held-out-texts", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    extractor = spoken_extractor(args.model)
    data_file = os.path.join(args.work, "phase_data.pt")
    train_count = 16 if args.smoke else args.train_texts
    held_count = 4 if args.smoke else args.held_out_texts
    if os.path.exists(data_file):
        data = torch.load(data_file)
    else:
        # A different seed from vocoder_dev's, so these sentences are new to the shipped vocoder too.
        texts = dev_texts(train_count + held_count, args.seed + 101)
        started = time.time()
        wavs = answer_audio(texts)
        data = {"texts": texts, "examples": [(w, extractor.frame_units(w)) for w in wavs], "held_out": held_count}
        torch.save(data, data_file)
        print(f"rendered and extracted {len(texts)} sentences in {time.time() - started:.0f} s")
    held_out, train = data["examples"][: data["held_out"]], data["examples"][data["held_out"]:]
    magnitudes = load_onnx_magnitudes(os.path.join(args.model, "vocoder.onnx"))
    model = SpectralVocoder(magnitudes, PhaseConfig())
    head_file = os.path.join(args.work, "phase_head.pt")
    cfg = PhaseTrainConfig.smoke() if args.smoke else PhaseTrainConfig()
    if args.steps:
        cfg.steps = args.steps
    if args.max_minutes:
        cfg.max_seconds = args.max_minutes * 60
    started = time.time()
    train_phase_head(model, train, cfg, seed=args.seed)
    train_s = time.time() - started
    torch.save(model.head.state_dict(), head_file)
    path = os.path.join(args.out, "vocoder.onnx")
    export_vocoder_onnx(model, path)
    metrics = evaluate(model, extractor, held_out, [] if args.smoke else [4, 8, 16, 32], args.out)
    report = {"trainSeconds": train_s, "trainSentences": len(train), "heldOutSentences": len(held_out),
              "onnxBytes": os.path.getsize(path), "systems": metrics}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
