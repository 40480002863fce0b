"""The applicant export for officers and the KPU admin: XLSX or CSV of one kelurahan,
kecamatan or kab/kota, written as the rows arrive.

Rows come from ``storage.repositories.reports.Reports.export_rows`` in batches; each batch is
turned into cells and written in a worker thread (``asyncio.to_thread``), so neither the
decoding nor the writing runs on the event loop, and only one batch is in memory at a time:
XLSX through xlsxwriter in ``constant_memory`` mode (each row is flushed to a temporary file
as soon as the next one starts), CSV with the csv module in UTF-8 with a BOM, so Excel opens it
with the right characters. The NIK is masked (last four digits) unless the caller asks for it
in full, which only the KPU admin may (the chat checks the role, the CLI is the KPU's).

Headers and values are msgids (context "export"), in the officer's language.
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from handlers.forms import education_label
from handlers.i18n import NC_, Translator
from handlers.period import DocumentSpec, Period
from handlers.rules import eligibility as rules
from handlers.rules.dates import age_on
from storage.domain import DOCUMENT_COUNTS_AS_IN, ApplicationStatus, DocumentStatus, Seat
from storage.repositories import Repos
from storage.repositories.reports import ExportRow

CONTEXT = "export"
Cell = str | int | date | None
NamesFor = Callable[[list[str]], Awaitable[dict[str, str]]]


class Format(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


MIME = {
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.CSV: "text/csv",
}

# The columns before the per-document ones, and after them.
HEAD = (
    NC_("export", "Registration no."),
    NC_("export", "Name"),
    NC_("export", "NIK"),
    NC_("export", "Sex"),
    NC_("export", "Date of birth"),
    NC_("export", "Age"),
    NC_("export", "Address"),
    NC_("export", "RT/RW"),
    NC_("export", "Domicile"),
    NC_("export", "Kelurahan"),
    NC_("export", "Kecamatan"),
    NC_("export", "TPS"),
    NC_("export", "Phone no."),
    NC_("export", "Education"),
    NC_("export", "Occupation"),
    NC_("export", "Documents"),
)
TAIL = (
    NC_("export", "Decision"),
    NC_("export", "Position"),
    NC_("export", "Seat TPS"),
    NC_("export", "Notes"),
    NC_("export", "Registered on"),
)
SEX = {"M": NC_("export", "Male"), "F": NC_("export", "Female")}
DOCUMENT = {
    DocumentStatus.PENDING: NC_("export", "sent, not checked"),
    DocumentStatus.ACCEPTED: NC_("export", "accepted"),
    DocumentStatus.NEEDS_FIX: NC_("export", "needs correction"),
    DocumentStatus.REJECTED: NC_("export", "rejected"),
}
MISSING = NC_("export", "not sent")
NOT_REQUIRED = NC_("export", "not required")
COMPLETE = NC_("export", "complete")
INCOMPLETE = NC_("export", "incomplete ({done}/{total})")
DECISION = {
    ApplicationStatus.SUBMITTED: NC_("export", "Not checked yet"),
    ApplicationStatus.QUALIFIED: NC_("export", "MS"),
    ApplicationStatus.NOT_QUALIFIED: NC_("export", "TMS"),
    ApplicationStatus.SELECTED: NC_("export", "Selected"),
    ApplicationStatus.RESERVE: NC_("export", "Reserve"),
    ApplicationStatus.NOT_SELECTED: NC_("export", "Not selected"),
    ApplicationStatus.WITHDRAWN: NC_("export", "Withdrawn"),
}
SEAT = {Seat.KETUA: NC_("export", "Ketua"), Seat.ANGGOTA: NC_("export", "Anggota")}
RESERVE = NC_("export", "Reserve {rank}")
FLAGS = {
    "age_over_preferred_max": NC_("export", "over the preferred maximum age"),
    "education_below_sma": NC_("export", "education below SMA"),
    "needs_superior_permission": NC_("export", "needs the superior's permission"),
    "former_party_member": NC_("export", "former party member"),
    "no_smartphone": NC_("export", "no smartphone"),
    "tps_to_be_assigned": NC_("export", "TPS to be assigned"),
    "birth_date_differs_from_nik": NC_("export", "date of birth differs from the NIK"),
    "domicile_differs_from_ktp": NC_("export", "lives elsewhere than the KTP-el address"),
}
# constant_memory: each row is flushed to a temporary file when the next one starts (the
# benchmark, bench/bench_export.py, compares it with xlsxwriter's default of keeping the sheet).
XLSX_OPTIONS: dict[str, Any] = {"constant_memory": True, "in_memory": False}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula


@dataclass(frozen=True)
class Layout:
    """What turns a row into cells: the officer's language, the period (documents, polling
    day, time zone) and the names of the regions met so far."""

    t: Translator
    period: Period
    names: dict[str, str]

    @property
    def documents(self) -> list[DocumentSpec]:
        return list(self.period.documents)

    def headers(self) -> list[str]:
        t = self.t
        return [
            *(t.C_(CONTEXT, h) for h in HEAD),
            *(spec.short for spec in self.documents),
            *(t.C_(CONTEXT, h) for h in TAIL),
        ]

    def cells(self, row: ExportRow) -> list[Cell]:
        t, d = self.t, row.details
        statuses, done, total = [], 0, 0
        for spec in self.documents:
            needed = rules.document_required(spec.required, party=d.party, employment=d.employment)
            status = row.documents.get(spec.kind.value)
            total += needed
            done += needed and status in DOCUMENT_COUNTS_AS_IN
            if status is not None:
                statuses.append(t.C_(CONTEXT, DOCUMENT[DocumentStatus(status)]))
            else:
                statuses.append(t.C_(CONTEXT, MISSING if needed else NOT_REQUIRED))
        if row.seat is not None:
            position = t.C_(CONTEXT, SEAT[row.seat])
        elif row.status is ApplicationStatus.RESERVE and row.reserve_rank:
            position = t.C_(CONTEXT, RESERVE, rank=row.reserve_rank)
        else:
            position = ""
        progress = (
            t.C_(CONTEXT, COMPLETE)
            if done == total
            else t.C_(CONTEXT, INCOMPLETE, done=done, total=total)
        )
        notes = "; ".join(t.C_(CONTEXT, FLAGS[f]) if f in FLAGS else f for f in row.flags)
        return [
            row.reg_number,
            d.name,
            row.nik,
            t.C_(CONTEXT, SEX[d.sex]) if d.sex in SEX else d.sex,
            d.birth_date,
            age_on(d.birth_date, self.period.polling_day),
            d.address,
            d.rt_rw,
            d.domicile_address or "",
            self.names.get(row.kelurahan_code, row.kelurahan_code),
            self.names.get(d.kecamatan_code, d.kecamatan_code),
            row.tps_number,
            d.phone,
            education_label(d.education),
            d.occupation,
            progress,
            *statuses,
            t.C_(CONTEXT, DECISION[row.status]),
            position,
            row.seat_tps_number if row.seat is not None else None,
            notes,
            row.submitted_at.astimezone(self.period.zone).date(),
        ]


class _Sink:
    def header(self, cells: Sequence[str]) -> None:
        raise NotImplementedError

    def rows(self, rows: Sequence[Sequence[Cell]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _Xlsx(_Sink):
    """xlsxwriter in constant-memory mode: rows go to a temporary file in ``workdir`` as they
    are written, and the sheet is never held whole."""

    def __init__(self, path: Path, workdir: Path, title: str) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(str(path), {**XLSX_OPTIONS, "tmpdir": str(workdir)})
        self.sheet = self.book.add_worksheet(title[:31])
        self.bold = self.book.add_format({"bold": True})
        self.day = self.book.add_format({"num_format": "dd-mm-yyyy"})
        self.next = 0

    def header(self, cells: Sequence[str]) -> None:
        for col, text in enumerate(cells):
            self.sheet.write_string(0, col, text, self.bold)
        self.sheet.freeze_panes(1, 2)
        self.next = 1

    def rows(self, rows: Sequence[Sequence[Cell]]) -> None:
        sheet, day = self.sheet, self.day
        for cells in rows:
            r = self.next
            for col, value in enumerate(cells):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, col, value)  # never a formula, whatever it starts with
                elif isinstance(value, int):
                    sheet.write_number(r, col, value)
                else:
                    sheet.write_datetime(r, col, datetime.combine(value, time()), day)
            self.next += 1

    def close(self) -> None:
        self.book.close()


class _Csv(_Sink):
    """UTF-8 with a BOM (Excel then reads it as UTF-8); dates as YYYY-MM-DD; a text that a
    spreadsheet would run as a formula starts with an apostrophe (the phone number, which is
    E.164, is left as it is)."""

    def __init__(self, path: Path, phone_column: int) -> None:
        self.handle: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.phone = phone_column

    def header(self, cells: Sequence[str]) -> None:
        self.writer.writerow(cells)

    def rows(self, rows: Sequence[Sequence[Cell]]) -> None:
        self.writer.writerows([self._text(i, v) for i, v in enumerate(r)] for r in rows)

    def _text(self, column: int, value: Cell) -> str:
        if value is None:
            return ""
        if isinstance(value, date):
            return value.isoformat()
        text = str(value)
        if isinstance(value, str) and column != self.phone and text.startswith(FORMULA_START):
            return "'" + text
        return text

    def close(self) -> None:
        self.handle.close()


def _open(fmt: Format, path: Path, workdir: Path, title: str) -> _Sink:
    if fmt is Format.XLSX:
        return _Xlsx(path, workdir, title)
    return _Csv(path, phone_column=HEAD.index("Phone no."))


async def write(
    batches: AsyncIterator[list[ExportRow]],
    path: Path,
    fmt: Format,
    layout: Layout,
    *,
    names_for: NamesFor | None = None,
    title: str = "KPPS",
) -> int:
    """Write every batch to ``path`` as they come; the number of rows written.
    ``names_for(codes)`` (async) adds the names of new region codes to ``layout.names``."""
    with tempfile.TemporaryDirectory(prefix="kpps-xlsx-") as workdir:
        return await _write(batches, path, fmt, layout, names_for, title, Path(workdir))


async def _write(
    batches: AsyncIterator[list[ExportRow]],
    path: Path,
    fmt: Format,
    layout: Layout,
    names_for: NamesFor | None,
    title: str,
    workdir: Path,
) -> int:
    sink = await asyncio.to_thread(_open, fmt, path, workdir, title)
    count = 0
    try:
        await asyncio.to_thread(sink.header, layout.headers())
        async for batch in batches:
            if names_for is not None:
                codes = {r.kelurahan_code for r in batch} | {
                    r.details.kecamatan_code for r in batch
                }
                missing = sorted(codes - layout.names.keys())
                if missing:  # a code without a name is shown as it is, and not asked again
                    found = await names_for(missing)
                    layout.names.update({code: found.get(code, code) for code in missing})
            await asyncio.to_thread(_write_batch, sink, layout, batch)
            count += len(batch)
    finally:
        await asyncio.to_thread(sink.close)
    return count


def _write_batch(sink: _Sink, layout: Layout, batch: list[ExportRow]) -> None:
    sink.rows([layout.cells(row) for row in batch])


def file_name(area: str, fmt: Format, period: Period) -> str:
    return f"kpps-{period.code}-{area.replace('.', '')}.{fmt.value}"


async def export(
    repos: Repos,
    period: Period,
    t: Translator,
    area: str,
    fmt: Format,
    path: Path,
    *,
    full_nik: bool = False,
) -> int:
    """The applicants of ``area`` (already checked to be the caller's) written to ``path``;
    how many."""
    layout = Layout(t, period, {})
    batches = repos.reports.export_rows(period.code, area, full_nik=full_nik)
    return await write(
        batches, path, fmt, layout, names_for=repos.wilayah.names, title=area.replace(".", "")
    )


async def export_bytes(
    repos: Repos,
    period: Period,
    t: Translator,
    area: str,
    fmt: Format,
    *,
    full_nik: bool = False,
) -> tuple[bytes, int]:
    """The export as bytes (to send in a chat), through a private temporary directory that
    is removed afterwards: the file holds personal data."""
    with tempfile.TemporaryDirectory(prefix="kpps-export-") as workdir:
        path = Path(workdir) / file_name(area, fmt, period)
        count = await export(repos, period, t, area, fmt, path, full_nik=full_nik)
        data = await asyncio.to_thread(path.read_bytes)
    return data, count
