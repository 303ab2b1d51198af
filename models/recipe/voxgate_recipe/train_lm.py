"""LM training loop shared by the three stages: length-bucketed batches, AdamW, cosine schedule."""
from __future__ import annotations

import contextlib
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
    collated: dict[int, tuple] = {}  # each group is padded once: the batches repeat every epoch
    indices = list(range(len(groups)))
    while True:
        rng.shuffle(indices)
        for k in indices:
            if k not in collated:
                collated[k] = collate([examples[i] for i in groups[k]])
            yield collated[k]


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
          seed: int, name: str, log=print, warmup: int = 50, unit_loss_weight: float = 1.0,
          device: str = "cpu", max_seconds: float | None = None, unit_noise: float = 0.0,
          noise_units: tuple[int, int] | None = None) -> dict:
    """unit_loss_weight < 1 lets the text parts (transcript, answer) weigh more than the many unit tokens.

    unit_noise replaces that share of the units the model reads but is not asked to predict (the caller's
    speech) with random units: unseen voices give units the model never saw in that order, and the noise
    teaches it to lean on context rather than on memorised unit strings. noise_units = (first token, count)
    of the heard units where they differ from the spoken ones (warm_start.py); default: every unit token.

    On a GPU the forward pass runs under bf16 autocast (weights and optimizer stay f32). max_seconds
    stops a stage early (the report says so): a guard for time-limited machines, not a schedule.
    """
    rng = random.Random(seed)
    torch.manual_seed(seed)
    cuda = device.startswith("cuda")
    fused = {"fused": True} if cuda else {}  # one kernel per step on a GPU; older CPU torch lacks the option
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.05, **fused)
    it = batches(examples, tokens_per_batch, rng)
    model.train()
    t0 = time.time()
    tokens = 0
    ema = None
    stopped_early_at = None
    for step in range(steps):
        progress = step / steps
        if max_seconds is not None:
            # Under a time cap the cosine follows whichever runs out first, steps or seconds,
            # so a stage cut short still ends with its learning rate annealed.
            progress = max(progress, (time.time() - t0) / max_seconds)
            if progress >= 1.0:
                stopped_early_at = step
                log(f"{name}: time cap of {max_seconds:.0f}s reached at step {step}/{steps}")
                break
        scale = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * progress))
        for g in opt.param_groups:
            g["lr"] = lr * max(scale, 0.05)
        inputs, targets, _ = next(it)
        inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        if unit_noise > 0:
            first, unit_count = noise_units or (V.FIRST_UNIT_ID, (V.unit_id_end() or model.cfg.vocab_size) - V.FIRST_UNIT_ID)
            heard = (inputs >= first) & (inputs < first + unit_count) & (targets == -100)
            flip = heard & (torch.rand(inputs.shape, device=inputs.device) < unit_noise)
            noise = torch.randint_like(inputs, first, first + unit_count)
            inputs = torch.where(flip, noise, inputs)
        with torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext():
            logits = model(inputs)
        logits = logits.float()
        flat = targets.reshape(-1)
        per_token = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat, ignore_index=-100, reduction="none")
        is_unit = (flat >= V.FIRST_UNIT_ID) & (flat < (V.unit_id_end() or model.cfg.vocab_size))
        weight = torch.where(is_unit, unit_loss_weight, 1.0) * (flat != -100)
        loss = (per_token * weight).sum() / weight.sum().clamp(min=1.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tokens += inputs.numel()
        if not cuda or step % 25 == 0 or step == steps - 1:
            # .item() waits for the GPU, so there the loss is read every 25 steps only.
            decay = 0.6 if cuda else 0.95
            value = loss.item()
            ema = value if ema is None else decay * ema + (1 - decay) * value
        if step % 100 == 0 or step == steps - 1:
            rate = tokens / max(1e-6, time.time() - t0)
            log(f"{name} step {step}/{steps} loss {ema:.3f} ({rate:.0f} tokens/s)")
    model.eval()
    report = {"stage": name, "steps": steps, "final_loss": ema, "seconds": round(time.time() - t0, 1),
              "tokens": tokens, "device": device}
    if stopped_early_at is not None:
        report["stoppedEarlyAtStep"] = stopped_early_at
    return report
