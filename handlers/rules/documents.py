"""Checks of an uploaded document file BY CONTENT (domain.md §2), never by its name.

The type is decided from the leading bytes with our own signature checks for the only three
accepted types (JPEG ``FF D8 FF``, PNG's 8-byte signature, PDF ``%PDF-`` at offset 0); the
``filetype`` library is used only to recognise what a refused file really is (HEIC, Word,
ZIP, …) so the reply can say what to do. The declared file name only changes the wording of
a refusal ("the name ends in .jpg but it is really a PDF"); it never makes a file acceptable.

Images are opened with Pillow restricted to the detected format, ``verify()``-ed, then
reopened and fully decoded once (a truncated or corrupt file is refused). Decompression bombs are
refused from the header before decoding: ``MAX_PIXELS`` (50 megapixels, more than a 48 MP phone
photo) is also set as Pillow's process-wide ``Image.MAX_IMAGE_PIXELS``. The decoded pixels are
turned upright (EXIF orientation) and re-encoded in the same format (JPEG at quality
``JPEG_QUALITY``, PNG losslessly): what is stored is ``CheckedFile.data``, which carries no
metadata at all (no EXIF with its GPS position, no XMP, no comments or text chunks, no ICC
profile) and none of the bytes a file may hide after the image (a ZIP appended to a JPEG).

PDFs are parsed with pypdf: unreadable, password-protected (a PDF that opens with an empty
password, i.e. only an owner password restricting printing/editing, is accepted: anyone can open
it), empty, too long, or carrying active content are refused. Active content is searched for in
the whole object graph reachable from the trailer (so the open action, the catalogue's, pages',
annotations' and form fields' additional actions, ``/Next`` chains, outlines and name trees are
all covered): scripts (JavaScript actions or name tree, XFA forms), actions that open or fetch
other files or send data (``/Launch``, ``/GoToR``, ``/GoToE``, ``/ImportData``, ``/SubmitForm``),
``javascript:``-like link targets, and embedded files (file attachments, ``/EmbeddedFiles``,
``/EmbeddedFile`` streams, rich media and 3D annotations). Plain ``/URI`` and ``/GoTo`` links are
fine. The walk is iterative, remembers every indirect object it has seen (reference loops end)
and is bounded in objects, entries and depth: a PDF beyond the bounds is refused as too complex
rather than checked partly. The PDF itself is stored as it was sent.

``check_document`` is CPU-bound (decoding up to ``max_bytes``): call it with
``asyncio.to_thread`` from async code.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import filetype
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from handlers.errors import InvalidAnswer
from handlers.i18n import N_

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MB
DEFAULT_MAX_PAGES = 10
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
JPEG_QUALITY = 90
# When the quality-90 photo would be larger than the rule's limit (the sender's camera used a
# lower quality), it is encoded once more at about what phones use.
JPEG_FALLBACK_QUALITY = 75
# Bounds of the walk through a PDF's objects (a 10-page document has a few thousand objects).
MAX_PDF_OBJECTS = 50_000  # indirect objects parsed (references followed)
MAX_PDF_ENTRIES = 500_000  # entries of the dictionaries and arrays parsed
MAX_PDF_DEPTH = 500  # shortest path from the trailer, e.g. the length of a /Next chain

IMAGE = "image"
PDF = "pdf"
ACCEPT_VALUES = frozenset({IMAGE, PDF})

Required = Literal["always", "former_party_member", "needs_permission", "never"]


class DocKind(StrEnum):
    """The documents of a KPPS application (Kep. KPU 1669/2023 Bab II.A.1, domain.md §2)."""

    SURAT_PENDAFTARAN = "surat_pendaftaran"
    RIWAYAT_HIDUP = "riwayat_hidup"
    KTP = "ktp"
    IJAZAH = "ijazah"
    PAS_FOTO = "pas_foto"
    SURAT_PERNYATAAN = "surat_pernyataan"
    SURAT_KESEHATAN = "surat_kesehatan"
    SURAT_PARTAI = "surat_partai"
    SURAT_IZIN_ATASAN = "surat_izin_atasan"


@dataclass(frozen=True)
class DocumentRule:
    """What is accepted for one kind of document.

    ``min_width``/``min_height`` are checked regardless of orientation: the longer side of the
    image must reach the larger minimum and the shorter side the smaller one, so a document
    photographed in portrait or landscape is treated alike.
    """

    kind: DocKind
    accept: frozenset[str]
    max_bytes: int = DEFAULT_MAX_BYTES
    min_width: int = 600
    min_height: int = 400
    max_pages: int = DEFAULT_MAX_PAGES
    required: Required = "always"
    encrypt: bool = True

    def __post_init__(self) -> None:
        if not self.accept or not self.accept <= ACCEPT_VALUES:
            raise ValueError(f"{self.kind}: accept must be a non-empty subset of {ACCEPT_VALUES}")
        if self.max_bytes <= 0 or self.max_pages <= 0:
            raise ValueError(f"{self.kind}: max_bytes and max_pages must be positive")
        if self.min_width < 0 or self.min_height < 0:
            raise ValueError(f"{self.kind}: minimum sizes cannot be negative")
        if self.required not in ("always", "former_party_member", "needs_permission", "never"):
            raise ValueError(f"{self.kind}: unknown required value {self.required!r}")


_FORMS = frozenset({IMAGE, PDF})

# Every document carries personal data, so every one is encrypted at rest: the KTP, ijazah and
# forms hold the NIK, birth date and address; the health letter is data kesehatan and the
# surat pernyataan covers criminal record (both data pribadi spesifik, UU 27/2022 Pasal 4);
# the party letter reveals political affiliation, the superior's permission the employer;
# the pas foto is a face photo.
DEFAULT_RULES: dict[DocKind, DocumentRule] = {
    DocKind.SURAT_PENDAFTARAN: DocumentRule(DocKind.SURAT_PENDAFTARAN, _FORMS),
    DocKind.RIWAYAT_HIDUP: DocumentRule(DocKind.RIWAYAT_HIDUP, _FORMS),
    DocKind.KTP: DocumentRule(DocKind.KTP, _FORMS, max_pages=2),
    DocKind.IJAZAH: DocumentRule(DocKind.IJAZAH, _FORMS, max_pages=4),
    DocKind.PAS_FOTO: DocumentRule(
        DocKind.PAS_FOTO, frozenset({IMAGE}), min_width=300, min_height=400, max_pages=1
    ),
    DocKind.SURAT_PERNYATAAN: DocumentRule(DocKind.SURAT_PERNYATAAN, _FORMS),
    DocKind.SURAT_KESEHATAN: DocumentRule(DocKind.SURAT_KESEHATAN, _FORMS),
    DocKind.SURAT_PARTAI: DocumentRule(
        DocKind.SURAT_PARTAI, _FORMS, required="former_party_member"
    ),
    DocKind.SURAT_IZIN_ATASAN: DocumentRule(
        DocKind.SURAT_IZIN_ATASAN, _FORMS, required="needs_permission"
    ),
}

JPEG_MIME = "image/jpeg"
PNG_MIME = "image/png"
PDF_MIME = "application/pdf"


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed its rule, and the bytes to store for it.

    ``data`` is what to store instead of the upload: for an image, the picture re-encoded from
    its pixels, upright and without any metadata or trailing bytes; for a PDF, the bytes as
    sent. ``size`` and ``sha256`` describe ``data`` (the stored file, whose store key is that
    hash); ``width``/``height`` are those of the stored, upright picture.
    """

    kind: DocKind
    mime: str
    extension: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    pages: int | None
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class _Type:
    mime: str
    extension: str
    label: str  # shown to the user: a format name, the same in every language
    pillow: str | None  # Pillow format name for images
    category: str  # IMAGE or PDF


