#!/usr/bin/env python3
"""Builds voxgate's default model from nothing: data, unit extractor, LM (three stages), vocoder.

    /usr/bin/python3 models/recipe/build.py --out models/voxgate-tiny-en          # full (the CPU plan), ≈ 1.5-2 h on 2 cores
    /usr/bin/python3 models/recipe/build.py --out /tmp/voxgate-smoke --smoke      # every step, tiny, minutes

Deterministic: every random choice draws from fixed seeds, and training runs a fixed number of steps.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from voxgate_recipe import copy_drill, ctc_head, dataset, heard_remap, sequences, skills, vocab as V, warm_start  # noqa: E402
from voxgate_recipe.encoder_units import EncoderUnitExtractor  # noqa: E402
from voxgate_recipe.gguf_reader import read_gguf  # noqa: E402
from voxgate_recipe.heard_channel import HeardChannel  # noqa: E402
from voxgate_recipe.heard_text import HeardText  # noqa: E402
from voxgate_recipe.lm_files import read_lm  # noqa: E402
from voxgate_recipe.encoder_stage import build_encoder, encoder_data, finished_encoder  # noqa: E402
from voxgate_recipe.evaluate import evaluate  # noqa: E402
from voxgate_recipe.eval_conditions import evaluate_conditions  # noqa: E402
from voxgate_recipe.gguf_writer import write_gguf  # noqa: E402
from voxgate_recipe.lm_model import (LlamaLm, LmConfig, checkpoint_spoken_pieces, checkpoint_text_pieces,  # noqa: E402
                                     load_checkpoint, save_checkpoint)
from voxgate_recipe import spoken_pieces  # noqa: E402
from voxgate_recipe.text_pieces import learn_pieces  # noqa: E402
from voxgate_recipe.model_card import write_card  # noqa: E402
from voxgate_recipe.onnx_lm_folder import write_onnx_lm_folder  # noqa: E402
from voxgate_recipe.adaptor_folder import write_adaptor_files  # noqa: E402
from voxgate_recipe.train_adaptor import SMOKE as ADAPTOR_SMOKE  # noqa: E402
from voxgate_recipe.parity import write_parity  # noqa: E402
from voxgate_recipe.plan import PLANS, Plan  # noqa: E402
from voxgate_recipe.train_lm import train  # noqa: E402
from voxgate_recipe.units import HOP_SAMPLES, LEFT_CONTEXT_SAMPLES, UnitExtractor, UnitConfig  # noqa: E402
from voxgate_recipe.vocoder import VocoderConfig, export_vocoder_onnx, train_vocoder, vocoder_manifest  # noqa: E402
from voxgate_recipe.vocoder_model import NetConfig, UnitVocoder  # noqa: E402
from voxgate_recipe.vocoder_phase import PhaseConfig, SpectralVocoder  # noqa: E402
from voxgate_recipe.vocoder_phase_train import PhaseTrainConfig, train_phase_head  # noqa: E402
from voxgate_recipe.synth import SynthVoice  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


STAGES = ["stage1-units", "stage2-cross-modal", "stage3-chain-of-modality",
          "stage3b-chain-of-modality-text-weighted", "stage3c-chain-of-modality-text-weighted",
          "stage3d-closed-skill-drill"]


def checkpoint_after(work: str, stage: str) -> str:
    return os.path.join(work, f"lm-after-{stage}.pt")


def build_lm(plan: Plan, data: dict, work: str, log, resume_after: str | None = None,
             device: str = "cpu", init: LlamaLm | None = None,
             continued: bool = False, heard: HeardText | None = None) -> tuple[LlamaLm, list[dict]]:
    """Trains the stages in order, saving a checkpoint after each; resume_after skips up to that stage.

    init: the LM to start from (warm_start.py) instead of a freshly drawn one.
    continued: init is a finished build's LM (--continue-lm): it stands for the checkpoint after resume_after.
    heard: draws the examples heard from text alone (plan.heard_text_share), from a generator of its own so the
    rendered data's draws stay those of a build without them.

    The example lists are rebuilt either way, so the random draws (and later stages' data) are the same.
    """
    rng = random.Random(plan.seed)
    unit_count = data["unit_count"] + len(V.spoken_merges())  # answer-unit pieces follow the data's units
    vocab = V.build_vocab(unit_count)
    cfg = LmConfig(vocab_size=len(vocab), **plan.lm)
    torch.manual_seed(plan.seed)
    model = LlamaLm(cfg) if init is None else init
    if model.cfg.vocab_size != len(vocab):
        raise ValueError(f"the LM to start from has {model.cfg.vocab_size} tokens; the data needs {len(vocab)}")
    log(f"LM: {model.param_count() / 1e6:.2f}M parameters, vocabulary {len(vocab)}")
    train_items = [i for i in data["items"] if not i["dev"]]
    units = data["units"]
    train_units = sorted({i["q_units"] for i in train_items} | {i["a_units"] for i in train_items})
    s1 = sequences.stage1([units[u] for u in train_units])
    s2 = sequences.stage2(train_items, units, rng)
    # Full fine-tuning in stage 3 (SpeechGPT uses LoRA to spare a 7B model's memory and keep its
    # text skills; at a few million parameters full fine-tuning is cheap), with stage-2 examples mixed
    # in so transcription and speaking are not forgotten. Passes b and c weigh the text parts more.
    s3 = sequences.stage3(train_items, units, rng, plan.multi_turn_share, plan.max_train_tokens)
    s3 += rng.sample(s2, min(len(s2), len(s3) // 4))
    if heard is not None and plan.heard_text_share > 0:
        heard_rng = random.Random(plan.seed + 7919)
        s2_heard = heard.transcriptions(round(len(train_items) * plan.heard_text_share), heard_rng)
        s3_heard = heard.turns(round(len(s3) * plan.heard_text_share), heard_rng)
        log(f"heard from text: {len(s2_heard)} transcriptions (stage 2), {len(s3_heard)} turns (stage 3)")
        s2 += s2_heard
        s3 += s3_heard
    # Typed drills of every closed-skill fact (one random phrasing each): text skills must hold (≥ 95 % typed).
    facts = list(skills.arithmetic(rng)) + list(skills.next_item(rng)) + list(skills.count(rng))
    s3 += sequences.text_drill(facts, plan.text_drill_copies, rng)
    # Stage 3d (plans that set it): the closed-skill facts typed many times over, with as many chain-of-modality
    # examples replayed (a quarter as many) so hearing and speaking are not forgotten; arithmetic lags most.
    s3d: list = []
    if plan.stage3d:
        drill = sequences.text_drill(facts, plan.stage3d_drill_copies, rng)
        s3d = drill + rng.sample(s3, min(len(s3), len(drill) // 4))
        if plan.stage3d_grounded_share > 0:
            s3d += sequences.grounded_turns(train_items, units, rng, round(len(drill) * plan.stage3d_grounded_share))
        if plan.stage3d_copy_share > 0:
            s3d += copy_drill.copy_turns(train_items, units, round(len(drill) * plan.stage3d_copy_share),
                                         copy_drill.held_out_words(data), rng)
    examples = dict(zip(STAGES, [s1, s2, s3, s3, s3, s3d]))
    settings = dict(zip(STAGES, [plan.stage1, plan.stage2, plan.stage3, plan.stage3b, plan.stage3c, plan.stage3d]))
    skip = STAGES.index(resume_after) if resume_after else -1
    if resume_after and not continued:
        path = checkpoint_after(work, resume_after)
        log(f"resuming after {resume_after} from {path}")
        model = load_checkpoint(path)
    model.to(device)
    # A resumed build reports the stages it skipped as the run that trained them recorded them.
    previous: dict[str, dict] = {}
    record = os.path.join(work, "lm-training.json")
    if resume_after and os.path.exists(record):
        with open(record) as f:
            previous = {r["stage"]: r for r in json.load(f)["reports"]}
    reports = []
    for k, stage in enumerate(STAGES):
        if settings[stage] is None:
            continue
        if k <= skip:
            earlier = previous.get(stage, settings[stage])
            reports.append({**earlier, "stage": stage, "resumed": True})
            continue
        stage_settings = dict(settings[stage])
        if not device.startswith("cuda") and not plan.cpu_time_caps:
            stage_settings.pop("max_seconds", None)  # the caps fit a GPU lease; a CPU runs every step
        if "heard_offset" in data and stage_settings.get("unit_noise"):
            stage_settings["noise_units"] = (V.FIRST_UNIT_ID + data["heard_offset"], data["unit_count"] - data["heard_offset"])
        reports.append(train(model, examples[stage], name=stage, log=log, seed=plan.seed + 1 + k, device=device,
                             **stage_settings))
        save_checkpoint(model, checkpoint_after(work, stage), V.text_pieces(), (V.spoken_merges(), V.spoken_first()))
    return model.cpu(), reports


def lm_spoken_merges(plan: Plan, data: dict, work: str, continued: tuple[list, int] | None, resume_after: str | None,
                     log) -> list[tuple[int, int]]:
    """The LM's answer-unit merges (spoken_pieces.py): those of the LM a build goes on from, else plan.spoken_pieces
    merges learned on the training answers' spoken units (kept in work/spoken-pieces.json), else none. An LM that
    has fewer merges than plan.spoken_pieces keeps its own as the first: merges are learned most frequent first, so
    the first k of a longer list learned on the same answers are the k it has."""
    first = data["unit_count"]
    have = continued
    if have is None and resume_after is not None and os.path.exists(checkpoint_after(work, resume_after)):
        have = checkpoint_spoken_pieces(checkpoint_after(work, resume_after))
    if have is not None and have[0]:
        if have[1] != first:
            raise ValueError(f"the LM's answer-unit pieces start at unit {have[1]}, the data's units end at {first}")
        own = [tuple(m) for m in have[0]]
        if plan.spoken_pieces <= len(own):
            return own
        merges = _learned_merges(plan.spoken_pieces, data, work, log)
        if merges[:len(own)] != own:
            raise ValueError(f"the LM's {len(own)} answer-unit pieces are not the first of the {len(merges)} learned "
                             "on this data's answers: widen it on the data it was trained on")
        return merges
    if plan.spoken_pieces == 0:
        return []
    return _learned_merges(plan.spoken_pieces, data, work, log)


def _learned_merges(count: int, data: dict, work: str, log) -> list[tuple[int, int]]:
    first = data["unit_count"]
    path = os.path.join(work, "spoken-pieces.json")
    if os.path.exists(path):
        with open(path) as f:
            saved = json.load(f)
        if saved.get("pieces") == count and saved.get("first") == first:
            return [tuple(m) for m in saved["merges"]]
    answers = {i["answer"]: data["units"][i["a_units"]] for i in data["items"]}
    seqs = [list(answers[a]) for a in sorted(answers)]
    merges = spoken_pieces.learn_merges(seqs, count, first)
    with open(path, "w") as f:
        json.dump({"pieces": count, "first": first, "merges": [list(m) for m in merges]}, f)
    pieced = sum(len(spoken_pieces.encode(s, merges, first)) for s in seqs)
    log(f"LM: {len(merges)} answer-unit pieces learned on {len(seqs)} answers "
        f"({sum(map(len, seqs)) / pieced:.2f} units a token on them)")
    return merges


def lm_text_pieces(plan: Plan, data: dict, work: str, continued_pieces: list[str] | None, resume_after: str | None,
                   log) -> list[str]:
    """The LM's word pieces: those of the LM a build goes on from (`continued_pieces`), else the plan.text_pieces
    most frequent words of the training texts (kept in work/text-pieces.json, so a resumed build draws the same), else none."""
    if continued_pieces is not None:
        have = continued_pieces
    elif resume_after and os.path.exists(checkpoint_after(work, resume_after)):
        have = checkpoint_text_pieces(checkpoint_after(work, resume_after))
    else:
        have = []
    if have or plan.text_pieces == 0:
        return have
    path = os.path.join(work, "text-pieces.json")
    if os.path.exists(path):
        with open(path) as f:
            saved = json.load(f)
        if saved.get("words") == plan.text_pieces:
            return saved["pieces"]
    texts = [t for i in data["items"] if not i["dev"] for t in (i["question"], i["answer"])]
    pieces = learn_pieces(texts, plan.text_pieces)
    with open(path, "w") as f:
        json.dump({"words": plan.text_pieces, "pieces": pieces}, f, indent=1)
    log(f"LM: {len(pieces)} word pieces learned on {len(texts)} training texts")
    return pieces


def heard_text(plan: Plan, data: dict, work: str, log) -> HeardText:
    """The encoder's channel fitted on (up to 4,000 of) the training questions, and the texts to hear through it."""
    inventory = torch.load(os.path.join(work, "encoder.pt"), weights_only=False)["inventory"]
    items = [i for i in data["items"] if not i["dev"]]
    random.Random(plan.seed).shuffle(items)
    items = items[:4000]
    offset = data.get("heard_offset", 0)
    channel = HeardChannel.fit([i["question"] for i in items],
                               [[u - offset for u in data["units"][i["q_units"]]] for i in items], inventory)
    fitted_error = channel.error_rate()
    if plan.heard_text_widen != 1.0:
        channel = channel.widened(plan.heard_text_widen)
        log(f"heard from text: channel widened (temperature {plan.heard_text_widen}): phoneme error rate "
            f"{fitted_error:.3f} -> {channel.error_rate():.3f}")
    heard = HeardText(channel, data, offset)
    log(f"heard from text: channel fitted on {len(items)} questions, phoneme error rate {fitted_error:.3f}; "
        f"{len(heard.clauses)} clauses, {len(heard.words)} words")
    return heard


def tuned(plan: Plan, steps_scale: float, unit_noise: float | None) -> Plan:
    """The plan with its stages' steps scaled and (stages 2 and 3) unit noise set: for tuning runs."""
    def stage(settings: dict, noisy: bool) -> dict:
        out = {**settings, "steps": max(1, round(settings["steps"] * steps_scale))}  # time caps stay: lease limits
        if noisy and unit_noise is not None:
            out["unit_noise"] = unit_noise
        return out
    return dataclasses.replace(plan, stage1=stage(plan.stage1, False), stage2=stage(plan.stage2, True),
                               stage3=stage(plan.stage3, True), stage3b=stage(plan.stage3b, True),
                               stage3c=stage(plan.stage3c, True),
                               stage3d=stage(plan.stage3d, True) if plan.stage3d else None)


def units_section(extractor, unit_count: int) -> dict:
    hop = getattr(extractor, "hop_samples", HOP_SAMPLES)
    left = getattr(extractor, "left_context_samples", LEFT_CONTEXT_SAMPLES)
    return {"file": "units.onnx", "count": unit_count, "frameMs": hop * 1000 // 16000, "hopSamples": hop,
            "leftContextSamples": left, "mergeRepeats": True}


def last_finished_stage(work: str) -> str | None:
    done = [s for s in STAGES if os.path.exists(checkpoint_after(work, s))]
    return done[-1] if done else None


def manifest(plan: Plan, units: dict, vocoder_section: dict, merges: list[tuple[int, int]] | None = None,
             first_piece: int = 0) -> dict:
    lm_extra = {"spokenPieces": {"firstUnit": first_piece, "units": spoken_pieces.expansions(merges, first_piece)}} \
        if merges else {}
    return {
        "schemaVersion": 1,
        "name": plan.name,
        "description": "voxgate's default model: a SpeechGPT-style speech-language model trained on synthetic "
                       "voices (espeak-ng, flite) and a little real speech, for a small skill set (see MODEL_CARD.md).",
        "sampleRateHz": 16000,
        "units": units,
        "lm": {"file": "lm.gguf", "contextTokens": plan.lm["max_seq_len"], "earlierTurns": plan.earlier_turns,
               "unitToken": "<{i}>",
               "prompts": sequences.PROMPTS,
               "markers": {"transcript": "[tq]", "answer": "[ta]", "answerUnits": "[ua]", "endOfAnswer": "<eoa>",
                           "separator": ";"},
               "maxTokens": {"transcript": 200, "answer": 200, "answerUnits": 900}, **lm_extra},
        "vocoder": vocoder_section,
    }


def manifest_json(m: dict) -> str:
    """The manifest as indented JSON, with each list of numbers on one line (an answer-unit piece per line)."""
    text = json.dumps(m, indent=2)
    return re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]", lambda g: "[" + ", ".join(g.group(1).replace(",", " ").split()) + "]", text) + "\n"


