"""Phoneme targets for the speech encoder's CTC head, from espeak-ng's phonemizer.

Any text can be phonemized, so synthetic and human speech share one target alphabet. One voice
(en-us) phonemizes every text: the targets describe what was said, not who said it. Stress marks
are dropped (they carry prosody, which the units need not), and a word boundary is a token of its
own so that the hidden states mark where words end.
"""
from __future__ import annotations

import subprocess

WORD_BOUNDARY = "|"
BLANK = "<blank>"
_STRESS = str.maketrans("", "", "',")


def phonemize(texts: list[str], batch: int = 500) -> list[list[str]]:
    """Each text → its phoneme tokens, words separated by WORD_BOUNDARY."""
    out: list[list[str]] = []
    for start in range(0, len(texts), batch):
        chunk = texts[start : start + batch]
        # One line in, one line out: newlines inside a text would shift every later line.
        lines = "\n".join(" ".join(t.split()) for t in chunk) + "\n"
        res = subprocess.run(["espeak-ng", "-q", "-x", "--sep=_", "-v", "en-us"], input=lines.encode(),
                             capture_output=True, check=True)
        got = [ln for ln in res.stdout.decode().split("\n") if ln.strip()]
        if len(got) != len(chunk):
            # espeak-ng merged or split lines (rare punctuation cases): fall back to one call per text.
            got = [_one(t) for t in chunk]
        out.extend(_tokens(line) for line in got)
    return out


def _one(text: str) -> str:
    res = subprocess.run(["espeak-ng", "-q", "-x", "--sep=_", "-v", "en-us", text], capture_output=True, check=True)
    return " ".join(res.stdout.decode().split())


def _tokens(line: str) -> list[str]:
    tokens: list[str] = []
    for word in line.translate(_STRESS).split():
        phones = [p for p in word.split("_") if p]
        if not phones:
            continue
        if tokens:
            tokens.append(WORD_BOUNDARY)
        tokens.extend(phones)
    return tokens


def inventory(sequences: list[list[str]]) -> list[str]:
    """Blank first (CTC's convention here), then every token seen, sorted for a stable order."""
    return [BLANK] + sorted({p for seq in sequences for p in seq})
