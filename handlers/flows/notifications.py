"""What the bot may send on its own: /berhenti stops reminders and optional announcements,
/lanjut starts them again. Results and changes to a schedule are always sent.

Stateless: one command, one answer (and the current question of a flow in progress again).
"""

from __future__ import annotations

from handlers.context import Ctx
from handlers.flows.base import Command, Flow
from handlers.i18n import N_
from handlers.messages import Reply


class NotificationsFlow(Flow):
    name = "notifications"
    namespace = "notifications"
    commands = (
        Command("berhenti", N_("Stop reminders and announcements"), rank=12),
        Command("lanjut", N_("Receive reminders again"), rank=13),
    )

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        if ctx.actor.person_id is None:  # nothing stored, so nothing is ever sent
            text = ctx.t._(
                "We do not send you anything on our own yet: only answers to your messages."
            )
        elif name == "berhenti":
            await ctx.repos.people.set_quiet(ctx.actor.person_id, ctx.now)
            text = ctx.t._(
                "Reminders and optional announcements are stopped. You will still receive your "
                "result and changes to your schedule. Send /lanjut to receive them again."
            )
        else:
            await ctx.repos.people.set_quiet(ctx.actor.person_id, None)
            text = ctx.t._(
                "You will receive reminders and announcements again. Send /berhenti to stop them."
            )
        return await ctx.resume(text) or Reply(text=text)


FLOW = NotificationsFlow()
