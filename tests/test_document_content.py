"""Hardening of stored documents (issue "Hardening", point 2): no scripts or attached files in a
PDF, wherever they hide, and photos stored re-encoded from their pixels, without metadata or
trailing bytes. Every hostile file is built here, in the test."""

from __future__ import annotations

import hashlib
import io
import itertools
import struct
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fpdf import FPDF
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    RectangleObject,
    TextStringObject,
)

from handlers.errors import InvalidAnswer
from handlers.rules import documents
from handlers.rules.documents import check_document
from tests.test_documents_core import KTP, PERNYATAAN, pdf_bytes, png_chunk, refused, zip_bytes

# -- building PDFs ----------------------------------------------------------------------------


def name(value: str) -> NameObject:
    return NameObject(value)


def pdf_dict(**entries: PdfObject) -> DictionaryObject:
    """``pdf_dict(S=name("/URI"))`` is ``<< /S /URI >>``."""
    return DictionaryObject({NameObject("/" + key): value for key, value in entries.items()})


def text(value: str) -> TextStringObject:
    return TextStringObject(value)


def rect(x: float = 50, y: float = 700) -> ArrayObject:
    return ArrayObject([FloatObject(x), FloatObject(y), FloatObject(x + 150), FloatObject(y + 20)])


def script(code: str = "app.alert('halo');") -> DictionaryObject:
    return pdf_dict(Type=name("/Action"), S=name("/JavaScript"), JS=text(code))


def uri(target: str = "https://www.kpu.go.id/") -> DictionaryObject:
    return pdf_dict(S=name("/URI"), URI=text(target))


def writer_for(pages: int = 1) -> PdfWriter:
    return PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages=pages))))


def goto(writer: PdfWriter, page: int = 0) -> DictionaryObject:
    target = writer.pages[page].indirect_reference
    assert target is not None
    return pdf_dict(S=name("/GoTo"), D=ArrayObject([target, name("/Fit")]))


def link(action: DictionaryObject, **entries: PdfObject) -> DictionaryObject:
    return pdf_dict(Type=name("/Annot"), Subtype=name("/Link"), Rect=rect(), A=action, **entries)


def stream(data: bytes, **entries: PdfObject) -> DecodedStreamObject:
    content = DecodedStreamObject()
    content.set_data(data)
    content.update({NameObject("/" + key): value for key, value in entries.items()})
    return content


def indirect(writer: PdfWriter, value: PdfObject) -> IndirectObject:
    return writer._add_object(value)


def written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def build(change: Callable[[PdfWriter], object], pages: int = 1) -> bytes:
    writer = writer_for(pages)
    change(writer)
    return written(writer)


