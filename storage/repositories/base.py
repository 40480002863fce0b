"""What every repository shares."""

from __future__ import annotations

from storage.db import Session


class ConcurrencyConflict(Exception):
    """The row changed under us; the whole unit of work must be retried."""


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
