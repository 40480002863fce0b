"""End-to-end Telegram throughput: the real bot adapter against the local fake Bot API server.

    PYTHONPATH=. .venv/bin/python bench/bench_telegram.py [--users 2000] [--concurrency N]
        [--db URL] [--timeout 900]

Each simulated user types the first 10 steps of the registration as text messages (/daftar,
"ya" for consent, NIK, "ya" for the date of birth and sex read from it, name, place of birth,
phone, address, RT/RW, "ya" for living there), so the last reply must be the kecamatan question
(question 9). The bot is the production wiring:
``build_app`` (migrated database with demo data), ``build_bot`` with the retry middleware and
``TelegramChannel`` long-polling ``FakeTelegramAPI`` on 127.0.0.1. Then a bare aiogram echo bot
(one message handler, ``await message.answer(message.text)``) gets the same N×10 messages from a
fresh fake, as the baseline of what aiogram + the fake cost by themselves.

Load: every user runs at once (at most ``--concurrency`` users, default all of them); a user
types its next message as soon as the reply to the previous one reached the fake, so up to
``concurrency`` updates wait in the getUpdates queue or are being handled at any moment, which
keeps the bot saturated. Latency is from the update being enqueued to the fake receiving the
bot's sendMessage (``Call.at``); the rate is updates / (last reply - first message). Checked at
the end: exactly one reply per message in every chat, the expected question in every reply,
and no Bot API contract error. The fake, the bot and the simulated users share one event loop
(one core); the echo baseline pays the same fake and client costs. The database is a fresh
temporary SQLite file, or ``--db URL`` (every table in it is DROPPED first). Only loopback
connections are allowed; each bot's run is bounded by ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiogram import Dispatcher  # noqa: E402
from aiogram.types import Message  # noqa: E402
from sqlalchemy import MetaData  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.channels.telegram import RetryMiddleware, TelegramChannel, build_bot  # noqa: E402
from bot.settings import get_settings  # noqa: E402
from storage.crypto import generate_key  # noqa: E402
from tests.factories import make_nik  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

FIRST_CHAT = 800_001
REPLY_METHODS = ("sendMessage", "editMessageText")
ALLOWED_UPDATES = ["message", "callback_query"]
Check = Callable[[int, str, str], str | None]  # (step, sent, reply) -> problem or None


def loopback_only() -> None:
    """Refuse any TCP connection to a non-loopback address (never reach real Telegram)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            if host not in ("::1", "localhost") and not host.startswith("127."):
                raise ConnectionRefusedError(f"benchmark must stay on loopback: {address!r}")
        return real_connect(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign]


