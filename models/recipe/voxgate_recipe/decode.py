"""Greedy decoding with a key/value cache, for evaluation (the reference greedy recomputes everything)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .lm_model import LlamaLm, apply_rope


class CachedDecoder:
    def __init__(self, model: LlamaLm) -> None:
        self.model = model
        self.keys: list[torch.Tensor | None] = [None] * len(model.blocks)
        self.values: list[torch.Tensor | None] = [None] * len(model.blocks)
        self.position = 0

    @torch.no_grad()
    def feed(self, ids: list[int]) -> torch.Tensor:
        """Appends tokens to the cache and returns the logits after the last one."""
        m = self.model
        t = len(ids)
        start = self.position
        cos, sin = m.rope_cos[start : start + t], m.rope_sin[start : start + t]
        x = m.embed(torch.tensor([ids], dtype=torch.long))
        for n, block in enumerate(m.blocks):
            a = block.attn
            h = block.attn_norm(x)
            q = a.wq(h).view(1, t, a.n_heads, a.head_dim).transpose(1, 2)
            k = a.wk(h).view(1, t, a.n_heads, a.head_dim).transpose(1, 2)
            v = a.wv(h).view(1, t, a.n_heads, a.head_dim).transpose(1, 2)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
            prev_k, prev_v = self.keys[n], self.values[n]
            k = k if prev_k is None else torch.cat([prev_k, k], dim=2)
            v = v if prev_v is None else torch.cat([prev_v, v], dim=2)
            self.keys[n], self.values[n] = k, v
            total = k.shape[2]
            mask = torch.full((t, total), float("-inf")).triu(total - t + 1)
            scores = (q @ k.transpose(-2, -1)) * (a.head_dim ** -0.5) + mask
            out = F.softmax(scores, dim=-1) @ v
            x = x + a.wo(out.transpose(1, 2).reshape(1, t, -1))
            x = x + block.ffn(block.ffn_norm(x))
        self.position += t
        return m.head(m.norm(x))[0, -1]

    def generate(self, prompt: list[int], max_new: int, eos_id: int) -> list[int]:
        logits = self.feed(prompt)
        out: list[int] = []
        for _ in range(max_new):
            if self.position >= self.model.cfg.max_seq_len:
                break
            nxt = int(torch.argmax(logits))
            out.append(nxt)
            if nxt == eos_id:
                break
            logits = self.feed([nxt])
        return out
