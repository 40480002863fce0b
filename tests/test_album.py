"""Albums (several photos sent together): prepared before the unit of work, one photo at a time,
within limits that are explained; the result is one PDF; other chats never wait for it."""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from functools import cache, partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.app import App
from handlers.errors import InvalidAnswer
from handlers.flows import documents as documents_flow
from handlers.i18n import Translator
from handlers.messages import Attachment, Incoming, Kind
from handlers.rules import uploads
from handlers.rules.documents import (
    DEFAULT_RULES,
    MB,
    MSG_IMAGE_DAMAGED,
    MSG_NEED_PHOTO,
    CheckedFile,
    DocKind,
    DocumentRule,
    check_document,
)
from tests.dialog import ConsoleChat
from tests.test_documents_core import huge_png, image_bytes
from tests.test_documents_core import pdf_bytes as fpdf_bytes
from tests.test_documents_flow import documents_rows, jpeg, pdf_bytes, registered, stored_files

OTHER_CHAT_BOUND = 1.0  # seconds another chat may wait while an album is handled


@cache
def flat_png(width: int, height: int, colour: tuple[int, int, int] = (200, 200, 200)) -> bytes:
    """An RGB PNG of one colour, written row by row (the test never holds its pixels)."""
    row = b"\x00" + bytes(colour) * width
    compressor = zlib.compressobj(6)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def rotated_jpeg(width: int, height: int, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def noise_jpeg(side: int, seed: int, quality: int = 75) -> bytes:
    pixels = random.Random(seed).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


class Album:
    """The parts of one album as a channel hands them over; counts the downloads."""

    def __init__(self, parts: list[bytes], names: list[str] | None = None) -> None:
        self.parts = parts
        self.names = names or [f"page-{n}" for n in range(len(parts))]
        self.fetched = 0

    def _fetcher(self, data: bytes) -> Any:
        async def fetch() -> bytes:
            self.fetched += 1
            return data

        return fetch

    def incoming(self, chat_id: str) -> Incoming:
        attachments = tuple(
            Attachment(fetch=self._fetcher(data), name=name, size=len(data), group="album-1")
            for data, name in zip(self.parts, self.names, strict=True)
        )
        return Incoming("console", chat_id, Kind.PHOTO, attachments=attachments)


async def timed_start(app: App, chat_id: str = "someone-else") -> float:
    began = time.perf_counter()
    reply = await app.engine.handle(Incoming("console", chat_id, Kind.COMMAND, command="start"))
    assert reply is not None and reply.text
    return time.perf_counter() - began


async def send(app: App, chat: ConsoleChat, album: Album) -> str:
    """The reply's text, and its options' labels one a line (as the console shows them)."""
    reply = await app.engine.handle(album.incoming(chat.chat_id))
    assert reply is not None
    return "\n".join([reply.text, *(option.label for option in reply.options)])


def received(app: App, t: Translator, kind: str) -> str:
    name = next(spec.name for spec in app.period.documents if spec.kind == kind)
    return t._("Thank you, your {document} has been received.", document=name)


async def uploading(app: App, document: str) -> ConsoleChat:
    chat = await registered(app)
    await chat.press(document)
    return chat


# -- the album of the issue: ten 7,000 × 7,000 PNGs -------------------------------------------


async def test_ten_huge_pngs_are_refused_from_their_headers_and_nothing_is_lost(
    app: App, t: Translator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await uploading(app, "Surat pernyataan")
    earlier = tmp_path / "pernyataan.pdf"
    earlier.write_bytes(pdf_bytes())
    await chat.say(str(earlier))
    [before] = await documents_rows(app)
    await chat.press("Surat pernyataan")

    def never(*_: object) -> None:
        raise AssertionError("a photo was decoded")

    monkeypatch.setattr(uploads, "_page", never)
    album = Album([flat_png(7000, 7000)] * 10)
    began = time.perf_counter()
    text, other = await asyncio.gather(send(app, chat, album), timed_start(app))
    assert time.perf_counter() - began < 5
    assert other < OTHER_CHAT_BOUND

    reason = t._(uploads.MSG_ALBUM_PIXELS, megapixels=490, max_megapixels=60)
    assert reason in text
    assert t.C_("button", "Back to the list") in text  # the upload prompt again
    [after] = await documents_rows(app)
    assert (after.id, after.file_key, after.mime, after.pages) == (
        before.id,
        before.file_key,
        before.mime,
        before.pages,
    )
    assert len(stored_files(app)) == 1

    photo = tmp_path / "page.jpg"  # still waiting for this document
    photo.write_bytes(jpeg())
    out = await chat.say(str(photo))
    assert received(app, t, "surat_pernyataan") in out


# -- preparation runs before, and outside, the unit of work -----------------------------------


async def test_another_chat_is_answered_while_an_album_is_prepared(
    app: App, t: Translator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Preparation is held until another chat has been answered: had it run on the event loop
    or inside the transaction (on SQLite: the write lock), that answer could not come."""
    chat = await uploading(app, "Ijazah")
    started, release = threading.Event(), threading.Event()
    real = uploads.prepare

    def held(*args: Any, **kwargs: Any) -> uploads.Upload:
        started.set()
        assert release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(uploads, "prepare", held)
    album = Album([rotated_jpeg(1600, 1200, orientation=6), flat_png(1600, 1000), jpeg(seed=3)])
    task = asyncio.create_task(send(app, chat, album))
    assert await asyncio.to_thread(started.wait, 10)
    assert await timed_start(app) < OTHER_CHAT_BOUND
    assert not task.done()
    release.set()
    text = await asyncio.wait_for(task, 20)

    assert received(app, t, "ijazah") in text
    [row] = await documents_rows(app)
    assert (row.kind, row.mime, row.pages) == ("ijazah", "application/pdf", 3)
    assert app.files is not None
    stored = await app.files.get(row.file_key)
    assert row.size == len(stored)
    reader = PdfReader(io.BytesIO(stored), strict=True)
    first = reader.pages[0]
    assert len(reader.pages) == 3 and first.mediabox.height > first.mediabox.width  # upright
    [image] = first.images
    assert image.image is not None and image.image.size == (1200, 1600)


async def test_an_album_named_on_the_console_is_stored_as_one_pdf(
    app: App, t: Translator, tmp_path: Path
) -> None:
    chat = await uploading(app, "Surat pernyataan")
    paths = []
    for name, data in (("a.png", flat_png(1240, 1754)), ("b.jpg", jpeg(seed=4))):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    out = await chat.say(";".join(paths))
    assert received(app, t, "surat_pernyataan") in out
    [row] = await documents_rows(app)
    assert (row.mime, row.pages, row.encrypted) == ("application/pdf", 2, True)


async def test_forms_are_made_outside_the_transaction(
    app: App, t: Translator, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await registered(app)
    started, release = threading.Event(), threading.Event()
    real = documents_flow._render_forms

    def held(*args: Any) -> Any:
        started.set()
        assert release.wait(10)
        return real(*args)

    monkeypatch.setattr(documents_flow, "_render_forms", held)
    task = asyncio.create_task(chat.press(t.C_("button", "Get the forms")))
    assert await asyncio.to_thread(started.wait, 10)
    assert await timed_start(app) < OTHER_CHAT_BOUND
    release.set()
    out = await asyncio.wait_for(task, 20)
    assert out.count("[PDF]") == 3


async def test_forms_that_cannot_be_made_are_explained(
    app: App, t: Translator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chat = await registered(app)

    def broken(*_: Any) -> Any:
        raise RuntimeError("no font")

    monkeypatch.setattr(documents_flow, "_render_forms", broken)
    button = t.C_("button", "Get the forms")
    out = await chat.press(button)
    assert "[PDF]" not in out and button in out
    assert "Here are your forms" not in out and "could not be made" in caplog.text


# -- the limits, each explained ----------------------------------------------------------------


async def test_more_parts_than_an_album_may_have_are_not_even_downloaded(
    app: App, t: Translator
) -> None:
    chat = await uploading(app, "Surat pernyataan")
    album = Album([jpeg(seed=n) for n in range(11)])
    text = await send(app, chat, album)
    assert t._(uploads.MSG_ALBUM_PAGES, parts=11, max_pages=10) in text
    assert album.fetched == 0 and await documents_rows(app) == []


async def test_the_page_limit_of_the_document_is_checked_from_the_photos(
    app: App, t: Translator
) -> None:
    chat = await uploading(app, "KTP")
    text = await send(app, chat, Album([jpeg(seed=n) for n in range(3)]))
    assert t._(uploads.MSG_ALBUM_PAGES, parts=3, max_pages=2) in text
    assert t.C_("button", "Back to the list") in text and await documents_rows(app) == []


async def test_too_many_pixels_together(app: App, t: Translator) -> None:
    chat = await uploading(app, "Surat pernyataan")
    text = await send(app, chat, Album([flat_png(3000, 3000)] * 7))  # 7 × 9 MP
    assert t._(uploads.MSG_ALBUM_PIXELS, megapixels=63, max_megapixels=60) in text
    assert await documents_rows(app) == []


async def test_a_photo_only_document_takes_one_photo(app: App, t: Translator) -> None:
    chat = await uploading(app, "foto")
    text = await send(app, chat, Album([jpeg(seed=1), jpeg(seed=2)]))
    assert t._(uploads.MSG_ONE_PHOTO) in text and await documents_rows(app) == []


async def test_an_album_whose_pdf_is_over_the_limit_is_refused(
    app: App, t: Translator, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = next(s for s in app.period.documents if s.kind == "surat_pernyataan")
    monkeypatch.setattr(spec, "max_mb", 1)
    chat = await uploading(app, "Surat pernyataan")
    made: list[uploads.Upload] = []
    real = uploads.prepare

    def recorded(*args: Any, **kwargs: Any) -> uploads.Upload:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(uploads, "prepare", recorded)
    parts = [noise_jpeg(900, seed) for seed in range(3)]
    assert all(len(part) < 1024 * 1024 for part in parts)  # each part is within the limit
    text = await send(app, chat, Album(parts))
    [upload] = made
    assert upload.size > 1024 * 1024
    size_mb = round(upload.size / 1024 / 1024, 1)
    assert t._(uploads.MSG_ALBUM_TOO_BIG, size_mb=size_mb, limit_mb=1.0) in text
    assert await documents_rows(app) == [] and stored_files(app) == []


@pytest.mark.parametrize(
    ("second", "msgid"),
    [(pdf_bytes(), MSG_NEED_PHOTO), (jpeg()[:3000], MSG_IMAGE_DAMAGED)],
    ids=["a-pdf-part", "a-damaged-part"],
)
async def test_every_part_must_be_a_readable_photo(
    app: App, t: Translator, second: bytes, msgid: str
) -> None:
    chat = await uploading(app, "Surat pernyataan")
    text = await send(app, chat, Album([jpeg(seed=1), second]))
    assert t._(msgid, actual="PDF") in text and await documents_rows(app) == []


# -- preparing first changes nothing in what is accepted, refused and stored -------------------


def _direct(data: bytes, rule: DocumentRule, name: str) -> tuple[bytes, CheckedFile]:
    checked = check_document(data, rule, declared_name=name)
    return checked.data, checked


def _outcome(check: Callable[[], tuple[bytes, CheckedFile]]) -> tuple[object, ...]:
    try:
        data, checked = check()
    except InvalidAnswer as error:
        return ("refused", error.msgid, error.params)
    digest = hashlib.sha256(data).hexdigest()
    assert checked.size == len(data) and checked.sha256 == digest
    return (
        "stored",
        digest,
        checked.kind,
        checked.mime,
        checked.width,
        checked.height,
        checked.pages,
    )


FILES = {
    "photo.jpg": image_bytes((1600, 1000)),
    "rotated.jpg": image_bytes((800, 600), orientation=6),
    "scan.png": image_bytes((800, 600), "PNG"),
    "small.jpg": image_bytes((500, 350)),
    "grainy.jpg": noise_jpeg(1300, seed=1, quality=30),  # 0.5 MB, 1.1 MB once re-encoded
    "one.pdf": fpdf_bytes(pages=1),
    "three.pdf": fpdf_bytes(pages=3),
    "twelve.pdf": fpdf_bytes(pages=12),
    "photo.pdf": image_bytes((1600, 1000)),  # named .pdf, really a JPEG
    "scan.jpg": fpdf_bytes(pages=1),  # named .jpg, really a PDF
    "cut.jpg": image_bytes((1600, 1000))[:2000],
    "empty.png": b"",
    "setup.exe": b"MZ\x90\x00" + bytes(3000),
    "bomb.png": huge_png(8000, 8000),
}
LIMITS = [MB, 10 * MB]
PDF_ONLY = frozenset({"pdf"})
RULES = [
    replace(rule, max_bytes=limit)
    for rule in (*DEFAULT_RULES.values(), replace(DEFAULT_RULES[DocKind.KTP], accept=PDF_ONLY))
    for limit in LIMITS
]


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_prepared_file_is_admitted_as_check_document_would(name: str) -> None:
    data = FILES[name]
    upload = uploads.prepare([data], [name], ((len(data), None),), limits=LIMITS)
    for rule in RULES:
        direct = _outcome(partial(_direct, data, rule, name))
        assert _outcome(partial(upload.admit, rule, declared_name=name)) == direct, rule


def test_a_photo_made_larger_than_a_smaller_limit_is_stored_smaller_for_it() -> None:
    data = FILES["grainy.jpg"]
    upload = uploads.prepare([data], ["grainy.jpg"], ((len(data), None),), limits=LIMITS)
    rule = DEFAULT_RULES[DocKind.SURAT_PERNYATAAN]
    tight, _ = upload.admit(replace(rule, max_bytes=MB))
    roomy, _ = upload.admit(replace(rule, max_bytes=10 * MB))
    assert len(data) < MB < len(roomy) and len(tight) < MB
