"""Exports a shipped GGUF's LM as an ONNX graph with a dynamic batch axis, for bench/onnx-lm-batching.ts.

    /usr/bin/python3 -m voxgate_recipe.onnx_lm_batch_probe models/voxgate-tiny-en/lm.gguf OUT.onnx

The served lm.onnx has batch 1: whether batching callers into one onnxruntime run pays is measured
on this graph first (same weights, same operators), before the runtime grows a padding mask for it.
"""
from __future__ import annotations

import sys

import numpy as np
import torch

from .gguf_reader import read_gguf
from .onnx_lm import CachedLm, export_lm_onnx


def main(gguf: str, out: str) -> None:
    lm, _ = read_gguf(gguf)
    export_lm_onnx(lm, out, dynamic_batch=True)
    # The batched graph must give each row what a batch of one gives it.
    cached = CachedLm(lm)
    dim = lm.cfg.dim
    rows = [torch.randn(1, 1, dim) for _ in range(3)]
    pasts = [[torch.randn(1, 5, dim) for _ in range(2 * lm.cfg.n_layers)] for _ in range(3)]
    with torch.no_grad():
        alone = [cached(r, *p)[0] for r, p in zip(rows, pasts)]
        together = cached(torch.cat(rows), *[torch.cat([p[i] for p in pasts]) for i in range(2 * lm.cfg.n_layers)])[0]
    worst = max(float((together[i] - alone[i][0]).abs().max()) for i in range(3))
    print(f"wrote {out}; batched rows against alone: max |Δlogit| {worst:.2e}")
    if worst > 1e-3 or not np.isfinite(worst):
        sys.exit("batched rows differ from single rows")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
