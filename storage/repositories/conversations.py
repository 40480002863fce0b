"""Where each chat is in its flow (one row per channel identity)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.crypto import Crypto
from storage.db import Session
from storage.domain import Actor, ConversationState, Role
from storage.models import Conversation, Identity, Person, utcnow
from storage.repositories.base import ConcurrencyConflict, is_postgres
from storage.repositories.people import identity_hash


class Conversations:
    def __init__(self, session: Session, crypto: Crypto) -> None:
        self.session = session
        self.crypto = crypto

    async def open(self, channel: str, external_id: str) -> tuple[Actor, ConversationState]:
        """The person behind a chat (role, scope) and the chat's state, in one query; on
        PostgreSQL the identity row is locked for this transaction, which serialises the
        messages of one chat across workers (a new chat has nothing to lock: its first
        insert conflicts instead)."""
        stmt = (
            select(Identity.id, Person.id, Person.role, Person.scope, Conversation)
            .join(Person, Person.id == Identity.person_id)
            .outerjoin(Conversation, Conversation.identity_id == Identity.id)
            .where(
                Identity.channel == channel,
                Identity.external_hash == identity_hash(self.crypto, channel, external_id),
            )
        )
        if is_postgres(self.session):
            stmt = stmt.with_for_update(of=Identity)
        row = (await self.session.execute(stmt)).first()
        if row is None:
            return Actor(channel=channel, external_id=external_id), ConversationState()
        identity_id, person_id, role, scope, conversation = row
        actor = Actor(
            channel=channel,
            external_id=external_id,
            person_id=person_id,
            identity_id=identity_id,
            role=Role(role),
            scope=scope,
        )
        if conversation is None:
            return actor, ConversationState(identity_id=identity_id)
        return actor, self._state(conversation)

    def _state(self, row: Conversation) -> ConversationState:
        return ConversationState(
            id=row.id,
            identity_id=row.identity_id,
            locale=row.locale,
            flow=row.flow,
            step=row.step,
            data=self.crypto.decrypt_json(row.data_enc) if row.data_enc else {},
            choices=row.choices,
            version=row.version,
        )

    async def save(self, state: ConversationState) -> None:
        """Insert or update with a version check (ConcurrencyConflict when it moved)."""
        if state.identity_id is None:
            raise ValueError("a conversation is saved for a stored identity")
        values = {
            "locale": state.locale,
            "flow": state.flow,
            "step": state.step,
            "data_enc": self.crypto.encrypt_json(state.data) if state.data else None,
            "choices": state.choices,
            "updated_at": utcnow(),
        }
        if state.id is None:
            try:
                result = await self.session.execute(
                    insert(Conversation)
                    .values(identity_id=state.identity_id, version=1, **values)
                    .returning(Conversation.id)
                )
            except IntegrityError as exc:  # the whole unit of work is retried
                raise ConcurrencyConflict from exc
            state.id = result.scalar_one()
            state.version = 1
            return
        result = await self.session.execute(
            update(Conversation)
            .where(Conversation.id == state.id, Conversation.version == state.version)
            .values(version=state.version + 1, **values)
        )
        if result.rowcount != 1:
            raise ConcurrencyConflict
        state.version += 1

    async def delete(self, state: ConversationState) -> None:
        """Delete the stored state; the engine will not save it again for this message."""
        if state.id is not None:
            await self.session.execute(delete(Conversation).where(Conversation.id == state.id))
        state.id = None
        state.version = 0
        state.deleted = True
