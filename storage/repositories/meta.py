"""Small key/value facts about the installation."""

from __future__ import annotations

from storage.db import Session
from storage.models import Meta


class MetaRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def get(self, key: str) -> str | None:
        row = await self.session.get(Meta, key)
        return row.value if row else None

    async def set(self, key: str, value: str) -> None:
        row = await self.session.get(Meta, key)
        if row is None:
            self.session.add(Meta(key=key, value=value))
        else:
            row.value = value
        await self.session.flush()
