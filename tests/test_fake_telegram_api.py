"""Tests of the fake Telegram Bot API server (tests/fakes/telegram_api.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from tests.fakes.telegram_api import FakeTelegramAPI, load_spec

CHAT = 5550001


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeTelegramAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(fake.token, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()


async def raw_call(fake: FakeTelegramAPI, method: str, **kwargs: object) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            kwargs.pop("http_method", "POST"),  # type: ignore[arg-type]
            f"{fake.base_url}/bot{fake.token}/{method}",
            **kwargs,  # type: ignore[arg-type]
        ) as resp,
    ):
        return resp.status, await resp.json()


def test_spec_is_loaded_once() -> None:
    assert load_spec() is load_spec()
    assert load_spec()["sendmessage"].fields["text"].required


async def test_get_me(fake: FakeTelegramAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "kpps_demo_bot"
    assert me.id == fake.bot_user["id"] == 123456
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert [c.method for c in fake.calls] == ["getMe"]
    assert fake.errors == []


async def test_unknown_method_is_404(fake: FakeTelegramAPI) -> None:
    status, body = await raw_call(fake, "sendTelepathy", data={"chat_id": "1"})
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_get_query_json_body_and_case_insensitive_names(fake: FakeTelegramAPI) -> None:
    status, body = await raw_call(fake, "getme", http_method="GET")
    assert status == 200 and body["result"]["username"] == "kpps_demo_bot"
    status, body = await raw_call(
        fake,
        "sendMessage",
        json={"chat_id": CHAT, "text": "hi", "reply_markup": {"inline_keyboard": []}},
    )
    assert status == 200
    assert body["result"]["chat"] == {"id": CHAT, "type": "private", "first_name": "Warga"}
    status, _ = await raw_call(
        fake, "sendMessage", http_method="GET", params={"chat_id": str(CHAT), "text": "q"}
    )
    assert status == 200
    assert fake.calls[-1].params == {"chat_id": CHAT, "text": "q"}
    assert [m.text for m in fake.messages(CHAT)] == ["hi", "q"]
    assert fake.errors == []


async def test_missing_and_unknown_params_are_errors(fake: FakeTelegramAPI) -> None:
    status, body = await raw_call(fake, "sendMessage", data={"chat_id": str(CHAT)})
    assert status == 400 and body["description"].startswith("Bad Request:")
    status, _ = await raw_call(
        fake, "sendMessage", data={"chat_id": str(CHAT), "text": "x", "colour": "red"}
    )
    assert status == 400
    assert len(fake.errors) == 2
    assert "text" in fake.errors[0] and "colour" in fake.errors[1]
    assert all(c.failed and c.status == 400 for c in fake.calls)
    assert fake.messages(CHAT) == []


async def test_send_message_with_keyboard(fake: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(
        CHAT, "<b>Halo</b> &amp; selamat", parse_mode="HTML", reply_markup=keyboard(("Ya", "y"))
    )
    assert sent.reply_markup is not None and sent.from_user is not None
    assert sent.from_user.username == "kpps_demo_bot"
    call = fake.calls[-1]
    assert call.method == "sendMessage"
    assert call.params["chat_id"] == CHAT
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Ya", "callback_data": "y"}]]
    }
    msg = fake.last_message(CHAT)
    assert msg.message_id == sent.message_id
    assert msg.text == "Halo & selamat" and msg.raw_text == "<b>Halo</b> &amp; selamat"
    assert msg.buttons == [[("Ya", "y")]]
    assert msg.callback_data("Ya") == "y"
    assert fake.errors == []


async def test_edit_and_delete_update_the_transcript(fake: FakeTelegramAPI, bot: Bot) -> None:
    first = await bot.send_message(CHAT, "one", reply_markup=keyboard(("A", "a")))
    second = await bot.send_message(CHAT, "two")
    edited = await bot.edit_message_text(
        "one, edited",
        chat_id=CHAT,
        message_id=first.message_id,
        reply_markup=keyboard(("B", "b")),
    )
    assert isinstance(edited, Message) and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "one, edited",
            chat_id=CHAT,
            message_id=first.message_id,
            reply_markup=keyboard(("B", "b")),
        )
    await bot.edit_message_reply_markup(chat_id=CHAT, message_id=first.message_id)
    assert await bot.delete_message(CHAT, second.message_id) is True
    [msg] = fake.messages(CHAT)
    assert (msg.message_id, msg.text, msg.buttons) == (first.message_id, "one, edited", [])
    assert fake.errors == []  # "not modified" is a state answer, not a contract violation
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(CHAT, second.message_id)
    assert len(fake.errors) == 1
    fake.errors.clear()


async def test_limits_are_enforced(fake: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "pick", reply_markup=keyboard(("Long", "x" * 65)))
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(CHAT, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="non-empty"):
        await bot.send_message(CHAT, "pick", reply_markup=keyboard((" ", "ok")))
    await bot.send_message(CHAT, "a" * 4096, reply_markup=keyboard(("Ok", "x" * 64)))
    assert len(fake.errors) == 3
    assert "BUTTON_DATA_INVALID" in fake.errors[0]
    assert len(fake.messages(CHAT)) == 1
    fake.errors.clear()


async def test_get_updates_long_poll(fake: FakeTelegramAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5, allowed_updates=["message"]))
    await fake.wait_for_call("getUpdates")
    update_id = fake.user_sends(CHAT, "/start ref42", first_name="Siti")
    [update] = await asyncio.wait_for(poll, 3)
    assert update.update_id == update_id
    assert update.message is not None and update.message.text == "/start ref42"
    assert update.message.chat.type == "private" and update.message.chat.first_name == "Siti"
    [entity] = update.message.entities or []
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    # not confirmed yet: returned again; offset confirms it
    assert [u.update_id for u in await bot.get_updates()] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == []
    # redelivery hands the very same update out again despite the offset
    fake.redeliver(update_id)
    [again] = await bot.get_updates(offset=update_id + 1)
    assert again.update_id == update_id and again.message is not None
    assert await bot.get_updates(offset=update_id + 1, timeout=1) == []


async def test_user_actions_produce_valid_updates(fake: FakeTelegramAPI, bot: Bot) -> None:
    file_id = fake.add_file(b"%PDF-1.4", file_unique_id="ktp1")
    fake.user_sends_sticker(CHAT)
    fake.user_sends_photo(CHAT, file_id="PHOTO-BIG", sizes=[(90, 90), (800, 600)])
    fake.user_sends_document(CHAT, file_id, "ktp.pdf", "application/pdf", 8)
    fake.user_sends_contact(CHAT, "+6281234567890")
    fake.user_sends_group_message(-100777, "halo grup")
    updates = await bot.get_updates()
    messages = [u.message for u in updates]
    assert all(m is not None for m in messages)
    sticker, photo, document, contact, group = messages
    assert sticker and sticker.sticker is not None
    assert photo and photo.photo and photo.photo[-1].file_id == "PHOTO-BIG"
    assert document and document.document and document.document.file_unique_id == "ktp1"
    assert contact and contact.contact and contact.from_user
    assert contact.contact.user_id == contact.from_user.id == CHAT
    assert group and group.chat.type == "group" and group.text == "halo grup"
    assert len({m.message_id for m in messages if m and m.chat.id == CHAT}) == 4


async def test_fail_next_429_surfaces_as_retry_after(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=1)
    with pytest.raises(TelegramRetryAfter) as exc_info:
        await bot.send_message(CHAT, "hello")
    assert exc_info.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in exc_info.value.message
    await bot.send_message(CHAT, "hello")
    assert [(c.failed, c.status) for c in fake.calls] == [(True, 429), (False, 200)]
    assert [m.text for m in fake.messages(CHAT)] == ["hello"]
    assert fake.errors == []


async def test_fail_next_server_error_and_dropped_connection(
    fake: FakeTelegramAPI, bot: Bot
) -> None:
    fake.fail_next("sendMessage", status=502)
    fake.fail_next("sendChatAction", status=0, times=2)
    with pytest.raises(TelegramServerError):
        await bot.send_message(CHAT, "x")
    for _ in range(2):
        with pytest.raises(TelegramNetworkError):
            await bot.send_chat_action(CHAT, "typing")
    assert await bot.send_chat_action(CHAT, "typing") is True
    assert [c.failed for c in fake.calls] == [True, True, True, False]
    assert fake.messages(CHAT) == []
    assert fake.errors == []


async def test_callback_queries_must_be_answered_once(fake: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Bersedia?", reply_markup=keyboard(("Ya", "yes")))
    with pytest.raises(AssertionError, match="no current bot message"):
        fake.user_presses(CHAT, "nope")
    fake.user_presses(CHAT, "yes")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.data == "yes"
    assert isinstance(query.message, Message) and query.message.message_id == sent.message_id
    assert fake.unanswered_callbacks() == [query.id]
    await bot.answer_callback_query(query.id, text="Terima kasih", show_alert=True)
    assert fake.unanswered_callbacks() == []
    assert fake.callback_answers[0].text == "Terima kasih" and fake.callback_answers[0].show_alert
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query(query.id)
    assert len(fake.errors) == 1
    fake.errors.clear()


async def test_commands_and_harmless_methods(fake: FakeTelegramAPI, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Mulai")])
    assert fake.commands == [{"command": "start", "description": "Mulai"}]
    [cmd] = await bot.get_my_commands()
    assert cmd.command == "start"
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert await bot.set_my_description("Rekrutmen KPPS") is True
    assert await bot.log_out() is True and await bot.close() is True
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    assert len(fake.errors) == 1
    fake.errors.clear()


async def test_get_file_and_download(fake: FakeTelegramAPI, bot: Bot) -> None:
    file_id = fake.add_file(b"\x89PNG fake image", file_unique_id="u1", file_name="ktp.png")
    info = await bot.get_file(file_id)
    assert info.file_unique_id == "u1" and info.file_size == 15 and info.file_path
    data = await bot.download(file_id)
    assert data is not None and data.read() == b"\x89PNG fake image"
    with pytest.raises(TelegramBadRequest):
        await bot.get_file("missing")
    assert len(fake.errors) == 1
    fake.errors.clear()


async def test_send_document_upload(fake: FakeTelegramAPI, bot: Bot) -> None:
    payload = b"nama,nik\nSiti,3201\n" * 1000
    sent = await bot.send_document(
        CHAT, BufferedInputFile(payload, filename="rekap.csv"), caption="Rekap"
    )
    assert sent.document is not None and sent.document.file_name == "rekap.csv"
    msg = fake.last_message(CHAT)
    assert msg.document is not None and msg.document.data == payload
    assert msg.caption == "Rekap"
    assert fake.calls[-1].params["document"].filename == "rekap.csv"
    downloaded = await bot.download(sent.document.file_id)
    assert downloaded is not None and downloaded.read() == payload
    assert fake.errors == []


async def test_wait_for_call_timeout_is_readable(fake: FakeTelegramAPI, bot: Bot) -> None:
    await bot.get_me()
    with pytest.raises(AssertionError, match=r"(?s)sendMessage.*recent calls.*getMe"):
        await fake.wait_for_call("sendMessage", timeout=0.05)


async def test_polling_dispatcher_and_wait_idle(fake: FakeTelegramAPI, bot: Bot) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Selamat datang!", reply_markup=keyboard(("Daftar", "register")))

    @router.callback_query(F.data == "register")
    async def register(query: CallbackQuery) -> None:
        await asyncio.sleep(0.02)  # some work between the update and the replies
        assert isinstance(query.message, Message)
        await query.message.edit_text("Silakan kirim nama lengkap Anda.")
        await query.answer()

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(
        dp.start_polling(bot, polling_timeout=1, handle_signals=False, close_bot_session=False)
    )
    try:
        fake.user_sends(CHAT, "/start")
        await fake.wait_idle()
        assert fake.last_message(CHAT).buttons == [[("Daftar", "register")]]
        for _ in range(3):  # repeat presses: every one is answered exactly once
            fake.user_presses(CHAT, "register")
            await fake.wait_idle()
            fake.push_update(
                {"message": {"message_id": 999, "date": 0, "chat": {"id": 1, "type": "private"}}}
            )
            await fake.wait_idle()
            fake.user_sends(CHAT, "/start")
            await fake.wait_idle()
        assert [m.text for m in fake.messages(CHAT)][:2] == [
            "Silakan kirim nama lengkap Anda.",
            "Silakan kirim nama lengkap Anda.",
        ]
        assert len(fake.callback_answers) == 3
        assert fake.unanswered_callbacks() == []
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
    assert fake.errors == []


@pytest.mark.parametrize("handle_as_tasks", [True, False])
async def test_wait_idle_waits_for_slow_handlers(
    fake: FakeTelegramAPI, bot: Bot, handle_as_tasks: bool
) -> None:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await asyncio.sleep(0.15)  # longer than the quiet period
        await asyncio.to_thread(time.sleep, 0.1)  # like a database call in a thread
        await message.answer(f"echo: {message.text}")
        await asyncio.sleep(0.1)
        await message.answer("done")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            polling_timeout=1,
            handle_signals=False,
            close_bot_session=False,
            handle_as_tasks=handle_as_tasks,
        )
    )
    try:
        for i in range(3):
            fake.user_sends(CHAT, f"m{i}")
        await fake.wait_idle()
        texts = sorted(m.text or "" for m in fake.messages(CHAT))
        assert texts == ["done"] * 3 + ["echo: m0", "echo: m1", "echo: m2"]
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
    assert fake.errors == []


async def test_wait_idle_times_out_readably_without_a_poller(fake: FakeTelegramAPI) -> None:
    fake.user_sends(CHAT, "anyone?")
    with pytest.raises(AssertionError, match="updates not fetched"):
        await fake.wait_idle(timeout=0.1)
