"""The applicant's rights over their data (UU 27/2022): see it (/datasaya), delete it (/hapus).

Stateless: deleting needs one press of the confirmation button, which carries its meaning.
"""

from __future__ import annotations

from handlers.context import Ctx
from handlers.flows import documents, registration
from handlers.messages import Button, Reply


async def my_data(ctx: Ctx) -> Reply:
    """Everything stored about this chat, in the applicant's language."""
    parts: list[str] = []
    if ctx.conv.application_id is not None:
        application = await ctx.store.get_application(ctx.conv.application_id)
        if application is not None:
            nik = await ctx.store.application_nik(application.id) or ""
            answers = {**application.data, registration.Step.NIK.value: nik}
            parts.append(
                ctx.t._(
                    "Your application {number}, submitted on {date}:",
                    number=application.reg_number,
                    date=ctx.date(application.submitted_at.astimezone(ctx.period.zone).date()),
                )
                + "\n"
                + await registration.answers_text(ctx, answers)
            )
            docs = await ctx.store.documents_of(application.id)
            names = {spec.kind.value: spec.name for spec in ctx.period.documents}
            if docs:
                lines = [
                    f"• {names.get(d.kind, d.kind)} ({d.mime}, {d.size // 1024} KB, "
                    f"{ctx.date(d.uploaded_at.astimezone(ctx.period.zone).date())})"
                    for d in docs
                ]
                parts.append(ctx.t._("Documents you sent:") + "\n" + "\n".join(lines))
    elif ctx.conv.flow == registration.FLOW and ctx.answers:
        parts.append(
            ctx.t._("Your registration draft:") + "\n" + await registration.answers_text(ctx)
        )
    consents = await ctx.store.consents_of(ctx.conv.channel, ctx.conv.chat_id)
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


def ask_delete(ctx: Ctx) -> Reply:
    return Reply(
        text=ctx.t._(
            "Do you want us to delete all your data: your registration (or draft), your "
            "documents and your consent? This cannot be undone; a submitted registration is "
            "withdrawn."
        ),
        buttons=[
            [
                Button("privacy:delete", ctx.t.C_("button", "Yes, delete my data")),
                Button("privacy:keep", ctx.t.C_("button", "No, keep it")),
            ]
        ],
    )


async def on_button(ctx: Ctx, value: str) -> Reply:
    if value != "delete":
        return Reply(text=ctx.t._("Nothing was deleted."), chosen=ctx.t.C_("button", "No, keep it"))
    if ctx.conv.application_id is not None:
        orphaned = await ctx.store.delete_application(ctx.conv.application_id)
        files = ctx.files
        if files is not None:
            for key in orphaned:

                async def drop(key: str = key) -> None:
                    await files.delete(key)

                ctx.after_commit.append(drop)
    documents.forget(ctx)
    await ctx.store.delete_consents(ctx.conv.channel, ctx.conv.chat_id)
    await ctx.store.delete_conversation(ctx.conv)
    ctx.conv.flow = ctx.conv.step = None
    ctx.conv.application_id = None
    ctx.conv.data = {"deleted": True}
    return Reply(
        text=ctx.t._(
            "All your data has been deleted. If you want to register again, send /daftar."
        ),
        chosen=ctx.t.C_("button", "Yes, delete my data"),
    )
