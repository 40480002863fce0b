"""Import Kemendagri region codes (wilayah) and polling stations (TPS) from CSV files.

Both importers work in two phases:

1. **Validate everything.** Every row of the file is checked, and every problem is collected as
   a :class:`RowError` (line number + English msgid + named parameters). Checks that need the
   database (parent codes, kelurahan codes) run inside the write transaction, so they see the
   same data the write will.
2. **Write everything, or nothing.** If there was any error, :class:`ImportFailed` is raised
   with all of them and the transaction is rolled back. Otherwise all rows are written in one
   transaction.

The CLI translates the errors: ``error.format(translate=i18n._)``. Msgids are marked with
``N_`` so the gettext extractor finds them.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Region, Tps

__all__ = [
    "MAX_ERRORS",
    "N_",
    "ImportFailed",
    "ImportResult",
    "Progress",
    "RowError",
    "import_tps",
    "import_wilayah",
]


def N_(msgid: str) -> str:
    """Mark a msgid for extraction without translating it here."""
    return msgid


Progress = Callable[[int, int], None]
T = TypeVar("T")

REGIONS = cast(Table, Region.__table__)
TPS = cast(Table, Tps.__table__)

MAX_ERRORS = 1000
"""At most this many errors are kept in :class:`ImportFailed` (``total`` counts them all)."""

CHUNK_SIZE = 2000
"""Rows per executemany batch; ``progress`` is called after each batch."""

LOOKUP_CHUNK = 900
"""Codes per ``IN (...)`` look-up."""

NAME_MAX = 120
ADDRESS_MAX = 200
EDITION_MAX = 32
TPS_NUMBER_MAX = 999

CODE_RE = re.compile(r"[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?)?")
KELURAHAN_RE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}")
NUMBER_RE = re.compile(r"[0-9]+")  # ASCII digits only (\d also matches other scripts)
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

WILAYAH_HEADER = ("kode", "nama")
TPS_REQUIRED = ("kelurahan_kode", "nomor", "alamat")
TPS_OPTIONAL = ("demo",)
DEMO_VALUES = {"1": True, "true": True, "0": False, "false": False}

# Messages. {line} is always available; the other placeholders are listed in ``params``.
MSG_NOT_UTF8 = N_("line {line}: the file is not valid UTF-8 text")
MSG_MALFORMED = N_("line {line}: the CSV is malformed ({detail})")
MSG_EMPTY_FILE = N_("line {line}: the file is empty; expected the header {expected}")
MSG_BAD_HEADER = N_("line {line}: expected the header {expected}, found {found}")
MSG_MISSING_COLUMN = N_("line {line}: the header lacks the column {column}")
MSG_UNKNOWN_COLUMN = N_("line {line}: unknown column {column}")
MSG_REPEATED_COLUMN = N_("line {line}: the column {column} appears more than once")
MSG_COLUMN_COUNT = N_("line {line}: expected {expected} columns, found {found}")
MSG_BAD_CODE = N_("line {line}: code {code} is not a valid Kemendagri code")
MSG_EMPTY_NAME = N_("line {line}: the name of code {code} is empty")
MSG_NAME_TOO_LONG = N_("line {line}: the name of code {code} is longer than {max} characters")
MSG_NAME_CONTROL = N_("line {line}: the name of code {code} contains control characters")
MSG_DUPLICATE_CODE = N_("line {line}: code {code} already appears on line {first_line}")
MSG_ORPHAN = N_(
    "line {line}: the parent {parent} of code {code} is neither in the file "
    "nor in edition {edition}"
)
MSG_BAD_KELURAHAN_CODE = N_("line {line}: {code} is not a kelurahan/desa code (like 74.71.01.1005)")
MSG_UNKNOWN_KELURAHAN = N_("line {line}: kelurahan/desa {code} does not exist in edition {edition}")
MSG_NUMBER_NOT_INT = N_("line {line}: TPS number {value} is not a whole number")
MSG_NUMBER_RANGE = N_("line {line}: TPS number {number} is outside 1 to {max}")
MSG_DUPLICATE_TPS = N_(
    "line {line}: TPS {number} of kelurahan/desa {code} already appears on line {first_line}"
)
MSG_ADDRESS_TOO_LONG = N_("line {line}: the address is longer than {max} characters")
MSG_ADDRESS_CONTROL = N_("line {line}: the address contains control characters")
MSG_BAD_DEMO = N_("line {line}: demo value {value} is not one of 1, 0, true, false")


@dataclass(frozen=True)
class RowError:
    """One problem in an import file, as an untranslated msgid with named parameters."""

    line: int
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def format(self, translate: Callable[[str], str] = lambda s: s) -> str:
        """Translate the msgid, then fill in the placeholders.

        Falls back to the English msgid if a translation has broken placeholders.
        """
        try:
            return translate(self.msgid).format(line=self.line, **self.params)
        except (KeyError, IndexError, ValueError):
            return self.msgid.format(line=self.line, **self.params)

    def __str__(self) -> str:
        return self.format()


class ImportFailed(Exception):
    """The file has errors; nothing was written.

    ``errors`` holds the first :data:`MAX_ERRORS` errors in line order; ``total`` counts all.
    """

    def __init__(self, errors: Sequence[RowError], total: int | None = None) -> None:
        self.errors: list[RowError] = list(errors)
        self.total: int = len(self.errors) if total is None else total
        first = self.errors[0].format() if self.errors else "no details"
        super().__init__(f"import failed with {self.total} error(s); first: {first}")

    @classmethod
    def from_all(cls, errors: Iterable[RowError]) -> ImportFailed:
        ordered = sorted(errors, key=lambda e: e.line)
        return cls(ordered[:MAX_ERRORS], total=len(ordered))


@dataclass
class ImportResult:
    """What an import wrote.

    ``rows`` is the number of data rows in the file (all of them were applied).
    ``by_level`` counts wilayah rows per level (1 provinsi, 2 kab/kota, 3 kecamatan,
    4 kelurahan/desa); it is empty for a TPS import. ``inserted``/``updated`` count the rows
    that were new or changed; the rest were already identical.
    """

    rows: int
    by_level: dict[int, int]
    inserted: int = 0
    updated: int = 0


# --------------------------------------------------------------------------- CSV reading


@dataclass
class _Csv:
    header: list[str]
    header_line: int
    records: list[tuple[int, list[str]]]  # (first line of the record, stripped cells)


def _read_csv(path: Path, errors: list[RowError]) -> _Csv | None:
    """Decode and split a CSV file. Problems that make the rest unreadable go to ``errors``."""
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(RowError(data.count(b"\n", 0, exc.start) + 1, MSG_NOT_UTF8))
        return None

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 1
    records: list[tuple[int, list[str]]] = []
    previous = 0
    try:
        for raw in reader:
            line = previous + 1
            previous = reader.line_num
            cells = [cell.strip() for cell in raw]
            while cells and not cells[-1]:  # tolerate trailing empty columns
                cells.pop()
            if not cells:
                continue  # blank line
            if header is None:
                header, header_line = [cell.lower() for cell in cells], line
            else:
                records.append((line, cells))
    except csv.Error as exc:
        errors.append(RowError(previous + 1, MSG_MALFORMED, {"detail": str(exc)}))
        return None
    if header is None:
        return None
    return _Csv(header, header_line, records)


def _check_edition(edition: str) -> None:
    if not edition or len(edition) > EDITION_MAX or edition != edition.strip():
        raise ValueError(f"edition must be 1 to {EDITION_MAX} characters without outer spaces")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _existing(
    session: AsyncSession, column: Any, where: Sequence[Any], values: Sequence[str]
) -> set[str]:
    """Which of ``values`` exist in ``column`` (chunked ``IN`` look-ups)."""
    found: set[str] = set()
    for chunk in _chunks(values, LOOKUP_CHUNK):
        result = await session.execute(select(column).where(*where, column.in_(chunk)))
        found.update(result.scalars())
    return found


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


# --------------------------------------------------------------------------- wilayah


@dataclass
class _Region:
    line: int
    code: str
    name: str
    level: int
    parent: str | None


def _parse_wilayah(path: Path) -> tuple[list[_Region], dict[str, int], list[RowError]]:
    """All file-only checks of a wilayah CSV.

    Returns the valid rows, every well-formed code in the file with its line (also codes on
    rows with another error, so their parents are checked and their children are not reported
    as orphans) and the errors.
    """
    errors: list[RowError] = []
    parsed = _read_csv(path, errors)
    expected = ",".join(WILAYAH_HEADER)
    if parsed is None:
        if not errors:
            errors.append(RowError(1, MSG_EMPTY_FILE, {"expected": expected}))
        return [], {}, errors
    if tuple(parsed.header) != WILAYAH_HEADER:
        found = ",".join(parsed.header)
        errors.append(
            RowError(parsed.header_line, MSG_BAD_HEADER, {"expected": expected, "found": found})
        )
        return [], {}, errors

    rows: list[_Region] = []
    first_seen: dict[str, int] = {}
    width = len(WILAYAH_HEADER)
    for line, cells in parsed.records:
        code, name = (cells + [""] * width)[:width]  # trailing empty cells were dropped
        if not CODE_RE.fullmatch(code):
            errors.append(RowError(line, MSG_BAD_CODE, {"code": code}))
            continue
        if code in first_seen:
            errors.append(
                RowError(line, MSG_DUPLICATE_CODE, {"code": code, "first_line": first_seen[code]})
            )
            continue
        # Known from here on, so its children are not also reported as orphans.
        first_seen[code] = line
        if len(cells) > width:
            errors.append(
                RowError(line, MSG_COLUMN_COUNT, {"expected": width, "found": len(cells)})
            )
        elif not name:
            errors.append(RowError(line, MSG_EMPTY_NAME, {"code": code}))
        elif len(name) > NAME_MAX:
            errors.append(RowError(line, MSG_NAME_TOO_LONG, {"code": code, "max": NAME_MAX}))
        elif CONTROL_RE.search(name):
            errors.append(RowError(line, MSG_NAME_CONTROL, {"code": code}))
        else:
            parent = code.rpartition(".")[0] or None
            rows.append(_Region(line, code, name, code.count(".") + 1, parent))
    return rows, first_seen, errors


async def import_wilayah(
    db: Database,
    path: Path,
    *,
    edition: str,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a Kemendagri ``kode,nama`` CSV as region codes of ``edition``.

    Every row is validated first (code format, name, duplicates, parent in the file or already
    in the database for the edition); on any error :class:`ImportFailed` lists them all and
    nothing is written. Otherwise all rows are upserted in one transaction: codes already in
    the edition get the new name, other codes of the edition are left alone.
    ``progress(done, total)`` is called after each batch of rows.
    """
    _check_edition(edition)
    rows, codes, errors = await asyncio.to_thread(_parse_wilayah, Path(path))
    table = REGIONS

    async with db.transaction() as session:
        # A parent that is not in the file must already be in the edition.
        parents = {code: code.rpartition(".")[0] for code in codes if "." in code}
        outside = sorted({parent for parent in parents.values() if parent not in codes})
        if outside:
            known = await _existing(session, Region.code, [Region.edition == edition], outside)
            errors += [
                RowError(
                    codes[code], MSG_ORPHAN, {"parent": parent, "code": code, "edition": edition}
                )
                for code, parent in parents.items()
                if parent not in codes and parent not in known
            ]
        if errors:
            raise ImportFailed.from_all(errors)

        result = await session.execute(
            select(Region.code, Region.name).where(Region.edition == edition)
        )
        existing: dict[str, str] = {code: name for code, name in result}
        connection = await session.connection()
        rename = (
            update(table)
            .where(table.c.edition == bindparam("b_edition"), table.c.code == bindparam("b_code"))
            .values(name=bindparam("b_name"))
        )
        total = len(rows)
        inserted = updated = done = 0
        _report(progress, 0, total)
        for chunk in _chunks(rows, CHUNK_SIZE):
            new = [
                {
                    "edition": edition,
                    "code": r.code,
                    "name": r.name,
                    "level": r.level,
                    "parent_code": r.parent,
                }
                for r in chunk
                if r.code not in existing
            ]
            changed = [
                {"b_edition": edition, "b_code": r.code, "b_name": r.name}
                for r in chunk
                if r.code in existing and existing[r.code] != r.name
            ]
            if new:
                await connection.execute(insert(table), new)
            if changed:
                await connection.execute(rename, changed)
            inserted += len(new)
            updated += len(changed)
            done += len(chunk)
            _report(progress, done, total)

    by_level = dict(sorted(Counter(r.level for r in rows).items()))
    return ImportResult(rows=len(rows), by_level=by_level, inserted=inserted, updated=updated)


