"""An LM from a file (a GGUF or a torch checkpoint), with its word pieces made the ones text is tokenised with."""
from __future__ import annotations

import re
from typing import NamedTuple

from . import vocab as V
from .gguf_reader import read_gguf
from .lm_model import LlamaLm, checkpoint_spoken_pieces, checkpoint_text_pieces, load_checkpoint
from .text_pieces import is_text_piece

_UNIT = re.compile(r"^<(0|[1-9][0-9]*)>$")


class LmFile(NamedTuple):
    lm: LlamaLm
    pieces: list[str]
    unit_count: int


def read_lm(path: str) -> LmFile:
    """The LM in a file with its word pieces and unit count; text is not yet tokenised with its pieces."""
    if path.endswith(".gguf"):
        lm, vocab = read_gguf(path)
        pieces = [t for t in vocab if is_text_piece(t)]
        return LmFile(lm, pieces, sum(1 for t in vocab if _UNIT.match(t)))
    lm = load_checkpoint(path)
    pieces = checkpoint_text_pieces(path)
    return LmFile(lm, pieces, lm.cfg.vocab_size - V.FIRST_UNIT_ID - len(pieces))


def load_lm(path: str) -> LlamaLm:
    """The LM, after vocab.use_text_pieces(its pieces) and, for a checkpoint, vocab.use_spoken_pieces(its answer-unit
    merges): its prompts and parsed output then read as it was trained. (A GGUF's unit tokens do not say what its
    answer-unit pieces stand for: its answers' units come back with the pieces unexpanded.)"""
    lm, pieces, unit_count = read_lm(path)
    V.use_text_pieces(pieces, unit_count)
    V.use_spoken_pieces(*(checkpoint_spoken_pieces(path) if not path.endswith(".gguf") else ([], 0)))
    return lm
