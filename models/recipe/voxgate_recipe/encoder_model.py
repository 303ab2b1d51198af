"""The speech encoder: log-mel → causal convolutions (10 → 20 ms) → local-attention transformer.

Trained with a CTC head on phonemes, so its hidden states carry what was said rather than who said
it; the unit extractor is the k-means of those states (SpeechGPT's units are the k-means of HuBERT's).
Every layer looks only backwards and only a bounded distance (attention to the last
`attention_frames` frames, causal convolutions), so a unit depends on a bounded stretch of past
audio: a window with that much left context gives exactly the units of the whole utterance.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .units import HOP_SAMPLES as MEL_HOP_SAMPLES, WINDOW_SAMPLES, LogMel

ENCODER_HOP_SAMPLES = 2 * MEL_HOP_SAMPLES  # one hidden state per 20 ms: two mel frames


@dataclass
class EncoderConfig:
    mel_bands: int = 40
    dim: int = 160
    layers: int = 4
    heads: int = 4
    ffn_dim: int = 480
    attention_frames: int = 16  # 320 ms of past per layer
    conv_kernel: int = 5
    phonemes: int = 64  # CTC classes including blank (set from the inventory)

    def to_dict(self) -> dict:
        return asdict(self)

    def receptive_frames(self) -> int:
        """Past 20 ms frames one output depends on, beyond its own: front end plus every layer."""
        front = 2  # the stride-2 convolution reaches one frame back, the first convolution one more
        return front + self.layers * ((self.attention_frames - 1) + (self.conv_kernel - 1))

    def left_context_samples(self) -> int:
        """Context before the first new hop. ≡ WINDOW - MEL_HOP (mod hop) so mel pairs align with hops."""
        return ENCODER_HOP_SAMPLES * self.receptive_frames() + (WINDOW_SAMPLES - MEL_HOP_SAMPLES)


class CausalConv(nn.Module):
    """A causal 1-D convolution written as shifted slices and a matrix product.

    torch's Conv1d backward on this machine's CPU build returned infinite weight gradients now and
    then (not reproducible run to run); slices and matmuls train cleanly and export to plain ONNX.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, depthwise: bool = False) -> None:
        super().__init__()
        self.kernel, self.stride, self.depthwise = kernel, stride, depthwise
        if depthwise:
            assert cin == cout and stride == 1
            self.weight = nn.Parameter(torch.randn(kernel, cin) / math.sqrt(kernel))
            self.bias = nn.Parameter(torch.zeros(cin))
        else:
            self.proj = nn.Linear(cin * kernel, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, T, C] → [B, T // stride, C']
        t = x.shape[1]
        xp = F.pad(x, (0, 0, self.kernel - self.stride, 0))
        # Tap i of output j reads input frame j * stride + i - (kernel - stride).
        taps = [xp[:, i : i + t : self.stride] for i in range(self.kernel)]
        if self.depthwise:
            return sum(tap * self.weight[i] for i, tap in enumerate(taps)) + self.bias
        return self.proj(torch.cat(taps, dim=-1))


class Layer(nn.Module):
    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.heads = cfg.heads
        self.norm1 = nn.LayerNorm(cfg.dim)
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.dim)
        self.norm2 = nn.LayerNorm(cfg.dim)
        self.dwconv = CausalConv(cfg.dim, cfg.dim, cfg.conv_kernel, depthwise=True)
        self.norm3 = nn.LayerNorm(cfg.dim)
        self.ffn = nn.Sequential(nn.Linear(cfg.dim, cfg.ffn_dim), nn.GELU(), nn.Linear(cfg.ffn_dim, cfg.dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # x [B, T, D], mask [T, T] additive
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // self.heads) + mask
        x = x + self.out(torch.matmul(att.softmax(dim=-1), v).transpose(1, 2).reshape(b, t, d))
        # The convolution is the layer's sense of order: there are no absolute positions, which would
        # make a unit depend on where the window started.
        x = x + self.dwconv(self.norm2(x))
        return x + self.ffn(self.norm3(x))


def band_mask(frames: int, width: int) -> torch.Tensor:
    """Additive mask: frame t attends to frames t-width+1 … t."""
    i = torch.arange(frames)
    d = i[:, None] - i[None, :]
    return torch.where((d >= 0) & (d < width), 0.0, float("-inf"))


class SpeechEncoder(nn.Module):
    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.features = LogMel(cfg.mel_bands)
        self.register_buffer("mel_mean", torch.zeros(cfg.mel_bands))
        self.register_buffer("mel_inv_std", torch.ones(cfg.mel_bands))
        self.conv1 = CausalConv(cfg.mel_bands, cfg.dim, 3)
        self.conv2 = CausalConv(cfg.dim, cfg.dim, 4, stride=2)
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.dim)
        self.ctc = nn.Linear(cfg.dim, cfg.phonemes)

    def mel(self, pcm: torch.Tensor) -> torch.Tensor:
        """pcm [1, N] → normalised log-mel [F, bands]."""
        return (self.features(pcm) - self.mel_mean) * self.mel_inv_std

    def hidden(self, mel: torch.Tensor) -> torch.Tensor:
        """mel [B, F, bands], F even → hidden [B, F / 2, dim]."""
        x = F.gelu(self.conv2(F.gelu(self.conv1(mel))))
        mask = band_mask(x.shape[1], self.cfg.attention_frames).to(x.dtype)
        for layer in self.layers:
            x = layer(x, mask)
        return self.norm(x)

    def logits(self, mel: torch.Tensor) -> torch.Tensor:
        return self.ctc(self.hidden(mel))


class UnitExtractorModel(nn.Module):
    """What units.onnx holds: pcm window → one unit per new 20 ms hop: the nearest centroid of the hidden state,
    or with no centroids the CTC head's best phoneme class (blank included)."""

    def __init__(self, encoder: SpeechEncoder, centroids: torch.Tensor | None) -> None:
        super().__init__()
        self.encoder = encoder
        self.register_buffer("centroids", centroids)
        self.left = encoder.cfg.left_context_samples()

    def forward(self, pcm: torch.Tensor) -> torch.Tensor:
        new_hops = (pcm.shape[1] - self.left) // ENCODER_HOP_SAMPLES
        # Crop to the context plus whole hops, so the mel pairs line up with the hops.
        pcm = pcm[:, : self.left + new_hops * ENCODER_HOP_SAMPLES]
        h = self.encoder.hidden(self.encoder.mel(pcm).unsqueeze(0))[0]
        h = h[h.shape[0] - new_hops :]
        if self.centroids is None:
            return torch.argmax(self.encoder.ctc(h), dim=1).unsqueeze(0)
        scores = torch.matmul(h, self.centroids.t()) * -2.0 + (self.centroids ** 2).sum(dim=1)
        return torch.argmin(scores, dim=1).unsqueeze(0)
