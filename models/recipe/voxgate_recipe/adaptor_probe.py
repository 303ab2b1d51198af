"""A first look at the LLaSM path at real size: a trained speech encoder and a shipped LM, the adaptor trained between
them (stage 1: both frozen; stage 2: the LM too), the LM's speech-to-text turns on held-out speech measured after
each, beside the same speech on the SpeechGPT path (the folder's own units).

    /usr/bin/python3 -m voxgate_recipe.adaptor_probe --encoder-work WORK --from models/voxgate-tiny-en \\
        --out /tmp/llasm-probe [--pairs 1500 --steps 600 --max-seconds 600]

WORK holds encoder.pt (build.py's encoder step). Questions come from the closed skills (skills.py), split by text
into train and dev; train speech uses the training espeak-ng voices, dev speech the held-out ones (voices.py).
Writes, into --out, the ONNX-LM folder of --from (onnx_lm_folder.py), speech.onnx with its reference for the
trained adaptor, and probe.json: dev transcript loss, transcript WER and exact answers at each point.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
import zlib
from multiprocessing import Pool

import torch

from . import skills, vocab as V
from .adaptor import SpeechAdaptor, SpeechEmbedder
from .adaptor_folder import PARITY_FILE, PCM_FILE, SPEECH_FILE, declare_speech_input, speech_parity
from .audio import render
from .augment import random_chain
from .dataset import render_job
from .encoder_stage import finished_encoder
from .evaluate import parse, word_errors
from .lm_files import read_lm
from .onnx_lm import CachedLm
from .onnx_lm_folder import write_onnx_lm_folder
from .onnx_parity import TorchSequence
from .sequences import PROMPTS
from .train_adaptor import SpeechPair, train_adaptor, transcript_loss
from .units import merge_repeats
from .synth import sample_synth_voice
from .voices import sample_voice
from .warm_start import spoken_extractor


def questions(seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Distinct closed-skill (question, answer)s, split by a hash of the question: one in ten is dev."""
    rng = random.Random(seed)
    qa = sorted({(q, a) for it in (skills.arithmetic(rng), skills.next_item(rng), skills.count(rng), skills.small_talk())
                 for _, q, a in it})
    dev = [x for x in qa if zlib.crc32(x[0].encode()) % 10 == 0]
    return [x for x in qa if zlib.crc32(x[0].encode()) % 10 != 0], dev


def rendered_through_channels(qa: list[tuple[str, str]], count: int, seed: int, channel_share: float) -> list[SpeechPair]:
    """Training speech as the recipe's LM data has it: espeak-ng and flite training voices, `channel_share` of it
    through a random channel (augment.py: pace, vocal tract, pitch, room, noise, level, telephone band, Opus)."""
    rng = random.Random(seed)
    jobs = []
    for _ in range(count):
        q, a = rng.choice(qa)
        jobs.append((q, a, sample_synth_voice(rng, False), random_chain(rng) if rng.random() < channel_share else None))
    with Pool(2) as pool:
        wavs = pool.starmap(render_job, [(q, voice, chain) for q, _, voice, chain in jobs], chunksize=16)
    return [SpeechPair(wav, q, a) for wav, (q, a, _, _) in zip(wavs, jobs)]


def rendered(qa: list[tuple[str, str]], count: int, dev: bool, seed: int) -> list[SpeechPair]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        q, a = rng.choice(qa)
        v = sample_voice(rng, dev)
        pairs.append(SpeechPair(render(q, v.name, v.speed, v.pitch), q, a))
    return pairs


@torch.no_grad()
def speech_to_text(lm, pairs: list[SpeechPair], speech) -> dict:
    """The LM's greedy speech-to-text turn after each pair's speech: transcript WER and exact answers.

    speech(seq, wav) evaluates the speech into the sequence: adapted embeddings, or unit tokens.
    """
    before, after = (V.encode_template(p) for p in PROMPTS["speech-to-text"].split("{input}"))
    errors = words = right = 0
    for p in pairs:
        seq = TorchSequence(lm)
        seq.tokens(before)
        speech(seq, p.wav)
        out, _ = seq.greedy(after, 160, V.EOS_ID)
        turn = parse(out)
        e, n = word_errors(p.text, turn["transcript"])
        errors, words = errors + e, words + n
        right += turn["answer"] == p.answer
    return {"transcriptWer": round(errors / max(1, words), 4), "answersRight": round(right / max(1, len(pairs)), 4)}


