"""Time the applicant export and measure its peak memory.

    PYTHONPATH=. .venv/bin/python bench/bench_export.py [--rows 100000] [--db URL]

Fills a fresh temporary SQLite database (or, with ``--db``, that PostgreSQL database, which is
reset first) with ``--rows`` made-up applications in Kota Kendari, each with its seven
documents, then exports the whole kab/kota once per variant, each in a fresh child process so
the figures do not mix:

* ``xlsx-in-memory``: xlsxwriter's default, the whole sheet held until the file is closed
  (what constant_memory avoids: the "before");
* ``xlsx``: constant_memory, as the bot does (the "after");
* ``csv``.

Before the exports, the recruitment summary (rekap) of the kab/kota and of one kelurahan is
timed.

For each: wall time, the rise of the process's peak RSS during the export
(``resource.getrusage`` maxrss, after the app is built), the peak of Python allocations
(``tracemalloc``, in a second run, since tracing slows Python down), and the file size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select

from bot.app import build_app
from bot.settings import get_settings
from handlers.reports import export
from storage.crypto import generate_key
from storage.domain import ApplicantDetails, ApplicationStatus, DocumentStatus
from storage.models import Application, Document, Tps
from storage.repositories import Repos
from tests.reports_support import ALWAYS as KINDS

ROOT = Path(__file__).resolve().parent.parent
STATUSES = list(ApplicationStatus)
CHUNK = 5000


def settings_for(directory: str, url: str | None, key: str) -> object:
    database_url = url or f"sqlite+aiosqlite:///{directory}/bench.sqlite3"
    return get_settings(data_dir=Path(directory), database_url=database_url, encryption_key=key)


async def fill(directory: str, url: str | None, key: str, rows: int) -> float:
    if url:
        from tests.conftest import reset_database

        await reset_database(url)
    app = await build_app(settings_for(directory, url, key))  # type: ignore[arg-type]
    start = time.perf_counter()
    try:
        async with app.db.transaction() as session:
            stations = (await session.execute(select(Tps.id, Tps.kelurahan_code))).all()
        for first in range(0, rows, CHUNK):
            applications, documents = [], []
            for n in range(first, min(first + CHUNK, rows)):
                tps_id, kelurahan = stations[n % len(stations)]
                birth = date(1960 + n % 45, 1 + n % 12, 1 + n % 28)
                nik = f"747101{birth:%d%m%y}{n % 9999 + 1:04d}"
                details = ApplicantDetails(
                    name=f"Warga Contoh {n}",
                    birth_date=birth,
                    sex="M" if n % 2 else "F",
                    phone=f"+62812{n:08d}",
                    address=f"Jl. Contoh No. {n % 300}",
                    rt_rw="003/002",
                    kecamatan_code=kelurahan[:8],
                    education="sma",
                    occupation="wiraswasta",
                    employment="none",
                    prior_service=0,
                    smartphone=True,
                    party="never",
                    statements={},
                )
                applications.append(
                    {
                        "id": n + 1,
                        "period_code": app.period.code,
                        "reg_number": f"KPPS-7471-{n + 1:06d}",
                        "nik_hash": app.crypto.lookup_hash(f"{nik}:{n}"),
                        "nik_enc": app.crypto.encrypt(nik.encode()),
                        "data_enc": app.crypto.encrypt_json(details.to_json()),
                        "kelurahan_code": kelurahan,
                        "tps_id": tps_id,
                        "status": STATUSES[n % len(STATUSES)].value,
                        "flags_enc": app.crypto.encrypt_json([]),
                        "channel": "console",
                        "consent_version": app.period.consent_version,
                    }
                )
                documents += [
                    {
                        "application_id": n + 1,
                        "kind": kind,
                        "file_key": f"{n:032d}{i:032d}",
                        "encrypted": True,
                        "mime": "application/pdf",
                        "size": 1000,
                        "status": DocumentStatus.ACCEPTED.value,
                    }
                    for i, kind in enumerate(KINDS)
                ]
            async with app.db.transaction() as session:
                await session.execute(insert(Application), applications)
                await session.execute(insert(Document), documents)
    finally:
        await app.close()
    return time.perf_counter() - start


async def child(directory: str, url: str | None, key: str, variant: str, trace: bool) -> dict:
    if variant == "xlsx-in-memory":
        export.XLSX_OPTIONS.clear()
    app = await build_app(settings_for(directory, url, key))  # type: ignore[arg-type]
    fmt = export.Format.CSV if variant == "csv" else export.Format.XLSX
    out = Path(directory) / f"out-{variant}.{fmt.value}"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        async with app.db.transaction() as session:
            repos = Repos(session, app.crypto, app.settings.wilayah_edition)
            t = app.i18n.get("id")
            count = await export.export(repos, app.period, t, "74.71", fmt, out)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
    finally:
        tracemalloc.stop()
        await app.close()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": count,
        "seconds": seconds,
        "rss_rise_mb": (after - before) / 1024,
        "rss_peak_mb": after / 1024,
        "traced_peak_mb": peak / 2**20,
        "file_mb": out.stat().st_size / 2**20,
    }


async def time_rekap(directory: str, url: str | None, key: str) -> list[str]:
    """The summary of the whole kab/kota and of its biggest kelurahan (grouped in SQL)."""
    from handlers.reports import rekap

    app = await build_app(settings_for(directory, url, key))  # type: ignore[arg-type]
    lines = []
    try:
        for code in ("74.71", "74.71.01.1006"):
            async with app.db.transaction() as session:
                repos = Repos(session, app.crypto, app.settings.wilayah_edition)
                region = await repos.wilayah.region(code)
                assert region is not None
                start = time.perf_counter()
                summary = await rekap.summary(repos, app.period, region)
                seconds = time.perf_counter() - start
                lines.append(f"  rekap {code:15} {len(summary.rows)} rows in {seconds:.2f} s")
    finally:
        await app.close()
    return lines


def run_child(directory: str, url: str | None, key: str, variant: str, trace: bool) -> dict:
    args = [sys.executable, __file__, "--child", variant, "--dir", directory, "--key", key]
    args += ["--db", url] if url else []
    args += ["--trace"] if trace else []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    parser.add_argument("--variants", default="xlsx-in-memory,xlsx,csv")
    parser.add_argument("--child", default=None)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--key", default=None)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(child(args.dir, args.db, args.key, args.child, args.trace))
        print(json.dumps(result))
        return
    key = generate_key()
    with tempfile.TemporaryDirectory() as directory:
        filled = asyncio.run(fill(directory, args.db, key, args.rows))
        backend = (args.db or "sqlite").split(":", 1)[0]
        documents = args.rows * len(KINDS)
        print(f"{backend}: {args.rows} applications (+{documents} documents) in {filled:.1f} s")
        print("\n".join(asyncio.run(time_rekap(directory, args.db, key))))
        for variant in args.variants.split(","):
            timed = run_child(directory, args.db, key, variant, trace=False)
            traced = run_child(directory, args.db, key, variant, trace=True)
            rate = timed["rows"] / timed["seconds"]
            print(
                f"  {variant:15} {timed['rows']} rows in {timed['seconds']:.1f} s "
                f"({rate:.0f} rows/s); "
                f"peak RSS {timed['rss_peak_mb']:.0f} MB (+{timed['rss_rise_mb']:.0f} MB in the "
                f"export); traced peak {traced['traced_peak_mb']:.1f} MB; "
                f"file {timed['file_mb']:.1f} MB"
            )


if __name__ == "__main__":
    main()
