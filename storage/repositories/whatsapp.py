"""WhatsApp's own storage: the inbox of webhook bodies not processed yet, the phone number
behind a business-scoped user id, and the re-pointing of an identity whose number or user id
changed. Bodies and numbers are encrypted (they name the person)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.crypto import Crypto
from storage.db import Session
from storage.models import Identity, WhatsAppContact, WhatsAppInbox, WhatsAppWindow, utcnow
from storage.repositories.base import is_postgres
from storage.repositories.people import identity_hash

CHANNEL = "whatsapp"


class WhatsAppStore:
    def __init__(self, session: Session, crypto: Crypto) -> None:
        self.session = session
        self.crypto = crypto

    # -- the inbox ------------------------------------------------------------------------

    async def record(self, body: bytes, at: datetime | None = None) -> int:
        """Keep a webhook body until it is processed; its row id."""
        row = WhatsAppInbox(body_enc=self.crypto.encrypt(body), received_at=at or utcnow())
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def pending(self) -> list[tuple[int, bytes]]:
        """Bodies recorded but not processed (a crash in between), oldest first."""
        rows = await self.session.execute(
            select(WhatsAppInbox.id, WhatsAppInbox.body_enc).order_by(WhatsAppInbox.id)
        )
        return [(row_id, self.crypto.decrypt(body)) for row_id, body in rows]

    async def processed(self, row_id: int) -> None:
        await self.session.execute(delete(WhatsAppInbox).where(WhatsAppInbox.id == row_id))

    # -- numbers behind user ids ----------------------------------------------------------

    async def _identity(self, external_id: str) -> int | None:
        return (
            await self.session.execute(
                select(Identity.id).where(
                    Identity.channel == CHANNEL,
                    Identity.external_hash == identity_hash(self.crypto, CHANNEL, external_id),
                )
            )
        ).scalar()

    async def remember_number(self, user_id: str, number: str) -> bool:
        """Keep ``number`` as where to send to the identity ``user_id``; False if that
        identity is not stored (yet)."""
        identity_id = await self._identity(user_id)
        if identity_id is None:
            return False
        insert = postgresql.insert if is_postgres(self.session) else sqlite.insert
        values = {"number_enc": self.crypto.encrypt(number.encode()), "updated_at": utcnow()}
        await self.session.execute(
            insert(WhatsAppContact)
            .values(identity_id=identity_id, **values)
            .on_conflict_do_update(index_elements=["identity_id"], set_=values)
        )
        return True

    async def number_of(self, user_id: str) -> str | None:
        """The phone number last seen with the identity ``user_id``."""
        identity_id = await self._identity(user_id)
        if identity_id is None:
            return None
        row = await self.session.get(WhatsAppContact, identity_id)
        return self.crypto.decrypt(row.number_enc).decode() if row else None

    # -- the customer service window ------------------------------------------------------

    async def wrote(self, external_id: str, at: datetime) -> None:
        """The person known as ``external_id`` (user id or number) wrote at ``at``: the
        24-hour window for free-form messages runs from then."""
        insert = postgresql.insert if is_postgres(self.session) else sqlite.insert
        key = identity_hash(self.crypto, CHANNEL, external_id)
        await self.session.execute(
            insert(WhatsAppWindow)
            .values(external_hash=key, last_inbound_at=at)
            .on_conflict_do_update(
                index_elements=["external_hash"],
                set_={"last_inbound_at": at},
                where=WhatsAppWindow.last_inbound_at < at,
            )
        )

    async def last_wrote(self, external_id: str) -> datetime | None:
        """When the person known as ``external_id`` last wrote (None: never, as far as
        recorded)."""
        row = await self.session.get(
            WhatsAppWindow, identity_hash(self.crypto, CHANNEL, external_id)
        )
        return row.last_inbound_at if row else None

    async def window_closed(self, person_id: int) -> None:
        """The platform says the person's window is closed (whatever we recorded): forget
        when they last wrote on WhatsApp, until they write again."""
        hashes = select(Identity.external_hash).where(
            Identity.person_id == person_id, Identity.channel == CHANNEL
        )
        await self.session.execute(
            delete(WhatsAppWindow).where(WhatsAppWindow.external_hash.in_(hashes))
        )

    async def outside_window(self, person_ids: list[int], since: datetime) -> int:
        """How many of these people have a WhatsApp identity that has not written after
        ``since`` (a message to them needs a template)."""
        outside = 0
        for start in range(0, len(person_ids), 1000):
            chunk = person_ids[start : start + 1000]
            result = await self.session.execute(
                select(Identity.person_id)
                .distinct()
                .outerjoin(WhatsAppWindow, WhatsAppWindow.external_hash == Identity.external_hash)
                .where(
                    Identity.channel == CHANNEL,
                    Identity.person_id.in_(chunk),
                    or_(
                        WhatsAppWindow.last_inbound_at.is_(None),
                        WhatsAppWindow.last_inbound_at <= since,
                    ),
                )
            )
            outside += len(result.all())
        return outside

    # -- a changed number or user id ------------------------------------------------------

    async def repoint(self, old: str, new: str) -> bool:
        """The identity known as ``old`` is ``new`` from now on (the person changed their
        number or user id). False if ``old`` is unknown or ``new`` is already someone's."""
        identity_id = await self._identity(old)
        if identity_id is None or await self._identity(new) is not None:
            return False
        window = await self.session.get(WhatsAppWindow, identity_hash(self.crypto, CHANNEL, old))
        if window is not None:
            await self.wrote(new, window.last_inbound_at)
        await self.session.execute(
            update(Identity)
            .where(Identity.id == identity_id)
            .values(
                external_hash=identity_hash(self.crypto, CHANNEL, new),
                external_enc=self.crypto.encrypt(new.encode()),
            )
        )
        return True
