"""Engine guarantees: duplicates applied once, concurrent messages serialised, errors contained."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from bot.app import App
from handlers.engine import Engine
from handlers.messages import Incoming, Kind
from storage.models import Conversation
from storage.repositories import Conversations, Repos
from tests.dialog import ConsoleChat, Person


def second_worker(app: App) -> Engine:
    """Another engine on the same database: what a second process would be."""
    return Engine(app.db, app.crypto, app.i18n, app.period, edition=app.settings.wilayah_edition)


async def answers_of(app: App, chat_id: str) -> tuple[str | None, dict[str, object], int]:
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        _, state = await repos.conversations.open("console", chat_id)
    return state.step, state.data.get("registration", {}).get("answers", {}), state.version


async def test_the_same_update_is_applied_once(app: App) -> None:
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(app.i18n.get("id").C_("button", "I agree"))
    message = Incoming("console", chat.chat_id, Kind.TEXT, update_id="42", text=Person().nik)
    first = await app.engine.handle(message)
    again = await second_worker(app).handle(message)
    assert first is not None and again is None
    step, answers, _ = await answers_of(app, chat.chat_id)
    assert step == "birth_confirm" and answers == {"nik": Person().nik}


@pytest.mark.parametrize("rounds", [8])
async def test_concurrent_messages_from_one_chat_are_serialised(app: App, rounds: int) -> None:
    """Two workers answer for one chat at the same time; the result is a serial order."""
    person = Person()
    other = second_worker(app)
    for round_ in range(rounds):
        chat_id = f"race-{round_}"
        chat = ConsoleChat(app, chat_id)
        await chat.say("/daftar")
        await chat.press(app.i18n.get("id").C_("button", "I agree"))
        nik = Incoming("console", chat_id, Kind.TEXT, update_id=f"{round_}-a", text=person.nik)
        yes = Incoming("console", chat_id, Kind.TEXT, update_id=f"{round_}-b", text="ya")
        engines = (app.engine, other) if round_ % 2 else (other, app.engine)
        replies = await asyncio.gather(engines[0].handle(nik), engines[1].handle(yes))
        assert all(reply is not None and reply.text for reply in replies)
        step, answers, version = await answers_of(app, chat_id)
        serial_outcomes = [
            ("name", {"nik": person.nik, "birth_confirm": "yes"}),  # NIK first, then confirmed
            ("birth_confirm", {"nik": person.nik}),  # "ya" first: refused as a NIK, then the NIK
        ]
        assert (step, answers) in serial_outcomes
        assert version == 2 + (1 if step == "name" else 0) + 1


async def test_first_messages_of_a_new_chat_from_two_workers(app: App) -> None:
    other = second_worker(app)
    start = Incoming("console", "fresh", Kind.COMMAND, update_id="s1", command="daftar")
    bahasa = Incoming("console", "fresh", Kind.BUTTON, update_id="s2", button_id="home:lang:en")
    replies = await asyncio.gather(app.engine.handle(start), other.handle(bahasa))
    assert all(reply is not None for reply in replies)
    async with app.db.transaction() as session:
        rows = (await session.execute(select(Conversation))).scalars().all()
    assert len(rows) == 1 and rows[0].locale == "en" and rows[0].flow == "registration"


async def test_an_unexpected_error_gives_a_polite_reply_with_an_id(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database exploded with NIK 7471011708900001")

    monkeypatch.setattr(Conversations, "open", broken)
    with caplog.at_level(logging.ERROR):
        reply = await app.engine.handle(Incoming("console", "x", Kind.COMMAND, command="status"))
    assert reply is not None
    assert "exploded" not in reply.text and "Traceback" not in reply.text
    error_ids = [r.getMessage().split()[1] for r in caplog.records if "error" in r.getMessage()]
    assert error_ids and error_ids[0] in reply.text


async def test_a_slow_download_does_not_hold_up_other_chats(app: App, tmp_path: object) -> None:
    """Attachments are downloaded before the transaction: while one applicant's file is still
    downloading, another chat is answered (on SQLite a held transaction would block it)."""
    from handlers.messages import Attachment

    chat = ConsoleChat(app, "uploader")
    from tests.dialog import fill_registration

    await fill_registration(chat, Person())
    await chat.press("KTP")
    release = asyncio.Event()

    async def slow_fetch() -> bytes:
        await release.wait()
        return b"%PDF-1.4 not really"

    upload = asyncio.create_task(
        app.engine.handle(
            Incoming(
                "console",
                "uploader",
                Kind.DOCUMENT,
                attachments=(Attachment(fetch=slow_fetch, name="ktp.pdf", size=20),),
            )
        )
    )
    await asyncio.sleep(0.05)
    other = await asyncio.wait_for(
        app.engine.handle(Incoming("console", "someone-else", Kind.COMMAND, command="start")),
        timeout=5,
    )
    assert other is not None and not upload.done()
    release.set()
    reply = await asyncio.wait_for(upload, timeout=5)
    assert reply is not None and reply.text