_JPEG = _Type(JPEG_MIME, "jpg", "JPEG", "JPEG", IMAGE)
_PNG = _Type(PNG_MIME, "png", "PNG", "PNG", IMAGE)
_PDF = _Type(PDF_MIME, "pdf", "PDF", None, PDF)

_DECLARED_TYPES = {
    "jpg": _JPEG,
    "jpeg": _JPEG,
    "jpe": _JPEG,
    "jfif": _JPEG,
    "png": _PNG,
    "pdf": _PDF,
}
_OFFICE_EXTENSIONS = frozenset({"doc", "docx", "odt", "rtf", "xls", "xlsx", "ods", "ppt", "pptx"})
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,10})$")

# -- msgids (English; translated by the caller with the params) ------------------------------

MSG_EMPTY = N_("The file is empty. Please send the document again.")
MSG_TOO_BIG = {
    frozenset({IMAGE}): N_(
        "The file is {size_mb} MB; the limit is {limit_mb} MB. Please send it as a photo "
        "instead of as a file (the app then makes it smaller), or photograph it again."
    ),
    frozenset({PDF}): N_(
        "The file is {size_mb} MB; the limit is {limit_mb} MB. Please compress the PDF or scan "
        "the document again at a lower resolution."
    ),
    _FORMS: N_(
        "The file is {size_mb} MB; the limit is {limit_mb} MB. Please send it as a photo "
        "instead of as a file (the app then makes it smaller), save it as a smaller PDF, or "
        "photograph the document again."
    ),
}
MSG_NEED_PHOTO = N_(
    "This file is a {actual} file, but this document must be sent as a photo (JPEG or PNG). "
    "Please send a photo of it."
)
MSG_NEED_PDF = N_(
    "This file is a {actual} file, but this document must be sent as a PDF. "
    "Please send it as a PDF."
)
MSG_RENAMED_NEED_PHOTO = N_(
    "The file's name ends in .{declared}, but it is really a {actual} file, and this document "
    "must be sent as a photo (JPEG or PNG). Please send a photo of it."
)
MSG_RENAMED_NEED_PDF = N_(
    "The file's name ends in .{declared}, but it is really a {actual} file, and this document "
    "must be sent as a PDF. Please send it as a PDF."
)
MSG_IMAGE_FORMAT = N_(
    "This photo is in the {actual} format, which is not accepted. Please send it as a photo "
    "instead of as a file (the app then converts it), or save it as JPEG or PNG."
)
MSG_OFFICE = N_(
    "This is a {actual} document file. Please print the document, sign it, and send a photo "
    "or a PDF scan of the signed pages."
)
MSG_NOT_ACCEPTED = {
    frozenset({IMAGE}): N_(
        "This file is not a photo, so it cannot be accepted. Please send a photo (JPEG or PNG)."
    ),
    frozenset({PDF}): N_(
        "This file is not a PDF, so it cannot be accepted. Please send the document as a PDF."
    ),
    _FORMS: N_(
        "This file is not a photo or a PDF, so it cannot be accepted. Please send a photo "
        "(JPEG or PNG) or a PDF of the document."
    ),
}
MSG_IMAGE_DAMAGED = N_(
    "The photo cannot be opened: the file is damaged or incomplete. Please send it again."
)
MSG_IMAGE_HUGE = N_(
    "The image is too large to process ({megapixels} megapixels; at most {max_megapixels}). "
    "Please send it as a photo instead of as a file, or photograph the document again."
)
MSG_IMAGE_SMALL = N_(
    "The photo is too small to read ({width}×{height} pixels; at least {min_width}×{min_height} "
    "is needed). Please photograph the document closer, or send the original photo as a file."
)
MSG_PDF_DAMAGED = N_(
    "The PDF cannot be opened: the file is damaged or incomplete. Please save or scan it again "
    "and send it."
)
MSG_PDF_PASSWORD = N_(
    "The PDF is protected with a password. Please send a copy without a password, or send "
    "photos of the pages."
)
MSG_PDF_EMPTY = N_("The PDF has no pages. Please send the document again.")
MSG_PDF_TOO_LONG = N_(
    "The PDF has {pages} pages; at most {max_pages} are accepted for this document. Please send "
    "only the pages of this document."
)
MSG_PDF_ACTIVE = N_(
    "The PDF contains scripts or attached files, which are not accepted. Please save it again "
    "as a plain PDF (for example with Print to PDF), or send photos of the pages."
)
MSG_PDF_COMPLEX = N_(
    "The PDF is too complex to be checked. Please save it again as a plain PDF (for example "
    "with Print to PDF), or send photos of the pages."
)


