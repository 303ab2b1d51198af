"""How a GGUF stores each weight: f32, f16, or llama.cpp's q8_0 (blocks of 32 values along a row, each an
f16 scale and 32 int8s: value = scale * int8, scale = the block's largest magnitude / 127).

q8_0 costs about a quarter of f32's bytes and decodes faster on CPU (llama.cpp multiplies int8 blocks);
a matrix whose rows are not a whole number of blocks is stored f16 instead, and 1-D weights (norms) stay f32.
"""
from __future__ import annotations

import numpy as np

# ggml tensor types.
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
# general.file_type values.
FILE_ALL_F32, FILE_MOSTLY_F16, FILE_MOSTLY_Q8_0 = 0, 1, 7
FILE_TYPES = {"f32": FILE_ALL_F32, "f16": FILE_MOSTLY_F16, "q8_0": FILE_MOSTLY_Q8_0}
WEIGHTS = tuple(FILE_TYPES)

Q8_0_BLOCK = 32
_Q8_0_DTYPE = np.dtype([("d", "<f2"), ("qs", "i1", (Q8_0_BLOCK,))])


def stored_type(arr: np.ndarray, weights: str) -> int:
    """The ggml type a weight of this shape is stored as, for a file of `weights`."""
    if weights not in FILE_TYPES:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}")
    if arr.ndim != 2 or weights == "f32":
        return GGML_F32
    if weights == "q8_0" and arr.shape[1] % Q8_0_BLOCK == 0:
        return GGML_Q8_0
    return GGML_F16


def encode(arr: np.ndarray, ggml_type: int) -> bytes:
    """The tensor's data as the GGUF holds it."""
    if ggml_type == GGML_F32:
        return np.ascontiguousarray(arr, dtype="<f4").tobytes()
    if ggml_type == GGML_F16:
        return np.ascontiguousarray(arr, dtype="<f2").tobytes()
    if ggml_type == GGML_Q8_0:
        scales, quants = _q8_0(arr)
        blocks = np.zeros(scales.shape, dtype=_Q8_0_DTYPE)
        blocks["d"] = scales
        blocks["qs"] = quants
        return blocks.tobytes()
    raise ValueError(f"ggml type {ggml_type} is not written here")


def decode(data: memoryview, offset: int, shape: list[int], ggml_type: int) -> np.ndarray:
    """The float32 values of a tensor stored at `offset` (shape slowest-varying first)."""
    count = int(np.prod(shape))
    if ggml_type == GGML_F32:
        return np.frombuffer(data, dtype="<f4", count=count, offset=offset).reshape(shape).astype(np.float32)
    if ggml_type == GGML_F16:
        return np.frombuffer(data, dtype="<f2", count=count, offset=offset).reshape(shape).astype(np.float32)
    if ggml_type == GGML_Q8_0:
        blocks = np.frombuffer(data, dtype=_Q8_0_DTYPE, count=count // Q8_0_BLOCK, offset=offset)
        values = blocks["d"].astype(np.float32)[:, None] * blocks["qs"].astype(np.float32)
        return values.reshape(shape)
    raise ValueError(f"ggml type {ggml_type}: only f32, f16 and q8_0 are read")


def as_stored(arr: np.ndarray, weights: str) -> np.ndarray:
    """The values a file of `weights` gives back for `arr` (what the runtime multiplies with): written, then read."""
    ggml_type = stored_type(arr, weights)
    return decode(memoryview(encode(arr, ggml_type)), 0, list(arr.shape), ggml_type)


def _q8_0(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per block: the f16 scale and the int8 values (halves rounded away from zero, as llama.cpp's quantizer does)."""
    rows, cols = arr.shape
    blocks = np.asarray(arr, dtype=np.float32).reshape(rows, cols // Q8_0_BLOCK, Q8_0_BLOCK)
    scale = np.abs(blocks).max(axis=2) / 127.0
    inverse = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    scaled = blocks * inverse[..., None]
    quants = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5), -127, 127).astype(np.int8)
    return scale.astype("<f2"), quants
