"""Rewrites a model folder's lm.gguf with its matrices stored another way, and its parity.json to match.

    /usr/bin/python3 -m voxgate_recipe.requantize --src models/voxgate-tiny-en --weights q8_0 --out DIR

DIR receives lm.gguf and parity.json (the other files are the caller's to copy). The weights are read back as the
source stores them (gguf_reader.py): f32 → q8_0 is the build's own rounding; q8_0 → f32 does not restore the values
it rounded away.
"""
from __future__ import annotations

import argparse
import os

import torch

from . import vocab as V
from .gguf_reader import read_gguf
from .gguf_weights import WEIGHTS
from .gguf_writer import write_gguf
from .lm_files import read_lm
from .parity import write_parity


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", required=True, help="model folder with lm.gguf")
    ap.add_argument("--weights", required=True, choices=WEIGHTS)
    ap.add_argument("--out", required=True, help="folder for the new lm.gguf and parity.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    src = os.path.join(args.src, "lm.gguf")
    lm, pieces, unit_count = read_lm(src)
    V.use_text_pieces(pieces, unit_count)
    vocab = V.build_vocab(unit_count)
    if vocab != read_gguf(src)[1]:
        raise ValueError(f"{src}: its vocabulary is not the recipe's for {unit_count} units and {len(pieces)} pieces")
    os.makedirs(args.out, exist_ok=True)
    for name in ("lm.gguf", "parity.json"):
        # A link there (a folder of links to another model's files) must not be written through.
        if os.path.islink(os.path.join(args.out, name)):
            os.remove(os.path.join(args.out, name))
    name = os.path.basename(os.path.normpath(args.src))
    write_gguf(lm, vocab, os.path.join(args.out, "lm.gguf"), name=name, weights=args.weights)
    write_parity(lm, os.path.join(args.out, "parity.json"), gguf_file="lm.gguf", weights=args.weights)
    print(f"{args.out}/lm.gguf: {os.path.getsize(os.path.join(args.out, 'lm.gguf')) / 1e6:.2f} MB, {args.weights}")


if __name__ == "__main__":
    main()