def registration_steps(k: int) -> list[str]:
    """The 10 typed messages of user k; the NIK's serial (1..9999) and birth date differ."""
    birth = date(1980, 1, 1) + timedelta(days=k // 9999 * 37)
    return [
        "/daftar",
        "ya",
        make_nik(birth, female=False, serial=k % 9999 + 1),
        "ya",
        "Budi Santoso",
        "Kendari",
        "0812 3456 7890",
        "Jl. Sao-Sao No. 12",
        "003/002",
        "ya",
    ]


def check_kpps(step: int, sent: str, reply: str) -> str | None:
    """Reply to step i (i ≥ 1) shows question i; the last one asks for the kecamatan."""
    if step == 0:
        return None if "persetujuan" in reply else "no consent question"
    if f"Pertanyaan {step} dari" not in reply:
        return f"expected question {step}"
    if step == 9 and "Di kecamatan mana Anda tinggal?" not in reply:
        return "expected the kecamatan question"
    return None


def check_echo(step: int, sent: str, reply: str) -> str | None:
    return None if reply == sent else "echo differs"


@dataclass
class Result:
    name: str
    users: int
    updates: int = 0
    seconds: float = float("nan")
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else float("nan")


async def drive(
    fake: FakeTelegramAPI,
    name: str,
    users: int,
    concurrency: int,
    check: Check,
    time_limit: float,
) -> Result:
    """All users type their steps concurrently; each waits for the reply before the next."""
    loop = asyncio.get_running_loop()
    result = Result(name, users)
    waiting: dict[int, tuple[float, asyncio.Future[str]]] = {}
    unexpected: Counter[int] = Counter()
    start_index = len(fake.calls)
    first_sent = float("inf")
    last_reply = 0.0

    async def watch() -> None:  # fake.calls is append-only; a Call is complete once listed
        nonlocal last_reply
        cursor = start_index
        while True:
            calls = fake.calls
            for call in calls[cursor:]:
                if call.method not in REPLY_METHODS or call.failed:
                    continue
                chat = int(call.params.get("chat_id", 0))
                pending = waiting.pop(chat, None)
                if pending is None:
                    unexpected[chat] += 1
                    continue
                sent_at, future = pending
                result.latencies.append(call.at - sent_at)
                last_reply = max(last_reply, call.at)
                if not future.done():
                    future.set_result(str(call.params.get("text", "")))
            cursor = len(calls)
            await asyncio.sleep(0.001)

    semaphore = asyncio.Semaphore(concurrency)

    async def user(k: int) -> None:
        nonlocal first_sent
        chat = FIRST_CHAT + k
        async with semaphore:
            for step, text in enumerate(registration_steps(k)):
                future: asyncio.Future[str] = loop.create_future()
                sent_at = time.monotonic()
                first_sent = min(first_sent, sent_at)
                waiting[chat] = (sent_at, future)
                fake.user_sends(chat, text, user_id=chat)
                reply = await future
                result.updates += 1
                if problem := check(step, text, reply):
                    result.problems.append(f"chat {chat} step {step} ({text!r}): {problem}")
                    return

    watcher = asyncio.create_task(watch())
    try:
        async with asyncio.timeout(time_limit):
            await asyncio.gather(*(user(k) for k in range(users)))
        result.seconds = last_reply - first_sent
    except TimeoutError:
        result.problems.append(
            f"timed out after {time_limit:.0f} s with {result.updates} of {users * 10} replies"
        )
    try:
        await fake.wait_idle(timeout=30, quiet=0.2)
    except AssertionError as error:
        result.problems.append(str(error).splitlines()[0])
    await asyncio.sleep(0.01)
    watcher.cancel()
    replies = Counter(
        int(c.params.get("chat_id", 0))
        for c in fake.calls[start_index:]
        if c.method in REPLY_METHODS and not c.failed
    )
    wrong = {chat: n for k in range(users) if (n := replies[chat := FIRST_CHAT + k]) != 10}
    if wrong:
        sample = dict(list(wrong.items())[:5])
        result.problems.append(f"{len(wrong)} chats without exactly 10 replies, e.g. {sample}")
    if unexpected:
        result.problems.append(f"{sum(unexpected.values())} replies nobody waited for")
    result.problems.extend(f"Bot API contract error: {e}" for e in fake.errors[:5])
    return result


async def bench_kpps(users: int, concurrency: int, url: str | None, time_limit: float) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        if url:
            await drop_all_tables(url)
        settings = get_settings(
            data_dir=Path(tmp) / "data",
            database_url=database_url,
            encryption_key=generate_key(),
            telegram_token=None,
        )
        app = await build_app(settings)
        try:
            async with FakeTelegramAPI() as fake:
                bot = build_bot(fake.token, fake.base_url, retry=RetryMiddleware(base_delay=0.05))
                channel = TelegramChannel(app.engine, bot)
                task = asyncio.create_task(channel.run(handle_signals=False))
                try:
                    await fake.wait_for_call("getUpdates", timeout=10)
                    return await drive(fake, "kpps-bot", users, concurrency, check_kpps, time_limit)
                finally:
                    await channel.stop()
                    await asyncio.wait_for(task, timeout=10)
        finally:
            await app.close()


async def bench_echo(users: int, concurrency: int, time_limit: float) -> Result:
    async with FakeTelegramAPI() as fake:
        bot = build_bot(fake.token, fake.base_url, retry=RetryMiddleware(base_delay=0.05))
        dispatcher = Dispatcher()

        async def echo(message: Message) -> None:
            await message.answer(message.text or "?")

        dispatcher.message.register(echo)
        task = asyncio.create_task(
            dispatcher.start_polling(
                bot, allowed_updates=ALLOWED_UPDATES, handle_signals=False, close_bot_session=True
            )
        )
        try:
            await fake.wait_for_call("getUpdates", timeout=10)
            return await drive(fake, "echo", users, concurrency, check_echo, time_limit)
        finally:
            await dispatcher.stop_polling()
            await asyncio.wait_for(task, timeout=10)


async def drop_all_tables(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:

        def drop(sync_conn: Any) -> None:
            metadata = MetaData()
            metadata.reflect(sync_conn)
            metadata.drop_all(sync_conn)

        await conn.run_sync(drop)
    await engine.dispose()


def ms(latencies: list[float], q: int) -> str:
    if len(latencies) < 2:
        return "-"
    return f"{statistics.quantiles(latencies, n=100)[q - 1] * 1000:.0f}"


async def run(users: int, concurrency: int, url: str | None, time_limit: float) -> int:
    loopback_only()
    results = [await bench_kpps(users, concurrency, url, time_limit)]
    gc.collect()
    results.append(await bench_echo(users, concurrency, time_limit))
    backend = (url or "sqlite+aiosqlite").split(":", 1)[0]
    print(
        f"Telegram end to end: {users} users x 10 typed messages, concurrency {concurrency}, "
        f"database {backend}"
    )
    print(
        f"{'bot':<9} {'users':>6} {'updates':>8} {'seconds':>8} {'updates/s':>10} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    )
    for r in results:
        worst = f"{max(r.latencies) * 1000:.0f}" if r.latencies else "-"
        print(
            f"{r.name:<9} {r.users:>6} {r.updates:>8} {r.seconds:>8.1f} {r.rate:>10.1f} "
            f"{ms(r.latencies, 50):>7} {ms(r.latencies, 95):>7} {worst:>7}"
        )
    kpps, echo = results
    print(f"ratio kpps/echo: {kpps.rate / echo.rate:.3f} ({echo.rate / kpps.rate:.1f}x slower)")
    failed = False
    for r in results:
        for problem in r.problems:
            print(f"FAIL {r.name}: {problem}")
            failed = True
    if not failed:
        print("checks: every chat got exactly 10 replies; last reply asks for the kecamatan")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument(
        "--concurrency", type=int, default=None, help="users in flight (default: all)"
    )
    parser.add_argument("--db", default=None, help="database URL; its tables are dropped")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per bot run")
    args = parser.parse_args()
    concurrency = args.concurrency or args.users
    sys.exit(asyncio.run(run(args.users, concurrency, args.db, args.timeout)))


if __name__ == "__main__":
    main()
