"""LM training loop shared by the three stages: length-bucketed batches, AdamW, cosine schedule."""
from __future__ import annotations

import math
import random
import time

import torch
import torch.nn.functional as F

from . import vocab as V
from .lm_model import LlamaLm

Example = tuple[list[int], list[int]]


def batches(examples: list[Example], tokens_per_batch: int, rng: random.Random):
    """Endless batches of similar-length examples (little padding), each about tokens_per_batch tokens."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i][0]))
    groups: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = len(examples[i][0])
        if current and longest * (len(current) + 1) > tokens_per_batch:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    while True:
        rng.shuffle(groups)
        for g in groups:
            yield collate([examples[i] for i in g])


def collate(group: list[Example]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(len(ids) for ids, _ in group)
    inputs = torch.full((len(group), length - 1), V.PAD_ID, dtype=torch.long)
    targets = torch.full((len(group), length - 1), -100, dtype=torch.long)
    for row, (ids, mask) in enumerate(group):
        t = torch.tensor(ids, dtype=torch.long)
        m = torch.tensor(mask[1:], dtype=torch.bool)
        inputs[row, : len(ids) - 1] = t[:-1]
        targets[row, : len(ids) - 1] = torch.where(m, t[1:], torch.tensor(-100))
    return inputs, targets, torch.tensor(0)


def train(model: LlamaLm, examples: list[Example], *, steps: int, lr: float, tokens_per_batch: int,
          seed: int, name: str, log=print, warmup: int = 50, unit_loss_weight: float = 1.0) -> dict:
    """unit_loss_weight < 1 lets the text parts (transcript, answer) weigh more than the many unit tokens."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.05)
    it = batches(examples, tokens_per_batch, rng)
    model.train()
    t0 = time.time()
    tokens = 0
    ema = None
    for step in range(steps):
        scale = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / steps))
        for g in opt.param_groups:
            g["lr"] = lr * max(scale, 0.05)
        inputs, targets, _ = next(it)
        logits = model(inputs)
        flat = targets.reshape(-1)
        per_token = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat, ignore_index=-100, reduction="none")
        weight = torch.where(flat >= V.FIRST_UNIT_ID, unit_loss_weight, 1.0) * (flat != -100)
        loss = (per_token * weight).sum() / weight.sum().clamp(min=1.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tokens += inputs.numel()
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % 100 == 0 or step == steps - 1:
            rate = tokens / max(1e-6, time.time() - t0)
            log(f"{name} step {step}/{steps} loss {ema:.3f} ({rate:.0f} tokens/s)")
    model.eval()
    return {"stage": name, "steps": steps, "final_loss": ema, "seconds": round(time.time() - t0, 1),
            "tokens": tokens}