# -- type detection ---------------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The accepted MIME type the content really is (by signature), or None."""
    found = _sniff(data)
    return found.mime if found else None


def _sniff(data: bytes) -> _Type | None:
    if data.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if data.startswith(b"%PDF-"):
        return _PDF
    return None


def _declared_extension(declared_name: str | None) -> str | None:
    if not declared_name:
        return None
    base = re.split(r"[\\/]", declared_name.strip())[-1]
    match = _EXTENSION.search(base)
    return match.group(1).lower() if match else None


def _refuse_other(data: bytes, rule: DocumentRule) -> InvalidAnswer:
    """The refusal for content that is not JPEG, PNG or PDF."""
    guess = filetype.guess(data)
    extension = guess.extension.lower() if guess is not None else None
    if guess is not None and guess.mime.startswith("image/"):
        label = (extension or "?").upper()
        if IMAGE in rule.accept:
            return InvalidAnswer(MSG_IMAGE_FORMAT, actual=label)
        return InvalidAnswer(MSG_NEED_PDF, actual=label)
    if extension in _OFFICE_EXTENSIONS and rule.accept == _FORMS:
        return InvalidAnswer(MSG_OFFICE, actual=(extension or "").upper())
    return InvalidAnswer(MSG_NOT_ACCEPTED[rule.accept])


