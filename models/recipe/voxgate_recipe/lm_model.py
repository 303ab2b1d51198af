"""A small LLaMA (RMSNorm, RoPE, SwiGLU, no biases, untied head) for voxgate's LM.

Built to match llama.cpp's `llama` architecture exactly, so gguf_writer can
store the weights as they are: RoPE rotates interleaved pairs (x[2i], x[2i+1])
("normal" RoPE), which is what llama.cpp applies to that architecture, so Q/K
need no permutation on export.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class LmConfig:
    dim: int = 256
    n_layers: int = 4
    n_heads: int = 4
    ffn_dim: int = 688
    vocab_size: int = 238
    max_seq_len: int = 1024
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim: int, max_seq_len: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin [max_seq_len, head_dim/2]: pair i turns by pos * theta^(-2i/head_dim)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    angles = torch.outer(torch.arange(max_seq_len, dtype=torch.float64), inv_freq)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, H, T, D]; rotates the interleaved pairs (x[..., 2i], x[..., 2i+1])."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out0 = x0 * cos - x1 * sin
    out1 = x0 * sin + x1 * cos
    return torch.stack((out0, out1), dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, cfg: LmConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.head_dim = cfg.head_dim
        self.wq = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.dim, bias=False)
        self.wo = nn.Linear(cfg.dim, cfg.dim, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        q = self.wq(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if x.is_cuda:
            # Training on a GPU: the fused kernel computes the same causal attention, faster.
            # (RoPE's f32 tables promote q and k under autocast; the kernel wants one dtype.)
            out = F.scaled_dot_product_attention(q.to(v.dtype), k.to(v.dtype), v, is_causal=True)
            return self.wo(out.transpose(1, 2).reshape(b, t, -1))
        scores = (q @ k.transpose(-2, -1)) * (self.head_dim ** -0.5) + mask
        out = F.softmax(scores, dim=-1) @ v
        return self.wo(out.transpose(1, 2).reshape(b, t, -1))


class FeedForward(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x))."""

    def __init__(self, cfg: LmConfig):
        super().__init__()
        self.gate = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.up = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.down = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Block(nn.Module):
    def __init__(self, cfg: LmConfig):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.ffn = FeedForward(cfg)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x), cos, sin, mask)
        return x + self.ffn(self.ffn_norm(x))


class LlamaLm(nn.Module):
    def __init__(self, cfg: LmConfig):
        super().__init__()
        if cfg.dim % cfg.n_heads or cfg.head_dim % 2:
            raise ValueError("dim must split into heads of even size")
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.head = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg.head_dim, cfg.max_seq_len, cfg.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens int64 [B, T] → logits [B, T, vocab], causal."""
        t = tokens.shape[1]
        if t > self.cfg.max_seq_len:
            raise ValueError(f"sequence of {t} tokens exceeds max_seq_len {self.cfg.max_seq_len}")
        mask = torch.full((t, t), float("-inf"), device=tokens.device).triu(1)
        cos, sin = self.rope_cos[:t], self.rope_sin[:t]
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, cos, sin, mask)
        return self.head(self.norm(x))

    @torch.no_grad()
    def greedy(self, prompt_ids: list[int], max_new: int, eos_id: int) -> list[int]:
        """Reference generation: argmax each step, full recompute, stops after eos (included)."""
        ids = list(prompt_ids)
        out: list[int] = []
        for _ in range(max_new):
            if len(ids) >= self.cfg.max_seq_len:
                break
            logits = self.forward(torch.tensor([ids], dtype=torch.long))[0, -1]
            nxt = int(torch.argmax(logits))
            out.append(nxt)
            ids.append(nxt)
            if nxt == eos_id:
                break
        return out

    def param_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def save_checkpoint(model: LlamaLm, path: str, text_pieces: list[str] | None = None,
                    spoken: tuple[list[tuple[int, int]], int] | None = None) -> None:
    """Config and weights in one file, so a checkpoint is enough to rebuild the model; and its word pieces
    (vocab.use_text_pieces) and answer-unit merges with their first unit (vocab.use_spoken_pieces), when it has
    any: a checkpoint's vocabulary is known from the file alone."""
    data = {"config": model.cfg.to_dict(), "state_dict": model.state_dict()}
    if text_pieces:
        data["text_pieces"] = list(text_pieces)
    if spoken and spoken[0]:
        data["spoken_merges"] = [list(m) for m in spoken[0]]
        data["spoken_first"] = spoken[1]
    torch.save(data, path)


def checkpoint_spoken_pieces(path: str) -> tuple[list[tuple[int, int]], int]:
    """The answer-unit merges a checkpoint's LM was trained with and the unit the first makes (([], 0) for none)."""
    data = torch.load(path, map_location="cpu")
    return [(int(a), int(b)) for a, b in data.get("spoken_merges", [])], int(data.get("spoken_first", 0))


def checkpoint_text_pieces(path: str) -> list[str]:
    """The word pieces a checkpoint's LM was trained with ([] for a character vocabulary)."""
    return list(torch.load(path, map_location="cpu").get("text_pieces", []))


def load_checkpoint(path: str) -> LlamaLm:
    data = torch.load(path, map_location="cpu")
    model = LlamaLm(LmConfig(**data["config"]))
    model.load_state_dict(data["state_dict"])
    return model.eval()
