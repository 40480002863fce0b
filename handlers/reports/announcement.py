"""The notice-board PDF of one kelurahan's results: per TPS the ketua, the six anggota and the
ordered reserves (cadangan), each by name and registration number only — never a NIK, an
address or anything else about the person — with the kelurahan, kecamatan and period, and
the note on the public's responses (tanggapan masyarakat).

Made with fpdf2 through the forms' writer (``handlers.forms``: the same fonts, Unicode when a
font is found, and deterministic output). Its wording is Bahasa Indonesia, as the PPS's
official announcement, and lives in ``TEXT``, like the forms' ``FORM_TEXT``. The publish step
builds an ``Announcement`` from the selection and calls ``announcement_pdf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fpdf.enums import XPos, YPos

from handlers.forms import LINE, FormFont, _Writer, default_font, indonesian_date
from storage.domain import KPPS_SIZE

TEXT: dict[str, Any] = {
    "title": "PENGUMUMAN",
    "subtitle": [
        "HASIL SELEKSI CALON ANGGOTA KELOMPOK PENYELENGGARA PEMUNGUTAN SUARA (KPPS)",
        "{period}",
        "PANITIA PEMUNGUTAN SUARA (PPS) KELURAHAN {kelurahan_upper}",
        "KECAMATAN {kecamatan_upper}, {kabkota_upper}",
    ],
    "number": "Nomor: {number}",
    "opening": "Berdasarkan hasil penelitian administrasi dan seleksi calon Anggota KPPS, PPS "
    "Kelurahan {kelurahan} mengumumkan nama calon Anggota KPPS terpilih dan calon cadangan "
    "untuk setiap TPS di Kelurahan {kelurahan}, Kecamatan {kecamatan}, {kabkota} sebagai "
    "berikut:",
    "tps": "TPS {number:03d}",
    "columns": ["No.", "Nama", "Nomor Pendaftaran", "Jabatan"],
    "widths": [12, 78, 45, 35],
    "ketua": "Ketua",
    "anggota": "Anggota",
    "cadangan": "Cadangan {rank}",
    "empty_seat": "(belum terisi)",
    "no_reserve": "Tidak ada calon cadangan.",
    "responses_title": "Tanggapan dan Masukan Masyarakat",
    "responses": "Masyarakat dapat menyampaikan tanggapan dan masukan atas calon Anggota KPPS "
    "tersebut secara tertulis kepada PPS Kelurahan {kelurahan} dengan disertai identitas "
    "yang jelas.",
    "closing": "Demikian pengumuman ini disampaikan untuk diketahui oleh masyarakat.",
    "place_date": "{place}, {date}",
    "signer": ["PPS Kelurahan {kelurahan}", "Ketua,"],
    "signer_name": "(..............................)",
}


@dataclass(frozen=True)
class Member:
    """Someone on the board: the name and the registration number, nothing else."""

    name: str
    reg_number: str


@dataclass(frozen=True)
class TpsResult:
    number: int
    ketua: Member | None
    anggota: Sequence[Member]  # up to six
    cadangan: Sequence[Member] = ()  # in the order of their rank, 1 first


@dataclass(frozen=True)
class Announcement:
    period_name: str
    kelurahan: str
    kecamatan: str
    kabkota: str
    stations: Sequence[TpsResult]
    responses: str  # where and until when the public may respond (tanggapan masyarakat)
    place: str
    day: date
    number: str | None = None  # the announcement's number, if the PPS gives one


def _values(data: Announcement) -> dict[str, str]:
    return {
        "period": data.period_name,
        "kelurahan": data.kelurahan,
        "kecamatan": data.kecamatan,
        "kabkota": data.kabkota,
        "kelurahan_upper": data.kelurahan.upper(),
        "kecamatan_upper": data.kecamatan.upper(),
        "kabkota_upper": data.kabkota.upper(),
        "place": data.place,
        "date": indonesian_date(data.day),
    }


def _members(station: TpsResult) -> list[list[str]]:
    """The table rows of one TPS: the ketua, the anggota (empty seats shown as such), then the
    reserves in order."""
    rows: list[list[str]] = []
    seats = [(station.ketua, TEXT["ketua"])]
    anggota = list(station.anggota)
    seats += [(member, TEXT["anggota"]) for member in anggota]
    seats += [(None, TEXT["anggota"])] * (KPPS_SIZE - 1 - len(anggota))
    for member, role in seats:
        if member is None:
            rows.append([TEXT["empty_seat"], "-", role])
        else:
            rows.append([member.name, member.reg_number, role])
    for rank, member in enumerate(station.cadangan, start=1):
        rows.append([member.name, member.reg_number, TEXT["cadangan"].format(rank=rank)])
    return rows


def announcement_pdf(data: Announcement, *, font: FormFont | None = None) -> bytes:
    """The announcement of one kelurahan's results, every TPS in number order."""
    for station in data.stations:  # never drop a name from an official notice silently
        if len(station.anggota) > KPPS_SIZE - 1:
            count = len(station.anggota)
            raise ValueError(f"TPS {station.number}: {count} anggota, at most {KPPS_SIZE - 1}")
    values = _values(data)
    writer = _Writer(font or default_font(), TEXT["title"], data.day)
    writer.heading(TEXT["title"], TEXT["subtitle"], values)
    if data.number:
        writer.line(TEXT["number"].format(number=data.number), align="C")
        writer.gap()
    writer.line(TEXT["opening"].format(**values))
    writer.gap()
    pdf = writer.pdf
    for station in sorted(data.stations, key=lambda s: s.number):
        rows = _members(station)
        if pdf.get_y() + (len(rows) + 2) * (LINE + 1) > pdf.page_break_trigger:
            pdf.add_page()  # a TPS's table is not split over two pages when it fits on one
        title = TEXT["tps"].format(number=station.number)
        writer.table(
            {"title": title, "columns": TEXT["columns"], "widths": TEXT["widths"], "rows": rows}
        )
        if not station.cadangan:
            writer.line(TEXT["no_reserve"], size=9)
        writer.gap(LINE / 2)
    writer.line(TEXT["responses_title"], style="B")
    writer.line(TEXT["responses"].format(**values))
    if data.responses:
        writer.line(data.responses)
    writer.gap()
    writer.line(TEXT["closing"])
    _signature(writer, values)
    return writer.output()


def _signature(writer: _Writer, values: dict[str, str]) -> None:
    pdf = writer.pdf
    if pdf.get_y() + 5 * LINE + 20 > pdf.page_break_trigger:
        pdf.add_page()
    writer.gap(LINE)
    x, width = pdf.w - pdf.r_margin - 75, 75.0
    lines = [TEXT["place_date"].format(**values)] + [s.format(**values) for s in TEXT["signer"]]
    for text in lines:
        pdf.set_x(x)
        pdf.multi_cell(width, LINE, writer.clean(text), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(pdf.get_y() + 20)
    pdf.set_x(x)
    pdf.multi_cell(width, LINE, TEXT["signer_name"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
