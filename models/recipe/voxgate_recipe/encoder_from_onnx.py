"""Rebuilds a finished encoder checkpoint (work/encoder.pt) from a shipped LLaSM folder's speech.onnx.

The speech encoder is the slow first step of a build (its data rendered, then 30 minutes of CTC training on two
cores); a model folder that ships it (speech.onnx: encoder + adaptor) already holds its weights. torch's export
renames most of them (a Linear's weight becomes an anonymous, transposed MatMul constant; a depthwise kernel's
rows become Mul constants), so the names are recovered by value: the same network with every parameter set to
distinct random values is exported the same way, and each of its constants is matched to the parameter (or
transposed parameter, or kernel row) it equals. The rebuilt encoder is then checked against onnxruntime
(the gateway's, through Node) on the shipped file. The CTC head is not in speech.onnx: it is left untrained, and the report says so.

    cd models/recipe && /usr/bin/python3 -m voxgate_recipe.encoder_from_onnx ../voxgate-llasm-tiny-en WORK
"""
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .adaptor import SpeechAdaptor, SpeechEmbedder
from .encoder_model import EncoderConfig, SpeechEncoder


def _initializers(path: str) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}


def _candidates(params: dict[str, torch.Tensor]) -> list[tuple[str, str, int, np.ndarray]]:
    """Every form a parameter takes in the export: (name, form, row, values)."""
    out = []
    for name, p in params.items():
        a = p.detach().numpy()
        out.append((name, "same", -1, a))
        if a.ndim == 2:
            out.append((name, "transposed", -1, a.T))
            out.extend((name, "row", r, a[r]) for r in range(a.shape[0]))
    return out


def _name_map(embedder: SpeechEmbedder) -> dict[str, tuple[str, str, int]]:
    """Export constant name → (parameter, form, row), found by value on a randomly filled copy."""
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for p in embedder.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.onnx")
        embedder.export_onnx(path)
        exported = _initializers(path)
    params = dict(embedder.named_parameters())
    named = set(embedder.state_dict())  # buffers too (the mel normalisation the encoder learnt its input by)
    forms = _candidates(params)
    mapping: dict[str, tuple[str, str, int]] = {}
    for const, values in exported.items():
        if const in named:
            mapping[const] = (const, "same", -1)
            continue
        hits = [(n, f, r) for n, f, r, v in forms if v.shape == values.shape and np.array_equal(v, values)]
        if len(hits) == 1:
            mapping[const] = hits[0]
    found = {n for n, _, _ in mapping.values()}
    missing = [n for n in params if n not in found and not n.startswith("encoder.ctc.")]
    if missing:
        raise SystemExit(f"speech.onnx: no constant found for {missing}")
    return mapping


def rebuild(folder: str, cfg: EncoderConfig, stack: int, lm_dim: int) -> tuple[SpeechEncoder, SpeechEmbedder]:
    embedder = SpeechEmbedder(SpeechEncoder(cfg), SpeechAdaptor(cfg.dim, lm_dim, stack))
    mapping = _name_map(embedder)
    shipped = _initializers(os.path.join(folder, "speech.onnx"))
    state = {k: v.clone() for k, v in embedder.state_dict().items()}
    for const, (name, form, row) in mapping.items():
        values = torch.from_numpy(np.array(shipped[const]))
        if form == "same":
            state[name] = values.reshape(state[name].shape)
        elif form == "transposed":
            state[name] = values.T.contiguous()
        else:
            state[name][row] = values
    embedder.load_state_dict(state)
    return embedder.encoder.eval(), embedder.eval()


# onnxruntime is on the Node side only (onnxruntime-node, the gateway's runtime): it runs the shipped file.
_ORT_RUN = """
const ort = require('onnxruntime-node');
const fs = require('node:fs');
const [model, pcmFile, outFile] = process.argv.slice(1);
const pcm = new Float32Array(fs.readFileSync(pcmFile).buffer.slice(0));
ort.InferenceSession.create(model).then(async (s) => {
  const out = await s.run({ pcm: new ort.Tensor('float32', pcm, [1, pcm.length]) });
  fs.writeFileSync(outFile, Buffer.from(out.embeddings.data.buffer));
});
"""


def check(embedder: SpeechEmbedder, folder: str, seconds: float = 2.0) -> float:
    """Largest absolute difference between torch and onnxruntime-node on the shipped file (noise input)."""
    rng = np.random.default_rng(3)
    wav = (0.1 * rng.standard_normal(int(16000 * seconds))).astype(np.float32)
    pcm = embedder.padded(wav)
    with torch.no_grad():
        ours = embedder(pcm)[0].numpy()
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    with tempfile.TemporaryDirectory() as tmp:
        pcm_file, out_file = os.path.join(tmp, "pcm.f32"), os.path.join(tmp, "out.f32")
        pcm.numpy().astype(np.float32).tofile(pcm_file)
        subprocess.run(["node", "-e", _ORT_RUN, os.path.abspath(os.path.join(folder, "speech.onnx")), pcm_file, out_file],
                       check=True, cwd=repo)
        theirs = np.fromfile(out_file, np.float32).reshape(ours.shape)
    return float(np.abs(ours - theirs).max())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", help="a model folder with speech.onnx (the LLaSM path's)")
    ap.add_argument("work", help="a build's --work folder: encoder.pt is written there")
    ap.add_argument("--stack", type=int, default=2)
    ap.add_argument("--lm-dim", type=int, default=256)
    args = ap.parse_args()
    cfg = EncoderConfig()
    encoder, embedder = rebuild(args.folder, cfg, args.stack, args.lm_dim)
    diff = check(embedder, args.folder)
    print(f"torch against onnxruntime on {args.folder}/speech.onnx: max |diff| {diff:.2e}")
    if diff > 1e-3:
        raise SystemExit("the rebuilt encoder does not reproduce speech.onnx")
    os.makedirs(args.work, exist_ok=True)
    report = {"config": cfg.to_dict(), "parameters": sum(p.numel() for n, p in encoder.named_parameters() if not n.startswith("ctc.")),
              "source": f"rebuilt from {os.path.normpath(args.folder)}/speech.onnx (CTC head not shipped, untrained here)",
              "onnxMaxAbsDiff": diff}
    torch.save({"model": encoder.state_dict(), "step": None, "optimizer": None, "config": cfg.to_dict(),
                "inventory": None, "report": report}, os.path.join(args.work, "encoder.pt"))
    print(f"wrote {os.path.join(args.work, 'encoder.pt')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
