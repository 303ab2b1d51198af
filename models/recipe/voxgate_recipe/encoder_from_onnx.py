"""Rebuilds a finished encoder checkpoint (work/encoder.pt) from a shipped folder's ONNX files.

The speech encoder is the slow first step of a build (its data rendered, then 30 minutes or more of CTC training on
two cores, for the shipped phoneme units three rounds of it); a model folder that ships it already holds its
weights: the LLaSM folder's speech.onnx (encoder + adaptor), or a phoneme-unit folder's units.onnx (encoder + CTC
head, the head's best class per hop). torch's export renames most of them (a Linear's weight becomes an anonymous,
transposed MatMul constant; a depthwise kernel's rows become Mul constants), so the names are recovered by value:
the same network with every parameter set to distinct random values is exported the same way, and each of its
constants is matched to the parameter (or transposed parameter, or kernel row) it equals. The rebuilt network is
then checked against onnxruntime (the gateway's, through Node) on the shipped file.

speech.onnx keeps no CTC head: it is left untrained, and the report says so (build.py fits one). units.onnx keeps
the head but not its classes' names: they are those ctc_head.fit_encoder_head gave it (`head_classes`, from the
plan's texts), checked by the head's phoneme error rate on espeak-ng renders of the skills' texts.

    cd models/recipe && /usr/bin/python3 -m voxgate_recipe.encoder_from_onnx ../voxgate-llasm-tiny-en WORK
    cd models/recipe && /usr/bin/python3 -m voxgate_recipe.encoder_from_onnx --units ../voxgate-tiny-en WORK
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from . import audio, phonemes
from .adaptor import SpeechAdaptor, SpeechEmbedder
from .ctc_head import head_classes
from .encoder_model import EncoderConfig, SpeechEncoder
from .encoder_units import EncoderUnitExtractor
from .evaluate import edit_distance
from .plan import PLANS
from .train_encoder import collapse


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


def _name_map(module: torch.nn.Module, export, optional: str | None = None) -> dict[str, tuple[str, str, int]]:
    """Export constant name → (parameter, form, row), found by value on a randomly filled copy. `export(path)`
    writes `module` as the shipped file was written; parameters under `optional` may be absent from it."""
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.onnx")
        export(path)
        exported = _initializers(path)
    params = dict(module.named_parameters())
    named = set(module.state_dict())  # buffers too (the mel normalisation the encoder learnt its input by)
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
    missing = [n for n in params if n not in found and not (optional and n.startswith(optional))]
    if missing:
        raise SystemExit(f"no constant found for {missing}")
    return mapping


def _load(module: torch.nn.Module, mapping: dict[str, tuple[str, str, int]], shipped_file: str) -> None:
    """Sets `module`'s parameters from the shipped file's constants, by `mapping`."""
    shipped = _initializers(shipped_file)
    state = {k: v.clone() for k, v in module.state_dict().items()}
    for const, (name, form, row) in mapping.items():
        values = torch.from_numpy(np.array(shipped[const]))
        if form == "same":
            state[name] = values.reshape(state[name].shape)
        elif form == "transposed":
            state[name] = values.T.contiguous()
        else:
            state[name][row] = values
    module.load_state_dict(state)


def rebuild(folder: str, cfg: EncoderConfig, stack: int, lm_dim: int) -> tuple[SpeechEncoder, SpeechEmbedder]:
    embedder = SpeechEmbedder(SpeechEncoder(cfg), SpeechAdaptor(cfg.dim, lm_dim, stack))
    _load(embedder, _name_map(embedder, embedder.export_onnx, optional="encoder.ctc."), os.path.join(folder, "speech.onnx"))
    return embedder.encoder.eval(), embedder.eval()


def rebuild_units(folder: str, cfg: EncoderConfig) -> EncoderUnitExtractor:
    """The encoder and its CTC head from a phoneme-unit folder's units.onnx (`cfg.phonemes`: its unit count)."""
    extractor = EncoderUnitExtractor(SpeechEncoder(cfg), 0, phonemes=True)
    _load(extractor.model, _name_map(extractor.model, extractor.export_onnx), os.path.join(folder, "units.onnx"))
    extractor.encoder.eval()
    return extractor


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


_ORT_UNITS = """
const ort = require('onnxruntime-node');
const fs = require('node:fs');
const [model, pcmFile, outFile] = process.argv.slice(1);
const pcm = new Float32Array(fs.readFileSync(pcmFile).buffer.slice(0));
ort.InferenceSession.create(model).then(async (s) => {
  const out = await s.run({ pcm: new ort.Tensor('float32', pcm, [1, pcm.length]) });
  fs.writeFileSync(outFile, Buffer.from(BigInt64Array.from(out.units.data).buffer));
});
"""


