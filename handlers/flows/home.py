"""Home: welcome and menu, help, status, language, and /batal — what answers outside every
flow, and the commands every other flow falls back to."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.flows import documents, registration
from handlers.flows.base import Command, Home, stale
from handlers.flows.faq import idle_answer
from handlers.i18n import N_
from handlers.messages import Option, Reply
from storage.domain import ApplicationStatus

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
STATUS_NAMES = {
    ApplicationStatus.SUBMITTED: N_("submitted, waiting for the PPS administrative check"),
    ApplicationStatus.QUALIFIED: N_("meets the requirements (Memenuhi Syarat)"),
    ApplicationStatus.NOT_QUALIFIED: N_("does not meet the requirements (Tidak Memenuhi Syarat)"),
    ApplicationStatus.SELECTED: N_("selected as a KPPS member"),
    ApplicationStatus.RESERVE: N_("on the reserve list (cadangan)"),
    ApplicationStatus.NOT_SELECTED: N_("not selected"),
    ApplicationStatus.WITHDRAWN: N_("withdrawn"),
}


class HomeFlow(Home):
    name = "home"
    namespace = "home"
    commands = (
        Command("start", N_("Start and see the menu"), rank=0),
        Command("status", N_("Check your registration"), rank=2),
        Command("batal", N_("Cancel your registration draft"), rank=7),
        Command("bantuan", N_("Help"), rank=10),
        Command("bahasa", N_("Change language"), rank=11),
    )

    def menu(self, ctx: Ctx) -> list[Option]:
        return [
            Option("/daftar", ctx.t.C_("button", "Register now")),
            Option("/ceksyarat", ctx.t.C_("button", "Check requirements")),
            Option("/tanya", ctx.t.C_("button", "Ask a question")),
            Option("/status", ctx.t.C_("button", "My status")),
            Option("/bantuan", ctx.t.C_("button", "Help")),
        ]

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        if name == "start":
            return await self._start(ctx, payload)
        if name == "status":
            return await self._status(ctx)
        if name == "batal":
            return await self._cancel(ctx)
        if name == "bahasa":
            return Reply(
                text=ctx.t._("Choose your language:"),
                options=[Option(f"home:lang:{code}", name) for code, name in LANGUAGES.items()],
            )
        return await self._help(ctx)

    async def unknown_command(self, ctx: Ctx, name: str) -> Reply:
        help_ = await self._help(ctx)
        return help_.prefixed(ctx.t._("I do not know the command /{command}.", command=name[:32]))

    async def button(self, ctx: Ctx, value: str) -> Reply:
        kind, _, code = value.partition(":")
        if kind == "lang":
            return await self._set_language(ctx, code)
        return stale(ctx)

    async def idle(self, ctx: Ctx) -> Reply:
        """Text at the menu: an answer, the closest questions with the menu, or (nothing
        close: "halo", "test") a short greeting with the menu; never the long welcome again.
        Someone who has registered gets their status, as from the welcome."""
        menu = self.menu(ctx)
        if ctx.incoming.text and (reply := idle_answer(ctx, ctx.incoming.text, menu)) is not None:
            return reply
        if await ctx.application() is not None:
            return await self._status(ctx)
        return Reply(text=ctx.t._("Hello! Choose what you want to do:"), options=menu)

    async def _start(self, ctx: Ctx, payload: str) -> Reply:
        current = ctx.flow
        if current is not None and not current.holds:
            current.leave(ctx)
        if payload:
            await registration.preselect(ctx, payload)
        again = await ctx.resume(ctx.t._("Welcome back! Let's continue where you left."))
        return again or await self._welcome(ctx)

    async def _welcome(self, ctx: Ctx) -> Reply:
        if await ctx.application() is not None:
            return await self._status(ctx)
        parts = [
            ctx.t._(
                "Welcome to the KPPS registration assistant for {period}.\n\n"
                "KPPS (Kelompok Penyelenggara Pemungutan Suara) are the 7 people who run a "
                "polling station (TPS) on polling day, {polling_day}. They are recruited by the "
                "PPS of each kelurahan from residents around the TPS.\n\n"
                "To register I will ask for your NIK (it gives your date of birth), name, place "
                "of birth, phone number, address, the TPS where you want to serve, your "
                "education and work, and 9 short statements. It takes about 10 minutes, and "
                "you can stop and continue later.",
                period=ctx.period.name,
                polling_day=ctx.date(ctx.period.polling_day),
            )
        ]
        preset = registration.preset(ctx)
        if preset:
            names = await ctx.repos.wilayah.names([preset])
            parts.append(
                ctx.t._(
                    "You came from the link of Kelurahan {kelurahan}: it is already chosen "
                    "for you.",
                    kelurahan=names.get(preset, preset),
                )
            )
        return Reply(text="\n\n".join(parts), options=self.menu(ctx))

    async def _help(self, ctx: Ctx) -> Reply:
        lines = [ctx.t._("I can help you register as a KPPS member. Commands:")]
        lines += [
            f"/{c.name} — {ctx.t._(c.description)}" for c in ctx.flows.commands(ctx.actor.role)
        ]
        lines.append("")
        lines.append(
            ctx.t._(
                "Questions about your data or the selection: {contact}.",
                contact=ctx.period.contact,
            )
        )
        text = "\n".join(lines)
        current = ctx.flow
        if current is not None and current.holds and (again := await ctx.resume(text)):
            return again
        return Reply(text=text)

    async def _cancel(self, ctx: Ctx) -> Reply:
        current = ctx.flow
        if current is not None and (reply := await current.cancel(ctx)) is not None:
            return reply
        return Reply(
            text=ctx.t._("You have no registration in progress, so there is nothing to cancel.")
        )

    async def _status(self, ctx: Ctx) -> Reply:
        application = await ctx.application()
        if application is not None:
            names = await ctx.repos.wilayah.names([application.kelurahan_code])
            tps = await ctx.repos.wilayah.tps(application.tps_id) if application.tps_id else None
            text = ctx.t._(
                "Registration number: {number}\nStatus: {status}\nKelurahan: {kelurahan}\n"
                "TPS: {tps}\nSubmitted: {submitted}",
                number=application.reg_number,
                status=ctx.t._(STATUS_NAMES[application.status]),
                kelurahan=names.get(application.kelurahan_code, application.kelurahan_code),
                tps=ctx.t._("TPS {number:03d}", number=tps.number)
                if tps
                else ctx.t._("to be decided by the PPS"),
                submitted=ctx.date(application.submitted_at.astimezone(ctx.period.zone).date()),
            )
            parts = [
                text,
                await documents.status_line(ctx, application),
                ctx.t._("What happens next:") + "\n" + registration.stage_lines(ctx),
            ]
            return Reply(text="\n\n".join(parts))
        progress = registration.progress(ctx)
        if progress is not None:
            done, total = progress
            text = ctx.t._(
                "Your registration is not finished yet: {done} of {total} questions answered. "
                "Registration closes on {close}. Let's continue:",
                done=done,
                total=total,
                close=ctx.date(ctx.period.registration_close),
            )
            again = await ctx.resume(text)
            if again is not None:
                return again
        return Reply(
            text=ctx.t._("You have not registered yet. Send /daftar to register."),
            options=[Option("/daftar", ctx.t.C_("button", "Register now"))],
        )

    async def _set_language(self, ctx: Ctx, code: str) -> Reply:
        if code not in LANGUAGES or code not in ctx.i18n.locales:
            return Reply(notice=ctx.t._("That language is not available."))
        ctx.conv.locale = code
        ctx.t = ctx.i18n.get(code)
        text = ctx.t._("Language changed to {language}.", language=LANGUAGES[code])
        current = ctx.flow
        if current is not None and current.holds:
            again = await ctx.resume(text, chosen=LANGUAGES[code])
            if again is not None:
                return again
        return Reply(text=text, chosen=LANGUAGES[code])


FLOW = HomeFlow()
