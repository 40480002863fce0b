"""Free-text answers of the registration: name, street address, RT/RW, occupation."""

from __future__ import annotations

import re
import unicodedata

from handlers.choices import normalise
from handlers.errors import InvalidAnswer
from handlers.i18n import N_

_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """One line of text as it may be stored and printed: control characters (NUL included)
    and format characters (bidi overrides, zero-width marks) removed, line breaks and tabs
    made spaces, whitespace collapsed."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\t\n\r\v\f\u2028\u2029":
            kept.append(" ")
        elif category not in ("Cc", "Cf", "Co", "Cs"):
            kept.append(ch)
    return _SPACES.sub(" ", "".join(kept)).strip()


def has_words(text: str) -> bool:
    """Whether the text has a letter or a digit (not only emoji, symbols or punctuation)."""
    return any(ch.isalnum() for ch in text)


NO_WORDS = N_(
    "Please type your answer in letters and numbers; emoji or symbols alone cannot be used."
)


def bounded(text: str, shortest: int, longest: int, msgid: str) -> str:
    """Cleaned (see ``clean``); InvalidAnswer(msgid) unless the length is within the bounds,
    and a clear refusal of text made only of emoji or symbols."""
    value = clean(text)
    if value and not has_words(value):
        raise InvalidAnswer(NO_WORDS)
    if not shortest <= len(value) <= longest:
        raise InvalidAnswer(msgid)
    return value


def parse_name(text: str) -> str:
    name = bounded(
        text,
        2,
        100,
        N_("Please type your full name (2 to 100 letters), as written on your KTP-el."),
    )
    if not re.fullmatch(r"[^\W\d_]+(?:[ .,'\-][^\W\d_]*)*\.?", name):
        raise InvalidAnswer(
            N_(
                "A name may contain letters, spaces and the signs . , ' - only (no digits or "
                "emoji). Please type your full name as written on your KTP-el."
            )
        )
    return name


def parse_place(text: str) -> str:
    """A place of birth: a town or regency name (letters, spaces, . , ' - ( ) /)."""
    place = bounded(
        text,
        2,
        60,
        N_("Please type your place of birth (2 to 60 letters), for example Kendari or Muna."),
    )
    if any(ch.isdigit() for ch in place) or not any(ch.isalpha() for ch in place):
        raise InvalidAnswer(
            N_(
                "A place of birth is a town or regency name, without digits. Please type it as "
                "written on your KTP-el, for example Kendari."
            )
        )
    return place


def parse_area(text: str) -> str:
    """The kelurahan/desa and kabupaten/kota of an address, as one line."""
    return bounded(
        text,
        3,
        120,
        N_(
            "Please type the kelurahan/desa and kabupaten/kota in a few words (3 to 120 "
            "characters), for example: Kelurahan Lalolara, Kota Kendari."
        ),
    )


def parse_address(text: str) -> str:
    return bounded(
        text,
        5,
        200,
        N_(
            "Please type your street address (5 to 200 characters), for example Jl. Sao-Sao No. 12."
        ),
    )


_RT_RW = re.compile(r"^(?:rt\.?\s*)?(\d{1,3})\s*(?:[/\s,\-]|\s*rw\.?)\s*(?:rw\.?\s*)?(\d{1,3})$")


def parse_rt_rw(text: str) -> str:
    match = _RT_RW.match(normalise(text.replace("/", " / ")).replace(" / ", "/"))
    if not match or int(match.group(1)) == 0 or int(match.group(2)) == 0:
        raise InvalidAnswer(
            N_("Please type your RT and RW as two numbers, for example 003/002 or RT 3 RW 2.")
        )
    return f"{int(match.group(1)):03d}/{int(match.group(2)):03d}"


def parse_occupation(text: str) -> str:
    return bounded(
        text,
        2,
        100,
        N_(
            "Please type your occupation in a few words (2 to 100 characters), for "
            "example: wiraswasta, guru, mahasiswa, ibu rumah tangga, belum bekerja."
        ),
    )
