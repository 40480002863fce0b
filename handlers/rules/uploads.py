"""Uploads received and prepared BEFORE the unit of work: the heavy part of checking a file.

Decoding photos and turning an album into a PDF takes time and memory. Inside the unit of work it
would hold the database transaction (on SQLite: the write lock, so every other chat waits), so
the engine calls ``receive`` before the transaction: it downloads the attachments of one message
and prepares them in a worker thread of this module (``PREPARE_WORKERS`` uploads at a time). What
is prepared does not depend on the document the chat is waiting for, which is only known inside
the transaction; there the flow calls ``Upload.admit(rule)``, which makes only the cheap checks
that depend on the document (accepted types, size limit, minimum picture size, page count) and
refuses with the messages of ``handlers.rules.documents``.

- One file is checked by content with ``check_document`` under the most permissive rule of any
  document (both types, the largest size of any document, no minimum picture size, the most pages
  any document takes): that is where it is decoded. ``admit`` repeats, for the document's own
  rule, what ``check_document`` checks before decoding (empty, size, type: the same call, which
  refuses before decoding) and the checks on what was measured (picture size, pages).
- An album (several parts) becomes one PDF. First, from the headers alone and before anything
  is decoded: at most ``MAX_ALBUM_PARTS`` parts (more are not even downloaded), each a JPEG or
  PNG of at most ``MAX_PIXELS``, and at most ``MAX_ALBUM_PIXELS`` together. Then one photo at
  a time is decoded (a large JPEG directly at a reduced scale), scaled down to ``MAX_PAGE_SIDE``,
  turned upright (EXIF), encoded as a JPEG page and let go; the pages are written into the PDF
  as they are (no decoding again), each fitted to A4. So at most one decoded photo per upload
  is in memory. The document's page limit is checked from the number of photos and its size
  limit on the finished PDF; a PDF over the limit is refused, never stored.

After ``receive``, the ``fetch`` of every attachment of the message is the prepared ``Upload``
(``of`` finds it); calling it gives the bytes to store.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

from PIL import Image

from handlers.errors import InvalidAnswer
from handlers.i18n import N_
from handlers.messages import Attachment
from handlers.rules.documents import (
    ACCEPT_VALUES,
    DEFAULT_RULES,
    IMAGE,
    JPEG_MIME,
    MAX_PIXELS,
    MB,
    MSG_IMAGE_DAMAGED,
    MSG_IMAGE_HUGE,
    MSG_IMAGE_SMALL,
    MSG_PDF_TOO_LONG,
    PDF,
    PDF_MIME,
    PNG_MIME,
    CheckedFile,
    DocKind,
    DocumentRule,
    check_document,
    sniff,
)

log = logging.getLogger(__name__)

# -- the limits of an upload, all here -------------------------------------------------------

MAX_ALBUM_PARTS = 10  # photos sent together (an album); the parts of a larger one are not fetched
MAX_ALBUM_PIXELS = 60_000_000  # all photos of an album together, read from their headers
MAX_PAGE_SIDE = 2560  # a larger photo is scaled down for its page (the size of a Telegram photo)
PAGE_QUALITY = 80  # JPEG quality of an album page
PREPARE_WORKERS = 2  # uploads prepared at the same time (each holds one decoded photo at most)
MAX_PDF_PAGES = max(rule.max_pages for rule in DEFAULT_RULES.values())  # most of any document
A4_POINTS = (595.28, 841.89)

MSG_ONE_PHOTO = N_("Please send only one photo for this document.")
MSG_TOO_LARGE_TO_FETCH = N_(
    "This file is {size} MB, more than the {limit} MB I can accept. Please "
    "compress it, send it as a PDF, or photograph the document again."
)
MSG_NOT_RECEIVED = N_("I could not receive this file. Please send it again.")
MSG_ALBUM_PAGES = N_(
    "You sent {parts} photos together; at most {max_pages} pages are accepted for this "
    "document. Please send only the pages of this document, one photo per page."
)
MSG_ALBUM_PIXELS = N_(
    "These photos are too large to process together ({megapixels} megapixels; at most "
    "{max_megapixels} in one album). Please send them as photos instead of as files (the app "
    "then makes them smaller), or send fewer photos at once."
)
MSG_ALBUM_TOO_BIG = N_(
    "Together these photos make a PDF of {size_mb} MB; the limit for this document is "
    "{limit_mb} MB. Please send only the pages of this document, or send it as one PDF file "
    "of at most {limit_mb} MB."
)

_PILLOW_FORMATS = {JPEG_MIME: "JPEG", PNG_MIME: "PNG"}
_CATEGORIES = {JPEG_MIME: IMAGE, PNG_MIME: IMAGE, PDF_MIME: PDF}
_UPRIGHT = {  # EXIF orientation → what turns the picture upright (as ImageOps.exif_transpose)
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_WORKERS = ThreadPoolExecutor(max_workers=PREPARE_WORKERS, thread_name_prefix="upload")


@dataclass(frozen=True, eq=False)
class Upload:
    """One message's attachments after preparation: a file, or an album made into one PDF.

    It is also the ``fetch`` of those attachments; calling it gives the bytes to store (the
    file as sent when it was refused)."""

    parts: int
    declared: tuple[tuple[int | None, int | None], ...]  # each part's (size, channel limit)
    received: bool = True  # every part was downloaded
    original: bytes = b""  # one file, as sent
    data: bytes = b""  # what to store once admitted
    size: int = 0  # len(data), or of the PDF an album made when it is over every limit
    checked: CheckedFile | None = None  # passed the checks that hold for every document
    error: InvalidAnswer | None = None  # refused, whatever the document
    photos: tuple[tuple[int, int], ...] = ()  # an album's photos (width, height) as displayed
    # One file checked again under a smaller size limit, where that changes what is stored.
    tighter: tuple[tuple[int, CheckedFile | InvalidAnswer], ...] = ()

    async def __call__(self) -> bytes:
        return self.data or self.original

    def admit(
        self, rule: DocumentRule, declared_name: str | None = None
    ) -> tuple[bytes, CheckedFile]:
        """The bytes to store for a document of ``rule`` and their check; InvalidAnswer says
        what is wrong. Cheap (nothing is decoded): it may run inside the unit of work."""
        if self.parts > 1:
            self._admit_album(rule)
        self._check_declared(rule)
        if not self.received:
            raise InvalidAnswer(MSG_NOT_RECEIVED)
        if self.parts == 1:
            self._admit_file(rule, declared_name)
        if self.error is not None:
            raise _again(self.error, rule)
        for width, height in self.photos:
            _check_picture_size(width, height, rule)
        if self.parts > 1 and self.size > rule.max_bytes:
            raise InvalidAnswer(
                MSG_ALBUM_TOO_BIG, size_mb=_mb(self.size), limit_mb=_mb(rule.max_bytes)
            )
        checked, data = self.checked, self.data
        for limit, again in self.tighter:
            if limit == rule.max_bytes:
                if isinstance(again, InvalidAnswer):
                    raise _again(again, rule)
                checked, data = again, again.data
        if checked is None:  # not reached: preparation leaves an error or a check
            raise InvalidAnswer(MSG_NOT_RECEIVED)
        if checked.width is not None and checked.height is not None:
            _check_picture_size(checked.width, checked.height, rule)
        if checked.pages is not None and checked.pages > rule.max_pages:
            raise InvalidAnswer(MSG_PDF_TOO_LONG, pages=checked.pages, max_pages=rule.max_pages)
        return data, replace(checked, kind=rule.kind)

    def _admit_album(self, rule: DocumentRule) -> None:
        if PDF not in rule.accept:
            raise InvalidAnswer(MSG_ONE_PHOTO)
        most = min(rule.max_pages, MAX_ALBUM_PARTS)
        if self.parts > most:  # the page limit, from the number of photos
            raise InvalidAnswer(MSG_ALBUM_PAGES, parts=self.parts, max_pages=most)

    def _check_declared(self, rule: DocumentRule) -> None:
        for size, channel_limit in self.declared:
            limit = rule.max_bytes if channel_limit is None else min(rule.max_bytes, channel_limit)
            if size is not None and size > limit:
                raise InvalidAnswer(
                    MSG_TOO_LARGE_TO_FETCH, size=f"{size / MB:.1f}", limit=f"{limit / MB:.0f}"
                )

    def _admit_file(self, rule: DocumentRule, declared_name: str | None) -> None:
        data = self.original
        category = _CATEGORIES.get(sniff(data) or "")
        if not data or len(data) > rule.max_bytes or category not in rule.accept:
            # Empty, too big, or a type this document does not take: check_document refuses
            # it (in the words for this document) before it decodes anything.
            check_document(data, rule, declared_name=declared_name)


def of(attachments: Sequence[Attachment]) -> Upload | None:
    """The prepared upload of a message's attachments (None if they were not prepared)."""
    fetch = attachments[0].fetch if attachments else None
    return fetch if isinstance(fetch, Upload) else None


