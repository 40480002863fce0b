"""NIK (Nomor Induk Kependudukan) rules: PP KK CC DDMMYY SSSS (domain.md §6).

The region digits say where the NIK was first issued, never where the person lives now, so
they are only checked for plausibility (unknown kab/kota or kecamatan codes warn, not reject).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from handlers.errors import InvalidAnswer
from handlers.i18n import N_

# Kemendagri province codes (2025 edition: 38 provinces). NIKs issued before a province was
# split keep the old prefix, which is still a valid province code, so this set covers them.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65 "
    "71 72 73 74 75 76 81 82 91 92 93 94 95 96".split()
)

_SEPARATORS = re.compile(r"[\s.\-]+")
FEMALE_DAY_OFFSET = 40


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


@dataclass(frozen=True)
class Nik:
    """A NIK that passed the format rules, with what its digits say."""

    value: str
    sex: Sex
    birth_day: int
    birth_month: int
    birth_yy: int

    @property
    def province(self) -> str:
        return self.value[0:2]

    @property
    def kabkota_code(self) -> str:
        return f"{self.value[0:2]}.{self.value[2:4]}"

    @property
    def kecamatan_code(self) -> str:
        return f"{self.value[0:2]}.{self.value[2:4]}.{self.value[4:6]}"

    def birth_date_candidates(self) -> list[date]:
        """Real calendar dates the DDMMYY digits can stand for (19yy and 20yy)."""
        found = []
        for century in (1900, 2000):
            try:
                found.append(date(century + self.birth_yy, self.birth_month, self.birth_day))
            except ValueError:
                continue
        return found

    def birth_date(self, today: date) -> date | None:
        """The date of birth the NIK most plausibly encodes: the latest candidate not after
        ``today`` (``010110`` is 1 January 2010, not 1910), or None if every candidate is in
        the future."""
        past = [candidate for candidate in self.birth_date_candidates() if candidate <= today]
        return max(past) if past else None

    def matches_birth_date(self, birth: date) -> bool:
        return (birth.day, birth.month, birth.year % 100) == (
            self.birth_day,
            self.birth_month,
            self.birth_yy,
        )


def normalise_nik(text: str) -> str:
    """Remove spaces, dots and dashes; what is left must be exactly 16 digits."""
    digits = _SEPARATORS.sub("", text.strip())
    if not digits.isdigit() or not digits.isascii():
        raise InvalidAnswer(
            N_(
                "A NIK contains only digits. Please type the 16 digits of the NIK on your "
                "KTP-el, for example 7471 0112 3456 0001."
            )
        )
    if len(digits) != 16:
        raise InvalidAnswer(
            N_(
                "A NIK has exactly 16 digits, but you sent {count}. Please check the NIK on "
                "your KTP-el and type all 16 digits."
            ),
            count=len(digits),
        )
    return digits


def parse_nik(text: str) -> Nik:
    """Validate a NIK as typed by a user; raise InvalidAnswer saying what is wrong."""
    digits = normalise_nik(text)
    if digits[0:2] not in PROVINCE_CODES:
        raise InvalidAnswer(
            N_(
                "The first two digits of a NIK are a province code, and {code} is not one. "
                "Please check the NIK on your KTP-el."
            ),
            code=digits[0:2],
        )
    day_digits, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    sex = Sex.FEMALE if day_digits > FEMALE_DAY_OFFSET else Sex.MALE
    day = day_digits - FEMALE_DAY_OFFSET if sex is Sex.FEMALE else day_digits
    nik = Nik(value=digits, sex=sex, birth_day=day, birth_month=month, birth_yy=yy)
    if not (1 <= day <= 31 and 1 <= month <= 12) or not nik.birth_date_candidates():
        raise InvalidAnswer(
            N_(
                "Digits 7 to 12 of a NIK are the date of birth (DDMMYY, day + 40 for women), "
                "and {digits} is not a real date. Please check the NIK on your KTP-el."
            ),
            digits=digits[6:12],
        )
    if digits[12:16] == "0000":
        raise InvalidAnswer(
            N_(
                "The last four digits of a NIK are a serial number that starts at 0001, so "
                "0000 cannot be right. Please check the NIK on your KTP-el."
            )
        )
    return nik
