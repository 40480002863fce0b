"""Reports over many applications at once: the applicant export, streamed in keyset pages of
decoded rows, and the recruitment summary (rekap) as grouped counts computed in SQL.

Whoever calls these has already checked that the officer may see ``area`` (a wilayah code:
kab/kota, kecamatan or kelurahan); this module only reads what lies inside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased

from storage.crypto import Crypto
from storage.db import Session
from storage.domain import DOCUMENT_COUNTS_AS_IN, ApplicantDetails, ApplicationStatus, Seat
from storage.models import Application, AuditEntry, Document, Tps

EXPORT_BATCH = 1000
NIK_SHOWN = 4  # a masked NIK shows its last four digits only


# Statuses that mean the administrative check found the applicant eligible (MS): a selected,
# reserve or not selected applicant was MS before the selection.
MS_STATUSES = (
    ApplicationStatus.QUALIFIED,
    ApplicationStatus.SELECTED,
    ApplicationStatus.RESERVE,
    ApplicationStatus.NOT_SELECTED,
)


def mask_nik(nik: str) -> str:
    """``************1234``: only the last four digits."""
    return "*" * (len(nik) - NIK_SHOWN) + nik[-NIK_SHOWN:]


KELURAHAN_DOTS = 3  # 74.71.01.1006: nothing lies below a kelurahan/desa


def in_area(column: Any, area: str) -> Any:
    """``column`` (a wilayah code) is ``area`` or lies below it. A kelurahan is compared for
    equality only, which the index on the code serves (the LIKE does not: SQLite's is case
    insensitive, PostgreSQL's needs the C collation)."""
    if area.count(".") >= KELURAHAN_DOTS:
        return column == area
    return or_(column == area, column.like(f"{area}.%"))


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One application as the export shows it. ``nik`` is masked unless asked in full."""

    reg_number: str
    nik: str
    details: ApplicantDetails
    kelurahan_code: str
    tps_number: int | None
    status: ApplicationStatus
    seat: Seat | None
    seat_tps_number: int | None
    reserve_rank: int | None
    flags: list[str]
    documents: dict[str, str]  # kind -> DocumentStatus value
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class RekapCounts:
    """Counts of one group (a kecamatan, a kelurahan or a TPS) of a recruitment summary."""

    key: str  # the wilayah code, or the TPS id as text
    applicants: int = 0  # not withdrawn
    documents_complete: int = 0  # every document required of everyone is in
    qualified: int = 0  # MS (including those selected, reserve or not selected after it)
    selected: int = 0  # seats filled (at the TPS of the seat)
    tps: int = 0  # polling stations in the group


class Reports:
    def __init__(self, session: Session, crypto: Crypto, edition: str) -> None:
        self.session = session
        self.crypto = crypto
        self.edition = edition

    # -- the export ---------------------------------------------------------------------------

    async def export_rows(
        self,
        period_code: str,
        area: str,
        *,
        full_nik: bool = False,
        batch: int = EXPORT_BATCH,
    ) -> AsyncIterator[list[ExportRow]]:
        """The applications in ``area`` by kelurahan (code order), in the order they came within
        one, in batches of at most ``batch`` decoded rows: keyset pages by id within each
        kelurahan, which the index on the kelurahan code serves without sorting the area (a
        keyset on (kelurahan, number) sorted the whole area for every page: 100,000 rows took
        85 s to XLSX instead of 41 s, bench/bench_export.py). One
        page is in memory at a time; decryption runs in a worker thread, off the event loop."""
        mine = and_(
            Application.period_code == period_code, in_area(Application.kelurahan_code, area)
        )
        codes = (
            (
                await self.session.execute(
                    select(Application.kelurahan_code)
                    .where(mine)
                    .distinct()
                    .order_by(Application.kelurahan_code)
                )
            )
            .scalars()
            .all()
        )
        chosen, seat = aliased(Tps), aliased(Tps)
        columns = (
            Application.id,
            Application.reg_number,
            Application.nik_enc,
            Application.data_enc,
            Application.flags_enc,
            Application.kelurahan_code,
            Application.status,
            Application.seat,
            Application.reserve_rank,
            Application.submitted_at,
            chosen.number,
            seat.number,
        )
        for code in codes:
            after = 0
            while True:
                query = (
                    select(*columns)
                    .outerjoin(chosen, chosen.id == Application.tps_id)
                    .outerjoin(seat, seat.id == Application.seat_tps_id)
                    .where(
                        Application.period_code == period_code,
                        Application.kelurahan_code == code,
                        Application.id > after,
                    )
                    .order_by(Application.id)
                    .limit(batch)
                )
                rows = (await self.session.execute(query)).all()
                if not rows:
                    break
                documents = await self._documents([row[0] for row in rows])
                yield await asyncio.to_thread(self._decode, rows, documents, full_nik)
                if len(rows) < batch:
                    break
                after = rows[-1][0]

    async def count(self, period_code: str, area: str) -> int:
        """How many applications an export of ``area`` would hold."""
        stmt = select(func.count(Application.id)).where(
            Application.period_code == period_code, in_area(Application.kelurahan_code, area)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def log_export(
        self, *, actor_person_id: int | None, actor_label: str, area: str, details: dict[str, Any]
    ) -> None:
        """Record in the audit log that personal data of ``area`` was exported (format, rows,
        whether the NIK was in full): who, when, what — never the data itself."""
        self.session.add(
            AuditEntry(
                actor_person_id=actor_person_id,
                actor_label=actor_label,
                action="export",
                subject=f"area:{area}",
                area=area,
                after=details,
            )
        )
        await self.session.flush()

    async def _documents(self, ids: Sequence[int]) -> dict[int, dict[str, str]]:
        found: dict[int, dict[str, str]] = {}
        result = await self.session.execute(
            select(Document.application_id, Document.kind, Document.status).where(
                Document.application_id.in_(ids)
            )
        )
        for application_id, kind, status in result:
            found.setdefault(application_id, {})[kind] = status
        return found

    def _decode(
        self, rows: Sequence[Any], documents: dict[int, dict[str, str]], full_nik: bool
    ) -> list[ExportRow]:
        decoded = []
        for row in rows:
            nik = self.crypto.decrypt(row[2]).decode()
            decoded.append(
                ExportRow(
                    reg_number=row[1],
                    nik=nik if full_nik else mask_nik(nik),
                    details=ApplicantDetails.from_json(self.crypto.decrypt_json(row[3])),
                    kelurahan_code=row[5],
                    tps_number=row[10],
                    status=ApplicationStatus(row[6]),
                    seat=Seat(row[7]) if row[7] else None,
                    seat_tps_number=row[11],
                    reserve_rank=row[8],
                    flags=list(self.crypto.decrypt_json(row[4])),
                    documents=documents.get(row[0], {}),
                    submitted_at=row[9],
                )
            )
        return decoded

    # -- the summary (rekap) ------------------------------------------------------------------

    async def rekap(
        self, period_code: str, area: str, level: int, required_kinds: Sequence[str]
    ) -> dict[str, RekapCounts]:
        """Counts per group below ``area``: per kelurahan (``level`` 4) by its code, per TPS (5)
        by the TPS id as text (a kecamatan is the sum of its kelurahan). ``required_kinds`` are
        the documents required of everyone; "complete" means all of them are in (sent or
        accepted). Applicants and MS count at the TPS chosen, seats filled at the TPS of the
        seat. One grouped query per figure, whatever the number of applicants."""
        if level not in (4, 5):
            raise ValueError(level)
        not_withdrawn = Application.status != ApplicationStatus.WITHDRAWN.value
        mine = and_(
            Application.period_code == period_code, in_area(Application.kelurahan_code, area)
        )
        # documents in, per application: a correlated count served by the index on
        # documents.application_id, so a kelurahan reads its own documents only
        docs_in = (
            select(func.count())
            .where(
                Document.application_id == Application.id,
                Document.kind.in_(list(required_kinds)),
                Document.status.in_([s.value for s in DOCUMENT_COUNTS_AS_IN]),
            )
            .correlate(Application)
            .scalar_subquery()
        )
        complete = docs_in >= len(set(required_kinds))
        qualified = Application.status.in_([s.value for s in MS_STATUSES])
        selected = Application.status == ApplicationStatus.SELECTED.value

        def counted(group: Any) -> Select[Any]:
            return (
                select(
                    group,
                    func.sum(case((not_withdrawn, 1), else_=0)),
                    func.sum(case((and_(not_withdrawn, complete), 1), else_=0)),
                    func.sum(case((qualified, 1), else_=0)),
                )
                .where(mine)
                .group_by(group)
            )

        def seats(group: Any) -> Select[Any]:
            return select(group, func.count()).where(mine, selected).group_by(group)

        if level == 5:
            groups = counted(Application.tps_id)
            filled = seats(func.coalesce(Application.seat_tps_id, Application.tps_id))
            tps_group: Any = Tps.id
        else:
            groups = counted(Application.kelurahan_code)
            filled = seats(Application.kelurahan_code)
            tps_group = Tps.kelurahan_code
        tps_counts = await self.session.execute(
            select(tps_group, func.count())
            .where(Tps.edition == self.edition, in_area(Tps.kelurahan_code, area))
            .group_by(tps_group)
        )
        found: dict[str, dict[str, int]] = {str(key): {"tps": int(n)} for key, n in tps_counts}
        for key, applicants, docs, ms in await self.session.execute(groups):
            if key is None:
                continue  # no TPS chosen yet (per-TPS rows only)
            found.setdefault(str(key), {}).update(
                applicants=int(applicants or 0),
                documents_complete=int(docs or 0),
                qualified=int(ms or 0),
            )
        for key, n in await self.session.execute(filled):
            if key is not None:
                found.setdefault(str(key), {})["selected"] = int(n)
        return {key: RekapCounts(key=key, **values) for key, values in found.items()}

    async def unassigned(self, period_code: str, kelurahan_code: str) -> int:
        """Applicants of a kelurahan (not withdrawn) with no TPS chosen or seat assigned."""
        stmt = select(func.count(Application.id)).where(
            Application.period_code == period_code,
            Application.kelurahan_code == kelurahan_code,
            Application.tps_id.is_(None),
            Application.seat_tps_id.is_(None),
            Application.status != ApplicationStatus.WITHDRAWN.value,
        )
        return int((await self.session.execute(stmt)).scalar_one())