async def receive(
    attachments: Sequence[Attachment], *, limits: Sequence[int]
) -> tuple[Attachment, ...]:
    """Download ``attachments`` one after another and prepare them in a worker thread; their
    ``fetch`` is then the prepared ``Upload``. ``limits`` are the size limits (bytes) of the
    documents. A file over the largest or its channel's limit is not downloaded, nor are the
    parts of an album over ``MAX_ALBUM_PARTS``: ``admit`` explains the limit."""
    max_bytes = max(limits, default=0)
    contents: list[bytes | None] = []
    too_many = len(attachments) > MAX_ALBUM_PARTS
    for attachment in attachments:
        limit = min(max_bytes, attachment.limit or max_bytes)
        if too_many or (attachment.size is not None and attachment.size > limit):
            contents.append(None)
            continue
        try:
            contents.append(await attachment.fetch())
        except Exception:
            log.warning("could not download an attachment", exc_info=True)
            contents.append(None)
    declared = tuple((a.size, a.limit) for a in attachments)
    names = [a.name for a in attachments]
    loop = asyncio.get_running_loop()
    work = partial(prepare, contents, names, declared, limits=limits)
    upload = await loop.run_in_executor(_WORKERS, work)
    return tuple(replace(attachment, fetch=upload) for attachment in attachments)


