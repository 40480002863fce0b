"""Answers to a schedule broadcast: the buttons "Hadir" / "Berhalangan" on the message.

Stateless: a button carries the broadcast's code and the answer (``attend:<code>:<answer>``).
It counts only from someone the broadcast was sent to, checked on the server (the outbox row
of that code and person), whatever a client sends.
"""

from __future__ import annotations

from handlers.context import Ctx
from handlers.flows.base import Flow, stale
from handlers.i18n import NC_
from handlers.messages import Reply
from storage.domain import broadcast_key

NAMESPACE = "attend"
LABELS = {"hadir": NC_("button", "Hadir"), "berhalangan": NC_("button", "Berhalangan")}


def option_id(code: str, answer: str) -> str:
    return f"{NAMESPACE}:{code}:{answer}"


class AttendanceFlow(Flow):
    name = "attendance"
    namespace = NAMESPACE

    async def button(self, ctx: Ctx, value: str) -> Reply:
        code, _, answer = value.rpartition(":")
        person_id = ctx.actor.person_id
        if (
            answer not in LABELS
            or person_id is None
            or not await ctx.repos.outbox.has(broadcast_key(code, person_id))
        ):
            return stale(ctx)
        await ctx.repos.attendance.record(code, person_id, answer, ctx.now)
        label = ctx.t.C_("button", LABELS[answer])
        text = ctx.t._(
            "Thank you, your answer is recorded: {answer}. You can change it with the buttons "
            "of the schedule message.",
            answer=label,
        )
        return await ctx.resume(text, chosen=label) or Reply(text=text, chosen=label)


FLOW = AttendanceFlow()
