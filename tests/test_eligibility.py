"""Cek syarat: rule-by-rule self-check that stores nothing personal."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from handlers.i18n import Translator
from storage.models import Application, Consent, Conversation
from tests.dialog import ConsoleChat, person_aged
from tests.factories import make_nik


async def stored_blobs(app: App) -> str:
    async with app.db.transaction() as session:
        rows = []
        for model in (Conversation, Consent, Application):
            for row in (await session.execute(select(model))).scalars():
                rows.append(repr({c.key: getattr(row, c.key) for c in model.__table__.columns}))
    return "\n".join(rows)


async def test_all_good_answers(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    person = person_aged(app, 30)
    await chat.say("/ceksyarat")
    out = await chat.say(person.nik)
    assert "Kota Kendari" in out
    for label in ("Yes", "SMA or higher", "Never a member", "No", "Yes", "No", "No"):
        out = await chat.press(t.C_("button", label))
    assert t._("You appear to meet the requirements:") in out
    assert t._("Age: you will be {age} on polling day.", age=30) in out
    for spec in app.period.documents:
        if spec.required == "always":
            assert spec.name in out
    assert t.C_("button", "Register now") in out
    blobs = await stored_blobs(app)
    assert person.nik not in blobs
    async with app.db.transaction() as session:
        conversations = (await session.execute(select(Conversation))).scalars().all()
    assert all(c.data_enc is None and c.flow is None for c in conversations)


async def test_failing_and_flagged_rules_are_explained(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    young = person_aged(app, 16)
    await chat.say("/ceksyarat")
    await chat.say(young.birth_text)
    answers = ["No", "Below SMA", "Left 5+ years ago", "Yes", "Yes", "No", "No"]
    for label in answers:
        out = await chat.press(t.C_("button", label))
    assert t._("You do not appear to meet every requirement:") in out
    assert "❌" in out and "⚠️" in out
    assert t.C_("button", "Register now") not in out
    assert any(
        spec.required == "former_party_member" and spec.name in out for spec in app.period.documents
    )


async def test_bad_input_repeats_the_question(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/ceksyarat")
    out = await chat.say("kemarin sore")
    assert (
        t._(
            "I could not read that as a date. Please write the date as day, month and year, "
            "for example 17-08-1990, 17/08/1990 or 17 Agustus 1990."
        )[:30]
        in out
    )
    out = await chat.say(make_nik(person_aged(app, 40).birth))
    out = await chat.say("mungkin")
    assert "Kota Kendari" in out
    out = await chat.say("iya")
    assert t._("What is your highest education?") in out


async def test_register_from_the_verdict(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/ceksyarat")
    await chat.say(person_aged(app, 30).birth_text)
    for label in ("Yes", "SMA or higher", "Never a member", "No", "Yes", "No", "No"):
        await chat.press(t.C_("button", label))
    out = await chat.press(t.C_("button", "Register now"))
    assert t.C_("button", "I agree") in out


async def test_batal_and_start_leave_the_self_check(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/ceksyarat")
    out = await chat.say("/batal")
    assert t._("Stopped. Send /start to see the menu.") in out
    out = await chat.say("berapa honor anggota kpps?")
    assert "Rp" in out  # answered as a question, no hidden date-of-birth step any more
    await chat.say("/ceksyarat")
    await chat.say("/start")
    out = await chat.say("berapa honor anggota kpps?")
    assert "Rp" in out
