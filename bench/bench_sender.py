"""Outbox sender throughput against the local fake Bot API enforcing Telegram's flood limits.

    PYTHONPATH=. .venv/bin/python bench/bench_sender.py [--recipients 3675] [--db URL]
        [--replies 100] [--kill-at 0.5]

The fake enforces 30 messages per second per bot and 1 per second per chat (a sliding window;
429 with ``retry_after`` beyond it). ``--recipients`` people (Kota Kendari: 3,675 KPPS) get
one broadcast message each from the outbox, sent by the production ``Sender`` with the shared
``FloodGate`` at the configured rate. Reported: total time, the achieved rate as a fraction of
the 30/s limit, and the 429s provoked.

``--replies N``: during the broadcast, N users each send /start (one every 50 ms); the bot's
direct replies go through the same gate first. Reported: their p50/p95 latency from the update
being queued to the fake accepting the reply.

``--burst USERS`` (no broadcast): USERS users each send two messages, all of them at 100
messages a second, as in issue 11 (300 users: 600 messages); reported: replies delivered, 429s
provoked and the time until the last reply — with the flood gate (the bot as it runs) and,
with ``--no-gate``, without it (the retry middleware alone, as before the gate).

``--kill-at F``: the sender runs as its own process (``kpps-bot sender``, on the same database
and key, against the fake's port) and is killed with SIGKILL when a fraction F of the messages
was accepted (its claimed rows stay "sending", the bot's lease stays held); a new
``kpps-bot sender`` starts at once and takes over when the leases expire. Reported:
duplicates (a chat that got the message twice) and losses (a chat that never got it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.channels.flood import FloodGate
from bot.channels.telegram import RetryMiddleware, TelegramChannel, build_bot
from bot.sender import Sender, SenderConfig
from bot.settings import Settings
from storage.domain import OutgoingMessage
from storage.models import utcnow
from storage.repositories import Repos
from tests.fakes.telegram_api import FakeTelegramAPI, FloodLimits

LIMIT = 30.0
FIRST_CHAT = 10_000_000


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        if args.db:
            from tests.conftest import reset_database

            await reset_database(args.db)
        settings = Settings(data_dir=Path(tmp) / "data", database_url=url, load_demo_data=False)
        app = await build_app(settings)
        try:
            if args.burst:
                await run_burst(app, args)
            elif args.kill_at:
                await run_killed(app, args)
            else:
                await run(app, args)
        finally:
            await app.close()


async def run_burst(app: object, args: argparse.Namespace) -> None:
    """Direct replies only: ``--burst`` users × 2 messages at 100 a second."""
    settings = app.settings  # type: ignore[attr-defined]
    users = [FIRST_CHAT + k for k in range(args.burst)]
    async with FakeTelegramAPI(
        "123456:BENCH", flood_limits=FloodLimits(per_bot=int(LIMIT), per_chat=1)
    ) as fake:
        gate = (
            None
            if args.no_gate
            else FloodGate(settings.telegram_rate, settings.telegram_chat_interval)
        )
        bot = build_bot(fake.token, fake.base_url, retry=RetryMiddleware(gate=gate), gate=gate)
        channel = TelegramChannel(app.engine, bot)  # type: ignore[attr-defined]
        polling = asyncio.create_task(channel.run(handle_signals=False))
        await fake.wait_for_call("getUpdates", timeout=10)
        started = time.monotonic()
        for text in ("/start", "/bantuan"):
            for user in users:
                fake.user_sends(user, text, user_id=user)
                await asyncio.sleep(0.01)
        await fake.wait_idle(timeout=args.timeout, quiet=2.0)
        await channel.stop()
        await polling
        sends = [c for c in fake.accepted_sends() if c.params.get("chat_id") in set(users)]
        last = max((c.at for c in sends), default=started)
        print(
            f"burst: {len(users)} users x 2 messages at 100/s, "
            f"{'no gate' if gate is None else 'flood gate'}, database {app.db.dialect}"  # type: ignore[attr-defined]
        )
        print(
            f"  replies delivered {len(sends)}/{2 * len(users)}, unsent "
            f"{2 * len(users) - len(sends)}, 429 provoked {fake.flood_rejections}, "
            f"last reply after {last - started:.1f} s"
        )


def spawn_sender(app: object, fake: FakeTelegramAPI) -> subprocess.Popen[bytes]:
    settings = app.settings  # type: ignore[attr-defined]
    env = {
        **os.environ,
        "KPPS_DATA_DIR": str(settings.data_dir),
        "KPPS_DATABASE_URL": settings.database_url,
        "KPPS_LOAD_DEMO_DATA": "false",
        "KPPS_TELEGRAM_TOKEN": fake.token,
        "KPPS_TELEGRAM_API_BASE": fake.base_url,
        "KPPS_LOG_LEVEL": "WARNING",
    }
    cli = Path(sys.executable).parent / "kpps-bot"
    return subprocess.Popen([str(cli), "sender"], env=env, stdout=subprocess.DEVNULL)


async def run_killed(app: object, args: argparse.Namespace) -> None:
    """The sender as a process, SIGKILLed at ``--kill-at``, and its successor."""
    await queue(app, args.recipients)
    chats = {FIRST_CHAT + k for k in range(args.recipients)}
    async with FakeTelegramAPI(
        "123456:BENCH", flood_limits=FloodLimits(per_bot=int(LIMIT), per_chat=1)
    ) as fake:
        started = time.monotonic()
        process = spawn_sender(app, fake)
        killed_at = None
        successor = None
        while True:
            got = {c.params["chat_id"] for c in fake.accepted_sends()} & chats
            if len(got) >= len(chats) or time.monotonic() - started > args.timeout:
                break
            if killed_at is None and len(got) >= args.kill_at * len(chats):
                process.send_signal(signal.SIGKILL)
                process.wait()
                killed_at = time.monotonic() - started
                successor = spawn_sender(app, fake)
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        await asyncio.sleep(2)  # anything still on the wire
        for proc in (process, successor):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=30)
        per_chat = Counter(
            c.params["chat_id"] for c in fake.accepted_sends() if c.params["chat_id"] in chats
        )
        print(f"sender process: {args.recipients} recipients, database {app.db.dialect}")  # type: ignore[attr-defined]
        print(
            f"  SIGKILL at {args.kill_at:.0%} ({killed_at or 0:.1f} s), all sent after "
            f"{elapsed:.1f} s (the successor waits for the bot's and the rows' leases)"
        )
        print(
            f"  duplicates {sum(n - 1 for n in per_chat.values())}, "
            f"losses {len(chats - set(per_chat))}, 429 provoked {fake.flood_rejections}"
        )


async def queue(app: object, recipients: int) -> None:
    async with app.db.transaction() as session:  # type: ignore[attr-defined]
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)  # type: ignore[attr-defined]
        now = utcnow()
        for k in range(recipients):
            actor = await repos.people.ensure(
                await repos.people.resolve("telegram", str(FIRST_CHAT + k))
            )
            assert actor.person_id is not None
            await repos.outbox.enqueue(
                person_id=actor.person_id,
                channel="telegram",
                kind="broadcast",
                message=OutgoingMessage("Thank you. Let's begin."),
                key=f"bench:{k}",
                now=now,
                priority=9,
            )


def sender_for(app: object, fake: FakeTelegramAPI, gate: FloodGate, owner: str) -> Sender:
    bot = build_bot(fake.token, fake.base_url, retry=RetryMiddleware(gate=gate), gate=gate)
    channel = TelegramChannel(app.engine, bot)  # type: ignore[attr-defined]
    return Sender(
        app.db,  # type: ignore[attr-defined]
        app.crypto,  # type: ignore[attr-defined]
        app.settings.wilayah_edition,  # type: ignore[attr-defined]
        app.i18n,  # type: ignore[attr-defined]
        channel,
        gate,
        SenderConfig(
            channel="telegram",
            lease_name="telegram:bench",
            lease=timedelta(seconds=5),
            bot_lease=timedelta(seconds=3),
            idle_poll=0.05,
        ),
        owner=owner,
    )


async def run(app: object, args: argparse.Namespace) -> None:
    await queue(app, args.recipients)
    chats = {FIRST_CHAT + k for k in range(args.recipients)}
    settings = app.settings  # type: ignore[attr-defined]
    async with FakeTelegramAPI(
        "123456:BENCH", flood_limits=FloodLimits(per_bot=int(LIMIT), per_chat=1)
    ) as fake:
        gate = FloodGate(settings.telegram_rate, settings.telegram_chat_interval)
        sender = sender_for(app, fake, gate, "first")
        replies_bot = None
        started = time.monotonic()
        task = asyncio.create_task(sender.run())
        polling = None
        if args.replies:
            replies_bot = TelegramChannel(
                app.engine,  # type: ignore[attr-defined]
                build_bot(fake.token, fake.base_url, retry=RetryMiddleware(gate=gate), gate=gate),
            )
            polling = asyncio.create_task(replies_bot.run(handle_signals=False))
        pushed: dict[int, float] = {}
        reply_k = 0
        while True:
            accepted = [c for c in fake.accepted_sends() if c.params.get("chat_id") in chats]
            if (
                len(accepted) >= args.recipients
                and len({c.params["chat_id"] for c in accepted}) >= args.recipients
            ):
                break
            if replies_bot is not None and reply_k < args.replies and len(accepted) > 100:
                chat = 900_000 + reply_k
                fake.user_sends(chat, "/start", user_id=chat)
                pushed[chat] = time.monotonic()
                reply_k += 1
            if time.monotonic() - started > args.timeout:
                print("timed out")
                break
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        sender.stop()
        await task
        if replies_bot is not None and polling is not None:
            await fake.wait_idle(timeout=30)
            await replies_bot.dispatcher.stop_polling()
            await polling
        await sender.channel.bot.session.close()  # type: ignore[attr-defined]
        bulk = [c for c in fake.accepted_sends() if c.params.get("chat_id") in chats]
        per_chat = Counter(c.params["chat_id"] for c in bulk)
        first, last = min(c.at for c in bulk), max(c.at for c in bulk)
        rate = (len(bulk) - 1) / (last - first) if last > first else float("nan")
        print(f"sender: {args.recipients} recipients, database {app.db.dialect}")  # type: ignore[attr-defined]
        print(f"  total {elapsed:.1f} s; rate {rate:.2f}/s = {rate / LIMIT:.3f} of the limit")
        print(f"  429 provoked: {fake.flood_rejections}")
        duplicates = sum(n - 1 for n in per_chat.values())
        print(f"  duplicates {duplicates}, losses {len(chats - set(per_chat))}")
        if pushed:
            latencies = []
            for chat, at in pushed.items():
                sends = fake.accepted_sends(chat)
                if sends:
                    latencies.append((sends[0].at - at) * 1000)
            latencies.sort()
            p95 = latencies[int(0.95 * (len(latencies) - 1))]
            print(
                f"  {len(latencies)}/{len(pushed)} direct replies during the broadcast: "
                f"p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=3675)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite)")
    parser.add_argument("--replies", type=int, default=0)
    parser.add_argument("--kill-at", type=float, default=0.0)
    parser.add_argument("--burst", type=int, default=0)
    parser.add_argument("--no-gate", action="store_true")
    parser.add_argument("--timeout", type=float, default=900)
    asyncio.run(main(parser.parse_args()))
