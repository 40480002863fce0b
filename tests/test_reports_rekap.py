"""/rekap: per kecamatan, kelurahan or TPS below the area asked for — applicants, documents
complete, MS, selected and the shortfall — as a text table and a PNG bar chart; grouped
counts in SQL. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from sqlalchemy import event

from bot.app import App
from handlers.i18n import Translator
from handlers.reports import rekap
from storage.domain import ApplicationStatus, DocumentStatus, RegionInfo, Role
from tests.reports_support import (
    ALWAYS,
    BENDE,
    KORUMBA,
    LABIBIA,
    Applicant,
    add,
    command,
    complete,
    officer,
    repos,
)

S = ApplicationStatus
APPLICANTS = (
    Applicant(1, "Ani", status=S.SELECTED, seat="ketua", documents=complete()),
    Applicant(
        2, "Bahrun", status=S.SELECTED, seat="anggota", documents=complete(DocumentStatus.ACCEPTED)
    ),
    Applicant(3, "Citra", status=S.QUALIFIED, documents={"ktp": DocumentStatus.PENDING}),
    Applicant(4, "Daud", tps=3, status=S.SELECTED, seat="anggota", seat_tps=4),  # seat at TPS 4
    Applicant(5, "Eka", tps=3, status=S.RESERVE, rank=1),
    Applicant(
        6, "Fajar", tps=3, status=S.NOT_QUALIFIED, documents=complete(DocumentStatus.REJECTED)
    ),
    Applicant(7, "Gita", tps=3, status=S.WITHDRAWN, documents=complete()),
    Applicant(8, "Hasan", tps=None),
    Applicant(9, "Indah", kelurahan=LABIBIA, tps=1, status=S.QUALIFIED, documents=complete()),
    Applicant(10, "Joko", kelurahan=BENDE, tps=1, status=S.NOT_QUALIFIED),
)


def numbers(text: str, label: str) -> list[int]:
    """The five numbers of the table row that starts with ``label``."""
    for line in text.splitlines():
        if line.startswith(label + " "):
            return [int(cell) for cell in line[len(label) :].split()]
    raise AssertionError(f"no row {label!r} in:\n{text}")


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        return image.size


async def test_a_pps_sees_its_kelurahan_per_tps(app: App, t: Translator) -> None:
    await add(app, *APPLICANTS)
    await officer(app, "pps-korumba", Role.PPS, KORUMBA)
    reply = await command(app, "pps-korumba", "/rekap")
    text = reply.text
    assert "Rekap rekrutmen KPPS: Kelurahan Korumba (74.71.01.1006)" in text
    assert app.period.name in text
    # applicants, documents complete, MS, selected, shortfall
    assert numbers(text, "TPS 002") == [3, 2, 3, 2, 5]
    assert numbers(text, "TPS 003") == [3, 0, 2, 0, 5]  # MS: Daud (selected elsewhere), Eka
    assert numbers(text, "TPS 004") == [0, 0, 0, 1, 6]  # Daud's seat
    assert numbers(text, "TPS 001") == [0, 0, 0, 0, 7]
    assert numbers(text, "TPS 011") == [0, 0, 0, 0, 7]
    # the kelurahan as a whole (Hasan without a TPS too), as the PPK sees it
    assert numbers(text, "Jumlah") == [7, 2, 5, 3, 7 * 11 - 3]
    assert "Pendaftar yang belum memiliki TPS: 1." in text
    assert "Daftar = pendaftar" in text and "Wilayah" in text
    assert len(text) < 4096  # one Telegram / WhatsApp message
    [chart] = reply.files
    assert chart.mime == "image/png" and chart.name.endswith(".png")
    width, height = png_size(chart.data)
    assert width == 800 and height > 300
    assert "Korumba" in chart.caption


async def test_a_ppk_sees_kelurahan_and_the_kpu_kecamatan(app: App, t: Translator) -> None:
    await add(app, *APPLICANTS)
    await officer(app, "ppk-mandonga", Role.PPK, "74.71.01")
    await officer(app, "kpu-kendari", Role.KPU_ADMIN, "74.71")
    text = (await command(app, "ppk-mandonga", "/rekap")).text
    assert "Kecamatan Mandonga (74.71.01)" in text
    assert numbers(text, "Korumba") == [7, 2, 5, 3, 7 * 11 - 3]
    assert numbers(text, "Labibia") == [1, 1, 1, 0, 7 * 6 - 1]  # MS before the selection
    assert numbers(text, "Mandonga") == [0, 0, 0, 0, 7 * 5]
    kota = await command(app, "kpu-kendari", "/rekap")
    assert "Kota Kendari (74.71)" in kota.text
    kelurahan = ("Mandonga", "Korumba", "Labibia", "Wawombalata", "Alolama", "Anggilowu")
    shortfall = sum(numbers(text, name)[4] for name in kelurahan)  # a sum of kelurahan
    assert numbers(kota.text, "Mandonga") == [8, 3, 6, 3, shortfall]
    assert numbers(kota.text, "Kadia")[:4] == [1, 0, 0, 0]
    assert numbers(kota.text, "Nambo")[:4] == [0, 0, 0, 0]
    total = numbers(kota.text, "Jumlah")
    assert total[:4] == [9, 3, 6, 3] and total[4] == 7 * 525 - 3 - 1
    assert len(kota.text) < 4096 and len(kota.files) == 1
    narrowed = await command(app, "kpu-kendari", f"/rekap {KORUMBA}")
    assert numbers(narrowed.text, "TPS 002") == [3, 2, 3, 2, 5]
    assert (await command(app, "ppk-mandonga", "/rekap 74.71.08")).files == []
    assert (await command(app, "ppk-mandonga", "/rekap xlsx")).files == []


async def test_counts_are_grouped_in_sql(app: App) -> None:
    """The number of statements does not grow with the number of applicants."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engine = app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    kinds = list(ALWAYS)
    counted = []
    try:
        for batch in ((1, 2), range(3, 40)):
            await add(app, *(Applicant(n, f"Warga {n}", status=S.QUALIFIED) for n in batch))
            statements.clear()
            async with app.db.transaction() as session:
                counts = await repos(app, session).reports.rekap(
                    app.period.code, "74.71.01", 4, kinds
                )
            counted.append(len(statements))
            assert counts[KORUMBA].qualified == max(batch)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert counted[0] == counted[1] <= 4


