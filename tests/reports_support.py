"""Made-up applicants written straight through the repositories (a registration by chat per
applicant would take minutes for a report test), officers, and a way to talk to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, update

from bot.app import App
from handlers.messages import Incoming, Kind, Reply
from handlers.rules.documents import DEFAULT_RULES
from storage.domain import Actor, ApplicantDetails, ApplicationStatus, DocumentStatus, Role
from storage.models import Application, Tps
from storage.repositories import Repos
from tests.factories import make_nik

KORUMBA = "74.71.01.1006"  # Kecamatan Mandonga
LABIBIA = "74.71.01.1007"
BENDE = "74.71.08.1002"  # Kecamatan Kadia
# the documents required of everyone (the party letter and the superior's permission are not)
ALWAYS = tuple(kind.value for kind, rule in DEFAULT_RULES.items() if rule.required == "always")


def repos(app: App, session: Any) -> Repos:
    return Repos(session, app.crypto, app.settings.wilayah_edition)


@dataclass
class Applicant:
    serial: int
    name: str
    kelurahan: str = KORUMBA
    tps: int | None = 2
    status: ApplicationStatus = ApplicationStatus.SUBMITTED
    seat: str | None = None
    seat_tps: int | None = None  # TPS number of the seat (the chosen one if None)
    rank: int | None = None
    female: bool = False
    birth: date = date(1990, 8, 17)
    documents: dict[str, DocumentStatus] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    party: str = "never"
    employment: str = "none"
    address: str = "Jl. Sao-Sao No. 12"
    occupation: str = "wiraswasta"

    @property
    def nik(self) -> str:
        return make_nik(self.birth, female=self.female, serial=self.serial)

    @property
    def reg_number(self) -> str:
        return f"KPPS-7471-{self.serial:06d}"

    @property
    def kecamatan(self) -> str:
        return self.kelurahan.rsplit(".", 1)[0]


def complete(status: DocumentStatus = DocumentStatus.PENDING) -> dict[str, DocumentStatus]:
    return dict.fromkeys(ALWAYS, status)


async def tps_id(app: App, session: Any, kelurahan: str, number: int) -> int:
    found = await session.execute(
        select(Tps.id).where(
            Tps.edition == app.settings.wilayah_edition,
            Tps.kelurahan_code == kelurahan,
            Tps.number == number,
        )
    )
    return int(found.scalar_one())


async def add(app: App, *applicants: Applicant) -> None:
    async with app.db.transaction() as session:
        r = repos(app, session)
        for a in applicants:
            person = await r.people.ensure(Actor("console", f"applicant-{a.serial}"))
            assert person.person_id is not None
            details = ApplicantDetails(
                name=a.name,
                birth_date=a.birth,
                sex="F" if a.female else "M",
                phone=f"+62812345{a.serial:05d}",
                address=a.address,
                rt_rw="003/002",
                kecamatan_code=a.kecamatan,
                education="sma",
                occupation=a.occupation,
                employment=a.employment,
                prior_service=0,
                smartphone=True,
                party=a.party,
                statements={},
                birth_place="Kendari",
            )
            chosen = await tps_id(app, session, a.kelurahan, a.tps) if a.tps else None
            info = await r.applications.create(
                period_code=app.period.code,
                reg_number=a.reg_number,
                nik=a.nik,
                details=details,
                kelurahan_code=a.kelurahan,
                tps_id=chosen,
                flags=a.flags,
                person_id=person.person_id,
                channel="console",
                consent_version=app.period.consent_version,
            )
            for kind, status in a.documents.items():
                doc, _ = await r.documents.put(
                    application_id=info.id,
                    kind=kind,
                    file_key=f"{a.serial:04d}{kind}".ljust(64, "0")[:64],
                    encrypted=True,
                    mime="application/pdf",
                    size=1000,
                    width=None,
                    height=None,
                    pages=1,
                    channel_file_id=None,
                )
                if status is not DocumentStatus.PENDING:
                    await r.documents.set_status(doc.id, status)
            if a.status is not ApplicationStatus.SUBMITTED:
                await r.applications.set_status(info.id, a.status, actor_person_id=None)
            if a.seat or a.rank:
                seat_tps = a.seat_tps or a.tps
                seat_id = await tps_id(app, session, a.kelurahan, seat_tps) if seat_tps else None
                await session.execute(
                    update(Application)
                    .where(Application.id == info.id)
                    .values(
                        seat=a.seat, seat_tps_id=seat_id if a.seat else None, reserve_rank=a.rank
                    )
                )


async def officer(app: App, chat_id: str, role: Role, scope: str) -> None:
    """A person with an officer's role, as the invite flow would leave them."""
    async with app.db.transaction() as session:
        r = repos(app, session)
        actor = await r.people.ensure(Actor("console", chat_id))
        assert actor.person_id is not None
        await r.people.set_role(actor.person_id, role, scope)


_updates = iter(range(1, 10**9))


async def command(app: App, chat_id: str, text: str) -> Reply:
    name, _, payload = text[1:].partition(" ")
    incoming = Incoming(
        "console",
        chat_id,
        Kind.COMMAND,
        update_id=f"u{next(_updates)}",
        text=text,
        command=name,
        payload=payload,
    )
    reply = await app.engine.handle(incoming)
    assert reply is not None
    return reply


async def press(app: App, chat_id: str, button_id: str) -> Reply:
    incoming = Incoming(
        "console", chat_id, Kind.BUTTON, update_id=f"u{next(_updates)}", button_id=button_id
    )
    reply = await app.engine.handle(incoming)
    assert reply is not None
    return reply


async def typed(app: App, chat_id: str, text: str) -> Reply:
    incoming = Incoming("console", chat_id, Kind.TEXT, update_id=f"u{next(_updates)}", text=text)
    reply = await app.engine.handle(incoming)
    assert reply is not None
    return reply