def prepare(
    contents: Sequence[bytes | None],
    names: Sequence[str | None],
    declared: tuple[tuple[int | None, int | None], ...],
    *,
    limits: Sequence[int],
) -> Upload:
    """Prepare one message's files (None: not downloaded) for documents with these size
    ``limits``. CPU-bound: run it in a thread."""
    if len(contents) == 1:
        return _prepare_file(contents[0], names[0], declared, limits)
    return _prepare_album(contents, names, declared, max([1, *limits]))


# -- one file -----------------------------------------------------------------------------------


def _prepare_file(
    data: bytes | None,
    name: str | None,
    declared: tuple[tuple[int | None, int | None], ...],
    limits: Sequence[int],
) -> Upload:
    if data is None:
        return Upload(1, declared, received=False)
    rule = DocumentRule(
        DocKind.SURAT_PERNYATAAN,  # any: ``admit`` gives the check the document's kind
        ACCEPT_VALUES,
        max_bytes=max([1, *limits]),
        min_width=0,
        min_height=0,
        max_pages=MAX_PDF_PAGES,
    )
    try:
        checked = check_document(data, rule, declared_name=name)
    except InvalidAnswer as error:
        return Upload(1, declared, original=data, size=len(data), error=error)
    # What is stored may depend on the limit: a photo whose re-encoded picture is over it is
    # encoded smaller. So it is checked again under each smaller limit of a document that
    # would take the file as sent but not what was made of it (rare: one more decoding).
    tighter: list[tuple[int, CheckedFile | InvalidAnswer]] = []
    for limit in sorted({limit for limit in limits if len(data) <= limit < checked.size}):
        try:
            tighter.append((limit, check_document(data, replace(rule, max_bytes=limit))))
        except InvalidAnswer as error:
            tighter.append((limit, error))
    return Upload(
        1,
        declared,
        original=data,
        data=checked.data,
        size=checked.size,
        checked=checked,
        tighter=tuple(tighter),
    )


# -- an album: one PDF, a page per photo ----------------------------------------------------


@dataclass(frozen=True)
class _Page:
    jpeg: bytes
    width: int
    height: int
    gray: bool


