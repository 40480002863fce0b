"""Helpers for officer tests: invites made as the CLI makes them, officers joined by chat."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.app import App
from handlers.flows.officers.join import new_code
from handlers.messages import Incoming, Kind, Reply
from storage.domain import (
    Actor,
    ApplicantDetails,
    ApplicationInfo,
    ApplicationStatus,
    OutgoingMessage,
    Role,
)
from storage.models import OutboxMessage
from storage.repositories import Repos
from tests.dialog import ConsoleChat
from tests.factories import make_nik

MANDONGA = "74.71.01.1005"
KORUMBA = "74.71.01.1006"
KECAMATAN = "74.71.01"
KABKOTA = "74.71"


async def make_invite(app: App, role: Role, scope: str, *, days: int = 7) -> str:
    code = new_code()
    now = datetime.now(UTC)

    async with app.db.transaction() as session:
        await repos(app, session).invites.create(
            code,
            role=role,
            scope=scope,
            created_by="test",
            now=now,
            until=now + timedelta(days=days),
        )
    return code


def repos(app: App, session: Any) -> Repos:
    return Repos(session, app.crypto, app.settings.wilayah_edition)


async def officer(app: App, chat_id: str, role: Role, scope: str) -> ConsoleChat:
    chat = ConsoleChat(app, chat_id=chat_id)
    code = await make_invite(app, role, scope)
    await chat.say(f"/petugas {code}")
    return chat


async def tps_id(app: App, number: int, kelurahan: str = KORUMBA) -> int:
    async with app.db.transaction() as session:
        found = await repos(app, session).wilayah.tps_of(kelurahan)
    return next(t.id for t in found if t.number == number)


async def add_applicant(
    app: App,
    name: str,
    *,
    serial: int,
    tps: int = 2,
    kelurahan: str = KORUMBA,
    status: ApplicationStatus = ApplicationStatus.QUALIFIED,
    prior_service: int = 0,
    birth: date = date(1990, 1, 1),
    chat_id: int | None = None,
) -> int:
    """An application stored as the registration stores it (for tests of what officers do
    with many applicants), of a person with a Telegram identity (``chat_id``)."""
    where = await tps_id(app, tps, kelurahan)
    async with app.db.transaction() as session:
        r = repos(app, session)
        actor = await r.people.ensure(
            Actor(channel="telegram", external_id=str(chat_id or 800_000 + serial))
        )
        assert actor.person_id is not None
        details = ApplicantDetails(
            name=name,
            birth_date=birth,
            sex="M",
            phone="+6281200000000",
            address="Jl. Contoh No. 1",
            rt_rw="001/001",
            kecamatan_code=kelurahan.rsplit(".", 1)[0],
            education="sma",
            occupation="wiraswasta",
            employment="none",
            prior_service=prior_service,
            smartphone=True,
            party="never",
            statements={},
        )
        created = await r.applications.create(
            period_code=app.period.code,
            reg_number=f"KPPS-7471-{900_000 + serial:06d}",
            nik=make_nik(birth, serial=serial + 5000),
            details=details,
            kelurahan_code=kelurahan,
            tps_id=where,
            flags=[],
            person_id=actor.person_id,
            channel="telegram",
            consent_version=app.period.consent_version,
        )
        if status is not ApplicationStatus.SUBMITTED:
            await r.applications.set_status(created.id, status, actor_person_id=None)
    return created.id


async def application(app: App, application_id: int) -> ApplicationInfo:
    async with app.db.transaction() as session:
        found = await repos(app, session).applications.get(application_id)
    assert found is not None
    return found


async def outbox_rows(app: App) -> list[tuple[OutboxMessage, OutgoingMessage]]:
    """Every outbox row with its message, decrypted."""
    async with app.db.transaction() as session:
        rows = list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )
    return [
        (row, OutgoingMessage.from_json(app.crypto.decrypt_json(row.payload_enc))) for row in rows
    ]


async def press(app: App, chat_id: str, button_id: str, channel: str = "console") -> Reply:
    """A button pressed with any id a client may send (forged or not)."""
    reply = await app.engine.handle(Incoming(channel, chat_id, Kind.BUTTON, button_id=button_id))
    assert reply is not None
    return reply


async def audit_count(app: App) -> int:
    async with app.db.transaction() as session:
        return len(await repos(app, session).audit.entries())
