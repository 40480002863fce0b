"""/umumkan: publish the results of one kelurahan, once.

Every applicant of the kelurahan is told through the outbox, in the same transaction:
selected as ketua or anggota of TPS n (with the inauguration and bimtek dates, and reminders
the evening before and the morning of the inauguration), cadangan number k, not selected
(qualified, but the seats were filled), or not qualified with the reason. Publishing waits
until every applicant was reviewed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

from handlers.context import Ctx
from handlers.flows.base import Command, Flow, stale
from handlers.flows.officers import common
from handlers.flows.officers.common import DECIDERS, SEAT_LABELS, audit
from handlers.i18n import N_
from handlers.messages import Option, OutgoingFile, Reply
from handlers.period import Stage
from handlers.reports.announcement import Announcement, Member, TpsResult, announcement_pdf
from storage.domain import KPPS_SIZE, ApplicationInfo, ApplicationStatus, OutgoingMessage, Seat

NAME = "publish"
RESULT_PRIORITY = 2
SELECTED = N_(
    "Congratulations! You are selected as {seat} of KPPS TPS {tps}, {area}. The inauguration "
    "(pelantikan) is on {inauguration}, the bimtek on {bimtek}. The PPS will tell you the "
    "place and time."
)
RESERVE = N_(
    "You are reserve (cadangan) number {rank} for KPPS TPS {tps}, {area}. If a seat becomes "
    "free, the PPS will offer it to you in this chat."
)
NOT_SELECTED = N_(
    "You meet the requirements, but the seats of your TPS were filled by other applicants, so "
    "you were not selected this time. Thank you for registering."
)
NOT_QUALIFIED = N_(
    "After the administrative check, your application does not meet the requirements "
    "(Tidak Memenuhi Syarat): {reason}. For questions, please contact {contact}."
)
INAUGURATION_EVE = N_(
    "Reminder: tomorrow, {date}, is the inauguration (pelantikan) of the KPPS members. The "
    "PPS will tell you the place and time."
)
INAUGURATION_MORNING = N_(
    "Reminder: today is the inauguration (pelantikan) of the KPPS members. Please bring your "
    "KTP-el."
)
EVE_AT = time(17, 0)
MORNING_AT = time(6, 0)


def result_key(period_code: str, application_id: int) -> str:
    return f"result:{period_code}:{application_id}"


class PublishFlow(Flow):
    name = NAME
    namespace = "pub"
    commands = (Command("umumkan", N_("Publish the results of your kelurahan"), rank=22),)
    roles = DECIDERS

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        code = await common.kelurahan_of(ctx, payload, name)
        if isinstance(code, Reply):
            return code
        area = await common.area_name(ctx, code)
        when = await ctx.repos.decisions.published(ctx.period.code, code)
        if when is not None:
            return Reply(
                text=ctx.t._(
                    "The results of {area} were published on {date}. The announcement for the "
                    "notice board is attached.",
                    area=area,
                    date=ctx.date(when.astimezone(ctx.period.zone).date()),
                ),
                files=[await announcement(ctx, code)],
            )
        everyone = await ctx.repos.decisions.in_area(ctx.period.code, code)
        waiting = [a for a in everyone if a.status is ApplicationStatus.SUBMITTED]
        if waiting:
            return Reply(
                text=ctx.t._(
                    "{n} applicants of {area} are not reviewed yet. Review them with /pendaftar "
                    "before publishing.",
                    n=len(waiting),
                    area=area,
                )
            )
        lines = []
        for tps in await ctx.repos.wilayah.tps_of(code):
            seated = sum(1 for a in everyone if a.seat_tps_id == tps.id and a.seat)
            reserve = sum(1 for a in everyone if a.seat_tps_id == tps.id and not a.seat)
            mark = "✅" if seated >= KPPS_SIZE else "⚠️"
            lines.append(f"{mark} TPS {tps.number:03d}: {seated}/{KPPS_SIZE} + {reserve}")
        text = ctx.t._(
            "Publish the results of {area}? Every applicant is told their result in the chat; "
            "this cannot be undone. Seats per TPS (+ cadangan):\n{lines}",
            area=area,
            lines="\n".join(lines),
        )
        return Reply(
            text=text,
            options=[
                Option(f"pub:yes:{code}", ctx.t.C_("button", "Publish"), means="yes"),
                Option("/start", ctx.t.C_("button", "Not now"), means="no"),
            ],
        )

    async def button(self, ctx: Ctx, value: str) -> Reply:
        action, _, raw = value.partition(":")
        # the same check as the command: a kelurahan of the officer's scope, not a wider area
        code = await common.kelurahan_of(ctx, raw, "umumkan") if action == "yes" and raw else None
        if not isinstance(code, str):
            return stale(ctx)
        region = await ctx.repos.wilayah.region(code)
        everyone = await ctx.repos.decisions.in_area(ctx.period.code, code)
        if any(a.status is ApplicationStatus.SUBMITTED for a in everyone):
            return await self.command(ctx, "umumkan", code)  # one arrived after the preview
        if region is None or not await ctx.repos.decisions.publish(
            ctx.period.code, code, by=ctx.actor.person_id, now=ctx.now
        ):
            return stale(ctx)  # published already (a second press)
        told = 0
        for a in everyone:
            if a.status is ApplicationStatus.QUALIFIED:  # qualified, no seat: not selected
                await ctx.repos.decisions.change(
                    a,
                    actor_person_id=ctx.actor.person_id,
                    status=ApplicationStatus.NOT_SELECTED,
                    reason="pengumuman",
                )
                a = await ctx.repos.applications.get(a.id) or a
            told += await self._tell(ctx, a, region.name)
        await audit(ctx, "published", f"kelurahan:{code}", code, after={"told": told})
        text = ctx.t._(
            "The results of {area} are published: {n} applicants will be told in the chat. "
            "The announcement for the notice board is attached.",
            area=region.name,
            n=told,
        )
        return Reply(
            text=text,
            chosen=ctx.t.C_("button", "Publish"),
            files=[await announcement(ctx, code)],
        )

    async def _tell(self, ctx: Ctx, a: ApplicationInfo, area: str) -> int:
        if a.person_id is None:
            return 0
        tps = await common.tps_label(ctx, a.seat_tps_id or a.tps_id)
        number = tps.removeprefix("TPS ")
        if a.status is ApplicationStatus.SELECTED and a.seat:
            msgid, params = SELECTED, {"tps": number, "area": area, **self._dates(ctx)}
            params["seat"] = ctx.t._(SEAT_LABELS[a.seat])
        elif a.status is ApplicationStatus.RESERVE:
            msgid, params = RESERVE, {"rank": a.reserve_rank or 0, "tps": number, "area": area}
        elif a.status is ApplicationStatus.NOT_SELECTED:
            msgid, params = NOT_SELECTED, {}
        elif a.status is ApplicationStatus.NOT_QUALIFIED:
            reason = await ctx.repos.decisions.last_reason(a.id, a.status)
            msgid, params = NOT_QUALIFIED, {"reason": reason or "–", "contact": ctx.period.contact}
        else:
            return 0
        channel = await ctx.repos.decisions.channel_of(a.id) or ctx.actor.channel
        await ctx.repos.outbox.enqueue(
            person_id=a.person_id,
            channel=channel,
            kind="result",
            message=OutgoingMessage(msgid, params),
            key=result_key(ctx.period.code, a.id),
            now=ctx.now,
            priority=RESULT_PRIORITY,
        )
        if a.status is ApplicationStatus.SELECTED:
            await remind_inauguration(ctx, a.person_id, channel)
        return 1

    def _dates(self, ctx: Ctx) -> dict[str, object]:
        inauguration = ctx.period.stage(Stage.INAUGURATION)
        bimtek = ctx.period.stage(Stage.BIMTEK)
        return {
            "inauguration": ctx.date(inauguration.start) if inauguration else "–",
            "bimtek": ctx.date(bimtek.start) if bimtek else "–",
        }


async def announcement(ctx: Ctx, code: str) -> OutgoingFile:
    """The pengumuman of a kelurahan's results for the notice board (no NIK, no address)."""
    everyone = await ctx.repos.decisions.in_area(
        ctx.period.code,
        code,
        statuses=frozenset({ApplicationStatus.SELECTED, ApplicationStatus.RESERVE}),
    )
    stations = []
    for tps in await ctx.repos.wilayah.tps_of(code):
        here = [a for a in everyone if a.seat_tps_id == tps.id]
        ketua = next((a for a in here if a.seat is Seat.KETUA), None)
        anggota = sorted((a for a in here if a.seat is Seat.ANGGOTA), key=lambda a: a.id)
        cadangan = sorted((a for a in here if a.seat is None), key=lambda a: a.reserve_rank or 0)
        stations.append(
            TpsResult(
                number=tps.number,
                ketua=_member(ketua) if ketua else None,
                anggota=[_member(a) for a in anggota],
                cadangan=[_member(a) for a in cadangan],
            )
        )
    kelurahan = await ctx.repos.wilayah.region(code)
    kecamatan = await ctx.repos.wilayah.region(code.rsplit(".", 1)[0])
    kabkota = await ctx.repos.wilayah.region(ctx.period.region_code)
    stage = ctx.period.stage(Stage.PUBLIC_RESPONSE)
    responses = (
        ctx.t._("Responses are received until {date}.", date=ctx.date(stage.end)) if stage else ""
    )
    data = Announcement(
        period_name=ctx.period.name,
        kelurahan=kelurahan.name if kelurahan else code,
        kecamatan=kecamatan.name if kecamatan else "",
        kabkota=kabkota.name if kabkota else ctx.period.region_code,
        stations=stations,
        responses=responses,
        place=kabkota.name if kabkota else "",
        day=ctx.today,
    )
    pdf = await asyncio.to_thread(announcement_pdf, data)
    return OutgoingFile(
        name=f"pengumuman-{code.replace('.', '')}.pdf",
        data=pdf,
        caption=ctx.t._("Announcement of the results of {area}", area=data.kelurahan),
    )


def _member(a: ApplicationInfo) -> Member:
    return Member(name=a.details.name, reg_number=a.reg_number)


async def remind_inauguration(ctx: Ctx, person_id: int, channel: str) -> None:
    """The evening before and the morning of the inauguration (not sent after /berhenti)."""
    stage = ctx.period.stage(Stage.INAUGURATION)
    if stage is None:
        return
    zone = ctx.period.zone
    eve = datetime.combine(stage.start - timedelta(days=1), EVE_AT, tzinfo=zone).astimezone(UTC)
    morning = datetime.combine(stage.start, MORNING_AT, tzinfo=zone).astimezone(UTC)
    for name, when, msgid in (
        ("h-1", eve, INAUGURATION_EVE),
        ("pagi", morning, INAUGURATION_MORNING),
    ):
        if when <= ctx.now:
            continue
        await ctx.repos.outbox.enqueue(
            person_id=person_id,
            channel=channel,
            kind="reminder",
            message=OutgoingMessage(msgid, {"date": ctx.date(stage.start)}),
            key=f"reminder:inauguration:{ctx.period.code}:{person_id}:{name}",
            now=ctx.now,
            not_before=when,
            essential=False,
            priority=8,
        )


FLOW = PublishFlow()
