"""Whole dialogues through the aiogram adapter, against a local fake of the Bot API."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App, build_app
from handlers.i18n import Translator
from tests.dialog import (
    Person,
    bad_input_script,
    fill_registration,
    q,
    run_script,
    summary_fragments,
)
from tests.telegram_chat import TelegramChat, running_bot


async def test_commands_are_registered_in_both_languages(app: App) -> None:
    async with running_bot(app) as (fake, _):
        await fake.wait_for_call("setMyCommands", count=2)
        names = [c["command"] for c in fake.commands]
        assert names == [
            "start",
            "daftar",
            "status",
            "dokumen",
            "tanya",
            "ceksyarat",
            "ubah",
            "batal",
            "datasaya",
            "hapus",
            "bantuan",
            "bahasa",
            "berhenti",
            "lanjut",
            "tautkan",
        ]
        assert any(lang == "en" for _, lang in fake.commands_by_scope)
        assert fake.errors == []


async def test_full_registration_over_telegram(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        out = await fill_registration(chat, Person())
        assert "KPPS-7471-000001" in out
        assert fake.errors == []
        assert fake.unanswered_callbacks() == []
        consent = next(m for m in fake.messages(chat.chat_id) if "UU 27/2022" in m.text)
        assert consent.buttons == []  # edited: the answer shown, the buttons gone
        assert "✅ " + t.C_("button", "I agree") in consent.text
        out = await chat.say("/status")
        assert "KPPS-7471-000001" in out and "Korumba" in out


async def test_every_button_fits_telegram(app: App) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await fill_registration(chat, Person(), submit=False)
        for call in fake.calls_of("sendMessage"):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    assert len(button["callback_data"].encode()) <= 64
        assert fake.errors == []


async def test_flood_control_429_is_retried_not_lost(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        fake.fail_next("sendMessage", status=429, retry_after=1, times=2)
        await chat.say("/start")
        assert t.C_("button", "Register now") in chat.buttons()
        statuses = [c.status for c in fake.calls_of("sendMessage")]
        assert statuses == [429, 429, 200]


@pytest.mark.parametrize("status", [502, 500, 0])
async def test_server_and_network_errors_are_retried(app: App, status: int) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        fake.fail_next("editMessageText", status=status, times=1)
        fake.fail_next("sendMessage", status=status, times=2)
        out = await chat.press("Setuju" if "Setuju" in str(chat.buttons()) else chat.buttons()[0])
        assert "NIK" in out
        assert fake.errors == []


async def test_a_redelivered_update_is_applied_once(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        update_id = fake.user_sends(chat.chat_id, Person().nik, user_id=chat.chat_id)
        await fake.wait_idle(timeout=20)
        sent = len(fake.calls_of("sendMessage"))
        fake.redeliver(update_id)
        await fake.wait_idle(timeout=20)
        assert len(fake.calls_of("sendMessage")) == sent
        assert q(t, 2) in chat.last


async def test_a_double_tap_on_a_button_is_answered_once(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        message = fake.messages(chat.chat_id)[-1]
        data = message.callback_data(t.C_("button", "I agree"))
        fake.user_presses(chat.chat_id, data, message_id=message.message_id)
        fake.user_presses(chat.chat_id, data, message_id=message.message_id)
        await fake.wait_idle(timeout=20)
        assert len([c for c in fake.calls_of("sendMessage")]) == 2  # /daftar + question 1
        assert fake.unanswered_callbacks() == []
        toasts = [a.text for a in fake.callback_answers if a.text]
        assert len(toasts) == 1


async def test_deep_link_from_a_pps(app: App) -> None:
    async with running_bot(app) as (fake, _):
        out = await TelegramChat(fake, app).say("/start 7471011006")
        assert "Korumba" in out


async def test_group_chat_gets_a_polite_refusal(app: App) -> None:
    async with running_bot(app) as (fake, _):
        fake.user_sends_group_message(-100123, "/daftar")
        await fake.wait_idle(timeout=20)
        texts = [m.text for m in fake.messages(-100123)]
        assert len(texts) == 1 and "pribadi" in texts[0].lower()


async def test_sticker_and_contact(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        fake.user_sends_sticker(chat.chat_id, user_id=chat.chat_id)
        await fake.wait_idle(timeout=20)
        assert t._("a sticker") in chat.last and q(t, 1) in chat.last
        person = Person()
        await chat.say(person.nik)
        await chat.press(t.C_("button", "Yes, that's right"))
        for answer in (person.name, person.birth_place):
            await chat.say(answer)
        fake.user_sends_contact(chat.chat_id, "+6281234567890", contact_user_id=chat.chat_id)
        await fake.wait_idle(timeout=20)
        assert q(t, 6) in chat.last


async def test_paging_edits_the_list_in_place(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await fill_registration(chat, Person(), submit=False)
        await chat.press(t.C_("button", "Edit TPS"))
        before = len(fake.messages(chat.chat_id))
        await chat.press("▶")
        assert len(fake.messages(chat.chat_id)) == before
        labels = chat.buttons()
        assert "Wua-Wua" in labels or "Puuwatu" in labels
        await chat.press("Puuwatu")
        assert q(t, 10) in chat.last


async def test_every_step_rejects_bad_input_over_telegram(app: App, t: Translator) -> None:
    person = Person()
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        await run_script(chat, bad_input_script(t, person))
        out = await chat.say("/ubah")
        for fragment in summary_fragments(person):
            assert fragment in out
        assert fake.errors == [] and fake.unanswered_callbacks() == []


async def test_restart_mid_flow_over_telegram(
    app: App, settings_factory: Any, t: Translator
) -> None:
    person = Person()
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        await chat.say(person.nik)
        await chat.say("ya")
        await chat.say(person.name)
    await app.close()
    restarted = await build_app(settings_factory())
    try:
        async with running_bot(restarted, first_update_id=200_001) as (fake, _):
            chat = TelegramChat(fake, restarted)
            out = await chat.say(person.birth_place)  # no /start: the answer to question 4
            assert q(t, 5) in out
            out = await chat.say("/ubah")
            assert person.name in out
    finally:
        await restarted.close()


async def test_same_nik_from_two_telegram_chats(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        await fill_registration(TelegramChat(fake, app, chat_id=800001), Person())
        second = TelegramChat(fake, app, chat_id=800002)
        await second.say("/daftar")
        await second.press(t.C_("button", "I agree"))
        out = await second.say(Person().nik)
        assert app.period.contact in out and q(t, 1) in out and "800001" not in out


async def test_update_ids_of_another_bot_are_not_taken_for_duplicates(
    app: App, t: Translator
) -> None:
    """Update ids count per bot: a new bot token may reuse numbers an old one had."""
    async with running_bot(app, token="111111:OLD") as (fake, _):
        await TelegramChat(fake, app).say("/start")
    async with running_bot(app, token="222222:NEW") as (fake, _):
        await TelegramChat(fake, app).say("/start")
        assert t.C_("button", "Register now") in TelegramChat(fake, app).buttons()


async def test_a_refused_callback_answer_does_not_lose_the_reply(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        fake.fail_next(
            "answerCallbackQuery",
            status=400,
            description="Bad Request: query is too old and response timeout expired",
        )
        out = await chat.press(t.C_("button", "I agree"))
        assert q(t, 1) in out


async def test_a_button_on_a_message_too_old_to_edit_still_gets_a_reply(
    app: App, t: Translator
) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/daftar")
        message = fake.messages(chat.chat_id)[-1]
        data = message.callback_data(t.C_("button", "I agree"))
        sent = len(fake.calls_of("sendMessage"))
        fake.push_update(
            {
                "callback_query": {
                    "id": "old-1",
                    "from": {"id": chat.chat_id, "is_bot": False, "first_name": "Warga"},
                    "message": {
                        "chat": {"id": chat.chat_id, "type": "private"},
                        "message_id": message.message_id,
                        "date": 0,
                    },
                    "chat_instance": "ci",
                    "data": data,
                }
            }
        )
        await fake.wait_idle(timeout=20)
        assert len(fake.calls_of("sendMessage")) == sent + 1
        assert q(t, 1) in chat.last
