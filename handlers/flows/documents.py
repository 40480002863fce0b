"""Documents by chat: a checklist, uploads checked by content, generated forms to sign.

States: ``checklist`` (what is in, what is missing, what needs fixing; a button per document)
and ``upload`` (waiting for the file of one document kind). Uploads can come in any order, be
replaced, and the user can stop and come back days later with /dokumen.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from enum import StrEnum

from handlers.context import Ctx
from handlers.errors import InvalidAnswer
from handlers.flows.base import STALE_BUTTON, Command, Flow
from handlers.forms import (
    FormData,
    daftar_riwayat_hidup,
    education_label,
    surat_pendaftaran,
    surat_pernyataan,
)
from handlers.i18n import N_
from handlers.messages import Attachment, Expect, Kind, Option, OutgoingFile, Reply
from handlers.period import DocumentSpec
from handlers.rules import eligibility as rules
from handlers.rules import uploads
from handlers.rules.documents import DEFAULT_RULES, CheckedFile, DocKind, DocumentRule
from storage.domain import (
    DOCUMENT_COUNTS_AS_IN,
    ApplicationInfo,
    DocumentInfo,
)
from storage.domain import DocumentStatus as Status

NAME = "documents"
MB = 1024 * 1024
log = logging.getLogger(__name__)


class Step(StrEnum):
    CHECKLIST = "checklist"
    UPLOAD = "upload"


STATUS_LINES = {
    Status.PENDING: N_("sent, waiting for the PPS check"),
    Status.ACCEPTED: N_("accepted"),
    Status.NEEDS_FIX: N_("needs correction: {reason}"),
    Status.REJECTED: N_("rejected: {reason}"),
}
ICONS = {
    Status.PENDING: "⏳",
    Status.ACCEPTED: "✅",
    Status.NEEDS_FIX: "⚠️",
    Status.REJECTED: "❌",
}


def fix_reminder_key(document_id: int) -> str:
    """The outbox key of the reminder of a document the PPS asked to correct."""
    return f"reminder:docfix:{document_id}"


def required(spec: DocumentSpec, application: ApplicationInfo) -> bool:
    details = application.details
    return rules.document_required(
        spec.required, party=details.party, employment=details.employment
    )


def rule_for(spec: DocumentSpec) -> DocumentRule:
    """The content rule of a kind, with the period's accepted types and size limit."""
    return replace(
        DEFAULT_RULES[DocKind(spec.kind)],
        accept=frozenset(spec.accept),
        max_bytes=spec.max_mb * MB,
    )


def progress(
    specs: list[DocumentSpec], application: ApplicationInfo, docs: list[DocumentInfo]
) -> tuple[int, int]:
    """(required documents that are in, required documents): "lengkap" when equal."""
    current = {d.kind: d for d in docs}
    needed = [spec for spec in specs if required(spec, application)]
    done = sum(
        1
        for spec in needed
        if spec.kind in current and current[spec.kind].status in DOCUMENT_COUNTS_AS_IN
    )
    return done, len(needed)


async def status_line(ctx: Ctx, application: ApplicationInfo) -> str:
    """One line for /status: complete, or how many required documents are in."""
    docs = await ctx.repos.documents.of(application.id)
    done, total = progress(ctx.period.documents, application, docs)
    if done == total:
        return ctx.t._("Documents: complete (lengkap).")
    return ctx.t._(
        "Documents: {done} of {total} required documents are in. Send /dokumen to continue.",
        done=done,
        total=total,
    )


def _kind(ctx: Ctx) -> str | None:
    return ctx.slot(NAME).get("kind")


def _set_kind(ctx: Ctx, kind: str | None) -> None:
    ctx.conv.data[NAME] = {"kind": kind} if kind else {}


def _not_yet(ctx: Ctx) -> Reply:
    return Reply(
        text=ctx.t._("Documents are sent after the registration. Send /daftar to register first.")
    )


