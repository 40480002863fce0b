"""Documents by chat (issue #3), the pure core: checking uploads by content, the private file
store, and the pre-filled PDF forms. Every file here is real bytes made in the test."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript

from handlers import forms
from handlers.errors import InvalidAnswer
from handlers.forms import (
    CORE_FONT,
    SURAT_PERNYATAAN_ITEMS,
    FormData,
    daftar_riwayat_hidup,
    default_font,
    education_label,
    indonesian_date,
    surat_pendaftaran,
    surat_pernyataan,
    transliterate_latin1,
)
from handlers.rules import documents
from handlers.rules.documents import (
    DEFAULT_RULES,
    MB,
    CheckedFile,
    DocKind,
    DocumentRule,
    check_document,
    sniff,
)
from storage.crypto import Crypto, KeyError_, generate_key
from storage.files import (
    InvalidKey,
    LocalFileStore,
    StoredFileCorrupted,
    StoredFileMissing,
    content_key,
)

ROOT = Path(__file__).resolve().parent.parent
KTP = DEFAULT_RULES[DocKind.KTP]
PAS_FOTO = DEFAULT_RULES[DocKind.PAS_FOTO]
PERNYATAAN = DEFAULT_RULES[DocKind.SURAT_PERNYATAAN]
PDF_ONLY = DocumentRule(DocKind.SURAT_PENDAFTARAN, frozenset({"pdf"}))


# -- making real files ------------------------------------------------------------------------


def image_bytes(
    size: tuple[int, int], fmt: str = "JPEG", *, orientation: int | None = None
) -> bytes:
    image = Image.new("RGB", size, (240, 240, 230))
    for x in range(0, size[0], 40):  # some content, so the JPEG has real entropy-coded data
        for y in range(0, size[1], 40):
            image.putpixel((x, y), (x % 256, y % 256, 90))
    buffer = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def pdf_bytes(pages: int = 1, text: str = "Surat pernyataan") -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2024, 9, 1))
    pdf.set_font("Helvetica", size=12)
    for number in range(pages):
        pdf.add_page()
        pdf.cell(0, 10, f"{text} - halaman {number + 1}")
    return bytes(pdf.output())


def rewrite_pdf(data: bytes, **encrypt: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    if encrypt:
        writer.encrypt(algorithm="AES-128", **encrypt)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def huge_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of all-black rows: huge dimensions, a few dozen kilobytes."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )


DOCUMENT_MSGIDS = {
    message
    for _line, message, _comments, _context in extract_from_file(
        "python", ROOT / "handlers" / "rules" / "documents.py", keywords={"N_": None}
    )
}


def refused(data: bytes, rule: DocumentRule, declared_name: str | None = None) -> InvalidAnswer:
    """The refusal, checked to be a marked msgid whose placeholders its params fill."""
    with pytest.raises(InvalidAnswer) as caught:
        check_document(data, rule, declared_name=declared_name)
    error = caught.value
    assert error.msgid in DOCUMENT_MSGIDS
    assert set(re.findall(r"\{(\w+)\}", error.msgid)) == set(error.params)
    error.msgid.format(**error.params)
    return error


# -- rules ------------------------------------------------------------------------------------


def test_default_rules_cover_every_document() -> None:
    assert set(DEFAULT_RULES) == set(DocKind)
    for kind, rule in DEFAULT_RULES.items():
        assert rule.kind is kind
        assert rule.max_bytes == 10 * MB
        assert rule.encrypt  # every document carries personal data
    assert PAS_FOTO.accept == frozenset({"image"})
    assert (PAS_FOTO.min_width, PAS_FOTO.min_height) == (300, 400)
    assert KTP.accept == frozenset({"image", "pdf"})
    assert DEFAULT_RULES[DocKind.SURAT_PARTAI].required == "former_party_member"
    assert DEFAULT_RULES[DocKind.SURAT_KESEHATAN].required == "always"


@pytest.mark.parametrize(
    "changes",
    [{"accept": frozenset()}, {"accept": frozenset({"docx"})}, {"max_bytes": 0}],
)
def test_a_bad_rule_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        replace(KTP, **changes)


# -- accepted files ---------------------------------------------------------------------------


def test_a_jpeg_photo_is_accepted_with_its_facts() -> None:
    data = image_bytes((1200, 900))
    checked = check_document(data, KTP, declared_name="IMG_0001.JPG")
    # what is stored is the picture re-encoded from its pixels; size and hash describe it
    stored = checked.data
    assert checked == CheckedFile(
        kind=DocKind.KTP,
        mime="image/jpeg",
        extension="jpg",
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        width=1200,
        height=900,
        pages=None,
        data=stored,
    )
    assert stored != data and sniff(stored) == "image/jpeg"
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("JPEG", (1200, 900))
    assert "data" not in repr(checked)  # the file's bytes never end up in a log line
    # a PDF is stored as it was sent
    pdf = pdf_bytes()
    checked_pdf = check_document(pdf, PERNYATAAN)
    assert checked_pdf.data == pdf and checked_pdf.size == len(pdf)
    assert checked_pdf.sha256 == hashlib.sha256(pdf).hexdigest()


def test_a_png_and_a_portrait_photo_are_accepted() -> None:
    checked = check_document(image_bytes((800, 600), "PNG"), KTP)
    assert (checked.mime, checked.extension, checked.width) == ("image/png", "png", 800)
    portrait = check_document(image_bytes((400, 600)), KTP)  # 600×400 either way round
    assert (portrait.width, portrait.height) == (400, 600)


def test_exif_rotation_is_applied_to_the_reported_size() -> None:
    checked = check_document(image_bytes((800, 600), orientation=6), KTP)
    assert (checked.width, checked.height) == (600, 800)


def test_a_pdf_is_accepted_with_its_page_count() -> None:
    data = pdf_bytes(pages=3)
    checked = check_document(data, PERNYATAAN, declared_name="pernyataan.pdf")
    assert (checked.mime, checked.extension, checked.pages, checked.width) == (
        "application/pdf",
        "pdf",
        3,
        None,
    )


def test_the_content_decides_not_the_name() -> None:
    jpeg = check_document(image_bytes((1200, 900)), KTP, declared_name="ktp.pdf")
    assert (jpeg.mime, jpeg.extension) == ("image/jpeg", "jpg")
    # a PDF renamed .jpg is accepted where a PDF is allowed, as what it really is
    pdf = check_document(pdf_bytes(), KTP, declared_name="ktp.jpg")
    assert (pdf.mime, pdf.extension) == ("application/pdf", "pdf")


def test_a_pdf_with_only_an_owner_password_opens_and_is_accepted() -> None:
    data = rewrite_pdf(pdf_bytes(), user_password="", owner_password="pemilik")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    assert check_document(data, PERNYATAAN).pages == 1


def test_sniff_knows_only_the_three_types() -> None:
    assert sniff(image_bytes((10, 10))) == "image/jpeg"
    assert sniff(image_bytes((10, 10), "PNG")) == "image/png"
    assert sniff(pdf_bytes()) == "application/pdf"
    assert sniff(b"GIF89a....") is None


# -- refused files ----------------------------------------------------------------------------


def test_an_empty_file() -> None:
    assert refused(b"", KTP).msgid == documents.MSG_EMPTY


def test_an_oversize_file_says_its_size_the_limit_and_what_to_do() -> None:
    data = b"\xff\xd8\xff" + bytes(12 * MB)
    error = refused(data, KTP)
    assert error.msgid == documents.MSG_TOO_BIG[KTP.accept]
    assert error.params == {"size_mb": 12.0, "limit_mb": 10.0}
    assert "PDF" in error.msgid and "photograph" in error.msgid
    assert refused(data, PAS_FOTO).msgid == documents.MSG_TOO_BIG[PAS_FOTO.accept]
    assert refused(data, PDF_ONLY).msgid == documents.MSG_TOO_BIG[PDF_ONLY.accept]
    # one byte over a small limit is refused before any parsing
    small = replace(KTP, max_bytes=1000)
    assert refused(b"x" * 1001, small).msgid == documents.MSG_TOO_BIG[KTP.accept]


def test_a_pdf_where_only_a_photo_is_allowed() -> None:
    error = refused(pdf_bytes(), PAS_FOTO)
    assert (error.msgid, error.params) == (documents.MSG_NEED_PHOTO, {"actual": "PDF"})


def test_a_pdf_renamed_jpg_is_called_what_it_really_is() -> None:
    error = refused(pdf_bytes(), PAS_FOTO, declared_name="C:\\Users\\x\\pasfoto.jpg")
    assert error.msgid == documents.MSG_RENAMED_NEED_PHOTO
    assert error.params == {"declared": "jpg", "actual": "PDF"}


def test_a_photo_where_only_a_pdf_is_allowed() -> None:
    error = refused(image_bytes((1200, 900)), PDF_ONLY)
    assert (error.msgid, error.params) == (documents.MSG_NEED_PDF, {"actual": "JPEG"})
    renamed = refused(image_bytes((1200, 900), "PNG"), PDF_ONLY, declared_name="surat.pdf")
    assert renamed.msgid == documents.MSG_RENAMED_NEED_PDF
    assert renamed.params == {"declared": "pdf", "actual": "PNG"}


def test_an_executable_renamed_pdf_is_not_a_photo_or_pdf() -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(500)
    error = refused(exe, KTP, declared_name="ktp.pdf")
    assert error.msgid == documents.MSG_NOT_ACCEPTED[KTP.accept]
    assert refused(exe, PAS_FOTO).msgid == documents.MSG_NOT_ACCEPTED[PAS_FOTO.accept]
    assert refused(exe, PDF_ONLY).msgid == documents.MSG_NOT_ACCEPTED[PDF_ONLY.accept]


def test_a_zip_renamed_jpg_is_refused() -> None:
    data = zip_bytes({"ktp.jpg": image_bytes((1200, 900))})
    assert (
        refused(data, KTP, declared_name="ktp.jpg").msgid == documents.MSG_NOT_ACCEPTED[KTP.accept]
    )


def test_a_word_document_asks_to_print_sign_and_photograph() -> None:
    docx = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    error = refused(docx, PERNYATAAN, declared_name="pernyataan.docx")
    assert (error.msgid, error.params) == (documents.MSG_OFFICE, {"actual": "DOCX"})


def test_an_iphone_heic_photo_gets_advice() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)
    error = refused(heic, PAS_FOTO, declared_name="IMG_1234.HEIC")
    assert (error.msgid, error.params) == (documents.MSG_IMAGE_FORMAT, {"actual": "HEIC"})
    assert refused(heic, PDF_ONLY).msgid == documents.MSG_NEED_PDF


def test_a_truncated_jpeg_is_damaged() -> None:
    data = image_bytes((1200, 900))
    assert refused(data[: len(data) // 2], KTP).msgid == documents.MSG_IMAGE_DAMAGED


def test_a_png_with_a_broken_chunk_is_damaged() -> None:
    data = bytearray(image_bytes((800, 600), "PNG"))
    data[40] ^= 0xFF  # inside the IDAT data: its CRC no longer matches
    assert refused(bytes(data), KTP).msgid == documents.MSG_IMAGE_DAMAGED


def test_a_jpeg_header_with_garbage_is_damaged() -> None:
    assert refused(b"\xff\xd8\xff\xe0" + os.urandom(3000), KTP).msgid == (
        documents.MSG_IMAGE_DAMAGED
    )


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = huge_png(20_000, 20_000)  # 400 megapixels in a small file
    assert len(bomb) < 200_000
    error = refused(bomb, KTP)
    assert error.msgid == documents.MSG_IMAGE_HUGE
    assert error.params == {"megapixels": 400, "max_megapixels": 50}


def test_an_image_just_over_the_pixel_limit_is_refused_with_or_without_the_warning() -> None:
    big = huge_png(8_000, 7_500)  # 60 MP: Pillow only warns; the check refuses it anyway
    assert refused(big, KTP).params["megapixels"] == 60  # warning is an error under pytest
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        assert refused(big, KTP).params == {"megapixels": 60, "max_megapixels": 50}


def test_a_photo_too_small_to_read() -> None:
    error = refused(image_bytes((500, 300)), KTP)
    assert error.msgid == documents.MSG_IMAGE_SMALL
    assert error.params == {"width": 500, "height": 300, "min_width": 600, "min_height": 400}
    assert check_document(image_bytes((300, 400)), PAS_FOTO).height == 400
    assert refused(image_bytes((200, 300)), PAS_FOTO).msgid == documents.MSG_IMAGE_SMALL


def test_an_encrypted_pdf_is_refused() -> None:
    data = rewrite_pdf(pdf_bytes(), user_password="rahasia", owner_password="pemilik")
    assert refused(data, PERNYATAAN).msgid == documents.MSG_PDF_PASSWORD


def test_a_pdf_that_cannot_be_parsed() -> None:
    assert refused(b"%PDF-1.7\n" + os.urandom(2000), PERNYATAAN).msgid == (
        documents.MSG_PDF_DAMAGED
    )
    truncated = pdf_bytes(pages=2)[:300]
    assert refused(truncated, PERNYATAAN).msgid == documents.MSG_PDF_DAMAGED


def test_a_pdf_without_pages() -> None:
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    assert refused(buffer.getvalue(), PERNYATAAN).msgid == documents.MSG_PDF_EMPTY


def test_a_pdf_with_too_many_pages() -> None:
    error = refused(pdf_bytes(pages=11), PERNYATAAN)
    assert (error.msgid, error.params) == (
        documents.MSG_PDF_TOO_LONG,
        {"pages": 11, "max_pages": 10},
    )
    assert check_document(pdf_bytes(pages=10), PERNYATAAN).pages == 10


def test_a_pdf_with_a_script_or_an_attachment_is_refused() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.add_open_action(JavaScript("app.alert('halo');"))
    scripted = io.BytesIO()
    writer.write(scripted)
    assert refused(scripted.getvalue(), PERNYATAAN).msgid == documents.MSG_PDF_ACTIVE

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.add_attachment("lampiran.exe", b"MZ" + bytes(100))
    attached = io.BytesIO()
    writer.write(attached)
    assert refused(attached.getvalue(), PERNYATAAN).msgid == documents.MSG_PDF_ACTIVE


# -- the file store ---------------------------------------------------------------------------


@pytest.fixture
def crypto() -> Crypto:
    return Crypto(generate_key())


@pytest.fixture
def store(tmp_path: Path, crypto: Crypto) -> LocalFileStore:
    return LocalFileStore.in_data_dir(tmp_path / "data", crypto)


def stored_files(store: LocalFileStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


SECRET = b"KTP-el NIK 7471014107990001 WA ODE SITI NURHALIZA " * 200


@pytest.mark.parametrize("encrypt", [False, True])
async def test_put_and_get_round_trip(store: LocalFileStore, crypto: Crypto, encrypt: bool) -> None:
    stored = await store.put(SECRET, encrypt=encrypt)
    # named by a keyed hash: a known document cannot be recognised by its plain sha256
    assert stored.key == crypto.file_hash(SECRET) != hashlib.sha256(SECRET).hexdigest()
    assert content_key(SECRET) == hashlib.sha256(SECRET).hexdigest()
    assert (stored.size, stored.encrypted) == (len(SECRET), encrypt)
    assert await store.exists(stored.key)
    assert await store.get(stored.key) == SECRET
    [path] = stored_files(store)
    key = stored.key
    expected = store.root / key[:2] / key[2:4] / (key + (".enc" if encrypt else ""))
    assert path == expected


async def test_an_encrypted_file_on_disk_holds_no_plaintext(store: LocalFileStore) -> None:
    stored = await store.put(SECRET, encrypt=True)
    [path] = stored_files(store)
    on_disk = path.read_bytes()
    assert path.name.endswith(".enc")
    assert b"7471014107990001" not in on_disk and b"NURHALIZA" not in on_disk
    assert SECRET[:16] not in on_disk
    assert await store.get(stored.key) == SECRET


async def test_the_same_content_is_stored_once(store: LocalFileStore) -> None:
    first = await store.put(SECRET, encrypt=False)
    second = await store.put(SECRET, encrypt=False)
    assert first == second and len(stored_files(store)) == 1
    # storing it encrypted replaces the clear copy; storing it in clear again keeps it sealed
    sealed = await store.put(SECRET, encrypt=True)
    assert sealed.encrypted
    [path] = stored_files(store)
    assert path.suffix == ".enc"
    again = await store.put(SECRET, encrypt=False)
    assert again.encrypted and stored_files(store) == [path]
    other = await store.put(b"another document", encrypt=True)
    assert other.key != sealed.key and len(stored_files(store)) == 2


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
async def test_directories_are_0700_and_files_0600(store: LocalFileStore) -> None:
    stored = await store.put(SECRET, encrypt=False)
    sealed = await store.put(b"health letter", encrypt=True)
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    for key in (stored.key, sealed.key):
        assert stat.S_IMODE((store.root / key[:2]).stat().st_mode) == 0o700
        assert stat.S_IMODE((store.root / key[:2] / key[2:4]).stat().st_mode) == 0o700
    for path in stored_files(store):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not path.name.startswith(".tmp-")


async def test_an_existing_root_is_made_private(tmp_path: Path, crypto: Crypto) -> None:
    root = tmp_path / "files"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    await LocalFileStore(root, crypto).put(b"x", encrypt=False)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "/" + "a" * 63,
        "a" * 62 + "/.",
        "",
        "a" * 64 + "\n",
    ],
)
async def test_bad_keys_are_refused(store: LocalFileStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        await store.get(key)
    with pytest.raises(InvalidKey):
        await store.exists(key)
    with pytest.raises(InvalidKey):
        await store.delete(key)
    with pytest.raises(InvalidKey):
        store.path_for(key, encrypted=False)


async def test_delete(store: LocalFileStore) -> None:
    plain = await store.put(b"surat pendaftaran", encrypt=False)
    sealed = await store.put(SECRET, encrypt=True)
    await store.delete(plain.key)
    await store.delete(sealed.key)
    assert not await store.exists(plain.key) and not await store.exists(sealed.key)
    assert stored_files(store) == []
    await store.delete(sealed.key)  # deleting twice is fine
    with pytest.raises(StoredFileMissing):
        await store.get(sealed.key)
    with pytest.raises(FileNotFoundError):
        await store.get("0" * 64)


async def test_a_damaged_file_is_reported_not_returned(store: LocalFileStore) -> None:
    stored = await store.put(b"original content", encrypt=False)
    [path] = stored_files(store)
    path.write_bytes(b"swapped content")
    with pytest.raises(StoredFileCorrupted):
        await store.get(stored.key)


async def test_another_key_cannot_read_encrypted_files(tmp_path: Path, crypto: Crypto) -> None:
    stored = await LocalFileStore(tmp_path / "files", crypto).put(SECRET, encrypt=True)
    stranger = LocalFileStore(tmp_path / "files", Crypto(generate_key()))
    with pytest.raises(KeyError_):
        await stranger.get(stored.key)


# -- the forms --------------------------------------------------------------------------------

APPLICANT = FormData(
    name="Wa Ode Siti Nurhaliza",
    nik="7471014107990001",
    birth_date=date(1999, 7, 1),
    sex="F",
    address="Jl. Mayjen Sutoyo No. 12",
    rt_rw="002/005",
    kelurahan="Korumba",
    kecamatan="Mandonga",
    kabkota="Kota Kendari",
    phone="+6281234567890",
    education=education_label("sma"),
    occupation="Wiraswasta",
    period_name="Pemilihan Demo",
    tps_label="TPS 007",
    sign_place="Kendari",
    sign_date=date(2024, 9, 20),
    birth_place="Kendari",
)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


FORMS = [surat_pendaftaran, daftar_riwayat_hidup, surat_pernyataan]


@pytest.mark.parametrize("make", FORMS)
def test_every_form_shows_the_applicant(make: object) -> None:
    assert callable(make)
    text = pdf_text(make(APPLICANT))
    for value in ("Wa Ode Siti Nurhaliza", "7471014107990001", "Korumba", "Mandonga"):
        assert value in text
    assert "1 Juli 1999" in text and "Kendari, 20 September 2024" in text
    assert "Pemilihan Demo" in text


def test_the_surat_pendaftaran_is_addressed_to_the_pps() -> None:
    text = pdf_text(surat_pendaftaran(APPLICANT))
    assert "SURAT PENDAFTARAN" in text
    assert "Ketua PPS Kelurahan Korumba" in text
    assert "TPS 007 Kelurahan Korumba" in text
    assert "Perempuan" in text and "+6281234567890" in text and "SMA/sederajat" in text


def test_the_surat_pendaftaran_without_a_tps() -> None:
    text = pdf_text(surat_pendaftaran(replace(APPLICANT, tps_label=None)))
    assert "TPS 007" not in text
    assert "(KPPS) di Kelurahan Korumba" in text


def test_the_daftar_riwayat_hidup_has_a_photo_box_and_the_tps() -> None:
    text = pdf_text(daftar_riwayat_hidup(APPLICANT))
    assert "DAFTAR RIWAYAT HIDUP" in text
    assert "Pas foto 4×6 berwarna" in text
    assert "TPS 007" in text and "Riwayat pendidikan" in text


def test_the_surat_pernyataan_holds_all_twelve_statements() -> None:
    assert len(SURAT_PERNYATAAN_ITEMS) == 12
    text = pdf_text(surat_pernyataan(APPLICANT))
    for number, item in enumerate(SURAT_PERNYATAAN_ITEMS, start=1):
        assert f"{number}. {item}" in text, number
    assert "Demikian surat pernyataan ini dibuat dengan sebenarnya" in text
    assert "Yang membuat pernyataan" in text
    for keyword in (
        "Pancasila",
        "komorbiditas",
        "narkotika",
        "DKPP",
        "ikatan perkawinan",
        "saksi",
        "membaca, menulis, dan berhitung",
        "teknologi informasi",
    ):
        assert keyword in text


def test_the_meterai_box_is_printed_only_when_asked() -> None:
    assert "Meterai 10.000" not in pdf_text(surat_pernyataan(APPLICANT))
    assert "Meterai 10.000" in pdf_text(surat_pernyataan(replace(APPLICANT, meterai=True)))


@pytest.mark.parametrize("make", FORMS)
def test_forms_are_deterministic_one_page_pdfs(make: object) -> None:
    assert callable(make)
    first, second = make(APPLICANT), make(APPLICANT)
    assert first == second
    assert datetime.now().strftime("D:%Y%m%d").encode() not in first
    assert len(PdfReader(io.BytesIO(first)).pages) == 1
    # and they pass the upload check for the document they are
    assert check_document(first, PERNYATAAN).pages == 1


def test_a_name_in_any_script_renders() -> None:
    person = replace(APPLICANT, name="Ñoño Ğül O’Brien — 中村", birth_place=None)
    font = default_font()
    if font.is_unicode:
        assert "Ñoño Ğül O’Brien — " in pdf_text(surat_pernyataan(person, font=font))
    core = pdf_text(surat_pernyataan(person, font=CORE_FONT))
    assert "Ñoño Gül O'Brien - ??" in core
    assert "...................., 1 Juli 1999" in core  # birth place left to fill in by hand


def test_transliteration_keeps_latin1_and_drops_the_rest() -> None:
    assert transliterate_latin1("Été “Şükrü” – 4×6 ☃\t") == 'Été "Sükrü" - 4×6 ? '


def test_form_helpers() -> None:
    assert indonesian_date(date(2024, 11, 27)) == "27 November 2024"
    assert indonesian_date(date(2024, 8, 17)) == "17 Agustus 2024"
    assert education_label("s1") == "Sarjana (S1/D4)" and education_label("x") == "x"
    with pytest.raises(ValueError):
        replace(APPLICANT, sex="L")
    assert set(forms.FORM_TEXT) >= {"surat_pendaftaran", "daftar_riwayat_hidup"}
