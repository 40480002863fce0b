"""Cek syarat through the aiogram adapter, against the local fake of the Bot API."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.app import App
from handlers.flows.eligibility import ABILITY, CONDUCT
from handlers.i18n import Translator
from tests.dialog import person_aged
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram_chat import TelegramChat, running_bot
from tests.test_eligibility import (
    APPEAR_TO_MEET,
    DOCUMENTS,
    GOOD,
    KNOCK_OUTS,
    NOT_ELIGIBLE,
    PERMISSION,
    REASONS,
    failing,
)


async def check(chat: TelegramChat, t: Translator, labels: Sequence[str]) -> str:
    await chat.say("/ceksyarat")
    out = await chat.say(person_aged(chat.app, 30).nik)
    for label in labels:
        out = await chat.press(t.C_("button", label))
    return out


def assert_clean(fake: FakeTelegramAPI) -> None:
    assert fake.errors == []
    assert fake.unanswered_callbacks() == []


async def test_all_good_over_telegram(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        out = await check(chat, t, GOOD)
        assert t._(APPEAR_TO_MEET) in out and "❌" not in out
        assert chat.buttons() == [t.C_("button", "Register now")]
        questions = fake.messages(chat.chat_id)[1:-1]  # after the date of birth: one each
        assert len(questions) == len(GOOD)
        assert all(message.buttons == [] for message in questions)  # answered: buttons gone
        assert_clean(fake)


@pytest.mark.parametrize(
    ("labels", "reason"),
    [
        *KNOCK_OUTS,
        *[(failing(s), REASONS[s.step]) for s in (*CONDUCT, *ABILITY)],
    ],
    ids=["citizen", "domicile", *[s.step.value for s in (*CONDUCT, *ABILITY)]],
)
async def test_a_hard_rule_answered_no_over_telegram(
    app: App, t: Translator, labels: list[str], reason: str
) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        out = await check(chat, t, labels)
        assert t._(NOT_ELIGIBLE) in out
        assert "❌ " + t._(reason, region="Kota Kendari") in out
        assert chat.buttons() == [t.C_("button", "Check again")]
        assert_clean(fake)


async def test_honorer_needs_the_surat_izin_atasan_over_telegram(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        out = await check(chat, t, [*GOOD[:-1], "Honorer"])
        assert t._(APPEAR_TO_MEET) in out
        assert "⚠️ " + t._(PERMISSION) in out
        (letter,) = [s for s in app.period.documents if s.required == "needs_permission"]
        assert letter.name in out.split(t._(DOCUMENTS))[1]
        assert chat.buttons() == [t.C_("button", "Register now")]
        assert_clean(fake)


async def test_typed_answers_over_telegram(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await chat.say("/ceksyarat")
        await chat.say(person_aged(app, 30).birth_text)
        typed = ["ya", "1", t.C_("button", "Never a member").lower(), "ya", "2", "ya", "ya"]
        for text in [*typed, "ya", t.C_("button", "SMA or higher"), "honorer"]:
            out = await chat.say(text)
        assert t._(APPEAR_TO_MEET) in out and "⚠️ " + t._(PERMISSION) in out
        assert chat.buttons() == [t.C_("button", "Register now")]
        out = await chat.say(t.C_("button", "Register now"))
        assert t.C_("button", "I agree") in chat.buttons()
        assert_clean(fake)
