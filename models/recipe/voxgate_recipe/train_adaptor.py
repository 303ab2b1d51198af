"""LLaSM's two training stages for the adaptor, on speech-to-text examples with the adapted embeddings in the
place of the units: `[Human]:<sosp>{embeddings}<eosp><2t><eoh>[Assistant]:` and then what the LM writes on the
SpeechGPT path.

1. Modality adaptation: the encoder and the LM frozen, the adaptor learns from speech and its transcript; the loss
   is on `[tq] transcript;` alone, so speech lands where the LM already reads it.
2. Cross-modal instruction following: the adaptor and the LM trained together (the LM at a lower rate) on the
   whole chain-of-modality answer, `[tq] transcript; [ta] answer<eoa>`. Here on the speech-to-text template only:
   the spoken-answer templates need the answer voice's units, which a later stage adds.
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
from .sequences import PROMPTS, answer_ids, prompt_ids

# A smoke build's stage 1: enough steps to show the loss falling, seconds on 2 cores.
SMOKE = dict(steps=40, lr=3e-3, batch=4)

IGNORE = -100
# Sets this small get their loss measured whole before and after (the smoke build checks it falls).
WHOLE_SET_PAIRS = 64
# Share of training examples that follow an earlier turn, as a conversation's later turns do in the gateway: an
# adaptor trained on first turns only misheard speech after a greeting (measured: "what is two plus three" heard
# as "who are you").
HISTORY_SHARE = 0.5


@dataclass
class SpeechPair:
    wav: np.ndarray
    text: str
    answer: str | None = None


def target_ids(pair: SpeechPair, stage: int) -> list[int]:
    """What the loss is on: the transcript part (stage 1), or the whole speech-to-text answer (stage 2)."""
    if stage == 1 or pair.answer is None:
        return [V.TQ_ID] + V.encode_text(" " + pair.text + ";")
    return answer_ids("speech-to-text", pair.text, pair.answer, [])


def history_turn(pair: SpeechPair) -> list[int]:
    """An earlier text turn, as the conversation holds it: its prompt and answer, ended by <eoa>."""
    return prompt_ids("text-to-text", pair.text, []) + answer_ids("text-to-text", pair.text, pair.answer or "", [])


def batch_tensors(lm: LlamaLm, embedder: SpeechEmbedder, states: list[torch.Tensor], targets: list[list[int]],
                  histories: list[list[int]] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded inputs_embeds [B, T, dim] and next-token targets [B, T] (IGNORE off each target)."""
    before, after = (V.encode_template(p) for p in PROMPTS["speech-to-text"].split("{input}"))
    rows, labels = [], []
    for k, (h, target) in enumerate(zip(states, targets)):
        earlier = histories[k] if histories else []
        x = torch.cat([lm.embed(torch.tensor(earlier + before, dtype=torch.long)), embedder.adaptor(h)[0],
                       lm.embed(torch.tensor(after + target))])
        # Position i predicts the token at i + 1: the target's tokens, from the last prompt token on.
        y = torch.full((x.shape[0],), IGNORE, dtype=torch.long)
        first = x.shape[0] - len(target) - 1
        y[first: first + len(target)] = torch.tensor(target)
        rows.append(x)
        labels.append(y)
    longest = max(r.shape[0] for r in rows)
    x = torch.stack([F.pad(r, (0, 0, 0, longest - r.shape[0])) for r in rows])
    y = torch.stack([F.pad(t, (0, longest - t.shape[0]), value=IGNORE) for t in labels])
    return x, y


def target_loss(cached: CachedLm, embedder: SpeechEmbedder, states: list[torch.Tensor], targets: list[list[int]],
                histories: list[list[int]] | None = None) -> torch.Tensor:
    """Mean cross-entropy of the targets' tokens."""
    x, y = batch_tensors(cached.lm, embedder, states, targets, histories)
    hidden, _ = cached.hidden(x, *cached.empty_cache(x.shape[0]))
    return F.cross_entropy(cached.lm.head(hidden).flatten(0, 1), y.flatten(), ignore_index=IGNORE)


def transcript_loss(cached: CachedLm, embedder: SpeechEmbedder, states: list[torch.Tensor], pairs: list[SpeechPair]) -> torch.Tensor:
    return target_loss(cached, embedder, states, [target_ids(p, 1) for p in pairs])


def train_adaptor(embedder: SpeechEmbedder, lm: LlamaLm, pairs: list[SpeechPair], *, steps: int, lr: float,
                  batch: int, seed: int, stage: int = 1, lm_lr: float | None = None, max_seconds: float | None = None,
                  log=print) -> dict:
    """Trains embedder.adaptor (and in stage 2 the LM, at lm_lr) in place, stopping early past max_seconds.

    Returns the stage's loss over every pair before and after for sets of up to WHOLE_SET_PAIRS (None beyond).
    """
    train_lm = stage == 2
    for p in embedder.encoder.parameters():
        p.requires_grad_(False)
    for p in lm.parameters():
        p.requires_grad_(train_lm)
    embedder.encoder.eval()
    lm.eval()  # no dropout in this LM: eval mode only fixes nothing random
    cached = CachedLm(lm)
    states = [embedder.encoder_states(p.wav) for p in pairs]
    targets = [target_ids(p, stage) for p in pairs]
    whole_set = len(pairs) <= WHOLE_SET_PAIRS

    def whole_loss() -> float | None:
        with torch.no_grad():
            return round(float(target_loss(cached, embedder, states, targets)), 4) if whole_set else None

    before = whole_loss()
    groups = [{"params": list(embedder.adaptor.parameters()), "lr": lr}]
    if train_lm:
        groups.append({"params": list(lm.parameters()), "lr": lm_lr if lm_lr is not None else lr / 10})
    opt = torch.optim.AdamW(groups, weight_decay=0.0)
    rng = random.Random(seed)
    started = time.time()
    embedder.adaptor.train()
    done = 0
    for step in range(steps):
        if max_seconds is not None and time.time() - started > max_seconds:
            log(f"adaptor stage {stage} stopped at step {step}: {max_seconds:.0f} s")
            break
        pick = rng.sample(range(len(pairs)), min(batch, len(pairs)))
        histories = [history_turn(rng.choice(pairs)) if pairs[i].answer is not None and rng.random() < HISTORY_SHARE else []
                     for i in pick]
        loss = target_loss(cached, embedder, [states[i] for i in pick], [targets[i] for i in pick], histories)
        opt.zero_grad()
        loss.backward()
        opt.step()
        done = step + 1
        if step % 50 == 0 or step == steps - 1:
            log(f"adaptor stage {stage} step {step}/{steps} loss {float(loss):.3f}")
    embedder.adaptor.eval()
    for p in lm.parameters():
        p.requires_grad_(False)
    return {"stage": f"adaptor-stage{stage}", "steps": done, "plannedSteps": steps, "pairs": len(pairs),
            "lossBefore": before, "lossAfter": whole_loss(), "seconds": round(time.time() - started, 1)}
