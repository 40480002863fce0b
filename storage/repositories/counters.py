"""Named counters: how often something happened in a time window (e.g. NIKs tried)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Session
from storage.models import Counter
from storage.repositories.base import is_postgres


class Counters:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def hit(self, key: str) -> int:
        """Count one more under ``key``; the new count (one statement, both databases)."""
        insert = postgresql.insert if is_postgres(self.session) else sqlite.insert
        statement = insert(Counter).values(key=key, value=1)
        result = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Counter.key], set_={"value": Counter.value + 1}
            ).returning(Counter.value)
        )
        return int(result.scalar_one())

    async def drop_before(self, prefix: str, first_kept: str) -> None:
        """Forget the counters ``prefix…`` whose key sorts before ``first_kept`` (windows
        that have passed: their keys end in fixed-width dates)."""
        await self.session.execute(
            delete(Counter).where(Counter.key.like(f"{prefix}%"), Counter.key < first_kept)
        )
