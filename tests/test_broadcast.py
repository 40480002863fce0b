"""Bimtek broadcasts (issue 11, point 3): the audience by wilayah and status, the preview, a
resumable enqueue, the sender delivering it over Telegram within the limits, and the delivery
report with the unreachable people as CSV. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot import broadcast
from bot.app import App
from handlers.i18n import Translator
from handlers.messages import Incoming, Kind
from storage.domain import ApplicationStatus
from storage.models import Application
from storage.repositories import Repos
from tests.dialog import ConsoleChat, Person, fill_registration
from tests.telegram_chat import TelegramChat, running_bot
from tests.test_sender import bot_and_sender, limited_fake

BIMTEK = broadcast.Bimtek(
    code="bimtek-1",
    title="Bimtek KPPS Kecamatan Mandonga",
    day=date(2027, 1, 23),
    at=time(8, 0),
    place="Aula Kelurahan Korumba",
    bring="KTP-el dan alat tulis",
)


def repos(app: App, session: Any) -> Repos:
    return Repos(session, app.crypto, app.settings.wilayah_edition)


async def set_status(app: App, reg_number: str, status: ApplicationStatus) -> None:
    async with app.db.transaction() as session:
        r = repos(app, session)
        application_id = await r.applications.id_by_number(app.period.code, reg_number)
        assert application_id is not None
        await r.applications.set_status(application_id, status, actor_person_id=None)


async def applicants_on_telegram(app: App, t: Translator) -> list[int]:
    """Three applicants over Telegram (two in Mandonga, one in Kadia) and one draft."""
    people = [
        (700101, Person(serial=1, name="Ani Lestari")),
        (700102, Person(serial=2, name="Bahrun Lamba", kelurahan="Labibia")),
        (700103, Person(serial=3, name="Citra Dewi", kecamatan="Kadia", kelurahan="Bende")),
    ]
    async with running_bot(app) as (fake, _):
        for chat_id, person in people:
            await fill_registration(TelegramChat(fake, app, chat_id=chat_id), person)
        draft = TelegramChat(fake, app, chat_id=700104)
        await draft.say("/daftar")
        await draft.press(t.C_("button", "I agree"))
    async with app.db.transaction() as session:
        numbers = (
            (await session.execute(select(Application.reg_number).order_by(Application.id)))
            .scalars()
            .all()
        )
    await set_status(app, numbers[0], ApplicationStatus.SELECTED)
    await set_status(app, numbers[1], ApplicationStatus.RESERVE)
    await set_status(app, numbers[2], ApplicationStatus.SELECTED)
    return [chat for chat, _ in people]


async def test_the_audience_by_status_and_wilayah(app: App, t: Translator) -> None:
    await applicants_on_telegram(app, t)
    everyone = broadcast.Target(groups=("selected", "reserve", "unfinished"))
    assert len((await broadcast.plan(app, everyone, "x")).recipients) == 4
    mandonga = broadcast.Target(groups=("selected", "reserve"), area="74.71.01")
    plan = await broadcast.plan(app, mandonga, "x")
    assert len(plan.recipients) == 2 and plan.per_channel == {"telegram": 2}
    selected = broadcast.Target(groups=("selected",))
    assert len((await broadcast.plan(app, selected, "x")).recipients) == 2
    drafts = broadcast.Target(groups=("unfinished",))
    assert len((await broadcast.plan(app, drafts, "x")).recipients) == 1


async def test_a_bimtek_broadcast_is_sent_resumed_and_reported(
    app: App, t: Translator, tmp_path: Path
) -> None:
    chats = await applicants_on_telegram(app, t)
    target = broadcast.Target(groups=("selected", "reserve"))
    plan = await broadcast.plan(app, target, BIMTEK.code)
    assert plan.new == 3 and plan.seconds > 0
    assert await broadcast.enqueue(app, BIMTEK, plan.recipients[:2]) == 2  # then a crash
    again = await broadcast.plan(app, target, BIMTEK.code)
    assert again.new == 1
    assert await broadcast.enqueue(app, BIMTEK, again.recipients) == 1  # only who was missing
    async with limited_fake(first_update_id=500_001) as fake:
        fake.block_chat(chats[2], "blocked")
        async with bot_and_sender(app, fake), asyncio.timeout(30):
            while True:
                if broadcast.done(await broadcast.progress(app, BIMTEK.code)):
                    break
                await asyncio.sleep(0.05)
            texts = {c.params["chat_id"]: c.params["text"] for c in fake.accepted_sends()}
            coming = TelegramChat(fake, app, chat_id=chats[0])
            out = await coming.press(t.C_("button", "Hadir"))
            assert t.C_("button", "Hadir") in out
            assert "✅" in fake.messages(chats[0])[0].text  # the schedule shows the answer
            await TelegramChat(fake, app, chat_id=chats[1]).press(t.C_("button", "Berhalangan"))
    forged = Incoming("telegram", "700104", Kind.BUTTON, button_id=f"attend:{BIMTEK.code}:hadir")
    reply = await app.engine.handle(forged)  # the draft's chat got no schedule: not counted
    assert reply is not None and reply.notice and not reply.text
    assert set(texts) == set(chats[:2])
    text = texts[chats[0]]
    assert "Aula Kelurahan Korumba" in text and "08.00" in text and "Januari 2027" in text
    assert fake.flood_rejections == 0
    report = await broadcast.report(app, BIMTEK.code, tmp_path / "unreachable.csv")
    assert report["statuses"] == {"sent": 2, "unreachable": 1}
    with (tmp_path / "unreachable.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["nama"] for row in rows] == ["Citra Dewi"]
    assert rows[0]["nomor_hp"].startswith("+62") and "blocked" in rows[0]["alasan"]
    assert broadcast.done(await broadcast.progress(app, BIMTEK.code))
    counts = await broadcast.attendance(app, BIMTEK.code, tmp_path / "hadir.csv")
    assert counts == {"hadir": 1, "berhalangan": 1}  # the forged answer was not recorded
    with (tmp_path / "hadir.csv").open(encoding="utf-8") as handle:
        answers = {row["nama"]: row["jawaban"] for row in csv.DictReader(handle)}
    assert answers == {"Ani Lestari": "hadir", "Bahrun Lamba": "berhalangan"}


def test_the_cli_previews_and_asks_before_sending(
    settings_factory: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from bot.app import build_app
    from bot.cli import cli

    settings = settings_factory()

    async def prepare() -> None:
        app = await build_app(settings)
        try:
            for serial in (1, 2):
                await fill_registration(ConsoleChat(app, f"c{serial}"), Person(serial=serial))
        finally:
            await app.close()

    asyncio.run(prepare())
    monkeypatch.setenv("KPPS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KPPS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KPPS_ENCRYPTION_KEY", settings.encryption_key.get_secret_value())
    monkeypatch.setenv("KPPS_LOAD_DEMO_DATA", "false")
    args = [
        "broadcast",
        "bimtek",
        "--code",
        "b1",
        "--title",
        "Bimtek",
        "--date",
        "2027-01-23",
        "--time",
        "08:00",
        "--place",
        "Aula",
        "--to",
        "applicants",
    ]
    runner = CliRunner()
    refused = runner.invoke(cli, args, input="n\n")
    assert refused.exit_code == 1 and "2" in refused.output
    sent = runner.invoke(cli, [*args, "--yes"])
    assert sent.exit_code == 0, sent.output
    again = runner.invoke(cli, [*args, "--yes"])
    assert again.exit_code == 0 and "2" in again.output
    report = runner.invoke(cli, ["broadcast", "report", "b1"])
    assert report.exit_code == 0 and "b1" in report.output
    answers = runner.invoke(cli, ["broadcast", "attendance", "b1"])
    assert answers.exit_code == 0 and "b1" in answers.output
    assert runner.invoke(cli, [*args[:3], "Bad Code!", *args[4:], "--yes"]).exit_code != 0
    bad = runner.invoke(cli, [*args[:-1], "everyone"])
    assert bad.exit_code != 0


async def test_a_bimtek_is_reminded_the_evening_before_and_that_morning(
    app: App, t: Translator
) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from storage.models import OutboxMessage, utcnow

    people = []
    for serial in (1, 2):
        await fill_registration(ConsoleChat(app, f"r{serial}"), Person(serial=serial))
    async with app.db.transaction() as session:
        people = (await session.execute(select(Application.person_id))).scalars().all()
    recipients = [(int(p), "console") for p in people]
    await broadcast.enqueue(app, BIMTEK, recipients)
    await broadcast.enqueue(app, BIMTEK, recipients)  # again: nothing twice
    async with app.db.transaction() as session:
        rows = [
            row
            for row in (await session.execute(select(OutboxMessage))).scalars()
            if row.idempotency_key.startswith("reminder:bimtek:")
        ]
    zone = ZoneInfo(app.period.timezone)
    expected = {
        datetime(2027, 1, 22, 17, 0, tzinfo=zone).astimezone(UTC),
        datetime(2027, 1, 23, 6, 0, tzinfo=zone).astimezone(UTC),
    }
    assert len(rows) == 4 and {row.not_before for row in rows} == expected
    assert all(row.kind == "reminder" and not row.essential for row in rows)
    async with app.db.transaction() as session:
        claimed = await repos(app, session).outbox.claim(
            "s",
            max(expected) + timedelta(minutes=1),
            limit=10,
            lease=timedelta(1),
            channel="console",
        )
    reminder = next(item for item in claimed if item.kind == "reminder")
    text = app.i18n.get("id")._(reminder.message.msgid, **reminder.message.params)
    assert "Aula Kelurahan Korumba" in text and "08.00" in text and "KTP-el" in text
    tonight = broadcast.Bimtek(
        code="malam-ini",
        title="Bimtek",
        day=utcnow().astimezone(zone).date(),
        at=time(23, 59),
        place="Aula",
    )
    await broadcast.enqueue(app, tonight, recipients[:1])
    async with app.db.transaction() as session:
        keys = (await session.execute(select(OutboxMessage.idempotency_key))).scalars().all()
    assert not any(key.startswith("reminder:bimtek:malam-ini:h-1:") for key in keys)  # past


async def test_the_answer_can_be_typed_also_in_the_middle_of_a_registration(
    app: App, t: Translator
) -> None:
    done = ConsoleChat(app, "c1")
    await fill_registration(done, Person(serial=1))
    busy = ConsoleChat(app, "c2")
    await busy.say("/daftar")
    await busy.press(t.C_("button", "I agree"))
    async with app.db.transaction() as session:
        r = repos(app, session)
        people = [(await r.people.resolve("console", chat)).person_id for chat in ("c1", "c2")]
    await broadcast.enqueue(app, BIMTEK, [(p, "console") for p in people if p])
    async with app.db.transaction() as session:
        outbox = repos(app, session).outbox
        now = datetime.now(UTC)
        for item in await outbox.claim(
            "test", now, limit=10, lease=timedelta(minutes=1), channel="console"
        ):
            if item.kind == "broadcast":
                await outbox.sent(item.id, "test", platform_id="1", at=now)
    out = await done.say("hadir")  # typed at the menu
    assert (
        t._(
            "Thank you, your answer is recorded: {answer}. You can change it with the buttons of "
            "the schedule message.",
            answer=t.C_("button", "Hadir"),
        )
        in out
    )
    out = await busy.say("/berhalangan")  # a registration in progress goes on after it
    assert (
        t.C_("button", "Berhalangan") in out
        and t._("Question {n} of {total}", n=1, total=25) in out
    )
    counts = await broadcast.attendance(app, BIMTEK.code)
    assert counts == {"hadir": 1, "berhalangan": 1}
    nobody = await ConsoleChat(app, "c3").say("/hadir")
    assert nobody.startswith(t._("No schedule was sent to you yet, so there is nothing to answer."))
