"""A first look at the LLaSM path at real size: a trained speech encoder and a shipped LM, the adaptor's stage 1
trained between them (both frozen), the LM's transcripts of held-out speech measured before and after.

    /usr/bin/python3 -m voxgate_recipe.adaptor_probe --encoder-work WORK --from models/voxgate-tiny-en \\
        --out /tmp/llasm-probe [--pairs 1500 --steps 600 --max-seconds 600]

WORK holds encoder.pt (build.py's encoder step). Questions come from the closed skills (skills.py), split by text
into train and dev; train speech uses the training espeak-ng voices, dev speech the held-out ones (voices.py).
Writes, into --out, the ONNX-LM folder of --from (onnx_lm_folder.py), speech.onnx with its reference for the
trained adaptor, and probe.json: the dev transcript loss and word error rate before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
import zlib

import torch

from . import skills, vocab as V
from .adaptor import SpeechAdaptor, SpeechEmbedder
from .adaptor_folder import PARITY_FILE, PCM_FILE, SPEECH_FILE, declare_speech_input, speech_parity
from .audio import render
from .encoder_stage import finished_encoder
from .evaluate import word_errors
from .gguf_reader import read_gguf
from .onnx_lm import CachedLm
from .onnx_lm_folder import write_onnx_lm_folder
from .onnx_parity import TorchSequence
from .sequences import PROMPTS
from .train_adaptor import SpeechPair, train_adaptor, transcript_loss
from .units import merge_repeats
from .voices import sample_voice
from .warm_start import spoken_extractor


def questions(seed: int) -> tuple[list[str], list[str]]:
    """Distinct closed-skill questions, split by a hash of the text: one in ten is dev."""
    rng = random.Random(seed)
    texts = sorted({q for it in (skills.arithmetic(rng), skills.next_item(rng), skills.count(rng), skills.small_talk())
                    for _, q, _ in it})
    dev = [t for t in texts if zlib.crc32(t.encode()) % 10 == 0]
    return [t for t in texts if zlib.crc32(t.encode()) % 10 != 0], dev


def rendered(texts: list[str], count: int, dev: bool, seed: int) -> list[SpeechPair]:
    rng = random.Random(seed)
    picks = [rng.choice(texts) for _ in range(count)]
    pairs = []
    for t in picks:
        v = sample_voice(rng, dev)
        pairs.append(SpeechPair(render(t, v.name, v.speed, v.pitch), t))
    return pairs


@torch.no_grad()
def transcript_wer(lm, pairs: list[SpeechPair], speech) -> float:
    """Word error rate of the LM's greedy `[tq] …;` after each pair's speech, over `pairs`.

    speech(seq, wav) evaluates the speech into the sequence: adapted embeddings, or unit tokens.
    """
    before, after = (V.encode_template(p) for p in PROMPTS["speech-to-text"].split("{input}"))
    vocab = V.build_vocab(lm.cfg.vocab_size - V.FIRST_UNIT_ID)
    errors = words = 0
    semicolon = V.char_token(";")
    for p in pairs:
        seq = TorchSequence(lm)
        seq.tokens(before)
        speech(seq, p.wav)
        out, _ = seq.greedy(after, 60, semicolon)
        text = V.decode([t for t in out if t not in (V.TQ_ID, semicolon)], vocab)
        e, n = word_errors(p.text, text.strip())
        errors, words = errors + e, words + n
    return errors / max(1, words)


def units_path_wer(model_dir: str, lm, pairs: list[SpeechPair]) -> float | None:
    """The same dev speech on the SpeechGPT path: the folder's log-mel k-means units, merged, as unit tokens."""
    try:
        extractor = spoken_extractor(model_dir)
    except (KeyError, ValueError) as err:  # units.onnx of another kind (the encoder's): no baseline here
        print(f"no units-path baseline: {err}", flush=True)
        return None
    wer = transcript_wer(lm, pairs, lambda seq, wav: seq.tokens(V.encode_units(merge_repeats(extractor.frame_units(wav))[0].tolist())))
    return round(wer, 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder-work", required=True, help="folder with encoder.pt (read only)")
    ap.add_argument("--from", dest="src", required=True, help="model folder with the LM (lm.gguf)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pairs", type=int, default=1500)
    ap.add_argument("--dev-pairs", type=int, default=60)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    done = finished_encoder(args.encoder_work)
    if done is None:
        raise SystemExit(f"{args.encoder_work}: no finished encoder.pt")
    encoder, _ = done
    with open(os.path.join(args.src, "manifest.json")) as f:
        lm, vocab = read_gguf(os.path.join(args.src, json.load(f)["lm"]["file"]))
    t0 = time.time()
    train_texts, dev_texts = questions(args.seed)
    train = rendered(train_texts, args.pairs, False, args.seed)
    dev = rendered(dev_texts, args.dev_pairs, True, args.seed + 1)
    print(f"rendered {len(train)} train and {len(dev)} dev utterances in {time.time() - t0:.0f} s "
          f"({len(train_texts)} train and {len(dev_texts)} dev texts)", flush=True)
    torch.manual_seed(args.seed)
    adaptor = SpeechAdaptor(encoder.cfg.dim, lm.cfg.dim)
    adaptor.match_scale(float(lm.embed.weight.std()))
    embedder = SpeechEmbedder(encoder, adaptor)
    cached = CachedLm(lm)

    def dev_figures() -> dict:
        states = [embedder.encoder_states(p.wav) for p in dev]
        with torch.no_grad():
            loss = float(transcript_loss(cached, embedder, states, [p.text for p in dev]))
        wer = transcript_wer(lm, dev, lambda seq, wav: seq.run(embedder.utterance(wav)))
        return {"transcriptLoss": round(loss, 4), "transcriptWer": round(wer, 4)}

    units_wer = units_path_wer(args.src, lm, dev)
    print(f"dev on the SpeechGPT path (the folder's own units): transcript WER {units_wer}", flush=True)
    before = dev_figures()
    print(f"dev before: {before}", flush=True)
    report = train_adaptor(embedder, lm, train, steps=args.steps, lr=args.lr, batch=args.batch, seed=args.seed,
                           max_seconds=args.max_seconds, log=lambda m: print(m, flush=True))
    after = dev_figures()
    print(f"dev after: {after}", flush=True)
    write_onnx_lm_folder(lm, vocab, args.src, args.out)
    embedder.export_onnx(os.path.join(args.out, SPEECH_FILE))
    ref = dev[0]
    ref.wav.astype("<f4").tofile(os.path.join(args.out, PCM_FILE))
    with open(os.path.join(args.out, PARITY_FILE), "w") as f:
        json.dump(speech_parity(embedder, lm, ref.wav), f)
    declare_speech_input(args.out, embedder)
    with open(os.path.join(args.out, "probe.json"), "w") as f:
        json.dump({"args": vars(args), "training": report, "devBefore": before, "devAfter": after,
                   "devUnitsPathTranscriptWer": units_wer,
                   "trainTexts": len(train_texts), "devTexts": len(dev_texts)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
