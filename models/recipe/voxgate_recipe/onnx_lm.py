"""The LM as an ONNX graph on a key/value cache, for onnxruntime-node (the LLaSM path's LM runtime).

node-llama-cpp takes token ids only; an adaptor's speech embeddings need an LM that takes embeddings.
So lm.onnx takes `inputs_embeds` and the cache, and the token-embedding table ships beside it: the
gateway embeds text and marker tokens itself and feeds adapted speech embeddings as they are.

Graph contract (docs/models.md, "lm" with runtime "onnx"):
  inputs   inputs_embeds      float32 [1, T, dim]   the new positions
           past_key.{i}       float32 [1, P, dim]   layer i's keys of the P cached positions, *before* RoPE
           past_value.{i}     float32 [1, P, dim]
  outputs  logits             float32 [1, vocab]    at the last new position
           present_key.{i}    float32 [1, T, dim]   the new positions' keys (before RoPE) and values only
           present_value.{i}  float32 [1, T, dim]
The past length is P, the cache's own length: the caller passes exactly the cached rows.

Keys are cached before RoPE and rotated inside the graph at their current positions, every step: erasing
positions from the middle of a conversation (the gateway drops old turns) is then a plain removal of rows,
with no re-rotation and no recompute, and the later keys take their new positions exactly. Rotating every
cached key costs P·dim multiplies per layer, next to attention's own P·dim.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .lm_model import LlamaLm, apply_rope

ONNX_OPSET = 17  # torch 1.13's newest; onnxruntime-node 1.30 runs it


class CachedLm(nn.Module):
    """LlamaLm evaluated on a cache of un-rotated keys and values: the module lm.onnx is exported from."""

    def __init__(self, lm: LlamaLm) -> None:
        super().__init__()
        self.lm = lm.eval()
        cfg = lm.cfg
        # float64 angles, as lm_model.rope_tables computes them, so the rotations equal torch's tables exactly,
        # with no table and so no longest sequence built into the graph.
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float64) / cfg.head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        # The mask's two values as float32 tensors: python scalars would be exported as doubles.
        self.register_buffer("attend", torch.tensor(0.0), persistent=False)
        self.register_buffer("masked", torch.tensor(float("-inf")), persistent=False)

    def forward(self, inputs_embeds: torch.Tensor, *past: torch.Tensor) -> tuple[torch.Tensor, ...]:
        hidden, presents = self.hidden(inputs_embeds, *past)
        return (self.lm.head(hidden[:, -1]), *presents)

    def hidden(self, inputs_embeds: torch.Tensor, *past: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Final-norm states of the new positions [B, T, dim], and per layer their keys and values.

        Batches of right-padded sequences are fine for training: a position never attends to later ones.
        """
        cfg = self.lm.cfg
        heads, head_dim = cfg.n_heads, cfg.head_dim
        b, t = inputs_embeds.shape[0], inputs_embeds.shape[1]
        p = past[0].shape[1]
        positions = torch.arange(p + t, dtype=torch.float64)
        angles = positions[:, None] * self.inv_freq[None, :]
        cos, sin = angles.cos().float(), angles.sin().float()
        key_pos = torch.arange(p + t)
        query_pos = key_pos[p:]
        mask = torch.where(key_pos[None, :] <= query_pos[:, None], self.attend, self.masked)
        x = inputs_embeds
        presents: list[torch.Tensor] = []
        for i, block in enumerate(self.lm.blocks):
            attn = block.attn
            h = block.attn_norm(x)
            k_new, v_new = attn.wk(h), attn.wv(h)
            k = torch.cat([past[2 * i], k_new], dim=1).view(b, p + t, heads, head_dim).transpose(1, 2)
            v = torch.cat([past[2 * i + 1], v_new], dim=1).view(b, p + t, heads, head_dim).transpose(1, 2)
            q = attn.wq(h).view(b, t, heads, head_dim).transpose(1, 2)
            q, k = apply_rope(q, cos[p:], sin[p:]), apply_rope(k, cos, sin)
            scores = (q @ k.transpose(-2, -1)) * (head_dim ** -0.5) + mask
            out = torch.softmax(scores, dim=-1) @ v
            x = x + attn.wo(out.transpose(1, 2).reshape(b, t, cfg.dim))
            x = x + block.ffn(block.ffn_norm(x))
            presents += [k_new, v_new]
        return self.lm.norm(x), presents

    def empty_cache(self, batch: int = 1) -> list[torch.Tensor]:
        return [torch.zeros(batch, 0, self.lm.cfg.dim) for _ in range(2 * self.lm.cfg.n_layers)]


def input_names(layers: int) -> list[str]:
    return ["inputs_embeds"] + [f"past_{kind}.{i}" for i in range(layers) for kind in ("key", "value")]


def output_names(layers: int) -> list[str]:
    return ["logits"] + [f"present_{kind}.{i}" for i in range(layers) for kind in ("key", "value")]


def export_lm_onnx(lm: LlamaLm, path: str, dynamic_batch: bool = False) -> None:
    """Writes lm.onnx; T and P are dynamic (P may be 0). `dynamic_batch`: the batch axis too, for the batching
    probe (onnx_lm_batch_probe.py), whose sequences share one past length (no padding mask in this graph)."""
    cached = CachedLm(lm)
    layers, dim = lm.cfg.n_layers, lm.cfg.dim
    batch = 2 if dynamic_batch else 1
    # Traced with P, T > 1 and P != T, so no length is folded into the graph as a constant.
    past = [torch.randn(batch, 3, dim) for _ in range(2 * layers)]
    embeds = torch.randn(batch, 2, dim)
    ins, outs = input_names(layers), output_names(layers)
    axes = {"inputs_embeds": {1: "new"}}
    axes.update({n: {1: "past"} for n in ins[1:]})
    axes.update({n: {1: "new"} for n in outs[1:]})
    if dynamic_batch:
        for name in ins + outs:
            axes.setdefault(name, {})[0] = "batch"
    with torch.no_grad():
        torch.onnx.export(cached, (embeds, *past), path, input_names=ins, output_names=outs, dynamic_axes=axes,
                          opset_version=ONNX_OPSET)


def write_embeddings(lm: LlamaLm, path: str) -> None:
    """The token-embedding table, float32 little-endian [vocab, dim], row = token id."""
    lm.embed.weight.detach().to(torch.float32).numpy().astype("<f4").tofile(path)


def check_cached_equals_full(lm: LlamaLm, prompt: list[int], split: int, tolerance: float = 1e-4) -> float:
    """The cached module's last logits, prompt fed in two parts, against LlamaLm's full forward; raises past tolerance."""
    cached = CachedLm(lm)
    with torch.no_grad():
        full = lm(torch.tensor([prompt]))[0, -1]
        emb = lm.embed(torch.tensor([prompt]))
        first = cached(emb[:, :split], *cached.empty_cache())
        past = [torch.cat([a, b], dim=1) for a, b in zip(cached.empty_cache(), first[1:])]
        got = cached(emb[:, split:], *past)[0][0]
    gap = float((got - full).abs().max() / max(1e-9, float(full.abs().max())))
    if not math.isfinite(gap) or gap > tolerance:
        raise AssertionError(f"cached LM differs from the full forward by {gap:.2e} (relative)")
    return gap
