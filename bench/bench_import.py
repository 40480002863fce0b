"""Time the wilayah and TPS importers.

    PYTHONPATH=. .venv/bin/python bench/bench_import.py [--db URL] [--national CSV] [--repeat N]

Always runs on a fresh temporary SQLite file; with ``--db`` also on that database. The schema is
migrated to head there, and the rows are written under a throw-away edition
(``bench-<random>``) that is deleted again afterwards, so existing data is not touched.

Steps timed for each database:

* the national wilayah file, first import (all inserts);
* the same file again (upsert path: every code exists, nothing changes);
* the Kota Kendari demo TPS file (525 rows) into the same edition.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import delete

from storage.db import Database
from storage.importers import ImportResult, import_tps, import_wilayah
from storage.migrate import upgrade
from storage.models import Region, Tps

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT.parent / "shared" / "data" / "wilayah-kemendagri-2025.csv"
DEMO_TPS = ROOT / "bot" / "demo" / "tps-kendari-demo.csv"


async def timed(step: Callable[[], Awaitable[ImportResult]]) -> tuple[float, ImportResult]:
    start = time.perf_counter()
    result = await step()
    return time.perf_counter() - start, result


def report(label: str, seconds: float, result: ImportResult) -> None:
    rate = result.rows / seconds if seconds else float("inf")
    print(
        f"  {label:<28} {result.rows:>7} rows  {seconds:7.3f} s  {rate:>10,.0f} rows/s"
        f"  (inserted {result.inserted}, updated {result.updated})"
    )


async def bench(url: str, national: Path, label: str) -> None:
    db = Database(url)
    edition = f"bench-{secrets.token_hex(4)}"
    try:
        await upgrade(db)
        print(f"{label} ({db.dialect}), edition {edition}")
        seconds, result = await timed(lambda: import_wilayah(db, national, edition=edition))
        report("wilayah, national (new)", seconds, result)
        seconds, result = await timed(lambda: import_wilayah(db, national, edition=edition))
        report("wilayah, national (again)", seconds, result)
        seconds, result = await timed(lambda: import_tps(db, DEMO_TPS, edition=edition))
        report("tps, Kendari demo", seconds, result)
    finally:
        async with db.transaction() as session:
            await session.execute(delete(Tps).where(Tps.edition == edition))
            await session.execute(delete(Region).where(Region.edition == edition))
        await db.dispose()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="also benchmark on this database URL")
    parser.add_argument("--national", type=Path, default=NATIONAL)
    parser.add_argument("--repeat", type=int, default=1, help="runs on fresh SQLite files")
    args = parser.parse_args(argv)
    if not args.national.exists():
        print(f"national file not found: {args.national}", file=sys.stderr)
        return 2

    for run in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            await bench(url, args.national, f"temporary SQLite, run {run}")
    if args.db:
        await bench(args.db, args.national, "given database")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