# --------------------------------------------------------------------------- TPS


@dataclass
class _TpsRow:
    line: int
    kelurahan: str
    number: int
    address: str
    demo: bool | None  # None: the file says nothing


def _parse_tps(path: Path) -> tuple[list[_TpsRow], list[tuple[int, str]], list[RowError]]:
    """All file-only checks of a TPS CSV.

    Returns the valid rows, (line, kelurahan code) of every row with a well-formed code (also
    rows with another error, so an unknown kelurahan is reported there too) and the errors.
    """
    errors: list[RowError] = []
    parsed = _read_csv(path, errors)
    expected = ",".join(TPS_REQUIRED)
    if parsed is None:
        if not errors:
            errors.append(RowError(1, MSG_EMPTY_FILE, {"expected": expected}))
        return [], [], errors

    header, hline = parsed.header, parsed.header_line
    for column, count in Counter(header).items():
        if count > 1:
            errors.append(RowError(hline, MSG_REPEATED_COLUMN, {"column": column}))
    for column in header:
        if column not in TPS_REQUIRED and column not in TPS_OPTIONAL:
            errors.append(RowError(hline, MSG_UNKNOWN_COLUMN, {"column": column or '""'}))
    for column in TPS_REQUIRED:
        if column not in header:
            errors.append(RowError(hline, MSG_MISSING_COLUMN, {"column": column}))
    if errors:
        return [], [], errors
    index = {column: i for i, column in enumerate(header)}
    demo_index = index.get("demo")

    rows: list[_TpsRow] = []
    references: list[tuple[int, str]] = []
    first_seen: dict[tuple[str, int], int] = {}
    for line, cells in parsed.records:
        if len(cells) > len(header):
            errors.append(
                RowError(line, MSG_COLUMN_COUNT, {"expected": len(header), "found": len(cells)})
            )
            continue
        cells = cells + [""] * (len(header) - len(cells))  # trailing empty cells were dropped
        code = cells[index["kelurahan_kode"]]
        raw_number = cells[index["nomor"]]
        address = cells[index["alamat"]]
        ok = True
        if KELURAHAN_RE.fullmatch(code):
            references.append((line, code))
        else:
            errors.append(RowError(line, MSG_BAD_KELURAHAN_CODE, {"code": code}))
            ok = False
        number = 0
        if not NUMBER_RE.fullmatch(raw_number):
            errors.append(RowError(line, MSG_NUMBER_NOT_INT, {"value": raw_number}))
            ok = False
        else:
            number = int(raw_number)
            if not 1 <= number <= TPS_NUMBER_MAX:
                errors.append(
                    RowError(line, MSG_NUMBER_RANGE, {"number": number, "max": TPS_NUMBER_MAX})
                )
                ok = False
        if len(address) > ADDRESS_MAX:
            errors.append(RowError(line, MSG_ADDRESS_TOO_LONG, {"max": ADDRESS_MAX}))
            ok = False
        elif CONTROL_RE.search(address):
            errors.append(RowError(line, MSG_ADDRESS_CONTROL))
            ok = False
        demo: bool | None = None
        if demo_index is not None and cells[demo_index]:
            demo = DEMO_VALUES.get(cells[demo_index].lower())
            if demo is None:
                errors.append(RowError(line, MSG_BAD_DEMO, {"value": cells[demo_index]}))
                ok = False
        if ok:
            key = (code, number)
            if key in first_seen:
                errors.append(
                    RowError(
                        line,
                        MSG_DUPLICATE_TPS,
                        {"number": number, "code": code, "first_line": first_seen[key]},
                    )
                )
                continue
            first_seen[key] = line
            rows.append(_TpsRow(line, code, number, address, demo))
    return rows, references, errors


