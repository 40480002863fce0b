"""Officers' decisions on applications: versioned status and seat changes, the public's
responses, publications of results and seats offered to reserves (PAW).

Every change of an application made by an officer names the version the officer saw: the
UPDATE matches only that version and bumps it, so a second officer acting on the same
applicant at the same time changes nothing and is told (``False``), on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from storage.crypto import Crypto
from storage.db import Session
from storage.domain import ApplicationInfo, ApplicationStatus, Seat
from storage.models import (
    Application,
    Publication,
    PublicResponse,
    SeatOffer,
    StatusChange,
)
from storage.repositories.applications import info_of

UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class Response:
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    application_id: int
    replaces_id: int | None
    tps_id: int
    seat: Seat
    answer: str | None


class Decisions:
    def __init__(self, session: Session, crypto: Crypto) -> None:
        self.session = session
        self.crypto = crypto

    async def change(
        self,
        application: ApplicationInfo,
        *,
        actor_person_id: int | None,
        status: ApplicationStatus | None = None,
        reason: str | None = None,
        seat: Seat | None = UNSET,
        seat_tps_id: int | None = UNSET,
        reserve_rank: int | None = UNSET,
    ) -> bool:
        """Change status and/or seat of ``application`` if it is still at the version it was
        read at; False (nothing changed) if someone changed it in between."""
        values: dict[str, Any] = {"version": Application.version + 1}
        if status is not None:
            values["status"] = status.value
        if seat is not UNSET:
            values["seat"] = seat.value if seat else None
        if seat_tps_id is not UNSET:
            values["seat_tps_id"] = seat_tps_id
        if reserve_rank is not UNSET:
            values["reserve_rank"] = reserve_rank
        result = await self.session.execute(
            update(Application)
            .where(Application.id == application.id, Application.version == application.version)
            .values(**values)
            .returning(Application.id)
        )
        if result.first() is None:
            return False
        if status is not None and status is not application.status:
            self.session.add(
                StatusChange(
                    application_id=application.id,
                    actor_person_id=actor_person_id,
                    from_status=application.status.value,
                    to_status=status.value,
                    reason=(reason or None) and reason[:500],
                )
            )
            await self.session.flush()
        return True

    async def bump(self, application: ApplicationInfo) -> bool:
        """Mark a change of the application's documents as a new version (a document decided
        by one officer is noticed by the other)."""
        return await self.change(application, actor_person_id=None)

    async def touch(self, application_id: int) -> None:
        """A new version of the application without a decision (the applicant replaced a
        document): a decision an officer makes on what they saw before is refused."""
        await self.session.execute(
            update(Application)
            .where(Application.id == application_id)
            .values(version=Application.version + 1)
        )

    async def channel_of(self, application_id: int) -> str | None:
        """The channel the applicant applied from."""
        row = await self.session.get(Application, application_id)
        return row.channel if row else None

    async def last_reason(self, application_id: int, status: ApplicationStatus) -> str | None:
        row = await self.session.execute(
            select(StatusChange.reason)
            .where(
                StatusChange.application_id == application_id,
                StatusChange.document_id.is_(None),
                StatusChange.to_status == status.value,
            )
            .order_by(StatusChange.id.desc())
            .limit(1)
        )
        return row.scalar_one_or_none()

    async def in_area(
        self, period_code: str, area: str, *, statuses: frozenset[ApplicationStatus] | None = None
    ) -> list[ApplicationInfo]:
        """The applications of a kelurahan (or every kelurahan below a wider area), in
        registration order."""
        query = select(Application).where(
            Application.period_code == period_code,
            (Application.kelurahan_code == area) | Application.kelurahan_code.like(f"{area}.%"),
        )
        if statuses is not None:
            query = query.where(Application.status.in_(sorted(s.value for s in statuses)))
        rows = await self.session.execute(query.order_by(Application.id))
        return [info_of(self.crypto, row) for row in rows.scalars()]

    async def get_many(self, application_ids: list[int]) -> dict[int, ApplicationInfo]:
        found: dict[int, ApplicationInfo] = {}
        for start in range(0, len(application_ids), 500):
            rows = await self.session.execute(
                select(Application).where(Application.id.in_(application_ids[start : start + 500]))
            )
            found.update((row.id, info_of(self.crypto, row)) for row in rows.scalars())
        return found

    async def seats_by_tps(
        self, period_code: str, kelurahan_code: str, statuses: frozenset[ApplicationStatus]
    ) -> dict[int, tuple[int, int]]:
        """Per TPS id: applicants in ``statuses`` registered there, and seats confirmed there."""
        registered = await self.session.execute(
            select(Application.tps_id, func.count(Application.id))
            .where(
                Application.period_code == period_code,
                Application.kelurahan_code == kelurahan_code,
                Application.status.in_(sorted(s.value for s in statuses)),
            )
            .group_by(Application.tps_id)
        )
        seated = await self.session.execute(
            select(Application.seat_tps_id, func.count(Application.id))
            .where(
                Application.period_code == period_code,
                Application.kelurahan_code == kelurahan_code,
                Application.seat.is_not(None),
            )
            .group_by(Application.seat_tps_id)
        )
        counts: dict[int, list[int]] = {}
        for tps_id, n in registered:
            if tps_id is not None:
                counts.setdefault(tps_id, [0, 0])[0] = int(n)
        for tps_id, n in seated:
            if tps_id is not None:
                counts.setdefault(tps_id, [0, 0])[1] = int(n)
        return {k: (v[0], v[1]) for k, v in counts.items()}

    async def counts_by_tps(self, period_code: str, kelurahan_code: str) -> dict[int | None, int]:
        """Applications of a kelurahan per TPS id (None: no TPS chosen), withdrawn left out."""
        rows = await self.session.execute(
            select(Application.tps_id, func.count(Application.id))
            .where(
                Application.period_code == period_code,
                Application.kelurahan_code == kelurahan_code,
                Application.status != ApplicationStatus.WITHDRAWN.value,
            )
            .group_by(Application.tps_id)
        )
        return {tps_id: int(n) for tps_id, n in rows}

    # the public's responses (tanggapan masyarakat)

    async def add_response(
        self, application_id: int, text: str, *, by: int | None, now: datetime
    ) -> None:
        self.session.add(
            PublicResponse(
                application_id=application_id,
                recorded_by=by,
                at=now,
                text_enc=self.crypto.encrypt(text.encode()),
            )
        )
        await self.session.flush()

    async def responses(self, application_id: int) -> list[Response]:
        rows = await self.session.execute(
            select(PublicResponse)
            .where(PublicResponse.application_id == application_id)
            .order_by(PublicResponse.id)
        )
        return [Response(r.at, self.crypto.decrypt(r.text_enc).decode()) for r in rows.scalars()]

    # publications

    async def publish(
        self, period_code: str, kelurahan_code: str, *, by: int | None, now: datetime
    ) -> bool:
        """Record that the results of a kelurahan were published; False if they were."""
        if await self.published(period_code, kelurahan_code):
            return False
        self.session.add(
            Publication(
                period_code=period_code,
                kelurahan_code=kelurahan_code,
                published_at=now,
                published_by=by,
            )
        )
        await self.session.flush()
        return True

    async def published(self, period_code: str, kelurahan_code: str) -> datetime | None:
        row = await self.session.get(Publication, (period_code, kelurahan_code))
        return row.published_at if row else None

    # seats offered to reserves (PAW)

    async def offer(
        self,
        application_id: int,
        *,
        replaces_id: int | None,
        tps_id: int,
        seat: Seat,
        now: datetime,
    ) -> Offer:
        row = SeatOffer(
            application_id=application_id,
            replaces_id=replaces_id,
            tps_id=tps_id,
            seat=seat.value,
            offered_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _offer(row)

    async def get_offer(self, offer_id: int) -> Offer | None:
        row = await self.session.get(SeatOffer, offer_id)
        return _offer(row) if row else None

    async def open_offer_of(self, application_id: int) -> Offer | None:
        row = (
            await self.session.execute(
                select(SeatOffer)
                .where(SeatOffer.application_id == application_id, SeatOffer.answer.is_(None))
                .order_by(SeatOffer.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        return _offer(row) if row else None

    async def answer_offer(self, offer_id: int, answer: str, now: datetime) -> bool:
        """Record the answer once; False if the offer was answered already."""
        result = await self.session.execute(
            update(SeatOffer)
            .where(SeatOffer.id == offer_id, SeatOffer.answer.is_(None))
            .values(answer=answer, answered_at=now)
            .returning(SeatOffer.id)
        )
        return result.first() is not None


def _offer(row: SeatOffer) -> Offer:
    return Offer(
        row.id, row.application_id, row.replaces_id, row.tps_id, Seat(row.seat), row.answer
    )
