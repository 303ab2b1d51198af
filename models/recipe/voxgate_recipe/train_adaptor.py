"""LLaSM's first stage, modality adaptation: the encoder and the LM frozen, the adaptor learns from speech and
its transcript to put speech where the LM already reads it.

Each example is the speech-to-text prompt with the adapted embeddings in the place of the units,
`[Human]:<sosp>{embeddings}<eosp><2t><eoh>[Assistant]:`, followed by the transcript part the LM writes on the
SpeechGPT path, `[tq] transcript;`; the loss is on the transcript's tokens alone. (Stage 2, cross-modal
instruction following, trains the adaptor and the LM on the chain-of-modality templates: not built yet.)
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from . import vocab as V
from .adaptor import SpeechEmbedder
from .lm_model import LlamaLm
from .onnx_lm import CachedLm
from .sequences import PROMPTS

# A smoke build's stage 1: enough steps to show the loss falling, seconds on 2 cores.
SMOKE = dict(steps=40, lr=3e-3, batch=4)

IGNORE = -100


@dataclass
class SpeechPair:
    wav: np.ndarray
    text: str


def _prompt_parts() -> tuple[list[int], list[int]]:
    before, after = PROMPTS["speech-to-text"].split("{input}")
    return V.encode_template(before), V.encode_template(after)


def batch_tensors(lm: LlamaLm, embedder: SpeechEmbedder, states: list[torch.Tensor], texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded inputs_embeds [B, T, dim] and next-token targets [B, T] (IGNORE off the transcript)."""
    before, after = _prompt_parts()
    rows, targets = [], []
    for h, text in zip(states, texts):
        transcript = [V.TQ_ID] + V.encode_text(" " + text + ";")
        speech = embedder.adaptor(h)[0]
        tokens_before = lm.embed(torch.tensor(before))
        tokens_after = lm.embed(torch.tensor(after + transcript))
        x = torch.cat([tokens_before, speech, tokens_after])
        # Position i predicts the token at i + 1: the transcript's tokens, from the last prompt token on.
        y = torch.full((x.shape[0],), IGNORE, dtype=torch.long)
        first = x.shape[0] - len(transcript) - 1
        y[first: first + len(transcript)] = torch.tensor(transcript)
        rows.append(x)
        targets.append(y)
    longest = max(r.shape[0] for r in rows)
    x = torch.stack([F.pad(r, (0, 0, 0, longest - r.shape[0])) for r in rows])
    y = torch.stack([F.pad(t, (0, longest - t.shape[0]), value=IGNORE) for t in targets])
    return x, y


def transcript_loss(cached: CachedLm, embedder: SpeechEmbedder, states: list[torch.Tensor], texts: list[str]) -> torch.Tensor:
    """Mean cross-entropy of the transcripts' tokens."""
    x, y = batch_tensors(cached.lm, embedder, states, texts)
    hidden, _ = cached.hidden(x, *cached.empty_cache(x.shape[0]))
    return F.cross_entropy(cached.lm.head(hidden).flatten(0, 1), y.flatten(), ignore_index=IGNORE)


def train_adaptor(embedder: SpeechEmbedder, lm: LlamaLm, pairs: list[SpeechPair], *, steps: int, lr: float,
                  batch: int, seed: int, max_seconds: float | None = None, log=print) -> dict:
    """Trains embedder.adaptor in place (stopping early past max_seconds); returns the transcript loss on all
    `pairs` before and after. The loss over every pair is for smoke-sized sets; larger ones report none."""
    for p in list(lm.parameters()) + list(embedder.encoder.parameters()):
        p.requires_grad_(False)
    lm.eval()
    embedder.encoder.eval()
    cached = CachedLm(lm)
    states = [embedder.encoder_states(p.wav) for p in pairs]
    texts = [p.text for p in pairs]
    whole_set = len(pairs) <= 64
    with torch.no_grad():
        before = round(float(transcript_loss(cached, embedder, states, texts)), 4) if whole_set else None
    opt = torch.optim.AdamW(embedder.adaptor.parameters(), lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    started = time.time()
    embedder.adaptor.train()
    done = 0
    for step in range(steps):
        if max_seconds is not None and time.time() - started > max_seconds:
            log(f"adaptor stage 1 stopped at step {step}: {max_seconds:.0f} s")
            break
        pick = rng.sample(range(len(pairs)), min(batch, len(pairs)))
        loss = transcript_loss(cached, embedder, [states[i] for i in pick], [texts[i] for i in pick])
        opt.zero_grad()
        loss.backward()
        opt.step()
        done = step + 1
        if step % 50 == 0 or step == steps - 1:
            log(f"adaptor stage 1 step {step}/{steps} loss {float(loss):.3f}")
    embedder.adaptor.eval()
    with torch.no_grad():
        after = round(float(transcript_loss(cached, embedder, states, texts)), 4) if whole_set else None
    return {"stage": "adaptor-stage1-modality-adaptation", "steps": done, "plannedSteps": steps, "pairs": len(pairs),
            "lossBefore": before, "lossAfter": after, "seconds": round(time.time() - started, 1)}
