"""Answers to a schedule broadcast: the buttons "Hadir" / "Berhalangan" on the message, or the
same words typed (at the menu) or sent as /hadir and /berhalangan (anywhere, also in the middle
of a registration). A typed answer is for the newest schedule sent to the person.

A button carries the broadcast's code and the answer (``attend:<code>:<answer>``). It counts
only from someone the broadcast was sent to, checked on the server (the outbox row of that
code and person), whatever a client sends.
"""

from __future__ import annotations

from handlers.choices import normalise
from handlers.context import Ctx
from handlers.flows.base import Command, Flow, stale
from handlers.i18n import N_, NC_
from handlers.messages import Reply
from storage.domain import BROADCAST_PREFIX, broadcast_key

NAMESPACE = "attend"
LABELS = {"hadir": NC_("button", "Hadir"), "berhalangan": NC_("button", "Berhalangan")}


def option_id(code: str, answer: str) -> str:
    return f"{NAMESPACE}:{code}:{answer}"


class AttendanceFlow(Flow):
    name = "attendance"
    namespace = NAMESPACE
    commands = (
        Command("hadir", N_("I will come to the bimtek"), menu=False),
        Command("berhalangan", N_("I cannot come to the bimtek"), menu=False),
    )

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        return await self._typed(ctx, name) or await self._none(ctx)

    async def at_menu(self, ctx: Ctx, text: str) -> Reply | None:
        answer = normalise(text)
        return await self._typed(ctx, answer) if answer in LABELS else None

    async def button(self, ctx: Ctx, value: str) -> Reply:
        code, _, answer = value.rpartition(":")
        person_id = ctx.actor.person_id
        if (
            answer not in LABELS
            or person_id is None
            or not await ctx.repos.outbox.has(broadcast_key(code, person_id))
        ):
            return stale(ctx)
        return await self._record(ctx, code, answer)

    async def _typed(self, ctx: Ctx, answer: str) -> Reply | None:
        person_id = ctx.actor.person_id
        if person_id is None:
            return None
        key = await ctx.repos.outbox.latest_key(person_id, BROADCAST_PREFIX)
        if key is None:
            return None
        code = key.removeprefix(BROADCAST_PREFIX).rpartition(":")[0]
        return await self._record(ctx, code, answer)

    async def _none(self, ctx: Ctx) -> Reply:
        text = ctx.t._("No schedule was sent to you yet, so there is nothing to answer.")
        return await ctx.resume(text) or Reply(text=text)

    async def _record(self, ctx: Ctx, code: str, answer: str) -> Reply:
        assert ctx.actor.person_id is not None
        await ctx.repos.attendance.record(code, ctx.actor.person_id, answer, ctx.now)
        label = ctx.t.C_("button", LABELS[answer])
        text = ctx.t._(
            "Thank you, your answer is recorded: {answer}. You can change it with the buttons "
            "of the schedule message.",
            answer=label,
        )
        return await ctx.resume(text, chosen=label) or Reply(text=text, chosen=label)


FLOW = AttendanceFlow()
