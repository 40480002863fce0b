"""Who a broadcast goes to: people chosen by wilayah and by where they are in the recruitment."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, exists, select

from storage.db import Session
from storage.domain import ApplicationStatus
from storage.models import Application, Conversation, Identity, Tps

GROUPS: dict[str, frozenset[str]] = {
    "selected": frozenset({ApplicationStatus.SELECTED.value}),
    "reserve": frozenset({ApplicationStatus.RESERVE.value}),
    "applicants": frozenset(s.value for s in ApplicationStatus) - {ApplicationStatus.WITHDRAWN},
}
UNFINISHED = "unfinished"  # a registration begun in a chat and not submitted


class Audience:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def recipients(
        self,
        period_code: str,
        *,
        groups: Iterable[str],
        area: str | None = None,
        tps_numbers: Iterable[int] = (),
    ) -> list[tuple[int, str]]:
        """(person, channel) of everyone in ``groups`` (see ``GROUPS`` and ``UNFINISHED``),
        in ``area`` (a region code: kab/kota, kecamatan or kelurahan) and, if given, at those
        TPS numbers; an applicant on the channel they applied from, a draft on its chat's."""
        wanted = set(groups)
        statuses = set().union(*(GROUPS[g] for g in wanted if g in GROUPS))
        found: dict[int, str] = {}
        if statuses:
            query = select(Application.person_id, Application.channel).where(
                Application.period_code == period_code,
                Application.status.in_(sorted(statuses)),
                Application.person_id.is_not(None),
            )
            if area:
                query = query.where(Application.kelurahan_code.like(f"{area}%"))
            numbers = sorted(set(tps_numbers))
            if numbers:
                query = query.join(Tps, Tps.id == Application.tps_id).where(Tps.number.in_(numbers))
            for person_id, channel in await self.session.execute(query):
                found.setdefault(int(person_id), channel)
        if UNFINISHED in wanted and not area and not tps_numbers:
            applied = exists().where(
                and_(
                    Application.person_id == Identity.person_id,
                    Application.period_code == period_code,
                )
            )
            drafts = (
                select(Identity.person_id, Identity.channel)
                .join(Conversation, Conversation.identity_id == Identity.id)
                .where(Conversation.flow == "registration", ~applied)
            )
            for person_id, channel in await self.session.execute(drafts):
                found.setdefault(int(person_id), channel)
        return sorted(found.items())
