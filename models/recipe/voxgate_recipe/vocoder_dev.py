"""Develops and measures the vocoder on its own: answer-voice audio, units, train, export, figures.

    /usr/bin/python3 -m voxgate_recipe.vocoder_dev --out work/vocoder [--smoke] [--steps N]

Texts are random word sequences from the system dictionary (phonetic breadth, no
memorisable answers); the held-out texts are never trained on. Writes vocoder.onnx,
metrics.json and a few WAVs (original, vocoded) to --out.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np
import torch

from .audio import ANSWER_VOICE, render, write_wav
from .units import UnitConfig, UnitExtractor
from .vocoder import VocoderConfig, export_vocoder_onnx, merge_repeats, train_vocoder, vocoder_manifest
from .vocoder_metrics import edit_distance, log_spectral_distance_db, spectral_convergence
from .vocoder_model import UnitVocoder

DICTIONARY = "/usr/share/dict/american-english"
_FALLBACK_WORDS = ("the quick brown fox jumps over a lazy dog while seven zebras quietly hum "
                   "under bright yellow stars near the old village shop").split()


def dev_texts(count: int, seed: int) -> list[str]:
    """Distinct sentences of 3–9 dictionary words with occasional punctuation."""
    words = list(_FALLBACK_WORDS)
    if os.path.exists(DICTIONARY):
        with open(DICTIONARY, encoding="utf-8", errors="ignore") as f:
            words = [w.strip() for w in f if w.strip().isalpha() and w.strip().islower() and 2 <= len(w.strip()) <= 9]
    rng = np.random.default_rng(seed)
    texts: set[str] = set()
    while len(texts) < count:
        picked = [words[int(i)] for i in rng.integers(0, len(words), int(rng.integers(3, 10)))]
        text = " ".join(picked) + str(rng.choice([".", "?", "!", ""]))
        if rng.random() < 0.3:
            at = int(rng.integers(1, len(picked)))
            text = " ".join(picked[:at]) + ", " + text.split(" ", at)[-1]
        texts.add(text)
    return sorted(texts)


def answer_audio(texts: list[str]) -> list[np.ndarray]:
    return [render(t, ANSWER_VOICE["voice"], ANSWER_VOICE["speed"], ANSWER_VOICE["pitch"]) for t in texts]


def fit_extractor(wavs: list[np.ndarray], cfg: UnitConfig | None = None, log=print) -> UnitExtractor:
    extractor = UnitExtractor(cfg)
    extractor.fit(wavs, log=log)
    return extractor


def examples_for(extractor: UnitExtractor, wavs: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(w, extractor.frame_units(w)) for w in wavs]


def evaluate(model: UnitVocoder, extractor: UnitExtractor, held_out: list[tuple[np.ndarray, np.ndarray]],
             wav_dir: str | None = None) -> dict[str, float]:
    """Quality on unseen texts: spectra against the original, units heard back, durations."""
    rows: dict[str, list[float]] = {k: [] for k in (
        "ceiling_lsd_db", "oracle_lsd_db", "oracle_sc", "oracle_frame_unit_match",
        "ceiling_frame_unit_match", "oracle_merged_unit_error_rate", "merged_unit_error_rate", "ceiling_merged_unit_error_rate",
        "duration_log_mae", "length_ratio", "seconds")}
    stft = model.griffin_lim.stft
    bins = model.cfg.stft.bins
    for n, (wav, frame_units) in enumerate(held_out):
        samples = len(frame_units) * 160
        ref = wav[:samples]
        units, durations = merge_repeats(frame_units)
        u, d = torch.from_numpy(units)[None], torch.from_numpy(durations)[None]
        with torch.no_grad():
            spec = stft.analyse(torch.from_numpy(ref)[None])
            ceiling = model.griffin_lim(torch.sqrt(spec[:, :bins] ** 2 + spec[:, bins:] ** 2))[0].numpy()
            h, log_d = model.encode(u)
            oracle_mag = torch.exp(model.log_magnitude(h, d, len(frame_units))).transpose(1, 2)
            oracle = model.griffin_lim(oracle_mag)[0].numpy()
            predicted, pred_d = model(u)
        predicted = predicted[0].numpy()
        rows["ceiling_lsd_db"].append(log_spectral_distance_db(ref, ceiling))
        rows["oracle_lsd_db"].append(log_spectral_distance_db(ref, oracle))
        rows["oracle_sc"].append(spectral_convergence(ref, oracle))
        rows["oracle_frame_unit_match"].append(float(np.mean(extractor.frame_units(oracle) == frame_units)))
        rows["ceiling_frame_unit_match"].append(float(np.mean(extractor.frame_units(ceiling) == frame_units)))
        heard_oracle, _ = merge_repeats(extractor.frame_units(oracle))
        rows["oracle_merged_unit_error_rate"].append(edit_distance(units, heard_oracle) / len(units))
        heard, _ = merge_repeats(extractor.frame_units(predicted))
        rows["merged_unit_error_rate"].append(edit_distance(units, heard) / len(units))
        heard_ceiling, _ = merge_repeats(extractor.frame_units(ceiling))
        rows["ceiling_merged_unit_error_rate"].append(edit_distance(units, heard_ceiling) / len(units))
        rows["duration_log_mae"].append(float(torch.mean(torch.abs(torch.log(pred_d[0].float()) - torch.log(d[0].float())))))
        rows["length_ratio"].append(len(predicted) / samples)
        rows["seconds"].append(samples / 16000)
        if wav_dir and n < 4:
            for name, audio in (("original", ref), ("griffinlim_true_magnitude", ceiling), ("oracle_durations", oracle), ("vocoded", predicted)):
                write_wav(os.path.join(wav_dir, f"heldout{n}_{name}.wav"), audio)
    return {k: float(np.nanmean(v)) for k, v in rows.items() if v}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--train-texts", type=int, default=400)
    ap.add_argument("--held-out-texts", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--net", action="append", default=[], help="NetConfig override, e.g. channels=192 (experiments)")
    ap.add_argument("--centre-offset", type=int, help="override StftConfig.centre_offset_samples (experiments)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    train_count = 16 if args.smoke else args.train_texts
    texts = dev_texts(train_count + args.held_out_texts, args.seed)
    held_texts, train_texts = texts[: args.held_out_texts], texts[args.held_out_texts:]
    started = time.time()
    train_wavs, held_wavs = answer_audio(train_texts), answer_audio(held_texts)
    print(f"rendered {len(texts)} texts in {time.time() - started:.1f} s")
    extractor = fit_extractor(train_wavs, UnitConfig(kmeans_iterations=5) if args.smoke else None, log=lambda s: None)
    train, held_out = examples_for(extractor, train_wavs), examples_for(extractor, held_wavs)
    cfg = VocoderConfig.smoke() if args.smoke else VocoderConfig()
    for setting in args.net:
        key, value = setting.split("=")
        setattr(cfg.net, key, int(value))
    if args.centre_offset is not None:
        cfg.net.stft = dataclasses.replace(cfg.net.stft, centre_offset_samples=args.centre_offset)
    started = time.time()
    model = train_vocoder(train, steps=args.steps, seed=args.seed, cfg=cfg)
    train_s = time.time() - started
    torch.save({"state": model.state_dict(), "net": cfg.net, "extractor": extractor.state()}, os.path.join(args.out, "vocoder.pt"))
    path = os.path.join(args.out, "vocoder.onnx")
    export_vocoder_onnx(model, path)
    metrics = evaluate(model, extractor, held_out, wav_dir=args.out)
    with open(os.path.join(args.out, "heldout-units.json"), "w") as f:
        sequences = [merge_repeats(units)[0].tolist() for _, units in held_out]
        json.dump({"unitCount": cfg.net.unit_count, "vocoder": vocoder_manifest(model), "sequences": sequences}, f)
    metrics.update(train_seconds=train_s, onnx_bytes=os.path.getsize(path), train_texts=len(train_texts))
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
