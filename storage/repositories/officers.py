"""Officers: one-time invites, who is an officer of which area, and the audit log.

An invite code is shown once to the admin who made it; only its keyed hash is stored. It is
redeemed at most once (an UPDATE that matches an unused, unexpired row), so two people typing
the same code at once cannot both become officers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from storage.crypto import Crypto
from storage.db import Session
from storage.domain import Role
from storage.models import AuditEntry, Identity, OfficerInvite, Person


@dataclass(frozen=True, slots=True)
class OfficerInfo:
    person_id: int
    role: Role
    scope: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    subject: str
    area: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class Invites:
    def __init__(self, session: Session, crypto: Crypto) -> None:
        self.session = session
        self.crypto = crypto

    def _hash(self, code: str) -> str:
        return self.crypto.lookup_hash("invite:" + code.strip().upper().replace(" ", ""))

    async def create(
        self, code: str, *, role: Role, scope: str, created_by: str, now: datetime, until: datetime
    ) -> None:
        self.session.add(
            OfficerInvite(
                code_hash=self._hash(code),
                role=role.value,
                scope=scope,
                created_by=created_by,
                created_at=now,
                expires_at=until,
            )
        )
        await self.session.flush()

    async def redeem(self, code: str, person_id: int, now: datetime) -> tuple[Role, str] | None:
        """The role and scope of an unused, unexpired invite with this code, now used by
        ``person_id``; None otherwise (unknown, used or expired: the caller says the same)."""
        result = await self.session.execute(
            update(OfficerInvite)
            .where(
                OfficerInvite.code_hash == self._hash(code),
                OfficerInvite.used_at.is_(None),
                OfficerInvite.expires_at > now,
            )
            .values(used_at=now, used_by=person_id)
            .returning(OfficerInvite.role, OfficerInvite.scope)
        )
        row = result.first()
        return (Role(row.role), row.scope) if row else None


class Officers:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def of_area(self, area: str, roles: frozenset[Role] = frozenset({Role.PPS})) -> list[int]:
        """The officers whose scope is exactly ``area`` (e.g. the PPS of a kelurahan)."""
        rows = await self.session.execute(
            select(Person.id)
            .where(Person.scope == area, Person.role.in_(sorted(r.value for r in roles)))
            .order_by(Person.id)
        )
        return [int(pid) for pid in rows.scalars()]

    async def listing(self, area: str | None = None) -> list[OfficerInfo]:
        query = select(Person.id, Person.role, Person.scope).where(Person.role != "applicant")
        if area:
            query = query.where((Person.scope == area) | Person.scope.like(f"{area}.%"))
        people = (await self.session.execute(query.order_by(Person.id))).all()
        channels: dict[int, list[str]] = {}
        ids = [p.id for p in people]
        if ids:
            rows = await self.session.execute(
                select(Identity.person_id, Identity.channel)
                .where(Identity.person_id.in_(ids))
                .order_by(Identity.id)
            )
            for person_id, channel in rows:
                channels.setdefault(int(person_id), []).append(channel)
        return [
            OfficerInfo(int(p.id), Role(p.role), p.scope or "", tuple(channels.get(p.id, ())))
            for p in people
        ]

    async def get(self, person_id: int) -> OfficerInfo | None:
        found = [o for o in await self.listing() if o.person_id == person_id]
        return found[0] if found else None

    async def channel_of(self, person_id: int) -> str | None:
        """The channel an officer is reached on (their first identity's)."""
        row = await self.session.execute(
            select(Identity.channel)
            .where(Identity.person_id == person_id)
            .order_by(Identity.id)
            .limit(1)
        )
        return row.scalar_one_or_none()


class Audit:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def record(
        self,
        *,
        actor_person_id: int | None,
        action: str,
        subject: str,
        area: str | None,
        now: datetime,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
        actor_label: str | None = None,
    ) -> None:
        self.session.add(
            AuditEntry(
                at=now,
                actor_person_id=actor_person_id,
                actor_label=actor_label or f"person:{actor_person_id}",
                action=action,
                subject=subject,
                area=area,
                before=before,
                after=after,
                reason=(reason or None) and reason[:500],
            )
        )
        await self.session.flush()

    async def entries(
        self, *, area: str | None = None, subject: str | None = None, after_id: int = 0
    ) -> list[AuditRecord]:
        query = select(AuditEntry).where(AuditEntry.id > after_id)
        if area:
            query = query.where((AuditEntry.area == area) | AuditEntry.area.like(f"{area}.%"))
        if subject:
            query = query.where(AuditEntry.subject == subject)
        rows = await self.session.execute(query.order_by(AuditEntry.id))
        return [
            AuditRecord(
                r.at, r.actor_label, r.action, r.subject, r.area, r.before, r.after, r.reason
            )
            for r in rows.scalars()
        ]
