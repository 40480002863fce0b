"""Throughput and latency of the conversation engine for whole registrations.

    PYTHONPATH=. .venv/bin/python bench/bench_engine.py [--chats 100] [--concurrency 20] [--db URL]

Each simulated applicant goes through the full registration (about 30 messages: consent, 23
answers, the summary, submit) through the console adapter, so every message is one database
transaction with idempotent intake, state load/save and encryption. Runs on a fresh temporary
SQLite file, or on the given database (PostgreSQL: its tables are dropped and re-created).
Prints messages per second and per-message latency percentiles.
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
from tests.conftest import reset_database  # noqa: E402
from tests.dialog import ConsoleChat, Person, fill_registration  # noqa: E402


class TimedChat(ConsoleChat):
    latencies: list[float]

    async def say(self, text: str) -> str:
        start = time.perf_counter()
        out = await super().say(text)
        self.latencies.append(time.perf_counter() - start)
        return out


async def run(chats: int, concurrency: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        if url:
            await reset_database(url)
        settings = get_settings(
            data_dir=Path(tmp), database_url=database_url, encryption_key=generate_key()
        )
        app = await build_app(settings)
        latencies: list[float] = []
        semaphore = asyncio.Semaphore(concurrency)

        async def applicant(number: int) -> None:
            async with semaphore:
                chat = TimedChat(app, f"bench-{number}")
                chat.latencies = latencies
                out = await fill_registration(chat, Person(serial=number + 1))
                assert "KPPS-7471-" in out, out

        start = time.perf_counter()
        await asyncio.gather(*(applicant(n) for n in range(chats)))
        elapsed = time.perf_counter() - start
        await app.close()
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100)
    backend = database_url.split(":", 1)[0]
    print(
        f"{backend}: {chats} registrations, {len(latencies)} messages in {elapsed:.1f} s "
        f"= {len(latencies) / elapsed:.0f} msg/s, {chats / elapsed:.1f} registrations/s; "
        f"latency p50 {quantiles[49] * 1000:.1f} ms, p95 {quantiles[94] * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms (concurrency {concurrency})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    asyncio.run(run(args.chats, args.concurrency, args.db))


if __name__ == "__main__":
    main()
