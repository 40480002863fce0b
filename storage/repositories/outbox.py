"""The outbox: messages the bot sends on its own, and the lease of the one sender per bot.

A message is enqueued in the transaction of the change that causes it, under a unique
idempotency key (the same key twice is one message). The sender claims due rows with one
statement — ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`` on
PostgreSQL, the same statement serialised by SQLite's writer lock — under a lease: a row whose
lease expired (a sender that crashed) is claimed again. Every later change of a claimed row
names its lease owner, so a sender whose lease was taken over cannot overwrite the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.crypto import Crypto
from storage.db import Session
from storage.domain import OutboxItem, OutboxStatus, OutgoingMessage
from storage.models import OutboxMessage, SenderLease
from storage.repositories.base import is_postgres

Status = OutboxStatus
ERROR_LENGTH = 300
# A platform's statuses of a sent message in the order they can follow each other.
PLATFORM_STATUSES = {"sent": 1, "failed": 2, "delivered": 2, "read": 3}


class Outbox:
    def __init__(self, session: Session, crypto: Crypto) -> None:
        self.session = session
        self.crypto = crypto

    async def enqueue(
        self,
        *,
        person_id: int,
        channel: str,
        kind: str,
        message: OutgoingMessage,
        key: str,
        now: datetime,
        priority: int = 5,
        not_before: datetime | None = None,
        essential: bool = True,
        replace: bool = False,
    ) -> bool:
        """Queue a message; False if one with this idempotency key exists already.
        ``essential=False`` (reminders, optional broadcasts): not sent to a person who asked
        for quiet (/berhenti). ``replace``: a message with this key that is still queued
        gets this one's content (a digest brought up to date); True then too."""
        insert = postgresql.insert if is_postgres(self.session) else sqlite.insert
        statement = insert(OutboxMessage).values(
            person_id=person_id,
            channel=channel,
            kind=kind,
            priority=priority,
            essential=essential,
            payload_enc=self.crypto.encrypt_json(message.to_json()),
            idempotency_key=key,
            status=Status.QUEUED.value,
            attempts=0,
            not_before=not_before or now,
            created_at=now,
        )
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=[OutboxMessage.idempotency_key],
                set_={"payload_enc": statement.excluded.payload_enc},
                where=OutboxMessage.status == Status.QUEUED.value,
            )
        else:
            statement = statement.on_conflict_do_nothing(
                index_elements=[OutboxMessage.idempotency_key]
            )
        result = await self.session.execute(statement.returning(OutboxMessage.id))
        return result.first() is not None

    async def claim(
        self, owner: str, now: datetime, *, limit: int, lease: timedelta, channel: str
    ) -> list[OutboxItem]:
        """Take up to ``limit`` due messages of ``channel`` (queued and due, or sending under
        an expired lease), most urgent first, and lease them to ``owner``."""
        due = or_(
            and_(OutboxMessage.status == Status.QUEUED.value, OutboxMessage.not_before <= now),
            and_(OutboxMessage.status == Status.SENDING.value, OutboxMessage.lease_until < now),
        )
        ids = (
            select(OutboxMessage.id)
            .where(OutboxMessage.channel == channel, due)
            .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
            .limit(limit)
        )
        if is_postgres(self.session):
            ids = ids.with_for_update(skip_locked=True)
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids.scalar_subquery()))
            .values(
                status=Status.SENDING.value,
                lease_owner=owner,
                lease_until=now + lease,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(
                OutboxMessage.id,
                OutboxMessage.person_id,
                OutboxMessage.channel,
                OutboxMessage.kind,
                OutboxMessage.priority,
                OutboxMessage.essential,
                OutboxMessage.payload_enc,
                OutboxMessage.attempts,
                OutboxMessage.not_before,
            )
        )
        rows = sorted(result.all(), key=lambda row: (row.priority, row.not_before, row.id))
        return [
            OutboxItem(
                id=row.id,
                person_id=row.person_id,
                channel=row.channel,
                kind=row.kind,
                priority=row.priority,
                message=OutgoingMessage.from_json(self.crypto.decrypt_json(row.payload_enc)),
                attempts=row.attempts,
                lease_owner=owner,
                essential=row.essential,
            )
            for row in rows
        ]

    async def _settle(self, item_id: int, owner: str, **values: object) -> bool:
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == item_id,
                OutboxMessage.status == Status.SENDING.value,
                OutboxMessage.lease_owner == owner,
            )
            .values(lease_owner=None, lease_until=None, **values)
            .returning(OutboxMessage.id)
        )
        return result.first() is not None

    async def sent(
        self,
        item_id: int,
        owner: str,
        *,
        platform_id: str,
        at: datetime,
        template: str | None = None,
    ) -> bool:
        """The platform confirmed the message (sent as ``template``, if one): never send it
        again."""
        return await self._settle(
            item_id,
            owner,
            status=Status.SENT.value,
            platform_message_id=platform_id[:64],
            sent_at=at,
            last_error=None,
            template=template,
        )

    async def template_contacts(self, channel: str, since: datetime) -> dict[int, datetime]:
        """Who got a message sent as a template on ``channel`` after ``since``, and when
        last: what a messaging tier (unique people per rolling 24 hours) counts."""
        result = await self.session.execute(
            select(OutboxMessage.person_id, func.max(OutboxMessage.sent_at))
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.sent_at > since,
                OutboxMessage.template.is_not(None),
            )
            .group_by(OutboxMessage.person_id)
        )
        return {int(person): at for person, at in result if at is not None}

    async def platform_status(
        self,
        channel: str,
        platform_id: str,
        status: str,
        *,
        error: str | None = None,
        unreachable: bool = False,
    ) -> int | None:
        """What the platform reported about a sent message, never moving backwards (a late
        "delivered" after "read" changes nothing); the person of the row if it changed, else
        None. A failure keeps its ``error`` (code and title); ``unreachable`` (the platform
        says the person cannot get messages) makes the row unreachable."""
        rank = PLATFORM_STATUSES.get(status)
        if rank is None:
            return None
        lower = [name for name, other in PLATFORM_STATUSES.items() if other < rank]
        values: dict[str, object] = {"platform_status": status}
        if error is not None:
            values["last_error"] = error[:ERROR_LENGTH]
        if unreachable:
            values["status"] = Status.UNREACHABLE.value
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.platform_message_id == platform_id[:64],
                or_(
                    OutboxMessage.platform_status.is_(None),
                    OutboxMessage.platform_status.in_(lower),
                ),
            )
            .values(**values)
            .returning(OutboxMessage.person_id)
        )
        person = result.scalar_one_or_none()
        return int(person) if person is not None else None

    async def resend_as_template(
        self, channel: str, platform_id: str, *, now: datetime, error: str
    ) -> int | None:
        """A free-form message the platform accepted and then failed because the person's
        reply window had closed: queued again (once: a template is not), to go as its
        template; the person, or None if no such row."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.platform_message_id == platform_id[:64],
                OutboxMessage.status == Status.SENT.value,
                OutboxMessage.template.is_(None),
            )
            .values(
                status=Status.QUEUED.value,
                not_before=now,
                platform_message_id=None,
                platform_status=None,
                sent_at=None,
                last_error=error[:ERROR_LENGTH],
            )
            .returning(OutboxMessage.person_id)
        )
        person = result.scalar_one_or_none()
        return int(person) if person is not None else None

    async def retry(self, item_id: int, owner: str, *, not_before: datetime, error: str) -> bool:
        """Back in the queue, not before ``not_before`` (a 429, a network error, a 5xx)."""
        return await self._settle(
            item_id,
            owner,
            status=Status.QUEUED.value,
            not_before=not_before,
            last_error=error[:ERROR_LENGTH],
        )

    async def give_up(
        self, item_id: int, owner: str, *, error: str, status: Status = Status.FAILED
    ) -> bool:
        """Not to be sent: failed (with the reason) or the person unreachable."""
        return await self._settle(
            item_id, owner, status=status.value, last_error=error[:ERROR_LENGTH]
        )

    async def unreachable(self, person_id: int, channel: str, *, error: str) -> int:
        """The person blocked the bot or left the platform: their queued messages on this
        channel are not sent; returns how many."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.person_id == person_id,
                OutboxMessage.channel == channel,
                OutboxMessage.status == Status.QUEUED.value,
            )
            .values(status=Status.UNREACHABLE.value, last_error=error[:ERROR_LENGTH])
        )
        return int(result.rowcount or 0)

    async def cancel(
        self,
        person_id: int,
        kinds: Iterable[str] | None = None,
        *,
        keys: Iterable[str] | None = None,
    ) -> int:
        """Cancel a person's queued messages (of ``kinds``, with ``keys``, or all); returns
        how many."""
        where = [
            OutboxMessage.person_id == person_id,
            OutboxMessage.status == Status.QUEUED.value,
        ]
        if kinds is not None:
            where.append(OutboxMessage.kind.in_(list(kinds)))
        if keys is not None:
            where.append(OutboxMessage.idempotency_key.in_(list(keys)))
        result = await self.session.execute(
            update(OutboxMessage).where(*where).values(status=Status.CANCELLED.value)
        )
        return int(result.rowcount or 0)

    async def counts(self, kind: str | None = None, *, prefix: str | None = None) -> dict[str, int]:
        """How many messages are in each status (of one kind, under a key prefix, or all)."""
        statement = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        if kind is not None:
            statement = statement.where(OutboxMessage.kind == kind)
        if prefix is not None:
            statement = statement.where(OutboxMessage.idempotency_key.startswith(prefix))
        return {status: int(count) for status, count in (await self.session.execute(statement))}

    async def has(self, key: str) -> bool:
        """Whether a message with this idempotency key was queued (whatever became of it)."""
        result = await self.session.execute(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
        )
        return result.first() is not None

    async def latest_key(self, person_id: int, prefix: str) -> str | None:
        """The key of the newest message sent to a person under a key prefix."""
        result = await self.session.execute(
            select(OutboxMessage.idempotency_key)
            .where(
                OutboxMessage.person_id == person_id,
                OutboxMessage.idempotency_key.startswith(prefix),
                OutboxMessage.status == Status.SENT.value,
            )
            .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def outcomes(self, prefix: str) -> list[tuple[int, str, str, str | None]]:
        """(person, channel, status, last error) of every message under a key prefix; a
        message the platform accepted and then reported failed counts as failed."""
        status = case(
            (
                and_(
                    OutboxMessage.status == Status.SENT.value,
                    OutboxMessage.platform_status == "failed",
                ),
                Status.FAILED.value,
            ),
            else_=OutboxMessage.status,
        )
        result = await self.session.execute(
            select(
                OutboxMessage.person_id,
                OutboxMessage.channel,
                status,
                OutboxMessage.last_error,
            )
            .where(OutboxMessage.idempotency_key.startswith(prefix))
            .order_by(OutboxMessage.id)
        )
        return [(int(p), c, s, e) for p, c, s, e in result]

    async def next_due(self, channel: str) -> datetime | None:
        """When the next queued message of ``channel`` becomes due (None: nothing queued)."""
        result = await self.session.execute(
            select(func.min(OutboxMessage.not_before)).where(
                OutboxMessage.channel == channel, OutboxMessage.status == Status.QUEUED.value
            )
        )
        value: datetime | None = result.scalar_one_or_none()  # min() keeps the column type
        return value


class SenderLeases:
    """One sender per bot: a lease row per bot name, held until ``until`` and renewed."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def acquire(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease of ``name`` for ``owner``; False while another owner's
        lease has not expired."""
        insert = postgresql.insert if is_postgres(self.session) else sqlite.insert
        statement = insert(SenderLease).values(name=name, owner=owner, until=now + ttl)
        result = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[SenderLease.name],
                set_={"owner": owner, "until": now + ttl},
                where=or_(SenderLease.owner == owner, SenderLease.until < now),
            ).returning(SenderLease.owner)
        )
        row = result.first()
        return row is not None and row[0] == owner

    async def release(self, name: str, owner: str, now: datetime) -> None:
        await self.session.execute(
            update(SenderLease)
            .where(SenderLease.name == name, SenderLease.owner == owner)
            .values(until=now)
        )
