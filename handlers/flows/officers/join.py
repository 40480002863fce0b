"""Officers join with a one-time invite code a KPU admin made (``kpps-bot officer invite``)
and may leave again. ``/petugas`` is not in any menu: an applicant sees no officer command.

A wrong, used or expired code gets the same answer, so a guess learns nothing. Codes are
long (50 bits) and expire; every join and leave goes to the audit log.
"""

from __future__ import annotations

import secrets

from handlers.context import Ctx
from handlers.flows.base import EVERYONE, Command, Flow, stale
from handlers.flows.officers.common import area_name, audit, is_officer
from handlers.i18n import N_
from handlers.messages import Option, Reply
from storage.domain import OFFICERS, Role

NAME = "officer"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
ROLE_LABELS = {
    Role.PPS: N_("PPS (kelurahan/desa)"),
    Role.PPK: N_("PPK (kecamatan)"),
    Role.KPU_ADMIN: N_("KPU admin (kab/kota)"),
}
INVALID = N_(
    "This invite code is not valid: it may be mistyped, already used or expired. Please ask "
    "the KPU for a new code."
)


def new_code() -> str:
    """A random invite code such as ``K7QD-M2XA-PR``: 10 characters, about 50 bits."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise(code: str) -> str:
    return code.strip().upper().replace(" ", "")


class OfficerJoinFlow(Flow):
    name = NAME
    namespace = "officer"
    commands = (Command("petugas", N_("Join as an officer with an invite code"), menu=False),)
    roles = EVERYONE

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        if not payload.strip():
            ctx.enter(self)
            ctx.conv.step = "code"
            return Reply(text=ctx.t._("Please type your invite code, e.g. K7QD-M2XA-PR."))
        return await self._redeem(ctx, payload)

    async def handle(self, ctx: Ctx) -> Reply:
        text = ctx.incoming.text.strip()
        if not text:
            return Reply(text=ctx.t._("Please type your invite code, e.g. K7QD-M2XA-PR."))
        self.leave(ctx)
        return await self._redeem(ctx, text)

    async def prompt(self, ctx: Ctx) -> Reply | None:
        return Reply(text=ctx.t._("Please type your invite code, e.g. K7QD-M2XA-PR."))

    async def _redeem(self, ctx: Ctx, code: str) -> Reply:
        code = normalise(code)
        if len(code) > 20:
            return Reply(text=ctx.t._(INVALID))
        person_id = await ctx.person_id()
        found = await ctx.repos.invites.redeem(code, person_id, ctx.now)
        if found is None:
            return Reply(text=ctx.t._(INVALID))
        role, scope = found
        before: dict[str, object] = {"role": ctx.actor.role.value, "scope": ctx.actor.scope}
        await ctx.repos.people.set_role(person_id, role, scope)
        await audit(
            ctx,
            "officer_joined",
            f"person:{person_id}",
            scope,
            before=before,
            after={"role": role.value, "scope": scope},
        )
        text = ctx.t._(
            "Welcome! You are now registered as {role} for {area}. Send /pendaftar to see "
            "the applicants of your area, or /bantuan for every officer command.",
            role=ctx.t._(ROLE_LABELS[role]),
            area=await area_name(ctx, scope),
        )
        options = [Option("/pendaftar", ctx.t.C_("button", "Applicants"))]
        return Reply(text=text, options=options, menu_role=role.value)


class OfficerLeaveFlow(Flow):
    """/keluarpetugas: only officers have it (and see it in their menu)."""

    name = "officer_leave"
    namespace = "officer_leave"
    commands = (Command("keluarpetugas", N_("Stop being an officer"), rank=90),)
    roles = OFFICERS

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        return Reply(
            text=ctx.t._(
                "Do you want to stop being an officer? You will no longer see applicants "
                "or receive officer notifications."
            ),
            options=[
                Option("officer_leave:yes", ctx.t.C_("button", "Yes, stop"), means="yes"),
                Option("/start", ctx.t.C_("button", "No"), means="no"),
            ],
        )

    async def button(self, ctx: Ctx, value: str) -> Reply:
        if value != "yes" or not is_officer(ctx):
            return stale(ctx)
        before: dict[str, object] = {"role": ctx.actor.role.value, "scope": ctx.actor.scope}
        person_id = await ctx.person_id()
        await ctx.repos.people.set_role(person_id, Role.APPLICANT, None)
        await audit(ctx, "officer_left", f"person:{person_id}", ctx.actor.scope, before=before)
        return Reply(
            text=ctx.t._("You are no longer an officer. Thank you for your work."),
            options=[Option("/start", ctx.t.C_("button", "Menu"))],
            chosen=ctx.t.C_("button", "Yes, stop"),
            menu_role=Role.APPLICANT.value,
        )


JOIN = OfficerJoinFlow()
LEAVE = OfficerLeaveFlow()
