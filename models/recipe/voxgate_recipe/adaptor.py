"""The LLaSM path's adaptor: the speech encoder's continuous states, projected into the LM's embedding space.

LLaSM feeds a speech encoder's features to the LM through a projection instead of quantising them to units
(the SpeechGPT path): nothing of what the encoder heard is lost to k-means. Here `stack` consecutive 20 ms
encoder states are concatenated (a lower rate: the LM reads 25 positions per second at stack 2, about as many
as the merged units it reads on the other path) and one linear layer maps them to the LM's `dim`.

SpeechEmbedder is what speech.onnx holds: a pcm window → one embedding per new hop of `stack` encoder hops.
It has the unit extractor's streaming property (encoder_model.UnitExtractorModel): a window that starts
`left_context_samples` before its first new sample gives exactly the whole utterance's embeddings, so the
gateway can prefill them into the LM while the caller speaks.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .encoder_model import ENCODER_HOP_SAMPLES, SpeechEncoder
from .onnx_lm import ONNX_OPSET


class SpeechAdaptor(nn.Module):
    def __init__(self, encoder_dim: int, lm_dim: int, stack: int = 2) -> None:
        super().__init__()
        self.stack = stack
        self.proj = nn.Linear(stack * encoder_dim, lm_dim)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """hidden [B, F, encoder_dim] → [B, F // stack, lm_dim] (a trailing part group is dropped)."""
        b, f, d = hidden.shape
        groups = f // self.stack
        return self.proj(hidden[:, : groups * self.stack].reshape(b, groups, self.stack * d))

    def match_scale(self, target_std: float) -> None:
        """Start the projection's outputs at the LM's own embedding scale (the LM is frozen in stage 1)."""
        with torch.no_grad():
            self.proj.weight.mul_(target_std / max(1e-6, float(self.proj.weight.std()) * (self.proj.in_features ** 0.5)))
            self.proj.bias.zero_()


class SpeechEmbedder(nn.Module):
    """pcm window [1, left + k·hop (+ less than a hop)] → embeddings [1, k, lm_dim]."""

    def __init__(self, encoder: SpeechEncoder, adaptor: SpeechAdaptor) -> None:
        super().__init__()
        self.encoder = encoder.eval()
        self.adaptor = adaptor.eval()
        self.left = encoder.cfg.left_context_samples()
        self.hop = adaptor.stack * ENCODER_HOP_SAMPLES

    def forward(self, pcm: torch.Tensor) -> torch.Tensor:
        new_hops = (pcm.shape[1] - self.left) // self.hop
        pcm = pcm[:, : self.left + new_hops * self.hop]
        h = self.encoder.hidden(self.encoder.mel(pcm).unsqueeze(0))
        return self.adaptor(h[:, h.shape[1] - new_hops * self.adaptor.stack:])

    def padded(self, wav: np.ndarray) -> torch.Tensor:
        """The utterance after left_context_samples of silence, as the gateway's first window sees it: [1, N]."""
        return torch.from_numpy(np.concatenate([np.zeros(self.left, np.float32), wav.astype(np.float32)])).unsqueeze(0)

    def utterance(self, wav: np.ndarray) -> torch.Tensor:
        """The whole utterance's embeddings: [len(wav) // hop, lm_dim]."""
        return self(self.padded(wav))[0]

    @torch.no_grad()
    def encoder_states(self, wav: np.ndarray) -> torch.Tensor:
        """The frozen encoder's states that utterance() projects: [1, stack · (len(wav) // hop), encoder_dim]."""
        pcm = self.padded(wav)
        new_hops = (pcm.shape[1] - self.left) // self.hop
        h = self.encoder.hidden(self.encoder.mel(pcm[:, : self.left + new_hops * self.hop]).unsqueeze(0))
        return h[:, h.shape[1] - new_hops * self.adaptor.stack:]

    def export_onnx(self, path: str) -> None:
        dummy = torch.zeros(1, self.left + 25 * self.hop)
        with torch.no_grad():
            torch.onnx.export(self, (dummy,), path, input_names=["pcm"], output_names=["embeddings"],
                              dynamic_axes={"pcm": {1: "samples"}, "embeddings": {1: "frames"}}, opset_version=ONNX_OPSET)