def _refuse_category(found: _Type, declared: str | None, rule: DocumentRule) -> InvalidAnswer:
    """The refusal for a JPEG/PNG/PDF that is not allowed for this document."""
    need_photo = IMAGE in rule.accept
    claimed = _DECLARED_TYPES.get(declared) if declared else None
    if claimed is not None and claimed is not found:
        msgid = MSG_RENAMED_NEED_PHOTO if need_photo else MSG_RENAMED_NEED_PDF
        return InvalidAnswer(msgid, declared=declared, actual=found.label)
    return InvalidAnswer(MSG_NEED_PHOTO if need_photo else MSG_NEED_PDF, actual=found.label)


# -- the check --------------------------------------------------------------------------------


def _mb(size: int) -> float:
    return round(size / MB, 1)


def check_document(
    data: bytes, rule: DocumentRule, *, declared_name: str | None = None
) -> CheckedFile:
    """Check ``data`` against ``rule``; InvalidAnswer(msgid, **params) says what is wrong."""
    if not data:
        raise InvalidAnswer(MSG_EMPTY)
    if len(data) > rule.max_bytes:
        raise InvalidAnswer(
            MSG_TOO_BIG[rule.accept], size_mb=_mb(len(data)), limit_mb=_mb(rule.max_bytes)
        )
    found = _sniff(data)
    if found is None:
        raise _refuse_other(data, rule)
    if found.category not in rule.accept:
        raise _refuse_category(found, _declared_extension(declared_name), rule)

    width = height = pages = None
    if found.category == IMAGE:
        width, height, stored = _check_image(data, found, rule)
    else:
        pages = _check_pdf(data, rule)
        stored = data
    return CheckedFile(
        kind=rule.kind,
        mime=found.mime,
        extension=found.extension,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        width=width,
        height=height,
        pages=pages,
        data=stored,
    )


