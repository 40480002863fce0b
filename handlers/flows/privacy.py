"""The applicant's rights over their data (UU 27/2022): see it (/datasaya), delete it (/hapus).

Stateless: deleting needs one press of the confirmation option, which carries its meaning.
"""

from __future__ import annotations

from handlers.context import Ctx
from handlers.flows import registration
from handlers.flows.base import Command, Flow
from handlers.i18n import N_
from handlers.messages import Option, Reply


async def forget_person(ctx: Ctx) -> list[str]:
    """Delete everything stored about the actor: application (rows; the returned file keys are
    deleted after commit), documents, consents, conversation, identities and the person."""
    orphaned: list[str] = []
    application = await ctx.application()
    if application is not None:
        orphaned = await ctx.repos.applications.delete(application.id)
        files = ctx.files
        if files is not None:
            for key in orphaned:

                async def drop(key: str = key) -> None:
                    await files.delete(key)

                ctx.after_commit.append(drop)
        ctx.forget_application()
    await ctx.repos.conversations.delete(ctx.conv)
    if ctx.actor.person_id is not None:
        await ctx.repos.people.delete(ctx.actor.person_id)
    ctx.conv.flow = ctx.conv.step = None
    ctx.conv.data = {}
    return orphaned


async def _what_would_be_deleted(ctx: Ctx) -> str:
    """A short mark of what /hapus would delete, carried by its confirmation: a confirmation
    given for a draft does not delete the application submitted after it."""
    application = await ctx.application()
    return f"a{application.id}" if application is not None else "d"


class PrivacyFlow(Flow):
    name = "privacy"
    namespace = "privacy"
    commands = (
        Command("datasaya", N_("See the data we hold about you"), rank=8),
        Command("hapus", N_("Delete your data"), rank=9),
    )

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        if name == "datasaya":
            return await self.my_data(ctx)
        token = await _what_would_be_deleted(ctx)
        return Reply(
            text=ctx.t._(
                "Do you want us to delete all your data: your registration (or draft), your "
                "documents and your consent? This cannot be undone; a submitted registration is "
                "withdrawn."
            ),
            options=[
                Option(
                    f"privacy:delete:{token}",
                    ctx.t.C_("button", "Yes, delete my data"),
                    means="yes",
                ),
                Option("privacy:keep", ctx.t.C_("button", "No, keep it"), means="no"),
            ],
        )

    async def my_data(self, ctx: Ctx) -> Reply:
        """Everything stored about this person, in their language."""
        parts: list[str] = []
        application = await ctx.application()
        if application is not None:
            nik = await ctx.repos.applications.nik(application.id) or ""
            parts.append(
                ctx.t._(
                    "Your application {number}, submitted on {date}:",
                    number=application.reg_number,
                    date=ctx.date(application.submitted_at.astimezone(ctx.period.zone).date()),
                )
                + "\n"
                + await registration.answers_text(
                    ctx, registration.answers_of(ctx, application, nik)
                )
            )
            docs = await ctx.repos.documents.of(application.id)
            names = {spec.kind.value: spec.name for spec in ctx.period.documents}
            if docs:
                lines = [
                    f"• {names.get(d.kind, d.kind)} ({d.mime}, {d.size // 1024} KB, "
                    f"{ctx.date(d.uploaded_at.astimezone(ctx.period.zone).date())})"
                    for d in docs
                ]
                parts.append(ctx.t._("Documents you sent:") + "\n" + "\n".join(lines))
        elif registration.draft_answers(ctx):
            parts.append(
                ctx.t._("Your registration draft:") + "\n" + await registration.answers_text(ctx)
            )
        consents = await ctx.repos.consents.of(ctx.actor.person_id) if ctx.actor.person_id else []
        if consents:
            parts.append(
                ctx.t._(
                    "Consent given for processing your data (text version {version}).",
                    version=consents[-1][1],
                )
            )
        if not parts:
            return Reply(text=ctx.t._("We do not hold any personal data from this chat."))
        parts.append(
            ctx.t._(
                "To correct something, contact {contact}. To delete all of it, send /hapus.",
                contact=ctx.period.contact,
            )
        )
        return Reply(text="\n\n".join(parts))

    async def button(self, ctx: Ctx, value: str) -> Reply:
        action, _, token = value.partition(":")
        if action != "delete":
            kept = ctx.t._("Nothing was deleted.")
            chosen = ctx.t.C_("button", "No, keep it")
            return await ctx.resume(kept, chosen=chosen) or Reply(text=kept, chosen=chosen)
        if token != await _what_would_be_deleted(ctx):  # confirmed before something changed
            return Reply(
                text=ctx.t._(
                    "This confirmation is out of date: your data has changed since (for "
                    "example, your registration was submitted). Nothing was deleted. Send "
                    "/hapus again if you still want to delete it."
                )
            )
        await forget_person(ctx)
        return Reply(
            text=ctx.t._(
                "All your data has been deleted. If you want to register again, send /daftar."
            ),
            chosen=ctx.t.C_("button", "Yes, delete my data"),
            forget=True,
        )


FLOW = PrivacyFlow()
