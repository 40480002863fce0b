"""Pre-filled PDF forms for a KPPS application (domain.md §2 a, b, f), made with fpdf2.

The three forms the applicant prints, signs and sends back: the surat pendaftaran (addressed
to the Ketua PPS), the daftar riwayat hidup (with a 4×6 pas foto box) and the surat pernyataan
(the twelve statements of the 2023/24 KPPS template). Their wording is Bahasa Indonesia, as
on the KPU formats, and lives in ``FORM_TEXT`` so it can be edited without touching layout.

Font: a Unicode TrueType font is embedded (subset) when one is found, DejaVu Sans first
(``FONT_CANDIDATES``), so any name renders; characters the font lacks become "?". Without one
the PDF core font Helvetica is used, which only covers Latin-1, so the text is transliterated
(accents dropped, typographic quotes/dashes made ASCII, anything else "?"). ``default_font()``
picks once per process; pass ``font=`` to choose (``CORE_FONT`` forces Helvetica).

Output is deterministic for the same data and font file: the PDF creation date is the signing
date (midnight UTC) and the file id is derived from the content.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

# -- the texts (Bahasa Indonesia; {placeholders} are filled from FormData) -------------------

SURAT_PERNYATAAN_ITEMS: tuple[str, ...] = (
    "setia kepada Pancasila sebagai dasar negara, Undang-Undang Dasar Negara Republik "
    "Indonesia Tahun 1945, Negara Kesatuan Republik Indonesia, Bhinneka Tunggal Ika, dan "
    "cita-cita Proklamasi 17 Agustus 1945;",
    "mempunyai integritas, pribadi yang kuat, jujur, dan adil;",
    "tidak menjadi anggota partai politik, atau paling singkat dalam jangka waktu 5 (lima) "
    "tahun tidak lagi menjadi anggota partai politik yang dibuktikan dengan surat keterangan "
    "dari pengurus partai politik yang bersangkutan;",
    "tidak memiliki penyakit penyerta (komorbiditas);",
    "sehat secara rohani;",
    "bebas dari penyalahgunaan narkotika;",
    "tidak pernah dipidana penjara berdasarkan putusan pengadilan yang telah memperoleh "
    "kekuatan hukum tetap karena melakukan tindak pidana yang diancam dengan pidana penjara "
    "5 (lima) tahun atau lebih;",
    "tidak pernah dijatuhi sanksi pemberhentian tetap oleh KPU Kabupaten/Kota atau Dewan "
    "Kehormatan Penyelenggara Pemilu (DKPP);",
    "tidak berada dalam ikatan perkawinan dengan sesama penyelenggara Pemilu;",
    "tidak menjadi tim kampanye, tim pemenangan, atau saksi peserta Pemilu atau Pemilihan "
    "dalam 5 (lima) tahun terakhir;",
    "mempunyai kemampuan dan kecakapan dalam membaca, menulis, dan berhitung; dan",
    "mampu mengoperasikan perangkat teknologi informasi.",
)

FORM_TEXT: dict[str, Any] = {
    "common": {
        "fields": {
            "name": "Nama lengkap",
            "nik": "NIK",
            "birth": "Tempat/tanggal lahir",
            "sex": "Jenis kelamin",
            "address": "Alamat (sesuai KTP-el)",
            "domicile": "Alamat domisili",
            "phone": "Nomor HP",
            "education": "Pendidikan terakhir",
            "occupation": "Pekerjaan",
            "tps": "TPS yang dipilih",
        },
        "sex": {"M": "Laki-laki", "F": "Perempuan"},
        "address": "{address}, RT/RW {rt_rw}, Kelurahan {kelurahan}, Kecamatan {kecamatan}, "
        "{kabkota}",
        "address_elsewhere": "{address}, RT/RW {rt_rw}, {ktp_area}",
        "domicile": "{domicile}, Kelurahan {kelurahan}, Kecamatan {kecamatan}, {kabkota}",
        "no_tps": "belum dipilih (ditentukan oleh PPS)",
        "blank": "....................",
        "place_date": "{sign_place}, {sign_date}",
        "meterai": "Meterai\n10.000",
        "months": (
            "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
        ).split(),
    },
    "surat_pendaftaran": {
        "title": "SURAT PENDAFTARAN",
        "subtitle": [
            "SEBAGAI CALON ANGGOTA KELOMPOK PENYELENGGARA PEMUNGUTAN SUARA (KPPS)",
            "{period}",
        ],
        "to": ["Kepada Yth.", "Ketua PPS Kelurahan {kelurahan}", "di {kelurahan}"],
        "opening": ["Dengan hormat,", "Yang bertanda tangan di bawah ini:"],
        "fields": [
            "name",
            "nik",
            "birth",
            "sex",
            "address",
            "domicile",
            "phone",
            "education",
            "occupation",
        ],
        "body_tps": "dengan ini mendaftarkan diri sebagai calon Anggota Kelompok Penyelenggara "
        "Pemungutan Suara (KPPS) pada {tps} Kelurahan {kelurahan}, Kecamatan {kecamatan}, "
        "{kabkota} dalam {period}.",
        "body_no_tps": "dengan ini mendaftarkan diri sebagai calon Anggota Kelompok "
        "Penyelenggara Pemungutan Suara (KPPS) di Kelurahan {kelurahan}, Kecamatan "
        "{kecamatan}, {kabkota} dalam {period}.",
        "attachments_intro": "Sebagai kelengkapan pendaftaran, bersama ini saya lampirkan:",
        # by document kind; the letter lists the kinds the applicant must hand in
        "attachments": {
            "riwayat_hidup": "daftar riwayat hidup",
            "ktp": "fotokopi KTP-el",
            "ijazah": "fotokopi ijazah SMA/sederajat atau ijazah terakhir",
            "pas_foto": "pas foto berwarna ukuran 4×6",
            "surat_pernyataan": "surat pernyataan",
            "surat_kesehatan": "surat keterangan kesehatan jasmani dan rohani",
            "surat_partai": "surat keterangan dari pengurus partai politik bahwa saya tidak lagi "
            "menjadi anggota partai politik paling singkat 5 (lima) tahun",
            "surat_izin_atasan": "surat izin dari atasan langsung/pimpinan instansi",
        },
        "closing": "Demikian surat pendaftaran ini saya buat untuk dapat dipergunakan "
        "sebagaimana mestinya.",
        "signer": "Hormat saya,",
    },
    "daftar_riwayat_hidup": {
        "title": "DAFTAR RIWAYAT HIDUP",
        "subtitle": ["CALON ANGGOTA KPPS", "{period}"],
        "photo": "Pas foto\n4×6\nberwarna",
        "fields": [
            "name",
            "nik",
            "birth",
            "sex",
            "address",
            "domicile",
            "phone",
            "occupation",
            "education",
            "tps",
        ],
        "tables": [
            {
                "title": "Riwayat pendidikan",
                "columns": ["No.", "Jenjang", "Nama sekolah/perguruan tinggi", "Tahun lulus"],
                "widths": [12, 38, 85, 35],
                "rows": [["SD/sederajat"], ["SMP/sederajat"], ["SMA/sederajat"], ["Lainnya"]],
            },
            {
                "title": "Riwayat pekerjaan",
                "columns": ["No.", "Pekerjaan/jabatan", "Instansi/tempat kerja", "Tahun"],
                "widths": [12, 58, 70, 30],
                "rows": [[], [], []],
            },
            {
                "key": "experience",  # filled from the answer about earlier KPPS service
                "title": "Pengalaman sebagai penyelenggara Pemilu/Pemilihan",
                "columns": ["No.", "Jabatan (KPPS/PPS/PPK/lainnya)", "Pemilu/Pemilihan", "Tahun"],
                "widths": [12, 68, 60, 30],
                "rows": [[], [], []],
            },
        ],
        "experience": {"served": "Anggota KPPS", "never": "Belum pernah"},
        "closing": "Demikian daftar riwayat hidup ini saya buat dengan sebenarnya.",
        "signer": "Yang membuat,",
    },
    "surat_pernyataan": {
        "title": "SURAT PERNYATAAN",
        "subtitle": ["CALON ANGGOTA KELOMPOK PENYELENGGARA PEMUNGUTAN SUARA (KPPS)", "{period}"],
        "opening": ["Yang bertanda tangan di bawah ini:"],
        "fields": ["name", "nik", "birth", "sex", "occupation", "address", "domicile"],
        "intro": "dengan ini menyatakan dengan sesungguhnya bahwa saya:",
        "items": SURAT_PERNYATAAN_ITEMS,
        "closing": "Demikian surat pernyataan ini dibuat dengan sebenarnya untuk digunakan "
        "sebagai bukti pemenuhan syarat calon Anggota KPPS.",
        "signer": "Yang membuat pernyataan,",
    },
}

EDUCATION_LABELS = {
    "sd": "SD/sederajat",
    "smp": "SMP/sederajat",
    "sma": "SMA/sederajat",
    "diploma": "Diploma (D1-D3)",
    "s1": "Sarjana (S1/D4)",
    "s2": "Magister (S2)",
    "s3": "Doktor (S3)",
}


def education_label(code: str) -> str:
    """The form label of an education answer code (``sd`` … ``s3``); unknown codes as given."""
    return EDUCATION_LABELS.get(code, code)


def indonesian_date(value: date) -> str:
    """``17 Agustus 2024``."""
    months = FORM_TEXT["common"]["months"]
    return f"{value.day} {months[value.month - 1]} {value.year}"


# -- data -------------------------------------------------------------------------------------


DEFAULT_ATTACHMENTS = (
    "riwayat_hidup",
    "ktp",
    "ijazah",
    "pas_foto",
    "surat_pernyataan",
    "surat_kesehatan",
)


@dataclass(frozen=True)
class FormData:
    """What the forms are filled with. Region names are display names: ``kabkota`` with its
    prefix ("Kota Kendari"), ``kelurahan``/``kecamatan`` without ("Mandonga")."""

    name: str
    nik: str  # shown in full: it is the applicant's own document
    birth_date: date
    sex: str  # "M" or "F"
    address: str
    rt_rw: str
    kelurahan: str
    kecamatan: str
    kabkota: str
    phone: str
    education: str  # a label, see education_label()
    occupation: str
    period_name: str
    tps_label: str | None  # e.g. "TPS 003"; None if the PPS assigns it
    sign_place: str
    sign_date: date
    birth_place: str | None = None
    meterai: bool = False
    ktp_area: str | None = None  # set when the applicant does not live at the KTP-el address
    domicile: str | None = None  # where the applicant lives then (street, RT/RW)
    prior_service: int = 0  # times served as KPPS before (riwayat hidup, experience table)
    attachments: tuple[str, ...] = DEFAULT_ATTACHMENTS  # document kinds the letter lists

    def __post_init__(self) -> None:
        if self.sex not in FORM_TEXT["common"]["sex"]:
            raise ValueError("sex must be 'M' or 'F'")


def _values(data: FormData) -> dict[str, str]:
    common = FORM_TEXT["common"]
    place = data.birth_place or common["blank"]
    values = {
        "name": data.name,
        "nik": data.nik,
        "birth": f"{place}, {indonesian_date(data.birth_date)}",
        "sex": common["sex"][data.sex],
        "phone": data.phone,
        "education": data.education,
        "occupation": data.occupation,
        "tps": data.tps_label or common["no_tps"],
        "rt_rw": data.rt_rw,
        "kelurahan": data.kelurahan,
        "kecamatan": data.kecamatan,
        "kabkota": data.kabkota,
        "period": data.period_name,
        "sign_place": data.sign_place,
        "sign_date": indonesian_date(data.sign_date),
    }
    if data.domicile:
        values["address"] = common["address_elsewhere"].format(
            address=data.address, rt_rw=data.rt_rw, ktp_area=data.ktp_area or common["blank"]
        )
        values["domicile"] = common["domicile"].format(domicile=data.domicile, **values)
    else:
        values["address"] = common["address"].format(address=data.address, **values)
    return values


def attachment_lines(kinds: Sequence[str]) -> list[str]:
    """The letter's list of attachments: "…;" each, "…; dan" before the last, "…." last."""
    texts = FORM_TEXT["surat_pendaftaran"]["attachments"]
    items = [texts[kind] for kind in kinds if kind in texts]
    return [
        item + ("." if i == len(items) - 1 else "; dan" if i == len(items) - 2 else ";")
        for i, item in enumerate(items)
    ]


