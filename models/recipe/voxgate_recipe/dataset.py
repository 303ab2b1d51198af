"""SpeechInstruct built here: rendered speech, units, and the three stages' training texts.

Produces `work/data.pt` with unit sequences for every rendered utterance, the skill
conversations split into train and dev (dev = held-out texts and held-out voices),
and a subset of answer-voice audio for the vocoder.
"""
from __future__ import annotations

import hashlib
import os
import random
import time
from dataclasses import dataclass, field
from multiprocessing import Pool

import numpy as np
import torch

from . import corpus, skills
from .audio import ANSWER_VOICE
from .augment import apply_chain, random_chain
from .encoder_units import EncoderUnitExtractor
from .synth import SynthVoice, sample_synth_voice, synthesize
from .units import UnitConfig, UnitExtractor, merge_repeats

ANSWER_SYNTH = SynthVoice("espeak", ANSWER_VOICE["voice"], ANSWER_VOICE["speed"], ANSWER_VOICE["pitch"])
CLEAN = None  # a job's chain: None = the synthesizer's own audio


@dataclass
class DataConfig:
    written_sentences: int = 2000
    fortune_sentences: int = 6000
    spell_words: int = 3000
    dev_fraction: float = 0.08
    dev_words: int = 150
    other_sentences: int = 1200
    open_skill_voices: int = 1  # renders per repeat, spell and out-of-scope question (each a new voice)
    closed_skill_voices: int = 2  # renders per arithmetic question
    small_talk_voices: int = 24
    next_count_voices: int = 4
    kmeans_fit_utterances: int = 1500
    vocoder_utterances: int = 1500
    dev_per_skill: int = 60
    augmented_share: float = 0.6  # training questions heard through a random channel (augment.py)
    seed: int = 1234
    units: UnitConfig = field(default_factory=UnitConfig)


SMOKE = DataConfig(written_sentences=60, fortune_sentences=60, spell_words=40, dev_words=10, other_sentences=20,
                   closed_skill_voices=1, small_talk_voices=2, next_count_voices=1, kmeans_fit_utterances=80,
                   vocoder_utterances=60, dev_per_skill=4, units=UnitConfig(clusters=32, kmeans_iterations=5))


@dataclass
class Item:
    skill: str
    question: str
    answer: str
    voice: SynthVoice  # the caller's voice for the question audio
    dev: bool
    chain: dict | None = None  # the channel it is heard through (augment.py); None = clean


_extractor: UnitExtractor | EncoderUnitExtractor | None = None


def make_extractor(state: dict, cfg: UnitConfig) -> UnitExtractor | EncoderUnitExtractor:
    """The extractor a saved state describes: the speech encoder's k-means, or log-mel k-means."""
    if "config" in state:
        return EncoderUnitExtractor.from_state(state)
    ex = UnitExtractor(cfg)
    ex.load_state(state)
    return ex


def _init_worker(state: dict, cfg: UnitConfig) -> None:
    global _extractor
    torch.set_num_threads(1)
    _extractor = make_extractor(state, cfg)


def render_job(text: str, voice: SynthVoice, chain: dict | None) -> np.ndarray:
    wav = synthesize(text, voice)
    return apply_chain(wav, chain) if chain else wav


def _render_units(job: tuple) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    text, voice, chain_key, keep_audio = job
    wav = render_job(text, SynthVoice(*voice), dict(chain_key) if chain_key else None)
    assert _extractor is not None
    frames = _extractor.frame_units(wav)
    return frames, (wav if keep_audio else None), (_extractor.vocoder_frames(wav) if keep_audio else None)


