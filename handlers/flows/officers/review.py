"""/pendaftar: the officer's review of the applicants of their area (penelitian administrasi).

A list by filter (to review, documents incomplete, flagged, MS, TMS, all, or one TPS), paged
by the channel; one applicant's card (data with the NIK masked but its last four digits,
flags, documents, decision, the public's responses); the documents sent as files; decisions:
accept a document, ask for a correction with a reason (the applicant is told through the
outbox, and reminded after 48 hours if the document was not replaced), Memenuhi Syarat, or
Tidak Memenuhi Syarat with a reason, and a response of the public recorded.

Every button carries the application's version the officer saw. A decision made on an older
version changes nothing: the officer is told what changed and sees the card as it is now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers.context import Ctx
from handlers.flows.base import Command, Flow, stale
from handlers.flows.documents import fix_reminder_key, progress, required
from handlers.flows.officers import common
from handlers.flows.officers.common import (
    FLAG_LABELS,
    NOT_FOUND,
    READ_ONLY,
    application,
    audit,
    may_decide,
    state_of,
    status_label,
    tps_label,
)
from handlers.i18n import N_
from handlers.messages import Expect, Option, OutgoingFile, Reply
from handlers.period import Stage
from handlers.rules.eligibility import age_check
from storage.domain import (
    OFFICERS,
    ApplicationInfo,
    ApplicationStatus,
    DocumentInfo,
    DocumentStatus,
    OutgoingMessage,
)

NAME = "review"
LIST_LIMIT = 200
REASON_MAX = 300
FIX_REMINDER_AFTER = timedelta(hours=48)

FILTERS = {
    "todo": N_("To review"),
    "docs": N_("Docs incomplete"),
    "flags": N_("Flagged"),
    "ms": N_("MS"),
    "tms": N_("TMS"),
    "all": N_("All"),
}
CORRECTION = N_(
    "The PPS asks you to send your {document} again: {reason}. Send /dokumen and choose "
    "{document} to replace it."
)
CORRECTION_REMINDER = N_(
    "Reminder: the PPS is still waiting for a corrected {document} ({reason}). Send /dokumen "
    "and choose {document} to replace it."
)
CONFLICT = N_(
    "Another officer changed this applicant after you opened the card, so nothing was "
    "changed now:\n{changes}\n\nThis is the card as it is now."
)
ACTION_LABELS = {
    "qualified": N_("marked MS"),
    "not_qualified": N_("marked TMS"),
    "document_accepted": N_("accepted a document"),
    "document_needs_fix": N_("asked for a correction"),
    "seat": N_("changed the seat"),
    "response": N_("recorded a public response"),
    "left": N_("marked as leaving"),
}


class ReviewFlow(Flow):
    name = NAME
    namespace = "rev"
    commands = (Command("pendaftar", N_("Review the applicants of your area"), rank=20),)
    roles = OFFICERS

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        ctx.enter(self)
        slot = ctx.slot(NAME)
        slot.clear()
        area = payload.strip() or ctx.actor.scope or ""
        if not common.in_scope(ctx, area):
            area = ctx.actor.scope or ""
            note = ctx.t._(NOT_FOUND)
        else:
            note = ""
        slot["area"] = area
        return (await self._filters(ctx)).prefixed(note)

    async def at_menu(self, ctx: Ctx, text: str) -> Reply | None:
        found = await self._by_number(ctx, text)
        if found is None:
            return None
        ctx.enter(self)
        ctx.slot(NAME)["area"] = ctx.actor.scope or ""
        return await self._card(ctx, found)

    async def prompt(self, ctx: Ctx) -> Reply | None:
        slot = ctx.slot(NAME)
        step = ctx.conv.step
        if step == "reason":
            return self._ask_reason(ctx, slot.get("action", ""))
        if step == "card" and slot.get("id"):
            found = await application(ctx, slot["id"])
            if found is not None:
                return await self._card(ctx, found)
        if step == "list":
            return await self._list(ctx)
        return await self._filters(ctx)

    async def handle(self, ctx: Ctx) -> Reply:
        text = ctx.incoming.text.strip()
        if ctx.conv.step == "reason" and text:
            return await self._reason_given(ctx, text)
        if text:
            found = await self._by_number(ctx, text)
            if found is not None:
                return await self._card(ctx, found)
            if text.lower().startswith("tps"):
                return await self._list(ctx, tps_number=text[3:].strip())
        reply = await self.prompt(ctx)
        assert reply is not None
        return reply.prefixed(
            ctx.t._("Please choose with the buttons, or type a registration number.")
        )

    async def button(self, ctx: Ctx, value: str) -> Reply:
        if ctx.conv.flow != NAME:
            ctx.enter(self)
            ctx.slot(NAME).setdefault("area", ctx.actor.scope or "")
        action, _, rest = value.partition(":")
        args = rest.split(":") if rest else []
        if action == "list" and args and args[0] in FILTERS:
            ctx.slot(NAME)["filter"] = args[0]
            ctx.slot(NAME).pop("tps", None)
            return await self._list(ctx)
        if action == "filters":
            return await self._filters(ctx)
        if action == "card" and args:
            found = await application(ctx, args[0])
            return await self._card(ctx, found) if found else self._not_found(ctx)
        if action == "docs" and args:
            found = await application(ctx, args[0])
            return await self._documents(ctx, found) if found else self._not_found(ctx)
        if action == "doc" and args:
            pair = await common.document(ctx, args[0])
            return await self._document(ctx, *pair) if pair else self._not_found(ctx)
        if action in {"ms", "tms", "dok", "dfix", "resp"} and len(args) == 2:
            return await self._decide(ctx, action, args[0], args[1])
        return stale(ctx)

    # screens

    async def _filters(self, ctx: Ctx) -> Reply:
        ctx.conv.step = "filters"
        area = ctx.slot(NAME).get("area") or ctx.actor.scope or ""
        every = await ctx.repos.decisions.in_area(ctx.period.code, area)
        counts = {key: len(await self._filtered(ctx, every, key)) for key in FILTERS}
        text = ctx.t._(
            "Applicants in {area}: {all}. To review: {todo}; documents incomplete: {docs}; "
            "flagged: {flags}; MS: {ms}; TMS: {tms}.\n\nChoose a list, or type a registration "
            "number (e.g. KPPS-7471-000123) or a TPS (e.g. TPS 3).",
            area=await common.area_name(ctx, area),
            **counts,
        )
        options = [
            Option(f"rev:list:{key}", f"{ctx.t._(label)} ({counts[key]})")
            for key, label in FILTERS.items()
        ]
        return Reply(text=text, options=options)

    async def _filtered(
        self, ctx: Ctx, applications: list[ApplicationInfo], key: str
    ) -> list[ApplicationInfo]:
        if key == "all":
            return applications
        if key == "todo":
            return [a for a in applications if a.status is ApplicationStatus.SUBMITTED]
        if key == "ms":
            return [a for a in applications if a.status is ApplicationStatus.QUALIFIED]
        if key == "tms":
            return [a for a in applications if a.status is ApplicationStatus.NOT_QUALIFIED]
        if key == "flags":
            return [a for a in applications if a.flags]
        docs = await ctx.repos.documents.of_many([a.id for a in applications])
        return [
            a for a in applications if _incomplete(progress(ctx.period.documents, a, docs[a.id]))
        ]

    async def _list(self, ctx: Ctx, tps_number: str | None = None) -> Reply:
        slot = ctx.slot(NAME)
        area = slot.get("area") or ctx.actor.scope or ""
        every = await ctx.repos.decisions.in_area(ctx.period.code, area)
        if tps_number is not None:
            wanted = [
                t.id
                for code in {a.kelurahan_code for a in every}
                for t in await ctx.repos.wilayah.tps_of(code)
                if tps_number.isdigit() and t.number == int(tps_number)
            ]
            slot["tps"] = wanted
            slot["filter"] = "all"
        key = slot.get("filter", "all")
        chosen = await self._filtered(ctx, every, key)
        if slot.get("tps") is not None:
            chosen = [a for a in chosen if a.tps_id in slot["tps"]]
        ctx.conv.step = "list"
        options = []
        for a in chosen[:LIST_LIMIT]:
            number = a.reg_number.rsplit("-", 1)[-1]
            tps = await tps_label(ctx, a.tps_id)  # remembered within the unit of work
            options.append(
                Option(
                    f"rev:card:{a.id}",
                    f"{number} {a.details.name}",
                    description=f"{tps} · {status_label(ctx, a)} · {a.details.name}",
                )
            )
        options.append(Option("rev:filters", ctx.t.C_("button", "Other list")))
        text = ctx.t._("{n} applicants. Choose one to open the card:", n=len(chosen))
        if len(chosen) > LIST_LIMIT:
            text += "\n" + ctx.t._(
                "Only the first {limit} are shown: type a registration number or a TPS.",
                limit=LIST_LIMIT,
            )
        return Reply(text=text, options=options, long=True)

    async def _card(self, ctx: Ctx, a: ApplicationInfo, *, note: str = "") -> Reply:
        ctx.enter(self)
        ctx.conv.step = "card"
        ctx.slot(NAME)["id"] = a.id
        d = a.details
        nik = await ctx.repos.applications.nik(a.id)
        docs = await ctx.repos.documents.of(a.id)
        done, total = progress(ctx.period.documents, a, docs)
        age = age_check(d.birth_date, ctx.period)
        flags = list(a.flags)
        if nik and nik[:4] != ctx.period.region_code.replace(".", ""):
            flags.append("nik_outside_kabkota")
        has = {doc.kind for doc in docs}
        if "needs_superior_permission" in flags and "surat_izin_atasan" not in has:
            flags.append("permission_letter_missing")
        region = await common.area_name(ctx, a.kelurahan_code)
        lines = [
            f"{a.reg_number} — {d.name}",
            ctx.t._("NIK: {nik}", nik=common.mask_nik(nik)),
            ctx.t._(
                "Born: {place}, {date} ({age} years on polling day)",
                place=d.birth_place or "–",
                date=ctx.date(d.birth_date),
                age=age.years,
            ),
            ctx.t._(
                "Address: {address}, RT/RW {rt_rw}, {area}",
                address=d.address,
                rt_rw=d.rt_rw,
                area=region,
            ),
            ctx.t._("TPS: {tps}", tps=await tps_label(ctx, a.tps_id)),
            ctx.t._("Phone: {phone}", phone=d.phone),
            ctx.t._(
                "Education: {education}; occupation: {occupation}; earlier terms as KPPS: {n}",
                education=d.education,
                occupation=d.occupation,
                n=d.prior_service,
            ),
            ctx.t._("Documents: {done} of {total} required in", done=done, total=total),
            ctx.t._("Decision: {status}", status=status_label(ctx, a)),
        ]
        if a.status is ApplicationStatus.NOT_QUALIFIED:
            reason = await ctx.repos.decisions.last_reason(a.id, a.status)
            lines.append(ctx.t._("Reason: {reason}", reason=reason or "–"))
        if flags:
            lines.append(ctx.t._("Points to check:"))
            lines += [f"⚠️ {ctx.t._(FLAG_LABELS.get(f, f))}" for f in flags]
        responses = await ctx.repos.decisions.responses(a.id)
        if responses:
            lines.append(ctx.t._("Responses of the public:"))
            lines += [f"💬 {ctx.date(r.at.date())}: {r.text}" for r in responses]
        v = a.version
        options = [Option(f"rev:docs:{a.id}", ctx.t.C_("button", "Documents"))]
        if may_decide(ctx):
            options += [
                Option(f"rev:ms:{a.id}:{v}", ctx.t.C_("button", "Mark MS")),
                Option(f"rev:tms:{a.id}:{v}", ctx.t.C_("button", "Mark TMS")),
                Option(f"rev:resp:{a.id}:{v}", ctx.t.C_("button", "Public response")),
            ]
        options.append(Option("rev:filters", ctx.t.C_("button", "Back to lists")))
        return Reply(text="\n".join(lines), options=options).prefixed(note)

    async def _documents(self, ctx: Ctx, a: ApplicationInfo) -> Reply:
        ctx.conv.step = "card"
        docs = {doc.kind: doc for doc in await ctx.repos.documents.of(a.id)}
        lines = [ctx.t._("Documents of {number}:", number=a.reg_number)]
        options = []
        for spec in ctx.period.documents:
            doc = docs.get(spec.kind)
            if doc is None:
                if required(spec, a):
                    lines.append(f"▫️ {spec.name} — {ctx.t._('not sent yet')}")
                continue
            lines.append(f"{_ICONS[doc.status]} {spec.name} — {_doc_status(ctx, doc)}")
            options.append(Option(f"rev:doc:{doc.id}", spec.short))
        options.append(Option(f"rev:card:{a.id}", ctx.t.C_("button", "Back to card")))
        return Reply(text="\n".join(lines), options=options)

    async def _document(self, ctx: Ctx, a: ApplicationInfo, doc: DocumentInfo) -> Reply:
        """The file itself, with the decisions on it."""
        spec = next((s for s in ctx.period.documents if s.kind == doc.kind), None)
        name = spec.name if spec else doc.kind
        files = []
        if ctx.files is not None:
            data = await ctx.files.get(doc.file_key)
            extension = "pdf" if doc.mime == "application/pdf" else doc.mime.rsplit("/", 1)[-1]
            files.append(
                OutgoingFile(
                    name=f"{a.reg_number}-{doc.kind}.{extension}",
                    data=data,
                    caption=f"{a.reg_number} · {name}",
                    mime=doc.mime,
                )
            )
        text = ctx.t._(
            "{document} of {number}: {status}",
            document=name,
            number=a.reg_number,
            status=_doc_status(ctx, doc),
        )
        options = []
        if may_decide(ctx):
            options += [
                Option(f"rev:dok:{doc.id}:{a.version}", ctx.t.C_("button", "Accept")),
                Option(f"rev:dfix:{doc.id}:{a.version}", ctx.t.C_("button", "Needs correction")),
            ]
        options.append(Option(f"rev:docs:{a.id}", ctx.t.C_("button", "Back to documents")))
        return Reply(text=text, options=options, files=files)

    def _not_found(self, ctx: Ctx) -> Reply:
        return Reply(
            text=ctx.t._(NOT_FOUND),
            options=[Option("rev:filters", ctx.t.C_("button", "Back to lists"))],
        )

    async def _by_number(self, ctx: Ctx, text: str) -> ApplicationInfo | None:
        number = text.strip().upper()
        if not number.startswith("KPPS-") or len(number) > 32:
            return None
        found = await ctx.repos.applications.id_by_number(ctx.period.code, number)
        return await application(ctx, found) if found else None

    # decisions

    async def _decide(self, ctx: Ctx, action: str, raw_id: str, raw_version: str) -> Reply:
        if not may_decide(ctx):
            return Reply(text=ctx.t._(READ_ONLY))
        if action in {"dok", "dfix"}:
            pair = await common.document(ctx, raw_id)
            if pair is None:
                return self._not_found(ctx)
            a, doc = pair
        else:
            found = await application(ctx, raw_id)
            if found is None:
                return self._not_found(ctx)
            a, doc = found, None
        if not raw_version.isdigit() or int(raw_version) != a.version:
            return await self._conflict(ctx, a, int(raw_version) if raw_version.isdigit() else 0)
        if action == "resp" and (ended := self._responses_ended(ctx)):
            return await self._card(ctx, a, note=ended)
        if action in {"tms", "dfix", "resp"}:
            ctx.conv.step = "reason"
            slot = ctx.slot(NAME)
            slot.update(action=action, id=a.id, v=a.version, doc=doc.id if doc else None)
            return self._ask_reason(ctx, action)
        if action == "ms":
            return await self._apply(ctx, a, ApplicationStatus.QUALIFIED, None)
        assert doc is not None
        return await self._document_decision(ctx, a, doc, DocumentStatus.ACCEPTED, None)

    def _responses_ended(self, ctx: Ctx) -> str | None:
        """The period's public-response stage is over: responses are no longer recorded."""
        stage = ctx.period.stage(Stage.PUBLIC_RESPONSE)
        if stage is None or ctx.today <= stage.end:
            return None
        return ctx.t._("The period for public responses ended on {date}.", date=ctx.date(stage.end))

    def _ask_reason(self, ctx: Ctx, action: str) -> Reply:
        prompts = {
            "tms": ctx.t._("Why does this applicant not meet the requirements? Type the reason."),
            "dfix": ctx.t._(
                "What must the applicant correct? Type the reason; it is sent to the applicant."
            ),
            "resp": ctx.t._("Type the response of the public about this applicant."),
        }
        back = Option("rev:filters", ctx.t.C_("button", "Cancel"))
        return Reply(text=prompts.get(action, ""), options=[back], expects=Expect.TEXT)

    async def _reason_given(self, ctx: Ctx, text: str) -> Reply:
        slot = ctx.slot(NAME)
        if len(text) > REASON_MAX:
            return self._ask_reason(ctx, slot.get("action", "")).prefixed(
                ctx.t._(
                    "That is {n} characters; please keep it to {max}.", n=len(text), max=REASON_MAX
                )
            )
        found = await application(ctx, slot.get("id", 0))
        if found is None:
            return self._not_found(ctx)
        if found.version != slot.get("v"):
            return await self._conflict(ctx, found, int(slot.get("v") or 0))
        action = slot.get("action")
        if action == "tms":
            return await self._apply(ctx, found, ApplicationStatus.NOT_QUALIFIED, text)
        if action == "resp":
            return await self._response(ctx, found, text)
        pair = await common.document(ctx, str(slot.get("doc")))
        if pair is None:
            return self._not_found(ctx)
        return await self._document_decision(ctx, found, pair[1], DocumentStatus.NEEDS_FIX, text)

    async def _apply(
        self, ctx: Ctx, a: ApplicationInfo, status: ApplicationStatus, reason: str | None
    ) -> Reply:
        if a.status not in {
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.QUALIFIED,
            ApplicationStatus.NOT_QUALIFIED,
        }:
            return await self._card(
                ctx, a, note=ctx.t._("The selection of this applicant is done; use /paw.")
            )
        if not await ctx.repos.decisions.change(
            a, actor_person_id=ctx.actor.person_id, status=status, reason=reason
        ):
            return await self._conflict(ctx, a, a.version)
        after = replace(a, status=status, version=a.version + 1)
        await audit(
            ctx,
            status.value,
            f"application:{a.id}",
            a.kelurahan_code,
            before=state_of(a),
            after=state_of(after) | {"version": after.version},
            reason=reason,
        )
        done = ctx.t._("Saved: {status}.", status=status_label(ctx, after))
        return await self._card(ctx, after, note=done)

    async def _document_decision(
        self,
        ctx: Ctx,
        a: ApplicationInfo,
        doc: DocumentInfo,
        status: DocumentStatus,
        reason: str | None,
    ) -> Reply:
        if not await ctx.repos.decisions.bump(a):
            return await self._conflict(ctx, a, a.version)
        await ctx.repos.documents.set_status(
            doc.id, status, reason, actor_person_id=ctx.actor.person_id
        )
        after = replace(a, version=a.version + 1)
        action = "document_accepted" if status is DocumentStatus.ACCEPTED else "document_needs_fix"
        await audit(
            ctx,
            action,
            f"application:{a.id}",
            a.kelurahan_code,
            before={"document": doc.kind, "status": doc.status.value},
            after={"document": doc.kind, "status": status.value, "version": after.version},
            reason=reason,
        )
        spec = next((s for s in ctx.period.documents if s.kind == doc.kind), None)
        name = spec.name if spec else doc.kind
        if status is DocumentStatus.NEEDS_FIX and a.person_id is not None:
            params = {"document": name, "reason": reason or "–"}
            await ctx.repos.outbox.enqueue(
                person_id=a.person_id,
                channel=await _applicant_channel(ctx, a),
                kind="correction",
                message=OutgoingMessage(CORRECTION, params),
                key=f"correction:{doc.id}:{after.version}",
                now=ctx.now,
                priority=3,
            )
            await ctx.repos.outbox.enqueue(
                person_id=a.person_id,
                channel=await _applicant_channel(ctx, a),
                kind="reminder",
                message=OutgoingMessage(CORRECTION_REMINDER, params),
                key=fix_reminder_key(doc.id),
                now=ctx.now,
                not_before=ctx.now + FIX_REMINDER_AFTER,
                essential=False,
                replace=True,
            )
        elif a.person_id is not None:
            await ctx.repos.outbox.cancel(a.person_id, keys=[fix_reminder_key(doc.id)])
        note = (
            ctx.t._("{document} accepted.", document=name)
            if status is DocumentStatus.ACCEPTED
            else ctx.t._("The applicant is asked to correct the {document}.", document=name)
        )
        return (await self._documents(ctx, after)).prefixed(note)

    async def _response(self, ctx: Ctx, a: ApplicationInfo, text: str) -> Reply:
        if not await ctx.repos.decisions.bump(a):
            return await self._conflict(ctx, a, a.version)
        await ctx.repos.decisions.add_response(a.id, text, by=ctx.actor.person_id, now=ctx.now)
        after = replace(a, version=a.version + 1)
        await audit(
            ctx,
            "response",
            f"application:{a.id}",
            a.kelurahan_code,
            after={"version": after.version},
        )
        return await self._card(ctx, after, note=ctx.t._("The response is recorded."))

    async def _conflict(self, ctx: Ctx, a: ApplicationInfo, seen: int) -> Reply:
        current = await ctx.repos.applications.get(a.id)
        assert current is not None
        entries = await ctx.repos.audit.entries(subject=f"application:{a.id}")
        changes = [
            f"• {e.at.astimezone(ctx.period.zone).strftime('%H.%M')} "
            f"{ctx.t._(ACTION_LABELS.get(e.action, e.action))}"
            + (f" ({e.after['document']})" if e.after and "document" in e.after else "")
            + (f": {e.reason}" if e.reason else "")
            for e in entries
            if int((e.after or {}).get("version", 0)) > seen
        ] or ["• –"]
        ctx.slot(NAME).pop("action", None)
        return await self._card(ctx, current, note=ctx.t._(CONFLICT, changes="\n".join(changes)))


_ICONS = {
    DocumentStatus.PENDING: "⏳",
    DocumentStatus.ACCEPTED: "✅",
    DocumentStatus.NEEDS_FIX: "⚠️",
    DocumentStatus.REJECTED: "❌",
}
_DOC_STATUS = {
    DocumentStatus.PENDING: N_("to check"),
    DocumentStatus.ACCEPTED: N_("accepted"),
    DocumentStatus.NEEDS_FIX: N_("correction asked: {reason}"),
    DocumentStatus.REJECTED: N_("rejected: {reason}"),
}


def _incomplete(progress: tuple[int, int]) -> bool:
    done, total = progress
    return done < total


def _doc_status(ctx: Ctx, doc: DocumentInfo) -> str:
    return ctx.t._(_DOC_STATUS[doc.status], reason=doc.status_reason or "–")


async def _applicant_channel(ctx: Ctx, a: ApplicationInfo) -> str:
    """The channel the applicant applied from."""
    channel = await ctx.repos.decisions.channel_of(a.id)
    return channel or ctx.actor.channel


FLOW = ReviewFlow()