def experience_rows(prior_service: int) -> list[list[str]]:
    """The riwayat hidup's experience table: one "Anggota KPPS" row per earlier term (the
    election and year are written by hand), and blank rows for other posts."""
    text = FORM_TEXT["daftar_riwayat_hidup"]["experience"]
    served = [[text["served"]] for _ in range(max(prior_service, 0))]
    rows = served or [[text["never"]]]
    return rows + [[] for _ in range(max(3 - len(rows), 1))]


# -- fonts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormFont:
    """A TrueType regular/bold pair, or neither for the core Helvetica (Latin-1 only)."""

    regular: Path | None = None
    bold: Path | None = None

    @property
    def is_unicode(self) -> bool:
        return self.regular is not None


CORE_FONT = FormFont()

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/noto",
    "/Library/Fonts",
)
_FONT_PAIRS = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
)
FONT_CANDIDATES: tuple[tuple[Path, Path], ...] = tuple(
    (Path(d) / regular, Path(d) / bold) for regular, bold in _FONT_PAIRS for d in _FONT_DIRS
)


@cache
def default_font() -> FormFont:
    """The first Unicode font pair found on this machine, else the core font."""
    for regular, bold in FONT_CANDIDATES:
        if regular.is_file() and bold.is_file():
            return FormFont(regular, bold)
    return CORE_FONT