def check_units(extractor: EncoderUnitExtractor, folder: str, wav: np.ndarray) -> float:
    """Share of hops where the rebuilt extractor and onnxruntime-node on the shipped units.onnx give the same unit."""
    ours = extractor.frame_units(wav)
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    with tempfile.TemporaryDirectory() as tmp:
        pcm_file, out_file = os.path.join(tmp, "pcm.f32"), os.path.join(tmp, "out.i64")
        extractor._padded(wav).numpy().astype(np.float32).tofile(pcm_file)
        subprocess.run(["node", "-e", _ORT_UNITS, os.path.abspath(os.path.join(folder, "units.onnx")), pcm_file, out_file],
                       check=True, cwd=repo)
        theirs = np.fromfile(out_file, np.int64)
    if theirs.shape != ours.shape:
        return 0.0
    return float((ours == theirs).mean())


def head_error_rate(extractor: EncoderUnitExtractor, inventory: list[str], texts: list[str]) -> float:
    """The head's phoneme error rate with `inventory` as its classes, on en-us renders of `texts` (the phonemizer's
    voice): a wrong class order reads every decision as another phoneme."""
    ids = {p: i for i, p in enumerate(inventory)}
    errors = total = 0
    for text, phones in zip(texts, phonemes.phonemize(texts)):
        hyp = collapse(extractor.frame_units(audio.render(text, "en-us", 160, 50)).tolist())
        ref = [ids.get(p, -1) for p in phones]
        errors += edit_distance(ref, hyp)
        total += len(ref)
    return errors / max(1, total)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", help="a model folder with speech.onnx (the LLaSM path's), or with --units a phoneme-unit "
                                   "folder's units.onnx")
    ap.add_argument("work", help="a build's --work folder: encoder.pt is written there")
    ap.add_argument("--units", action="store_true", help="rebuild from units.onnx: encoder, CTC head and its classes")
    ap.add_argument("--plan", default="warm", help="the plan whose texts the head's classes were drawn from")
    ap.add_argument("--stack", type=int, default=2)
    ap.add_argument("--lm-dim", type=int, default=256)
    args = ap.parse_args()
    if args.units:
        return main_units(args)
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


def main_units(args) -> int:
    with open(os.path.join(args.folder, "manifest.json")) as f:
        units = json.load(f)["units"]
    cfg = EncoderConfig(phonemes=units["count"])
    if cfg.left_context_samples() != units["leftContextSamples"]:
        raise SystemExit(f"{args.folder}: left context {units['leftContextSamples']} is not this encoder's {cfg.left_context_samples()}")
    extractor = rebuild_units(args.folder, cfg)
    rng = np.random.default_rng(3)
    speech = audio.render("what is two plus three and which day comes after monday", "en-gb", 150, 50)
    same = min(check_units(extractor, args.folder, w) for w in (speech, (0.1 * rng.standard_normal(32000)).astype(np.float32)))
    print(f"rebuilt units against onnxruntime on {args.folder}/units.onnx: {same:.4f} of hops equal")
    if same < 0.99:
        raise SystemExit("the rebuilt encoder does not reproduce units.onnx")
    inventory = head_classes(PLANS[args.plan].data)
    if len(inventory) != cfg.phonemes:
        raise SystemExit(f"{len(inventory)} classes from the {args.plan} plan's texts, not the folder's {cfg.phonemes}")
    checked = ["the quick brown fox jumps over the lazy dog", "please spell elephant", "how much is seven times three",
               "what day comes after monday", "can you repeat after me the birds sing in the morning"]
    per = head_error_rate(extractor, inventory, checked)
    print(f"the head's phoneme error rate with those classes on {len(checked)} en-us renders: {per:.3f}")
    if per > 0.35:
        raise SystemExit("the classes do not read the head's decisions as the phonemes said: not the head's classes")
    os.makedirs(args.work, exist_ok=True)
    encoder = extractor.encoder
    report = {"config": cfg.to_dict(), "parameters": sum(p.numel() for p in encoder.parameters()),
              "source": f"rebuilt from {os.path.normpath(args.folder)}/units.onnx (encoder and CTC head)",
              "unitsEqual": same, "headClassesFrom": f"the {args.plan} plan's texts (ctc_head.head_classes)",
              "headPhonemeErrorRate": round(per, 4)}
    torch.save({"model": encoder.state_dict(), "step": None, "optimizer": None, "config": cfg.to_dict(),
                "inventory": inventory, "report": report}, os.path.join(args.work, "encoder.pt"))
    print(f"wrote {os.path.join(args.work, 'encoder.pt')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