def test_long_tables_are_cut_with_a_note(app: App, t: Translator) -> None:
    rows = [rekap.Row(f"TPS {n:03d}", n, 0, 0, 0, 1, 7) for n in range(1, 41)]
    summary = rekap.Summary(RegionInfo("74.71.01.1006", "Korumba", 4, "74.71.01"), 5, "P", rows)
    text = rekap.text(t, summary)
    assert "TPS 025" in text and "TPS 026" not in text
    assert "… dan 15 lainnya" in text
    assert numbers(text, "Jumlah") == [sum(range(1, 41)), 0, 0, 0, 7 * 40]  # every row
    long_name = rekap.Row("Kelurahan Dengan Nama Sangat Panjang", 1, 1, 1, 1, 1, 6)
    text = rekap.text(t, rekap.Summary(summary.region, 4, "P", [long_name]))
    assert "Kelurahan Den… " in text


async def test_the_chart_is_drawn_without_pyplot(app: App, t: Translator) -> None:
    import sys

    region = RegionInfo("74.71", "Kota Kendari", 2, "74")
    empty = rekap.Summary(region, 3, "P", [])
    png_size(await rekap.chart_png(t, empty))
    many = rekap.Summary(
        region, 3, "P", [rekap.Row(f"K{n}", n, n, n, n, 2, 14 - n % 14) for n in range(80)]
    )
    _, height = png_size(await rekap.chart_png(t, many))
    assert height > 2000  # one bar group per row, up to MAX_CHART_ROWS
    assert "matplotlib.pyplot" not in sys.modules
