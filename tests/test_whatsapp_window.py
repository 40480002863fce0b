"""The 24-hour window and the templates, through the real outbox sender and the WhatsApp
adapter against the fake Cloud API (which refuses free-form messages to a number outside its
window with 131047 and validates every body against the v23.0 spec); the messaging tier."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from string import Formatter
from typing import Any

from sqlalchemy import select

from bot.app import App, outbox_sender
from bot.channels.whatsapp import WhatsAppChannel
from bot.channels.whatsapp_templates import Templates
from bot.sender import NO_TEMPLATE, Sender
from bot.tier import WINDOW_NOTE, ContactTier, days_needed
from handlers.flows.officers import paw, publish, review
from handlers.flows.registration import reminders
from handlers.i18n import Translator
from handlers.schedules import BIMTEK
from storage.domain import OutgoingMessage, Role
from storage.models import OutboxMessage, WhatsAppWindow, utcnow
from storage.repositories import Repos
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.test_sender import until
from tests.whatsapp_chat import WhatsAppChat, running_whatsapp

NUMBER = "6281234567890"
SCHEDULE = OutgoingMessage(
    BIMTEK,
    {
        "title": "Bimtek KPPS Kadia",
        "date": "Sabtu, 27 Januari 2029",
        "time": "08.00",
        "place": "Aula\nKelurahan   Kadia",  # a line break and spaces: one line in a template
        "bring": "KTP-el",
    },
    (("att:bimtek-1:hadir", "Hadir"), ("att:bimtek-1:berhalangan", "Berhalangan")),
)


async def rows(app: App) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def person_of(app: App, fake: FakeWhatsAppAPI, channel: WhatsAppChannel, number: str) -> int:
    """A person who wrote once (their window opens), as the engine stores them."""
    await WhatsAppChat(fake, channel, app, number=number).say("/start")
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        actor = await repos.people.resolve("whatsapp", number)
    assert actor.person_id is not None
    return actor.person_id


async def enqueue(app: App, person_id: int, message: OutgoingMessage, key: str) -> None:
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        await repos.outbox.enqueue(
            person_id=person_id,
            channel="whatsapp",
            kind="result",
            message=message,
            key=key,
            now=utcnow(),
        )


def sender_at(
    app: App, channel: WhatsAppChannel, now: datetime, *, tier: int | None = None
) -> Sender:
    """The real outbox sender (as ``kpps-bot run`` builds it), with the clock at ``now``."""
    channel.clock = lambda: now
    sender = outbox_sender(app, channel, channel.gate, "whatsapp", "test", tier=tier)
    sender.now = lambda: now
    return sender


async def send_until(app: App, sender: Sender, done: Any, within: float = 30.0) -> None:
    running = asyncio.create_task(sender.run())
    try:
        async with asyncio.timeout(within):
            while True:
                if done(await rows(app)):
                    break
                await asyncio.sleep(0.05)
    finally:
        sender.stop()
        await running


def all_settled(found: list[OutboxMessage]) -> bool:
    return all(row.status not in ("queued", "sending") for row in found)


# -- the templates file ---------------------------------------------------------------------


def test_every_message_sent_on_its_own_has_a_template() -> None:
    templates = Templates.load()
    for msgid in (
        reminders.UNFINISHED,
        review.CORRECTION,
        review.CORRECTION_REMINDER,
        publish.SELECTED,
        publish.RESERVE,
        publish.NOT_SELECTED,
        publish.NOT_QUALIFIED,
        paw.OFFER,
        BIMTEK,
    ):
        template = templates.for_message(OutgoingMessage(msgid))
        assert template is not None, msgid
        assert template.language == "id" and template.category == "UTILITY"
        # every parameter the template names is one the message really has
        fields = {field for _, field, _, _ in Formatter().parse(msgid) if field}
        assert set(template.params) <= fields, (template.name, template.params, fields)
    assert templates.for_message(OutgoingMessage("Thank you. Let's begin.")) is None


def test_the_cli_prints_the_templates_as_meta_creates_them(app: App) -> None:
    from typer.testing import CliRunner

    from bot.cli import cli

    result = CliRunner().invoke(cli, ["whatsapp", "templates"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    by_name = {entry["name"]: entry for entry in printed}
    offer = by_name["kpps_paw_offer"]
    assert offer["language"] == "id" and offer["category"] == "UTILITY"
    body, buttons = offer["components"]
    assert body["type"] == "BODY" and "{{3}}" in body["text"]
    assert len(body["example"]["body_text"][0]) == 3
    assert [b["text"] for b in buttons["buttons"]] == ["Terima", "Tolak"]
    assert len(printed) == len(Templates.load().all)


# -- the window -----------------------------------------------------------------------------


async def test_inside_the_window_free_form_outside_the_template(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        person = await person_of(app, fake, channel, NUMBER)
        async with app.db.transaction() as session:
            assert (await session.execute(select(WhatsAppWindow))).scalars().all()

        await enqueue(app, person, SCHEDULE, "broadcast:inside")
        await send_until(app, sender_at(app, channel, utcnow()), all_settled)
        [inside] = fake.messages_to(NUMBER)[-1:]
        assert inside.type == "interactive"  # free-form, with its reply buttons
        assert inside.text.startswith(t._(BIMTEK, **SCHEDULE.params)[:20])

        fake.closed_windows.add(NUMBER)  # Meta refuses free-form from now on
        await enqueue(app, person, SCHEDULE, "broadcast:outside")
        later = utcnow() + timedelta(hours=25)
        await send_until(app, sender_at(app, channel, later), all_settled)
        outside = fake.messages_to(NUMBER)[-1]
        assert outside.type == "template"
        template = outside.body["template"]
        assert template["name"] == "kpps_bimtek_schedule"
        assert template["language"] == {"policy": "deterministic", "code": "id"}
        body, hadir, berhalangan = template["components"]
        assert [p["text"] for p in body["parameters"]] == [
            "Bimtek KPPS Kadia",
            "Sabtu, 27 Januari 2029",
            "08.00",
            "Aula Kelurahan Kadia",
            "KTP-el",
        ]
        assert hadir["parameters"] == [{"type": "payload", "payload": "att:bimtek-1:hadir"}]
        assert berhalangan["index"] == "1"
        by_key = {row.idempotency_key: row for row in await rows(app)}
        assert by_key["broadcast:inside"].template is None
        assert by_key["broadcast:outside"].status == "sent"
        assert by_key["broadcast:outside"].template == "kpps_bimtek_schedule"
        assert by_key["broadcast:outside"].platform_message_id == outside.id
        assert fake.invalid == []


async def test_the_window_closing_before_the_send_switches_to_the_template(app: App) -> None:
    async with running_whatsapp(app) as (fake, channel):
        person = await person_of(app, fake, channel, NUMBER)
        fake.closed_windows.add(NUMBER)  # the bot thinks it open; Meta says 131047
        message = OutgoingMessage(review.CORRECTION, {"document": "KTP-el", "reason": "buram"})
        await enqueue(app, person, message, "correction:1")
        await send_until(app, sender_at(app, channel, utcnow()), all_settled)
        [row] = [r for r in await rows(app) if r.idempotency_key == "correction:1"]
        assert row.status == "sent" and row.template == "kpps_document_correction"
        sent = fake.messages_to(NUMBER)[-1]
        assert sent.type == "template" and sent.id == row.platform_message_id
        params = sent.body["template"]["components"][0]["parameters"]
        assert [p["text"] for p in params] == ["KTP-el", "buram"]
        assert fake.invalid == []


async def test_outside_the_window_a_message_without_template_fails_clearly(app: App) -> None:
    async with running_whatsapp(app) as (fake, channel):
        person = await person_of(app, fake, channel, NUMBER)
        before = len(fake.sent)
        await enqueue(app, person, OutgoingMessage("Thank you. Let's begin."), "other:1")
        later = utcnow() + timedelta(hours=24)
        await send_until(app, sender_at(app, channel, later), all_settled)
        [row] = [r for r in await rows(app) if r.idempotency_key == "other:1"]
        assert row.status == "failed" and row.last_error == NO_TEMPLATE
        assert len(fake.sent) == before  # nothing tried against Meta


# -- the messaging tier ---------------------------------------------------------------------


async def test_the_tier_reschedules_new_people_beyond_it(app: App) -> None:
    numbers = [f"62812000000{i:02d}" for i in range(4)]
    async with running_whatsapp(app) as (fake, channel):
        people = [await person_of(app, fake, channel, number) for number in numbers]
        later = utcnow() + timedelta(hours=30)  # every window closed
        # earlier today person 0 got a template already: they hold one of the 2 slots
        async with app.db.transaction() as session:
            session.add(
                OutboxMessage(
                    person_id=people[0],
                    channel="whatsapp",
                    kind="result",
                    payload_enc=b"",
                    idempotency_key="earlier",
                    status="sent",
                    template="kpps_result_reserve",
                    sent_at=later - timedelta(hours=20),
                )
            )
        message = OutgoingMessage(publish.NOT_SELECTED)
        for index, person in enumerate(people):
            await enqueue(app, person, message, f"result:{index}")

        def settled_or_deferred(found: list[OutboxMessage]) -> bool:
            return all(r.status == "sent" or r.last_error for r in found)

        await send_until(app, sender_at(app, channel, later, tier=2), settled_or_deferred)
        by_key = {row.idempotency_key: row for row in await rows(app)}
        # person 0 holds a slot (no new conversation, but the slot is theirs for 24 hours from
        # now again); one other person takes the free one (whoever's message came first); the
        # two others wait for those two slots
        assert by_key["result:0"].status == "sent"
        others = [by_key[f"result:{index}"] for index in (1, 2, 3)]
        [admitted] = [row for row in others if row.status == "sent"]
        waiting = [row for row in others if row is not admitted]
        assert [row.status for row in waiting] == ["queued", "queued"]
        assert all("messaging tier" in (row.last_error or "") for row in waiting)
        assert [row.not_before for row in waiting] == [later + timedelta(hours=24)] * 2
        templated = {m.to for m in fake.sent if m.type == "template"}
        assert templated == {numbers[0], numbers[people.index(admitted.person_id)]}
        assert fake.invalid == []


def test_the_tier_spreads_a_large_broadcast_over_the_days_it_needs() -> None:
    now = utcnow()
    tier = ContactTier(3)
    tier.load({}, now)
    times = [tier.admit(person, now) for person in range(10)]
    assert times[:3] == [None, None, None]
    day = timedelta(hours=24)
    assert times[3:] == [now + day] * 3 + [now + 2 * day] * 3 + [now + 3 * day]
    assert tier.admit(4, now + timedelta(hours=1)) == now + day  # planned: not before then
    assert tier.admit(4, now + day) is None  # its slot is its own then
    fresh = ContactTier(3)
    fresh.load({1: now - timedelta(hours=1)}, now)
    assert fresh.admit(1, now) is None  # holds a slot: no new conversation
    assert [fresh.admit(p, now) for p in (2, 3)] == [None, None]
    assert fresh.admit(4, now) == now + day  # person 1 was messaged again just now
    # a slot promised to a planned person is no longer its holder's: a conservative count
    assert fresh.admit(1, now + timedelta(hours=2)) == now + day
    assert days_needed(10, 3) == 4 and days_needed(0, 250) == 0 and days_needed(9, None) == 1


async def test_the_broadcast_preview_says_the_days_at_the_tier(settings_factory: Any) -> None:
    from sqlalchemy import update

    from bot import broadcast
    from bot.app import build_app
    from tests.dialog import Person, fill_registration

    app = await build_app(settings_factory(whatsapp_tier=250))
    try:
        async with running_whatsapp(app) as (fake, channel):
            for serial in (1, 2, 3):
                chat = WhatsAppChat(fake, channel, app, number=f"628130000000{serial}")
                await fill_registration(chat, Person(serial=serial))
        target = broadcast.Target(groups=("applicants",))
        plan = await broadcast.plan(app, target, "b-tier")
        assert plan.per_channel == {"whatsapp": 3}
        assert (plan.outside_window, plan.days) == (0, 0)  # all wrote just now

        async with app.db.transaction() as session:  # two days later
            await session.execute(
                update(WhatsAppWindow).values(last_inbound_at=utcnow() - timedelta(days=2))
            )
        plan = await broadcast.plan(app, target, "b-tier")
        assert (plan.outside_window, plan.tier, plan.days) == (3, 250, 1)
        app.settings.whatsapp_tier = 2
        assert (await broadcast.plan(app, target, "b-tier")).days == 2
        # a KPU admin's /siaran preview in the chat says the same
        from tests.officers_helpers import KORUMBA, officer

        admin = await officer(app, "kpu", Role.KPU_ADMIN, "74.71")
        for answer in ("/siaran", "Bimtek KPPS", "23-01-2030", "08.00", "Aula", "KTP-el"):
            await admin.say(answer)
        await admin.press(app.i18n.get("id").C_("button", "All applicants"))
        out = await admin.say(KORUMBA)
        t = app.i18n.get("id")
        assert t._(WINDOW_NOTE, count=3, tier=2, days=2) in out
    finally:
        await app.close()


async def test_a_tap_on_the_templates_button_answers_like_the_free_form_button(
    app: App, t: Translator
) -> None:
    from handlers.flows.attendance import option_id
    from storage.domain import broadcast_key
    from storage.models import Attendance

    async with running_whatsapp(app) as (fake, channel):
        person = await person_of(app, fake, channel, NUMBER)
        options = tuple((option_id("bimtek-1", a), a.title()) for a in ("hadir", "berhalangan"))
        schedule = OutgoingMessage(BIMTEK, SCHEDULE.params, options)
        await enqueue(app, person, schedule, broadcast_key("bimtek-1", person))
        later = utcnow() + timedelta(hours=25)
        await send_until(app, sender_at(app, channel, later), all_settled)
        template = fake.messages_to(NUMBER)[-1].body["template"]
        payload = template["components"][2]["parameters"][0]["payload"]  # "Berhalangan"
        channel.clock = utcnow
        before = len(fake.messages_to(NUMBER))
        await fake.user_sends_kind(NUMBER, "button", {"payload": payload, "text": "Berhalangan"})
        await channel.idle()
        answer = " ".join(m.text for m in fake.messages_to(NUMBER)[before:])
        assert t.C_("button", "Berhalangan") in answer
        async with app.db.transaction() as session:
            [row] = (await session.execute(select(Attendance))).scalars().all()
        assert (row.broadcast_code, row.answer) == ("bimtek-1", "berhalangan")
        assert fake.invalid == []


async def test_the_pair_rate_spaces_bulk_messages_to_one_person_not_replies() -> None:
    from bot.channels.flood import FloodGate, bulk

    clock = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    gate = FloodGate(80.0, 0.0, clock=lambda: clock[0], sleep=sleep, bulk_chat_interval=6.0)
    with bulk():
        await gate.acquire("a")
        await gate.acquire("b")  # another person: only the number's throughput
        assert clock[0] < 0.1
        await gate.acquire("a")
        assert clock[0] >= 6.0  # the same person: 6 seconds after the first
    start = clock[0]
    await gate.acquire("a")  # a direct reply is not held by the pair rate
    await gate.acquire("a")
    assert clock[0] - start < 0.1


def test_the_tier_setting_takes_meta_tiers_or_unlimited(monkeypatch: Any) -> None:
    import pytest
    from pydantic import ValidationError

    from bot.settings import Settings

    monkeypatch.setenv("KPPS_WHATSAPP_TIER", "unlimited")
    assert Settings(_env_file=None).whatsapp_tier is None  # type: ignore[call-arg]
    monkeypatch.setenv("KPPS_WHATSAPP_TIER", "2000")
    assert Settings(_env_file=None).whatsapp_tier == 2000  # type: ignore[call-arg]
    monkeypatch.setenv("KPPS_WHATSAPP_TIER", "300")
    with pytest.raises(ValidationError, match="250, 2000, 10000, 100000 or unlimited"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("KPPS_WHATSAPP_TIER")
    assert Settings(_env_file=None).whatsapp_tier == 250  # type: ignore[call-arg]


async def test_the_fake_refuses_a_template_meta_would_refuse(app: App) -> None:
    import pytest

    from bot.channels.whatsapp import GraphError

    async with running_whatsapp(app) as (fake, channel):
        template = Templates.load().for_message(OutgoingMessage(paw.OFFER))
        assert template is not None
        good = template.message_body(NUMBER, OutgoingMessage(paw.OFFER, {"tps": "3"}))
        assert (await channel.client.send(good)).startswith("wamid.")
        short = json.loads(json.dumps(good))
        del short["template"]["components"][0]["parameters"][2]
        unknown = json.loads(json.dumps(good))
        unknown["template"]["name"] = "kpps_not_submitted"
        for body in (short, unknown):
            with pytest.raises(GraphError):
                await channel.client.send(body)
        assert [len(r.problems) for r in fake.invalid] == [1, 1]


def test_the_cli_preview_says_the_days_at_the_tier(settings_factory: Any, monkeypatch: Any) -> None:
    from sqlalchemy import update
    from typer.testing import CliRunner

    from bot.app import build_app
    from bot.cli import cli
    from tests.dialog import Person, fill_registration

    settings = settings_factory()

    async def prepare() -> None:
        app = await build_app(settings)
        try:
            async with running_whatsapp(app) as (fake, channel):
                for serial in (1, 2, 3):
                    chat = WhatsAppChat(fake, channel, app, number=f"628130000000{serial}")
                    await fill_registration(chat, Person(serial=serial))
            async with app.db.transaction() as session:  # they wrote two days ago
                await session.execute(
                    update(WhatsAppWindow).values(last_inbound_at=utcnow() - timedelta(days=2))
                )
        finally:
            await app.close()

    asyncio.run(prepare())
    monkeypatch.setenv("KPPS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KPPS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KPPS_ENCRYPTION_KEY", settings.encryption_key.get_secret_value())
    monkeypatch.setenv("KPPS_LOAD_DEMO_DATA", "false")
    monkeypatch.setenv("KPPS_WHATSAPP_TIER", "2000")
    args = ["broadcast", "bimtek", "--code", "b1", "--title", "Bimtek", "--date", "2027-01-23"]
    args += ["--time", "08:00", "--place", "Aula", "--to", "applicants"]
    refused = CliRunner().invoke(cli, args, input="n\n")
    assert refused.exit_code == 1, refused.output
    # "WhatsApp: 3 penerima … 2000 orang per hari … sekitar 1 hari."
    assert "WhatsApp: 3 " in refused.output and "2000" in refused.output
    assert "1 hari" in refused.output


async def test_a_131047_reported_after_the_send_resends_as_the_template(app: App) -> None:
    async with running_whatsapp(app) as (fake, channel):
        person = await person_of(app, fake, channel, NUMBER)
        message = OutgoingMessage(publish.RESERVE, {"rank": 2, "tps": "003", "area": "Kadia"})
        await enqueue(app, person, message, "result:late")
        before = len(fake.messages_to(NUMBER))
        sender = sender_at(app, channel, utcnow())
        running = asyncio.create_task(sender.run())
        try:
            await until(lambda: len(fake.messages_to(NUMBER)) > before)
            free_form = fake.messages_to(NUMBER)[before]
            assert free_form.type == "text"
            # Meta accepted it, then reports it failed: the window had closed
            assert await fake.statuses((free_form.id, NUMBER, "failed", 131047)) == 200
            await channel.idle()
            await until(lambda: any(m.type == "template" for m in fake.messages_to(NUMBER)))
        finally:
            sender.stop()
            await running
        [template] = [m for m in fake.messages_to(NUMBER) if m.type == "template"]
        assert template.body["template"]["name"] == "kpps_result_reserve"
        [row] = [r for r in await rows(app) if r.idempotency_key == "result:late"]
        assert row.status == "sent" and row.template == "kpps_result_reserve"
        assert row.platform_message_id == template.id
        # a template failing so is not sent again
        assert await fake.statuses((template.id, NUMBER, "failed", 131047)) == 200
        await channel.idle()
        [row] = [r for r in await rows(app) if r.idempotency_key == "result:late"]
        assert row.status == "sent" and row.platform_status == "failed"
        assert fake.invalid == []
