"""The LM vocabulary, in id order, exactly as docs/models.md lists it.

`<unk>`, `<s>`, `</s>`, the template markers, `<pad>`, one token per printable
ASCII character (32-126), the unit tokens `<0>` ... `<count-1>`, then the LM's word
pieces, if it has any (text_pieces.py; `use_text_pieces`). EOS is `<eoa>`. Text is
lower case and tokenised by longest match over the pieces and single characters, so
text can never spell a marker or a unit; templates match markers by longest match.
"""
from __future__ import annotations

from . import spoken_pieces
from .text_pieces import is_text_piece, word_at

SPECIALS = ["<unk>", "<s>", "</s>"]
MARKERS = ["[Human]:", "[Assistant]:", "<eoh>", "[tq]", "[ta]", "[ua]", "<eoa>",
           "<sosp>", "<eosp>", "<2s>", "<2t>"]
PAD = "<pad>"
CHARS = [chr(c) for c in range(32, 127)]

UNK_ID = 0
BOS_ID = 1
EOS_TEXT_ID = 2  # `</s>`: kept for layout; the model's end of answer is `<eoa>`.
FIRST_MARKER_ID = len(SPECIALS)
PAD_ID = FIRST_MARKER_ID + len(MARKERS)
FIRST_CHAR_ID = PAD_ID + 1
FIRST_UNIT_ID = FIRST_CHAR_ID + len(CHARS)

MARKER_IDS = {m: FIRST_MARKER_ID + i for i, m in enumerate(MARKERS)}
HUMAN_ID = MARKER_IDS["[Human]:"]
ASSISTANT_ID = MARKER_IDS["[Assistant]:"]
EOH_ID = MARKER_IDS["<eoh>"]
TQ_ID = MARKER_IDS["[tq]"]
TA_ID = MARKER_IDS["[ta]"]
UA_ID = MARKER_IDS["[ua]"]
EOA_ID = MARKER_IDS["<eoa>"]
SOSP_ID = MARKER_IDS["<sosp>"]
EOSP_ID = MARKER_IDS["<eosp>"]
TO_SPEECH_ID = MARKER_IDS["<2s>"]
TO_TEXT_ID = MARKER_IDS["<2t>"]
EOS_ID = EOA_ID

# Every multi-character token a template may name, longest first for longest match.
_TEMPLATE_TOKENS = sorted(SPECIALS + MARKERS + [PAD], key=len, reverse=True)
_TOKEN_ID = {t: i for i, t in enumerate(SPECIALS + MARKERS + [PAD])}


# The word pieces of the LM being built and their ids (after its units): one LM per process.
_pieces: list[str] = []
_piece_ids: dict[str, int] = {}
_pieces_unit_count: int | None = None


def use_text_pieces(pieces: list[str], unit_count: int) -> None:
    """From now on text is tokenised with these pieces, numbered after `unit_count` units ([] for characters)."""
    global _pieces, _piece_ids, _pieces_unit_count
    bad = [p for p in pieces if not is_text_piece(p)]
    if bad:
        raise ValueError(f"not word pieces: {bad[:5]}")
    if len(set(pieces)) != len(pieces):
        raise ValueError("word pieces repeat")
    _pieces = list(pieces)
    _piece_ids = {p: FIRST_UNIT_ID + unit_count + k for k, p in enumerate(pieces)}
    _pieces_unit_count = unit_count if pieces else None


def text_pieces() -> list[str]:
    return list(_pieces)


# The answer-unit pieces of the LM being built (spoken_pieces.py): merges making units from `_spoken_first` on.
_spoken_merges: list[tuple[int, int]] = []
_spoken_first = 0


def use_spoken_pieces(merges: list[tuple[int, int]], first: int) -> None:
    """From now on answer units are written with these merges, piece k being unit `first + k` ([] for none)."""
    global _spoken_merges, _spoken_first
    _spoken_merges = [(int(a), int(b)) for a, b in merges]
    _spoken_first = first


def spoken_merges() -> list[tuple[int, int]]:
    return list(_spoken_merges)


def spoken_first() -> int:
    return _spoken_first