async def start(ctx: Ctx, intro: str | None = None) -> Reply:
    """Open the checklist (only once an application was submitted)."""
    application = await ctx.application()
    if application is None:
        return _not_yet(ctx)
    ctx.enter(FLOW)
    ctx.conv.step = Step.CHECKLIST.value
    _set_kind(ctx, None)
    reply = await _checklist(ctx, application)
    if intro:
        reply = reply.prefixed(intro)
    return reply


async def _checklist(ctx: Ctx, application: ApplicationInfo) -> Reply:
    documents = await ctx.repos.documents.of(application.id)
    docs = {d.kind: d for d in documents}
    lines = []
    options = []
    for spec in ctx.period.documents:
        doc = docs.get(spec.kind)
        if doc is None:
            if not required(spec, application):
                continue
            missing = ctx.t._("not sent yet")
            lines.append(f"▫️ {spec.name} — {missing}")
        else:
            text = ctx.t._(STATUS_LINES[doc.status], reason=doc.status_reason or "-")
            lines.append(f"{ICONS[doc.status]} {spec.name} — {text}")
        options.append(Option(f"doc:upload:{spec.kind}", spec.short))
    done, total = progress(ctx.period.documents, application, documents)
    header = (
        ctx.t._("Your documents are complete (lengkap). You can still replace a document.")
        if done == total
        else ctx.t._(
            "Your documents ({done} of {total} required are in). Choose a document to send it "
            "(a photo or a PDF); you can send them in any order and come back later with "
            "/dokumen.",
            done=done,
            total=total,
        )
    )
    options.append(Option("doc:forms", ctx.t.C_("button", "Get the forms")))
    options.append(Option("doc:done", ctx.t.C_("button", "Done for now")))
    return Reply(text=header + "\n\n" + "\n".join(lines), options=options)


def _spec(ctx: Ctx, kind: str | None) -> DocumentSpec | None:
    return next((s for s in ctx.period.documents if s.kind == kind), None)


def _upload_prompt(ctx: Ctx, spec: DocumentSpec) -> Reply:
    kinds = {
        ("image",): N_("a clear photo (JPEG or PNG)"),
        ("pdf",): N_("a PDF file"),
        ("image", "pdf"): N_("a clear photo (JPEG or PNG) or a PDF file"),
    }
    what = ctx.t._(kinds[tuple(sorted(spec.accept))])
    text = ctx.t._(
        "Please send your {document} as {what}, at most {limit} MB. Photograph it flat, in good "
        "light, with all four corners visible. Several photos of one document can be sent "
        "together as an album.",
        document=spec.name,
        what=what,
        limit=spec.max_mb,
    )
    return Reply(
        text=text,
        options=[Option("doc:back", ctx.t.C_("button", "Back to the list"))],
        expects=Expect.TEXT,
    )


UNSUITABLE = {
    Kind.STICKER: N_("a sticker"),
    Kind.VOICE: N_("a voice message"),
    Kind.VIDEO: N_("a video"),
    Kind.LOCATION: N_("a location"),
    Kind.CONTACT: N_("a contact"),
    Kind.OTHER: N_("this kind of message"),
}


