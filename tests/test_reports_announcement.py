"""The announcement PDF of one kelurahan's results: names, registration numbers and TPS, the
reserves in order, the kelurahan, kecamatan, period and the note on public responses — and no
NIK, no address. Read back with pypdf."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from handlers.forms import CORE_FONT, default_font
from handlers.reports.announcement import Announcement, Member, TpsResult, announcement_pdf
from tests.factories import make_nik


def member(n: int, name: str) -> Member:
    return Member(name, f"KPPS-7471-{n:06d}")


STATIONS = [
    TpsResult(
        2,
        member(1, "Wa Ode Sitti Hasanah"),
        [member(n, f"Anggota Dua {n}") for n in range(2, 8)],
        [member(8, "Cadangan Pertama"), member(9, "Cadangan Kedua")],
    ),
    TpsResult(1, member(10, "La Ode Muhammad Ramli"), [member(11, "Ni Luh Putu Ayu")], []),
]
DATA = Announcement(
    period_name="Pemilihan Demo 2026",
    kelurahan="Korumba",
    kecamatan="Mandonga",
    kabkota="Kota Kendari",
    stations=STATIONS,
    responses="Tanggapan disampaikan paling lambat 5 Oktober 2026 di Sekretariat PPS Korumba.",
    place="Kendari",
    day=date(2026, 9, 30),
    number="05/PPS-KRB/IX/2026",
)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_announcement_lists_every_seat_and_reserve() -> None:
    pdf = announcement_pdf(DATA)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    flat = " ".join(text.split())
    for fragment in (
        "PENGUMUMAN",
        "Pemilihan Demo 2026",
        "KELURAHAN KORUMBA",
        "KECAMATAN MANDONGA, KOTA KENDARI",
        "05/PPS-KRB/IX/2026",
        "TPS 001",
        "TPS 002",
        "Wa Ode Sitti Hasanah",
        "KPPS-7471-000001",
        "La Ode Muhammad Ramli",
        "Ni Luh Putu Ayu",
        "Tanggapan dan Masukan Masyarakat",
        "paling lambat 5 Oktober 2026",
        "Kendari, 30 September 2026",
    ):
        assert fragment in flat, fragment
    for n in range(1, 12):
        assert f"KPPS-7471-{n:06d}" in flat
    assert flat.index("TPS 001") < flat.index("TPS 002")  # in TPS order
    assert flat.index("Cadangan Pertama") < flat.index("Cadangan Kedua")
    assert "Cadangan 1" in flat and "Cadangan 2" in flat
    # TPS 001 has one anggota of six: five empty seats, and no reserve
    assert flat.count("(belum terisi)") == 5
    assert "Tidak ada calon cadangan." in flat


def test_no_nik_and_no_address() -> None:
    nik = make_nik(date(1990, 8, 17), female=True, serial=1)
    pdf = announcement_pdf(DATA)
    text = text_of(pdf)
    assert not re.search(r"\d{16}", text.replace(" ", ""))
    assert nik.encode() not in pdf
    assert "Jl." not in text and "RT/RW" not in text


def test_more_than_six_anggota_is_an_error() -> None:
    crowded = TpsResult(3, None, [member(n, f"Warga {n}") for n in range(20, 27)])
    with pytest.raises(ValueError, match="TPS 3"):
        announcement_pdf(replace(DATA, stations=[crowded]))


def test_with_the_core_font_too() -> None:
    pdf = announcement_pdf(DATA, font=CORE_FONT)
    assert "Wa Ode Sitti Hasanah" in " ".join(text_of(pdf).split())
    assert announcement_pdf(DATA) == announcement_pdf(DATA, font=default_font())  # repeatable
