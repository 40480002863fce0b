"""Officers in the chat: joining with an invite, scope checked on the server whatever ids a
client sends, review of applicants, concurrent decisions, notifications of new applicants."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from handlers.flows.officers import common, notify
from handlers.flows.officers.join import INVALID
from handlers.i18n import Translator
from storage.domain import ApplicationStatus, DocumentStatus, Role
from storage.models import PublicResponse
from tests.dialog import ConsoleChat, Person, fill_registration
from tests.officers_helpers import (
    KECAMATAN,
    KORUMBA,
    MANDONGA,
    add_applicant,
    application,
    audit_count,
    make_invite,
    officer,
    outbox_rows,
    press,
    repos,
    tps_id,
)
from tests.test_documents_flow import jpeg


async def role_of(app: App, chat_id: str) -> tuple[Role, str | None]:
    async with app.db.transaction() as session:
        actor = await repos(app, session).people.resolve("console", chat_id)
    return actor.role, actor.scope


async def test_an_invite_makes_an_officer_once_and_expires(app: App, t: Translator) -> None:
    unknown = await ConsoleChat(app, "someone").say("/pendaftar")
    code = await make_invite(app, Role.PPS, KORUMBA)
    pps = ConsoleChat(app, "pps-1")
    out = await pps.say(f"/petugas {code.lower()}")  # typed in lower case works too
    assert "Korumba" in out and await role_of(app, "pps-1") == (Role.PPS, KORUMBA)
    other = ConsoleChat(app, "pps-2")
    assert await other.say(f"/petugas {code}") == t._(INVALID)  # single use
    assert await role_of(app, "pps-2") == (Role.APPLICANT, None)
    expired = await make_invite(app, Role.PPS, KORUMBA, days=-1)
    assert await other.say(f"/petugas {expired}") == t._(INVALID)
    assert await other.say("/petugas") and await other.say("ABCD-EFGH-JK") == t._(INVALID)
    # an applicant sees no officer command: /pendaftar answers like an unknown command
    assert unknown == await ConsoleChat(app, "someone-else").say("/pendaftar")
    assert "/pendaftar" not in await ConsoleChat(app, "someone-else").say("/bantuan")
    assert "/pendaftar" in await pps.say("/bantuan")
    await pps.say("/keluarpetugas")
    await pps.press(t.C_("button", "Yes, stop"))
    assert await role_of(app, "pps-1") == (Role.APPLICANT, None)
    assert await pps.say("/pendaftar") == unknown
    async with app.db.transaction() as session:
        entries = await repos(app, session).audit.entries()
    assert [e.action for e in entries] == ["officer_joined", "officer_left"]
    assert entries[0].after == {"role": "pps", "scope": KORUMBA}


async def test_every_officer_action_is_checked_against_the_scope(app: App, t: Translator) -> None:
    """A PPS of Mandonga, a PPK of the kecamatan and an applicant try every officer action on
    an applicant of Korumba, with forged ids: nothing is shown or changed."""
    korumba = await add_applicant(
        app, "Rahasia Korumba", serial=1, status=ApplicationStatus.SUBMITTED
    )
    seated = await add_applicant(app, "Anggota Korumba", serial=2)
    tps = await tps_id(app, 2)
    await officer(app, "pps-mandonga", Role.PPS, MANDONGA)
    await officer(app, "ppk", Role.PPK, KECAMATAN)
    await officer(app, "pps-korumba", Role.PPS, KORUMBA)
    before = await application(app, korumba), await application(app, seated), await audit_count(app)
    forged = [
        f"rev:card:{korumba}",
        f"rev:docs:{korumba}",
        f"rev:ms:{korumba}:0",
        f"rev:tms:{korumba}:0",
        f"rev:resp:{korumba}:0",
        "rev:doc:1",
        "rev:dok:1:0",
        "rev:dfix:1:0",
        f"sel:tps:{tps}",
        "sel:confirm",
        f"pub:yes:{KORUMBA}",
        f"paw:m:{seated}",
        f"paw:r:{seated}:mundur:0",
        "seat:1:yes",
        "/seleksi " + KORUMBA,
        "/umumkan " + KORUMBA,
        "/paw " + KORUMBA,
        "/pendaftar " + KORUMBA,
    ]
    for chat in ("pps-mandonga", "someone"):
        for button in forged:
            reply = await press(app, chat, button)
            shown = reply.text + (reply.notice or "") + str(reply.options)
            assert "Korumba" not in shown and "KPPS-7471-9" not in shown, (chat, button, shown)
    typed = await ConsoleChat(app, "pps-mandonga").say("KPPS-7471-900001")
    assert "Rahasia" not in typed
    # the PPK of the kecamatan reads Korumba's applicants but decides nothing
    card = await press(app, "ppk", f"rev:card:{korumba}")
    assert "Rahasia Korumba" in card.text and "•" in card.text
    assert not any(o.id.startswith(("rev:ms", "rev:tms")) for o in card.options)
    assert (await press(app, "ppk", f"rev:ms:{korumba}:0")).text == t._(
        "Your role can view this but not change it."
    )
    ppk_select = await ConsoleChat(app, "ppk").say("/seleksi " + KORUMBA)
    unknown = await ConsoleChat(app, "ppk").say("/tidakada")
    assert ppk_select == unknown.replace("/tidakada", "/seleksi")
    after = await application(app, korumba), await application(app, seated), await audit_count(app)
    assert after == before
    # the PPS of Korumba sees the card, with the NIK masked but its last four digits
    own = await press(app, "pps-korumba", f"rev:card:{korumba}")
    nik = await nik_of(app, korumba)
    assert "Rahasia Korumba" in own.text and nik not in own.text and nik[-4:] in own.text


async def nik_of(app: App, application_id: int) -> str:
    async with app.db.transaction() as session:
        nik = await repos(app, session).applications.nik(application_id)
    assert nik is not None
    return nik


async def test_review_correction_and_decisions_in_the_chat(
    app: App, t: Translator, tmp_path: Path
) -> None:
    pps = await officer(app, "pps-1", Role.PPS, KORUMBA)
    budi = ConsoleChat(app, "warga-1")
    await fill_registration(budi, Person())
    photo = tmp_path / "ktp.jpg"
    photo.write_bytes(jpeg())
    await budi.press("KTP")
    await budi.say(str(photo))
    out = await pps.say("/pendaftar")
    assert t._("To review") + " (1)" in out
    await pps.press(t._("To review"))
    out = await pps.press("Budi Santoso")
    assert "KPPS-7471-000001 — Budi Santoso" in out and "0001" in out
    await pps.press(t.C_("button", "Documents"))
    out = await pps.press("KTP-el")
    assert "KPPS-7471-000001-ktp.jpeg" in out  # the file itself is sent to the officer
    await pps.press(t.C_("button", "Needs correction"))
    out = await pps.say("Foto buram, mohon kirim ulang")
    assert t._("The applicant is asked to correct the {document}.", document="KTP-el") in out
    messages = {row.kind: (row, m) for row, m in await outbox_rows(app)}
    correction = messages["correction"][1]
    assert correction.params["reason"] == "Foto buram, mohon kirim ulang"
    reminder_row, _ = messages["reminder"]
    assert reminder_row.status == "queued" and not reminder_row.essential
    assert reminder_row.not_before >= datetime.now(UTC) + timedelta(hours=47)
    out = await budi.say("/dokumen")
    assert "Foto buram, mohon kirim ulang" in out  # the applicant sees what to fix
    await budi.press("KTP")
    photo.write_bytes(jpeg(seed=9))
    await budi.say(str(photo))
    reminder = next(row for row, _ in await outbox_rows(app) if row.kind == "reminder")
    assert reminder.status == "cancelled"  # replaced in time: no reminder
    # the officer's card was opened before the replacement: a decision on it is refused
    out = await pps.press(t.C_("button", "Back to card"))
    out = await pps.say("/pendaftar")
    await pps.press(t._("All"))
    await pps.press("Budi Santoso")
    await pps.press(t.C_("button", "Mark TMS"))
    out = await pps.say("Tidak berdomisili di Kota Kendari")
    a = await application(app, 1)
    assert a.status is ApplicationStatus.NOT_QUALIFIED
    assert "Tidak berdomisili di Kota Kendari" in out
    await pps.press(t.C_("button", "Mark MS"))
    assert (await application(app, 1)).status is ApplicationStatus.QUALIFIED
    async with app.db.transaction() as session:
        r = repos(app, session)
        history = await r.applications.history(1)
        entries = await r.audit.entries(subject="application:1")
        docs = await r.documents.of(1)
    assert [h.to_status for h in history if h.document_id is None] == [
        "submitted",
        "not_qualified",
        "qualified",
    ]
    assert [e.action for e in entries] == ["document_needs_fix", "not_qualified", "qualified"]
    assert entries[1].reason == "Tidak berdomisili di Kota Kendari"
    assert entries[1].before == {
        "status": "submitted",
        "seat": None,
        "tps_id": None,
        "reserve_rank": None,
    }
    assert docs[0].status is DocumentStatus.PENDING  # the replacement waits for a check


async def test_two_officers_acting_at_once_do_not_overwrite_each_other(
    app: App, t: Translator
) -> None:
    applicant = await add_applicant(
        app, "Siti Aminah", serial=1, status=ApplicationStatus.SUBMITTED
    )
    first = await officer(app, "pps-1", Role.PPS, KORUMBA)
    second = await officer(app, "pps-2", Role.PPS, KORUMBA)
    for chat in (first, second):
        await chat.say("KPPS-7471-900001")  # both open the card
    await first.press(t.C_("button", "Mark MS"))
    out = await second.press(t.C_("button", "Mark TMS"))
    assert t._("marked MS") in out  # told what changed, and shown the card as it is now
    assert (await application(app, applicant)).status is ApplicationStatus.QUALIFIED
    # and at the database: two decisions on one version, at the same moment, one wins
    a = await application(app, applicant)

    async def decide(status: ApplicationStatus) -> bool:
        async with app.db.transaction() as session:
            return await repos(app, session).decisions.change(
                a, actor_person_id=None, status=status
            )

    results = await asyncio.gather(
        decide(ApplicationStatus.NOT_QUALIFIED),
        decide(ApplicationStatus.QUALIFIED),
        return_exceptions=True,
    )
    assert sorted(r is True for r in results) == [False, True]
    assert (await application(app, applicant)).version == a.version + 1


async def test_the_pps_hears_of_the_first_applicant_at_once_then_in_digests(
    settings_factory: object, t: Translator
) -> None:
    from bot.app import build_app

    app = await build_app(settings_factory(officer_digest_minutes=30))  # type: ignore[operator]
    try:
        await officer(app, "pps-1", Role.PPS, KORUMBA)
        await officer(app, "pps-mandonga", Role.PPS, MANDONGA)
        for serial in range(1, 4):
            await fill_registration(
                ConsoleChat(app, f"warga-{serial}"), Person(serial=serial, tps=str(serial))
            )
        rows = [(r, m) for r, m in await outbox_rows(app) if r.kind.startswith("officer")]
        assert [row.kind for row, _ in rows] == ["officer_notice", "officer_digest"]
        (first, first_message), (digest, message) = rows
        assert (
            first.not_before <= datetime.now(UTC)
            and first_message.params["number"] == "KPPS-7471-000001"
        )
        assert digest.not_before > datetime.now(UTC)  # the end of the window
        assert digest.not_before - datetime.now(UTC) <= timedelta(minutes=30)
        assert (
            "TPS 002: 1/7" in message.params["lines"] and "TPS 003: 1/7" in message.params["lines"]
        )
        # a later window is a new digest; the Mandonga PPS heard nothing
        index, end = notify.window_end(datetime.now(UTC), 30)
        assert notify.window_end(end, 30)[0] == index + 1
        person_ids = {row.person_id for row, _ in rows}
        assert len(person_ids) == 1
    finally:
        await app.close()


@pytest.mark.parametrize("role", [Role.PPS, Role.KPU_ADMIN])
async def test_officer_commands_for_a_wider_scope_name_the_kelurahan(
    app: App, t: Translator, role: Role
) -> None:
    scope = KORUMBA if role is Role.PPS else "74.71"
    chat = await officer(app, "o-1", role, scope)
    out = await chat.say("/seleksi")
    if role is Role.PPS:
        assert "TPS 001" in out
    else:
        assert "/seleksi 74.71.01.1005" in out
        assert "TPS 001" in await chat.say("/seleksi " + KORUMBA)
    assert "TPS 001" not in await chat.say("/seleksi 74.72.01.1001")  # outside any scope


async def test_a_kpu_admin_sends_a_bimtek_schedule_from_the_chat(app: App, t: Translator) -> None:
    members = [await add_applicant(app, f"Calon {n}", serial=n) for n in range(1, 4)]
    elsewhere = await add_applicant(app, "Calon Mandonga", serial=9, kelurahan=MANDONGA)
    async with app.db.transaction() as session:
        r = repos(app, session)
        for i in [*members, elsewhere]:
            a = await r.applications.get(i)
            assert a is not None
            await r.decisions.change(a, actor_person_id=None, status=ApplicationStatus.SELECTED)
    pps = await officer(app, "pps-1", Role.PPS, KORUMBA)
    unknown = await pps.say("/tidakada")
    assert await pps.say("/siaran") == unknown.replace("/tidakada", "/siaran")
    admin = await officer(app, "kpu", Role.KPU_ADMIN, "74.71")
    await admin.say("/siaran")
    await admin.say("Bimtek KPPS Korumba")
    out = await admin.say("31-02-2027")
    assert "31/02/2027" in out  # not a real date: asked again
    await admin.say("23-01-2027")
    assert t._("Please write the time as hours and minutes, e.g. 08.00 or 13:30.") in (
        await admin.say("jam delapan")
    )
    await admin.say("08.00")
    await admin.say("Aula Kelurahan Korumba")
    await admin.say("KTP-el")
    await admin.press(t.C_("button", "Selected members"))
    assert t._(common.NOT_FOUND) in await admin.say("74.72.01")  # outside the kab/kota
    out = await admin.say(KORUMBA)
    assert "3" in out and "Korumba" in out and "Aula Kelurahan Korumba" in out
    assert not [r for r, _ in await outbox_rows(app) if r.kind == "broadcast"]  # not yet
    await admin.press(t.C_("button", "Send"))
    sent = [(r, m) for r, m in await outbox_rows(app) if r.kind == "broadcast"]
    assert len(sent) == 3 and {m.params["place"] for _, m in sent} == {"Aula Kelurahan Korumba"}
    again = await press(app, "kpu", "siaran:send")  # pressed twice: queued once
    assert (
        again.notice and len([r for r, _ in await outbox_rows(app) if r.kind == "broadcast"]) == 3
    )


async def test_a_public_response_is_recorded_on_the_card(app: App, t: Translator) -> None:
    await add_applicant(app, "Siti Aminah", serial=1)
    pps = await officer(app, "pps-1", Role.PPS, KORUMBA)
    await pps.say("KPPS-7471-900001")
    await pps.press(t.C_("button", "Public response"))
    out = await pps.say("Warga melaporkan yang bersangkutan anggota partai")
    assert t._("The response is recorded.") in out
    assert "💬" in out and "anggota partai" in out
    async with app.db.transaction() as session:
        rows = await session.execute(select(PublicResponse.text_enc))
        stored = [bytes(v) for v in rows.scalars()]
    assert stored and b"anggota partai" not in stored[0]  # encrypted at rest