def raw_pdf(catalog: bytes, *objects: bytes) -> bytes:
    """A hand-written PDF for what pypdf will not write: object 1 is the catalogue (with
    ``catalog`` added), 2 the page tree, 3 the page, and ``objects`` are numbered from 4."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)


def active(data: bytes) -> None:
    assert refused(data, PERNYATAAN).msgid == documents.MSG_PDF_ACTIVE


def too_complex(data: bytes) -> None:
    assert refused(data, PERNYATAAN).msgid == documents.MSG_PDF_COMPLEX


# -- PDFs: the benign ones --------------------------------------------------------------------


def test_a_pdf_with_web_and_page_links_and_an_outline_is_accepted() -> None:
    writer = writer_for(pages=2)
    writer.add_uri(0, "https://www.kpu.go.id/", RectangleObject(rect(50, 760)))
    writer.add_annotation(0, link(goto(writer, 1)))
    writer.add_annotation(1, link(uri("mailto:pps@example.id"), Border=ArrayObject()))
    # a GoTo open action whose /Next is a URI and a named action; a GoTo outline item
    opening = goto(writer, 0)
    opening[name("/Next")] = ArrayObject([uri(), pdf_dict(S=name("/Named"), N=name("/FirstPage"))])
    writer.root_object[name("/OpenAction")] = opening
    writer.add_outline_item(title="Halaman 2", page_number=1)
    # an ordinary form field that only resets the form
    field = pdf_dict(
        Type=name("/Annot"),
        Subtype=name("/Widget"),
        FT=name("/Tx"),
        T=text("nama"),
        Rect=rect(50, 600),
        AA=pdf_dict(K=pdf_dict(S=name("/ResetForm"))),
    )
    widget = writer.add_annotation(0, field)
    writer.root_object[name("/AcroForm")] = pdf_dict(
        Fields=ArrayObject([widget.indirect_reference])
    )
    checked = check_document(written(writer), PERNYATAAN)
    assert checked.pages == 2


def test_an_fpdf_pdf_with_links_is_accepted() -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    second = pdf.add_link()
    pdf.cell(0, 10, "Ke halaman 2", link=second)
    pdf.ln()
    pdf.cell(0, 10, "KPU", link="https://www.kpu.go.id/")
    pdf.add_page()
    pdf.set_link(second)
    pdf.cell(0, 10, "Halaman 2")
    assert check_document(bytes(pdf.output()), PERNYATAAN).pages == 2


def test_a_benign_reference_loop_ends() -> None:
    writer = writer_for()
    first = indirect(writer, goto(writer))
    second = indirect(writer, pdf_dict(S=name("/URI"), URI=text("https://kpu.go.id"), Next=first))
    first_action = first.get_object()
    assert isinstance(first_action, DictionaryObject)
    first_action[name("/Next")] = second  # first → second → first → …
    third = indirect(writer, uri())
    third_action = third.get_object()
    assert isinstance(third_action, DictionaryObject)
    third_action[name("/Next")] = third  # an action that is its own /Next
    writer.root_object[name("/OpenAction")] = first
    writer.root_object[name("/AA")] = pdf_dict(WC=third)
    started = time.monotonic()
    assert check_document(written(writer), PERNYATAAN).pages == 1
    assert time.monotonic() - started < 5


# -- PDFs: scripts reached through actions ----------------------------------------------------


def test_javascript_as_the_open_action() -> None:
    active(build(lambda w: w.root_object.__setitem__(name("/OpenAction"), script())))


def test_javascript_as_the_next_action_of_the_open_action() -> None:
    def change(writer: PdfWriter) -> None:
        opening = goto(writer)
        opening[name("/Next")] = indirect(writer, script())
        writer.root_object[name("/OpenAction")] = opening

    active(build(change))


def test_javascript_nested_in_next_arrays_of_the_open_action() -> None:
    def change(writer: PdfWriter) -> None:
        deepest = goto(writer)
        deepest[name("/Next")] = ArrayObject([uri(), script()])
        middle = uri()
        middle[name("/Next")] = ArrayObject([goto(writer), indirect(writer, deepest)])
        opening = goto(writer)
        opening[name("/Next")] = ArrayObject([uri(), middle])
        writer.root_object[name("/OpenAction")] = indirect(writer, opening)

    active(build(change))


def test_an_open_action_given_as_an_array_of_actions() -> None:
    def change(writer: PdfWriter) -> None:
        nested = ArrayObject([goto(writer), ArrayObject([uri(), script()])])
        writer.root_object[name("/OpenAction")] = nested

    active(build(change))


def test_javascript_in_the_catalogue_additional_actions() -> None:
    def change(writer: PdfWriter) -> None:
        writer.root_object[name("/AA")] = pdf_dict(WC=script("this.submitForm('x');"))

    active(build(change))


def test_javascript_in_a_page_additional_actions() -> None:
    def change(writer: PdfWriter) -> None:
        writer.pages[0][name("/AA")] = pdf_dict(O=indirect(writer, script()))

    active(build(change, pages=2))


def test_javascript_in_a_page_additional_actions_on_a_later_page() -> None:
    def change(writer: PdfWriter) -> None:
        opening = goto(writer, 1)
        opening[name("/Next")] = script()
        writer.pages[2][name("/AA")] = pdf_dict(C=opening)

    active(build(change, pages=3))


def test_javascript_in_a_link() -> None:
    active(build(lambda w: w.add_annotation(0, link(script()))))


def test_a_launch_action_after_a_web_link() -> None:
    def change(writer: PdfWriter) -> None:
        action = uri()
        action[name("/Next")] = pdf_dict(
            S=name("/Launch"), F=text("cmd.exe"), NewWindow=BooleanObject(True)
        )
        writer.add_annotation(0, link(action))

    active(build(change))


def test_javascript_in_a_link_additional_actions() -> None:
    def change(writer: PdfWriter) -> None:
        writer.add_annotation(0, link(uri(), AA=pdf_dict(E=script())))

    active(build(change))


def widget(**entries: PdfObject) -> DictionaryObject:
    fields: dict[str, PdfObject] = {"FT": name("/Tx"), **entries}
    return pdf_dict(Type=name("/Annot"), Subtype=name("/Widget"), Rect=rect(50, 600), **fields)


def test_javascript_in_a_widget_keystroke_action() -> None:
    def change(writer: PdfWriter) -> None:
        field = writer.add_annotation(0, widget(T=text("nik"), AA=pdf_dict(K=script())))
        writer.root_object[name("/AcroForm")] = pdf_dict(
            Fields=ArrayObject([field.indirect_reference])
        )

    active(build(change))


def test_javascript_in_a_widget_activation_action() -> None:
    def change(writer: PdfWriter) -> None:
        writer.add_annotation(0, widget(T=text("kirim"), FT=name("/Btn"), A=script()))

    active(build(change))


def test_javascript_in_a_form_field_deep_in_the_field_tree() -> None:
    """A calculation script on a field that is on no page: reached only through /Fields and
    /Kids."""

    def change(writer: PdfWriter) -> None:
        leaf = indirect(writer, pdf_dict(T=text("total"), FT=name("/Tx"), AA=pdf_dict(C=script())))
        middle = indirect(writer, pdf_dict(T=text("bagian"), Kids=ArrayObject([leaf])))
        top = indirect(writer, pdf_dict(T=text("formulir"), Kids=ArrayObject([middle])))
        for child, parent in ((leaf, middle), (middle, top)):
            node = child.get_object()
            assert isinstance(node, DictionaryObject)
            node[name("/Parent")] = parent
        writer.root_object[name("/AcroForm")] = pdf_dict(Fields=ArrayObject([top]))

    active(build(change))


def test_javascript_in_the_document_name_tree() -> None:
    writer = writer_for()
    writer.add_open_action(JavaScript("app.alert('halo');"))  # pypdf puts it in /Names
    data = written(writer)
    names = PdfReader(io.BytesIO(data)).root_object["/Names"]
    assert isinstance(names, DictionaryObject) and "/JavaScript" in names
    active(data)


def test_javascript_in_a_name_tree_kid() -> None:
    def change(writer: PdfWriter) -> None:
        leaf = indirect(
            writer,
            pdf_dict(
                Names=ArrayObject([text("mulai"), indirect(writer, script())]),
                Limits=ArrayObject([text("mulai"), text("mulai")]),
            ),
        )
        tree = pdf_dict(Kids=ArrayObject([leaf]))
        writer.root_object[name("/Names")] = pdf_dict(JavaScript=tree)

    active(build(change))


def test_javascript_in_an_outline_item() -> None:
    def change(writer: PdfWriter) -> None:
        item = writer.add_outline_item(title="Bab 1", page_number=0).get_object()
        assert isinstance(item, DictionaryObject)
        item.pop("/Dest", None)
        item[name("/A")] = script()  # in place of its GoTo

    active(build(change))


@pytest.mark.parametrize(
    "action",
    [
        pdf_dict(S=name("/JavaScript"), JS=text("app.alert(1)")),
        pdf_dict(S=name("/Launch"), F=text("C:\\Windows\\System32\\cmd.exe")),
        pdf_dict(S=name("/Launch"), Win=pdf_dict(F=text("cmd.exe"), P=text("/c calc"))),
        pdf_dict(S=name("/GoToR"), F=text("\\\\server\\share\\lain.pdf"), D=NumberObject(0)),
        pdf_dict(S=name("/GoToE"), T=pdf_dict(R=name("/C"), N=text("lampiran.pdf"))),
        pdf_dict(S=name("/ImportData"), F=text("data.fdf")),
        pdf_dict(S=name("/SubmitForm"), F=text("https://example.com/kirim")),
        pdf_dict(S=name("/RichMediaExecute"), TA=NullObject()),
    ],
    ids=lambda action: str(action["/S"]),
)
def test_every_action_that_runs_or_opens_something_else(action: DictionaryObject) -> None:
    active(build(lambda w: w.add_annotation(0, link(action))))


@pytest.mark.parametrize(
    "target",
    ["javascript:app.alert(1)", " JavaScript\t:alert(1)", "file:///etc/passwd", "data:text/html,x"],
)
def test_a_link_whose_target_is_a_script(target: str) -> None:
    active(build(lambda w: w.add_annotation(0, link(uri(target)))))


def test_a_javascript_name_written_with_escapes() -> None:
    data = raw_pdf(b"/OpenAction 4 0 R", b"<< /S /J#61va#53cript /J#53 (app.alert\\(1\\)) >>")
    assert b"/JavaScript" not in data
    action = PdfReader(io.BytesIO(data)).get_object(4)
    assert isinstance(action, DictionaryObject) and action["/S"] == "/JavaScript"
    active(data)


def test_an_action_type_given_by_reference() -> None:
    active(raw_pdf(b"/OpenAction 4 0 R", b"<< /S 5 0 R /F (cmd.exe) >>", b"/Launch"))


def test_odd_values_where_names_belong_are_not_an_error() -> None:
    data = raw_pdf(
        b"/OpenAction << /S << /N 1 >> /Type [/A] /Subtype 4 0 R /URI 5 >>",
        b"[/FileAttachment]",
    )
    assert check_document(data, PERNYATAAN).pages == 1


def test_a_script_in_an_owner_password_pdf() -> None:
    writer = writer_for()
    writer.root_object[name("/OpenAction")] = script()
    writer.encrypt(user_password="", owner_password="pemilik", algorithm="AES-128")
    data = written(writer)
    assert b"app.alert" not in data  # the script is only visible once decrypted
    active(data)


# -- PDFs: XFA and embedded files -------------------------------------------------------------


def test_an_xfa_form() -> None:
    def change(writer: PdfWriter) -> None:
        xfa = indirect(writer, stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>"))
        writer.root_object[name("/AcroForm")] = pdf_dict(Fields=ArrayObject(), XFA=xfa)

    active(build(change))


def test_an_attachment_in_the_embedded_files_name_tree() -> None:
    writer = writer_for()
    writer.add_attachment("lampiran.exe", b"MZ" + bytes(100))
    active(written(writer))


def embedded_file(writer: PdfWriter) -> IndirectObject:
    return indirect(writer, stream(b"MZ" + bytes(100), Type=name("/EmbeddedFile")))


def test_a_file_attachment_annotation() -> None:
    def change(writer: PdfWriter) -> None:
        spec = pdf_dict(
            Type=name("/Filespec"), F=text("ktp.exe"), EF=pdf_dict(F=embedded_file(writer))
        )
        annotation = pdf_dict(
            Type=name("/Annot"), Subtype=name("/FileAttachment"), Rect=rect(), FS=spec
        )
        writer.add_annotation(0, annotation)

    active(build(change))


def test_a_file_attachment_annotation_without_the_file_inside() -> None:
    annotation = pdf_dict(
        Type=name("/Annot"), Subtype=name("/FileAttachment"), Rect=rect(), FS=text("ktp.exe")
    )
    active(build(lambda w: w.add_annotation(0, annotation)))


def test_an_embedded_file_stream_hidden_in_a_page() -> None:
    def change(writer: PdfWriter) -> None:
        writer.pages[0][name("/PieceInfo")] = pdf_dict(Data=embedded_file(writer))

    active(build(change))


def test_a_file_specification_with_an_embedded_file() -> None:
    def change(writer: PdfWriter) -> None:
        content = indirect(writer, stream(b"MZ" + bytes(100)))  # no /Type: the /EF tells
        spec = pdf_dict(Type=name("/Filespec"), F=text("a.exe"), EF=pdf_dict(F=content))
        writer.root_object[name("/Collection")] = pdf_dict(D=spec)

    active(build(change))


@pytest.mark.parametrize("subtype", ["/RichMedia", "/3D"])
def test_rich_media_and_3d_annotations(subtype: str) -> None:
    annotation = pdf_dict(Type=name("/Annot"), Subtype=name(subtype), Rect=rect())
    active(build(lambda w: w.add_annotation(0, annotation)))


# -- PDFs: loops, depth and size bounds -------------------------------------------------------


def test_a_script_inside_a_reference_loop() -> None:
    writer = writer_for()
    first = indirect(writer, uri())
    second = indirect(writer, pdf_dict(S=name("/GoTo"), D=NullObject(), Next=first))
    first_action = first.get_object()
    assert isinstance(first_action, DictionaryObject)
    first_action[name("/Next")] = ArrayObject([second, script()])
    writer.root_object[name("/OpenAction")] = first
    active(written(writer))


def test_a_very_long_next_chain_is_refused_as_too_complex() -> None:
    writer = writer_for()
    chain = [indirect(writer, uri()) for _ in range(documents.MAX_PDF_DEPTH + 10)]
    for current, following in itertools.pairwise(chain):
        action = current.get_object()
        assert isinstance(action, DictionaryObject)
        action[name("/Next")] = following
    writer.root_object[name("/OpenAction")] = chain[0]
    too_complex(written(writer))


def test_a_deeply_nested_array_does_not_blow_the_stack() -> None:
    depth = 20_000
    action = b"<< /S /URI /URI (https://kpu.go.id) /Next " + b"[" * depth + b"]" * depth + b">>"
    data = raw_pdf(b"/OpenAction 4 0 R", action)
    error = refused(data, PERNYATAAN)
    assert error.msgid in (documents.MSG_PDF_COMPLEX, documents.MSG_PDF_DAMAGED)


def test_objects_that_are_references_to_each_other_do_not_hang() -> None:
    data = raw_pdf(b"/OpenAction 4 0 R /AA 5 0 R", b"5 0 R", b"4 0 R")
    try:
        check_document(data, PERNYATAAN)
    except InvalidAnswer as error:  # pypdf itself calls such a file damaged
        assert error.msgid == documents.MSG_PDF_DAMAGED


def many_links(count: int) -> bytes:
    def change(writer: PdfWriter) -> None:
        for number in range(count):
            writer.add_annotation(0, link(uri(f"https://kpu.go.id/{number}")))

    return build(change)


def test_too_many_objects_are_refused_as_too_complex(monkeypatch: pytest.MonkeyPatch) -> None:
    data = many_links(60)
    assert check_document(data, PERNYATAAN).pages == 1
    monkeypatch.setattr(documents, "MAX_PDF_OBJECTS", 50)  # 60 links are 60 objects
    too_complex(data)


def test_too_many_entries_are_refused_as_too_complex(monkeypatch: pytest.MonkeyPatch) -> None:
    data = many_links(60)
    monkeypatch.setattr(documents, "MAX_PDF_ENTRIES", 300)  # each link has a dozen entries
    too_complex(data)


def test_many_references_to_one_big_object_stay_within_the_bounds() -> None:
    """Thousands of object numbers all pointing at one large object: each is parsed on its
    own, so the entries bound, not the object count, ends the walk quickly."""
    count = 3_000
    big = b"[" + b" ".join(b"%d 0 R" % (5 + n) for n in range(count)) + b"]"
    header = b"%PDF-1.7\n"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /S /URI /URI (https://kpu.go.id) /Next 5 0 R >>",
    ]
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    shared = len(out)
    out += b"5 0 obj\n%s\nendobj\n" % big
    offsets += [shared] * count  # objects 5 … 5 + count − 1 all at the same offset
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 1,
        xref,
    )
    started = time.monotonic()
    error = refused(bytes(out), PERNYATAAN)
    assert error.msgid == documents.MSG_PDF_COMPLEX
    assert time.monotonic() - started < 10  # about MAX_PDF_ENTRIES entries parsed, no more


# -- images: re-encoded from their pixels -----------------------------------------------------


def photo(size: tuple[int, int] = (1200, 900)) -> Image.Image:
    """Top half red, bottom half blue: which way up it is can be seen."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, size[1] // 2, size[0], size[1]))
    return image


