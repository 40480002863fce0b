"""The whole path over Telegram, through the real adapter, the outbox and its sender, against
the fake Bot API: an applicant registers, the PPS is notified, reviews, asks for a correction,
the applicant replaces the document, the PPS marks MS, selects the seven of the TPS, publishes
(every applicant is told), and replaces a member who leaves by the next cadangan (PAW)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import App
from bot.channels.flood import FloodGate
from handlers.flows.officers.paw import ACCEPTED, OFFER
from handlers.flows.officers.publish import RESERVE, SELECTED
from handlers.i18n import Translator
from storage.domain import ApplicationStatus, Role, Seat
from tests.dialog import Person, fill_registration
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.officers_helpers import KORUMBA, add_applicant, application, make_invite, repos
from tests.telegram_chat import TelegramChat
from tests.test_documents_flow import jpeg
from tests.test_sender import make_sender

PPS_CHAT = 900_001
BUDI_CHAT = 700_001


@asynccontextmanager
async def bot_and_sender(app: App, fake: FakeTelegramAPI) -> AsyncIterator[None]:
    """The bot answering chats and its outbox sender, sharing one gate (fast per chat)."""
    sender, channel = make_sender(app, fake, FloodGate(29, 0.02), "s1")
    sending = asyncio.create_task(sender.run())
    polling = asyncio.create_task(channel.run(handle_signals=False))
    await fake.wait_for_call("getUpdates", timeout=10)
    try:
        yield
    finally:
        await channel.dispatcher.stop_polling()
        await polling
        sender.stop()
        await asyncio.wait_for(sending, timeout=10)


async def until_text(fake: FakeTelegramAPI, chat_id: int, text: str, within: float = 20) -> str:
    """Wait until a message of the bot in the chat contains ``text``; that message."""
    async with asyncio.timeout(within):
        while True:
            for message in reversed(fake.messages(chat_id)):
                if text in (message.text or ""):
                    return message.text
            await asyncio.sleep(0.02)


async def send_photo(fake: FakeTelegramAPI, chat: TelegramChat, seed: int) -> None:
    file_id = fake.add_file(jpeg(seed=seed), file_unique_id=f"photo-{seed}")
    fake.user_sends_photo(
        chat.chat_id, file_id=file_id, sizes=((1600, 1000),), user_id=chat.chat_id
    )
    await fake.wait_idle(timeout=20)


async def test_applicant_review_correction_selection_publish_and_paw(
    app: App, t: Translator
) -> None:
    members = [
        await add_applicant(
            app, f"Calon Anggota {n}", serial=n, chat_id=710_000 + n, prior_service=1
        )
        for n in range(1, 8)
    ]
    code = await make_invite(app, Role.PPS, KORUMBA)
    async with FakeTelegramAPI("123456:TEST-TOKEN") as fake, bot_and_sender(app, fake):
        pps = TelegramChat(fake, app, chat_id=PPS_CHAT)
        await pps.say(f"/petugas {code}")
        chat_menus = [c for c in fake.calls_of("setMyCommands") if "scope" in c.params]
        assert chat_menus and "pendaftar" in str(chat_menus[-1].params["commands"])

        budi = TelegramChat(fake, app, chat_id=BUDI_CHAT)
        await fill_registration(budi, Person())
        await until_text(fake, PPS_CHAT, "KPPS-7471-000001")  # the PPS hears at once
        await budi.press("KTP")
        await send_photo(fake, budi, seed=3)

        await pps.say("/pendaftar")
        await pps.press(t._("To review"))
        await pps.press("Budi Santoso")
        await pps.press(t.C_("button", "Documents"))
        await pps.press("KTP-el")
        sent = [c for c in fake.calls_of("sendDocument") if c.params.get("chat_id") == PPS_CHAT]
        assert sent, "the document is sent to the officer as a file"
        await pps.press(t.C_("button", "Needs correction"))
        await pps.say("Foto KTP-el buram")
        await until_text(fake, BUDI_CHAT, "Foto KTP-el buram")  # told through the outbox

        await budi.say("/dokumen")
        await budi.press("KTP")
        await send_photo(fake, budi, seed=4)
        await pps.say("KPPS-7471-000001")
        await pps.press(t.C_("button", "Mark MS"))
        assert (await application(app, 8)).status is ApplicationStatus.QUALIFIED

        out = await pps.say("/seleksi")
        await pps.press("TPS 002")
        out = pps.last
        assert "Calon Anggota 1" in out and "Budi Santoso" in out
        assert out.index("Calon Anggota 7") < out.index("Budi Santoso")  # experience first
        await pps.press(t.C_("button", "Confirm"))
        seats = [await application(app, i) for i in members]
        assert [a.seat for a in seats] == [Seat.KETUA] + [Seat.ANGGOTA] * 6
        budi_app = await application(app, 8)
        assert budi_app.status is ApplicationStatus.RESERVE and budi_app.reserve_rank == 1

        await pps.say("/umumkan")
        await pps.press(t.C_("button", "Publish"))
        ketua = await until_text(fake, 710_001, t._(SELECTED).split("{")[0])
        assert "Ketua" in ketua and "002" in ketua
        assert "Anggota" in await until_text(fake, 710_002, t._(SELECTED).split("{")[0])
        assert "1" in await until_text(fake, BUDI_CHAT, t._(RESERVE).split("{")[0])

        await pps.say("/paw")
        await pps.press("Calon Anggota 3")
        await pps.press(t.C_("button", "Mengundurkan diri"))
        offer = await until_text(fake, BUDI_CHAT, t._(OFFER).split("{")[0])
        assert "002" in offer
        await budi.press(t.C_("button", "Accept the seat"))
        await until_text(
            fake, PPS_CHAT, t._(ACCEPTED, name="Budi Santoso", number="KPPS-7471-000001", tps="002")
        )
        assert fake.errors == []
    left = await application(app, members[2])
    budi_app = await application(app, 8)
    assert left.status is ApplicationStatus.WITHDRAWN and left.seat is None
    assert budi_app.status is ApplicationStatus.SELECTED and budi_app.seat is Seat.ANGGOTA
    assert budi_app.seat_tps_id == (await application(app, members[0])).seat_tps_id
    async with app.db.transaction() as session:
        actions = [e.action for e in await repos(app, session).audit.entries(area=KORUMBA)]
    for action in (
        "officer_joined",
        "document_needs_fix",
        "qualified",
        "seat",
        "published",
        "left",
        "seat_offered",
        "seat_accepted",
    ):
        assert action in actions, action
    # a second press of the old offer (or a forged one) changes nothing
    from tests.officers_helpers import press

    reply = await press(app, str(BUDI_CHAT), "seat:1:yes", channel="telegram")
    assert reply.notice and not reply.text