def _prepare_album(
    contents: Sequence[bytes | None],
    names: Sequence[str | None],
    declared: tuple[tuple[int | None, int | None], ...],
    max_bytes: int,
) -> Upload:
    parts = len(contents)
    if parts > MAX_ALBUM_PARTS:
        error = InvalidAnswer(MSG_ALBUM_PAGES, parts=parts, max_pages=MAX_ALBUM_PARTS)
        return Upload(parts, declared, received=False, error=error)
    files = [data for data in contents if data is not None]
    if len(files) < parts:
        return Upload(parts, declared, received=False)
    try:
        formats = [
            _photo_format(data, name, max_bytes) for data, name in zip(files, names, strict=True)
        ]
        sizes = [_header_size(data, fmt) for data, fmt in zip(files, formats, strict=True)]
        total = sum(width * height for width, height in sizes)
        if total > MAX_ALBUM_PIXELS:  # before anything is decoded
            raise InvalidAnswer(
                MSG_ALBUM_PIXELS,
                megapixels=round(total / 1e6),
                max_megapixels=round(MAX_ALBUM_PIXELS / 1e6),
            )
        pages: list[_Page] = []
        photos: list[tuple[int, int]] = []
        for data, fmt in zip(files, formats, strict=True):  # one photo decoded at a time
            page, shown = _page(data, fmt)
            pages.append(page)
            photos.append(shown)
    except InvalidAnswer as error:
        return Upload(parts, declared, error=error)
    pdf = _pdf(pages)
    del pages
    if len(pdf) > max_bytes:  # over every document's limit: ``admit`` says so with the size
        return Upload(parts, declared, size=len(pdf), photos=tuple(photos))
    rule = DocumentRule(
        DocKind.SURAT_PERNYATAAN, frozenset({PDF}), max_bytes=max_bytes, max_pages=MAX_ALBUM_PARTS
    )
    try:  # our own PDF, read back as any PDF is: its pages, and nothing broken
        checked = check_document(pdf, rule)
    except InvalidAnswer as error:
        log.error("an album made an unreadable PDF: %s", error.msgid)
        return Upload(parts, declared, error=error)
    return Upload(
        parts, declared, data=checked.data, size=checked.size, checked=checked, photos=tuple(photos)
    )


def _photo_format(data: bytes, name: str | None, max_bytes: int) -> str:
    """The Pillow format of an album part; anything but a JPEG or PNG is refused."""
    pillow_format = _PILLOW_FORMATS.get(sniff(data) or "")
    if pillow_format is None or len(data) > max_bytes:
        rule = DocumentRule(DocKind.SURAT_PERNYATAAN, frozenset({IMAGE}), max_bytes=max_bytes)
        check_document(data, rule, declared_name=name)  # refuses it before decoding anything
        raise InvalidAnswer(MSG_IMAGE_DAMAGED)  # not reached
    return pillow_format


def _header_size(data: bytes, pillow_format: str) -> tuple[int, int]:
    """Width and height from the header (nothing is decoded); a bomb is refused here."""
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        counts = re.findall(r"\d+", str(exc))
        raise _too_huge(int(counts[0]) if counts else MAX_PIXELS + 1) from exc
    except Exception as exc:  # anything Pillow raises on hostile input
        raise InvalidAnswer(MSG_IMAGE_DAMAGED) from exc
    if width * height > MAX_PIXELS:
        raise _too_huge(width * height)
    return width, height


def _page(data: bytes, pillow_format: str) -> tuple[_Page, tuple[int, int]]:
    """The photo as a JPEG page at most MAX_PAGE_SIDE, upright; and its size as displayed."""
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            width, height = image.size
            scale = MAX_PAGE_SIDE / max(width, height)
            if pillow_format == "JPEG" and scale < 1:  # decoded at 1/2, 1/4 or 1/8 if enough
                image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
            image.load()  # a truncated or corrupt file fails here
            orientation = _orientation(image)
            picture = _scaled_flat(image)
    except Exception as exc:  # anything Pillow raises on hostile input
        raise InvalidAnswer(MSG_IMAGE_DAMAGED) from exc
    if orientation in _UPRIGHT:
        picture = picture.transpose(_UPRIGHT[orientation])
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    picture.info.clear()  # Pillow would copy a JPEG comment: a page carries no metadata
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=PAGE_QUALITY)
    page = _Page(buffer.getvalue(), picture.width, picture.height, picture.mode == "L")
    return page, (width, height)