_ASCII_PUNCTUATION = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
    "\u02bc": "'",
}


def transliterate_latin1(text: str) -> str:
    """Text the core fonts can show: Latin-1 kept, accents dropped, the rest "?"."""
    return _clean(text, lambda ch: ord(ch) < 256)


def _clean(text: str, has_glyph: Any) -> str:
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029":
            out.append(" ")  # control and format characters never reach the page
        elif has_glyph(ch):
            out.append(ch)
        elif ch in _ASCII_PUNCTUATION:
            out.append(_ASCII_PUNCTUATION[ch])
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            out.append(base if base and all(has_glyph(c) for c in base) else "?")
    return "".join(out)


# -- layout -----------------------------------------------------------------------------------

MARGIN = 20.0
LINE = 5.5
SIGNATURE_SPACE = 24.0
LABEL_WIDTH = 45.0
FONT_SIZE = 11
FAMILY = "FormSans"


class _Writer:
    """A4 page(s) with the few building blocks the forms need."""

    def __init__(self, font: FormFont, title: str, sign_date: date) -> None:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(MARGIN, 15, MARGIN)
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.set_creation_date(datetime.combine(sign_date, time(0, 0), tzinfo=UTC))
        pdf.set_title(title)
        pdf.set_creator("kpps-bot")
        self.pdf = pdf
        self.unicode = font.is_unicode
        if font.is_unicode:
            assert font.regular is not None
            pdf.add_font(FAMILY, "", str(font.regular))
            pdf.add_font(FAMILY, "B", str(font.bold or font.regular))
            self.family = FAMILY
        else:
            self.family = "Helvetica"
        pdf.add_page()
        self.style("")

    def style(self, style: str, size: float = FONT_SIZE) -> None:
        self.pdf.set_font(self.family, style, size)

    def clean(self, text: str) -> str:
        if not self.unicode:
            return transliterate_latin1(text)
        cmap = getattr(self.pdf.current_font, "cmap", None)
        if cmap is None:
            return text
        return _clean(text, lambda ch: ord(ch) in cmap or ch == " ")

    def line(
        self, text: str, *, align: str = "J", style: str = "", size: float = FONT_SIZE
    ) -> None:
        self.style(style, size)
        self.pdf.multi_cell(
            0, LINE, self.clean(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.style("")

    def gap(self, height: float = LINE / 2) -> None:
        self.pdf.ln(height)

    def heading(self, title: str, subtitles: Sequence[str], values: dict[str, str]) -> None:
        self.line(title, align="C", style="B", size=14)
        for subtitle in subtitles:
            self.line(subtitle.format(**values), align="C", style="B", size=10)
        self.gap(LINE / 2)

    def fields(self, keys: Sequence[str], values: dict[str, str]) -> None:
        labels = FORM_TEXT["common"]["fields"]
        pdf = self.pdf
        for key in (key for key in keys if key in values):  # "domicile" only when it differs
            pdf.set_x(pdf.l_margin + 5)
            pdf.cell(LABEL_WIDTH, LINE, self.clean(labels[key]))
            pdf.cell(4, LINE, ":")
            width = pdf.w - pdf.r_margin - pdf.get_x()
            pdf.multi_cell(
                width,
                LINE,
                self.clean(values[key]),
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )

    def numbered(self, items: Sequence[str], *, indent: float = 5.0) -> None:
        pdf = self.pdf
        for number, text in enumerate(items, start=1):
            pdf.set_x(pdf.l_margin + indent)
            pdf.cell(8, LINE, f"{number}.")
            width = pdf.w - pdf.r_margin - pdf.get_x()
            pdf.multi_cell(
                width, LINE, self.clean(text), align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    def signature(self, values: dict[str, str], signer: str, *, meterai: bool) -> None:
        pdf = self.pdf
        block = 4 * LINE + SIGNATURE_SPACE
        if pdf.get_y() + block > pdf.page_break_trigger:
            pdf.add_page()
        self.gap(LINE)
        x = pdf.w - pdf.r_margin - 75
        width = 75.0
        pdf.set_x(x)
        text = FORM_TEXT["common"]["place_date"].format(**values)
        pdf.multi_cell(width, LINE, self.clean(text), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_x(x)
        pdf.multi_cell(width, LINE, self.clean(signer), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        top = pdf.get_y()
        if meterai:
            self._meterai_box(x + 4, top + 2)
        pdf.set_y(top + SIGNATURE_SPACE)
        pdf.set_x(x)
        self.style("B")
        pdf.multi_cell(
            width, LINE, self.clean(values["name"]), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.style("")

    def _meterai_box(self, x: float, y: float) -> None:
        pdf = self.pdf
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.rect(x, y, 24, 20)
        pdf.set_dash_pattern()
        self.style("", 8)
        pdf.set_xy(x, y + 5)
        pdf.multi_cell(24, 4, self.clean(FORM_TEXT["common"]["meterai"]), align="C")
        self.style("")

    def photo_box(self, width: float = 40, height: float = 60) -> float:
        """Draw the pas foto box at the top right of the current line; return its bottom."""
        pdf = self.pdf
        x = pdf.w - pdf.r_margin - width
        y = pdf.get_y()
        pdf.rect(x, y, width, height)
        self.style("", 9)
        pdf.set_xy(x, y + height / 2 - 6)
        pdf.multi_cell(width, 4, self.clean(FORM_TEXT["daftar_riwayat_hidup"]["photo"]), align="C")
        self.style("")
        pdf.set_xy(pdf.l_margin, y)
        return y + height

    def table(self, spec: dict[str, Any]) -> None:
        pdf = self.pdf
        self.line(spec["title"], style="B")
        self.gap(1)
        columns = spec["columns"]
        with pdf.table(
            col_widths=tuple(spec["widths"]),
            width=sum(spec["widths"]),
            line_height=LINE + 1,
            first_row_as_headings=True,
            text_align="LEFT",
        ) as table:
            header = table.row()
            for column in columns:
                header.cell(self.clean(column))
            for number, cells in enumerate(spec["rows"], start=1):
                row = table.row()
                row.cell(f"{number}.")
                padded = [*cells, *([""] * (len(columns) - 1 - len(cells)))]
                for cell in padded:
                    row.cell(self.clean(cell))
        self.gap(LINE / 2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


# -- the forms --------------------------------------------------------------------------------


def surat_pendaftaran(data: FormData, *, font: FormFont | None = None) -> bytes:
    """The registration letter to the Ketua PPS (domain.md §2 a)."""
    text = FORM_TEXT["surat_pendaftaran"]
    values = _values(data)
    writer = _Writer(font or default_font(), text["title"], data.sign_date)
    writer.heading(text["title"], text["subtitle"], values)
    for line in text["to"]:
        writer.line(line.format(**values))
    writer.gap(LINE)
    for line in text["opening"]:
        writer.line(line)
    writer.gap(2)
    writer.fields(text["fields"], values)
    writer.gap(2)
    body = text["body_tps"] if data.tps_label else text["body_no_tps"]
    writer.line(body.format(**values))
    writer.gap(2)
    writer.line(text["attachments_intro"])
    writer.numbered(attachment_lines(data.attachments))
    writer.gap(2)
    writer.line(text["closing"])
    writer.signature(values, text["signer"], meterai=data.meterai)
    return writer.output()


def daftar_riwayat_hidup(data: FormData, *, font: FormFont | None = None) -> bytes:
    """The curriculum vitae with a 4×6 pas foto box (domain.md §2 b)."""
    text = FORM_TEXT["daftar_riwayat_hidup"]
    values = _values(data)
    writer = _Writer(font or default_font(), text["title"], data.sign_date)
    writer.heading(text["title"], text["subtitle"], values)
    pdf = writer.pdf
    bottom = writer.photo_box()
    pdf.set_right_margin(MARGIN + 45)  # the fields run beside the photo box
    writer.fields(text["fields"], values)
    pdf.set_right_margin(MARGIN)
    pdf.set_y(max(pdf.get_y(), bottom) + LINE)
    for spec in text["tables"]:
        if spec.get("key") == "experience":
            spec = {**spec, "rows": experience_rows(data.prior_service)}
        writer.table(spec)
    writer.line(text["closing"])
    writer.signature(values, text["signer"], meterai=data.meterai)
    return writer.output()


def surat_pernyataan(data: FormData, *, font: FormFont | None = None) -> bytes:
    """The statement of the twelve requirements (domain.md §2 f), optionally with meterai."""
    text = FORM_TEXT["surat_pernyataan"]
    values = _values(data)
    writer = _Writer(font or default_font(), text["title"], data.sign_date)
    writer.heading(text["title"], text["subtitle"], values)
    for line in text["opening"]:
        writer.line(line)
    writer.gap(2)
    writer.fields(text["fields"], values)
    writer.gap(2)
    writer.line(text["intro"])
    writer.numbered(text["items"])
    writer.gap(2)
    writer.line(text["closing"])
    writer.signature(values, text["signer"], meterai=data.meterai)
    return writer.output()
