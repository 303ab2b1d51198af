"""The unit extractor built on the speech encoder: one unit per 20 ms, the k-means cluster of its hidden state, or
(phonemes=True) its CTC head's best phoneme class, blank included: what the encoder decided it heard, so the LM
reads no more than a phoneme recogniser's output, and about half as many merged units (encoder_probe.py).

Same duties as units.UnitExtractor (fit, frame_units, export_onnx, state), so the data build,
vocoder and eval take either. Units are computed exactly as units.onnx computes them for the
gateway: the utterance after left_context_samples of silence.
"""
from __future__ import annotations

import numpy as np
import torch

from .encoder_model import ENCODER_HOP_SAMPLES, MEL_HOP_SAMPLES, EncoderConfig, SpeechEncoder, UnitExtractorModel
from .units import kmeans


class EncoderUnitExtractor:
    hop_samples = ENCODER_HOP_SAMPLES

    def __init__(self, encoder: SpeechEncoder, clusters: int, kmeans_iterations: int = 25,
                 kmeans_frames: int = 200_000, seed: int = 0, phonemes: bool = False) -> None:
        self.encoder = encoder.eval()
        self.phonemes = phonemes
        if phonemes:
            clusters = encoder.cfg.phonemes
        self.clusters, self.iterations, self.max_frames, self.seed = clusters, kmeans_iterations, kmeans_frames, seed
        centroids = None if phonemes else torch.zeros(clusters, encoder.cfg.dim)
        self.model = UnitExtractorModel(self.encoder, centroids).eval()
        self.left_context_samples = self.model.left

    def _padded(self, wav: np.ndarray) -> torch.Tensor:
        x = np.concatenate([np.zeros(self.left_context_samples, np.float32), wav.astype(np.float32)])
        return torch.from_numpy(x).unsqueeze(0)

    def hidden(self, wav: np.ndarray) -> torch.Tensor:
        """[len(wav) // hop, dim]: the states the units are the nearest centroids of."""
        hops = wav.size // self.hop_samples
        with torch.no_grad():
            x = self._padded(wav[: hops * self.hop_samples])
            h = self.encoder.hidden(self.encoder.mel(x).unsqueeze(0))[0]
        return h[h.shape[0] - hops :]

    def fit(self, wavs: list[np.ndarray], log=print) -> None:
        if self.phonemes:
            return log(f"phoneme units: the encoder's {self.clusters} CTC classes, nothing to fit")
        gen = torch.Generator().manual_seed(self.seed)
        x = torch.cat([self.hidden(w) for w in wavs])
        if x.shape[0] > self.max_frames:
            x = x[torch.randperm(x.shape[0], generator=gen)[: self.max_frames]]
        self.model.centroids.copy_(kmeans(x, self.clusters, self.iterations, gen, log))

    def frame_units(self, wav: np.ndarray) -> np.ndarray:
        """One unit per 20 ms hop: len(wav) // 320 units."""
        with torch.no_grad():
            return self.model(self._padded(wav))[0].numpy().astype(np.int64)

    def vocoder_frames(self, wav: np.ndarray) -> np.ndarray:
        """The same units at the vocoder's 10 ms hop (each twice), len(wav) // 160 of them."""
        frames = np.repeat(self.frame_units(wav), ENCODER_HOP_SAMPLES // MEL_HOP_SAMPLES)
        want = wav.size // MEL_HOP_SAMPLES
        return np.concatenate([frames, np.full(want - frames.size, frames[-1] if frames.size else 0)])[:want]

    def export_onnx(self, path: str) -> None:
        dummy = self._padded(np.zeros(ENCODER_HOP_SAMPLES * 25, dtype=np.float32))
        torch.onnx.export(self.model, (dummy,), path, input_names=["pcm"], output_names=["units"],
                          dynamic_axes={"pcm": {1: "samples"}, "units": {1: "frames"}}, opset_version=17)

    def state(self) -> dict:
        return {"config": self.encoder.cfg.to_dict(), "clusters": self.clusters, "phonemes": self.phonemes,
                "model": {k: v.clone() for k, v in self.model.state_dict().items()}}

    @classmethod
    def from_state(cls, state: dict) -> "EncoderUnitExtractor":
        enc = SpeechEncoder(EncoderConfig(**state["config"]))
        ex = cls(enc, state["clusters"], phonemes=state.get("phonemes", False))
        ex.model.load_state_dict(state["model"])
        ex.encoder.eval()
        return ex
