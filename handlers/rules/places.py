"""Places typed by name: a kecamatan or kelurahan name, a TPS number."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from handlers.choices import normalise

_TPS = re.compile(r"(?:tps\s*)?0*(\d{1,3})")


def fuzzy(text: str, names: dict[str, str]) -> list[str]:
    """Codes whose names match the typed text well, best first (at most three)."""
    query = normalise(text)
    if not query:
        return []
    choices = {code: normalise(name) for code, name in names.items()}
    exact = [code for code, name in choices.items() if name == query]
    if exact:
        return exact
    found = process.extract(query, choices, scorer=fuzz.WRatio, limit=3, score_cutoff=80)
    return [code for _, _, code in found]


def tps_number(text: str) -> int | None:
    """The TPS number in "5", "TPS 5", "tps 005"; None if the text is not one."""
    match = _TPS.fullmatch(normalise(text))
    return int(match.group(1)) if match else None
