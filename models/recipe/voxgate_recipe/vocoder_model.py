"""The unit vocoder network: merged units → durations → frames → magnitudes → waveform.

Each output depends on a bounded window of units: `lookahead_units` ahead (a unit is
k-means over log-mel frames t-2..t, so units t+1 and t+2 still describe frame t) and
`context_units` back. A chunk vocoded with that much context on both sides gets exactly
the durations and magnitudes of the whole utterance; only Griffin-Lim's phase differs
near a call's edges (the gateway's VocoderStream holds back and crossfades there).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from .vocoder_griffinlim import GriffinLim, StftConfig

HOP_SAMPLES = 160  # one unit frame = 10 ms at 16 kHz
SAMPLE_RATE_HZ = 16000
LOG_MAGNITUDE_FLOOR = 1e-3  # magnitudes below this (about -100 dB of a full-scale sine) are silence


@dataclass
class NetConfig:
    unit_count: int = 128
    channels: int = 128
    unit_layers: int = 2  # kernel-3 convs over units: the first lookahead_units centred, the rest causal
    frame_layers: int = 2  # causal kernel-3 convs over 10 ms frames
    max_duration_frames: int = 50
    lookahead_units: int = 2  # units ahead an output can depend on (<= unit_layers)
    stft: StftConfig = field(default_factory=StftConfig)

    @property
    def context_units(self) -> int:
        """Units back that any output frame can depend on (a unit lasts >= 1 frame)."""
        return (2 * self.unit_layers - self.lookahead_units) + 2 * self.frame_layers

    @property
    def subframes(self) -> int:
        return HOP_SAMPLES // self.stft.hop_samples


class ResidualConv(nn.Module):
    """Residual kernel-3 conv that looks back two steps, or one back and one ahead.

    Normalised per step over channels only: a norm over time would leak the future.
    """

    def __init__(self, channels: int, ahead: int = 0) -> None:
        super().__init__()
        self.padding = (2 - ahead, ahead)
        self.conv = nn.Conv1d(channels, channels, 3)
        self.norm = nn.LayerNorm(channels)
        self.mix = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [N, C, T]
        y = self.conv(F.pad(x, self.padding)).transpose(1, 2)
        return x + self.mix(F.gelu(self.norm(y))).transpose(1, 2)


def expand(durations: torch.Tensor, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For each frame t < frames: the index of its unit and frames since that unit began.

    durations [N, U] int64 → (unit_index [N, T], offset [N, T]); frames past a row's total
    point at its last unit. A comparison against cumulative ends, no Python loop, so it
    exports to ONNX with a dynamic number of frames.
    """
    ends = torch.cumsum(durations, dim=1)  # [N, U]
    t = torch.arange(frames, device=durations.device)
    index = (t[None, :, None] >= ends[:, None, :]).long().sum(dim=2)
    index = torch.minimum(index, torch.full_like(index, durations.shape[1] - 1))
    starts = ends - durations
    offset = t[None, :] - torch.gather(starts, 1, index)
    return index, offset


class UnitVocoder(nn.Module):
    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        self.embed = nn.Embedding(cfg.unit_count, c)
        self.unit_convs = nn.Sequential(*[ResidualConv(c, int(i < cfg.lookahead_units)) for i in range(cfg.unit_layers)])
        self.duration_head = nn.Linear(c, 1)
        # Added after training so the summed rounded durations match the true total.
        self.register_buffer("log_duration_bias", torch.zeros(()))
        self.position = nn.Linear(4, c)
        self.frame_convs = nn.Sequential(*[ResidualConv(c) for _ in range(cfg.frame_layers)])
        self.out = nn.Linear(c, cfg.subframes * cfg.stft.bins)
        self.griffin_lim = GriffinLim(cfg.stft)

    def encode(self, units: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """units [N, U] → unit features [N, U, C] and predicted log-durations [N, U]."""
        h = self.unit_convs(self.embed(units).transpose(1, 2)).transpose(1, 2)
        return h, self.duration_head(h)[..., 0]

    def round_durations(self, log_durations: torch.Tensor) -> torch.Tensor:
        frames = torch.round(torch.exp(log_durations + self.log_duration_bias))
        return frames.clamp(1, self.cfg.max_duration_frames).long()

    def log_magnitude(self, h: torch.Tensor, durations: torch.Tensor, frames: int, with_features: bool = False):
        """Unit features + durations → log-magnitude [N, T * subframes, bins] (and the frame features [N, T, C])."""
        index, offset = expand(durations, frames)
        gathered = torch.gather(h, 1, index[..., None].expand(-1, -1, h.shape[2]))
        d = torch.gather(durations, 1, index).float()
        k = offset.float()
        # Where in its unit the frame lies: the decoder shapes onsets and transitions with it.
        position = torch.stack([k / d, (k + 1) / d, torch.log(d) / 3, torch.clamp(k, max=20) / 10], dim=2)
        x = (gathered + self.position(position)).transpose(1, 2)
        features = self.frame_convs(x).transpose(1, 2)
        y = self.out(features)  # [N, T, subframes * bins]
        log_mag = y.reshape(y.shape[0], -1, self.cfg.stft.bins)
        return (log_mag, features) if with_features else log_mag

    def forward(self, units: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inference on one utterance: units [1, U] → audio [1, sum(d) * hop], durations [1, U]."""
        h, log_d = self.encode(units)
        durations = self.round_durations(log_d)
        frames = torch.sum(durations)
        log_mag = self.log_magnitude(h, durations, frames)
        audio = self.griffin_lim(torch.exp(log_mag).transpose(1, 2))
        return audio, durations