def _check_image(data: bytes, found: _Type, rule: DocumentRule) -> tuple[int, int, bytes]:
    """The displayed size and the re-encoded picture; one full decode, bounded by MAX_PIXELS.

    Peak memory is the decoded picture (at most ``MAX_PIXELS`` × 4 bytes) plus, for a rotated
    photo, one transposed copy while it is turned upright, plus the encoded output.
    """
    formats = [found.pillow] if found.pillow else None
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _too_huge(width * height)
            image.verify()
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.load()  # the full decode: a truncated or corrupt file fails here
            _make_upright(image)
            width, height = image.size
            _check_resolution(width, height, rule)
            stored = _reencode(image, found, rule)
    except InvalidAnswer:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses an image over twice its limit (and warns over the limit, which a
        # warnings filter may turn into an exception) inside Image.open, before we see the
        # size; its message gives the pixel count.
        counts = re.findall(r"\d+", str(exc))
        raise _too_huge(int(counts[0]) if counts else MAX_PIXELS + 1) from exc
    except Exception as exc:  # anything Pillow raises on hostile input: OSError, SyntaxError, …
        raise InvalidAnswer(MSG_IMAGE_DAMAGED) from exc
    return width, height, stored


def _check_resolution(width: int, height: int, rule: DocumentRule) -> None:
    long_side, short_side = max(width, height), min(width, height)
    need_long = max(rule.min_width, rule.min_height)
    need_short = min(rule.min_width, rule.min_height)
    if long_side < need_long or short_side < need_short:
        raise InvalidAnswer(
            MSG_IMAGE_SMALL,
            width=width,
            height=height,
            min_width=rule.min_width,
            min_height=rule.min_height,
        )


def _too_huge(pixels: int) -> InvalidAnswer:
    return InvalidAnswer(
        MSG_IMAGE_HUGE, megapixels=round(pixels / 1e6), max_megapixels=round(MAX_PIXELS / 1e6)
    )


def _make_upright(image: Image.Image) -> None:
    """Apply the EXIF orientation to the pixels, in place (no copy when there is none)."""
    with contextlib.suppress(Exception):  # a broken EXIF block does not make it unreadable
        ImageOps.exif_transpose(image, in_place=True)


_JPEG_MODES = frozenset({"L", "RGB", "CMYK"})
_PNG_MODES = frozenset({"1", "L", "LA", "I;16", "P", "RGB", "RGBA"})


def _reencode(image: Image.Image, found: _Type, rule: DocumentRule) -> bytes:
    """The pixels in a new file of the same format, with no metadata whatsoever.

    Pillow copies some ``info`` entries (a JPEG comment, a PNG ICC profile) into what it saves
    unless told otherwise, so ``info`` is emptied first; only a PNG's transparency, which is
    part of the picture, is passed on.
    """
    transparency = image.info.get("transparency")
    image.info.clear()
    if found.pillow == "JPEG":
        picture = image if image.mode in _JPEG_MODES else image.convert("RGB")
        encoded = _save(picture, "JPEG", quality=JPEG_QUALITY)
        if len(encoded) > rule.max_bytes:
            encoded = _save(picture, "JPEG", quality=JPEG_FALLBACK_QUALITY)
        return encoded
    if image.mode in _PNG_MODES:
        options = {} if transparency is None else {"transparency": transparency}
        return _save(image, "PNG", **options)
    return _save(image.convert("RGBA" if "A" in image.mode else "RGB"), "PNG")


def _save(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _check_pdf(data: bytes, rule: DocumentRule) -> int:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise InvalidAnswer(MSG_PDF_PASSWORD)
        pages = len(reader.pages)
        if pages == 0:
            raise InvalidAnswer(MSG_PDF_EMPTY)
        if pages > rule.max_pages:
            raise InvalidAnswer(MSG_PDF_TOO_LONG, pages=pages, max_pages=rule.max_pages)
        for page in reader.pages:
            page.get_contents()  # every page's content stream must decode
        active = _has_active_content(reader)
    except InvalidAnswer:
        raise
    except (_TooComplex, RecursionError) as exc:
        raise InvalidAnswer(MSG_PDF_COMPLEX) from exc
    except Exception as exc:  # anything pypdf raises on hostile input
        raise InvalidAnswer(MSG_PDF_DAMAGED) from exc
    if active:
        raise InvalidAnswer(MSG_PDF_ACTIVE)
    return pages


class _TooComplex(Exception):
    """The PDF's object graph is beyond the walk's bounds."""


# Actions that run a script, open or fetch another file, or send data somewhere. /URI and /GoTo
# (links to a web page or within the document), /Named, /ResetForm, … are fine.
_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/GoToR",
        "/GoToE",
        "/ImportData",
        "/SubmitForm",
        "/RichMediaExecute",
    }
)
# Annotations that carry a file or a program: attachments, rich media (Flash, video with
# scripts), 3D (its stream may hold JavaScript).
_ACTIVE_ANNOTATIONS = frozenset({"/FileAttachment", "/RichMedia", "/3D"})
# Keys found only in active content: JavaScript code (/JS; 3D /OnInstantiate), the document's
# JavaScript and embedded-files name trees, a file specification's embedded file (/EF), XFA.
_ACTIVE_KEYS = ("/JS", "/OnInstantiate", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA")
# Link targets a viewer (a browser's above all) may run as a script or use to read local files.
_ACTIVE_URI = re.compile(r"(?:javascript|vbscript|data|file):")
_URI_NOISE = re.compile(r"[\x00-\x20\x7f]+")


class _PdfWalk:
    """Every dictionary and array reachable from the trailer, breadth first, within bounds.

    Parsing is what costs: every object pypdf parses for the walk is charged, when it is
    parsed, for all the entries of its direct structure. So a file that points thousands of
    object numbers at one large object (each is parsed on its own) is stopped by the entries
    bound after about ``MAX_PDF_ENTRIES`` entries' worth of parsing, not after thousands of
    large parses.
    """

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()
        self.objects = 0
        self.entries = 0

    def _resolve(self, reference: IndirectObject) -> Any:
        self.objects += 1
        if self.objects > MAX_PDF_OBJECTS:
            raise _TooComplex
        value = reference.get_object()
        self._charge(value)
        return value

    def _charge(self, value: Any) -> None:
        """Count the entries of ``value`` and of the dictionaries and arrays directly in it."""
        pending = [value]
        while pending:
            item = pending.pop()
            items: Iterable[Any]
            if isinstance(item, DictionaryObject):
                items = dict.values(item)
            elif isinstance(item, ArrayObject):
                items = item
            else:
                continue
            self.entries += len(item)
            if self.entries > MAX_PDF_ENTRIES:
                raise _TooComplex
            pending.extend(v for v in items if isinstance(v, (DictionaryObject, ArrayObject)))

    def follow(self, value: Any) -> Any:
        """``value`` with references followed; None for an object already walked."""
        while isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in self.seen:
                return None
            self.seen.add(key)
            value = self._resolve(value)
        return value

    def name(self, value: Any) -> str | None:
        """A name (or string) entry's value, references followed but not remembered; None for
        anything else (a dictionary where a name belongs is nothing a viewer acts on)."""
        while isinstance(value, IndirectObject):
            value = self._resolve(value)
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value if isinstance(value, str) else None

    def has_active_content(self, trailer: DictionaryObject) -> bool:
        self._charge(trailer)
        queue: deque[tuple[DictionaryObject | ArrayObject, int]] = deque([(trailer, 0)])
        while queue:
            container, depth = queue.popleft()
            if depth > MAX_PDF_DEPTH:
                raise _TooComplex
            children: Iterable[Any]
            if isinstance(container, DictionaryObject):
                if self._is_active(container):
                    return True
                children = dict.values(container)  # raw: references not yet followed
            else:
                children = container
            for child in children:
                if isinstance(child, IndirectObject):
                    child = self.follow(child)
                if isinstance(child, (DictionaryObject, ArrayObject)):
                    queue.append((child, depth + 1))
        return False

    def _is_active(self, entry: DictionaryObject) -> bool:
        if any(dict.__contains__(entry, key) for key in _ACTIVE_KEYS):
            return True
        action = self.name(dict.get(entry, "/S"))
        if action in _ACTIVE_ACTIONS:
            return True
        if action == "/URI" and _is_active_uri(self.name(dict.get(entry, "/URI"))):
            return True
        if self.name(dict.get(entry, "/Type")) == "/EmbeddedFile":
            return True
        return self.name(dict.get(entry, "/Subtype")) in _ACTIVE_ANNOTATIONS


def _is_active_uri(uri: str | None) -> bool:
    return uri is not None and _ACTIVE_URI.match(_URI_NOISE.sub("", uri).lower()) is not None


def _has_active_content(reader: PdfReader) -> bool:
    """Scripts, actions opening other files, or embedded files anywhere in the document."""
    return _PdfWalk().has_active_content(reader.trailer)
