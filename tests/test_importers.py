"""Wilayah and TPS CSV importers: validation reports every bad row, writes are all or nothing."""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.importers import (
    MAX_ERRORS,
    ImportFailed,
    RowError,
    import_tps,
    import_wilayah,
)
from storage.migrate import upgrade
from storage.models import Base, Region, Tps

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "bot" / "demo"
DEMO_WILAYAH = DEMO / "wilayah-kendari.csv"
DEMO_TPS = DEMO / "tps-kendari-demo.csv"
NATIONAL = ROOT.parent / "shared" / "data" / "wilayah-kemendagri-2025.csv"
EDITION = "kemendagri-2025"
PUUWATU = "74.71.09"
NAMBO = "74.71.11"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database (``database_url`` from conftest: a fresh SQLite file, or
    KPPS_TEST_DATABASE_URL with every table dropped)."""
    database = Database(database_url)
    try:
        await upgrade(database)
        yield database
    finally:
        await database.dispose()


def write(path: Path, *lines: str, bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


async def count(db: Database, model: type[Base], *where: object) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def tps_rows(db: Database) -> dict[tuple[str, int], tuple[int, str, bool]]:
    async with db.transaction() as session:
        result = await session.execute(
            select(Tps.kelurahan_code, Tps.number, Tps.id, Tps.address, Tps.is_demo)
        )
        return {(k, n): (i, a, d) for k, n, i, a, d in result}


def lines_of(exc: pytest.ExceptionInfo[ImportFailed]) -> list[int]:
    return [error.line for error in exc.value.errors]


# --------------------------------------------------------------------------- demo data


async def test_demo_wilayah_import(db: Database) -> None:
    result = await import_wilayah(db, DEMO_WILAYAH, edition=EDITION)

    assert result.rows == 78
    assert result.by_level == {1: 1, 2: 1, 3: 11, 4: 65}
    assert result.inserted == 78
    assert await count(db, Region, Region.edition == EDITION) == 78
    async with db.transaction() as session:
        tobimeita = await session.get(Region, (EDITION, "74.71.11.1001"))
        kendari = await session.get(Region, (EDITION, "74.71"))
    assert tobimeita is not None and kendari is not None
    assert (tobimeita.name, tobimeita.level, tobimeita.parent_code) == ("Tobimeita", 4, NAMBO)
    assert (kendari.name, kendari.level, kendari.parent_code) == ("Kota Kendari", 2, "74")


async def test_demo_tps_import(db: Database) -> None:
    await import_wilayah(db, DEMO_WILAYAH, edition=EDITION)
    seen: list[tuple[int, int]] = []

    result = await import_tps(
        db, DEMO_TPS, edition=EDITION, progress=lambda d, t: seen.append((d, t))
    )

    assert (result.rows, result.inserted, result.updated) == (525, 525, 0)
    assert seen[-1] == (525, 525)
    rows = await tps_rows(db)
    assert len(rows) == 525
    per_kelurahan: dict[str, int] = {}
    for kelurahan, _number in rows:
        per_kelurahan[kelurahan] = per_kelurahan.get(kelurahan, 0) + 1
    assert len(per_kelurahan) == 65
    assert sum(n for k, n in per_kelurahan.items() if k.startswith(PUUWATU + ".")) == 67
    assert sum(n for k, n in per_kelurahan.items() if k.startswith(NAMBO + ".")) == 17
    # 17 TPS cannot give each of Nambo's 6 kelurahan 3; everywhere else the minimum is 3.
    assert all(n >= 3 for k, n in per_kelurahan.items() if not k.startswith(NAMBO + "."))
    assert all(n >= 2 for n in per_kelurahan.values())
    for kelurahan, n in per_kelurahan.items():  # numbered 1..n in every kelurahan
        assert {num for k, num in rows if k == kelurahan} == set(range(1, n + 1))
    assert all(addr.startswith("DEMO — ") and is_demo for _, addr, is_demo in rows.values())


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_demo_data", ROOT / "scripts/make_demo_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not NATIONAL.exists(), reason="national wilayah file not available")
def test_demo_files_are_what_the_generator_makes(tmp_path: Path) -> None:
    generator = _load_generator()
    assert generator.main([str(NATIONAL), "--out-dir", str(DEMO), "--check"]) == 0
    generator.main([str(NATIONAL), "--out-dir", str(tmp_path)])
    for name in ("wilayah-kendari.csv", "tps-kendari-demo.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes()


# --------------------------------------------------------------------------- TPS


async def test_bad_tps_rows_are_all_reported_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    await import_wilayah(db, DEMO_WILAYAH, edition=EDITION)
    path = write(
        tmp_path / "tps.csv",
        "kelurahan_kode,nomor,alamat",  # line 1
        "74.71.01.1005,1,Jl. Satu",  # 2 ok
        "74.71.01.9999,1,Jl. Tidak Ada",  # 3 unknown kelurahan
        "74.71.01.1005,abc,Jl. Dua",  # 4 nomor not a number
        "74.71.01.1005,1,Jl. Satu Lagi",  # 5 duplicate of line 2
        "74.71.01.1006,0,Jl. Nol",  # 6 nomor 0
        "74.71.01.1006,1000,Jl. Seribu",  # 7 nomor too big
        "74.71.01,2,Kecamatan",  # 8 not a kelurahan code
        "74.71.01.1006,3," + "x" * 201,  # 9 address too long
        "74.71.01.1006,4,Jl. Empat",  # 10 ok
        "74.71.01.1006,5,Jl. Lima,extra",  # 11 too many columns
        "74.71.02.9999,-1,Jl. Dua Salah",  # 12 two errors: nomor and unknown kelurahan
    )

    with pytest.raises(ImportFailed) as exc:
        await import_tps(db, path, edition=EDITION)

    assert lines_of(exc) == [3, 4, 5, 6, 7, 8, 9, 11, 12, 12]
    assert exc.value.total == 10
    messages = [e.format() for e in exc.value.errors]
    assert messages[0] == (
        "line 3: kelurahan/desa 74.71.01.9999 does not exist in edition kemendagri-2025"
    )
    assert messages[1] == "line 4: TPS number abc is not a whole number"
    assert messages[2] == (
        "line 5: TPS 1 of kelurahan/desa 74.71.01.1005 already appears on line 2"
    )
    assert messages[3] == "line 6: TPS number 0 is outside 1 to 999"
    assert await count(db, Tps) == 0


async def test_tps_kelurahan_must_be_in_the_same_edition(db: Database, tmp_path: Path) -> None:
    await import_wilayah(db, DEMO_WILAYAH, edition="kemendagri-2023")
    path = write(tmp_path / "tps.csv", "kelurahan_kode,nomor,alamat", "74.71.01.1005,1,Jl. Satu")

    with pytest.raises(ImportFailed) as exc:
        await import_tps(db, path, edition=EDITION)

    assert lines_of(exc) == [2]
    assert await count(db, Tps) == 0


async def test_tps_reimport_updates_without_duplicating(db: Database, tmp_path: Path) -> None:
    await import_wilayah(db, DEMO_WILAYAH, edition=EDITION)
    await import_tps(db, DEMO_TPS, edition=EDITION)
    before = await tps_rows(db)

    with DEMO_TPS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        if row[0] == "74.71.09.1001":
            row[2] = f"DEMO — Jl. Baru No. {row[1]}"
    rows.append(["74.71.11.1003", "99", "DEMO — Jl. Tambahan", "1"])
    path = tmp_path / "tps.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)

    result = await import_tps(db, path, edition=EDITION)

    after = await tps_rows(db)
    puuwatu_1 = sum(1 for k, _ in before if k == "74.71.09.1001")
    assert (result.rows, result.inserted, result.updated) == (526, 1, puuwatu_1)
    assert len(after) == 526
    for key, (tps_id, address, _demo) in after.items():
        if key[0] == "74.71.09.1001":
            assert address == f"DEMO — Jl. Baru No. {key[1]}"
            assert tps_id == before[key][0]  # updated in place, same id
        elif key != ("74.71.11.1003", 99):
            assert (tps_id, address) == before[key][:2]


async def test_tps_demo_flag_column_and_override(db: Database, tmp_path: Path) -> None:
    await import_wilayah(db, DEMO_WILAYAH, edition=EDITION)
    path = write(
        tmp_path / "tps.csv",
        "nomor,kelurahan_kode,alamat,demo",  # any column order
        "1,74.71.01.1005,Jl. Satu,TRUE",
        "2,74.71.01.1005,Jl. Dua,0",
        "3,74.71.01.1005,Jl. Tiga,",
        "4,74.71.01.1005,Jl. Empat",
    )
    await import_tps(db, path, edition=EDITION)
    assert [v[2] for _, v in sorted((await tps_rows(db)).items())] == [True, False, False, False]

    result = await import_tps(db, path, edition=EDITION, demo=True)
    assert result.updated == 3
    assert all(v[2] for v in (await tps_rows(db)).values())

    bad = write(tmp_path / "bad.csv", "kelurahan_kode,nomor,alamat,demo", "74.71.01.1005,5,x,ya")
    with pytest.raises(ImportFailed) as exc:
        await import_tps(db, bad, edition=EDITION)
    assert exc.value.errors[0].format() == "line 2: demo value ya is not one of 1, 0, true, false"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("kelurahan_kode,nomor", ["line 1: the header lacks the column alamat"]),
        (
            "kelurahan_kode,nomor,alamat,rt",
            ["line 1: unknown column rt"],
        ),
        (
            "kelurahan_kode,nomor,alamat,nomor",
            ["line 1: the column nomor appears more than once"],
        ),
    ],
)
async def test_tps_bad_header(
    db: Database, tmp_path: Path, header: str, expected: list[str]
) -> None:
    path = write(tmp_path / "tps.csv", header, "74.71.01.1005,1,Jl. Satu")
    with pytest.raises(ImportFailed) as exc:
        await import_tps(db, path, edition=EDITION)
    assert [e.format() for e in exc.value.errors] == expected


# --------------------------------------------------------------------------- wilayah


async def test_bad_wilayah_rows_are_all_reported_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "wilayah.csv",
        "kode,nama",  # line 1
        "74,Sulawesi Tenggara",  # 2 ok
        "74.71,Kota Kendari",  # 3 ok
        "74.7,Salah",  # 4 bad code
        "74.72.01,Yatim",  # 5 orphan: 74.72 is neither in the file nor in the database
        "74.71,Kota Kendari Lagi",  # 6 duplicate of line 3
        "74.71.01,",  # 7 empty name
        "74.71.02," + "n" * 121,  # 8 name too long
        "74.71.03.100,Kode Pendek",  # 9 bad code
        "74.71.01.1005,Mandonga",  # 10 ok (parent on line 7 is reported there)
        "74.71.03,Baruga,Extra",  # 11 too many columns
        "\u0667\u0664.71,Angka Arab",  # 12 digits must be ASCII
        "75.01,",  # 13 two errors: empty name and orphan
    )

    with pytest.raises(ImportFailed) as exc:
        await import_wilayah(db, path, edition=EDITION)

    assert lines_of(exc) == [4, 5, 6, 7, 8, 9, 11, 12, 13, 13]
    by_line = {e.line: e.format() for e in exc.value.errors}
    assert by_line[4] == "line 4: code 74.7 is not a valid Kemendagri code"
    assert by_line[5] == (
        "line 5: the parent 74.72 of code 74.72.01 is neither in the file "
        "nor in edition kemendagri-2025"
    )
    assert by_line[6] == "line 6: code 74.71 already appears on line 3"
    assert by_line[7] == "line 7: the name of code 74.71.01 is empty"
    assert by_line[11] == "line 11: expected 2 columns, found 3"
    assert await count(db, Region) == 0


async def test_wilayah_parent_may_already_be_in_the_edition(db: Database, tmp_path: Path) -> None:
    await import_wilayah(db, DEMO_WILAYAH, edition=EDITION)
    path = write(tmp_path / "w.csv", "kode,nama", "74.71.12,Kecamatan Baru")

    with pytest.raises(ImportFailed):  # 74.71 is in another edition only
        await import_wilayah(db, path, edition="kemendagri-2026")
    result = await import_wilayah(db, path, edition=EDITION)

    assert result.by_level == {3: 1}
    assert await count(db, Region, Region.edition == EDITION) == 79
    assert await count(db, Region, Region.edition == "kemendagri-2026") == 0


async def test_wilayah_reimport_renames_in_place(db: Database, tmp_path: Path) -> None:
    await import_wilayah(db, DEMO_WILAYAH, edition=EDITION)
    renamed = DEMO_WILAYAH.read_text(encoding="utf-8").replace(
        "74.71.11.1001,Tobimeita", "74.71.11.1001,Tobimeita Baru"
    )
    path = tmp_path / "w.csv"
    path.write_text(renamed.replace("\n", "\r\n"), encoding="utf-8-sig")  # BOM + CRLF

    result = await import_wilayah(db, path, edition=EDITION)

    assert (result.rows, result.inserted, result.updated) == (78, 0, 1)
    assert await count(db, Region) == 78
    async with db.transaction() as session:
        row = await session.get(Region, (EDITION, "74.71.11.1001"))
    assert row is not None and row.name == "Tobimeita Baru"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "line 1: the file is empty; expected the header kode,nama"),
        (
            b"code,name\n74,Sulawesi Tenggara\n",
            "line 1: expected the header kode,nama, found code,name",
        ),
        (b"kode,nama\n74,Sulawesi\n74.71,Kendar\xe9\n", "line 3: the file is not valid UTF-8 text"),
        (
            b'kode,nama\n74,"Sulawesi\nTenggara"\n74.71,"Kota" Kendari\n',
            "line 4: the CSV is malformed (',' expected after '\"')",
        ),
    ],
)
async def test_wilayah_unreadable_file(
    db: Database, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "w.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailed) as exc:
        await import_wilayah(db, path, edition=EDITION)
    assert [e.format() for e in exc.value.errors] == [expected]


async def test_error_list_is_capped_but_counted(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "kode,nama", *(f"x{i},Nama" for i in range(MAX_ERRORS + 5)))
    with pytest.raises(ImportFailed) as exc:
        await import_wilayah(db, path, edition=EDITION)
    assert len(exc.value.errors) == MAX_ERRORS
    assert exc.value.total == MAX_ERRORS + 5
    assert exc.value.errors[0].line == 2


def test_row_error_translates_then_formats() -> None:
    error = RowError(7, "line {line}: code {code} is not a valid Kemendagri code", {"code": "7"})
    catalogue = {error.msgid: "baris {line}: kode {code} bukan kode Kemendagri yang sah"}
    assert error.format(catalogue.__getitem__) == "baris 7: kode 7 bukan kode Kemendagri yang sah"
    assert error.format(lambda s: "baris {baris}") == error.format()  # broken translation
    assert str(error) == "line 7: code 7 is not a valid Kemendagri code"


# --------------------------------------------------------------------------- national file


@pytest.mark.slow
@pytest.mark.skipif(not NATIONAL.exists(), reason="national wilayah file not available")
async def test_national_wilayah_import(db: Database) -> None:
    seen: list[tuple[int, int]] = []

    result = await import_wilayah(
        db, NATIONAL, edition=EDITION, progress=lambda d, t: seen.append((d, t))
    )

    assert result.by_level == {1: 38, 2: 514, 3: 7285, 4: 83762}
    assert result.rows == 91599
    assert seen[-1] == (91599, 91599)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert await count(db, Region, Region.edition == EDITION, Region.level == 4) == 83762
