"""Applications (one per NIK per recruitment period) and their status history."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from storage.crypto import Crypto
from storage.db import Session
from storage.domain import (
    ApplicantDetails,
    ApplicationInfo,
    ApplicationStatus,
    Seat,
    StatusChange,
)
from storage.models import Application, Consent, Counter
from storage.models import StatusChange as StatusChangeRow
from storage.repositories.base import ConcurrencyConflict
from storage.repositories.documents import Documents


def info_of(
    crypto: Crypto, row: Application, details: ApplicantDetails | None = None
) -> ApplicationInfo:
    return ApplicationInfo(
        id=row.id,
        reg_number=row.reg_number,
        period_code=row.period_code,
        person_id=row.person_id,
        kelurahan_code=row.kelurahan_code,
        tps_id=row.tps_id,
        status=ApplicationStatus(row.status),
        flags=list(crypto.decrypt_json(row.flags_enc)),
        submitted_at=row.submitted_at,
        details=details or ApplicantDetails.from_json(crypto.decrypt_json(row.data_enc)),
        version=row.version or 0,
        seat=Seat(row.seat) if row.seat else None,
        seat_tps_id=row.seat_tps_id,
        reserve_rank=row.reserve_rank,
    )


class DuplicateNik(Exception):
    """An application with this NIK already exists in the period."""


class Applications:
    def __init__(self, session: Session, crypto: Crypto, documents: Documents) -> None:
        self.session = session
        self.crypto = crypto
        self.documents = documents

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

    async def create(
        self,
        *,
        period_code: str,
        reg_number: str,
        nik: str,
        details: ApplicantDetails,
        kelurahan_code: str,
        tps_id: int | None,
        flags: list[str],
        person_id: int,
        channel: str,
        consent_version: str,
    ) -> ApplicationInfo:
        row = Application(
            period_code=period_code,
            reg_number=reg_number,
            nik_hash=self.crypto.lookup_hash(nik),
            nik_enc=self.crypto.encrypt(nik.encode()),
            data_enc=self.crypto.encrypt_json(details.to_json()),
            kelurahan_code=kelurahan_code,
            tps_id=tps_id,
            status=ApplicationStatus.SUBMITTED.value,
            flags_enc=self.crypto.encrypt_json(list(flags)),
            person_id=person_id,
            channel=channel,
            consent_version=consent_version,
            version=0,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError as exc:
            if await self.nik_registered(period_code, nik):
                raise DuplicateNik from exc
            raise ConcurrencyConflict from exc  # e.g. the number was taken: try again
        self.session.add(
            StatusChangeRow(
                application_id=row.id,
                actor_person_id=person_id,
                from_status=None,
                to_status=ApplicationStatus.SUBMITTED.value,
            )
        )
        await self.session.execute(
            update(Consent)
            .where(Consent.person_id == person_id, Consent.application_id.is_(None))
            .values(application_id=row.id)
        )
        return self._info(row, details)

    async def set_status(
        self,
        application_id: int,
        status: ApplicationStatus,
        *,
        actor_person_id: int | None,
        reason: str | None = None,
    ) -> None:
        row = await self.session.get(Application, application_id)
        if row is None:
            raise LookupError(application_id)
        self.session.add(
            StatusChangeRow(
                application_id=application_id,
                actor_person_id=actor_person_id,
                from_status=row.status,
                to_status=status.value,
                reason=reason,
            )
        )
        row.status = status.value
        await self.session.flush()

    async def history(self, application_id: int) -> list[StatusChange]:
        rows = await self.session.execute(
            select(StatusChangeRow)
            .where(StatusChangeRow.application_id == application_id)
            .order_by(StatusChangeRow.id)
        )
        return [
            StatusChange(
                application_id=r.application_id,
                document_id=r.document_id,
                actor_person_id=r.actor_person_id,
                at=r.at,
                from_status=r.from_status,
                to_status=r.to_status,
                reason=r.reason,
            )
            for r in rows.scalars()
        ]

    async def id_by_number(self, period_code: str, reg_number: str) -> int | None:
        stmt = select(Application.id).where(
            Application.period_code == period_code, Application.reg_number == reg_number
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_person(self, person_id: int | None, period_code: str) -> ApplicationInfo | None:
        if person_id is None:
            return None
        row = (
            await self.session.execute(
                select(Application).where(
                    Application.person_id == person_id, Application.period_code == period_code
                )
            )
        ).scalar_one_or_none()
        return self._info(row) if row else None

    async def nik(self, application_id: int) -> str | None:
        """The NIK in clear, for the applicant's own forms; never for logs or listings."""
        row = await self.session.get(Application, application_id)
        return self.crypto.decrypt(row.nik_enc).decode() if row else None

    async def get(self, application_id: int) -> ApplicationInfo | None:
        row = await self.session.get(Application, application_id)
        return self._info(row) if row else None

    def _info(self, row: Application, details: ApplicantDetails | None = None) -> ApplicationInfo:
        return info_of(self.crypto, row, details)

    async def count(self, period_code: str) -> int:
        stmt = select(func.count(Application.id)).where(Application.period_code == period_code)
        return int((await self.session.execute(stmt)).scalar_one())

    async def delete(self, application_id: int) -> list[str]:
        """Delete an application with its documents, history and consents' link; returns the
        file keys no longer referenced (to delete from the file store after commit)."""
        keys = await self.documents.delete_of(application_id)
        await self.session.execute(
            delete(StatusChangeRow).where(StatusChangeRow.application_id == application_id)
        )
        await self.session.execute(
            update(Consent)
            .where(Consent.application_id == application_id)
            .values(application_id=None)
        )
        await self.session.execute(delete(Application).where(Application.id == application_id))
        return [key for key in sorted(keys) if not await self.documents.file_in_use(key)]
