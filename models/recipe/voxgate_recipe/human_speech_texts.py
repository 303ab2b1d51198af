"""What each Debian human-speech recording says, in the recipe's alphabet (a-z, apostrophe, space).

The tables are explicit on purpose: a file name or prompt line becomes training text only where
we know what is spoken; everything else maps to None and is left out.
"""
from __future__ import annotations

import re

from .numbers import number_words

ALPHABET = re.compile(r"[a-z' ]+")

# --- asterisk-core-sounds-en: core-sounds-en.txt, "path: text" ---------------------------------

# Spelling slips in core-sounds-en.txt; the speaker read the intended word.
ASTERISK_TYPOS = {"umute": "unmute", "exclaimation": "exclamation", "fourtieth": "fortieth",
                  "represenatives": "representatives", "unindentified": "unidentified",
                  "witheld": "withheld"}
# Prompts whose spoken form the text does not give.
ASTERISK_UNKNOWN = {
    "spy-h323": "H.323 may be read 'three two three' or 'three twenty three'",
    "spy-iax": "IAX is said as a word ('eeks') or as letters", "spy-iax2": "IAX, see spy-iax",
}
# The letter z said the British way: written as the letter, as the spell skill writes letters.
ASTERISK_OVERRIDES = {"letters/zed": "z", "phonetic/x_p": "x ray"}
# Upper-case names as they are read: letter by letter, or as a word where that is its name.
ASTERISK_ACRONYMS = {"A.M": "a m", "P.M": "p m", "PBX": "p b x", "IVR": "i v r", "IP": "i p",
                     "USB": "u s b", "MGCP": "m g c p", "SIP": "sip", "DAHDI": "dahdi",
                     "www.asterisk.org": "w w w dot asterisk dot org"}


def asterisk_text(key: str, line: str) -> str | None:
    """Normalises one prompt text; None when what is spoken cannot be known."""
    if key in ASTERISK_OVERRIDES:
        return ASTERISK_OVERRIDES[key]
    if key in ASTERISK_UNKNOWN:
        return None
    for written, spoken in ASTERISK_ACRONYMS.items():
        line = re.sub(rf"\b{re.escape(written)}\b", spoken, line)
    # Another upper-case name, a decimal or a number past 999 ("1234": digits or "twelve
    # thirty four"?) has no one reading.
    if re.search(r"\b[A-Z]{2,}|\d[.,]\d|\d{4}", line):
        return None
    # [..], (..) and <..> are descriptions of sounds or notes, not words.
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>", " ", line).lower()
    # In these prompts * is read "star" and # is read "pound" (as the other prompts spell it).
    text = text.replace("*", " star ").replace("#", " pound ")
    text = re.sub(r"\b(un|de|re)-", r"\1", text)  # "re-enter" is one word
    text = re.sub(r"(\d+)([a-z])", r"\1 \2", text)  # "3d" -> "3 d"
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    text = re.sub(r"[^a-z']+", " ", text)  # punctuation, hyphens and the dots of "a.m."
    words = [ASTERISK_TYPOS.get(w, w) for w in text.split()]
    return " ".join(words) or None


# --- hedgewars-data: English voice packs, text from the file-name stem -------------------------

# Packs whose phrases are English; Default_pl/_es/_uk/_ru and Russian(_pl) are other languages
# or may be, and an unheard language must not be trained as English.
HEDGEWARS_ENGLISH = ["British", "Classic", "Default", "HillBilly", "Mobster", "Pirate", "Robot",
                     "Singer", "Surfer"]
# Classic and Default share 20 byte-identical recordings: one voice, so one speaker (one
# held-out unit).
HEDGEWARS_SPEAKER = {"Classic": "Classic+Default", "Default": "Classic+Default"}
HEDGEWARS_WORDS = {
    "Amazing": "amazing", "Boring": "boring", "Brilliant": "brilliant", "Bugger": "bugger",
    "Byebye": "bye bye", "Comeonthen": "come on then", "Coward": "coward", "Cutitout": "cut it out",
    "Drat": "drat", "Enemydown": "enemy down", "Excellent": "excellent", "Fire": "fire",
    "Firstblood": "first blood", "Flawless": "flawless", "Flyaway": "fly away",
    "Gonnagetyou": "gonna get you", "Grenade": "grenade", "Hello": "hello", "Hurry": "hurry",
    "Illgetyou": "i'll get you", "Incoming": "incoming", "Justyouwait": "just you wait",
    "Kamikaze": "kamikaze", "Leavemealone": "leave me alone", "Melon": "melon", "Missed": "missed",
    "Nutter": "nutter", "Ohdear": "oh dear", "Oops": "oops", "Ouch": "ouch",
    "Reinforcements": "reinforcements", "Revenge": "revenge", "Runaway": "run away",
    "Sameteam": "same team", "Solong": "so long", "Stupid": "stupid", "Takecover": "take cover",
    "Thisoneismine": "this one is mine", "Traitor": "traitor", "Uh-oh": "uh oh",
    "Victory": "victory", "Watchit": "watch it", "Watchthis": "watch this", "Whatthe": "what the",
    "Yessir": "yes sir", "Youllregretthat": "you'll regret that",
}
# Effort sounds named by situation, not by words: no text can be known.
HEDGEWARS_NOT_SPEECH = re.compile(r"^(Firepunch\d|Jump\d|Ooff\d|Ow\d|Laugh|Hmm|Nooo|Poison\w+)$")

# --- kajongg: English voices speak tiles and claims --------------------------------------------

KAJONGG_VOICES = ["male1", "male2", "female1", "female2"]


def _kajongg_words() -> dict[str, str]:
    # kajongg's voice.speak() plays str(tile) = group letter + value (tile.py: s stone, b bamboo,
    # c character; winds e s w n; dragons b blue/white, g green, r red) and claim names lowercased
    # without spaces (message.py). What the English voices actually say was checked on the audio
    # (pocketsphinx from Debian, choosing among a few candidate readings per clip): the s tiles are
    # "circle" not "stone" (26 of 28 clips; the same test picks "stone" for espeak's "stone"), db
    # is "blue dragon" (4 of 4; the manual names it "blue/white"), dragons put the colour first,
    # and winds are the bare direction, as the manual asks for short sounds.
    words = {f"{code}{n}": f"{suit} {number_words(n)}"
             for code, suit in (("s", "circle"), ("b", "bamboo"), ("c", "character"))
             for n in range(1, 10)}
    words.update({"we": "east", "ws": "south", "ww": "west", "wn": "north",
                  "db": "blue dragon", "dg": "green dragon", "dr": "red dragon",
                  "chow": "chow", "pung": "pung", "kong": "kong", "mahjongg": "mah jongg",
                  "dangerousgame": "dangerous game", "nochoice": "no choice",
                  "originalcall": "original call",
                  "violatesoriginalcall": "violates original call"})
    return words


KAJONGG_WORDS = _kajongg_words()

# --- klettres-data and qabcs-data: letters and words -------------------------------------------

# klettres syllables "ch" and "th" are phonics sounds, not words: no spelling says them.
KLETTRES_NOT_WORDS = {"ch", "th"}


def letter_or_word(stem: str) -> str | None:
    """A spoken letter is written as the letter itself ("b"), as the spell skill writes letters;
    a word file name gives the word ("hot_dog" -> "hot dog")."""
    text = re.sub(r"[_-]+", " ", stem.lower()).strip()
    return text if ALPHABET.fullmatch(text) else None
