"""/ekspor and `kpps-bot export`: XLSX and CSV of a kelurahan, kecamatan or kab/kota, opened
with openpyxl / the csv module and checked cell by cell; the NIK in full only for the KPU
admin; every area code the client sends checked against the officer's scope. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import App, build_app
from handlers.i18n import Translator
from handlers.messages import Reply
from storage.domain import ApplicationStatus, DocumentStatus, Role
from storage.models import AuditEntry
from tests.reports_support import (
    BENDE,
    KORUMBA,
    LABIBIA,
    Applicant,
    add,
    command,
    complete,
    officer,
    press,
    repos,
    typed,
)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KETUA = Applicant(
    1,
    "Ani Lestari",
    female=True,
    status=ApplicationStatus.SELECTED,
    seat="ketua",
    documents=complete(DocumentStatus.ACCEPTED),
)
RESERVE = Applicant(
    2,
    "Bahrun Lamba",
    tps=3,
    status=ApplicationStatus.RESERVE,
    rank=1,
    documents={"ktp": DocumentStatus.NEEDS_FIX},
    flags=["age_over_preferred_max", "former_party_member"],
    party="left_5y",
)
FORMULA = Applicant(
    3, '=HYPERLINK("http://x")', tps=None, address="-1+2", flags=["tps_to_be_assigned"]
)
LABIBIA_ONE = Applicant(4, "Citra Dewi", kelurahan=LABIBIA, status=ApplicationStatus.QUALIFIED)
BENDE_ONE = Applicant(
    5, "Daud Kadia", kelurahan=BENDE, tps=1, status=ApplicationStatus.NOT_QUALIFIED
)
EVERYONE = (KETUA, RESERVE, FORMULA, LABIBIA_ONE, BENDE_ONE)


async def people(app: App) -> None:
    await add(app, *EVERYONE)
    await officer(app, "pps-korumba", Role.PPS, KORUMBA)
    await officer(app, "ppk-mandonga", Role.PPK, "74.71.01")
    await officer(app, "kpu-kendari", Role.KPU_ADMIN, "74.71")


def sheet_rows(reply: Reply) -> list[list[Any]]:
    [outgoing] = reply.files
    assert outgoing.mime == XLSX_MIME and outgoing.name.endswith(".xlsx")
    return read_sheet(io.BytesIO(outgoing.data))


def read_sheet(source: Any) -> list[list[Any]]:
    book = load_workbook(source, read_only=True)
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def csv_rows(reply: Reply) -> list[dict[str, str]]:
    [outgoing] = reply.files
    assert outgoing.mime == "text/csv" and outgoing.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(outgoing.data.decode("utf-8-sig"))))


def everything(reply: Reply) -> str:
    """All the bytes a reply carries, as text (an XLSX unzipped), to search for a NIK."""
    import zipfile

    parts = [reply.text]
    for outgoing in reply.files:
        if outgoing.name.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(outgoing.data)) as archive:
                parts += [archive.read(name).decode("utf-8") for name in archive.namelist()]
        else:
            parts.append(outgoing.data.decode("utf-8-sig"))
    return "\n".join(parts)


HEADERS = [
    "No. Pendaftaran",
    "Nama",
    "NIK",
    "Jenis Kelamin",
    "Tanggal Lahir",
    "Umur",
    "Alamat",
    "RT/RW",
    "Alamat Domisili",
    "Kelurahan",
    "Kecamatan",
    "TPS",
    "No. HP",
    "Pendidikan",
    "Pekerjaan",
    "Status Dokumen",
    "Surat pendaftaran",
    "Riwayat hidup",
    "KTP-el",
    "Ijazah",
    "Pas foto",
    "Surat pernyataan",
    "Surat sehat",
    "Surat partai",
    "Surat izin atasan",
    "Keputusan",
    "Jabatan",
    "TPS Jabatan",
    "Catatan",
    "Tanggal Daftar",
]


async def test_a_pps_exports_its_kelurahan_as_xlsx(app: App, t: Translator) -> None:
    await people(app)
    offer = await command(app, "pps-korumba", "/ekspor")
    assert "Korumba" in offer.text
    assert [o.id for o in offer.options] == [f"report:xlsx:{KORUMBA}", f"report:csv:{KORUMBA}"]
    reply = await press(app, "pps-korumba", f"report:xlsx:{KORUMBA}")
    assert "3" in reply.text and "Korumba" in reply.text
    rows = sheet_rows(reply)
    header, body = rows[0], rows[1:]
    assert header == HEADERS
    assert [r[0] for r in body] == [a.reg_number for a in (KETUA, RESERVE, FORMULA)]
    cells = dict(zip(header, body[0], strict=True))
    today = datetime.now(app.period.zone).date()
    age = (
        app.period.polling_day.year
        - 1990
        - ((app.period.polling_day.month, app.period.polling_day.day) < (8, 17))
    )
    assert cells == {
        "No. Pendaftaran": "KPPS-7471-000001",
        "Nama": "Ani Lestari",
        "NIK": "************0001",
        "Jenis Kelamin": "Perempuan",
        "Tanggal Lahir": datetime(1990, 8, 17),
        "Umur": age,
        "Alamat": "Jl. Sao-Sao No. 12",
        "RT/RW": "003/002",
        "Alamat Domisili": None,
        "Kelurahan": "Korumba",
        "Kecamatan": "Mandonga",
        "TPS": 2,
        "No. HP": "+6281234500001",
        "Pendidikan": "SMA/sederajat",
        "Pekerjaan": "wiraswasta",
        "Status Dokumen": "lengkap",
        "Surat pendaftaran": "diterima",
        "Riwayat hidup": "diterima",
        "KTP-el": "diterima",
        "Ijazah": "diterima",
        "Pas foto": "diterima",
        "Surat pernyataan": "diterima",
        "Surat sehat": "diterima",
        "Surat partai": "tidak wajib",
        "Surat izin atasan": "tidak wajib",
        "Keputusan": "Terpilih",
        "Jabatan": "Ketua",
        "TPS Jabatan": 2,
        "Catatan": None,
        "Tanggal Daftar": datetime.combine(today, datetime.min.time()),
    }
    reserve = dict(zip(header, body[1], strict=True))
    assert reserve["Jenis Kelamin"] == "Laki-laki" and reserve["TPS"] == 3
    assert reserve["Status Dokumen"] == "belum lengkap (0/8)"  # the party letter is needed too
    assert reserve["KTP-el"] == "perlu perbaikan" and reserve["Ijazah"] == "belum dikirim"
    assert reserve["Surat partai"] == "belum dikirim"
    assert reserve["Keputusan"] == "Cadangan" and reserve["Jabatan"] == "Cadangan 1"
    assert reserve["TPS Jabatan"] is None
    assert reserve["Catatan"] == "di atas usia maksimal yang diutamakan; mantan anggota partai"
    formula = dict(zip(header, body[2], strict=True))
    assert formula["Nama"] == '=HYPERLINK("http://x")'  # a text cell, not a formula
    assert formula["Alamat"] == "-1+2" and formula["TPS"] is None
    assert formula["Keputusan"] == "Belum diperiksa"
    assert "7471015708900001" not in everything(reply)


async def test_a_ppk_exports_its_kecamatan_as_csv_typed(app: App, t: Translator) -> None:
    await people(app)
    offer = await command(app, "ppk-mandonga", "/ekspor")
    assert "Mandonga" in offer.text
    reply = await typed(app, "ppk-mandonga", "csv")
    rows = csv_rows(reply)
    assert [r["No. Pendaftaran"] for r in rows] == [
        a.reg_number for a in (KETUA, RESERVE, FORMULA, LABIBIA_ONE)
    ]
    assert [r["Kelurahan"] for r in rows] == ["Korumba", "Korumba", "Korumba", "Labibia"]
    first = rows[0]
    assert first["NIK"] == "************0001" and first["Tanggal Lahir"] == "1990-08-17"
    assert first["No. HP"] == "+6281234500001" and first["TPS"] == "2"
    assert rows[2]["Nama"] == '\'=HYPERLINK("http://x")'  # not run by a spreadsheet
    assert rows[2]["Alamat"] == "'-1+2"
    assert rows[3]["Keputusan"] == "MS"
    assert all(a.nik not in everything(reply) for a in EVERYONE)
    narrowed = csv_rows(await command(app, "ppk-mandonga", f"/ekspor csv {LABIBIA}"))
    assert [r["Nama"] for r in narrowed] == ["Citra Dewi"]


async def test_only_the_kpu_admin_gets_the_full_nik(app: App) -> None:
    await people(app)
    reply = await command(app, "kpu-kendari", "/ekspor xlsx")
    rows = sheet_rows(reply)
    assert [r[2] for r in rows[1:]] == [a.nik for a in EVERYONE]
    assert "NIK" in reply.text  # told to keep the file safe
    bende = sheet_rows(await command(app, "kpu-kendari", "/ekspor xlsx 74.71.08"))
    assert [r[1] for r in bende[1:]] == ["Daud Kadia"]
    assert bende[1][25] == "TMS"
    for chat in ("pps-korumba", "ppk-mandonga"):
        reply = await command(app, chat, "/ekspor csv")
        assert all(a.nik not in everything(reply) for a in EVERYONE)


FORGED = [
    ("pps-korumba", "74.71.01"),  # its kecamatan
    ("pps-korumba", LABIBIA),  # a neighbour
    ("pps-korumba", "74.71"),
    ("pps-korumba", "74"),
    ("ppk-mandonga", BENDE),  # another kecamatan's kelurahan
    ("ppk-mandonga", "74.71.08"),
    ("ppk-mandonga", "74.71"),
    ("kpu-kendari", "74.72"),  # another kota
    ("kpu-kendari", "74"),
    ("kpu-kendari", "74.71.99"),  # inside the scope, but no such kecamatan
    ("ppk-mandonga", "74.71.01.9999"),  # inside, but no such kelurahan
]


async def test_forged_area_codes_are_refused_alike(app: App, t: Translator) -> None:
    await people(app)
    refusals = set()
    for chat, code in FORGED:
        for reply in (
            await command(app, chat, f"/ekspor {code}"),
            await command(app, chat, f"/ekspor xlsx {code}"),
            await press(app, chat, f"report:xlsx:{code}"),
            await press(app, chat, f"report:csv:{code}"),
            await command(app, chat, f"/rekap {code}"),
        ):
            assert reply.files == [] and reply.options == [], (chat, code)
            scope = {"pps-korumba": KORUMBA, "ppk-mandonga": "74.71.01"}.get(chat, "74.71")
            refusals.add(reply.text.replace(scope, "<scope>"))
    assert len(refusals) == 1  # the same words whether the area exists or not
    [refusal] = refusals
    assert "Bende" not in refusal and "Kadia" not in refusal
    for chat, button in [
        ("pps-korumba", "report:pdf:74.71.01.1006"),
        ("pps-korumba", "report:xlsx:74.71.01.1006;drop"),
        ("pps-korumba", "report:xlsx"),
    ]:
        reply = await press(app, chat, button)
        assert reply.files == [] and reply.notice and not reply.text


async def test_non_officers_get_the_unknown_command_reply(app: App, t: Translator) -> None:
    await add(app, KETUA)
    for chat in ("warga-1", "applicant-1"):  # a stranger, an applicant
        for name in ("ekspor", "rekap"):
            reply = await command(app, chat, f"/{name} 74.71")
            unknown = await command(app, chat, "/zzzzzz 74.71")
            assert reply.text == unknown.text.replace("zzzzzz", name)
            assert reply.files == [] and reply.options == unknown.options
        for button in (f"report:xlsx:{KORUMBA}", "report:csv:74.71"):
            reply = await press(app, chat, button)
            other = await press(app, chat, "zzzzzz:xlsx:74.71")
            assert reply.files == [] and (reply.text, reply.notice) == (other.text, other.notice)
    menu = [name for name, _ in app.engine.command_menu("id")]
    assert "ekspor" not in menu and "rekap" not in menu
    officers = [name for name, _ in app.engine.command_menu("id", Role.PPS)]
    assert "ekspor" in officers and "rekap" in officers


async def test_usage_and_an_empty_area(app: App, t: Translator) -> None:
    await officer(app, "pps-bende", Role.PPS, BENDE)
    reply = await command(app, "pps-bende", "/ekspor pdf")
    assert "/ekspor xlsx 74.71.08.1002" in reply.text and not reply.files
    reply = await command(app, "pps-bende", "/ekspor xlsx csv")
    assert not reply.files
    rows = sheet_rows(await command(app, "pps-bende", "/ekspor xlsx"))
    assert rows == [HEADERS]
    assert "0" in (await command(app, "pps-bende", "/ekspor csv")).text


async def test_exports_are_audited_and_big_areas_go_to_the_cli(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.flows import reports as flow

    await people(app)
    await command(app, "kpu-kendari", "/ekspor xlsx")
    await command(app, "pps-korumba", "/ekspor csv")
    async with app.db.transaction() as session:
        found = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
        entries = [(e.action, e.area, e.after, e.actor_label.startswith("person:")) for e in found]
    assert entries == [
        ("export", "74.71", {"format": "xlsx", "rows": 5, "full_nik": True}, True),
        ("export", KORUMBA, {"format": "csv", "rows": 3, "full_nik": False}, True),
    ]
    monkeypatch.setattr(flow, "CHAT_EXPORT_MAX", 4)
    reply = await command(app, "kpu-kendari", "/ekspor xlsx")
    assert reply.files == [] and "kpps-bot export" in reply.text and "5" in reply.text
    assert len((await command(app, "ppk-mandonga", "/ekspor xlsx")).files) == 1  # 4 rows


async def test_rows_are_streamed_in_keyset_pages(app: App) -> None:
    await add(
        app, *(Applicant(n, f"Warga {n}", kelurahan=(KORUMBA, LABIBIA)[n % 2]) for n in range(1, 8))
    )
    async with app.db.transaction() as session:
        batches = [
            [row.reg_number for row in batch]
            async for batch in repos(app, session).reports.export_rows(
                app.period.code, "74.71.01", batch=3
            )
        ]
    assert [len(b) for b in batches] == [3, 3, 1]
    flat = [n for b in batches for n in b]
    korumba = [f"KPPS-7471-{n:06d}" for n in (2, 4, 6)]
    labibia = [f"KPPS-7471-{n:06d}" for n in (1, 3, 5, 7)]
    assert flat == korumba + labibia  # by kelurahan code, then registration number


async def test_no_nik_in_the_logs(app: App, caplog: pytest.LogCaptureFixture) -> None:
    await people(app)
    caplog.set_level(logging.DEBUG)
    await command(app, "kpu-kendari", "/ekspor xlsx")
    await command(app, "pps-korumba", "/ekspor csv")
    assert all(a.nik not in caplog.text for a in EVERYONE)


def test_the_cli_export(
    settings_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.cli import cli

    settings = settings_factory()

    async def prepare() -> None:
        application = await build_app(settings)
        try:
            await add(application, *EVERYONE)
        finally:
            await application.close()

    asyncio.run(prepare())
    monkeypatch.setenv("KPPS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KPPS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KPPS_ENCRYPTION_KEY", settings.encryption_key.get_secret_value())
    monkeypatch.setenv("KPPS_LOAD_DEMO_DATA", "false")
    runner = CliRunner()
    out = tmp_path / "mandonga.xlsx"
    result = runner.invoke(cli, ["export", "--area", "74.71.01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "4" in result.output and "Mandonga" in result.output
    assert out.stat().st_mode & 0o077 == 0
    rows = read_sheet(out)
    assert rows[0] == HEADERS and [r[2] for r in rows[1:]] == [
        "************0001",
        "************0002",
        "************0003",
        "************0004",
    ]
    full = tmp_path / "kendari.csv"
    result = runner.invoke(
        cli, ["export", "--area", "74.71", "--format", "csv", "--out", str(full), "--full-nik"]
    )
    assert result.exit_code == 0, result.output
    with full.open(encoding="utf-8-sig") as handle:
        assert [r["NIK"] for r in csv.DictReader(handle)] == [a.nik for a in EVERYONE]

    async def audited() -> list[tuple[str, Any]]:
        application = await build_app(settings)
        try:
            async with application.db.transaction() as session:
                rows = await session.execute(select(AuditEntry.actor_label, AuditEntry.after))
                return [tuple(row) for row in rows]
        finally:
            await application.close()

    assert asyncio.run(audited()) == [
        ("cli:admin", {"format": "xlsx", "rows": 4, "full_nik": False}),
        ("cli:admin", {"format": "csv", "rows": 5, "full_nik": True}),
    ]
    missing = runner.invoke(cli, ["export", "--area", "74.71.77", "--out", str(tmp_path / "x.csv")])
    assert missing.exit_code == 1 and "74.71.77" in missing.output


async def test_over_telegram(app: App, t: Translator) -> None:
    """The same commands through the aiogram adapter and the fake Bot API: the file arrives
    as a document, and a forged callback is refused."""
    from storage.domain import Actor
    from tests.telegram_chat import TelegramChat, running_bot

    await add(app, *EVERYONE)
    async with app.db.transaction() as session:
        r = repos(app, session)
        actor = await r.people.ensure(Actor("telegram", "700201"))
        assert actor.person_id is not None
        await r.people.set_role(actor.person_id, Role.PPS, KORUMBA)
    async with running_bot(app) as (fake, _):
        chat = TelegramChat(fake, app, chat_id=700201)
        await chat.say("/ekspor")
        assert chat.buttons() == ["XLSX (Excel)", "CSV"]
        out = await chat.press("XLSX")
        assert "Korumba" in out and "3" in out
        document = fake.messages(700201)[-2].document
        assert (
            document is not None
            and document.file_name == f"kpps-demo-{KORUMBA.replace('.', '')}.xlsx"
        )
        rows = read_sheet(io.BytesIO(document.data))
        assert rows[0] == HEADERS and [r[1] for r in rows[1:]] == [
            KETUA.name,
            RESERVE.name,
            FORMULA.name,
        ]
        sent = len(fake.messages(700201))
        message = fake.messages(700201)[-1]
        forged = {  # a client sending callback data no button of ours carries
            "id": "forged-1",
            "from": {"id": 700201, "is_bot": False, "first_name": "Warga"},
            "message": fake._message_obj(message),
            "chat_instance": "-1",
            "data": "report:xlsx:74.71",
        }
        fake.push_update({"callback_query": forged})
        await fake.wait_idle(timeout=20)
        assert all(m.document is None for m in fake.messages(700201)[sent:])
        assert "wilayah kerja" in chat.last
        out = await chat.say("/rekap")
        assert "TPS 002" in out
        chart = fake.messages(700201)[-2].document
        assert chart is not None and chart.data.startswith(b"\x89PNG")
        stranger = TelegramChat(fake, app, chat_id=700202)
        out = await stranger.say("/ekspor")
        assert "/ekspor" in out and not any(m.document for m in fake.messages(700202))
