"""/tautkan: link a chat on another channel (Telegram, WhatsApp) to one's application.

In the chat that has the application, /tautkan gives a one-time code (8 digits, valid 15
minutes; only a keyed hash is stored). Sent as ``/tautkan CODE`` from a chat on the other
channel, it makes that chat the same person's: /status, /dokumen, results and reminders work
there too. A chat that has an application of its own cannot be linked (one NIK is one
application). Wrong codes are limited per chat, so a code cannot be guessed.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

from handlers.context import Ctx
from handlers.flows.base import Command, Flow
from handlers.i18n import N_
from handlers.messages import Option, Reply

NAME = "link"
VALID_FOR = timedelta(minutes=15)
TRIES_PER_HOUR = 5


def new_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


class LinkFlow(Flow):
    name = NAME
    namespace = "link"
    commands = (Command("tautkan", N_("Use your application in another app too"), rank=14),)

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        code = "".join(ch for ch in payload if ch.isdigit())
        reply = await (self._redeem(ctx, code) if payload.strip() else self._make(ctx))
        return await ctx.resume(reply.text) or reply

    async def _make(self, ctx: Ctx) -> Reply:
        application = await ctx.application()
        if application is None:
            return Reply(
                text=ctx.t._(
                    "To use the application you made in another app (Telegram or WhatsApp), "
                    "send /tautkan in that app first, then send /tautkan and the code you get "
                    "here. If you have not registered yet, send /daftar."
                )
            )
        code = new_code()
        person_id = await ctx.person_id()
        await ctx.repos.people.make_link_code(
            person_id, code, now=ctx.now, until=ctx.now + VALID_FOR
        )
        return Reply(
            text=ctx.t._(
                "Your link code is {code}. Within {minutes} minutes, send /tautkan {code} from "
                "your other app (Telegram or WhatsApp) to see application {number} there too. "
                "Do not give this code to anyone.",
                code=code,
                minutes=int(VALID_FOR.total_seconds() // 60),
                number=application.reg_number,
            )
        )

    async def _redeem(self, ctx: Ctx, code: str) -> Reply:
        if await ctx.application() is not None:
            return Reply(
                text=ctx.t._(
                    "This chat already has an application, so it cannot be linked to another "
                    "one. Send /status to see it."
                )
            )
        tries = [t for t in ctx.slot(NAME).get("tries", []) if t > ctx.now.timestamp() - 3600]
        if len(tries) >= TRIES_PER_HOUR:
            return Reply(
                text=ctx.t._("Too many wrong codes. Please wait an hour and make a new code.")
            )
        target = await ctx.repos.people.redeem_link_code(code, ctx.now) if len(code) == 8 else None
        if target is None:
            ctx.slot(NAME)["tries"] = [*tries, ctx.now.timestamp()]
            return Reply(
                text=ctx.t._(
                    "That code is not valid: it may be mistyped, used or older than {minutes} "
                    "minutes. Send /tautkan in your other app for a new code.",
                    minutes=int(VALID_FOR.total_seconds() // 60),
                )
            )
        await ctx.person_id()
        assert ctx.actor.identity_id is not None
        await ctx.repos.people.link_identity(ctx.actor.identity_id, target)
        ctx.actor = replace(ctx.actor, person_id=target)
        ctx.conv.data.pop(NAME, None)
        application = await ctx.repos.applications.of_person(target, ctx.period.code)
        if application is not None:
            ctx.set_application(application)
        number = application.reg_number if application else "–"
        return Reply(
            text=ctx.t._(
                "Linked. This chat now shows your application {number}: send /status or "
                "/dokumen here as well.",
                number=number,
            ),
            options=[Option("/status", ctx.t.C_("button", "My status"))],
        )


FLOW = LinkFlow()