def vocoder_step(args, unit_count: int, work: str, seed: int, phase: dict | None = None) -> SpectralVocoder:
    """Trains the vocoder on work/vocoder_data.pt (or reuses work/vocoder.pt), then its phase head; saves both."""
    examples: list = []

    def training_examples() -> list:  # read once, and only if something trains
        if not examples:
            examples.extend(torch.load(os.path.join(work, "vocoder_data.pt")))
        return examples

    model = SpectralVocoder(magnitude_step(args, unit_count, work, seed, training_examples), PhaseConfig())
    head_file = os.path.join(work, "vocoder_phase.pt")
    if (args.reuse_vocoder or args.resume) and os.path.exists(head_file):
        log(f"reusing {head_file}")
        model.head.load_state_dict(torch.load(head_file))
        return model.eval()
    cfg = PhaseTrainConfig.smoke() if args.smoke else PhaseTrainConfig(**(phase or {}))
    train_phase_head(model, training_examples(), cfg, seed=seed, log=log)
    torch.save(model.head.state_dict(), head_file)
    return model


def magnitude_step(args, unit_count: int, work: str, seed: int, training_examples) -> UnitVocoder:
    """The vocoder's durations and magnitudes (vocoder.py), trained or reused from work/vocoder.pt."""
    vcfg = VocoderConfig.smoke() if args.smoke else VocoderConfig()
    vcfg.net = NetConfig(unit_count=unit_count)
    vocoder_file = os.path.join(work, "vocoder.pt")
    if (args.reuse_vocoder or args.resume) and os.path.exists(vocoder_file):
        log(f"reusing {vocoder_file}")
        vocoder = UnitVocoder(vcfg.net)
        vocoder.load_state_dict(torch.load(vocoder_file))
        return vocoder.eval()
    vocoder = train_vocoder(training_examples(), seed=seed, log=log, cfg=vcfg)
    torch.save(vocoder.state_dict(), vocoder_file)
    return vocoder


