"""How fast a PPS with many applicants works: /pendaftar (counts per filter), a list, one card,
a decision, and a selection proposal, for one kelurahan with N applicants.

    PYTHONPATH=. .venv/bin/python bench/bench_officers.py [--applicants 600] [--db URL]

Applicants are stored as the registration stores them (encrypted details, a few documents
each) spread over the kelurahan's TPS; each officer action is one message through the console
adapter, timed (median of 5 runs).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.settings import get_settings  # noqa: E402
from storage.crypto import generate_key  # noqa: E402
from storage.domain import Role  # noqa: E402
from tests.conftest import reset_database  # noqa: E402
from tests.officers_helpers import KORUMBA, add_applicant, officer, repos  # noqa: E402


async def timed(chat: object, text: str, runs: int = 5, before: str | None = None) -> float:
    """Median milliseconds of ``text`` (each run after ``before``, untimed)."""
    times = []
    for _ in range(runs):
        if before:
            await chat.say(before)  # type: ignore[attr-defined]
        start = time.perf_counter()
        await chat.say(text)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def run(applicants: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        if url:
            await reset_database(url)
        settings = get_settings(
            data_dir=Path(tmp), database_url=database_url, encryption_key=generate_key()
        )
        app = await build_app(settings)
        for n in range(1, applicants + 1):
            await add_applicant(app, f"Pendaftar {n}", serial=n, tps=1 + n % 11)
        async with app.db.transaction() as session:
            r = repos(app, session)
            for n in range(1, applicants + 1, 2):  # half of them sent two documents
                for kind in ("ktp", "pas_foto"):
                    await r.documents.put(
                        application_id=n,
                        kind=kind,
                        file_key=f"{n}{kind}",
                        encrypted=True,
                        mime="image/jpeg",
                        size=1000,
                        width=800,
                        height=600,
                        pages=None,
                        channel_file_id=None,
                    )
        pps = await officer(app, "pps-bench", Role.PPS, KORUMBA)
        figures = {
            "/pendaftar (counts)": await timed(pps, "/pendaftar"),
            "list 'docs incomplete'": await timed(pps, "2", before="/pendaftar"),
            "card (typed number)": await timed(pps, "KPPS-7471-900300"),
            "/seleksi (TPS list)": await timed(pps, "/seleksi"),
            "proposal of one TPS": await timed(pps, "1", before="/seleksi"),
        }
        await app.close()
    backend = database_url.split(":", 1)[0]
    print(f"{backend}: one kelurahan with {applicants} applicants, median ms per message:")
    for name, ms in figures.items():
        print(f"  {name:28} {ms:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=600)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    asyncio.run(run(args.applicants, args.db))


if __name__ == "__main__":
    main()
