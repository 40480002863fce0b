"""People, their channel identities and their consents."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from storage.crypto import Crypto
from storage.db import Session
from storage.domain import Actor, Recipient, Role
from storage.models import (
    Application,
    Consent,
    Conversation,
    Identity,
    LinkCode,
    OutboxMessage,
    Person,
    utcnow,
)
from storage.repositories.base import ConcurrencyConflict


def identity_hash(crypto: Crypto, channel: str, external_id: str) -> str:
    """The keyed look-up hash of a channel's external id (never stored in clear)."""
    return crypto.lookup_hash(f"identity:{channel}:{external_id}")


class People:
    def __init__(self, session: Session, crypto: Crypto) -> None:
        self.session = session
        self.crypto = crypto

    async def resolve(self, channel: str, external_id: str) -> Actor:
        """The person behind a chat: role and scope; an anonymous applicant if unknown."""
        row = (
            await self.session.execute(
                select(Identity.id, Person.id, Person.role, Person.scope)
                .join(Person, Person.id == Identity.person_id)
                .where(
                    Identity.channel == channel,
                    Identity.external_hash == identity_hash(self.crypto, channel, external_id),
                )
            )
        ).first()
        if row is None:
            return Actor(channel=channel, external_id=external_id)
        identity_id, person_id, role, scope = row
        return Actor(
            channel=channel,
            external_id=external_id,
            person_id=person_id,
            identity_id=identity_id,
            role=Role(role),
            scope=scope,
        )

    async def ensure(self, actor: Actor) -> Actor:
        """Store the person and their identity if they are not stored yet."""
        if actor.identity_id is not None:
            return actor
        person = Person(role=actor.role.value, scope=actor.scope)
        identity = Identity(
            channel=actor.channel,
            external_hash=identity_hash(self.crypto, actor.channel, actor.external_id),
            external_enc=self.crypto.encrypt(actor.external_id.encode()),
        )
        try:
            self.session.add(person)
            await self.session.flush()
            identity.person_id = person.id
            self.session.add(identity)
            await self.session.flush()
        except IntegrityError as exc:  # the same chat's first message, handled elsewhere:
            raise ConcurrencyConflict from exc  # the whole unit of work is retried
        return replace(actor, person_id=person.id, identity_id=identity.id)

    async def set_role(self, person_id: int, role: Role, scope: str | None) -> None:
        await self.session.execute(
            update(Person).where(Person.id == person_id).values(role=role.value, scope=scope)
        )

    async def external_id(self, identity_id: int) -> str | None:
        """The channel's id in clear, to send to the person (never for logs or listings)."""
        row = await self.session.get(Identity, identity_id)
        return self.crypto.decrypt(row.external_enc).decode() if row else None

    async def recipient(self, person_id: int, channel: str) -> Recipient | None:
        """Where to send to the person on ``channel`` (their newest identity there), in which
        language, and whether to: None without an identity on the channel. An identity marked
        unreachable counts as reachable again once its chat was used after the mark."""
        row = (
            await self.session.execute(
                select(
                    Identity.external_enc,
                    Identity.unreachable_at,
                    Conversation.locale,
                    Conversation.updated_at,
                    Person.quiet_since,
                )
                .join(Person, Person.id == Identity.person_id)
                .outerjoin(Conversation, Conversation.identity_id == Identity.id)
                .where(Identity.person_id == person_id, Identity.channel == channel)
                .order_by(Identity.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        gone = row.unreachable_at is not None and (
            row.updated_at is None or row.updated_at <= row.unreachable_at
        )
        return Recipient(
            address=self.crypto.decrypt(row.external_enc).decode(),
            locale=row.locale,
            quiet=row.quiet_since is not None,
            unreachable=gone,
        )

    async def set_quiet(self, person_id: int, since: datetime | None) -> None:
        """/berhenti (``since``: now) or /lanjut (None)."""
        await self.session.execute(
            update(Person).where(Person.id == person_id).values(quiet_since=since)
        )

    async def mark_unreachable(self, person_id: int, channel: str, at: datetime) -> None:
        await self.session.execute(
            update(Identity)
            .where(Identity.person_id == person_id, Identity.channel == channel)
            .values(unreachable_at=at)
        )

    # linking a second channel's chat to a person

    def _link_hash(self, code: str) -> str:
        return self.crypto.lookup_hash("link:" + code)

    async def make_link_code(
        self, person_id: int, code: str, *, now: datetime, until: datetime
    ) -> None:
        """A one-time code for ``person_id`` (earlier unused codes of theirs stop working)."""
        await self.session.execute(
            delete(LinkCode).where(LinkCode.person_id == person_id, LinkCode.used_at.is_(None))
        )
        self.session.add(
            LinkCode(
                code_hash=self._link_hash(code),
                person_id=person_id,
                created_at=now,
                expires_at=until,
            )
        )
        await self.session.flush()

    async def redeem_link_code(self, code: str, now: datetime) -> int | None:
        """The person of an unused, unexpired code, which is used up now; None otherwise."""
        result = await self.session.execute(
            update(LinkCode)
            .where(
                LinkCode.code_hash == self._link_hash(code),
                LinkCode.used_at.is_(None),
                LinkCode.expires_at > now,
            )
            .values(used_at=now)
            .returning(LinkCode.person_id)
        )
        found = result.scalar_one_or_none()
        return int(found) if found is not None else None

    async def link_identity(self, identity_id: int, to_person: int) -> None:
        """Make a chat's identity one of ``to_person``'s. What its former person had (a
        consent, a queued reminder) goes with it; that person is removed if it has no other
        identity. The caller checked that the former person has no application."""
        identity = await self.session.get(Identity, identity_id)
        if identity is None or identity.person_id == to_person:
            return
        former = identity.person_id
        identity.person_id = to_person
        await self.session.execute(
            update(Consent).where(Consent.person_id == former).values(person_id=to_person)
        )
        await self.session.execute(delete(OutboxMessage).where(OutboxMessage.person_id == former))
        await self.session.flush()
        others = await self.session.execute(
            select(Identity.id).where(Identity.person_id == former).limit(1)
        )
        if others.first() is None:
            await self.session.execute(delete(Person).where(Person.id == former))

    async def delete(self, person_id: int) -> None:
        """Forget a person: identities (and so conversations), consents, queued messages and
        the person."""
        await self.session.execute(
            update(Application).where(Application.person_id == person_id).values(person_id=None)
        )
        await self.session.execute(delete(Consent).where(Consent.person_id == person_id))
        await self.session.execute(
            delete(OutboxMessage).where(OutboxMessage.person_id == person_id)
        )
        await self.session.execute(delete(Identity).where(Identity.person_id == person_id))
        await self.session.execute(delete(Person).where(Person.id == person_id))


class Consents:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def record(
        self,
        *,
        person_id: int,
        channel: str,
        purpose: str,
        version: str,
        locale: str,
        granted: bool,
        at: datetime | None = None,
    ) -> None:
        self.session.add(
            Consent(
                person_id=person_id,
                channel=channel,
                purpose=purpose,
                version=version,
                locale=locale,
                granted=granted,
                recorded_at=at or utcnow(),
            )
        )
        await self.session.flush()

    async def of(self, person_id: int) -> list[tuple[str, str, bool]]:
        rows = await self.session.execute(
            select(Consent.purpose, Consent.version, Consent.granted)
            .where(Consent.person_id == person_id)
            .order_by(Consent.id)
        )
        return [(r.purpose, r.version, r.granted) for r in rows]

    async def delete_of(self, person_id: int) -> None:
        await self.session.execute(delete(Consent).where(Consent.person_id == person_id))