def encoded(image: Image.Image, fmt: str = "JPEG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of the segments before the image data."""
    assert data[:2] == b"\xff\xd8"
    markers, offset = [], 2
    while True:
        assert data[offset] == 0xFF
        marker = data[offset + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            return markers
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        offset += 2 + length


def png_chunks(data: bytes) -> list[bytes]:
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        chunks.append(kind)
        offset += 12 + length
        if kind == b"IEND":
            break
    return chunks


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


APP1, APP2, APP13, COM = 0xE1, 0xE2, 0xED, 0xFE
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_a_jpeg_loses_its_exif_gps_xmp_comment_and_icc_profile() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraHP"
    exif[ExifTags.Base.Model] = "Seri 7"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (3.0, 58.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (122.0, 30.0, 45.0)
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF>Kendari</rdf:RDF></x:xmpmeta>"
    data = encoded(photo(), exif=exif, xmp=xmp, comment=b"rumah saya", icc_profile=SRGB)
    with Image.open(io.BytesIO(data)) as original:  # the test file does carry all of it
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef]
        assert {"exif", "xmp", "comment", "icc_profile"} <= set(original.info)
    assert {APP1, APP2, COM} <= set(jpeg_markers(data))

    checked = check_document(data, KTP)
    stored = checked.data
    assert not {APP1, APP2, APP13, COM} & set(jpeg_markers(stored))
    for secret in (b"Exif", b"KameraHP", b"Kendari", b"rumah saya", b"ICC_PROFILE"):
        assert secret not in stored
    image = decoded(stored)
    assert not image.getexif() and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    assert (image.format, image.size, (checked.width, checked.height)) == (
        "JPEG",
        (1200, 900),
        (1200, 900),
    )
    assert checked.size == len(stored)


def test_a_jpeg_with_a_zip_appended_is_stored_without_it() -> None:
    picture = encoded(photo(), quality=85)
    archive = zip_bytes({"payload.txt": b"bukan foto " * 100})
    data = picture + archive
    assert zipfile.is_zipfile(io.BytesIO(data))  # a JPEG/ZIP polyglot

    stored = check_document(data, KTP).data
    assert b"PK\x03\x04" not in stored and b"payload.txt" not in stored
    assert not zipfile.is_zipfile(io.BytesIO(stored))
    assert stored.endswith(b"\xff\xd9")
    image = decoded(stored)
    assert (image.format, image.size) == ("JPEG", (1200, 900))
    top, bottom = image.getpixel((600, 100)), image.getpixel((600, 800))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 and bottom[2] > 150  # the same picture


@pytest.mark.parametrize(
    ("orientation", "size", "red_at", "blue_at"),
    [
        (1, (800, 600), (400, 100), (400, 500)),  # as stored: red on top
        (3, (800, 600), (400, 500), (400, 100)),  # turned 180°: red at the bottom
        (6, (600, 800), (500, 400), (100, 400)),  # turned 90° clockwise: red on the right
        (8, (600, 800), (100, 400), (500, 400)),  # turned 90° anticlockwise: red on the left
    ],
)
def test_a_rotated_photo_is_stored_upright(
    orientation: int,
    size: tuple[int, int],
    red_at: tuple[int, int],
    blue_at: tuple[int, int],
) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    data = encoded(photo((800, 600)), exif=exif)

    checked = check_document(data, KTP)
    image = decoded(checked.data)
    assert image.size == size == (checked.width, checked.height)
    assert ExifTags.Base.Orientation not in image.getexif()  # no viewer turns it again
    red, blue = image.getpixel(red_at), image.getpixel(blue_at)
    assert isinstance(red, tuple) and isinstance(blue, tuple)
    assert red[0] > 150 and red[2] < 80, red
    assert blue[2] > 150 and blue[0] < 80, blue


def test_a_png_loses_its_text_chunks_and_other_metadata() -> None:
    info = PngInfo()
    info.add_text("Comment", "alamat rumah")
    info.add_text("Author", "Wa Ode", zip=True)  # zTXt
    info.add_itxt("Description", "Kendari, Sulawesi Tenggara", lang="id", tkey="Keterangan")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraHP"
    data = encoded(
        photo((800, 600)), "PNG", pnginfo=info, exif=exif, icc_profile=SRGB, dpi=(300, 300)
    )
    data += b"PK\x03\x04 trailing bytes after IEND"
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"pHYs"} <= set(png_chunks(data))

    checked = check_document(data, KTP)
    stored = checked.data
    chunks = png_chunks(stored)
    assert set(chunks) == {b"IHDR", b"IDAT", b"IEND"} and chunks[-1] == b"IEND"
    assert stored.endswith(png_chunk(b"IEND", b""))
    for secret in (b"alamat rumah", b"Wa Ode", b"Kendari", b"KameraHP", b"trailing"):
        assert secret not in stored
    image = decoded(stored)
    assert isinstance(image, Image.Image) and not getattr(image, "text", {})
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (800, 600))
    assert image.getpixel((400, 100)) == (200, 30, 30)  # lossless


