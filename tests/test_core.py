"""The core every channel and role shares: the flow registry, roles, typed choices."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.channels.console import ConsoleChannel
from handlers.context import Ctx
from handlers.engine import Engine
from handlers.flows import FLOWS
from handlers.flows.base import Command, Flow, Registry
from handlers.i18n import N_, Translator
from handlers.messages import Incoming, Kind, Option, Reply
from storage.domain import OFFICERS, Role
from storage.repositories import Repos
from tests.dialog import ConsoleChat, Person, q
from tests.telegram_chat import TelegramChat, running_bot


class ProbeFlow(Flow):
    """A flow for officers only, as the officers' flows will be."""

    name = "probe"
    namespace = "probe"
    commands = (Command("periksa", N_("Help"), rank=50),)
    roles = OFFICERS

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        return Reply(text="probe list", options=[Option("probe:open", "Open")])

    async def button(self, ctx: Ctx, value: str) -> Reply:
        return Reply(text=f"probe {value}")


def officer_engine(app: App) -> Engine:
    return Engine(
        app.db,
        app.crypto,
        app.i18n,
        app.period,
        edition=app.settings.wilayah_edition,
        knowledge=app.knowledge,
        flows=[*FLOWS, ProbeFlow()],
    )


async def make_officer(app: App, chat_id: str) -> None:
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        actor = await repos.people.ensure(await repos.people.resolve("console", chat_id))
        assert actor.person_id is not None
        await repos.people.set_role(actor.person_id, Role.PPS, "74.71.01.1005")


async def test_an_applicant_cannot_reach_an_officer_flow_and_sees_no_hint(
    app: App, t: Translator
) -> None:
    engine = officer_engine(app)
    applicant = ConsoleChannel(engine, chat_id="warga")
    unknown = await applicant.send("/nosuchcommand")
    out = await applicant.send("/periksa")
    assert "probe" not in out
    assert out == unknown.replace("nosuchcommand", "periksa")  # just an unknown command
    forged = await engine.handle(Incoming("console", "warga", Kind.BUTTON, button_id="probe:open"))
    assert forged is not None and forged.notice and not forged.text
    assert forged.notice == t._("That button is no longer active. Please use the menu below.")
    help_text = await applicant.send("/bantuan")
    assert "/periksa" not in help_text
    assert "periksa" not in [name for name, _ in engine.command_menu("id")]
    assert "periksa" in [name for name, _ in engine.command_menu("id", Role.PPS)]

    await make_officer(app, "officer")
    officer = ConsoleChannel(engine, chat_id="officer")
    assert "probe list" in await officer.send("/periksa")
    assert "probe open" in await officer.send("1")  # typed number of its option
    assert "/periksa" in await officer.send("/bantuan")


def test_the_registry_refuses_a_command_or_namespace_owned_twice() -> None:
    class Twin(ProbeFlow):
        name = "twin"

    with pytest.raises(ValueError, match="probe"):
        Registry([*FLOWS, ProbeFlow(), Twin()])
    with pytest.raises(ValueError, match="home"):
        Registry(FLOWS[1:])


@pytest.mark.parametrize("typed", ["daftar", "mau daftar", "Daftar sekarang", "1", "DAFTAR!"])
async def test_typing_a_menu_choice_on_telegram_starts_registration(
    app: App, t: Translator, typed: str
) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/start")
        out = await chat.say(typed)
        assert "UU 27/2022" in out and t.C_("button", "I agree") in chat.buttons()
        out = await chat.say("iya")  # a yes word for "I agree"
        assert q(t, 1) in out
        assert fake.errors == []


async def test_a_question_at_the_menu_is_answered_not_taken_for_a_choice(
    app: App, t: Translator
) -> None:
    chat = ConsoleChat(app)
    await chat.say("/start")
    out = await chat.say("bagaimana cara daftar?")
    assert "UU 27/2022" not in out


@pytest.mark.parametrize(("word", "stored"), [("nggak", False), ("tdk", False), ("betul", True)])
async def test_yes_and_no_words_answer_a_yes_no_question(
    app: App, t: Translator, word: str, stored: bool
) -> None:
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    out = await chat.say(word)
    if stored:
        assert q(t, 1) in out
    else:
        assert "/daftar" in out and q(t, 1) not in out


async def test_typed_number_or_name_picks_from_a_long_list_on_telegram(
    app: App, t: Translator
) -> None:
    person = Person()
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        for answer in (person.nik, "ya", person.name, person.birth_place, person.phone):
            await chat.say(answer)
        await chat.say(person.address)
        await chat.say(person.rt_rw)
        await chat.say("ya")
        assert q(t, 9) in chat.last
        assert len(chat.buttons()) < 11  # 11 kecamatan: Telegram shows a page
        out = await chat.say("2")  # the second kecamatan, whatever page is shown
        assert q(t, 10) in out and "Kendari" in out
        out = await chat.say("#2")  # "#n" always picks option n
        assert q(t, 11) in out
        out = await chat.say("2")  # on the TPS question a number is the TPS number
        assert q(t, 12) in out
        assert fake.errors == []


async def test_a_page_request_for_an_old_list_is_refused(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    reply = await app.engine.handle(
        Incoming("console", chat.chat_id, Kind.PAGE, button_id="deadbeef", page=2)
    )
    assert reply is not None and reply.notice and not reply.text


async def test_an_officer_chat_gets_its_role_s_command_menu_on_telegram(app: App) -> None:
    async with running_bot(app) as (fake, channel):
        channel.engine = officer_engine(app)
        await fake.wait_for_call("setMyCommands", count=2)
        await channel.set_chat_commands(700009, Role.PPS)
        chat_menu = fake.commands_by_scope[("chat", "")]
        assert "pendaftar" in [c["command"] for c in chat_menu]
        assert "pendaftar" not in [c["command"] for c in fake.commands]  # the default menu
        assert fake.errors == []


async def test_status_changes_are_recorded(app: App, t: Translator, tmp_path: object) -> None:
    """Submitting and sending a document leave a status history (who, from, to), ready for
    the officers' decisions."""
    import io
    from pathlib import Path

    from PIL import Image

    from storage.domain import ApplicationStatus, DocumentStatus
    from tests.dialog import fill_registration

    chat = ConsoleChat(app)
    await fill_registration(chat, Person())
    await chat.press("KTP")
    photo = Path(str(tmp_path)) / "ktp.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (10, 120, 200)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    await chat.say(str(photo))
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        actor = await repos.people.resolve("console", chat.chat_id)
        application = await repos.applications.of_person(actor.person_id, app.period.code)
        assert application is not None
        history = await repos.applications.history(application.id)
    assert [(h.document_id is None, h.from_status, h.to_status) for h in history] == [
        (True, None, ApplicationStatus.SUBMITTED.value),
        (False, None, DocumentStatus.PENDING.value),
    ]
    assert all(h.actor_person_id == actor.person_id for h in history[:1])