def encode_spoken_units(units: list[int]) -> list[int]:
    """Answer units as LM tokens: each merge applied, then one token per unit or piece."""
    return encode_units(spoken_pieces.encode(list(units), _spoken_merges, _spoken_first))


def decode_spoken_units(units: list[int]) -> list[int]:
    """Answer units the LM wrote (pieces included) back to the vocoder's units."""
    return spoken_pieces.decode(list(units), _spoken_merges, _spoken_first)


def build_vocab(unit_count: int) -> list[str]:
    """All token texts in id order (space is the plain " ")."""
    if unit_count < 1:
        raise ValueError("unit_count must be >= 1")
    if _pieces_unit_count is not None and _pieces_unit_count != unit_count:
        raise ValueError(f"the word pieces follow {_pieces_unit_count} units, not {unit_count}")
    return SPECIALS + MARKERS + [PAD] + CHARS + [unit_text(i) for i in range(unit_count)] + _pieces


def unit_id_end() -> int | None:
    """The first id after the unit tokens when the LM has word pieces; None when every id from FIRST_UNIT_ID is a unit."""
    return None if _pieces_unit_count is None else FIRST_UNIT_ID + _pieces_unit_count


def unit_text(i: int) -> str:
    return f"<{i}>"


def unit_token(i: int) -> int:
    """Token id of unit i."""
    if i < 0:
        raise ValueError("unit index must be >= 0")
    return FIRST_UNIT_ID + i


def unit_of_token(token_id: int) -> int:
    """Unit index of a token id, or -1 when the token is not a unit."""
    end = unit_id_end()
    if token_id < FIRST_UNIT_ID or (end is not None and token_id >= end):
        return -1
    return token_id - FIRST_UNIT_ID


def char_token(c: str) -> int:
    """Token id of one character; characters outside printable ASCII map to space."""
    code = ord(c)
    return FIRST_CHAR_ID + (code - 32 if 32 <= code <= 126 else 0)


def normalize_text(s: str) -> str:
    """Lower case, with characters outside printable ASCII replaced by spaces."""
    return "".join(c if 32 <= ord(c) <= 126 else " " for c in s.lower())


def encode_text(s: str) -> list[int]:
    """Caller text, lower case: each whole word that is a word piece (with its leading space) one token, the rest
    character by character, left to right."""
    text = normalize_text(s)
    if not _pieces:
        return [char_token(c) for c in text]
    ids: list[int] = []
    i = 0
    while i < len(text):
        word = word_at(text, i) or ""
        tid = _piece_ids.get(word)
        if tid is not None:
            ids.append(tid)
            i += len(word)
        else:
            ids.append(char_token(text[i]))
            i += 1
    return ids


def text_of(token_id: int) -> str:
    """The text a character or word-piece token stands for; "" for any other token."""
    if FIRST_CHAR_ID <= token_id < FIRST_UNIT_ID:
        return CHARS[token_id - FIRST_CHAR_ID]
    end = unit_id_end()
    if end is not None and end <= token_id < end + len(_pieces):
        return _pieces[token_id - end]
    return ""


def encode_units(units: list[int]) -> list[int]:
    return [unit_token(u) for u in units]


def encode_template(s: str) -> list[int]:
    """Template text: longest match on marker and unit tokens, otherwise characters (case kept)."""
    ids: list[int] = []
    i = 0
    while i < len(s):
        token = _match_at(s, i)
        if token is not None:
            text, tid = token
            ids.append(tid)
            i += len(text)
        else:
            ids.append(char_token(s[i]))
            i += 1
    return ids


def _match_at(s: str, i: int) -> tuple[str, int] | None:
    for t in _TEMPLATE_TOKENS:
        if s.startswith(t, i):
            return t, _TOKEN_ID[t]
    if s[i] == "<":
        end = s.find(">", i + 1)
        digits = s[i + 1:end] if end > 0 else ""
        if digits.isdigit() and (digits == "0" or not digits.startswith("0")):
            return s[i:end + 1], unit_token(int(digits))
    return None


def decode(ids: list[int], vocab: list[str]) -> str:
    """Token texts joined: the readable form of a token sequence."""
    return "".join(vocab[i] if 0 <= i < len(vocab) else "<unk>" for i in ids)
