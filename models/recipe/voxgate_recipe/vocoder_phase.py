"""A phase head beside the unit vocoder's magnitudes: one inverse STFT instead of Griffin-Lim (the Vocos idea).

The magnitude network stays as trained (durations and log-magnitudes per 5 ms subframe); a small
causal convolution over subframes predicts each bin's phase as an unnormalised (x, y) pair, so
phase wraps nowhere, and the spectrum mag · (x, y) / |(x, y)| goes through one overlap-add. Griffin-
Lim's 32 unrolled STFT round trips cost about 60× the network; this head costs a fraction of one.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .vocoder_griffinlim import Stft
from .vocoder_model import ResidualConv, UnitVocoder


@dataclass
class PhaseConfig:
    channels: int = 192
    layers: int = 4  # causal kernel-3 convs over subframes: each looks 2 subframes (one 10 ms frame) back

    @property
    def context_frames(self) -> int:
        """10 ms frames back that a subframe's phase depends on, beyond the magnitudes' own context."""
        return self.layers


class PhaseHead(nn.Module):
    """Log-magnitudes [N, S, B] and frame features [N, S, C] → phase pairs [N, 2B, S]."""

    def __init__(self, bins: int, feature_channels: int, cfg: PhaseConfig) -> None:
        super().__init__()
        c = cfg.channels
        self.from_magnitude = nn.Linear(bins, c)
        self.from_features = nn.Linear(feature_channels, c)
        self.convs = nn.Sequential(*[ResidualConv(c) for _ in range(cfg.layers)])
        self.out = nn.Linear(c, 2 * bins)

    def forward(self, log_magnitude: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        x = (self.from_magnitude(log_magnitude) + self.from_features(features)).transpose(1, 2)
        return self.out(self.convs(x).transpose(1, 2)).transpose(1, 2)


class SpectralVocoder(nn.Module):
    """units [1, U] → (audio [1, sum(d) * 160], durations [1, U]): the ONNX interface of every voxgate vocoder."""

    def __init__(self, magnitudes: UnitVocoder, cfg: PhaseConfig) -> None:
        super().__init__()
        self.magnitudes = magnitudes
        self.phase_cfg = cfg
        net = magnitudes.cfg
        self.head = PhaseHead(net.stft.bins, net.channels, cfg)
        self.stft = Stft(net.stft)

    @property
    def cfg(self):  # the magnitude network's NetConfig (manifest and chunking read it)
        return self.magnitudes.cfg

    def frame_outputs(self, units: torch.Tensor, durations: torch.Tensor, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-magnitude [N, S, B] and the frame features repeated per subframe [N, S, C]."""
        m = self.magnitudes
        h, _ = m.encode(units)
        log_mag, features = m.log_magnitude(h, durations, frames, with_features=True)
        n, t, c = features.shape
        per_subframe = features[:, :, None, :].expand(n, t, m.cfg.subframes, c).reshape(n, t * m.cfg.subframes, c)
        return log_mag, per_subframe

    def spectrum(self, log_mag: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Real/imag channels [N, 2B, S] with the predicted magnitudes and phases."""
        bins = self.cfg.stft.bins
        pairs = self.head(log_mag, features)
        x, y = pairs[:, :bins], pairs[:, bins:]
        scale = torch.exp(log_mag).transpose(1, 2) / torch.sqrt(x * x + y * y + 1e-8)
        return torch.cat([x * scale, y * scale], dim=1)

    def synthesise(self, spectrum: torch.Tensor) -> torch.Tensor:
        return self.stft.synthesise(spectrum, self.stft.window_sum(spectrum))

    def vocode_with(self, units: torch.Tensor, durations: torch.Tensor, frames: int) -> torch.Tensor:
        log_mag, features = self.frame_outputs(units, durations, frames)
        return self.synthesise(self.spectrum(log_mag, features))

    def forward(self, units: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, log_d = self.magnitudes.encode(units)
        durations = self.magnitudes.round_durations(log_d)
        frames = torch.sum(durations)
        return self.vocode_with(units, durations, frames), durations


def load_onnx_magnitudes(path: str, net: "NetConfig | None" = None) -> UnitVocoder:
    """The magnitude network of a shipped vocoder.onnx (its torch weights were not shipped).

    Either kind of graph: a Griffin-Lim UnitVocoder's, or a SpectralVocoder's (names under `magnitudes.`, so a
    folder's head can be trained again). Named initializers load directly; a Linear's weight is exported as an
    anonymous MatMul constant (transposed), so it is found as the MatMul whose result is added to that Linear's
    named bias.
    """
    import onnx
    import onnx.numpy_helper

    from .vocoder_model import NetConfig

    graph = onnx.load(path).graph
    arrays = {t.name: onnx.numpy_helper.to_array(t).copy() for t in graph.initializer}
    prefix = "magnitudes." if "magnitudes.embed.weight" in arrays else ""
    produced_by = {out: node for node in graph.node for out in node.output}
    model = UnitVocoder(net or NetConfig(unit_count=int(arrays[prefix + "embed.weight"].shape[0])))
    state = model.state_dict()
    loaded: set[str] = set()
    for name, array in arrays.items():
        key = name[len(prefix):] if name.startswith(prefix) else None
        if key in state:
            state[key] = torch.from_numpy(array).reshape(state[key].shape)
            loaded.add(key)
    for node in graph.node:
        if node.op_type != "Add":
            continue
        bias = next((i for i in node.input if i.endswith(".bias") and i in arrays and i.startswith(prefix)), None)
        source = next((produced_by.get(i) for i in node.input if i != bias), None)
        if bias is None or source is None or source.op_type != "MatMul":
            continue
        weight = next((i for i in source.input if i in arrays), None)
        key = bias[len(prefix): -len(".bias")] + ".weight"
        if weight is not None and key in state:
            state[key] = torch.from_numpy(arrays[weight]).t().contiguous()
            loaded.add(key)
    # Griffin-Lim's DFT kernels are fixed, rebuilt by the constructor; every trained weight must have been found.
    missing = [k for k in state if k not in loaded and not k.startswith("griffin_lim.")]
    if missing:
        raise ValueError(f"{path}: no weights found for {missing}")
    model.load_state_dict(state)
    return model.eval()
