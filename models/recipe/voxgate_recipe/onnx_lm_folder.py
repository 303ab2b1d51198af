"""A model folder whose LM runs in onnxruntime: another folder's units and vocoder, its LM as lm.onnx.

    /usr/bin/python3 -m voxgate_recipe.onnx_lm_folder --from models/voxgate-tiny-en --out /tmp/tiny-onnx

Writes lm.onnx (onnx_lm.py), lm-embeddings.bin (the token-embedding table), lm-tokens.json (token texts
in id order), parity.json (torch's greedy continuations, onnx_parity.py), copies of the units and vocoder
files, and a manifest whose `lm` says `"runtime": "onnx"`. build.py --onnx-lm-out calls it with the LM it
just trained; --from reads a folder's lm.gguf back (gguf_reader.py: f32 exactly, f16 and q8_0 as stored).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil

import torch

from .gguf_reader import read_gguf
from .lm_model import LlamaLm
from .onnx_lm import check_cached_equals_full, export_lm_onnx, write_embeddings
from .onnx_parity import write_onnx_parity

LM_FILE, EMBEDDINGS_FILE, TOKENS_FILE = "lm.onnx", "lm-embeddings.bin", "lm-tokens.json"


def onnx_lm_section(gguf_lm: dict) -> dict:
    """The source manifest's lm section, pointed at the ONNX files."""
    return {**gguf_lm, "file": LM_FILE, "runtime": "onnx", "embeddings": EMBEDDINGS_FILE, "tokens": TOKENS_FILE}


def write_onnx_lm_folder(lm: LlamaLm, vocab: list[str], src_dir: str, out_dir: str, log=print) -> None:
    if len(vocab) != lm.cfg.vocab_size:
        raise ValueError(f"vocabulary of {len(vocab)} tokens for an LM of {lm.cfg.vocab_size}")
    lm = lm.eval()
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(src_dir, "manifest.json")) as f:
        manifest = json.load(f)
    for part in ("units", "vocoder"):
        name = manifest[part]["file"]
        shutil.copyfile(os.path.join(src_dir, name), os.path.join(out_dir, name))
    gap = check_cached_equals_full(lm, list(range(3, min(lm.cfg.vocab_size, 40))), split=17)
    export_lm_onnx(lm, os.path.join(out_dir, LM_FILE))
    write_embeddings(lm, os.path.join(out_dir, EMBEDDINGS_FILE))
    with open(os.path.join(out_dir, TOKENS_FILE), "w") as f:
        json.dump(vocab, f)
        f.write("\n")
    write_onnx_parity(lm, os.path.join(out_dir, "parity.json"), lm_file=LM_FILE)
    manifest = {**manifest, "name": f"{manifest['name']}-onnx", "lm": onnx_lm_section(manifest["lm"])}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    log(f"ONNX LM folder written to {out_dir} (cached vs full forward: {gap:.1e} relative)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", required=True, help="model folder with manifest.json and a GGUF LM")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(args.src, "manifest.json")) as f:
        gguf_file = json.load(f)["lm"]["file"]
    lm, vocab = read_gguf(os.path.join(args.src, gguf_file))
    write_onnx_lm_folder(lm, vocab, args.src, args.out)


if __name__ == "__main__":
    main()
