"""The speech encoder's training and dev sets: many voices, two synthesizers, real speech, real channels.

Texts come from the LM data's own split (dataset.build_items), so a sentence held out of the LM's
training is held out of the encoder's too. Each utterance is stored as log-mel features with its
phoneme targets and the condition it was rendered in, so figures can be split by condition.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from multiprocessing import Pool

import numpy as np
import torch

from . import dataset, phonemes
from .augment import CLEAN_CHAIN, apply_chain, random_chain
from .encoder_model import ENCODER_HOP_SAMPLES, MEL_HOP_SAMPLES, WINDOW_SAMPLES
from .synth import FESTIVAL_DEV, FESTIVAL_TRAIN, SynthVoice, sample_festival_voice, sample_synth_voice, synthesize
from .units import LogMel

# Silence before each training utterance: the encoder sees the start of speech after quiet, as callers'
# utterances begin; ≡ WINDOW - MEL_HOP (mod hop) so the mel pairs line up with hops as in units.onnx.
TRAIN_PAD_SAMPLES = ENCODER_HOP_SAMPLES * 12 + (WINDOW_SAMPLES - MEL_HOP_SAMPLES)


@dataclass
class EncoderDataConfig:
    train_utterances: int = 16000
    dev_per_condition: int = 120
    human_copies: int = 4  # real voices are few minutes among many hours: each clip in several chains
    clean_share: float = 0.2
    seed: int = 4321
    # Share of training renders in Festival's training voice (0: none, and the draws are those of builds before it).
    festival_share: float = 0.0


SMOKE = EncoderDataConfig(train_utterances=120, dev_per_condition=8, human_copies=1)

_mel: LogMel | None = None


def _init() -> None:
    global _mel
    torch.set_num_threads(1)
    _mel = LogMel(40)


def mel_of(pcm: np.ndarray) -> np.ndarray:
    """Whole hops after TRAIN_PAD_SAMPLES of silence → [2 * hops + 2 * 12, 40] float16 log-mel."""
    assert _mel is not None
    hops = pcm.size // ENCODER_HOP_SAMPLES
    x = np.concatenate([np.zeros(TRAIN_PAD_SAMPLES, np.float32), pcm[: hops * ENCODER_HOP_SAMPLES]])
    with torch.no_grad():
        return _mel(torch.from_numpy(x).unsqueeze(0)).numpy().astype(np.float16)


def _render(job: dict) -> dict | None:
    try:
        if job["source"] == "synth":
            pcm = synthesize(job["text"], SynthVoice(**job["voice"]))
        else:
            from .human_speech import Utterance, load
            pcm = load(Utterance(**job["utterance"]))
        pcm = apply_chain(pcm, job["chain"])
    except Exception as err:  # one bad render must not stop a build of thousands
        return {"error": f"{job.get('text')}: {err}"}
    if pcm.size < ENCODER_HOP_SAMPLES * 10:
        return {"error": f"{job.get('text')}: too short"}
    return {"mel": mel_of(pcm), "seconds": pcm.size / 16000}


def synth_jobs(items: list, n: int, rng: random.Random, dev: bool, cfg: EncoderDataConfig,
               engine: str | None = None, chain: dict | None = None, festival_share: float = 0.0) -> list[dict]:
    """`festival_share`: of the voices not tied to an engine, this share in Festival (no draw spent when 0)."""
    jobs = []
    for _ in range(n):
        item = rng.choice(items)
        if engine == "festival" or (engine is None and festival_share > 0 and rng.random() < festival_share):
            voice = sample_festival_voice(rng, FESTIVAL_DEV if dev else FESTIVAL_TRAIN)
        else:
            voice = sample_synth_voice(rng, dev, flite_share={None: 0.35, "espeak": 0.0, "flite": 1.0}[engine])
        c = chain if chain is not None else (CLEAN_CHAIN if rng.random() < cfg.clean_share else random_chain(rng))
        jobs.append({"source": "synth", "text": item, "voice": voice.__dict__, "chain": c, "speaker": voice.name})
    return jobs


def human_jobs(utterances: list, copies: int, rng: random.Random, cfg: EncoderDataConfig,
               chain: dict | None = None) -> list[dict]:
    jobs = []
    for u in utterances:
        for c in range(copies):
            ch = chain if chain is not None else (CLEAN_CHAIN if c == 0 else random_chain(rng))
            jobs.append({"source": "human", "text": u.text, "utterance": u.__dict__, "chain": ch,
                         "speaker": f"{u.corpus}/{u.speaker}"})
    return jobs


def plan_jobs(cfg: EncoderDataConfig, data_cfg: dataset.DataConfig, human_root: str | None) -> dict[str, list[dict]]:
    rng = random.Random(cfg.seed)
    items = dataset.build_items(data_cfg, random.Random(data_cfg.seed))
    train_texts = sorted({i.question for i in items if not i.dev} | {i.answer for i in items if not i.dev})
    dev_texts = sorted({i.question for i in items if i.dev and i.skill in ("asr", "repeat", "spell", "other")})
    n = cfg.dev_per_condition
    sets = {
        "train": synth_jobs(train_texts, cfg.train_utterances, rng, False, cfg, festival_share=cfg.festival_share),
        "dev-training-voices": synth_jobs(dev_texts, n, rng, False, cfg, chain=CLEAN_CHAIN),
        "dev-unseen-espeak": synth_jobs(dev_texts, n, rng, True, cfg, engine="espeak", chain=CLEAN_CHAIN),
        "dev-heldout-flite": synth_jobs(dev_texts, n, rng, True, cfg, engine="flite", chain=CLEAN_CHAIN),
        "dev-telephone": synth_jobs(dev_texts, n, rng, True, cfg, chain={**CLEAN_CHAIN, "telephone": True}),
        "dev-opus": synth_jobs(dev_texts, n, rng, True, cfg, chain={**CLEAN_CHAIN, "opusKbps": 24}),
    }
    if cfg.festival_share > 0:
        sets["dev-heldout-festival"] = synth_jobs(dev_texts, n, rng, True, cfg, engine="festival", chain=CLEAN_CHAIN)
    if human_root:
        sets.update(plan_human_jobs(cfg, human_root))
    return sets


def plan_human_jobs(cfg: EncoderDataConfig, human_root: str) -> dict[str, list[dict]]:
    """Real speech: training speakers in several chains each, the dev speakers held out whole."""
    from .human_speech import split
    rng = random.Random(cfg.seed + 1)
    train_h, dev_h = split(human_root)
    return {"train-human": human_jobs(train_h, cfg.human_copies, rng, cfg),
            "dev-human": human_jobs(dev_h, 1, rng, cfg, chain=CLEAN_CHAIN)}


def render_sets(sets: dict[str, list[dict]], log=print) -> dict:
    texts = sorted({j["text"] for jobs in sets.values() for j in jobs})
    phones = dict(zip(texts, phonemes.phonemize(texts)))
    out: dict = {}
    with Pool(2, initializer=_init) as pool:
        for name, jobs in sets.items():
            t0 = time.time()
            rows, errors = [], 0
            for job, res in zip(jobs, pool.imap(_render, jobs, chunksize=8)):
                if res is None or "error" in res:
                    errors += 1
                    continue
                rows.append({"mel": res["mel"], "phones": phones[job["text"]], "text": job["text"],
                             "speaker": job["speaker"], "source": job["source"], "chain": job["chain"],
                             "seconds": res["seconds"]})
            hours = sum(r["seconds"] for r in rows) / 3600
            log(f"{name}: {len(rows)} utterances, {hours:.2f} h, {errors} failed, {time.time() - t0:.0f}s")
            out[name] = rows
    return out
