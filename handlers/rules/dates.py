"""Dates as people type them: 17-08-1990, 17/08/1990, 17.08.1990, 17 Agustus 1990."""

from __future__ import annotations

import calendar
import re
from datetime import date

from handlers.errors import InvalidAnswer
from handlers.i18n import N_

# Month names and common abbreviations people type, Indonesian and English. Input vocabulary,
# not text shown to users.
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "januari jan january",
        "februari feb pebruari peb february",
        "maret mar march",
        "april apr",
        "mei may",
        "juni jun june",
        "juli jul july",
        "agustus agu agt ags aug august",
        "september sep sept",
        "oktober okt oct october",
        "november nov nop nopember",
        "desember des dec december",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

_NUMERIC = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{2,4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = re.compile(r"^(\d{1,2})\s*[-/.]?\s*([a-z]+)\.?\s*[-/.]?\s*(\d{2,4})$")

FORMAT_HELP = N_(
    "Please write the date as day, month and year, for example 17-08-1990, "
    "17/08/1990 or 17 Agustus 1990."
)


def parse_date(text: str, *, today: date) -> date:
    """Parse a date of birth; raise InvalidAnswer explaining the problem."""
    cleaned = " ".join(text.strip().lower().split())
    day: int
    month: int
    year: int
    if match := _ISO.match(cleaned):
        year, month, day = (int(g) for g in match.groups())
    elif match := _NUMERIC.match(cleaned):
        day, month, year = (int(g) for g in match.groups())
    elif match := _WORDS.match(cleaned):
        day, year = int(match.group(1)), int(match.group(3))
        name = match.group(2)
        if name not in MONTHS:
            raise InvalidAnswer(
                N_(
                    "I do not know the month \u201c{month}\u201d. "
                    "Please write the date as day, month and year, for example 17-08-1990, "
                    "17/08/1990 or 17 Agustus 1990."
                ),
                month=match.group(2),
            )
        month = MONTHS[name]
        if len(match.group(3)) == 3:
            raise InvalidAnswer(FORMAT_HELP)
    else:
        raise InvalidAnswer(
            N_(
                "I could not read that as a date. "
                "Please write the date as day, month and year, for example 17-08-1990, "
                "17/08/1990 or 17 Agustus 1990."
            )
        )
    if not 1 <= month <= 12:
        raise InvalidAnswer(
            N_(
                "The month must be from 1 to 12, but you wrote {month}. "
                "Please write the date as day, month and year, for example 17-08-1990, "
                "17/08/1990 or 17 Agustus 1990."
            ),
            month=month,
        )
    days_in_month = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    if day == 0:  # "00-00-0000" is about the date, not the year
        raise InvalidAnswer(FORMAT_HELP)
    if year < 100:
        raise InvalidAnswer(
            N_("Please write the year with four digits, for example 1990 instead of 90.")
        )
    if not 1 <= day <= days_in_month:
        raise InvalidAnswer(
            N_(
                "{day}/{month:02d}/{year} is not a real date: that month has {days} days. "
                "Please check the date of birth on your KTP-el."
            ),
            day=day,
            month=month,
            year=year,
            days=days_in_month,
        )
    value = date(year, month, day)
    if value > today:
        raise InvalidAnswer(
            N_(
                "A date of birth cannot be in the future. "
                "Please write the date as day, month and year, for example 17-08-1990, "
                "17/08/1990 or 17 Agustus 1990."
            )
        )
    if today.year - year > 120:
        raise InvalidAnswer(
            N_("The year {year} is too long ago. Please check the year of birth."), year=year
        )
    return value


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
