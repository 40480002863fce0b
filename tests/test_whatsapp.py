"""Whole dialogues through the WhatsApp adapter and its webhook server, against a local fake
of the Cloud API that validates every body against the v23.0 spec and Meta's limits."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.app import App, build_app
from handlers.flows.registration.table import NIK_TAKEN as DUPLICATE_NIK
from handlers.i18n import Translator
from storage.models import (
    Conversation,
    Document,
    Identity,
    ProcessedUpdate,
    WhatsAppContact,
    WhatsAppInbox,
)
from tests.dialog import Person, fill_registration, q
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.test_documents_flow import jpeg, pdf_bytes
from tests.whatsapp_chat import (
    VERIFY_TOKEN,
    WhatsAppChat,
    running_whatsapp,
    serving,
)

NUMBER = "6281234567890"


async def count(app: App, model: Any) -> int:
    async with app.db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


# -- the webhook ----------------------------------------------------------------------------


async def test_verification_answers_the_challenge_only_with_our_token(app: App) -> None:
    async with running_whatsapp(app) as (fake, _):
        assert await fake.verify("subscribe", VERIFY_TOKEN, "1158201444") == (200, "1158201444")
        status, body = await fake.verify("subscribe", "wrong-token", "1158201444")
        assert status == 403 and "1158201444" not in body
        assert (await fake.verify("unsubscribe", VERIFY_TOKEN, "x"))[0] == 403


async def test_signature_missing_or_wrong_is_refused_and_nothing_processed(
    app: App, t: Translator
) -> None:
    async with running_whatsapp(app) as (fake, channel):
        payload = fake.envelope([fake.message(NUMBER, "text", {"body": "/start"})], number=NUMBER)
        assert await fake.post_webhook(payload, sign=False) == 401
        assert await fake.post_webhook(payload, secret="not-the-app-secret") == 403
        tampered = json.dumps(payload).encode()
        signature = fake.signature(tampered)
        headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
        async with fake._client.post(
            fake.webhook_url or "", data=tampered + b" ", headers=headers
        ) as response:
            assert response.status == 403
        await channel.idle()
        assert fake.sent == []
        assert await count(app, WhatsAppInbox) == 0
        assert await count(app, ProcessedUpdate) == 0

        assert await fake.post_webhook(payload) == 200
        await channel.idle()
        assert t.C_("button", "Register now") in [
            title for m in fake.sent for _, title in m.choices()
        ]
        assert await count(app, WhatsAppInbox) == 0  # processed, then forgotten
        assert fake.invalid == []


async def test_a_redelivered_message_is_answered_once(app: App) -> None:
    async with running_whatsapp(app) as (fake, channel):
        message = fake.message(NUMBER, "text", {"body": "/start"})
        payload = fake.envelope([message], number=NUMBER)
        assert await fake.post_webhook(payload) == 200
        await channel.idle()
        answered = len(fake.sent)
        assert answered >= 1
        assert await fake.post_webhook(payload) == 200  # Meta retries: the same wamid
        await channel.idle()
        assert len(fake.sent) == answered
        async with app.db.transaction() as session:
            keys = (await session.execute(select(ProcessedUpdate.external_id))).scalars().all()
        assert keys == [message["id"]]


async def test_a_body_recorded_before_a_crash_is_processed_at_the_next_start(
    app: App, t: Translator
) -> None:
    async with FakeWhatsAppAPI() as fake:
        async with serving(app, fake) as channel:

            async def crash(row_id: int, body: bytes) -> None:
                raise SystemExit("killed between the 200 and the processing")

            channel._process = crash  # type: ignore[method-assign]
            channel._spawn = lambda row_id, body: None  # type: ignore[method-assign]
            assert await fake.user_sends(NUMBER, "/start") is not None
        assert fake.sent == []
        assert await count(app, WhatsAppInbox) == 1  # recorded before the 200

        async with serving(app, fake):  # the restart processes it before serving
            pass
        assert t.C_("button", "Register now") in [
            title for m in fake.messages_to(NUMBER) for _, title in m.choices()
        ]
        assert await count(app, WhatsAppInbox) == 0
        assert fake.invalid == []


async def test_the_server_refuses_to_start_without_its_secrets(settings_factory: Any) -> None:
    from bot.app import StartRefused, whatsapp_with_sender

    app = await build_app(
        settings_factory(whatsapp_access_token="token", whatsapp_phone_number_id="1")
    )
    try:
        with pytest.raises(StartRefused) as refused:
            whatsapp_with_sender(app)
        names = refused.value.params["names"]
        assert "KPPS_WHATSAPP_APP_SECRET" in names and "KPPS_WHATSAPP_VERIFY_TOKEN" in names
        assert "KPPS_WHATSAPP_ACCESS_TOKEN" not in names
    finally:
        await app.close()


# -- whole conversations --------------------------------------------------------------------


async def test_full_registration_over_whatsapp(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        out = await fill_registration(chat, Person())
        assert "KPPS-7471-000001" in out
        out = await chat.say("/status")
        assert "KPPS-7471-000001" in out and "Korumba" in out
        assert fake.invalid == []
        assert len(fake.sent) > 25
        for message in fake.sent:
            assert message.to == NUMBER
            if message.type == "interactive":
                kind = message.body["interactive"]["type"]
                assert kind in ("button", "list")


async def test_typed_text_matches_an_option(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        await chat.say("/daftar")
        out = await chat.say(t.C_("button", "I agree").lower())  # typed, not tapped
        assert q(t, 1) in out
        assert fake.invalid == []


async def up_to_the_phone(chat: WhatsAppChat, t: Translator, person: Person) -> str:
    """Start the registration and answer up to the phone question (question 5)."""
    await chat.say("/daftar")
    await chat.press(t.C_("button", "I agree"))
    await chat.say(person.nik)
    await chat.press(t.C_("button", "Yes, that's right"))
    await chat.say(person.name)
    return await chat.say(person.birth_place)


async def test_a_long_list_is_paged_or_typed(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        person = Person()
        await up_to_the_phone(chat, t, person)
        for answer in (person.phone, person.address):
            await chat.say(answer)
        await chat.say(person.rt_rw)
        out = await chat.press(t.C_("button", "Yes, I live there"))
        assert q(t, 9) in out  # kecamatan: 11 of them, a paged list
        page_one = chat.buttons()
        assert len(page_one) == 9
        out = await chat.press("▶ 2")
        page_two = chat.buttons()
        assert page_two and not set(page_two) & set(page_one)
        out = await chat.press("◀ 1")
        assert chat.buttons() == page_one
        out = await chat.press("Mandonga")
        assert q(t, 10) in out
        out = await chat.say("korumba")  # typed from a list it shows
        assert q(t, 11) in out
        assert fake.invalid == []


# -- documents ------------------------------------------------------------------------------


async def registered(fake: FakeWhatsAppAPI, channel: Any, app: App) -> WhatsAppChat:
    chat = WhatsAppChat(fake, channel, app, number=NUMBER)
    await fill_registration(chat, Person())
    return chat


async def documents(app: App) -> list[Document]:
    async with app.db.transaction() as session:
        return list((await session.execute(select(Document))).scalars())


async def test_a_document_is_fetched_by_media_id_and_stored(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = await registered(fake, channel, app)
        await chat.press("KTP")
        media_id = fake.add_media(pdf_bytes(), "application/pdf")
        out = await chat.send_document(media_id, "ktp.pdf", "application/pdf")
        assert t._("sent, waiting for the PPS check") in out
        assert fake.downloads == [media_id]
        [row] = await documents(app)
        assert row.kind == "ktp" and row.mime == "application/pdf"
        await chat.press("Ijazah")
        photo = fake.add_media(jpeg(), "image/jpeg")
        out = await chat.send_image(photo)
        assert t._("sent, waiting for the PPS check") in out
        assert len(await documents(app)) == 2
        assert fake.invalid == []


async def test_an_oversize_document_is_refused_before_download(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = await registered(fake, channel, app)
        await chat.press("KTP")
        media_id = fake.add_media(pdf_bytes(), "application/pdf", declared_size=25 * 1024 * 1024)
        out = await chat.send_document(media_id, "ktp.pdf", "application/pdf")
        assert "25" in out
        assert fake.downloads == []
        assert await documents(app) == []
        assert fake.invalid == []


@pytest.mark.parametrize("failure", ["fail_metadata", "fail_download"])
async def test_a_media_fetch_failure_asks_to_send_again_and_stores_nothing(
    app: App, t: Translator, failure: str
) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = await registered(fake, channel, app)
        await chat.press("KTP")
        media_id = fake.add_media(pdf_bytes(), "application/pdf", **{failure: True})
        out = await chat.send_document(media_id, "ktp.pdf", "application/pdf")
        assert t._("I could not receive this file. Please send it again.") in out
        assert await documents(app) == []
        files = app.settings.data_dir / "files"
        assert not files.exists() or not [p for p in files.rglob("*") if p.is_file()]
        assert fake.invalid == []


async def test_forms_are_uploaded_and_sent_as_documents(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = await registered(fake, channel, app)
        await chat.press(t.C_("button", "Get the forms"))
        documents_sent = [m for m in fake.sent if m.type == "document"]
        assert len(documents_sent) == 3
        text = ""
        for message in documents_sent:
            data, name, mime = fake.uploads[message.body["document"]["id"]]
            assert mime == "application/pdf" and name.endswith(".pdf")
            text += "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        assert Person().name in text
        assert fake.invalid == []


# -- identity -------------------------------------------------------------------------------


async def identities(app: App) -> int:
    return await count(app, Identity)


async def test_the_user_id_identifies_the_person_and_the_number_is_kept(
    app: App, t: Translator
) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER, user_id="ID.1502576394655843")
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        assert await identities(app) == 1 and await count(app, WhatsAppContact) == 1
        # the same person from a new number: still the same conversation (by user id)
        chat.number = "6281298765432"
        out = await chat.say(Person().nik)
        assert q(t, 2) in out
        assert await identities(app) == 1
        async with app.db.transaction() as session:
            from storage.repositories import Repos

            repos = Repos(session, app.crypto, app.settings.wilayah_edition)
            assert await repos.whatsapp.number_of("ID.1502576394655843") == "6281298765432"
        assert fake.invalid == []


async def test_a_changed_number_keeps_the_conversation(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        new = "6285211112222"
        status = await fake.system_change(NUMBER, "user_changed_number", new_number=new)
        assert status == 200
        await channel.idle()
        chat.number = new
        out = await chat.say(Person().nik)
        assert q(t, 2) in out  # the same draft, at the next question
        assert await identities(app) == 1
        assert fake.invalid == []


async def test_a_changed_user_id_keeps_the_conversation(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER, user_id="ID.111")
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        await fake.system_change(
            NUMBER, "user_changed_user_id", user_id="ID.111", new_user_id="ID.222"
        )
        await channel.idle()
        chat.user_id = "ID.222"
        out = await chat.say(Person().nik)
        assert q(t, 2) in out
        assert await identities(app) == 1


async def test_one_nik_one_application_across_telegram_and_whatsapp(
    app: App, t: Translator
) -> None:
    from tests.telegram_chat import TelegramChat, running_bot

    async with running_bot(app) as (telegram, _):
        await fill_registration(TelegramChat(telegram, app), Person())
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        await chat.say("/daftar")
        await chat.press(t.C_("button", "I agree"))
        out = await chat.say(Person().nik)
        assert t._(DUPLICATE_NIK, contact=app.period.contact) in out
        assert q(t, 1) in out and q(t, 2) not in out  # asked for a NIK again
        assert "KPPS-7471" not in out  # no hint of whose application it is
        assert fake.invalid == []


# -- sending on its own (outbox) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (131047, "OutsideReplyWindow"),
        (130429, "RateLimited"),
        (131056, "RateLimited"),
        (80007, "RateLimited"),
        (131048, "RateLimited"),
        (131026, "Unreachable"),
        (131049, "Unreachable"),
        (131050, "Unreachable"),
        (100, "PermanentFailure"),
        (131000, "TransientFailure"),
    ],
)
async def test_deliver_classifies_graph_errors(app: App, code: int, kind: str) -> None:
    from bot.channels import common
    from bot.channels.flood import bulk
    from handlers.messages import Reply

    async with running_whatsapp(app) as (fake, channel):
        fake.fail_next(code, status=500 if code == 131000 else 400)
        with pytest.raises(common.DeliveryFailed) as failed, bulk():
            await channel.deliver(NUMBER, Reply(text="Halo"))
        assert type(failed.value).__name__ == kind
        assert (await channel.deliver(NUMBER, Reply(text="Halo"))).startswith("wamid.")


async def test_an_invalid_token_is_a_clear_fatal_error(app: App) -> None:
    from bot.channels.common import ChannelMisconfigured
    from handlers.messages import Reply

    async with running_whatsapp(app) as (fake, channel):
        fake.token = "rotated"
        with pytest.raises(ChannelMisconfigured, match="KPPS_WHATSAPP_ACCESS_TOKEN"):
            await channel.deliver(NUMBER, Reply(text="Halo"))


async def test_logs_hold_no_number_user_id_or_token(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER, user_id="ID.1502576394655843")
        await chat.say("/start")
        await fake.system_change(NUMBER, "user_changed_number", new_number="6285211112222")
        await channel.idle()
    text = caplog.text
    for secret in (NUMBER, "1502576394655843", "6285211112222", fake.token):
        assert secret not in text


async def test_the_channel_requires_its_secrets(app: App) -> None:
    from bot.channels.whatsapp import GraphClient, WhatsAppChannel

    client = GraphClient(token="t", phone_number_id="1", api_base="http://127.0.0.1:9")
    for secret, verify in (("", "v"), ("s", "")):
        with pytest.raises(ValueError, match="app secret and the verify token"):
            WhatsAppChannel(app.engine, client, app_secret=secret, verify_token=verify)
    await client.close()


async def test_the_outbox_sender_delivers_and_statuses_never_move_backwards(
    app: App, t: Translator
) -> None:
    import asyncio

    from bot.app import outbox_sender
    from storage.domain import OutgoingMessage
    from storage.models import OutboxMessage, utcnow
    from storage.repositories import Repos
    from tests.test_sender import settled

    async with running_whatsapp(app) as (fake, channel):
        user = WhatsAppChat(fake, channel, app, number=NUMBER, user_id="ID.77")
        await user.say("/start")  # the identity is the user id, its number is kept
        gone = WhatsAppChat(fake, channel, app, number="6281311112222")
        await gone.say("/start")
        fake.fail_for(gone.number, 131026)  # no longer on WhatsApp
        async with app.db.transaction() as session:
            repos = Repos(session, app.crypto, app.settings.wilayah_edition)
            for external, key in (("ID.77", "a"), (gone.number, "b")):
                actor = await repos.people.resolve("whatsapp", external)
                assert actor.person_id is not None
                await repos.outbox.enqueue(
                    person_id=actor.person_id,
                    channel="whatsapp",
                    kind="result",
                    message=OutgoingMessage("Thank you. Let's begin."),
                    key=f"result:{key}",
                    now=utcnow(),
                )
        sender = outbox_sender(app, channel, channel.gate, "whatsapp", "test")
        running = asyncio.create_task(sender.run())
        try:
            rows = await settled(app)
        finally:
            sender.stop()
            await running
        by_key = {row.idempotency_key: row for row in rows}
        assert by_key["result:a"].status == "sent"
        assert by_key["result:b"].status == "unreachable"
        [sent] = [m for m in fake.messages_to(NUMBER) if m.text == t._("Thank you. Let's begin.")]
        assert by_key["result:a"].platform_message_id == sent.id

        for status in ("delivered", "read", "delivered", "sent"):  # out of order
            assert await fake.statuses((sent.id, NUMBER, status)) == 200
        await channel.idle()
        async with app.db.transaction() as session:
            row = await session.get(OutboxMessage, by_key["result:a"].id)
            assert row is not None and row.platform_status == "read"
        assert fake.invalid == []


async def test_a_failure_reported_after_sending_is_recorded_and_reported(
    app: App, t: Translator
) -> None:
    import asyncio

    from bot import broadcast
    from bot.app import outbox_sender
    from storage.domain import OutgoingMessage
    from storage.models import OutboxMessage, utcnow
    from storage.repositories import Repos
    from tests.test_sender import settled

    async with running_whatsapp(app) as (fake, channel):
        user = WhatsAppChat(fake, channel, app, number=NUMBER)
        await user.say("/start")
        async with app.db.transaction() as session:
            repos = Repos(session, app.crypto, app.settings.wilayah_edition)
            actor = await repos.people.resolve("whatsapp", NUMBER)
            assert actor.person_id is not None
            await repos.outbox.enqueue(
                person_id=actor.person_id,
                channel="whatsapp",
                kind="broadcast",
                message=OutgoingMessage("Thank you. Let's begin."),
                key=f"broadcast:b1:{actor.person_id}",
                now=utcnow(),
            )
        sender = outbox_sender(app, channel, channel.gate, "whatsapp", "test")
        running = asyncio.create_task(sender.run())
        try:
            [row] = await settled(app)
        finally:
            sender.stop()
            await running
        assert row.status == "sent"
        assert await fake.statuses((row.platform_message_id, NUMBER, "failed", 131026)) == 200
        await channel.idle()
        async with app.db.transaction() as session:
            stored = await session.get(OutboxMessage, row.id)
            recipient = await Repos(session, app.crypto, "x").people.recipient(
                actor.person_id, "whatsapp"
            )
        assert stored is not None and stored.platform_status == "failed"
        assert stored.status == "unreachable" and "131026" in (stored.last_error or "")
        assert recipient is not None and recipient.unreachable  # nothing more is sent there
    report = await broadcast.report(app, "b1")
    assert report["statuses"] == {"unreachable": 1}


# -- kpps-bot run ---------------------------------------------------------------------------


def test_run_refuses_an_incomplete_whatsapp_configuration(
    tmp_path: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli import cli

    for key, value in {
        "KPPS_DATA_DIR": str(tmp_path / "data"),
        "KPPS_DATABASE_URL": database_url,
        "KPPS_LOAD_DEMO_DATA": "false",
        "KPPS_WHATSAPP_ACCESS_TOKEN": "EAA-not-to-be-printed",
        "KPPS_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KPPS_TELEGRAM_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 1, result.output
    assert "WhatsApp belum dikonfigurasi lengkap" in result.output
    assert "KPPS_WHATSAPP_APP_SECRET" in result.output
    assert "KPPS_WHATSAPP_VERIFY_TOKEN" in result.output
    assert "EAA-not-to-be-printed" not in result.output


async def test_run_serves_the_webhook_and_stops_cleanly(settings_factory: Any) -> None:
    import asyncio
    import socket

    import aiohttp

    from bot.cli import _serve_channels

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = await build_app(
        settings_factory(
            whatsapp_access_token="token",
            whatsapp_app_secret="secret",
            whatsapp_verify_token="verify",
            whatsapp_phone_number_id="106540352242922",
            whatsapp_api_base="http://127.0.0.1:9",
            whatsapp_host="127.0.0.1",
            whatsapp_port=port,
        )
    )
    serving_task = asyncio.create_task(_serve_channels(app))
    try:
        query = {"hub.mode": "subscribe", "hub.verify_token": "verify", "hub.challenge": "42"}
        url = f"http://127.0.0.1:{port}/webhook"
        async with aiohttp.ClientSession() as session, asyncio.timeout(20):
            while True:
                try:
                    async with session.get(url, params=query) as response:
                        assert (response.status, await response.text()) == (200, "42")
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
    finally:
        serving_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving_task
        await app.close()


# -- what people send besides text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content", "expected"),
    [
        ("sticker", {"id": "1", "mime_type": "image/webp", "sha256": "x"}, "sticker"),
        ("audio", {"id": "1", "mime_type": "audio/ogg", "sha256": "x", "voice": True}, "voice"),
        ("video", {"id": "1", "mime_type": "video/mp4", "sha256": "x"}, "video"),
        ("location", {"latitude": -3.97, "longitude": 122.5}, "location"),
        ("unsupported", {}, "other"),
    ],
)
def test_other_kinds_are_translated(kind: str, content: dict[str, Any], expected: str) -> None:
    from bot.channels.whatsapp import Sender, message_to_incoming

    message = {"from": NUMBER, "id": "wamid.1", "timestamp": "1", "type": kind, kind: content}
    incoming = message_to_incoming(message, Sender(NUMBER, NUMBER, None))
    assert incoming is not None and incoming.kind.value == expected
    assert incoming.update_id == "wamid.1" and incoming.chat_id == NUMBER


def test_a_shared_contact_is_own_only_with_the_senders_number() -> None:
    from bot.channels.whatsapp import Sender, message_to_incoming

    def card(wa_id: str | None) -> dict[str, Any]:
        phone = {"phone": "+62 812-3456-7890", "type": "CELL"}
        if wa_id:
            phone["wa_id"] = wa_id
        return {"name": {"formatted_name": "Budi"}, "phones": [phone]}

    for wa_id, own in ((NUMBER, True), ("6289900001111", False), (None, False)):
        message = {"from": NUMBER, "id": "w", "type": "contacts", "contacts": [card(wa_id)]}
        incoming = message_to_incoming(message, Sender(NUMBER, NUMBER, None))
        assert incoming is not None and incoming.kind.value == "contact"
        assert incoming.text == "+62 812-3456-7890" and incoming.own_contact is own


def test_a_reaction_needs_no_answer() -> None:
    from bot.channels.whatsapp import Sender, message_to_incoming

    message = {"from": NUMBER, "id": "w", "type": "reaction", "reaction": {"emoji": "👍"}}
    assert message_to_incoming(message, Sender(NUMBER, NUMBER, None)) is None


async def test_a_sticker_gets_an_answer_over_whatsapp(app: App) -> None:
    async with running_whatsapp(app) as (fake, channel):
        await fake.user_sends_kind(NUMBER, "sticker", {"id": "9", "mime_type": "image/webp"})
        await channel.idle()
        assert fake.messages_to(NUMBER) and fake.invalid == []


async def test_a_direct_reply_is_retried_after_a_server_error(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        fake.fail_next(131000, status=500)
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        await chat.say("/start")
        assert t.C_("button", "Register now") in chat.buttons()
        statuses = [c.status for c in fake.calls if c.path.endswith("/messages")]
        assert statuses[:2] == [500, 200]


async def test_the_own_contact_card_answers_the_phone_question(app: App, t: Translator) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        person = Person()
        assert q(t, 5) in await up_to_the_phone(chat, t, person)
        before = len(fake.messages_to(NUMBER))
        phone = {"phone": "+62 812-3456-7890", "wa_id": NUMBER, "type": "CELL"}
        card = [{"name": {"formatted_name": person.name}, "phones": [phone]}]
        await fake.user_sends_kind(NUMBER, "contacts", card)
        await channel.idle()
        answer = "\n".join(m.text for m in fake.messages_to(NUMBER)[before:])
        assert q(t, 6) in answer
        assert fake.invalid == []


async def test_a_slow_download_is_not_overtaken_by_the_next_message(
    app: App, t: Translator
) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = await registered(fake, channel, app)
        await chat.press("KTP")
        before = len(fake.messages_to(NUMBER))
        media_id = fake.add_media(pdf_bytes(), "application/pdf", delay=1.0)
        await fake.user_sends_document(NUMBER, media_id, filename="ktp.pdf")
        await fake.user_sends(NUMBER, "/status")  # sent while the file still downloads
        await channel.idle()
        texts = [m.text for m in fake.messages_to(NUMBER)[before:]]
        stored = next(i for i, x in enumerate(texts) if t._("sent, waiting for the PPS check") in x)
        status = next(i for i, x in enumerate(texts) if "KPPS-7471-000001" in x)
        assert stored < status


async def test_the_number_written_from_is_offered_at_the_phone_question(
    app: App, t: Translator
) -> None:
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        out = await up_to_the_phone(chat, t, Person())
        assert "+6281234567890" in out and t.C_("button", "Use this number") in chat.buttons()
        out = await chat.press(t.C_("button", "Use this number"))  # the applicant confirms it
        assert q(t, 6) in out
        other = WhatsAppChat(fake, channel, app, number="6281399990000")
        await up_to_the_phone(other, t, Person(serial=2))
        out = await other.say("0812 5555 6666")  # or types another number
        assert q(t, 6) in out
        assert fake.invalid == []
    async with app.db.transaction() as session:
        rows = await session.execute(select(Conversation))
        drafts = [
            app.crypto.decrypt_json(c.data_enc)["registration"]["answers"]["phone"]
            for c in rows.scalars()
        ]
    assert sorted(drafts) == ["+6281234567890", "+6281255556666"]


async def test_a_whatsapp_chat_is_linked_to_a_telegram_application_with_a_code(
    app: App, t: Translator
) -> None:
    from tests.dialog import ConsoleChat

    first = ConsoleChat(app, "telegram-like")
    await fill_registration(first, Person())
    out = await first.say("/tautkan")
    code = next(word for word in out.replace(".", " ").split() if word.isdigit() and len(word) == 8)
    async with running_whatsapp(app) as (fake, channel):
        chat = WhatsAppChat(fake, channel, app, number=NUMBER)
        assert "KPPS-7471-000001" not in await chat.say("/status")
        wrong = await chat.say("/tautkan 00000000" if code != "00000000" else "/tautkan 11111111")
        assert "KPPS-7471-000001" not in wrong
        out = await chat.say(f"/tautkan {code[:4]}-{code[4:]}")  # typed with a dash
        assert "KPPS-7471-000001" in out
        assert "KPPS-7471-000001" in await chat.say("/status")
        again = WhatsAppChat(fake, channel, app, number="6281399990000")
        assert "KPPS-7471-000001" not in await again.say(f"/tautkan {code}")  # used up
        assert fake.invalid == []
    async with app.db.transaction() as session:
        people = (await session.execute(select(func.count()).select_from(Identity))).scalar_one()
        owners = set((await session.execute(select(Identity.person_id))).scalars())
    assert people == 3 and len(owners) == 2  # the linked chat joined the applicant


async def test_a_chat_with_its_own_application_is_not_linked(app: App, t: Translator) -> None:
    from tests.dialog import ConsoleChat

    first, second = ConsoleChat(app, "a"), ConsoleChat(app, "b")
    await fill_registration(first, Person())
    await fill_registration(second, Person(serial=2, name="Siti Aminah"))
    out = await first.say("/tautkan")
    code = next(word for word in out.replace(".", " ").split() if word.isdigit() and len(word) == 8)
    out = await second.say(f"/tautkan {code}")
    assert "KPPS-7471-000001" not in out and "Siti" not in out
    assert "KPPS-7471-000002" in await second.say("/status")
