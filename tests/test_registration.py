"""Registration conversations through the console adapter, on a real engine and database."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from handlers.i18n import Translator
from storage.models import Application, Consent, Conversation
from tests.dialog import (
    ConsoleChat,
    Person,
    bad_input_script,
    fill_registration,
    person_aged,
    q,
    run_script,
    summary_fragments,
)
from tests.factories import make_nik


async def count(app: App, model: Any) -> int:
    async with app.db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_happy_path_gives_a_registration_number(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("/start")
    assert "Pemilihan Demo" in out and t.C_("button", "Register now") in out
    out = await fill_registration(chat, Person())
    assert "KPPS-7471-000001" in out
    assert t._("Announcement of the selection result") in out
    out = await chat.say("/status")
    assert "KPPS-7471-000001" in out and "Korumba" in out and "TPS 002" in out
    assert await count(app, Application) == 1
    async with app.db.transaction() as session:
        consent = (await session.execute(select(Consent))).scalar_one()
        application = (await session.execute(select(Application))).scalar_one()
    assert consent.granted and consent.version == app.period.consent_version
    assert consent.application_id == application.id
    assert app.crypto.decrypt_json(application.flags_enc) == []


async def test_registration_numbers_count_up(app: App) -> None:
    await fill_registration(ConsoleChat(app, "a"), Person(serial=1))
    out = await fill_registration(ConsoleChat(app, "b"), Person(serial=2, name="Siti Aminah"))
    assert "KPPS-7471-000002" in out


async def test_typed_answers_work_like_buttons(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.script(
        [
            ("/daftar", t.C_("button", "I agree")),
            ("setuju", q(t, 1)),
        ]
    )


async def test_each_step_rejects_bad_input_and_keeps_earlier_answers(
    app: App, t: Translator
) -> None:
    person = Person()
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    await run_script(chat, bad_input_script(t, person))
    out = await chat.say("/ubah")
    for fragment in summary_fragments(person):
        assert fragment in out


async def test_stickers_photos_and_long_text_get_an_explanation(app: App, t: Translator) -> None:
    from handlers.messages import Incoming, Kind

    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    reply = await app.engine.handle(Incoming("console", chat.chat_id, Kind.STICKER))
    assert reply is not None
    assert t._("a sticker") in reply.text and q(t, 1) in reply.text
    reply = await app.engine.handle(Incoming("console", chat.chat_id, Kind.PHOTO))
    assert reply is not None and t._("a photo") in reply.text


async def test_state_survives_a_restart(app: App, settings_factory: Any, t: Translator) -> None:
    person = Person()
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    await chat.say(person.nik)
    await chat.press(t.C_("button", "Yes, that's right"))
    await chat.say(person.name)
    await app.close()

    restarted = await build_app(settings_factory())
    try:
        chat2 = ConsoleChat(restarted)
        out = await chat2.say("/start")
        assert q(t, 4) in out
        await chat2.say(person.birth_place)
        out = await chat2.say("/ubah")
        assert person.name in out and "7471********0001" in out
    finally:
        await restarted.close()


async def test_cancel_asks_then_deletes_the_draft(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    await chat.say(Person().nik)
    out = await chat.say("/batal")
    assert t.C_("button", "Yes, delete it") in out
    out = await chat.press(t.C_("button", "No, continue"))
    assert q(t, 2) in out
    await chat.say("/batal")
    await chat.press(t.C_("button", "Yes, delete it"))
    assert await count(app, Conversation) == 0
    out = await chat.say("/status")
    assert t._("You have not registered yet. Send /daftar to register.") in out
    out = await chat.say("/batal")
    assert t._("You have no registration in progress, so there is nothing to cancel.") in out


async def test_no_consent_stores_nothing(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    out = await chat.press(t.C_("button", "I do not agree"))
    assert "/daftar" in out
    assert await count(app, Conversation) == 0
    assert await count(app, Consent) == 0


async def test_deep_link_preselects_the_kelurahan(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("/start 7471011006")
    assert "Korumba" in out
    await chat.press(t.C_("button", "Register now"))
    await chat.press(t.C_("button", "I agree"))
    person = Person()
    await chat.say(person.nik)
    await chat.press(t.C_("button", "Yes, that's right"))
    for answer in (person.name, person.birth_place, person.phone, person.address, person.rt_rw):
        await chat.say(answer)
    out = await chat.press(t.C_("button", "Yes, I live there"))
    assert q(t, 11) in out and "Korumba" in out  # straight to the TPS of Korumba


async def test_unknown_deep_link_is_ignored(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    out = await chat.say("/start 3171011001")  # a Jakarta kelurahan: not this KPU's area
    assert t.C_("button", "Register now") in out
    assert "3171" not in out


async def test_under_17_on_polling_day_stops_submission(app: App, t: Translator) -> None:
    young = person_aged(app, 16, days=364)  # 17 the day after polling day
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    out = await chat.say(young.nik)  # explained at once: no name or date typed first
    assert "16" in out and q(t, 2) in out and t.C_("button", "Fix my NIK") in out
    assert t.C_("button", "Yes, that's right") not in out
    out = await chat.say("ya")
    assert "16" in out and q(t, 2) in out
    out = await chat.say("/status")
    assert q(t, 3) not in out and "16" in out
    out = await chat.say("/ubah")
    assert t.C_("button", "Submit") not in out


async def test_exactly_17_on_polling_day_may_register(app: App) -> None:
    out = await fill_registration(ConsoleChat(app), person_aged(app, 17))
    assert "KPPS-7471-000001" in out


async def test_over_55_is_a_flag_not_a_rejection(app: App, t: Translator) -> None:
    out = await fill_registration(ConsoleChat(app), person_aged(app, 60))
    assert "KPPS-7471-000001" in out
    async with app.db.transaction() as session:
        application = (await session.execute(select(Application))).scalar_one()
    assert "age_over_preferred_max" in app.crypto.decrypt_json(application.flags_enc)


async def test_a_failed_statement_explains_and_can_be_corrected(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person(), submit=False)
    await chat.press(t.C_("button", "Edit statements"))
    await chat.press(t.C_("button", "Keep the answer"))  # statement 1: WNI
    await chat.press(t.C_("button", "Keep the answer"))  # statement 2: loyalty
    out = await chat.press(t.C_("button", "Member, or left <5y"))
    assert "5" in out and t.C_("button", "Correct my answer") in out
    out = await chat.press(t.C_("button", "Correct my answer"))
    assert q(t, 19) in out
    await chat.press(t.C_("button", "Left 5+ years ago"))
    for _ in range(6):
        await chat.press(t.C_("button", "Keep the answer"))
    out = await chat.press(t.C_("button", "Submit"))
    assert "KPPS-7471-000001" in out
    async with app.db.transaction() as session:
        application = (await session.execute(select(Application))).scalar_one()
    assert app.crypto.decrypt_json(application.flags_enc) == ["former_party_member"]


async def test_stop_after_a_failed_statement_deletes_the_draft(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person(), submit=False)
    await chat.press(t.C_("button", "Edit statements"))
    for _ in range(3):  # WNI, loyalty, party
        await chat.press(t.C_("button", "Keep the answer"))
    out = await chat.press(t.C_("button", "No"))  # statement 4: campaign team
    assert t.C_("button", "Stop registering") in out
    await chat.press(t.C_("button", "Stop registering"))
    await chat.press(t.C_("button", "Yes, delete it"))
    assert await count(app, Conversation) == 0


async def test_changing_the_nik_asks_the_birth_date_again(app: App, t: Translator) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person(), submit=False)
    await chat.press(t.C_("button", "Edit personal data"))
    other = Person(birth=Person().birth.replace(year=1985), serial=7)
    out = await chat.say(other.nik)
    assert q(t, 2) in out and "1985" in out  # the NIK's date, to confirm again (no keep)
    assert t.C_("button", "Keep the answer") not in out
    out = await chat.press(t.C_("button", "Yes, that's right"))
    assert q(t, 3) in out and t.C_("button", "Keep the answer") in out  # the name
    await chat.press(t.C_("button", "Keep the answer"))
    out = await chat.press(t.C_("button", "Keep the answer"))  # the place of birth
    assert t._("Please check your answers:") in out and "1985" in out


async def test_same_nik_from_another_chat_is_refused_politely(app: App, t: Translator) -> None:
    await fill_registration(ConsoleChat(app, "first"), Person())
    chat = ConsoleChat(app, "second")
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    out = await chat.say(Person().nik)
    assert app.period.contact in out and q(t, 1) in out
    assert "first" not in out and Person().name not in out


async def test_two_drafts_with_one_nik_only_one_is_submitted(app: App, t: Translator) -> None:
    a, b = ConsoleChat(app, "a"), ConsoleChat(app, "b")
    await fill_registration(a, Person(), submit=False)
    await fill_registration(b, Person(), submit=False)
    assert "KPPS-7471" in await a.press(t.C_("button", "Submit"))
    out = await b.press(t.C_("button", "Submit"))
    assert "KPPS-7471" not in out and app.period.contact in out
    assert await count(app, Application) == 1


async def test_nik_name_and_phone_are_never_stored_in_plain_text(app: App) -> None:
    person = Person(name="Wa Ode Sitti Marhamah", phone="0813 9876 5432")
    chat = ConsoleChat(app)
    await fill_registration(chat, person)
    await fill_registration(ConsoleChat(app, "draft"), Person(serial=9), submit=False)
    async with app.db.transaction() as session:
        for model in (Application, Conversation, Consent):
            for row in (await session.execute(select(model))).scalars():
                blob = repr({c.key: getattr(row, c.key) for c in model.__table__.columns})
                for secret in (person.nik, Person(serial=9).nik, "Marhamah", "8139876543"):
                    assert secret not in blob, (model.__name__, secret)


async def test_logs_hold_no_personal_data(
    app: App, caplog: pytest.LogCaptureFixture, t: Translator
) -> None:
    from bot.logging_setup import RedactingFilter

    caplog.handler.addFilter(RedactingFilter())
    person = Person()
    with caplog.at_level(logging.DEBUG):
        await fill_registration(ConsoleChat(app), person)
        logging.getLogger("test").info("echo %s %s", person.nik, "+6281234567890")
    text = caplog.text
    assert person.nik not in text and "81234567890" not in text and person.name not in text


async def test_language_switch_keeps_the_place(app: App, t: Translator) -> None:
    en = app.i18n.get("en")
    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    await chat.say(Person().nik)
    await chat.say("/bahasa")
    out = await chat.press("English")
    assert en._("Question {n} of {total}", n=2, total=25) in out
    out = await chat.say("/bahasa")
    out = await chat.press("Bahasa Indonesia")
    assert q(t, 2) in out


async def test_an_old_button_does_not_change_anything(app: App, t: Translator) -> None:
    from handlers.messages import Incoming, Kind

    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    reply = await app.engine.handle(
        Incoming("console", chat.chat_id, Kind.BUTTON, button_id="consent:yes")
    )
    assert reply is not None and reply.notice and not reply.text
    reply = await app.engine.handle(
        Incoming("console", chat.chat_id, Kind.BUTTON, button_id="consent:no")
    )
    assert reply is not None and reply.notice
    assert await count(app, Conversation) == 1


async def test_group_chats_are_refused(app: App, t: Translator) -> None:
    from handlers.messages import Incoming, Kind

    reply = await app.engine.handle(
        Incoming("telegram", "-100", Kind.COMMAND, command="daftar", private=False)
    )
    assert reply is not None and "private" in app.i18n.get("en")._(
        "I only handle registrations in a private chat, to protect your data. "
        "Please send me a direct message."
    )
    assert await count(app, Conversation) == 0


async def test_nik_factory_matches_the_rules() -> None:
    from datetime import date

    from handlers.rules.nik import parse_nik

    assert parse_nik(make_nik(date(2001, 2, 3), female=True)).birth_day == 3


async def test_an_indonesian_dialogue_shows_no_english(app: App, t: Translator) -> None:
    """Every sentence a user sees comes translated: no English msgid leaks through."""
    from tests.test_locales import entries, load

    chat = ConsoleChat(app)
    await chat.say("/start")
    await chat.say("/bantuan")
    await fill_registration(chat, person_aged(app, 60), submit=False)
    await chat.press(t.C_("button", "Edit statements"))
    await chat.press(t.C_("button", "Keep the answer"))
    await chat.press(t.C_("button", "Keep the answer"))
    await chat.press(t.C_("button", "Member, or left <5y"))
    await chat.press(t.C_("button", "Correct my answer"))
    await chat.press(t.C_("button", "Left 5+ years ago"))
    await chat.say("/ubah")
    await chat.press(t.C_("button", "Submit"))
    await chat.say("/status")
    other = ConsoleChat(app, "dates")
    await other.say("/daftar")
    await other.press(t.C_("button", "I agree"))
    await other.say(Person().nik)
    await other.press(t.C_("button", "My date is different"))
    for bad in ("besok", "17 Agustusan 1990", "17/13/1990", "01/01/2999", "😀😀😀"):
        await other.say(bad)
    shown = "\n".join(out for _, out in chat.transcript + other.transcript)
    leaks = []
    for context, msgid, text, _ in entries(load("id")):
        if context in ("yes-words", "no-words") or text == msgid:
            continue
        fragment = msgid.split("{", 1)[0].strip()
        if len(fragment) >= 12 and fragment in shown:
            leaks.append(fragment)
    assert leaks == []


async def test_unknown_kecamatan_code_in_nik_warns_but_continues(app: App, t: Translator) -> None:
    from datetime import date

    chat = ConsoleChat(app)
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    out = await chat.say(make_nik(date(1990, 8, 17), region="747199"))  # no kecamatan 74.71.99
    assert "74.71.99" in out and q(t, 2) in out
    other = ConsoleChat(app, "other")
    await other.say("/daftar")
    await other.press(t.C_("button", "I agree"))
    out = await other.say(make_nik(date(1990, 8, 17), region="320101"))  # Jawa Barat: not loaded
    assert "32.01" not in out and q(t, 2) in out


async def test_typed_numbers_answer_number_questions_on_the_console(
    app: App, t: Translator
) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person(kelurahan="Korumba"), submit=False)
    await chat.press(t.C_("button", "Edit TPS"))
    await chat.press(t.C_("button", "Keep the answer"))  # kecamatan
    await chat.press(t.C_("button", "Keep the answer"))  # kelurahan
    out = await chat.say("10")  # TPS number 10, not the 10th option ("No TPS yet")
    assert t._("Please check your answers:") in out and "TPS 010" in out
    await chat.press(t.C_("button", "Edit background"))
    for _ in range(3):
        await chat.press(t.C_("button", "Keep the answer"))
    out = await chat.say("2")  # served twice, not option 2 ("Once")
    await chat.say("/ubah")
    assert t.C_("button", "Twice") in chat.last
