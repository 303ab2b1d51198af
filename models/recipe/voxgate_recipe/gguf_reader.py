"""Reads back a GGUF file gguf_writer.py wrote (f32, f16 or q8_0 tensors) as a LlamaLm and its vocabulary.

Used to start training from a shipped model's LM (build.py --warm-from): the torch checkpoint of a
shipped model is not kept, its lm.gguf is.
"""
from __future__ import annotations

import struct
from typing import BinaryIO

import torch

from .gguf_weights import decode
from .gguf_writer import ALIGNMENT, SPM_SPACE, tensor_map
from .lm_model import LlamaLm, LmConfig

# Metadata value types: fixed-size scalars by struct format, then string (8) and array (9).
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
T_STRING, T_ARRAY = 8, 9


def _read(f: BinaryIO, fmt: str):
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def _string(f: BinaryIO) -> str:
    return f.read(_read(f, "<Q")).decode("utf-8")


def _value(f: BinaryIO, vtype: int):
    if vtype == T_STRING:
        return _string(f)
    if vtype == T_ARRAY:
        item_type, count = _read(f, "<I"), _read(f, "<Q")
        return [_value(f, item_type) for _ in range(count)]
    return _read(f, _SCALAR[vtype])


def read_gguf(path: str) -> tuple[LlamaLm, list[str]]:
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        version, n_tensors, n_meta = struct.unpack("<IQQ", f.read(20))
        if version != 3:
            raise ValueError(f"{path}: GGUF version {version}, expected 3")
        meta = {}
        for _ in range(n_meta):
            key = _string(f)
            meta[key] = _value(f, _read(f, "<I"))
        infos = []
        for _ in range(n_tensors):
            name = _string(f)
            dims = [_read(f, "<Q") for _ in range(_read(f, "<I"))]
            ttype, offset = _read(f, "<I"), _read(f, "<Q")
            infos.append((name, list(reversed(dims)), ttype, offset))
        alignment = meta.get("general.alignment", ALIGNMENT)
        infos_end = f.tell()
        blob = f.read()
    start = (infos_end + alignment - 1) // alignment * alignment  # tensor offsets count from here
    data = memoryview(blob)[start - infos_end:]
    cfg = LmConfig(dim=meta["llama.embedding_length"], n_layers=meta["llama.block_count"],
                   n_heads=meta["llama.attention.head_count"], ffn_dim=meta["llama.feed_forward_length"],
                   vocab_size=meta["llama.vocab_size"], max_seq_len=meta["llama.context_length"],
                   norm_eps=meta["llama.attention.layer_norm_rms_epsilon"], rope_theta=meta["llama.rope.freq_base"])
    model = LlamaLm(cfg)
    tensors = {}
    for name, shape, ttype, offset in infos:
        try:
            tensors[name] = torch.from_numpy(decode(data, offset, shape, ttype))
        except ValueError as err:
            raise ValueError(f"{path}: tensor {name}: {err}") from err
    with torch.no_grad():
        for name, param in tensor_map(model):
            param.copy_(tensors[name])
    vocab = [t.replace(SPM_SPACE, " ") for t in meta["tokenizer.ggml.tokens"]]  # spaces as gguf_writer spells them
    return model.eval(), vocab
