"""Documents by chat through the console and Telegram adapters, with real bytes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bot.app import App
from handlers.i18n import Translator
from storage.models import Document
from tests.dialog import ConsoleChat, Person, fill_registration
from tests.telegram_chat import TelegramChat, running_bot


def jpeg(width: int = 1600, height: int = 1000, seed: int = 1) -> bytes:
    image = Image.new("RGB", (width, height), (seed * 40 % 255, 120, 200))
    for x in range(0, width, 50):
        for y in range(0, height, 50):
            image.putpixel((x, y), (seed, x % 255, y % 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    image = Image.new("RGB", (1240, 1754), "white")
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=150.0)
    return buffer.getvalue()


async def documents_rows(app: App) -> list[Document]:
    async with app.db.transaction() as session:
        return list((await session.execute(select(Document))).scalars())


def stored_files(app: App) -> list[Path]:
    root = app.settings.data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def registered(app: App, chat_id: str = "warga-1") -> ConsoleChat:
    chat = ConsoleChat(app, chat_id)
    await fill_registration(chat, Person())
    return chat


async def test_checklist_follows_the_submission(app: App, t: Translator) -> None:
    chat = await registered(app)
    out = chat.last
    assert "KPPS-7471-000001" in out
    for spec in app.period.documents:
        if spec.required == "always":
            assert spec.name in out
    assert t.C_("button", "Get the forms") in out


async def test_upload_by_file_path_is_checked_and_stored_encrypted(
    app: App, t: Translator, tmp_path: Path
) -> None:
    chat = await registered(app)
    photo = tmp_path / "ktp.jpg"
    photo.write_bytes(jpeg())
    await chat.press("KTP")
    out = await chat.say(str(photo))
    assert t._("sent, waiting for the PPS check") in out
    rows = await documents_rows(app)
    assert [(r.kind, r.mime, r.encrypted) for r in rows] == [("ktp", "image/jpeg", True)]
    files = stored_files(app)
    assert len(files) == 1 and photo.read_bytes() not in files[0].read_bytes()
    assert photo.name not in str(files[0])


@pytest.mark.parametrize(
    ("name", "content", "msgid"),
    [
        ("ktp.pdf", b"MZ\x90\x00" + b"\x00" * 2000, "This file is not a photo or a PDF"),
        ("ktp.jpg", b"PK\x03\x04" + b"\x00" * 2000, "This file is not a photo or a PDF"),
        ("ktp.jpg", b"", "The file is empty"),
        ("ktp.jpg", jpeg()[:3000], "The photo cannot be opened"),
    ],
)
async def test_bad_files_are_explained_and_never_stored(
    app: App, t: Translator, tmp_path: Path, name: str, content: bytes, msgid: str
) -> None:
    from tests.test_locales import entries, load

    expected = next(text for _, mid, text, _ in entries(load("id")) if mid.startswith(msgid))
    chat = await registered(app)
    bad = tmp_path / name
    bad.write_bytes(content)
    await chat.press("KTP")
    out = await chat.say(str(bad))
    assert expected.split("{")[0][:25] in out
    assert t.C_("button", "Back to the list") in out
    assert await documents_rows(app) == [] and stored_files(app) == []


async def test_pdf_renamed_jpg_for_a_photo_only_document(
    app: App, t: Translator, tmp_path: Path
) -> None:
    chat = await registered(app)
    fake_photo = tmp_path / "pasfoto.jpg"
    fake_photo.write_bytes(pdf_bytes())
    await chat.press("foto")
    out = await chat.say(str(fake_photo))
    assert "PDF" in out and await documents_rows(app) == []


async def test_sticker_and_text_while_a_file_is_expected(app: App, t: Translator) -> None:
    from handlers.messages import Incoming, Kind

    chat = await registered(app)
    await chat.press("KTP")
    reply = await app.engine.handle(Incoming("console", chat.chat_id, Kind.STICKER))
    assert reply is not None and t._("a sticker") in reply.text
    out = await chat.say("sebentar ya")
    assert t.C_("button", "Back to the list") in out


async def test_needs_fix_shows_the_reason_and_a_replacement_resets_it(
    app: App, t: Translator, tmp_path: Path
) -> None:
    chat = await registered(app)
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    first.write_bytes(jpeg(seed=1))
    second.write_bytes(jpeg(seed=2))
    await chat.press("KTP")
    await chat.say(str(first))
    [row] = await documents_rows(app)
    async with app.db.transaction() as session:
        from storage.domain import DocumentStatus
        from storage.repositories import Documents

        await Documents(session).set_status(row.id, DocumentStatus.NEEDS_FIX, "buram")
    out = await chat.say("/dokumen")
    assert "buram" in out
    await chat.press("KTP")
    out = await chat.say(str(second))
    [row] = await documents_rows(app)
    assert row.status == "pending" and "buram" not in out
    assert len(stored_files(app)) == 1  # the replaced file was deleted


async def test_all_required_documents_make_the_application_complete(
    app: App, t: Translator, tmp_path: Path
) -> None:
    chat = await registered(app)
    for number, spec in enumerate(app.period.documents):
        if spec.required != "always":
            continue
        path = tmp_path / f"{spec.kind}.jpg"
        path.write_bytes(jpeg(seed=number + 3) if "image" in spec.accept else pdf_bytes())
        await chat.press(spec.short)
        await chat.say(str(path))
    out = await chat.say("/status")
    assert t._("Documents: complete (lengkap).") in out


async def test_forms_are_generated_with_the_applicant_data(app: App, t: Translator) -> None:
    chat = await registered(app)
    out = await chat.press(t.C_("button", "Get the forms"))
    pdfs = [line.split("] ", 1)[1].split(" — ")[0] for line in out.splitlines() if "[PDF]" in line]
    assert len(pdfs) == 3
    text = "\n".join(page.extract_text() for path in pdfs for page in PdfReader(path).pages)
    assert Person().name in text and Person().nik in text


async def test_same_file_twice_is_stored_once(app: App, tmp_path: Path) -> None:
    chat = await registered(app)
    photo = tmp_path / "scan.jpg"
    photo.write_bytes(jpeg())
    await chat.press("KTP")
    await chat.say(str(photo))
    await chat.press("Ijazah")
    await chat.say(str(photo))
    assert len(await documents_rows(app)) == 2 and len(stored_files(app)) == 1


async def test_deleting_an_application_deletes_its_files(app: App, tmp_path: Path) -> None:
    from bot.app import delete_application

    chat = await registered(app)
    photo = tmp_path / "ktp.jpg"
    photo.write_bytes(jpeg())
    await chat.press("KTP")
    await chat.say(str(photo))
    assert len(stored_files(app)) == 1
    assert await delete_application(app, "KPPS-7471-000001")
    assert stored_files(app) == [] and await documents_rows(app) == []
    assert not await delete_application(app, "KPPS-7471-000001")
    out = await chat.say("/status")
    assert "KPPS-7471-000001" not in out


async def test_a_file_before_registering_is_explained(
    app: App, t: Translator, tmp_path: Path
) -> None:
    photo = tmp_path / "ktp.jpg"
    photo.write_bytes(jpeg())
    out = await ConsoleChat(app, "newcomer").say(str(photo))
    assert "/daftar" in out and await documents_rows(app) == [] and stored_files(app) == []


# -- Telegram ------------------------------------------------------------------------------


async def test_telegram_photo_album_and_oversize(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await fill_registration(chat, Person())
        await chat.press("Ijazah")
        sent_before = len(fake.calls_of("sendMessage"))
        for number in range(2):
            file_id = fake.add_file(jpeg(seed=number + 5), file_unique_id=f"u{number}")
            fake.user_sends_photo(
                chat.chat_id,
                file_id=file_id,
                sizes=((320, 200), (1600, 1000)),
                media_group_id="album-1",
                user_id=chat.chat_id,
            )
        await fake.wait_for_call("sendMessage", count=sent_before + 1, timeout=20)
        await fake.wait_idle(timeout=20)
        assert len(fake.calls_of("sendMessage")) == sent_before + 1  # one reply to the album
        [row] = await documents_rows(app)
        assert row.kind == "ijazah" and row.mime == "application/pdf" and row.pages == 2

        await chat.press("KTP")
        getfile_before = len(fake.calls_of("getFile"))
        fake.user_sends_document(
            chat.chat_id, "BIGFILE", "ktp.pdf", "application/pdf", 25 * 1024 * 1024
        )
        await fake.wait_idle(timeout=20)
        assert "25" in chat.last and len(fake.calls_of("getFile")) == getfile_before

        pdf_id = fake.add_file(pdf_bytes(), file_unique_id="pdf1")
        fake.user_sends_document(chat.chat_id, pdf_id, "ktp.pdf", "application/pdf", None)
        await fake.wait_idle(timeout=20)
        assert t._("sent, waiting for the PPS check") in chat.last
        assert fake.errors == []


async def test_telegram_forms_are_sent_as_documents(app: App, t: Translator) -> None:
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app)
        await fill_registration(chat, Person())
        await chat.press(t.C_("button", "Get the forms"))
        uploads = [c.params["document"] for c in fake.calls_of("sendDocument")]
        assert len(uploads) == 3
        text = "".join(
            page.extract_text() for u in uploads for page in PdfReader(io.BytesIO(u.data)).pages
        )
        assert Person().name in text
        assert fake.errors == []
