"""Platform deliveries already handled, so a redelivered update is applied once."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, channel: str, external_id: str) -> bool:
        """Record a delivery; False if it was handled already."""
        try:
            async with self.session.begin_nested():
                self.session.add(ProcessedUpdate(channel=channel, external_id=external_id))
                await self.session.flush()
        except IntegrityError:
            return False
        return True
