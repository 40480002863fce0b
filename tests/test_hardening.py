"""Hardening of the conversation against careless and hostile input: the NIK step is no
oracle, free text is clean, contacts are the applicant's own, confirmations confirm what they
say, and nothing personal is left behind by /hapus."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.app import App
from handlers.i18n import Translator
from handlers.limits import TOO_MANY_NIKS
from handlers.messages import Incoming, Kind
from handlers.rules.text import NO_WORDS
from storage.models import Counter
from tests.dialog import ConsoleChat, Person, fill_registration, q
from tests.factories import make_nik
from tests.telegram_chat import TelegramChat, running_bot


async def at_nik_step(chat: ConsoleChat, t: Translator) -> None:
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))


async def test_the_nik_step_is_no_oracle(app: App, t: Translator) -> None:
    """60 guesses in a row: after the hourly limit of different NIKs, every guess gets the
    same polite answer, whether that NIK applied or not; the NIKs are not stored."""
    registered = Person(serial=7)
    await fill_registration(ConsoleChat(app, "pendaftar"), registered)
    prober = ConsoleChat(app, "prober")
    await at_nik_step(prober, t)
    limit = app.engine.nik_tries.per_hour
    answers = []
    for serial in range(1, 61):
        out = await prober.say(make_nik(Person().birth, serial=serial))
        answers.append(out)
        if q(t, 2) in out:  # accepted: go back to the NIK question for the next guess
            await prober.say("/ubah")
            await prober.press(t.C_("button", "Edit personal data"))
    too_many = t._(TOO_MANY_NIKS, contact=app.period.contact)
    assert all(too_many not in out for out in answers[:limit])
    assert all(too_many in out for out in answers[limit:])
    taken = t._("This NIK is already registered for this recruitment.")[:40]
    assert registered.serial > limit and taken not in answers[registered.serial - 1]
    async with app.db.transaction() as session:
        keys = (await session.execute(select(Counter.key))).scalars().all()
    assert not any(registered.nik in key or registered.nik[6:] in key for key in keys)
    other = ConsoleChat(app, "someone-else")  # the limit is per chat and person
    await at_nik_step(other, t)
    assert q(t, 2) in await other.say(Person(serial=99).nik)


async def test_free_text_is_cleaned_and_emoji_only_is_refused(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await at_nik_step(chat, t)
    await chat.say(Person().nik)
    await chat.say("ya")
    out = await chat.say("😀🎉🙏")
    assert t._(NO_WORDS) in out and q(t, 3) in out
    out = await chat.say("Budi\u202e\u0000 Santoso\u200f")
    assert q(t, 4) in out
    summary = await chat.say("/datasaya")
    assert "Budi Santoso" in summary and "\u202e" not in summary and "\x00" not in summary


async def test_a_long_line_of_digits_and_a_zero_date(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("1" * 5000)  # at the menu: no crash, a reply
    assert out
    await at_nik_step(chat, t)
    await chat.say(Person().nik)
    await chat.press(t.C_("button", "My date is different"))
    out = await chat.say("00-00-0000")
    assert q(t, 3, total=26) in out
    assert t._("Please write the year with four digits, for example 1990 instead of 90.") not in out


async def test_contacts_and_foreign_numbers_at_the_phone_step(app: App, t: Translator) -> None:
    person = Person()
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        await chat.say(person.nik)
        start = len(fake.calls)
        fake.user_sends_contact(chat.chat_id, "+6281234567890")  # at the name step
        await fake.wait_idle(timeout=20)
        assert q(t, 2) in chat.last and "+6281234567890" not in chat.last
        assert len(fake.calls) > start
        for answer in ("ya", person.name, person.birth_place):
            await chat.say(answer)
        assert q(t, 5) in chat.last
        fake.user_sends_contact(chat.chat_id, "+6281299998888", contact_user_id=424242)
        await fake.wait_idle(timeout=20)
        someone_else = t._(
            "This contact card is someone else's number. Please share your own contact, "
            "or type your own mobile number."
        )
        assert someone_else in chat.last and q(t, 5) in chat.last
        out = await chat.say("+44 7911 123456")
        assert "+44" in out and q(t, 5) in out
        fake.user_sends_contact(chat.chat_id, "+6281234567890")  # the applicant's own
        await fake.wait_idle(timeout=20)
        assert q(t, 6) in chat.last
        assert fake.errors == []


async def test_a_stale_delete_confirmation_does_not_delete_a_submitted_application(
    app: App, t: Translator
) -> None:
    chat = ConsoleChat(app)
    await chat.say("/start")
    asked = await app.engine.handle(
        Incoming("console", chat.chat_id, Kind.COMMAND, command="hapus")
    )
    assert asked is not None
    stale = next(o for o in asked.options if o.means == "yes")  # "Ya, hapus", pressed later
    out = await fill_registration(chat, Person())
    assert "KPPS-7471-000001" in out
    reply = await app.engine.handle(
        Incoming("console", chat.chat_id, Kind.BUTTON, button_id=stale.id)
    )
    assert reply is not None and "/hapus" in reply.text
    assert "KPPS-7471-000001" in await chat.say("/status")
    await chat.say("/hapus")  # a fresh confirmation still deletes
    out = await chat.press(t.C_("button", "Yes, delete my data"))
    assert t._("We do not hold any personal data from this chat.") in await chat.say("/datasaya")


async def test_keeping_data_mid_registration_asks_the_question_again(
    app: App, t: Translator
) -> None:
    chat = ConsoleChat(app)
    await at_nik_step(chat, t)
    await chat.say(Person().nik)
    await chat.say("/hapus")
    out = await chat.press(t.C_("button", "No, keep it"))
    assert t._("Nothing was deleted.") in out and q(t, 2) in out


async def test_a_deep_link_asks_before_replacing_an_answered_kelurahan(
    app: App, t: Translator
) -> None:
    person = Person()
    chat = ConsoleChat(app)
    await fill_registration(chat, person, submit=False)
    assert "Korumba" in chat.last
    out = await chat.say("/start 7471011007")  # the link of Kelurahan Labibia
    assert t.C_("button", "Yes, change it") in out and "Korumba" in out and "Labibia" in out
    out = await chat.press(t.C_("button", "No, keep mine"))
    assert t._("Please check your answers:") in out and "Korumba" in out
    await chat.say("/start 7471011007")
    out = await chat.press(t.C_("button", "Yes, change it"))
    assert q(t, 11) in out  # the TPS of the new kelurahan is chosen again


async def test_hapus_removes_the_console_forms(app: App, t: Translator, tmp_path: Path) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person())
    out = await chat.press(t.C_("button", "Get the forms"))
    pdfs = [
        Path(line.split("] ", 1)[1].split(" — ")[0]) for line in out.splitlines() if "[PDF]" in line
    ]
    assert len(pdfs) == 3 and all(p.exists() for p in pdfs)
    await chat.say("/hapus")
    await chat.press(t.C_("button", "Yes, delete my data"))
    assert not any(p.exists() for p in pdfs)