def test_a_png_keeps_its_transparency() -> None:
    image = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    image.paste((20, 20, 20, 255), (100, 100, 700, 500))
    stored = decoded(check_document(encoded(image, "PNG"), KTP).data)
    assert stored.mode == "RGBA"
    assert stored.getpixel((10, 10)) == (0, 0, 0, 0)
    assert stored.getpixel((400, 300)) == (20, 20, 20, 255)

    palette = Image.new("P", (800, 600), 1)
    palette.putpalette([0, 0, 0, 255, 255, 255])
    kept = decoded(check_document(encoded(palette, "PNG", transparency=1), KTP).data)
    assert kept.mode == "P" and kept.info.get("transparency") == 1


def test_a_multi_picture_jpeg_keeps_only_the_picture() -> None:
    second = Image.new("RGB", (1200, 900), (0, 255, 0))
    data = encoded(photo(), "MPO", save_all=True, append_images=[second])
    assert decoded(data).format == "MPO"
    stored = check_document(data, KTP).data
    image = decoded(stored)
    assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
    assert b"MPF" not in stored and len(stored) < len(data)


def test_a_cmyk_jpeg_stays_cmyk() -> None:
    data = encoded(Image.new("CMYK", (800, 600), (0, 200, 200, 20)), quality=95)
    image = decoded(check_document(data, KTP).data)
    assert image.mode == "CMYK"
    original = decoded(data).convert("RGB").getpixel((10, 10))
    assert isinstance(original, tuple)
    assert image.convert("RGB").getpixel((10, 10)) == pytest.approx(original, abs=8)


