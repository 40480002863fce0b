"""Bimtek schedules sent to many people: the message, its answer buttons, its reminders (the
evening before and that morning), queued in the outbox in the caller's unit of work.

Used by ``kpps-bot broadcast bimtek`` (bot/broadcast.py) and by a KPU admin's /siaran in the
chat. One outbox row per person, keyed ``broadcast:<code>:<person>``: queuing again adds only
who is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from handlers.flows.attendance import LABELS, option_id
from handlers.i18n import N_
from storage.domain import OutgoingMessage, broadcast_key
from storage.repositories import Repos

BIMTEK = N_(
    "Bimtek schedule (technical guidance) for KPPS members: {title}\n\n"
    "Date: {date}\nTime: {time}\nPlace: {place}\nPlease bring: {bring}\n\n"
    "Will you come? Please answer with a button below, or type hadir or berhalangan."
)
CODE_MAX = 40  # the code travels in the answer buttons (Telegram callback data: 64 bytes)
REMIND_EVE = N_(
    "Reminder: tomorrow, {date}, at {time} is the bimtek \u201c{title}\u201d at {place}. "
    "Please bring: {bring}."
)
REMIND_MORNING = N_(
    "Reminder: today at {time} is the bimtek \u201c{title}\u201d at {place}. Please bring: {bring}."
)
EVE_AT = time(17, 0)  # local time, the day before
MORNING_AT = time(6, 0)  # local time, the day itself (or an hour before an earlier start)
REMINDER_PRIORITY = 8
PRIORITY = 7  # after results and correction requests, before reminders


@dataclass(frozen=True)
class Bimtek:
    code: str  # e.g. "bimtek-kadia-1": one broadcast, however often it is run
    title: str
    day: date
    at: time
    place: str
    bring: str = "-"
    essential: bool = True  # a schedule is essential; --optional makes /berhenti skip it


def reminders(zone: ZoneInfo, bimtek: Bimtek) -> list[tuple[str, datetime, str]]:
    """(name, when in UTC, msgid) of the bimtek's reminders: the evening before and the
    morning of the day (an hour before a start earlier than the usual morning time)."""
    start = datetime.combine(bimtek.day, bimtek.at, tzinfo=zone)
    morning = datetime.combine(bimtek.day, MORNING_AT, tzinfo=zone)
    if morning >= start:
        morning = start - timedelta(hours=1)
    eve = datetime.combine(bimtek.day - timedelta(days=1), EVE_AT, tzinfo=zone)
    return [
        ("h-1", eve.astimezone(UTC), REMIND_EVE),
        ("pagi", morning.astimezone(UTC), REMIND_MORNING),
    ]


async def enqueue(
    repos: Repos,
    zone: ZoneInfo,
    bimtek: Bimtek,
    recipients: list[tuple[int, str]],
    now: datetime,
) -> int:
    """Queue the schedule for every recipient not queued yet, with its reminders (stored
    rows with a not-before time; those already past are left out); how many schedules were
    added."""
    params = {
        "title": bimtek.title,
        "date": format_date(bimtek.day, format="full", locale="id"),
        "time": bimtek.at.strftime("%H.%M"),
        "place": bimtek.place,
        "bring": bimtek.bring,
    }
    message = OutgoingMessage(
        BIMTEK,
        params,
        tuple((option_id(bimtek.code, answer), label) for answer, label in LABELS.items()),
    )
    due = [(name, at, msgid) for name, at, msgid in reminders(zone, bimtek) if at > now]
    added = 0
    for person_id, channel in recipients:
        added += await repos.outbox.enqueue(
            person_id=person_id,
            channel=channel,
            kind="broadcast",
            message=message,
            key=broadcast_key(bimtek.code, person_id),
            now=now,
            priority=PRIORITY,
            essential=bimtek.essential,
        )
        for name, at, msgid in due:
            await repos.outbox.enqueue(
                person_id=person_id,
                channel=channel,
                kind="reminder",
                message=OutgoingMessage(msgid, params),
                key=f"reminder:bimtek:{bimtek.code}:{name}:{person_id}",
                now=now,
                not_before=at,
                priority=REMINDER_PRIORITY,
                essential=False,
            )
    return added
