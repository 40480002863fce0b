"""The documents of applications: one current file per kind, with its review status."""

from __future__ import annotations

from sqlalchemy import delete, select

from storage.db import Session
from storage.domain import DocumentInfo, DocumentStatus
from storage.models import Document, utcnow
from storage.models import StatusChange as StatusChangeRow


def _info(row: Document) -> DocumentInfo:
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
        status=DocumentStatus(row.status),
        status_reason=row.status_reason,
        uploaded_at=row.uploaded_at,
    )


class Documents:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def of(self, application_id: int) -> list[DocumentInfo]:
        rows = await self.session.execute(
            select(Document).where(Document.application_id == application_id).order_by(Document.id)
        )
        return [_info(row) for row in rows.scalars()]

    async def of_many(self, application_ids: list[int]) -> dict[int, list[DocumentInfo]]:
        """The documents of many applications, in one query."""
        found: dict[int, list[DocumentInfo]] = {i: [] for i in application_ids}
        for start in range(0, len(application_ids), 500):
            rows = await self.session.execute(
                select(Document)
                .where(Document.application_id.in_(application_ids[start : start + 500]))
                .order_by(Document.id)
            )
            for row in rows.scalars():
                found[row.application_id].append(_info(row))
        return found

    async def application_of(self, document_id: int) -> int | None:
        row = await self.session.get(Document, document_id)
        return row.application_id if row else None

    async def put(
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
        previous: str | None = None
        if row is None:
            row = Document(application_id=application_id, kind=kind)
            self.session.add(row)
        else:
            previous = row.status
            if row.file_key != file_key:
                replaced = row.file_key
        row.file_key = file_key
        row.encrypted = encrypted
        row.mime = mime
        row.size = size
        row.width = width
        row.height = height
        row.pages = pages
        row.channel_file_id = channel_file_id
        row.status = DocumentStatus.PENDING.value
        row.status_reason = None
        row.uploaded_at = utcnow()
        await self.session.flush()
        if previous != DocumentStatus.PENDING.value:
            self._history(row, previous, DocumentStatus.PENDING, None, None)
        return _info(row), replaced

    async def set_status(
        self,
        document_id: int,
        status: DocumentStatus,
        reason: str | None = None,
        *,
        actor_person_id: int | None = None,
    ) -> None:
        row = await self.session.get(Document, document_id)
        if row is None:
            raise LookupError(document_id)
        self._history(row, row.status, status, reason, actor_person_id)
        row.status = status.value
        row.status_reason = reason
        await self.session.flush()

    def _history(
        self,
        row: Document,
        previous: str | None,
        status: DocumentStatus,
        reason: str | None,
        actor_person_id: int | None,
    ) -> None:
        self.session.add(
            StatusChangeRow(
                application_id=row.application_id,
                document_id=row.id,
                actor_person_id=actor_person_id,
                from_status=previous,
                to_status=status.value,
                reason=reason,
            )
        )

    async def file_in_use(self, file_key: str) -> bool:
        stmt = select(Document.id).where(Document.file_key == file_key).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def delete_of(self, application_id: int) -> set[str]:
        """Delete an application's documents; returns the file keys they used."""
        keys = set(
            (
                await self.session.execute(
                    select(Document.file_key).where(Document.application_id == application_id)
                )
            ).scalars()
        )
        await self.session.execute(
            delete(Document).where(Document.application_id == application_id)
        )
        return keys
