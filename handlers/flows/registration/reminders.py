"""Reminders of the registration, kept in the outbox (so they survive restarts)."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Ctx
from handlers.i18n import N_
from storage.domain import OutgoingMessage

UNFINISHED_AFTER = timedelta(hours=24)
UNFINISHED = N_(
    "You started registering as a KPPS member for {period} but have not finished yet. Send "
    "/daftar to continue where you left off. Registration closes on {close}."
)


def unfinished_key(ctx: Ctx) -> str:
    return f"reminder:unfinished:{ctx.period.code}:{ctx.actor.person_id}"


async def remind_unfinished(ctx: Ctx) -> None:
    """Once, 24 hours after the registration began, unless it was submitted or dropped by
    then (stored in the outbox, so it survives restarts; /berhenti stops it)."""
    person_id = await ctx.person_id()
    await ctx.repos.outbox.enqueue(
        person_id=person_id,
        channel=ctx.actor.channel,
        kind="reminder",
        message=OutgoingMessage(
            UNFINISHED,
            {"period": ctx.period.name, "close": ctx.date(ctx.period.registration_close)},
        ),
        key=unfinished_key(ctx),
        now=ctx.now,
        not_before=ctx.now + UNFINISHED_AFTER,
        essential=False,
    )
