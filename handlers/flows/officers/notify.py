"""The PPS hears of new applicants in its kelurahan through the outbox: of the first at once,
then in a digest at most every ``policy.digest_minutes`` minutes, with the applicants per TPS
against the seven needed. A digest waiting to be sent is brought up to date by every new
applicant (one outbox row per officer and time window), so 200 applicants are not 200 pings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.context import Ctx
from handlers.i18n import N_
from storage.domain import KPPS_SIZE, ApplicationInfo, OutgoingMessage

FIRST = N_(
    "New applicant in {area}: {number} ({tps}). Send /pendaftar to review the applicants of "
    "your area."
)
DIGEST = N_(
    "New applicants in {area}. Applicants per TPS ({needed} needed each):\n{lines}\n\nSend "
    "/pendaftar to review them."
)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def window_end(now: datetime, minutes: int) -> tuple[int, datetime]:
    """The index of the digest window ``now`` is in, and when that window ends."""
    size = timedelta(minutes=minutes)
    index = int((now - EPOCH) / size)
    return index, EPOCH + size * (index + 1)


async def tps_lines(ctx: Ctx, kelurahan_code: str) -> str:
    counts = await ctx.repos.decisions.counts_by_tps(ctx.period.code, kelurahan_code)
    lines = []
    for tps in await ctx.repos.wilayah.tps_of(kelurahan_code):
        n = counts.get(tps.id, 0)
        mark = "✅" if n >= KPPS_SIZE else "⚠️"
        lines.append(f"{mark} TPS {tps.number:03d}: {n}/{KPPS_SIZE}")
    if counts.get(None):
        lines.append(f"❔ TPS –: {counts[None]}")
    return "\n".join(lines)


async def applicant_submitted(ctx: Ctx, application: ApplicationInfo) -> None:
    officers = await ctx.repos.officers.of_area(application.kelurahan_code)
    if not officers:
        return
    region = await ctx.repos.wilayah.region(application.kelurahan_code)
    area = region.name if region else application.kelurahan_code
    tps = await ctx.repos.wilayah.tps(application.tps_id) if application.tps_id else None
    for officer in officers:
        channel = await ctx.repos.officers.channel_of(officer)
        if channel is None:
            continue
        first_key = f"officer:first:{ctx.period.code}:{officer}"
        if not await ctx.repos.outbox.has(first_key):
            await ctx.repos.outbox.enqueue(
                person_id=officer,
                channel=channel,
                kind="officer_notice",
                message=OutgoingMessage(
                    FIRST,
                    {
                        "area": area,
                        "number": application.reg_number,
                        "tps": f"TPS {tps.number:03d}" if tps else "TPS –",
                    },
                ),
                key=first_key,
                now=ctx.now,
            )
            continue
        index, until = window_end(ctx.now, ctx.policy.digest_minutes)
        await ctx.repos.outbox.enqueue(
            person_id=officer,
            channel=channel,
            kind="officer_digest",
            message=OutgoingMessage(
                DIGEST,
                {
                    "area": area,
                    "needed": KPPS_SIZE,
                    "lines": await tps_lines(ctx, application.kelurahan_code),
                },
            ),
            key=f"officer:digest:{ctx.period.code}:{officer}:{index}",
            now=ctx.now,
            not_before=until,
            replace=True,
        )
