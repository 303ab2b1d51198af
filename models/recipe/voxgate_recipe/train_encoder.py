"""Trains the speech encoder with CTC on phonemes; measures phoneme error rate per dev condition."""
from __future__ import annotations

import math
import random
import time

import numpy as np
import torch
from torch.nn import functional as F

from .encoder_model import EncoderConfig, SpeechEncoder
from .finite_step import finite_step
from .evaluate import edit_distance
from .mel_augment import MelAugment
from .phonemes import BLANK


def batches(rows: list[dict], frames_per_batch: int, rng: random.Random) -> list[list[int]]:
    """Utterances of similar length together (little padding), batches in random order."""
    order = sorted(range(len(rows)), key=lambda i: rows[i]["mel"].shape[0] + rng.random() * 40)
    out, cur, longest = [], [], 0
    for i in order:
        n = rows[i]["mel"].shape[0]
        if cur and max(longest, n) * (len(cur) + 1) > frames_per_batch:
            out.append(cur)
            cur, longest = [], 0
        cur.append(i)
        longest = max(longest, n)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


WARP_SHARE = 0.8  # utterances given a fresh vocal tract and microphone each time they are batched


def collate(rows: list[dict], idx: list[int], ids: dict[str, int], spec_augment: bool,
            rng: random.Random, voice_augment: MelAugment | None = None
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    longest = max(rows[i]["mel"].shape[0] for i in idx)
    mel = torch.zeros(len(idx), longest, rows[idx[0]]["mel"].shape[1])
    in_lens, targets, tgt_lens = [], [], []
    for b, i in enumerate(idx):
        m = torch.from_numpy(rows[i]["mel"].astype(np.float32))
        if voice_augment is not None and rng.random() < WARP_SHARE:
            m = voice_augment(m, rng)
        if spec_augment:
            m = m.clone()
            for _ in range(2):  # frequency masks
                w = rng.randint(0, 6)
                f0 = rng.randint(0, m.shape[1] - w)
                m[:, f0 : f0 + w] = m.mean()
            for _ in range(max(1, m.shape[0] // 150)):  # short time masks: a dropped packet's worth
                w = rng.randint(0, 8)
                t0 = rng.randint(0, max(0, m.shape[0] - w))
                m[t0 : t0 + w] = m.mean()
        mel[b, : m.shape[0]] = m
        in_lens.append(m.shape[0] // 2)
        seq = [ids[p] for p in rows[i]["phones"] if p in ids]
        targets.extend(seq)
        tgt_lens.append(len(seq))
    return mel, torch.tensor(in_lens), torch.tensor(targets), torch.tensor(tgt_lens)


def fit_normalisation(model: SpeechEncoder, rows: list[dict], pad_frames: int) -> None:
    sample = torch.cat([torch.from_numpy(r["mel"][pad_frames:].astype(np.float32)) for r in rows[:2000]])
    model.mel_mean.copy_(sample.mean(dim=0))
    model.mel_inv_std.copy_(1.0 / (sample.std(dim=0) + 1e-3))


def normalised(model: SpeechEncoder, mel: torch.Tensor) -> torch.Tensor:
    return (mel - model.mel_mean) * model.mel_inv_std


def train_encoder(model: SpeechEncoder, rows: list[dict], inventory: list[str], *, steps: int, lr: float,
                  frames_per_batch: int, seed: int, log=print, checkpoint=None, start_step: int = 0,
                  optimizer_state: dict | None = None, max_seconds: float | None = None,
                  voice_augment: bool = True) -> dict:
    rng = random.Random(seed + start_step)
    augment = MelAugment(model.cfg.mel_bands) if voice_augment else None
    ids = {p: i for i, p in enumerate(inventory)}
    assert inventory[0] == BLANK
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    if optimizer_state:
        opt.load_state_dict(optimizer_state)
    warmup = max(1, steps // 20)
    model.train()
    started, step, losses, skipped = time.time(), start_step, [], 0
    while step < steps:
        for idx in batches(rows, frames_per_batch, rng):
            if step >= steps:
                break
            mel, in_lens, targets, tgt_lens = collate(rows, idx, ids, True, rng, augment)
            # Progress is steps or time, whichever is further along: under a time cap on a slow machine the
            # schedule still decays fully instead of stopping at a high learning rate.
            done = step / steps
            if max_seconds:
                done = max(done, (time.time() - started) / max_seconds)
            scale = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))
            for g in opt.param_groups:
                g["lr"] = lr * max(scale, 0.02)
            logp = model.logits(normalised(model, mel)).log_softmax(-1).transpose(0, 1)  # [T, B, C]
            loss = F.ctc_loss(logp, targets, in_lens, tgt_lens, blank=0, zero_infinity=True)
            took = finite_step(loss, model.parameters(), opt)
            step += 1
            if not took:
                skipped += 1  # one odd batch must not poison the weights
                continue
            losses.append(loss.item())
            if step % 50 == 0:
                log(f"encoder step {step}/{steps}: ctc {np.mean(losses[-50:]):.3f}, "
                    f"{(time.time() - started) / (step - start_step):.2f} s/step, {skipped} skipped")
            if checkpoint and step % 250 == 0:
                checkpoint(step, opt.state_dict())
            if max_seconds and time.time() - started > max_seconds:
                log(f"encoder: time cap reached at step {step}")
                steps = step
                break
    model.eval()
    return {"steps": step, "skippedSteps": skipped, "seconds": round(time.time() - started, 1), "finalCtc": float(np.mean(losses[-50:]))
            if losses else None}


def greedy(logits: torch.Tensor) -> list[int]:
    return collapse(logits.argmax(-1).tolist())


def collapse(best: list[int]) -> list[int]:
    """CTC's reading of per-frame best classes: repeats merged, blanks (class 0) dropped."""
    out, last = [], -1
    for t in best:
        if t != last and t != 0:
            out.append(t)
        last = t
    return out


def phoneme_error_rate(model: SpeechEncoder, rows: list[dict], inventory: list[str]) -> float:
    ids = {p: i for i, p in enumerate(inventory)}
    errors = total = 0
    with torch.no_grad():
        for r in rows:
            mel = torch.from_numpy(r["mel"].astype(np.float32)).unsqueeze(0)
            hyp = greedy(model.logits(normalised(model, mel))[0])
            ref = [ids.get(p, -1) for p in r["phones"]]
            errors += edit_distance(ref, hyp)
            total += len(ref)
    return errors / max(1, total)