def test_a_photo_over_the_size_limit_at_quality_90_is_stored_smaller() -> None:
    noisy = Image.effect_noise((1200, 900), 60).convert("RGB")
    data = encoded(noisy, quality=70)
    at_90 = encoded(decoded(data), quality=documents.JPEG_QUALITY)
    assert len(at_90) > len(data)
    rule = replace(KTP, max_bytes=len(data))
    checked = check_document(data, rule)
    assert checked.size == len(checked.data) < len(at_90)
    assert decoded(checked.data).size == (1200, 900)
    # without the limit's pressure, quality 90 is kept
    assert check_document(data, KTP).data == at_90


def test_the_stored_bytes_are_described_by_size_and_hash() -> None:
    data = encoded(photo(), quality=60) + b"\x00" * 5000
    checked = check_document(data, KTP)
    assert checked.size == len(checked.data) != len(data)
    assert checked.sha256 == hashlib.sha256(checked.data).hexdigest()
    # re-checking what is stored gives back the same picture facts
    again = check_document(checked.data, KTP)
    assert (again.width, again.height, again.mime) == (checked.width, checked.height, "image/jpeg")


def test_bytestrings_in_uri_targets_are_checked_too() -> None:
    action = pdf_dict(S=name("/URI"), URI=ByteStringObject(b"javascript:alert(1)"))
    active(build(lambda w: w.add_annotation(0, link(action))))