class DocumentsFlow(Flow):
    name = NAME
    namespace = "doc"
    commands = (Command("dokumen", N_("Send your documents"), rank=3),)
    takes_files = True

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        current = ctx.flow
        if current is not None and current.holds:
            again = await ctx.resume(
                ctx.t._("Documents are sent after the registration. Let's finish it first.")
            )
            if again is not None:
                return again
        return await start(ctx)

    async def prompt(self, ctx: Ctx, application: ApplicationInfo | None = None) -> Reply:
        application = application or await ctx.application()
        if application is None:
            self.leave(ctx)
            return _not_yet(ctx)
        spec = _spec(ctx, _kind(ctx))
        if ctx.conv.step == Step.UPLOAD and spec is not None:
            return _upload_prompt(ctx, spec)
        ctx.conv.step = Step.CHECKLIST.value
        return await _checklist(ctx, application)

    async def button(self, ctx: Ctx, value: str) -> Reply:
        application = await ctx.application()
        if application is None:
            return _not_yet(ctx)
        if ctx.conv.flow != NAME:  # a button of an earlier checklist
            current = ctx.flow
            if current is not None and current.holds:
                return Reply(notice=ctx.t._(STALE_BUTTON))
            ctx.enter(self)
        return await self._on_button(ctx, application, value)

    async def handle(self, ctx: Ctx) -> Reply:
        incoming = ctx.incoming
        application = await ctx.application()
        if application is None:
            self.leave(ctx)
            return _not_yet(ctx)
        if incoming.attachments:
            ctx.enter(self)
            spec = _spec(ctx, _kind(ctx))
            if ctx.conv.step != Step.UPLOAD or spec is None:
                ctx.conv.step = Step.CHECKLIST.value
                checklist = await _checklist(ctx, application)
                return checklist.prefixed(
                    ctx.t._(
                        "Which document is this? Please choose it in the list first, then send "
                        "the file again."
                    )
                )
            return await _upload(ctx, application, spec, incoming.attachments)
        current = await self.prompt(ctx, application)
        if incoming.kind in UNSUITABLE:
            what = ctx.t._(UNSUITABLE[incoming.kind])
            return current.prefixed(
                ctx.t._(
                    "I cannot use {what} as a document. Please send a photo or a PDF file of "
                    "the document.",
                    what=what,
                )
            )
        if incoming.kind is Kind.TEXT and (faq := ctx.answer_question(incoming.text)):
            return current.prefixed(faq)
        if ctx.conv.step == Step.UPLOAD:
            return current.prefixed(
                ctx.t._(
                    "I am waiting for a file: please send a photo or a PDF (use the paperclip "
                    "icon), or press \u201cBack to the list\u201d."
                )
            )
        return current.prefixed(ctx.t._("Please choose a document below."))

    async def _on_button(self, ctx: Ctx, application: ApplicationInfo, value: str) -> Reply:
        action, _, kind = value.partition(":")
        if action == "upload" and (spec := _spec(ctx, kind)) is not None:
            ctx.conv.step = Step.UPLOAD.value
            _set_kind(ctx, spec.kind)
            reply = _upload_prompt(ctx, spec)
            reply.chosen = spec.short
            return reply
        if action == "back":
            ctx.conv.step = Step.CHECKLIST.value
            _set_kind(ctx, None)
            return await _checklist(ctx, application)
        if action == "forms":
            checklist = await _checklist(ctx, application)
            reply = checklist.prefixed(
                ctx.t._(
                    "Here are your forms, filled in with your data. Print them, sign them (with "
                    "a meterai where the PPS asks for one), then photograph or scan them and "
                    "send them back here."
                )
            )
            failed = ctx.t._(
                "Sorry, your forms could not be made just now. Please press \u201c{button}\u201d "
                "again in a moment.",
                button=ctx.t.C_("button", "Get the forms"),
            )
            await attach_forms(ctx, application, reply, failed=checklist.prefixed(failed).text)
            return reply
        if action == "done":
            self.leave(ctx)
            return Reply(text=await status_line(ctx, application))
        return Reply(notice=ctx.t._(STALE_BUTTON))


FLOW = DocumentsFlow()


async def _check(
    ctx: Ctx, spec: DocumentSpec, attachments: tuple[Attachment, ...]
) -> tuple[bytes, CheckedFile]:
    """The bytes to store and their check. The engine prepared the upload before the unit of
    work (decoded, an album made into one PDF: ``handlers.rules.uploads``); only the cheap checks
    for this document are left here."""
    upload = uploads.of(attachments)
    if upload is None:  # not through Engine.handle (which prepares before the transaction)
        log.warning("an upload was not prepared before the unit of work")
        limits = [other.max_mb * MB for other in ctx.period.documents]
        upload = uploads.of(await uploads.receive(attachments, limits=limits))
        assert upload is not None
    return upload.admit(rule_for(spec), declared_name=attachments[0].name)


