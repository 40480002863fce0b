"""The work done per incoming message stays small: SQL statements and question renders are
counted at every step of a whole registration and bounded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

import handlers.flows.registration.flow as registration_flow
import handlers.flows.registration.screens as registration_screens
from bot.app import App
from handlers.i18n import Translator
from tests.dialog import ConsoleChat, Person

# A message reads the chat (person, identity and conversation in one query) and writes it
# back; the few steps that look something up (NIK uniqueness and region, kecamatan,
# kelurahan, TPS, the summary) add at most three statements.
MOST_STATEMENTS = 6
NIK_STEP_STATEMENTS = MOST_STATEMENTS + 4  # the try is counted (hour and day, see limits.py)
STATEMENTS_OF_A_PLAIN_ANSWER = 3  # BEGIN (SQLite) or the lock, the read, the update


@pytest.fixture
def statements(app: App) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]).split()[0])

    for engine in app.db.engines:
        event.listen(engine, "before_cursor_execute", record)
    yield seen
    for engine in app.db.engines:
        event.remove(engine, "before_cursor_execute", record)


async def test_sql_statements_and_renders_per_message(
    app: App, t: Translator, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = []
    original = registration_screens.prompt

    async def counted(ctx: Any) -> Any:
        renders.append(ctx.conv.step)
        return await original(ctx)

    for module in (registration_flow, registration_screens):
        monkeypatch.setattr(module, "prompt", counted)
    person = Person()
    chat = ConsoleChat(app)
    await chat.say("/start")
    answers = [
        "/daftar",
        "ya",
        person.nik,
        "ya",
        person.name,
        person.birth_place,
        person.phone,
        person.address,
        person.rt_rw,
        "ya",
        person.kecamatan,
        person.kelurahan,
        person.tps,
        person.education,
        person.occupation,
        "1",
        "1",
        "ya",
        *["ya", "ya", "1", "ya", "ya", "ya", "ya", "ya", "ya"],
    ]
    counts = []
    for said in answers:
        statements.clear()
        renders.clear()
        await chat.say(said)
        counts.append(len(statements))
        bound = NIK_STEP_STATEMENTS if said == person.nik else MOST_STATEMENTS
        assert len(statements) <= bound, (said, statements)
        assert len(renders) == 1, (said, renders)  # the next question, rendered once
    assert t._("Please check your answers:") in chat.last
    plain = sum(1 for count in counts if count <= STATEMENTS_OF_A_PLAIN_ANSWER)
    assert plain >= len(answers) - 8, counts