def _scaled_flat(image: Image.Image) -> Image.Image:
    """At most MAX_PAGE_SIDE, in L or RGB; transparent parts become white."""
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode.startswith("I"):  # 16-bit grey
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        transparent = image.mode in ("P", "PA") and "transparency" in image.info
        image = image.convert("RGBA" if transparent or image.mode == "PA" else "RGB")
    if max(image.size) > MAX_PAGE_SIDE:
        image.thumbnail((MAX_PAGE_SIDE, MAX_PAGE_SIDE))
    if image.mode in ("LA", "RGBA"):
        flat = Image.new(image.mode[:-1], image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block does not make the picture unreadable
        return 1
    return value if isinstance(value, int) else 1


def _pdf(pages: Sequence[_Page]) -> bytes:
    """A PDF of one photo per page, its JPEG embedded as it is (DCTDecode), fitted to A4."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []

    def add(head: str, stream: bytes | None = None) -> None:
        offsets.append(len(out))
        out.extend(f"{len(offsets)} 0 obj\n{head}".encode("ascii"))
        if stream is not None:
            out.extend(b"\nstream\n" + stream + b"\nendstream")
        out.extend(b"\nendobj\n")

    kids = " ".join(f"{3 + 3 * number} 0 R" for number in range(len(pages)))
    add("<< /Type /Catalog /Pages 2 0 R >>")
    add(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    for number, page in enumerate(pages):
        first = 3 + 3 * number
        width, height = _fit_a4(page.width, page.height)
        add(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2f} {height:.2f}] "
            f"/Resources << /XObject << /Im0 {first + 1} 0 R >> >> /Contents {first + 2} 0 R >>"
        )
        space = "/DeviceGray" if page.gray else "/DeviceRGB"
        add(
            f"<< /Type /XObject /Subtype /Image /Width {page.width} /Height {page.height} "
            f"/ColorSpace {space} /BitsPerComponent 8 /Filter /DCTDecode "
            f"/Length {len(page.jpeg)} >>",
            page.jpeg,
        )
        draw = f"q {width:.2f} 0 0 {height:.2f} 0 0 cm /Im0 Do Q".encode("ascii")
        add(f"<< /Length {len(draw)} >>", draw)
    xref = len(out)
    out.extend(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode("ascii"))
    out.extend("".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii"))
    trailer = f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out.extend(trailer.encode("ascii"))
    return bytes(out)


def _fit_a4(width: int, height: int) -> tuple[float, float]:
    """The page size in points: the photo as large as fits on A4 (turned like the photo)."""
    short, long = A4_POINTS
    box_width, box_height = (short, long) if height >= width else (long, short)
    scale = min(box_width / width, box_height / height)
    return width * scale, height * scale


# -- refusals ---------------------------------------------------------------------------------


def _check_picture_size(width: int, height: int, rule: DocumentRule) -> None:
    """As ``check_document``: either orientation, the longer side against the larger minimum."""
    need_long = max(rule.min_width, rule.min_height)
    need_short = min(rule.min_width, rule.min_height)
    if max(width, height) < need_long or min(width, height) < need_short:
        raise InvalidAnswer(
            MSG_IMAGE_SMALL,
            width=width,
            height=height,
            min_width=rule.min_width,
            min_height=rule.min_height,
        )


def _again(error: InvalidAnswer, rule: DocumentRule) -> InvalidAnswer:
    """A refusal from preparation, worded for the document (its page limit)."""
    params = dict(error.params)
    if error.msgid in (MSG_PDF_TOO_LONG, MSG_ALBUM_PAGES):
        params["max_pages"] = min(rule.max_pages, params.get("max_pages", rule.max_pages))
    return InvalidAnswer(error.msgid, **params)


def _too_huge(pixels: int) -> InvalidAnswer:
    return InvalidAnswer(
        MSG_IMAGE_HUGE, megapixels=round(pixels / 1e6), max_megapixels=round(MAX_PIXELS / 1e6)
    )


def _mb(size: int) -> float:
    return round(size / MB, 1)