async def import_tps(
    db: Database,
    path: Path,
    *,
    edition: str,
    progress: Progress | None = None,
    demo: bool | None = None,
) -> ImportResult:
    """Import polling stations from a ``kelurahan_kode,nomor,alamat[,demo]`` CSV.

    Every row is validated first (the kelurahan/desa must be a level-4 region of ``edition`` in
    the database, ``nomor`` a whole number 1-999 unique per kelurahan in the file, ``alamat`` at
    most 200 characters, ``demo`` one of 1/0/true/false); on any error :class:`ImportFailed`
    lists them all and nothing is written. Otherwise, in one transaction, existing
    (kelurahan, nomor) stations get the new address and demo flag and new ones are inserted;
    stations not in the file are left alone (applications may refer to them).

    ``demo``: ``None`` takes the flag from the ``demo`` column (empty or absent means real
    data); ``True``/``False`` sets it for every row and ignores the column.
    """
    _check_edition(edition)
    rows, references, errors = await asyncio.to_thread(_parse_tps, Path(path))
    table = TPS

    async with db.transaction() as session:
        codes = sorted({code for _, code in references})
        known = await _existing(
            session, Region.code, [Region.edition == edition, Region.level == 4], codes
        )
        errors += [
            RowError(line, MSG_UNKNOWN_KELURAHAN, {"code": code, "edition": edition})
            for line, code in references
            if code not in known
        ]
        if errors:
            raise ImportFailed.from_all(errors)

        existing: dict[tuple[str, int], tuple[int, str, bool]] = {}
        for code_chunk in _chunks(codes, LOOKUP_CHUNK):
            result = await session.execute(
                select(Tps.id, Tps.kelurahan_code, Tps.number, Tps.address, Tps.is_demo).where(
                    Tps.edition == edition, Tps.kelurahan_code.in_(code_chunk)
                )
            )
            for tps_id, code, number, address, is_demo in result:
                existing[(code, number)] = (tps_id, address, bool(is_demo))

        connection = await session.connection()
        update_stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(address=bindparam("b_address"), is_demo=bindparam("b_is_demo"))
        )
        total = len(rows)
        inserted = updated = done = 0
        _report(progress, 0, total)
        for chunk in _chunks(rows, CHUNK_SIZE):
            new: list[dict[str, Any]] = []
            changed: list[dict[str, Any]] = []
            for r in chunk:
                is_demo = demo if demo is not None else bool(r.demo)
                current = existing.get((r.kelurahan, r.number))
                if current is None:
                    new.append(
                        {
                            "edition": edition,
                            "kelurahan_code": r.kelurahan,
                            "number": r.number,
                            "address": r.address,
                            "is_demo": is_demo,
                        }
                    )
                elif current[1:] != (r.address, is_demo):
                    changed.append(
                        {"b_id": current[0], "b_address": r.address, "b_is_demo": is_demo}
                    )
            if new:
                await connection.execute(insert(table), new)
            if changed:
                await connection.execute(update_stmt, changed)
            inserted += len(new)
            updated += len(changed)
            done += len(chunk)
            _report(progress, done, total)

    return ImportResult(rows=len(rows), by_level={}, inserted=inserted, updated=updated)
