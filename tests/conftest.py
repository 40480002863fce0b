"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
KPPS_TEST_DATABASE_URL is set), the app wired as in production, and no network."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import App, build_app
from bot.settings import get_settings
from handlers.i18n import Translator
from storage.crypto import generate_key
from storage.db import Database, is_sqlite

TEST_DATABASE_URL = os.environ.get("KPPS_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection to a non-loopback address fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("127."):
                raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


async def reset_database(url: str) -> None:
    """Drop every table (and Alembic's version table) so migrations start from zero."""
    if is_sqlite(url):
        return
    db = Database(url)
    async with db.engine.begin() as conn:  # also tables of older schema versions
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await db.dispose()


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        await reset_database(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'kpps.sqlite3'}"


@pytest.fixture
def settings_factory(tmp_path: Path, database_url: str) -> Any:
    key = generate_key()

    def make(**overrides: Any) -> Any:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "encryption_key": key,
            "telegram_token": None,
        }
        values.update(overrides)
        return get_settings(**values)

    return make


@pytest.fixture
def t(app: App) -> Translator:
    """The Indonesian translator: what the applicant reads."""
    return app.i18n.get("id")


@pytest.fixture
async def app(settings_factory: Any) -> AsyncIterator[App]:
    application = await build_app(settings_factory())
    yield application
    await application.close()


def polling_day(app: App) -> date:
    return app.period.polling_day


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def whatsapp_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every reply the engine gives in a test is replayed through the WhatsApp layout (every
    page of a long list); a body breaking a WhatsApp Cloud API limit fails the test."""
    from dataclasses import replace

    from bot.channels import whatsapp_layout as wa
    from bot.channels.common import parse_page_id
    from handlers.engine import Engine
    from handlers.messages import Incoming, Reply

    replies: list[Reply] = []
    original = Engine.handle

    async def recording(self: Engine, incoming: Incoming) -> Reply | None:
        reply = await original(self, incoming)
        if reply is not None:  # a snapshot: a caller may change the reply afterwards
            replies.append(replace(reply, options=list(reply.options), files=list(reply.files)))
        return reply

    monkeypatch.setattr(Engine, "handle", recording)
    yield
    problems: list[str] = []
    for reply in replies:
        count = len(wa.pages(len(reply.options)))
        shown: list[str] = []
        for page in range(1, count + 1):
            bodies = wa.layout(replace(reply, page=page))
            found = wa.violations(bodies)
            rows = [
                row["id"]
                for body in bodies
                if body["type"] == "interactive" and body["interactive"]["type"] == "list"
                for section in body["interactive"]["action"]["sections"]
                for row in section["rows"]
            ]
            shown += [row for row in rows if parse_page_id(row) is None]
            label = f"page {page}/{count} of " if count > 1 else ""
            problems += [f"{label}reply {reply.text[:60]!r}: {problem}" for problem in found]
        if count > 1 and shown != [o.id for o in reply.options]:
            problems.append(f"reply {reply.text[:60]!r}: the pages do not show every option once")
    if problems:
        pytest.fail("WhatsApp limits broken:\n" + "\n".join(problems), pytrace=False)
