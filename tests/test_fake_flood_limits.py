"""Flood limits and persistently failing chats of the fake Bot API (tests/fakes/telegram_api.py)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter

from tests.fakes.telegram_api import FakeTelegramAPI, FloodLimits, ManualClock

CHAT = 5550001
GROUP = -100200300


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(flood_limits=FloodLimits(), clock=clock) as api:
        yield api


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def bot(fake: FakeTelegramAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(fake.token, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()


async def call(
    http: aiohttp.ClientSession, fake: FakeTelegramAPI, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    url = f"{fake.base_url}/bot{fake.token}/{method}"
    async with http.post(url, json=params) as resp:
        return resp.status, await resp.json()


async def send(
    http: aiohttp.ClientSession, fake: FakeTelegramAPI, chat_id: int | str, text: str = "halo"
) -> tuple[int, dict[str, Any]]:
    return await call(http, fake, "sendMessage", chat_id=chat_id, text=text)


def too_many(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


async def test_31st_message_within_a_second_is_429_and_not_delivered(
    fake: FakeTelegramAPI, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    for k in range(30):
        status, _ = await send(http, fake, CHAT + k, f"pesan {k}")
        assert status == 200
        clock.advance(0.01)
    status, body = await send(http, fake, CHAT + 30, "pesan 30")
    assert status == 429
    assert body == too_many(1)
    assert fake.messages(CHAT + 30) == []
    assert fake.calls[-1].failed and fake.calls[-1].status == 429
    assert fake.flood_rejections == 1
    assert fake.flood_rejections_by_chat == {CHAT + 30: 1}
    assert len(fake.accepted_sends()) == 30
    clock.advance(body["parameters"]["retry_after"])
    status, _ = await send(http, fake, CHAT + 30, "pesan 30")
    assert status == 200
    assert [m.text for m in fake.messages(CHAT + 30)] == ["pesan 30"]
    assert fake.flood_rejections == 1
    assert fake.errors == []


async def test_second_message_to_one_chat_within_a_second_is_429(
    fake: FakeTelegramAPI, clock: ManualClock, bot: Bot
) -> None:
    await bot.send_message(CHAT, "satu")
    clock.advance(0.4)
    with pytest.raises(TelegramRetryAfter) as exc_info:
        await bot.send_message(CHAT, "dua")
    assert exc_info.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in exc_info.value.message
    await bot.send_message(CHAT + 1, "lain")  # another chat is not held up
    assert [m.text for m in fake.messages(CHAT)] == ["satu"]
    clock.advance(exc_info.value.retry_after)
    await bot.send_message(CHAT, "dua")
    assert [m.text for m in fake.messages(CHAT)] == ["satu", "dua"]
    assert fake.flood_rejections == 1
    assert fake.flood_rejections_by_chat == {CHAT: 1}
    first, second = fake.accepted_sends(CHAT)
    assert second.at - first.at == pytest.approx(1.4)
    assert fake.errors == []


async def test_waiting_exactly_retry_after_is_enough(
    fake: FakeTelegramAPI, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    assert (await send(http, fake, CHAT))[0] == 200
    status, body = await send(http, fake, CHAT)  # same instant: the slot frees in 1.0 s
    assert (status, body) == (429, too_many(1))
    clock.advance(0.999)
    assert await send(http, fake, CHAT) == (429, too_many(1))
    clock.advance(0.001)
    assert (await send(http, fake, CHAT))[0] == 200
    assert fake.flood_rejections == 2
    assert len(fake.messages(CHAT)) == 2


async def test_rejected_sends_take_no_slot_and_are_counted_per_chat(
    fake: FakeTelegramAPI, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    assert (await send(http, fake, CHAT))[0] == 200
    assert (await send(http, fake, CHAT + 1))[0] == 200
    for _ in range(4):
        clock.advance(0.2)
        assert (await send(http, fake, CHAT))[0] == 429  # hammering does not extend the wait
    assert (await send(http, fake, CHAT + 1))[0] == 429
    clock.advance(0.2)  # 1.0 s after the first accepted send
    assert (await send(http, fake, CHAT))[0] == 200
    assert fake.flood_rejections == 5
    assert fake.flood_rejections_by_chat == {CHAT: 4, CHAT + 1: 1}
    assert [len(fake.messages(c)) for c in (CHAT, CHAT + 1)] == [2, 1]
    assert fake.errors == []


async def test_group_limit_is_20_a_minute_and_retry_after_counts_whole_seconds(
    fake: FakeTelegramAPI, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    for k in range(20):
        assert (await send(http, fake, GROUP, f"grup {k}"))[0] == 200
        clock.advance(1.0)
    clock.advance(0.5)  # 20.5 s after the first: its slot frees 39.5 s from now
    assert await send(http, fake, GROUP) == (429, too_many(40))
    clock.advance(39)
    assert await send(http, fake, GROUP) == (429, too_many(1))
    clock.advance(1)
    assert (await send(http, fake, GROUP))[0] == 200
    assert fake.flood_rejections_by_chat == {GROUP: 2}
    assert len(fake.messages(GROUP)) == 21


async def test_media_group_counts_one_message_per_item(
    fake: FakeTelegramAPI, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    for k in range(28):
        assert (await send(http, fake, CHAT + k))[0] == 200
    media = [{"type": "photo", "media": f"https://example.org/{i}.jpg"} for i in range(3)]
    status, body = await call(http, fake, "sendMediaGroup", chat_id=CHAT + 50, media=media)
    assert (status, body) == (429, too_many(1))  # 3 items do not fit in the 2 free slots
    assert (await send(http, fake, CHAT + 51))[0] == 200
    assert (await send(http, fake, CHAT + 52))[0] == 200
    assert (await send(http, fake, CHAT + 53))[0] == 429
    assert fake.flood_rejections_by_chat == {CHAT + 50: 1, CHAT + 53: 1}
    assert fake.errors == []


async def test_edits_chat_actions_and_callback_answers_are_not_limited(
    fake: FakeTelegramAPI, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    status, body = await send(http, fake, CHAT, "v0")
    assert status == 200
    message_id = body["result"]["message_id"]
    for k in range(1, 6):
        status, _ = await call(
            http, fake, "editMessageText", chat_id=CHAT, message_id=message_id, text=f"v{k}"
        )
        assert status == 200
        status, _ = await call(http, fake, "sendChatAction", chat_id=CHAT, action="typing")
        assert status == 200
    fake.push_update({"callback_query": {"id": "cb1", "from": {}, "chat_instance": "1"}})
    status, _ = await call(http, fake, "answerCallbackQuery", callback_query_id="cb1")
    assert status == 200
    assert fake.last_message(CHAT).text == "v5"
    assert fake.flood_rejections == 0
    assert fake.errors == []


async def test_a_sender_that_honours_retry_after_stays_under_the_limits(
    fake: FakeTelegramAPI, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    chats = [CHAT + k for k in range(75)] + [CHAT] * 3
    seen_429 = 0
    for n, chat in enumerate(chats):
        while True:
            status, body = await send(http, fake, chat, f"m{n}")
            if status == 200:
                break
            seen_429 += 1
            clock.advance(body["parameters"]["retry_after"])
        clock.advance(0.001)
    sends = fake.accepted_sends()
    assert len(sends) == len(chats)
    times = [c.at for c in sends]
    assert all(sum(t <= u < t + 1.0 for u in times) <= 30 for t in times)
    chat_times = [c.at for c in fake.accepted_sends(CHAT)]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(chat_times))
    # two 429s from the bot limit (the 31st and 61st send), two from CHAT's 1/s limit
    assert seen_429 == fake.flood_rejections == 4
    assert fake.flood_rejections_by_chat == {CHAT + 30: 1, CHAT + 60: 1, CHAT: 2}
    assert sum(t < times[0] + 2.0 for t in times) == 60  # the full 30/s is usable
    assert fake.errors == []


async def test_real_clock_by_default(http: aiohttp.ClientSession) -> None:
    async with FakeTelegramAPI(flood_limits=FloodLimits(per_chat=1)) as fake:
        before = time.monotonic()
        assert (await send(http, fake, CHAT))[0] == 200
        status, body = await send(http, fake, CHAT)
        assert (status, body) == (429, too_many(1))
        await asyncio.sleep(body["parameters"]["retry_after"])
        assert (await send(http, fake, CHAT))[0] == 200
        first, second = fake.accepted_sends(CHAT)
        assert before <= first.at and second.at - first.at >= 1.0
        assert second.at <= time.monotonic()
        assert fake.flood_rejections == 1


@pytest.mark.parametrize(
    ("reason", "status", "description", "error"),
    [
        ("blocked", 403, "Forbidden: bot was blocked by the user", TelegramForbiddenError),
        ("deactivated", 403, "Forbidden: user is deactivated", TelegramForbiddenError),
        ("not_found", 400, "Bad Request: chat not found", TelegramBadRequest),
    ],
)
async def test_blocked_chats_answer_the_real_error_every_time(
    fake: FakeTelegramAPI,
    bot: Bot,
    http: aiohttp.ClientSession,
    reason: str,
    status: int,
    description: str,
    error: type[Exception],
) -> None:
    fake.block_chat(CHAT, reason)  # type: ignore[arg-type]
    expected = {"ok": False, "error_code": status, "description": description}
    for _ in range(3):
        assert await send(http, fake, CHAT) == (status, expected)
        assert await call(http, fake, "sendChatAction", chat_id=CHAT, action="typing") == (
            status,
            expected,
        )
    with pytest.raises(error) as exc_info:
        await bot.send_message(CHAT, "halo")
    assert description in str(exc_info.value)
    assert fake.messages(CHAT) == []
    assert [(c.failed, c.status) for c in fake.calls] == [(True, status)] * 7
    assert fake.flood_rejections == 0  # no flood slot was taken either
    assert (await send(http, fake, CHAT + 1))[0] == 200
    fake.unblock_chat(CHAT)
    assert (await send(http, fake, CHAT))[0] == 200
    assert fake.errors == []


async def test_blocked_chats_take_no_flood_slot(http: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with FakeTelegramAPI(flood_limits=FloodLimits(per_bot=2), clock=clock) as fake:
        fake.block_chat(CHAT, "deactivated")
        for _ in range(5):
            assert (await send(http, fake, CHAT))[0] == 403
        assert (await send(http, fake, CHAT + 1))[0] == 200
        assert (await send(http, fake, CHAT + 2))[0] == 200
        assert (await send(http, fake, CHAT + 3))[0] == 429
        assert fake.flood_rejections == 1


def test_block_reason_and_limits_are_checked() -> None:
    fake = FakeTelegramAPI()
    with pytest.raises(ValueError, match="unknown block reason"):
        fake.block_chat(CHAT, "muted")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        FloodLimits(per_chat=0)
    with pytest.raises(ValueError, match="positive"):
        FloodLimits(window=0)


async def test_limits_are_off_by_default(http: aiohttp.ClientSession) -> None:
    async with FakeTelegramAPI() as fake:
        assert fake.flood_limits is None
        before = time.monotonic()
        for k in range(40):
            assert (await send(http, fake, CHAT, f"m{k}"))[0] == 200
        assert len(fake.messages(CHAT)) == 40
        assert len(fake.accepted_sends(CHAT)) == 40
        assert fake.flood_rejections == 0 and not fake.flood_rejections_by_chat
        ats = [c.at for c in fake.calls]
        assert ats == sorted(ats) and before <= ats[0] and ats[-1] <= time.monotonic()
        assert fake.errors == []
