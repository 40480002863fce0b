"""Small helpers shared by flows: matching typed text to choices, paging, yes/no words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from handlers.i18n import Translator
from handlers.messages import Button

PAGE_SIZE = 8

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s/]")


def normalise(text: str) -> str:
    """Case-fold, drop accents, emoji and punctuation, collapse spaces."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _PUNCT.sub(" ", folded)).strip()


def match_label(text: str, buttons: Sequence[Button]) -> Button | None:
    """The button whose label the user typed, ignoring case and punctuation.

    A whole label wins; otherwise one word of exactly one label will do ("SMA" for
    "SMA/sederajat", "ya" for "Ya, benar").
    """
    wanted = normalise(text)
    if not wanted:
        return None
    for button in buttons:
        if normalise(button.label) == wanted:
            return button
    partial = {b.id: b for b in buttons if wanted in re.split(r"[\s/]+", normalise(b.label))}
    return next(iter(partial.values())) if len(partial) == 1 else None


def words(translated: str) -> set[str]:
    """A translated list of accepted words, separated by ``|``."""
    return {normalise(word) for word in translated.split("|") if word.strip()}


def is_yes(t: Translator, text: str) -> bool:
    # TRANSLATORS: words a user may type to answer "yes", separated by |; never shown
    return normalise(text) in words(t.C_("yes-words", "yes|y|ok|true|agree"))


def is_no(t: Translator, text: str) -> bool:
    # TRANSLATORS: words a user may type to answer "no", separated by |; never shown
    return normalise(text) in words(t.C_("no-words", "no|n|false|disagree"))


def paged(
    t: Translator,
    step: str,
    options: Sequence[Button],
    page: int,
    *,
    columns: int = 2,
) -> list[list[Button]]:
    """One page of options in rows, with previous/next buttons when there is more."""
    pages = max(1, -(-len(options) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    chunk = list(options[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    rows = [chunk[i : i + columns] for i in range(0, len(chunk), columns)]
    nav = []
    if page > 1:
        nav.append(Button(f"{step}:page:{page - 1}", t.C_("button", "◀ Previous")))
    if page < pages:
        nav.append(Button(f"{step}:page:{page + 1}", t.C_("button", "Next ▶")))
    if nav:
        rows.append(nav)
    return rows
