"""Selection per TPS (a proposal the officer changes and confirms), publishing the results,
and the officers' command line."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from bot.app import App
from handlers.flows.officers.publish import NOT_QUALIFIED, NOT_SELECTED, RESERVE, SELECTED
from handlers.i18n import Translator
from handlers.messages import Incoming, Kind
from handlers.rules.selection import OfficerPolicy, propose, ranked
from storage.domain import KPPS_SIZE, ApplicationStatus, Role, Seat
from tests.officers_helpers import (
    KORUMBA,
    add_applicant,
    application,
    officer,
    outbox_rows,
    press,
    repos,
    tps_id,
)
from tests.test_officers import nik_of


async def infos(app: App, ids: list[int]) -> list[Any]:
    return [await application(app, i) for i in ids]


async def test_the_ordering_is_configurable_and_documented(app: App) -> None:
    young = await add_applicant(app, "Muda Baru", serial=1, birth=date(2000, 1, 1))
    veteran = await add_applicant(app, "Veteran", serial=2, prior_service=3)
    old = await add_applicant(app, "Sepuh", serial=3, birth=date(1960, 1, 1), prior_service=5)
    people = await infos(app, [young, veteran, old])
    default = [a.id for a in ranked(people, app.period, OfficerPolicy().order)]
    assert default == [veteran, young, old]  # the preferred age first, then experience
    by_time = [a.id for a in ranked(people, app.period, ("registration_time",))]
    assert by_time == [young, veteran, old]
    with pytest.raises(ValueError, match="unknown selection order"):
        OfficerPolicy(order=("lottery",))


async def test_a_short_tps_is_filled_from_the_surplus_of_its_neighbours(app: App) -> None:
    here = [await add_applicant(app, f"Sini {n}", serial=n, tps=1) for n in range(1, 6)]
    there = [await add_applicant(app, f"Sana {n}", serial=10 + n, tps=2) for n in range(1, 10)]
    proposal = propose(
        await infos(app, here),
        {await tps_id(app, 2): await infos(app, there)},
        app.period,
        OfficerPolicy().order,
    )
    assert proposal.seats[:5] == here  # this TPS's own applicants first
    assert proposal.seats[5:] == there[7:9]  # then the two beyond TPS 2's own seven
    assert proposal.shortfall == 0 and proposal.reserve == []
    short = propose(await infos(app, here[:3]), {}, app.period, OfficerPolicy().order)
    assert short.shortfall == KPPS_SIZE - 3


async def test_the_officer_changes_the_proposal_before_confirming(app: App, t: Translator) -> None:
    ids = [await add_applicant(app, f"Calon {n}", serial=n, tps=1) for n in range(1, 10)]
    neighbour = [await add_applicant(app, f"Tetangga {n}", serial=20 + n, tps=3) for n in range(8)]
    pps = await officer(app, "pps-1", Role.PPS, KORUMBA)
    await pps.say("/seleksi")
    out = await pps.press("TPS 001")
    assert out.index("Calon 1 ") < out.index("Calon 7 ") < out.index(t._("Cadangan:"))
    assert all(s is None for s in [a.seat for a in await infos(app, ids)])  # nothing stored yet
    await pps.press(t.C_("button", "Choose ketua"))
    await pps.press("Calon 4")
    await pps.press(t.C_("button", "Swap a member"))
    await pps.press("Calon 2")
    out = await pps.press("Calon 9")
    assert "Calon 9" in out.split(t._("Cadangan:"))[0]
    await pps.press(t.C_("button", "Confirm"))
    seats = {a.id: a for a in await infos(app, ids)}
    assert seats[ids[3]].seat is Seat.KETUA
    assert [i for i in ids if seats[i].seat is Seat.ANGGOTA] == [
        ids[0],
        ids[2],
        ids[4],
        ids[5],
        ids[6],
        ids[8],
    ]
    assert seats[ids[1]].status is ApplicationStatus.RESERVE and seats[ids[1]].reserve_rank == 1
    assert seats[ids[7]].reserve_rank == 2
    # the neighbouring TPS 003 has eight: one more than it needs, so one could move
    out = await pps.press("TPS 002")
    assert "Tetangga 7" in out and t._("⚠️ {n} seats are still empty.", n=6) in out
    # a second officer changed one of them meanwhile: the confirmation stores nothing
    await pps.press(t.C_("button", "Other TPS"))
    await pps.press("TPS 003")
    other = await officer(app, "pps-2", Role.PPS, KORUMBA)
    await other.say("KPPS-7471-900021")
    await other.press(t.C_("button", "Mark TMS"))
    await other.say("Ganda")
    out = await pps.press(t.C_("button", "Confirm"))
    assert out.startswith(
        t._(
            "Another officer changed some of these applicants meanwhile, so nothing was saved. "
            "Here is the proposal again with their current state."
        )
    )
    assert "Tetangga 1 " not in out and "Tetangga 0 " in out  # the new proposal, without them
    assert all(a.seat is None for a in await infos(app, neighbour))  # nothing was stored
    assert (await application(app, neighbour[1])).status is ApplicationStatus.NOT_QUALIFIED


async def test_publishing_tells_every_applicant_once(app: App, t: Translator) -> None:
    seated = [await add_applicant(app, f"Calon {n}", serial=n, tps=1) for n in range(1, 9)]
    unlucky = await add_applicant(app, "Calon Lain", serial=30, tps=1)
    refused = await add_applicant(
        app, "Tidak Lolos", serial=31, tps=1, status=ApplicationStatus.SUBMITTED
    )
    pps = await officer(app, "pps-1", Role.PPS, KORUMBA)
    out = await pps.say("/umumkan")
    assert "1" in out and "/pendaftar" in out  # one applicant is not reviewed yet
    assert not any(r.kind == "result" for r, _ in await outbox_rows(app))
    await pps.say("KPPS-7471-900031")
    await pps.press(t.C_("button", "Mark TMS"))
    await pps.say("Usia belum 17 tahun")
    await pps.say("/seleksi")
    await pps.press("TPS 001")
    await pps.press(t.C_("button", "Confirm"))  # Calon 8 and Calon Lain are the cadangan
    out = await pps.say("/umumkan")
    assert "TPS 001: 7/7 + 2" in out
    await pps.press(t.C_("button", "Publish"))
    results = {row.person_id: (row, m) for row, m in await outbox_rows(app) if row.kind == "result"}
    assert len(results) == 10
    by_status = {}
    for a in await infos(app, [*seated, unlucky, refused]):
        row, message = results[a.person_id]
        by_status.setdefault(a.status, []).append(message)
        assert row.essential and row.priority == 2
    assert {m.msgid for m in by_status[ApplicationStatus.SELECTED]} == {SELECTED}
    assert {m.msgid for m in by_status[ApplicationStatus.RESERVE]} == {RESERVE}
    [tms] = by_status[ApplicationStatus.NOT_QUALIFIED]
    assert tms.msgid == NOT_QUALIFIED and tms.params["reason"] == "Usia belum 17 tahun"
    assert sorted(m.params["rank"] for m in by_status[ApplicationStatus.RESERVE]) == [1, 2]
    reminders = [r for r, m in await outbox_rows(app) if "inauguration" in r.idempotency_key]
    assert len(reminders) == 2 * 7 and not any(r.essential for r in reminders)
    board = await app.engine.handle(Incoming("console", "pps-1", Kind.COMMAND, command="umumkan"))
    assert board is not None and board.files  # the pengumuman, again, for the notice board
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(board.files[0].data)).pages)
    assert "Calon 1" in text and "KPPS-7471-900001" in text and "TPS 001" in text
    assert "Tidak Lolos" not in text and "Calon Lain" in text  # cadangan 2 is on the board
    niks = [await nik_of(app, i) for i in [*seated, unlucky]]
    assert not any(nik in text for nik in niks)
    again = await pps.say("/umumkan")
    assert (
        "KPPS" not in again
        and len([r for r, _ in await outbox_rows(app) if r.kind == "result"]) == 10
    )
    forged = await press(app, "pps-1", f"pub:yes:{KORUMBA}")
    assert forged.notice and len([r for r, _ in await outbox_rows(app) if r.kind == "result"]) == 10


async def test_a_wider_area_forged_into_the_publish_button_publishes_nothing(
    app: App, t: Translator
) -> None:
    await add_applicant(app, "Tanpa Kursi", serial=1, tps=1)
    await officer(app, "kpu", Role.KPU_ADMIN, "74.71")
    for code in ("74.71", "74.71.01", "74.72.01.1001"):
        reply = await press(app, "kpu", f"pub:yes:{code}")
        assert reply.notice and not reply.text
    assert not [r for r, _ in await outbox_rows(app) if r.kind == "result"]
    assert (await application(app, 1)).status is ApplicationStatus.QUALIFIED


async def test_a_qualified_applicant_without_a_seat_is_told_not_selected(
    app: App, t: Translator
) -> None:
    await add_applicant(app, "Tanpa Kursi", serial=1, tps=1)  # MS, never seated
    pps = await officer(app, "pps-1", Role.PPS, KORUMBA)
    await pps.say("/umumkan")
    await pps.press(t.C_("button", "Publish"))
    [(_, message)] = [(r, m) for r, m in await outbox_rows(app) if r.kind == "result"]
    assert message.msgid == NOT_SELECTED
    assert (await application(app, 1)).status is ApplicationStatus.NOT_SELECTED


def test_the_officer_cli_invites_lists_revokes_and_shows_the_audit(
    settings_factory: Any, monkeypatch: Any
) -> None:
    from typer.testing import CliRunner

    from bot.cli import cli

    settings = settings_factory()
    for key, value in {
        "KPPS_DATA_DIR": str(settings.data_dir),
        "KPPS_DATABASE_URL": settings.resolved_database_url,
        "KPPS_ENCRYPTION_KEY": settings.encryption_key.get_secret_value(),
    }.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    bad = runner.invoke(cli, ["officer", "invite", "--role", "pps", "--wilayah", "74.71.01"])
    assert bad.exit_code == 1  # a kecamatan is not a PPS's area
    made = runner.invoke(cli, ["officer", "invite", "--role", "pps", "--wilayah", KORUMBA])
    assert made.exit_code == 0, made.output
    command = made.stdout.strip().splitlines()[-1]
    assert command.startswith("/petugas ") and len(command.split()[1]) == 12

    import asyncio

    from bot.app import build_app
    from tests.dialog import ConsoleChat

    async def join() -> None:
        app = await build_app(settings)
        try:
            await ConsoleChat(app, "pps-1").say(command)
            async with app.db.transaction() as session:
                actor = await repos(app, session).people.resolve("console", "pps-1")
            assert actor.role is Role.PPS and actor.scope == KORUMBA
        finally:
            await app.close()

    asyncio.run(join())
    listed = runner.invoke(cli, ["officer", "list"])
    assert f"pps\t{KORUMBA}\tconsole" in listed.stdout
    person = listed.stdout.split("\t")[0]
    revoked = runner.invoke(cli, ["officer", "revoke", person, "--reason", "pindah tugas"])
    assert revoked.exit_code == 0, revoked.output
    assert "pps" not in runner.invoke(cli, ["officer", "list"]).stdout
    log = runner.invoke(cli, ["audit", "--area", KORUMBA]).stdout
    assert [line.split("\t")[2] for line in log.strip().splitlines()] == [
        "invite_created",
        "officer_joined",
        "officer_revoked",
    ]
    assert "pindah tugas" in log and command.split()[1] not in log  # the code is not logged
