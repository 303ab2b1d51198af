"""Writes a LlamaLm and its vocabulary as a GGUF v3 file that llama.cpp loads as `llama`.

Layout (all little-endian): magic "GGUF", version u32, tensor count u64,
metadata count u64; then each metadata entry (key string, value type u32,
value); then each tensor's info (name, n_dims u32, dims u64 fastest-varying
first, ggml type u32, data offset u64); then the tensor data, every tensor
starting on an ALIGNMENT-byte boundary counted from the start of the data.
Strings are a u64 byte length followed by UTF-8 bytes.

The vocabulary is declared as `tokenizer.ggml.model = "t5"` (a unigram
vocabulary), not "llama" (SentencePiece BPE): node-llama-cpp tokenises "\\n"
while loading a model, and llama.cpp's SPM tokenizer aborts the process when a
character has neither its own token nor a `<0xNN>` byte token, which a
character vocabulary without "\\n" cannot avoid. The unigram tokenizer maps
unknown text to `<unk>` instead, and detokenises exactly like SPM (U+2581 is a
space, markers and units are printed as written). voxgate tokenises with its own
tokenizer (server/src/runtimes/tokenizer.ts), so only detokenisation matters.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from .gguf_weights import FILE_TYPES, encode, stored_type
from .lm_model import LlamaLm
from .text_pieces import is_text_piece

ALIGNMENT = 32

# Metadata value types.
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
# tokenizer.ggml.token_type values.
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED = 1, 2, 3, 4

# llama.cpp's SPM vocabulary spells a space as U+2581 and turns it back into " " when detokenising.
SPM_SPACE = "\u2581"
CONTROL_TEXTS = {"<s>", "</s>", "<pad>", "[Human]:", "[Assistant]:", "<eoh>", "[tq]", "[ta]", "[ua]",
                 "<eoa>", "<sosp>", "<eosp>", "<2s>", "<2t>"}


def token_type(text: str) -> int:
    """Single characters and word pieces are text (NORMAL); markers CONTROL; units USER_DEFINED, so both detokenise
    as written."""
    if text == "<unk>":
        return TOKEN_UNKNOWN
    if text in CONTROL_TEXTS:
        return TOKEN_CONTROL
    return TOKEN_NORMAL if len(text) == 1 or is_text_piece(text) else TOKEN_USER_DEFINED


def gguf_token_text(text: str) -> str:
    """Text tokens spell a space as U+2581 (a word piece's leading space too)."""
    return text.replace(" ", SPM_SPACE) if text == " " or is_text_piece(text) else text


def tensor_map(model: LlamaLm) -> list[tuple[str, torch.Tensor]]:
    """(llama.cpp tensor name, weight) in the order llama.cpp lists them."""
    out = [("token_embd.weight", model.embed.weight)]
    for n, b in enumerate(model.blocks):
        out += [
            (f"blk.{n}.attn_norm.weight", b.attn_norm.weight),
            (f"blk.{n}.attn_q.weight", b.attn.wq.weight),
            (f"blk.{n}.attn_k.weight", b.attn.wk.weight),
            (f"blk.{n}.attn_v.weight", b.attn.wv.weight),
            (f"blk.{n}.attn_output.weight", b.attn.wo.weight),
            (f"blk.{n}.ffn_norm.weight", b.ffn_norm.weight),
            (f"blk.{n}.ffn_gate.weight", b.ffn.gate.weight),
            (f"blk.{n}.ffn_up.weight", b.ffn.up.weight),
            (f"blk.{n}.ffn_down.weight", b.ffn.down.weight),
        ]
    out += [("output_norm.weight", model.norm.weight), ("output.weight", model.head.weight)]
    return out


def write_gguf(model: LlamaLm, vocab: list[str], path: str | Path, *, name: str = "voxgate-lm",
               weights: str = "f32", context_length: int | None = None) -> None:
    """Writes `model` with `vocab` (texts in id order, from vocab.build_vocab) to `path`.

    weights: "f32", "f16" or "q8_0", how the 2-D matrices are stored (gguf_weights.py; norms stay float32).
    context_length defaults to the model's max_seq_len.
    """
    cfg = model.cfg
    if len(vocab) != cfg.vocab_size:
        raise ValueError(f"vocab has {len(vocab)} tokens, model expects {cfg.vocab_size}")
    ids = {t: i for i, t in enumerate(vocab)}
    metadata: list[tuple[str, int, object]] = [
        ("general.architecture", T_STRING, "llama"),
        ("general.name", T_STRING, name),
        ("general.alignment", T_UINT32, ALIGNMENT),
        ("general.file_type", T_UINT32, FILE_TYPES[weights]),
        ("llama.vocab_size", T_UINT32, cfg.vocab_size),
        ("llama.context_length", T_UINT32, context_length or cfg.max_seq_len),
        ("llama.embedding_length", T_UINT32, cfg.dim),
        ("llama.block_count", T_UINT32, cfg.n_layers),
        ("llama.feed_forward_length", T_UINT32, cfg.ffn_dim),
        ("llama.attention.head_count", T_UINT32, cfg.n_heads),
        ("llama.attention.head_count_kv", T_UINT32, cfg.n_heads),
        ("llama.attention.layer_norm_rms_epsilon", T_FLOAT32, cfg.norm_eps),
        ("llama.rope.dimension_count", T_UINT32, cfg.head_dim),
        ("llama.rope.freq_base", T_FLOAT32, cfg.rope_theta),
        ("tokenizer.ggml.model", T_STRING, "t5"),  # see the module docstring
        ("tokenizer.ggml.tokens", T_ARRAY, (T_STRING, [gguf_token_text(t) for t in vocab])),
        ("tokenizer.ggml.scores", T_ARRAY, (T_FLOAT32, [0.0] * len(vocab))),
        ("tokenizer.ggml.token_type", T_ARRAY, (T_INT32, [token_type(t) for t in vocab])),
        ("tokenizer.ggml.bos_token_id", T_UINT32, ids.get("<s>", 1)),
        ("tokenizer.ggml.eos_token_id", T_UINT32, ids["<eoa>"]),
        ("tokenizer.ggml.unknown_token_id", T_UINT32, ids.get("<unk>", 0)),
        ("tokenizer.ggml.padding_token_id", T_UINT32, ids.get("<pad>", 0)),
        # A character vocabulary: no "▁" added before the text or removed when detokenising, spaces kept
        # as they are, no BOS/EOS added by the runtime.
        ("tokenizer.ggml.add_space_prefix", T_BOOL, False),
        ("tokenizer.ggml.remove_extra_whitespaces", T_BOOL, False),
        ("tokenizer.ggml.add_bos_token", T_BOOL, False),
        ("tokenizer.ggml.add_eos_token", T_BOOL, False),
    ]
    tensors = []
    for tname, w in tensor_map(model):
        arr = np.ascontiguousarray(w.detach().cpu().float().numpy())
        ggml_type = stored_type(arr, weights)
        tensors.append((tname, arr.shape, ggml_type, encode(arr, ggml_type)))

    with open(path, "wb") as f:
        f.write(b"GGUF")
        f.write(struct.pack("<IQQ", 3, len(tensors), len(metadata)))
        for key, vtype, value in metadata:
            _write_string(f, key)
            f.write(struct.pack("<I", vtype))
            _write_value(f, vtype, value)
        offset = 0
        for tname, shape, ggml_type, data in tensors:
            _write_string(f, tname)
            f.write(struct.pack("<I", len(shape)))
            for d in reversed(shape):  # ggml lists the fastest-varying dimension first
                f.write(struct.pack("<Q", d))
            f.write(struct.pack("<IQ", ggml_type, offset))
            offset = _align(offset + len(data))
        _pad(f, _align(f.tell()) - f.tell())
        for _, _, _, data in tensors:
            f.write(data)
            _pad(f, _align(len(data)) - len(data))


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _pad(f: BinaryIO, n: int) -> None:
    f.write(b"\x00" * n)


def _write_string(f: BinaryIO, s: str) -> None:
    data = s.encode("utf-8")
    f.write(struct.pack("<Q", len(data)))
    f.write(data)


def _write_value(f: BinaryIO, vtype: int, value: object) -> None:
    if vtype == T_STRING:
        _write_string(f, str(value))
    elif vtype == T_UINT32:
        f.write(struct.pack("<I", int(value)))  # type: ignore[arg-type]
    elif vtype == T_INT32:
        f.write(struct.pack("<i", int(value)))  # type: ignore[arg-type]
    elif vtype == T_FLOAT32:
        f.write(struct.pack("<f", float(value)))  # type: ignore[arg-type]
    elif vtype == T_BOOL:
        f.write(struct.pack("<B", 1 if value else 0))
    elif vtype == T_ARRAY:
        etype, items = value  # type: ignore[misc]
        f.write(struct.pack("<IQ", etype, len(items)))
        for item in items:
            _write_value(f, etype, item)
    else:
        raise ValueError(f"unsupported metadata type {vtype}")
