"""How candidates are proposed for the seats of one TPS. The rules only propose: the PPS
changes the proposal and confirms it (UU 27/2022 Pasal 10: no decision about a person is made
by automated processing alone).

The ordering is a list of keys, applied in turn (the first decides, the next breaks ties),
configurable with ``KPPS_SELECTION_ORDER``:

* ``prior_service``: more earlier terms as a KPPS member first (experience);
* ``age_preference``: applicants within the period's preferred maximum age first;
* ``registration_time``: earlier registrations first.

The default is ``age_preference,prior_service,registration_time``. The proposal takes the
qualified (MS) applicants of the TPS, in that order: the first is proposed as ketua, the next
six as anggota, the rest as cadangan. Seats still empty are filled from the surplus of the
other TPS of the same kelurahan (their applicants beyond that TPS's own seven, in the same
order); what is still missing is the shortfall.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.period import Period
from handlers.rules.eligibility import age_check
from storage.domain import KPPS_SIZE, ApplicationInfo

ORDER_KEYS: dict[str, Callable[[ApplicationInfo, Period], Any]] = {
    "prior_service": lambda a, p: -a.details.prior_service,
    "age_preference": lambda a, p: age_check(a.details.birth_date, p).over_preferred,
    "registration_time": lambda a, p: (a.submitted_at, a.id),
}
DEFAULT_ORDER = ("age_preference", "prior_service", "registration_time")


@dataclass(frozen=True)
class OfficerPolicy:
    """What the KPU configures about the officers' work."""

    digest_minutes: int = 30  # a PPS hears of new applicants at most this often (after the first)
    order: tuple[str, ...] = DEFAULT_ORDER
    broadcast_rate: float = 30.0  # messages a second, for the time a broadcast's preview shows

    def __post_init__(self) -> None:
        unknown = [key for key in self.order if key not in ORDER_KEYS]
        if unknown or not self.order:
            raise ValueError(f"unknown selection order keys: {unknown}; use {list(ORDER_KEYS)}")


def ranked(
    candidates: Sequence[ApplicationInfo], period: Period, order: Sequence[str]
) -> list[ApplicationInfo]:
    keys = [ORDER_KEYS[name] for name in order] + [ORDER_KEYS["registration_time"]]
    return sorted(candidates, key=lambda a: tuple(key(a, period) for key in keys))


@dataclass
class Proposal:
    """Seats of one TPS: ``seats[0]`` is the ketua, the others anggota; ``reserve`` is the
    ordered cadangan; ``movable`` the applicants of other TPS who could move here."""

    seats: list[int] = field(default_factory=list)
    reserve: list[int] = field(default_factory=list)
    movable: list[int] = field(default_factory=list)

    @property
    def shortfall(self) -> int:
        return max(0, KPPS_SIZE - len(self.seats))


def propose(
    own: Sequence[ApplicationInfo],
    others: Mapping[int, Sequence[ApplicationInfo]],
    period: Period,
    order: Sequence[str],
) -> Proposal:
    """``own``: the MS applicants of this TPS not seated elsewhere; ``others``: those of the
    other TPS of the kelurahan, by TPS id."""
    mine = ranked(own, period, order)
    surplus = ranked(
        [a for group in others.values() for a in ranked(group, period, order)[KPPS_SIZE:]],
        period,
        order,
    )
    seats = [a.id for a in mine[:KPPS_SIZE]]
    reserve = [a.id for a in mine[KPPS_SIZE:]]
    moved = [a.id for a in surplus[: KPPS_SIZE - len(seats)]]
    return Proposal(
        seats=seats + moved,
        reserve=reserve,
        movable=[a.id for a in surplus if a.id not in moved],
    )
