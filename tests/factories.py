"""Test data made up in the tests: fictitious NIKs that pass the format rules."""

from __future__ import annotations

from datetime import date


def make_nik(birth: date, *, female: bool = False, region: str = "747101", serial: int = 1) -> str:
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def years_before(day: date, years: int, *, days: int = 0) -> date:
    """The date ``years`` years (and ``days`` days) before ``day`` (29 Feb → 28 Feb)."""
    try:
        shifted = day.replace(year=day.year - years)
    except ValueError:
        shifted = day.replace(year=day.year - years, day=28)
    return date.fromordinal(shifted.toordinal() - days)
