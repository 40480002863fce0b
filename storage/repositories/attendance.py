"""Answers to schedule broadcasts: who comes ("hadir") and who cannot ("berhalangan")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Session
from storage.models import Attendance as AttendanceRow
from storage.repositories.base import is_postgres

ANSWERS = ("hadir", "berhalangan")


class Attendance:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def record(self, code: str, person_id: int, answer: str, at: datetime) -> None:
        """The person's answer (a later one replaces an earlier one)."""
        if answer not in ANSWERS:
            raise ValueError(answer)
        insert = postgresql.insert if is_postgres(self.session) else sqlite.insert
        statement = insert(AttendanceRow).values(
            broadcast_code=code, person_id=person_id, answer=answer, at=at
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[AttendanceRow.broadcast_code, AttendanceRow.person_id],
                set_={"answer": answer, "at": at},
            )
        )

    async def of(self, code: str) -> list[tuple[int, str, datetime]]:
        """(person, answer, when) for one broadcast, in the order answered."""
        result = await self.session.execute(
            select(AttendanceRow.person_id, AttendanceRow.answer, AttendanceRow.at)
            .where(AttendanceRow.broadcast_code == code)
            .order_by(AttendanceRow.at, AttendanceRow.id)
        )
        return [(int(p), a, at) for p, a, at in result]
