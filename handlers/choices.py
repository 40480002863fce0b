"""Typed input matched to the options shown, the same for every channel.

Many people ignore buttons, and on WhatsApp or the console there may be none: a typed label,
the number shown beside an option, a yes/no word, or a short phrase naming one option
("mau daftar") picks that option.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from handlers.i18n import Translator
from handlers.messages import Expect, Option

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s/]")
_WORDS = re.compile(r"[\s/]+")
LOOSE_MAX_WORDS = 3


def normalise(text: str) -> str:
    """Case-fold, drop accents, emoji and punctuation, collapse spaces."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _PUNCT.sub(" ", folded)).strip()


def words(translated: str) -> set[str]:
    """A translated list of accepted words, separated by ``|``."""
    return {normalise(word) for word in translated.split("|") if word.strip()}


def _all_of(text: str, accepted: set[str]) -> bool:
    """One accepted word, or a few of them ("iya benar", "ok siap")."""
    typed = normalise(text)
    parts = typed.split()
    return typed in accepted or (0 < len(parts) <= 3 and all(part in accepted for part in parts))


def is_yes(t: Translator, text: str) -> bool:
    # TRANSLATORS: words a user may type to answer "yes", separated by |; never shown
    return _all_of(text, words(t.C_("yes-words", "yes|y|ok|true|agree")))


def is_no(t: Translator, text: str) -> bool:
    # TRANSLATORS: words a user may type to answer "no", separated by |; never shown
    return _all_of(text, words(t.C_("no-words", "no|n|false|disagree")))


def _filler(t: Translator) -> set[str]:
    # TRANSLATORS: words that carry no choice in a short typed answer ("mau daftar"), and
    # question words (a question is answered, not taken as a choice); separated by |
    return words(
        t.C_(
            "filler-words",
            "i|want|to|the|a|my|please|me|how|what|when|where|why|who|can|do|is|are",
        )
    )


def _question_words(t: Translator) -> set[str]:
    # TRANSLATORS: words that make a typed text a question, separated by |; never shown
    return words(t.C_("question-words", "how|what|when|where|why|who|which|can|may|is|are"))


def match(t: Translator, text: str, options: Sequence[Option], expects: Expect) -> Option | None:
    """The option the typed ``text`` picks, or None (then the text is an answer as typed)."""
    raw = text.strip()
    if not options or not raw or len(raw) > 200:
        return None
    if raw.startswith("#") and raw[1:].isdigit() and len(raw) <= 5:
        number = int(raw[1:])
        return options[number - 1] if 1 <= number <= len(options) else None
    wanted = normalise(raw)
    if not wanted:
        return None
    for option in options:
        if normalise(option.label) == wanted:
            return option
    if wanted.isdigit() and len(wanted) <= 4:  # the number shown beside an option
        number = int(wanted)  # (unless numbers are answers)
        ok = expects is not Expect.NUMBER and 1 <= number <= len(options)
        return options[number - 1] if ok else None
    if expects is not Expect.CHOICE:
        return None
    for meaning, check in (("yes", is_yes), ("no", is_no)):
        if check(t, raw):
            meant = [option for option in options if option.means == meaning]
            return meant[0] if len(meant) == 1 else None
    typed = set(wanted.split())
    if len(typed) > LOOSE_MAX_WORDS or typed & _question_words(t):
        return None
    significant = typed - _filler(t)
    if not significant:
        return None
    candidates = [
        option for option in options if significant <= set(_WORDS.split(normalise(option.label)))
    ]
    return candidates[0] if len(candidates) == 1 else None
