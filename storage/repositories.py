"""Repositories over one session. They never commit: the caller owns the transaction.

ORM rows never leave this module: callers get plain dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Crypto
from storage.models import (
    Application,
    Consent,
    Conversation,
    Counter,
    Document,
    Meta,
    ProcessedUpdate,
    Region,
    Tps,
    utcnow,
)


class ConcurrencyConflict(Exception):
    """The row changed under us; the whole unit of work must be retried."""


class DuplicateNik(Exception):
    """An application with this NIK already exists in the period."""


@dataclass
class ConversationState:
    channel: str
    chat_id: str
    locale: str | None = None
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    application_id: int | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str
    level: int
    parent_code: str | None


@dataclass(frozen=True)
class TpsInfo:
    id: int
    kelurahan_code: str
    number: int
    address: str
    is_demo: bool


@dataclass(frozen=True)
class ApplicationInfo:
    id: int
    reg_number: str
    period_code: str
    kelurahan_code: str
    tps_id: int | None
    status: str
    flags: list[str]
    submitted_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    kind: str
    file_key: str
    encrypted: bool
    mime: str
    size: int
    width: int | None
    height: int | None
    pages: int | None
    status: str
    status_reason: str | None
    uploaded_at: datetime


def _document_info(row: Document) -> DocumentInfo:
    return DocumentInfo(
        id=row.id,
        kind=row.kind,
        file_key=row.file_key,
        encrypted=row.encrypted,
        mime=row.mime,
        size=row.size,
        width=row.width,
        height=row.height,
        pages=row.pages,
        status=row.status,
        status_reason=row.status_reason,
        uploaded_at=row.uploaded_at,
    )


class Store:
    """All reads and writes of one unit of work (one incoming message)."""

    def __init__(self, session: AsyncSession, crypto: Crypto, edition: str) -> None:
        self.session = session
        self.crypto = crypto
        self.edition = edition

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    # -- intake -------------------------------------------------------------------------------
    async def claim_update(self, channel: str, external_id: str) -> bool:
        """Record a delivery; False if it was handled already."""
        try:
            async with self.session.begin_nested():
                self.session.add(ProcessedUpdate(channel=channel, external_id=external_id))
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    # -- conversations ------------------------------------------------------------------------
    async def load_conversation(self, channel: str, chat_id: str) -> ConversationState:
        """The chat's state, locked for this transaction (a fresh one if none is stored)."""
        stmt = select(Conversation).where(
            Conversation.channel == channel, Conversation.chat_id == chat_id
        )
        if self._postgres:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            return ConversationState(channel=channel, chat_id=chat_id)
        data = self.crypto.decrypt_json(row.data_enc) if row.data_enc else {}
        return ConversationState(
            id=row.id,
            channel=row.channel,
            chat_id=row.chat_id,
            locale=row.locale,
            flow=row.flow,
            step=row.step,
            data=data,
            application_id=row.application_id,
            version=row.version,
        )

    async def save_conversation(self, state: ConversationState) -> None:
        values = {
            "locale": state.locale,
            "flow": state.flow,
            "step": state.step,
            "data_enc": self.crypto.encrypt_json(state.data) if state.data else None,
            "application_id": state.application_id,
            "updated_at": utcnow(),
        }
        if state.id is None:
            try:
                async with self.session.begin_nested():
                    result = await self.session.execute(
                        insert(Conversation)
                        .values(channel=state.channel, chat_id=state.chat_id, version=1, **values)
                        .returning(Conversation.id)
                    )
            except IntegrityError as exc:
                raise ConcurrencyConflict from exc
            state.id = result.scalar_one()
            state.version = 1
            return
        result = await self.session.execute(
            update(Conversation)
            .where(Conversation.id == state.id, Conversation.version == state.version)
            .values(version=state.version + 1, **values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrencyConflict
        state.version += 1

    async def delete_conversation(self, state: ConversationState) -> None:
        if state.id is not None:
            await self.session.execute(delete(Conversation).where(Conversation.id == state.id))
        state.id = None
        state.version = 0

    # -- consent ------------------------------------------------------------------------------
    async def record_consent(
        self,
        *,
        channel: str,
        chat_id: str,
        purpose: str,
        version: str,
        locale: str,
        granted: bool,
        at: datetime | None = None,
    ) -> None:
        self.session.add(
            Consent(
                channel=channel,
                chat_id=chat_id,
                purpose=purpose,
                version=version,
                locale=locale,
                granted=granted,
                recorded_at=at or utcnow(),
            )
        )
        await self.session.flush()

    async def delete_consents(self, channel: str, chat_id: str) -> None:
        await self.session.execute(
            delete(Consent).where(Consent.channel == channel, Consent.chat_id == chat_id)
        )

    async def consents_of(self, channel: str, chat_id: str) -> list[tuple[str, str, bool]]:
        rows = await self.session.execute(
            select(Consent.purpose, Consent.version, Consent.granted)
            .where(Consent.channel == channel, Consent.chat_id == chat_id)
            .order_by(Consent.id)
        )
        return [(r.purpose, r.version, r.granted) for r in rows]

    # -- applications -------------------------------------------------------------------------
    async def nik_registered(self, period_code: str, nik: str) -> bool:
        stmt = select(Application.id).where(
            Application.period_code == period_code,
            Application.nik_hash == self.crypto.lookup_hash(nik),
        )
        return (await self.session.execute(stmt)).first() is not None

    async def next_sequence(self, key: str) -> int:
        result = await self.session.execute(
            update(Counter)
            .where(Counter.key == key)
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        )
        value = result.scalar_one_or_none()
        if value is not None:
            return int(value)
        try:
            async with self.session.begin_nested():
                self.session.add(Counter(key=key, value=1))
                await self.session.flush()
        except IntegrityError as exc:
            raise ConcurrencyConflict from exc
        return 1

    async def create_application(
        self,
        *,
        period_code: str,
        reg_number: str,
        nik: str,
        data: dict[str, Any],
        kelurahan_code: str,
        tps_id: int | None,
        flags: list[str],
        channel: str,
        chat_id: str,
        consent_version: str,
    ) -> ApplicationInfo:
        row = Application(
            period_code=period_code,
            reg_number=reg_number,
            nik_hash=self.crypto.lookup_hash(nik),
            nik_enc=self.crypto.encrypt(nik.encode()),
            data_enc=self.crypto.encrypt_json(data),
            kelurahan_code=kelurahan_code,
            tps_id=tps_id,
            flags=flags,
            channel=channel,
            chat_id=chat_id,
            consent_version=consent_version,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError as exc:
            if await self.nik_registered(period_code, nik):
                raise DuplicateNik from exc
            raise ConcurrencyConflict from exc  # e.g. the number was taken: try again
        await self.session.execute(
            update(Consent)
            .where(
                Consent.channel == channel,
                Consent.chat_id == chat_id,
                Consent.application_id.is_(None),
            )
            .values(application_id=row.id)
        )
        return self._application_info(row)

    async def application_by_number(self, period_code: str, reg_number: str) -> int | None:
        stmt = select(Application.id).where(
            Application.period_code == period_code, Application.reg_number == reg_number
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def application_nik(self, application_id: int) -> str | None:
        """The NIK in clear, for the applicant's own forms; never for logs or listings."""
        row = await self.session.get(Application, application_id)
        return self.crypto.decrypt(row.nik_enc).decode() if row else None

    async def get_application(self, application_id: int) -> ApplicationInfo | None:
        row = await self.session.get(Application, application_id)
        return self._application_info(row) if row else None

    def _application_info(self, row: Application) -> ApplicationInfo:
        return ApplicationInfo(
            id=row.id,
            reg_number=row.reg_number,
            period_code=row.period_code,
            kelurahan_code=row.kelurahan_code,
            tps_id=row.tps_id,
            status=row.status,
            flags=list(row.flags or []),
            submitted_at=row.submitted_at,
            data=self.crypto.decrypt_json(row.data_enc),
        )

    async def count_applications(self, period_code: str) -> int:
        stmt = select(func.count(Application.id)).where(Application.period_code == period_code)
        return int((await self.session.execute(stmt)).scalar_one())

    # -- documents ----------------------------------------------------------------------------
    async def documents_of(self, application_id: int) -> list[DocumentInfo]:
        rows = await self.session.execute(
            select(Document).where(Document.application_id == application_id).order_by(Document.id)
        )
        return [_document_info(row) for row in rows.scalars()]

    async def put_document(
        self,
        *,
        application_id: int,
        kind: str,
        file_key: str,
        encrypted: bool,
        mime: str,
        size: int,
        width: int | None,
        height: int | None,
        pages: int | None,
        channel_file_id: str | None,
    ) -> tuple[DocumentInfo, str | None]:
        """Store (or replace) the document of that kind; returns it and the replaced file key."""
        row = (
            await self.session.execute(
                select(Document).where(
                    Document.application_id == application_id, Document.kind == kind
                )
            )
        ).scalar_one_or_none()
        replaced = None
        if row is None:
            row = Document(application_id=application_id, kind=kind)
            self.session.add(row)
        elif row.file_key != file_key:
            replaced = row.file_key
        row.file_key = file_key
        row.encrypted = encrypted
        row.mime = mime
        row.size = size
        row.width = width
        row.height = height
        row.pages = pages
        row.channel_file_id = channel_file_id
        row.status = "pending"
        row.status_reason = None
        row.uploaded_at = utcnow()
        await self.session.flush()
        return _document_info(row), replaced

    async def set_document_status(
        self, document_id: int, status: str, reason: str | None = None
    ) -> None:
        await self.session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(status=status, status_reason=reason)
        )

    async def file_in_use(self, file_key: str) -> bool:
        stmt = select(Document.id).where(Document.file_key == file_key).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def delete_application(self, application_id: int) -> list[str]:
        """Delete an application with its documents and consents' link; returns the file keys
        no longer referenced by any document (to delete from the file store after commit)."""
        keys = {d.file_key for d in await self.documents_of(application_id)}
        await self.session.execute(
            delete(Document).where(Document.application_id == application_id)
        )
        await self.session.execute(
            update(Conversation)
            .where(Conversation.application_id == application_id)
            .values(application_id=None)
        )
        await self.session.execute(
            update(Consent)
            .where(Consent.application_id == application_id)
            .values(application_id=None)
        )
        await self.session.execute(delete(Application).where(Application.id == application_id))
        return [key for key in sorted(keys) if not await self.file_in_use(key)]

    # -- master data --------------------------------------------------------------------------
    async def region(self, code: str) -> RegionInfo | None:
        row = await self.session.get(Region, (self.edition, code))
        return RegionInfo(row.code, row.name, row.level, row.parent_code) if row else None

    async def children(self, parent_code: str) -> list[RegionInfo]:
        rows = await self.session.execute(
            select(Region)
            .where(Region.edition == self.edition, Region.parent_code == parent_code)
            .order_by(Region.code)
        )
        return [RegionInfo(r.code, r.name, r.level, r.parent_code) for r in rows.scalars()]

    async def region_names(self, codes: list[str]) -> dict[str, str]:
        if not codes:
            return {}
        rows = await self.session.execute(
            select(Region.code, Region.name).where(
                Region.edition == self.edition, Region.code.in_(codes)
            )
        )
        return {r.code: r.name for r in rows}

    async def tps_of(self, kelurahan_code: str) -> list[TpsInfo]:
        rows = await self.session.execute(
            select(Tps)
            .where(Tps.edition == self.edition, Tps.kelurahan_code == kelurahan_code)
            .order_by(Tps.number)
        )
        return [self._tps_info(r) for r in rows.scalars()]

    async def tps(self, tps_id: int) -> TpsInfo | None:
        row = await self.session.get(Tps, tps_id)
        return self._tps_info(row) if row else None

    @staticmethod
    def _tps_info(row: Tps) -> TpsInfo:
        return TpsInfo(row.id, row.kelurahan_code, row.number, row.address, row.is_demo)

    # -- meta ---------------------------------------------------------------------------------
    async def get_meta(self, key: str) -> str | None:
        row = await self.session.get(Meta, key)
        return row.value if row else None

    async def set_meta(self, key: str, value: str) -> None:
        row = await self.session.get(Meta, key)
        if row is None:
            self.session.add(Meta(key=key, value=value))
        else:
            row.value = value
        await self.session.flush()