def build_items(cfg: DataConfig, rng: random.Random) -> list[Item]:
    fortunes = corpus.fortune_sentences()
    rng.shuffle(fortunes)
    sentences = sorted(set(fortunes[: cfg.fortune_sentences] + corpus.written_sentences(rng, cfg.written_sentences)))
    rng.shuffle(sentences)
    n_dev = max(2, int(len(sentences) * cfg.dev_fraction))
    dev_sent, train_sent = sentences[:n_dev], sentences[n_dev:]
    n_other = min(cfg.other_sentences, len(train_sent) // 4)
    other_train, repeat_train = train_sent[:n_other], train_sent[n_other:]
    words = corpus.spelling_words()
    rng.shuffle(words)
    dev_words, train_words = words[: cfg.dev_words], words[cfg.dev_words : cfg.dev_words + cfg.spell_words]

    items: list[Item] = []

    def add(triples, dev: bool, copies: int = 1) -> None:
        for skill, q, a in triples:
            for _ in range(copies):
                # Dev questions are heard clean: the channels are measured as conditions of their own.
                chain = random_chain(rng) if not dev and rng.random() < cfg.augmented_share else None
                items.append(Item(skill, q, a, sample_synth_voice(rng, dev), dev, chain))

    add(skills.repeat(repeat_train, rng), False, cfg.open_skill_voices)
    add(skills.spell(train_words, rng), False, cfg.open_skill_voices)
    add(skills.arithmetic(rng), False, cfg.closed_skill_voices)
    add(skills.next_item(rng), False, cfg.next_count_voices)
    add(skills.count(rng), False, cfg.next_count_voices)
    add(skills.small_talk(), False, cfg.small_talk_voices)
    add(skills.other(other_train), False, cfg.open_skill_voices)

    # Dev: unseen sentences and words for the open skills; every skill in unseen voices.
    add(skills.repeat(dev_sent[: cfg.dev_per_skill], rng), True)
    add(skills.spell(dev_words[: cfg.dev_per_skill], rng), True)
    add(skills.other(dev_sent[cfg.dev_per_skill : 2 * cfg.dev_per_skill]), True)
    for gen in (skills.arithmetic(rng), skills.next_item(rng), skills.count(rng)):
        triples = list(gen)
        rng.shuffle(triples)
        add(triples[: cfg.dev_per_skill], True)
    add(list(skills.small_talk()), True, max(1, cfg.dev_per_skill // 14 + 1))
    # A transcription-only dev set of unseen sentences (ASR WER).
    for s in dev_sent[2 * cfg.dev_per_skill : 4 * cfg.dev_per_skill]:
        items.append(Item("asr", s, s, sample_synth_voice(rng, True), True))
    return items


def build(cfg: DataConfig, work_dir: str, log=print, encoder=None) -> dict:
    """`encoder`: a trained SpeechEncoder whose hidden states' k-means are the units; None = log-mel k-means."""
    os.makedirs(work_dir, exist_ok=True)
    rng = random.Random(cfg.seed)
    torch.manual_seed(cfg.seed)
    items = build_items(cfg, rng)
    log(f"items: {len(items)} ({sum(i.dev for i in items)} dev)")

    # 1. Fit the unit extractor on a mix of training voices and the answer voice.
    t0 = time.time()
    fit_items = [i for i in items if not i.dev]
    rng.shuffle(fit_items)
    phoneme_units = encoder is not None and cfg.units.phonemes
    fit_count = 0 if phoneme_units else cfg.kmeans_fit_utterances  # phoneme units have nothing to fit
    fit_wavs = [render_job(i.question, i.voice, i.chain) for i in fit_items[:fit_count]]
    fit_wavs += [synthesize(i.answer, ANSWER_SYNTH) for i in fit_items[: fit_count // 3]]
    extractor: UnitExtractor | EncoderUnitExtractor
    if encoder is not None:
        extractor = EncoderUnitExtractor(encoder, cfg.units.clusters, cfg.units.kmeans_iterations,
                                         cfg.units.kmeans_frames, cfg.units.seed, phonemes=cfg.units.phonemes)
    else:
        extractor = UnitExtractor(cfg.units)
    extractor.fit(fit_wavs, log)
    log(f"unit extractor fitted in {time.time() - t0:.0f}s on {len(fit_wavs)} utterances")

    # 2. Render every distinct (text, voice, channel) once and turn it into merged units.
    jobs: dict[tuple, int] = {}

    def job(text: str, voice: SynthVoice, chain: dict | None) -> int:
        key = (text, tuple(voice.__dict__.values()), tuple(sorted(chain.items())) if chain else None)
        if key not in jobs:
            jobs[key] = len(jobs)
        return jobs[key]

    question_ids = [job(i.question, i.voice, i.chain) for i in items]
    answer_ids = [job(i.answer, ANSWER_SYNTH, CLEAN) for i in items]
    answer_jobs = sorted({a for a in answer_ids})
    keep_audio = set(answer_jobs[:: max(1, len(answer_jobs) // cfg.vocoder_utterances)][: cfg.vocoder_utterances])
    job_list = [(k[0], k[1], k[2], idx in keep_audio) for k, idx in sorted(jobs.items(), key=lambda kv: kv[1])]
    t0 = time.time()
    units: list[list[int]] = []
    vocoder_examples: list[tuple[np.ndarray, np.ndarray]] = []
    with Pool(2, initializer=_init_worker, initargs=(extractor.state(), cfg.units)) as pool:
        for n, (frames, wav, frames_10ms) in enumerate(pool.imap(_render_units, job_list, chunksize=16)):
            units.append(merge_repeats(frames)[0].tolist())
            if wav is not None:
                vocoder_examples.append((wav, frames_10ms))
            if n % 2000 == 0:
                log(f"rendered {n}/{len(job_list)} in {time.time() - t0:.0f}s")
    log(f"rendered {len(job_list)} utterances in {time.time() - t0:.0f}s")
    mean_units = np.mean([len(u) for u in units])
    log(f"mean merged units per utterance: {mean_units:.1f}")

    data = {
        "items": [dict(skill=i.skill, question=i.question, answer=i.answer, voice=i.voice.__dict__, dev=i.dev, chain=i.chain,
                       q_units=question_ids[n], a_units=answer_ids[n]) for n, i in enumerate(items)],
        "units": units,
        "unit_count": extractor.clusters if isinstance(extractor, EncoderUnitExtractor) else cfg.units.clusters,
        "extractor": extractor.state(),
        "unit_config": cfg.units.__dict__,
    }
    torch.save(data, os.path.join(work_dir, "data.pt"))
    torch.save(vocoder_examples, os.path.join(work_dir, "vocoder_data.pt"))
    extractor.export_onnx(os.path.join(work_dir, "units.onnx"))
    return data