REMAP_UTTERANCES = 300  # training questions both extractors hear, for the co-occurrence counts


def old_heard_extractor(source: str, extractor) -> tuple[object, int]:
    """The extractor whose units the continued LM hears, and their count: an earlier build's data.pt, or a shipped
    units.onnx whose centroids quantised this build's encoder's states (its k-means units)."""
    if source.endswith(".onnx"):
        if not isinstance(extractor, EncoderUnitExtractor):
            raise SystemExit(f"--heard-from {source}: its centroids need this build's speech encoder")
        old = EncoderUnitExtractor(extractor.encoder, 1)
        old.model.centroids = heard_remap.centroids_of(source)
        if old.model.centroids.shape[1] != extractor.encoder.cfg.dim:
            raise SystemExit(f"--heard-from {source}: centroids of {old.model.centroids.shape[1]} dims, states of {extractor.encoder.cfg.dim}")
        old.clusters = int(old.model.centroids.shape[0])
        return old, old.clusters
    data = torch.load(source, weights_only=False)
    return dataset.make_extractor(data["extractor"], UnitConfig(**data["unit_config"])), data["unit_count"]


def remapped_heard_units(lm, heard_from: str, data: dict, extractor, heard_offset: int, seed: int, log):
    """The continued LM's heard units moved from an earlier build's extractor to this one's (heard_remap.py)."""
    old_extractor, old_count = old_heard_extractor(heard_from, extractor)
    rng = random.Random(seed)
    train = [i for i in data["items"] if not i["dev"]]
    picked = rng.sample(train, min(REMAP_UTTERANCES, len(train)))
    wavs = [dataset.render_job(i["question"], SynthVoice(**i["voice"]), i["chain"]) for i in picked]
    counts = heard_remap.cooccurrence(old_extractor, extractor, wavs, old_count, data["unit_count"] - heard_offset)
    log(f"heard units remapped from {heard_from}: {int(counts.sum())} frames of {len(wavs)} utterances, "
        f"{int((counts.sum(axis=1) == 0).sum())} new units never heard")
    return heard_remap.remap_heard(lm, heard_offset, counts, seed)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="model folder to write (manifest.json and the three parts)")
    ap.add_argument("--work", help="folder for intermediate data (default: models/recipe/work/<plan>)")
    ap.add_argument("--smoke", action="store_true", help="tiny configuration: runs every step in minutes")
    ap.add_argument("--plan", choices=sorted(PLANS), default="full",
                    help="full: ≈ 60 min on 2 cores; long: the shipped weights' plan, for a GPU (see plan.py)")
    ap.add_argument("--device", default="auto", help="torch device for LM training: auto (cuda when there is one), cpu, cuda")
    ap.add_argument("--steps-scale", type=float, default=1.0,
                    help="multiply every LM stage's steps: for tuning a plan, not for its builds")
    ap.add_argument("--encoder-scale", type=float, default=1.0,
                    help="multiply the speech encoder's steps and time cap (a longer CTC training)")
    ap.add_argument("--encoder-utterances", type=int,
                    help="synthetic training utterances rendered for the encoder (default: encoder_data's 16,000)")
    ap.add_argument("--encoder-continue", metavar="ENCODER_PT",
                    help="train this encoder further (an encoder.pt with a CTC head: a finished build's, or one "
                         "--phoneme-units fitted) for the plan's encoder steps on fresh renders; its classes stay")
    ap.add_argument("--encoder-round", type=int, default=1,
                    help="with --encoder-continue: which continued training this is; round K renders and draws "
                         "batches with seeds offset by K, so a second continuation sees other renders than the first")
    ap.add_argument("--festival-share", type=float,
                    help="share of the encoder's synthetic training renders in Festival's training voice (default 0; "
                         "its other voice becomes a held-out dev set, dev-heldout-festival)")
    ap.add_argument("--human-copies", type=int,
                    help="real speech in the encoder's data: each training clip in this many channels (default 4)")
    ap.add_argument("--unit-clusters", type=int,
                    help="heard units: k-means size over the encoder's states (default: the plan's 128)")
    ap.add_argument("--phoneme-units", action="store_true",
                    help="heard units: the speech encoder's CTC phoneme decisions (blank included), not k-means of "
                         "its states; an encoder without a trained head (encoder_from_onnx) gets one fitted first")
    ap.add_argument("--grounded-share", type=float,
                    help="stage 3d: add speech turns that hear another question with the transcript given, this "
                         "share of the drill (sequences.grounded_turns): answers that follow the transcript")
    ap.add_argument("--copy-share", type=float,
                    help="stage 3d: add repeat and spell turns on fresh dictionary words, this share of the drill "
                         "(copy_drill.py): copying text the data never holds")
    ap.add_argument("--heard-text", type=float, metavar="SHARE",
                    help="with --phoneme-units: add examples heard from text alone (heard_text.py), this share of "
                         "stage 2's transcriptions and of stage 3's turns: new sentences and words without rendering")
    ap.add_argument("--heard-text-widen", type=float, metavar="TEMPERATURE",
                    help="with --heard-text: flatten the channel's emissions per phoneme at this temperature (> 1: "
                         "its rare mistakes drawn more often, for harder voices than the fit's average)")
    ap.add_argument("--text-pieces", type=int, metavar="WORDS",
                    help="word pieces for the LM's text: the training texts' most frequent words as tokens "
                         "(text_pieces.py; 0 = characters); an LM a build goes on from keeps its own")
    ap.add_argument("--spoken-pieces", type=int, metavar="MERGES",
                    help="answer-unit pieces: byte-pair merges of the answers' spoken units as tokens "
                         "(spoken_pieces.py; 0 = one token a unit); an LM a build goes on from keeps its own, "
                         "widened by the further merges when MERGES is more")
    ap.add_argument("--unit-noise", type=float, help="share of heard units replaced at random (stages 2-3): for tuning")
    ap.add_argument("--only", choices=["encoder", "data", "lm", "vocoder"],
                    help="stop after this step: encoder (work/encoder.pt), data (work/data.pt), lm (work/lm.pt); "
                         "vocoder trains work/vocoder.pt alone, so it can run beside an --only lm run")
    ap.add_argument("--human-root", default=os.environ.get("VOXGATE_HUMAN_SPEECH"),
                    help="root of Debian's speech packages unpacked (human_speech.fetch); default: fetched into --work")
    ap.add_argument("--resume", action="store_true",
                    help="continue an interrupted build: reuse every finished step's files in --work")
    ap.add_argument("--reuse-data", action="store_true", help="reuse work/data.pt from an earlier run")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume-after", choices=STAGES,
                    help="load the LM checkpoint an earlier run saved after this stage and train only what follows")
    ap.add_argument("--reuse-vocoder", action="store_true", help="load work/vocoder.pt from an earlier run")
    ap.add_argument("--baseline", metavar="JSON",
                    help="eval_shipped.py's figures for an earlier model on the same data: a column in the card")
    ap.add_argument("--warm-from", metavar="MODEL_DIR",
                    help="fine-tune this model's LM to hear the encoder's units; its spoken units and vocoder stay "
                         "(warm_start.py; use with --plan warm)")
    ap.add_argument("--continue-lm", metavar="CHECKPOINT",
                    help="start the LM stages from a finished build's LM (its work/lm.pt, or a folder's lm.gguf: a q8_0 one starts from its 8-bit values) for a further pass; "
                         "with --resume-after, the stages up to that one are skipped")
    ap.add_argument("--heard-from", metavar="DATA_PT",
                    help="with --continue-lm: the data.pt of the build whose units that LM hears (or the units.onnx "
                         "of a folder built on the same encoder); its heard-unit embeddings are rebuilt for this "
                         "build's units by co-occurrence on the same audio (heard_remap.py)")
    ap.add_argument("--seed", type=int, help="the plan's seed (example draws and batch order); a further pass "
                                             "takes another, so it does not replay the first pass's batches")
    ap.add_argument("--onnx-lm-out", metavar="DIR",
                    help="also write a model folder whose LM runs in onnxruntime (onnx_lm_folder.py): the same "
                         "weights as lm.gguf, with embeddings input for the LLaSM path")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    plan_name = "smoke" if args.smoke else args.plan
    plan = PLANS[plan_name]
    if args.steps_scale != 1.0 or args.unit_noise is not None:
        plan = tuned(plan, args.steps_scale, args.unit_noise)
    if args.seed is not None:
        plan = dataclasses.replace(plan, seed=args.seed)
    if args.grounded_share is not None:
        if not plan.stage3d:
            ap.error(f"--grounded-share adds to stage 3d, which the {plan_name} plan does not have")
        plan = dataclasses.replace(plan, stage3d_grounded_share=args.grounded_share)
    if args.copy_share is not None:
        if not plan.stage3d:
            ap.error(f"--copy-share adds to stage 3d, which the {plan_name} plan does not have")
        plan = dataclasses.replace(plan, stage3d_copy_share=args.copy_share)
    if args.text_pieces is not None:
        plan = dataclasses.replace(plan, text_pieces=args.text_pieces)
    if args.spoken_pieces is not None:
        plan = dataclasses.replace(plan, spoken_pieces=args.spoken_pieces)
    if args.heard_text is not None:
        if not args.phoneme_units:
            ap.error("--heard-text draws heard phonemes: it needs --phoneme-units")
        plan = dataclasses.replace(plan, heard_text_share=args.heard_text)
    if args.heard_text_widen is not None:
        if args.heard_text is None:
            ap.error("--heard-text-widen widens heard text's channel: it needs --heard-text")
        plan = dataclasses.replace(plan, heard_text_widen=args.heard_text_widen)
    if args.unit_clusters:
        plan = dataclasses.replace(plan, data=dataclasses.replace(
            plan.data, units=dataclasses.replace(plan.data.units, clusters=args.unit_clusters)))
    if args.phoneme_units:
        plan = dataclasses.replace(plan, data=dataclasses.replace(
            plan.data, units=dataclasses.replace(plan.data.units, phonemes=True)))
    if args.encoder_scale != 1.0:
        enc = dict(plan.encoder, steps=round(plan.encoder["steps"] * args.encoder_scale))
        if enc.get("max_seconds"):
            enc["max_seconds"] = enc["max_seconds"] * args.encoder_scale
        plan = dataclasses.replace(plan, encoder=enc)
    here = os.path.dirname(os.path.abspath(__file__))
    work = args.work or os.path.join(here, "work", plan_name)
    os.makedirs(work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    started = time.time()
    timings: dict[str, float] = {}

    t0 = time.time()
    human_root = args.human_root
    if human_root is None and not args.smoke:
        from voxgate_recipe.human_speech import fetch
        human_root = fetch(os.path.join(work, "human"))
    done = finished_encoder(work) if args.resume else None
    if done:
        log("encoder: reusing the finished one in --work")
        encoder, encoder_report = done
    else:
        sets = encoder_data(work, args.smoke, plan.data, human_root, log, args.encoder_utterances,
                            fresh_round=args.encoder_round if args.encoder_continue else 0,
                            human_copies=args.human_copies, festival_share=args.festival_share)
        encoder, encoder_report = build_encoder(work, plan.encoder, sets, log, resume=args.resume,
                                                start_from=args.encoder_continue,
                                                batch_seed_offset=max(0, args.encoder_round - 1))
        del sets
    if plan.data.units.phonemes:
        encoder = ctc_head.ensure_head(work, encoder, plan.data, human_root, log)
    timings["encoderSeconds"] = time.time() - t0
    if args.only == "encoder":
        return 0

    t0 = time.time()
    data_file = os.path.join(work, "data.pt")
    if (args.reuse_data or args.resume) and os.path.exists(data_file):
        log(f"reusing {data_file}")
        data = torch.load(data_file, weights_only=False)  # our own file: lists, dicts and arrays
    else:
        data = dataset.build(plan.data, work, log, encoder=encoder)
    timings["dataSeconds"] = time.time() - t0
    if args.only == "data":
        log(f"data written to {work}")
        return 0
    warm_lm = None
    if args.warm_from:
        warm_file = os.path.join(work, "data-warm.pt")
        if (args.reuse_data or args.resume) and os.path.exists(warm_file):
            data = torch.load(warm_file, weights_only=False)
        else:
            data = warm_start.with_spoken_answers(data, warm_start.spoken_extractor(args.warm_from), log)
            torch.save(data, warm_file)
        shipped, _ = read_gguf(os.path.join(args.warm_from, "lm.gguf"))
        warm_lm = warm_start.widen_units(shipped, data["unit_count"] - data["heard_offset"], plan.seed)
    unit_count = data["unit_count"]
    if args.only == "vocoder":
        vocoder_step(args, unit_count, work, plan.seed, plan.phase)
        return 0
    extractor = dataset.make_extractor(data["extractor"], UnitConfig(**data["unit_config"]))
    if args.only != "lm":
        extractor.export_onnx(os.path.join(args.out, "units.onnx"))
    heard_offset = data.get("heard_offset", 0)
    heard_count = unit_count - heard_offset

    t0 = time.time()
    if plan_name == "long" and args.device == "cpu" and args.resume_after is None:
        log("warning: the long plan on a CPU runs for many hours; use --plan full (≈ 1.5-2 h) or a GPU")
    resume_after = args.resume_after or (last_finished_stage(work) if args.resume else None)
    continued_pieces = None
    continued_spoken = None
    if args.continue_lm:
        log(f"LM: a further pass from {args.continue_lm}")
        warm_lm, continued_pieces, continued_units = read_lm(args.continue_lm)
        if args.continue_lm.endswith(".pt"):
            continued_spoken = checkpoint_spoken_pieces(args.continue_lm)
        elif continued_units > unit_count:  # a GGUF's unit tokens do not say what its answer-unit pieces stand for
            ap.error(f"{args.continue_lm} has answer-unit pieces; go on from its lm.pt checkpoint instead")
        if args.heard_from:
            warm_lm = remapped_heard_units(warm_lm, args.heard_from, data, extractor, heard_offset, plan.seed, log)
    merges = lm_spoken_merges(plan, data, work, continued_spoken, resume_after, log)
    V.use_spoken_pieces(merges, unit_count)
    lm_units = unit_count + len(merges)  # the LM's unit tokens: the data's units, then the answer-unit pieces
    V.use_text_pieces(lm_text_pieces(plan, data, work, continued_pieces, resume_after, log), lm_units)
    if warm_lm is not None and V.text_pieces() and warm_lm.cfg.vocab_size == V.FIRST_UNIT_ID + unit_count:
        log(f"LM: {len(V.text_pieces())} word pieces added to a character vocabulary")
        warm_lm = warm_start.widen_text(warm_lm, V.text_pieces())
    had = len(continued_spoken[0]) if continued_spoken else 0  # the pieces the LM goes on with: the first of merges
    if warm_lm is not None and len(merges) > had and \
            warm_lm.cfg.vocab_size == V.FIRST_UNIT_ID + unit_count + had + len(V.text_pieces()):
        log(f"LM: {len(merges) - had} answer-unit pieces added after its units and {had} pieces")
        warm_lm = warm_start.widen_spoken(warm_lm, V.FIRST_UNIT_ID + unit_count + had,
                                          spoken_pieces.expansions(merges, unit_count)[had:])
    heard = heard_text(plan, data, work, log) if plan.heard_text_share > 0 else None
    lm, reports = build_lm(plan, data, work, log, resume_after, args.device, warm_lm, continued=bool(args.continue_lm),
                           heard=heard)
    save_checkpoint(lm, os.path.join(work, "lm.pt"), V.text_pieces(), (V.spoken_merges(), V.spoken_first()))
    with open(os.path.join(work, "lm-training.json"), "w") as f:
        json.dump({"plan": plan_name, "reports": reports}, f, indent=2)
    if args.only == "lm":
        log(f"LM checkpoints written to {work}")
        return 0
    write_gguf(lm, V.build_vocab(lm_units), os.path.join(args.out, "lm.gguf"), name=plan.name, weights=plan.lm_weights)
    write_parity(lm, os.path.join(args.out, "parity.json"), gguf_file="lm.gguf", weights=plan.lm_weights)
    timings["lmSeconds"] = time.time() - t0

    t0 = time.time()
    units = units_section(extractor, heard_count)
    vocode = None
    if args.warm_from:
        # The answers stay in the shipped model's units: its vocoder speaks them as it did.
        shutil.copyfile(os.path.join(args.warm_from, "vocoder.onnx"), os.path.join(args.out, "vocoder.onnx"))
        with open(os.path.join(args.warm_from, "manifest.json")) as f:
            vocoder_section = {**json.load(f)["vocoder"], "unitCount": data["spoken_unit_count"]}
        units["tokenOffset"] = heard_offset
        extractor = warm_start.HeardUnits(extractor, heard_offset)
    else:
        vocoder = vocoder_step(args, unit_count, work, plan.seed, plan.phase)
        export_vocoder_onnx(vocoder, os.path.join(args.out, "vocoder.onnx"))
        vocoder_section = vocoder_manifest(vocoder)

        def vocode(units: list[int]):
            with torch.no_grad():
                audio, _ = vocoder(torch.tensor([units], dtype=torch.long))
            return audio[0].numpy()
    timings["vocoderSeconds"] = time.time() - t0

    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        f.write(manifest_json(manifest(plan, units, vocoder_section, merges, unit_count)))
    if args.onnx_lm_out:
        write_onnx_lm_folder(lm, V.build_vocab(lm_units), args.out, args.onnx_lm_out, log)
        if args.smoke:  # the LLaSM adaptor: only its smoke-sized stage 1 exists yet (train_adaptor.py)
            write_adaptor_files(encoder, lm, args.onnx_lm_out, seed=plan.seed, log=log, **ADAPTOR_SMOKE)

    t0 = time.time()
    torch.set_num_threads(1)
    figures = evaluate(lm, extractor, data, vocode, plan.eval_per_skill, plan.seed, log)
    human_dev = []
    if human_root:
        from voxgate_recipe.human_speech import load, split
        human_dev = [(u.text, load(u)) for u in split(human_root)[1]]
    figures["conditions"] = evaluate_conditions(lm, extractor, data, plan.eval_per_condition, plan.seed, human_dev, log)
    timings["evalSeconds"] = time.time() - t0
    timings["totalSeconds"] = time.time() - started
    if args.warm_from:
        figures.update({"warmFrom": os.path.relpath(os.path.abspath(args.warm_from), os.path.dirname(os.path.dirname(here))),
                        "spokenUnitCount": data["spoken_unit_count"]})
    if args.baseline:
        with open(args.baseline) as f:
            baseline = json.load(f)
        figures.update({"baselineModel": os.path.basename(os.path.normpath(baseline["model"])),
                        "baselineConditions": baseline["conditions"]})
    figures.update({"encoder": encoder_report, "training": reports, "timings": {k: round(v, 1) for k, v in timings.items()},
                    "lmParameters": lm.param_count(), "lmConfig": lm.cfg.to_dict(),
                    "smoke": args.smoke, "plan": plan_name,
                    "files": {n: os.path.getsize(os.path.join(args.out, n))
                              for n in ("units.onnx", "lm.gguf", "vocoder.onnx")}})
    with open(os.path.join(args.out, "eval.json"), "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")
    write_card(args.out, plan, figures)
    log(f"done in {timings['totalSeconds'] / 60:.1f} min: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
