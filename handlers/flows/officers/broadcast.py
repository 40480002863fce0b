"""/siaran: a KPU admin sends a bimtek schedule from the chat, as `kpps-bot broadcast bimtek`
does from the command line: title, date, time, place, what to bring, the audience (selected
members, cadangan, or every applicant) and the area within the admin's kab/kota; then a
preview with the recipients per channel and the time at the rate limit; then confirm.

The schedule is queued in the outbox in the unit of work of the confirmation (with its
reminders), keyed per person: pressing Send twice queues it once.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta
from typing import Any

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.flows.base import Command, Flow, stale
from handlers.flows.officers import common
from handlers.flows.officers.common import audit
from handlers.i18n import N_, NC_
from handlers.messages import Expect, Option, Reply
from handlers.rules.dates import parse_date
from handlers.rules.text import bounded
from handlers.schedules import Bimtek, enqueue
from storage.domain import Role

NAME = "siaran"
STEPS = ("title", "date", "time", "place", "bring", "group", "area", "preview")
QUESTIONS = {
    "title": N_("Bimtek schedule, step 1 of 7: type the title, e.g. Bimtek KPPS Kecamatan Kadia."),
    "date": N_("Step 2 of 7: the date, e.g. 23-01-2027."),
    "time": N_("Step 3 of 7: the start time, e.g. 08.00."),
    "place": N_("Step 4 of 7: the place or the link."),
    "bring": N_("Step 5 of 7: what to bring (or - for nothing)."),
    "group": N_("Step 6 of 7: who receives it?"),
    "area": N_(
        "Step 7 of 7: the area. Type a kecamatan or kelurahan code (e.g. 74.71.01), or choose "
        "your whole area."
    ),
}
GROUPS = {
    "selected": (NC_("button", "Selected members"), ("selected",)),
    "members": (NC_("button", "Members + cadangan"), ("selected", "reserve")),
    "applicants": (NC_("button", "All applicants"), ("applicants",)),
}
TOO_LONG = N_("Please keep it between 2 and 200 characters.")
BAD_TIME = N_("Please write the time as hours and minutes, e.g. 08.00 or 13:30.")
PAST_DATE = N_("That date has passed. Please give a date from today on.")


def parse_time(text: str) -> time:
    hours, sep, minutes = text.strip().replace(".", ":").partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit()):
        raise InvalidAnswer(BAD_TIME)
    if not (int(hours) < 24 and int(minutes) < 60):
        raise InvalidAnswer(BAD_TIME)
    return time(int(hours), int(minutes))


class BroadcastFlow(Flow):
    name = NAME
    namespace = "siaran"
    commands = (Command("siaran", N_("Send a bimtek schedule to many people"), rank=25),)
    roles = frozenset({Role.KPU_ADMIN})

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        ctx.enter(self)
        ctx.conv.data[NAME] = {}
        ctx.conv.step = "title"
        return self._ask(ctx)

    async def prompt(self, ctx: Ctx) -> Reply | None:
        if ctx.conv.step == "preview":
            return await self._preview(ctx)
        return self._ask(ctx)

    def _ask(self, ctx: Ctx) -> Reply:
        step = ctx.conv.step or "title"
        options: list[Option] = []
        expects = Expect.TEXT
        if step == "group":
            options = [
                Option(f"siaran:group:{key}", ctx.t.C_("button", label))
                for key, (label, _) in GROUPS.items()
            ]
            expects = Expect.CHOICE
        if step == "area":
            options = [Option("siaran:area:all", ctx.t.C_("button", "My whole area"))]
        options.append(Option("/batal", ctx.t.C_("button", "Cancel")))
        return Reply(text=ctx.t._(QUESTIONS[step]), options=options, expects=expects)

    async def handle(self, ctx: Ctx) -> Reply:
        slot = ctx.slot(NAME)
        step = ctx.conv.step or "title"
        text = ctx.incoming.text
        try:
            if step in {"title", "place", "bring"}:
                slot[step] = bounded(text, 1 if step == "bring" else 2, 200, TOO_LONG)
            elif step == "date":
                today = ctx.today
                day = parse_date(text, today=today + timedelta(days=3650))
                if day < today:
                    raise InvalidAnswer(PAST_DATE)
                slot["date"] = day.isoformat()
            elif step == "time":
                slot["time"] = parse_time(text).strftime("%H:%M")
            elif step == "area":
                return await self._area(ctx, text.strip())
            else:
                return self._ask(ctx).prefixed(ctx.t._("Please choose with the buttons."))
        except InvalidAnswer as error:
            return self._ask(ctx).prefixed(ctx.error(error))
        ctx.conv.step = STEPS[STEPS.index(step) + 1]
        return self._ask(ctx)

    async def button(self, ctx: Ctx, value: str) -> Reply:
        if ctx.conv.flow != NAME:
            return stale(ctx)
        action, _, arg = value.partition(":")
        if action == "group" and ctx.conv.step == "group" and arg in GROUPS:
            ctx.slot(NAME)["group"] = arg
            ctx.conv.step = "area"
            return self._ask(ctx)
        if action == "area" and ctx.conv.step == "area":
            return await self._area(ctx, ctx.actor.scope or "")
        if action == "send" and ctx.conv.step == "preview":
            return await self._send(ctx)
        return stale(ctx)

    async def _area(self, ctx: Ctx, code: str) -> Reply:
        region = await ctx.repos.wilayah.region(code) if code else None
        if region is None or not common.in_scope(ctx, code):
            return self._ask(ctx).prefixed(ctx.t._(common.NOT_FOUND))
        ctx.slot(NAME)["area"] = code
        ctx.conv.step = "preview"
        return await self._preview(ctx)

    def _bimtek(self, ctx: Ctx, slot: dict[str, Any]) -> Bimtek:
        hours, minutes = slot["time"].split(":")
        return Bimtek(
            code=f"chat-{ctx.actor.person_id}-{ctx.now:%Y%m%d%H%M}",
            title=slot["title"],
            day=date.fromisoformat(slot["date"]),
            at=time(int(hours), int(minutes)),
            place=slot["place"],
            bring=slot["bring"],
        )

    async def _recipients(self, ctx: Ctx, slot: dict[str, Any]) -> list[tuple[int, str]]:
        return await ctx.repos.audience.recipients(
            ctx.period.code, groups=GROUPS[slot["group"]][1], area=slot["area"]
        )

    async def _preview(self, ctx: Ctx) -> Reply:
        slot = ctx.slot(NAME)
        recipients = await self._recipients(ctx, slot)
        per_channel = Counter(channel for _, channel in recipients)
        minutes = len(recipients) / ctx.policy.broadcast_rate / 60
        text = ctx.t._(
            "{title}\n{date}, {time} — {place}\nPlease bring: {bring}\n\n"
            "{count} recipients ({channels}) in {area}; sending takes about {minutes} minutes. "
            "Send it?",
            title=slot["title"],
            date=ctx.date(date.fromisoformat(slot["date"])),
            time=slot["time"].replace(":", "."),
            place=slot["place"],
            bring=slot["bring"],
            count=len(recipients),
            channels=", ".join(f"{c} {n}" for c, n in sorted(per_channel.items())) or "-",
            area=await common.area_name(ctx, slot["area"]),
            minutes=max(1, round(minutes)),
        )
        if ctx.delivery_notes is not None:
            notes = await ctx.delivery_notes(ctx.repos, ctx.t, recipients)
            text = "\n".join([text, *notes]) if notes else text
        options = [Option("/batal", ctx.t.C_("button", "Cancel"), means="no")]
        if recipients:
            options.insert(0, Option("siaran:send", ctx.t.C_("button", "Send"), means="yes"))
        return Reply(text=text, options=options)

    async def _send(self, ctx: Ctx) -> Reply:
        slot = ctx.slot(NAME)
        bimtek = self._bimtek(ctx, slot)
        recipients = await self._recipients(ctx, slot)
        added = await enqueue(ctx.repos, ctx.period.zone, bimtek, recipients, ctx.now)
        await audit(
            ctx,
            "broadcast",
            f"broadcast:{bimtek.code}",
            slot["area"],
            after={"group": slot["group"], "recipients": len(recipients), "queued": added},
        )
        self.leave(ctx)
        text = ctx.t._(
            "The schedule is queued for {n} people (code {code}). Follow it with "
            "kpps-bot broadcast report {code}.",
            n=added,
            code=bimtek.code,
        )
        return Reply(text=text, chosen=ctx.t.C_("button", "Send"))


FLOW = BroadcastFlow()
