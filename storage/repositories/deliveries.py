"""Platform deliveries already handled, so a redelivered update is applied once."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Session
from storage.models import ProcessedUpdate
from storage.repositories.base import is_postgres


class Deliveries:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def claim(self, channel: str, external_id: str) -> bool:
        """Record a delivery; False if it was handled already (one statement, no savepoint:
        INSERT … ON CONFLICT DO NOTHING on both databases)."""
        insert = postgresql.insert if is_postgres(self.session) else sqlite.insert
        result = await self.session.execute(
            insert(ProcessedUpdate)
            .values(channel=channel, external_id=external_id)
            .on_conflict_do_nothing()
            .returning(ProcessedUpdate.external_id)
        )
        return result.first() is not None
