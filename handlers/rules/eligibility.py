"""The KPPS requirements (PKPU 8/2022 Pasal 35, domain.md §1), once, as pure functions.

Registration, cek syarat and the document list call these; limits come from the period.
Rules explain, officers decide: a statutory minimum stops submission, a preference is a flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.period import Period
from handlers.rules.dates import age_on

# Statements of the surat pernyataan answered "yes" by every KPPS member.
STATEMENTS = (
    "citizen",
    "loyalty",
    "campaign",
    "health",
    "criminal",
    "dismissal",
    "marriage",
    "skills",
)
PARTY_ALLOWED = frozenset({"never", "left_5y"})  # never a member, or left 5+ years ago
PARTY_NEEDS_LETTER = "left_5y"  # the party's letter that the membership ended
# ASN, PPPK, perangkat desa and honorer may serve with their superior's permission (izin atasan).
NEEDS_PERMISSION = frozenset({"asn", "pppk", "perangkat_desa", "honorer"})
BELOW_SMA = frozenset({"sd", "smp"})


@dataclass(frozen=True)
class Age:
    years: int  # on polling day
    too_young: bool  # under the statutory minimum: cannot serve
    over_preferred: bool  # over the preferred maximum: a flag for the PPS


def age_check(birth: date, period: Period) -> Age:
    return age_verdict(age_on(birth, period.polling_day), period)


def age_verdict(years: int, period: Period) -> Age:
    return Age(years, years < period.age_min, years > period.age_preferred_max)


def party_allowed(party: str | None) -> bool:
    return party in PARTY_ALLOWED


def needs_party_letter(party: str | None) -> bool:
    return party == PARTY_NEEDS_LETTER


def needs_permission(employment: str | None) -> bool:
    return employment in NEEDS_PERMISSION


def document_required(condition: str, *, party: str | None, employment: str | None) -> bool:
    """Whether a document whose period entry says ``required = condition`` is needed."""
    if condition == "always":
        return True
    if condition == "former_party_member":
        return needs_party_letter(party)
    if condition == "needs_permission":
        return needs_permission(employment)
    return False


def flags(
    *,
    age: Age,
    education: str | None,
    employment: str | None,
    party: str | None,
    smartphone: bool | None,
    tps_chosen: bool,
    birth_date_differs: bool = False,
    domicile_differs: bool = False,
) -> list[str]:
    """Points for the PPS to weigh (never a rejection: officers decide)."""
    result = []
    if age.over_preferred:
        result.append("age_over_preferred_max")
    if education in BELOW_SMA:
        result.append("education_below_sma")
    if needs_permission(employment):
        result.append("needs_superior_permission")
    if needs_party_letter(party):
        result.append("former_party_member")
    if smartphone is False:
        result.append("no_smartphone")
    if not tps_chosen:
        result.append("tps_to_be_assigned")
    if birth_date_differs:  # a NIK keeps its date after a correction: check the KTP-el
        result.append("birth_date_differs_from_nik")
    if domicile_differs:  # the PPS may ask for proof of domicile
        result.append("domicile_differs_from_ktp")
    return result