def units_path(model_dir: str, lm, pairs: list[SpeechPair]) -> dict | None:
    """The same dev speech on the SpeechGPT path: the folder's log-mel k-means units, merged, as unit tokens."""
    try:
        extractor = spoken_extractor(model_dir)
    except (KeyError, ValueError) as err:  # units.onnx of another kind (the encoder's): no baseline here
        print(f"no units-path baseline: {err}", flush=True)
        return None
    return speech_to_text(lm, pairs, lambda seq, wav: seq.tokens(V.encode_units(merge_repeats(extractor.frame_units(wav))[0].tolist())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder-work", required=True, help="folder with encoder.pt (read only)")
    ap.add_argument("--from", dest="src", required=True, help="model folder with the LM (lm.gguf)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pairs", type=int, default=1500)
    ap.add_argument("--dev-pairs", type=int, default=60)
    ap.add_argument("--steps", type=int, default=600, help="stage 1's steps")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--max-seconds", type=float, default=300, help="stage 1's time cap")
    ap.add_argument("--stage2-steps", type=int, default=400, help="0: stage 1 only")
    ap.add_argument("--stage2-max-seconds", type=float, default=360)
    ap.add_argument("--lm-lr", type=float, default=2e-4, help="the LM's learning rate in stage 2")
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channel-share", type=float,
                    help="train on espeak-ng and flite voices with this share through random channels (default: clean "
                         "espeak-ng voices only); dev speech stays clean espeak-ng, held-out voices")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    done = finished_encoder(args.encoder_work)
    if done is None:
        raise SystemExit(f"{args.encoder_work}: no finished encoder.pt")
    encoder, _ = done
    with open(os.path.join(args.src, "manifest.json")) as f:
        lm_file = os.path.join(args.src, json.load(f)["lm"]["file"])
    lm, pieces, unit_count = read_lm(lm_file)
    V.use_text_pieces(pieces, unit_count)
    vocab = V.build_vocab(unit_count)
    t0 = time.time()
    train_qa, dev_qa = questions(args.seed)
    train = (rendered(train_qa, args.pairs, False, args.seed) if args.channel_share is None
             else rendered_through_channels(train_qa, args.pairs, args.seed, args.channel_share))
    dev = rendered(dev_qa, args.dev_pairs, True, args.seed + 1)
    print(f"rendered {len(train)} train and {len(dev)} dev utterances in {time.time() - t0:.0f} s "
          f"({len(train_qa)} train and {len(dev_qa)} dev questions)", flush=True)
    torch.manual_seed(args.seed)
    adaptor = SpeechAdaptor(encoder.cfg.dim, lm.cfg.dim)
    adaptor.match_scale(float(lm.embed.weight.std()))
    embedder = SpeechEmbedder(encoder, adaptor)
    cached = CachedLm(lm)
    log = lambda m: print(m, flush=True)  # noqa: E731

    def dev_figures(label: str) -> dict:
        states = [embedder.encoder_states(p.wav) for p in dev]
        with torch.no_grad():
            loss = float(transcript_loss(cached, embedder, states, dev))
        figures = {"transcriptLoss": round(loss, 4),
                   **speech_to_text(lm, dev, lambda seq, wav: seq.run(embedder.utterance(wav)))}
        log(f"dev {label}: {figures}")
        return figures

    units = units_path(args.src, lm, dev)
    log(f"dev on the SpeechGPT path (the folder's own units): {units}")
    figures = {"untrained": dev_figures("untrained adaptor")}
    reports = [train_adaptor(embedder, lm, train, steps=args.steps, lr=args.lr, batch=args.batch, seed=args.seed,
                             max_seconds=args.max_seconds, log=log)]
    figures["afterStage1"] = dev_figures("after stage 1")
    if args.stage2_steps > 0:
        reports.append(train_adaptor(embedder, lm, train, steps=args.stage2_steps, lr=args.lr / 2, lm_lr=args.lm_lr,
                                     batch=args.batch, seed=args.seed + 1, stage=2,
                                     max_seconds=args.stage2_max_seconds, log=log))
        figures["afterStage2"] = dev_figures("after stage 2")
        # The LM changed: what it now hears through its own units, for comparison.
        figures["afterStage2UnitsPath"] = units_path(args.src, lm, dev)
        log(f"dev on the units path after stage 2: {figures['afterStage2UnitsPath']}")
    write_onnx_lm_folder(lm, vocab, args.src, args.out)
    embedder.export_onnx(os.path.join(args.out, SPEECH_FILE))
    ref = dev[0]
    ref.wav.astype("<f4").tofile(os.path.join(args.out, PCM_FILE))
    with open(os.path.join(args.out, PARITY_FILE), "w") as f:
        json.dump(speech_parity(embedder, lm, ref.wav), f)
    declare_speech_input(args.out, embedder)
    with open(os.path.join(args.out, "probe.json"), "w") as f:
        json.dump({"args": vars(args), "training": reports, "dev": figures, "devUnitsPath": units,
                   "trainQuestions": len(train_qa), "devQuestions": len(dev_qa)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
