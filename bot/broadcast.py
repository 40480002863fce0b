"""Broadcasts from the command line: a bimtek schedule to an audience chosen by wilayah and by
where people are in the recruitment.

A broadcast is identified by its code. Planning it counts the recipients per channel and the
time the sending takes at the bot's rate, and for WhatsApp the recipients outside their
24-hour window (each gets a template, counted by the messaging tier) and the days the tier
needs for them; confirming it enqueues one outbox message per
recipient in one transaction, keyed ``broadcast:<code>:<person>``, so running it again (after
a crash, or for people who joined the audience since) adds only who is missing. The sender
sends; ``progress`` and ``report`` read the outbox rows of the code.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import App
from bot.channels.whatsapp import CHANNEL as WHATSAPP
from bot.channels.whatsapp import WINDOW, WINDOW_MARGIN
from bot.tier import days_needed
from handlers import schedules
from handlers.schedules import BIMTEK, CODE_MAX, Bimtek
from storage.domain import BROADCAST_PREFIX, OutboxStatus
from storage.models import utcnow
from storage.repositories import Repos


@dataclass(frozen=True)
class Target:
    groups: tuple[str, ...]  # see storage.repositories.audience
    area: str | None = None
    tps_numbers: tuple[int, ...] = ()


@dataclass
class Plan:
    recipients: list[tuple[int, str]]
    per_channel: Counter[str] = field(default_factory=Counter)
    new: int = 0  # not queued yet under this code
    seconds: float = 0.0  # at the bot's rate
    # WhatsApp recipients outside their 24-hour window (each needs a template, which the
    # messaging tier counts), and the days that takes at the tier (None: unlimited)
    outside_window: int = 0
    tier: int | None = None
    days: int = 0


__all__ = ["BIMTEK", "CODE_MAX", "Bimtek", "Plan", "Target"]


def prefix(code: str) -> str:
    return f"{BROADCAST_PREFIX}{code}:"


def _repos(app: App, session: Any) -> Repos:
    return Repos(session, app.crypto, app.settings.wilayah_edition)


async def plan(app: App, target: Target, code: str) -> Plan:
    async with app.db.transaction() as session:
        repos = _repos(app, session)
        recipients = await repos.audience.recipients(
            app.period.code, groups=target.groups, area=target.area, tps_numbers=target.tps_numbers
        )
        queued = sum((await repos.outbox.counts(prefix=prefix(code))).values())
        on_whatsapp = [person for person, channel in recipients if channel == WHATSAPP]
        since = utcnow() - WINDOW + WINDOW_MARGIN
        outside = await repos.whatsapp.outside_window(on_whatsapp, since) if on_whatsapp else 0
    result = Plan(recipients, Counter(channel for _, channel in recipients))
    result.new = max(len(recipients) - queued, 0)
    result.seconds = result.new / app.settings.telegram_rate
    result.outside_window = outside
    result.tier = app.settings.whatsapp_tier
    result.days = days_needed(outside, result.tier)
    return result


def reminders(app: App, bimtek: Bimtek) -> list[tuple[str, datetime, str]]:
    return schedules.reminders(app.period.zone, bimtek)


async def enqueue(app: App, bimtek: Bimtek, recipients: list[tuple[int, str]]) -> int:
    """Queue the schedule for every recipient not queued yet (see handlers.schedules)."""
    async with app.db.transaction() as session:
        return await schedules.enqueue(
            _repos(app, session), app.period.zone, bimtek, recipients, utcnow()
        )


async def progress(app: App, code: str) -> dict[str, int]:
    async with app.db.transaction() as session:
        return await _repos(app, session).outbox.counts(prefix=prefix(code))


def done(counts: dict[str, int]) -> bool:
    return not counts.get(OutboxStatus.QUEUED, 0) and not counts.get(OutboxStatus.SENDING, 0)


CONTACT_COLUMNS = ["nama", "nomor_hp", "nomor_pendaftaran"]


async def _contact(app: App, repos: Repos, person_id: int) -> list[str]:
    """Name, phone and registration number of a person (empty without an application)."""
    application = await repos.applications.of_person(person_id, app.period.code)
    if application is None:
        return ["", "", ""]
    return [application.details.name, application.details.phone, application.reg_number]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


async def report(app: App, code: str, unreachable_csv: Path | None = None) -> dict[str, Any]:
    """Sent, failed (by reason), unreachable; the unreachable people written as CSV (name,
    phone, registration number, channel, reason) for a phone call."""
    async with app.db.transaction() as session:
        repos = _repos(app, session)
        outcomes = await repos.outbox.outcomes(prefix(code))
        rows = [
            [*await _contact(app, repos, person_id), channel, error or ""]
            for person_id, channel, status, error in outcomes
            if status == OutboxStatus.UNREACHABLE and unreachable_csv is not None
        ]
    if unreachable_csv is not None:
        _write_csv(unreachable_csv, [*CONTACT_COLUMNS, "kanal", "alasan"], rows)
    statuses = Counter(status for _, _, status, _ in outcomes)
    failures = Counter(
        (error or "?")[:80] for _, _, status, error in outcomes if status == OutboxStatus.FAILED
    )
    return {
        "statuses": dict(statuses),
        "failures": dict(failures),
        "unreachable": statuses.get(OutboxStatus.UNREACHABLE, 0),
    }


async def attendance(app: App, code: str, path: Path | None = None) -> dict[str, int]:
    """The answers to a broadcast, counted; written as CSV (name, phone, registration number,
    answer, when) when ``path`` is given."""
    async with app.db.transaction() as session:
        repos = _repos(app, session)
        answers = await repos.attendance.of(code)
        rows = [
            [
                *await _contact(app, repos, person_id),
                answer,
                at.astimezone(app.period.zone).strftime("%Y-%m-%d %H:%M"),
            ]
            for person_id, answer, at in answers
        ]
    if path is not None:
        _write_csv(path, [*CONTACT_COLUMNS, "jawaban", "waktu"], rows)
    return dict(Counter(answer for _, answer, _ in answers))