async def _upload(
    ctx: Ctx, application: ApplicationInfo, spec: DocumentSpec, attachments: tuple[Attachment, ...]
) -> Reply:
    try:
        data, checked = await _check(ctx, spec, attachments)
    except InvalidAnswer as error:
        return _upload_prompt(ctx, spec).prefixed(ctx.error(error))
    if ctx.files is None:
        raise RuntimeError("no file store configured")
    rule = rule_for(spec)
    stored = await ctx.files.put(data, encrypt=rule.encrypt)
    stored_doc, replaced = await ctx.repos.documents.put(
        application_id=application.id,
        kind=spec.kind,
        file_key=stored.key,
        encrypted=rule.encrypt,
        mime=checked.mime,
        size=len(data),
        width=checked.width,
        height=checked.height,
        pages=checked.pages,
        channel_file_id=attachments[0].file_id,
    )
    await ctx.repos.decisions.touch(application.id)  # an officer's open card is now stale
    if application.person_id is not None:
        await ctx.repos.outbox.cancel(application.person_id, keys=[fix_reminder_key(stored_doc.id)])
    if replaced and not await ctx.repos.documents.file_in_use(replaced):
        files = ctx.files

        async def drop_old() -> None:
            await files.delete(replaced)

        ctx.after_commit.append(drop_old)
    ctx.conv.step = Step.CHECKLIST.value
    _set_kind(ctx, None)
    received = ctx.t._("Thank you, your {document} has been received.", document=spec.name)
    return (await _checklist(ctx, application)).prefixed(received)


async def attach_forms(
    ctx: Ctx, application: ApplicationInfo, reply: Reply, *, failed: str
) -> None:
    """Put the three forms to sign, filled in with the application's data, on ``reply``.

    The data is read now, in the unit of work; the PDFs are made after the commit, in a worker
    thread, so making them never holds the database. If that fails, the reply's text becomes
    ``failed``."""
    form = await _form_data(ctx, application)
    t = ctx.t
    number = application.reg_number

    async def make() -> None:
        try:
            made = await asyncio.to_thread(_render_forms, form)
        except Exception:
            log.exception("the forms could not be made")
            reply.text = failed
            return
        reply.files = [
            OutgoingFile(name=f"{slug}-{number}.pdf", data=pdf, caption=t._(title))
            for title, slug, pdf in made
        ]

    ctx.after_commit.append(make)


async def _form_data(ctx: Ctx, application: ApplicationInfo) -> FormData:
    details = application.details
    nik = await ctx.repos.applications.nik(application.id) or ""
    codes = [application.kelurahan_code, details.kecamatan_code, ctx.period.region_code]
    names = await ctx.repos.wilayah.names([c for c in codes if c])
    tps = await ctx.repos.wilayah.tps(application.tps_id) if application.tps_id else None
    kabkota = names.get(ctx.period.region_code, "")
    return FormData(
        name=details.name,
        nik=nik,
        birth_date=details.birth_date,
        sex=details.sex,
        address=details.address,
        rt_rw=details.rt_rw,
        kelurahan=names.get(application.kelurahan_code, ""),
        kecamatan=names.get(details.kecamatan_code, ""),
        kabkota=kabkota,
        phone=details.phone,
        education=education_label(details.education),
        occupation=details.occupation,
        period_name=ctx.period.name,
        tps_label=f"TPS {tps.number:03d}" if tps else None,
        sign_place=kabkota.removeprefix("Kota ").removeprefix("Kabupaten "),
        sign_date=ctx.today,
        meterai=ctx.period.meterai,
        birth_place=details.birth_place or None,
        ktp_area=details.ktp_area,
        domicile=details.domicile_address,
        prior_service=details.prior_service,
        attachments=tuple(
            spec.kind
            for spec in ctx.period.documents
            if spec.kind != DocKind.SURAT_PENDAFTARAN and required(spec, application)
        ),
    )


def _render_forms(form: FormData) -> list[tuple[str, str, bytes]]:
    """(title msgid, file name stem, PDF) of each form; CPU-bound."""
    return [
        (N_("Registration form (surat pendaftaran)"), "surat-pendaftaran", surat_pendaftaran(form)),
        (
            N_("Curriculum vitae (daftar riwayat hidup)"),
            "daftar-riwayat-hidup",
            daftar_riwayat_hidup(form),
        ),
        (N_("Statement (surat pernyataan)"), "surat-pernyataan", surat_pernyataan(form)),
    ]
