"""The conversation engine: one transaction per incoming message, state in the database.

``Engine.handle`` claims the delivery (a redelivered update is dropped), loads the chat's
state under a lock, routes global commands and buttons, lets the current flow answer, saves
the state and commits — all or nothing. A conflicting concurrent write is retried; any other
error is logged with a short id and the user gets a polite message carrying that id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from handlers.context import Ctx
from handlers.faq import KnowledgeStore
from handlers.flows import documents, eligibility, faq, privacy, registration
from handlers.i18n import N_, I18n
from handlers.messages import Button, Incoming, Kind, Reply
from handlers.period import Period
from storage.crypto import Crypto
from storage.db import Database
from storage.files import FileStore
from storage.repositories import ConcurrencyConflict, ConversationState, Store

log = logging.getLogger(__name__)

COMMANDS = (
    "start",
    "daftar",
    "status",
    "dokumen",
    "tanya",
    "ceksyarat",
    "ubah",
    "batal",
    "datasaya",
    "hapus",
    "bantuan",
    "bahasa",
)
COMMAND_DESCRIPTIONS = {
    "start": N_("Start and see the menu"),
    "daftar": N_("Register as a KPPS member"),
    "status": N_("Check your registration"),
    "dokumen": N_("Send your documents"),
    "tanya": N_("Ask a question about KPPS"),
    "ceksyarat": N_("Check whether you meet the requirements"),
    "datasaya": N_("See the data we hold about you"),
    "hapus": N_("Delete your data"),
    "ubah": N_("Review and change your answers"),
    "batal": N_("Cancel your registration draft"),
    "bantuan": N_("Help"),
    "bahasa": N_("Change language"),
}
LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
STATUS_NAMES = {
    "submitted": N_("submitted, waiting for the PPS administrative check"),
}
RETRIES = 5


def _now() -> datetime:
    return datetime.now(UTC)


class Engine:
    def __init__(
        self,
        db: Database,
        crypto: Crypto,
        i18n: I18n,
        period: Period,
        *,
        edition: str,
        files: FileStore | None = None,
        knowledge: KnowledgeStore | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.db = db
        self.crypto = crypto
        self.i18n = i18n
        self.period = period
        self.edition = edition
        self.files = files
        self.knowledge = knowledge
        self.clock = clock
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def command_menu(self, locale: str | None = None) -> list[tuple[str, str]]:
        """(command, description) pairs for a platform's command menu."""
        t = self.i18n.get(locale)
        return [(name, t._(COMMAND_DESCRIPTIONS[name])) for name in COMMANDS]

    async def handle(self, incoming: Incoming) -> Reply | None:
        """Answer one incoming message; None if it was a duplicate delivery."""
        key = (incoming.channel, incoming.chat_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        incoming = await self._prefetch(incoming)
        async with lock:
            for attempt in range(RETRIES):
                try:
                    return await self._handle_once(incoming)
                except ConcurrencyConflict:
                    log.info("concurrent update of a conversation, retry %d", attempt + 1)
                    await asyncio.sleep(0.05 * (attempt + 1))
                except Exception:
                    return self._failure(incoming)
            return self._failure(incoming)

    async def _prefetch(self, incoming: Incoming) -> Incoming:
        """Download attachments before the transaction, so a slow download never holds the
        database (on SQLite: every other chat). Files over the largest accepted size or the
        channel's limit are not downloaded; the flow explains the limit."""
        if not incoming.attachments:
            return incoming
        largest = max((spec.max_mb for spec in self.period.documents), default=0) * 1024 * 1024
        prefetched = []
        for attachment in incoming.attachments:
            limit = min(largest, attachment.limit or largest)
            if attachment.size is not None and attachment.size > limit:
                prefetched.append(attachment)
                continue
            try:
                data = await attachment.fetch()
            except Exception:
                log.warning("could not download an attachment", exc_info=True)
                prefetched.append(attachment)
                continue
            prefetched.append(replace(attachment, fetch=_ready(data), size=len(data)))
        return replace(incoming, attachments=tuple(prefetched))

    def _failure(self, incoming: Incoming) -> Reply:
        error_id = secrets.token_hex(4)
        log.exception("error %s while handling a %s message", error_id, incoming.channel)
        t = self.i18n.get(None)
        return Reply(
            text=t._(
                "Sorry, something went wrong on our side (error code {code}). Your earlier "
                "answers are safe. Please try again in a moment.",
                code=error_id,
            )
        )

    async def _handle_once(self, incoming: Incoming) -> Reply | None:
        after_commit: list[Callable[[], Awaitable[None]]] = []
        reply = await self._transaction(incoming, after_commit)
        for action in after_commit:  # e.g. deleting files no longer referenced
            try:
                await action()
            except Exception:
                log.exception("after-commit action failed")
        return reply

    async def _transaction(
        self, incoming: Incoming, after_commit: list[Callable[[], Awaitable[None]]]
    ) -> Reply | None:
        async with self.db.transaction() as session:
            store = Store(session, self.crypto, self.edition)
            if incoming.update_id is not None and not await store.claim_update(
                incoming.channel, incoming.update_id
            ):
                log.info("duplicate delivery dropped")
                return None
            conv = await store.load_conversation(incoming.channel, incoming.chat_id)
            ctx = Ctx(
                store=store,
                conv=conv,
                t=self.i18n.get(conv.locale),
                period=self.period,
                now=self.clock(),
                incoming=incoming,
                files=self.files,
                after_commit=after_commit,
            )
            if self.knowledge is not None:
                knowledge = self.knowledge
                ctx.question_hook = lambda text: faq.interrupt(ctx, knowledge, text)
            before = _snapshot(conv)
            reply = await self._route(ctx)
            deleted = ctx.conv.data.pop("deleted", False)
            if not deleted and _snapshot(ctx.conv) != before:
                await store.save_conversation(ctx.conv)
            return reply

    async def _route(self, ctx: Ctx) -> Reply:
        incoming = ctx.incoming
        if not incoming.private:
            return Reply(
                text=ctx.t._(
                    "I only handle registrations in a private chat, to protect your data. "
                    "Please send me a direct message."
                )
            )
        if incoming.kind is Kind.COMMAND:
            return await self._command(ctx, incoming.command, incoming.payload)
        if incoming.kind is Kind.BUTTON:
            prefix, _, value = incoming.button_id.partition(":")
            if prefix == "lang":
                return await self._set_language(ctx, value)
            if prefix == "menu":
                return await self._command(ctx, value, "")
            if prefix == "privacy":
                return await privacy.on_button(ctx, value)
            if prefix == "faq" and self.knowledge is not None:
                reply = faq.on_button(ctx, self.knowledge, value)
                return await self._resume(ctx, reply) if value.startswith("q:") else reply
            if prefix == "doc" and ctx.conv.flow is None and ctx.conv.application_id:
                ctx.conv.flow = documents.FLOW  # a button of an earlier checklist
        if incoming.attachments and ctx.conv.flow is None:
            if not ctx.conv.application_id:
                return await documents.start(ctx)  # "documents come after registering"
            ctx.conv.flow = documents.FLOW
        if ctx.conv.flow == registration.FLOW:
            return await registration.handle(ctx)
        if ctx.conv.flow == documents.FLOW:
            return await documents.handle(ctx)
        if ctx.conv.flow == eligibility.FLOW:
            return await eligibility.handle(ctx)
        if incoming.kind is Kind.BUTTON:
            return Reply(
                notice=ctx.t._("That button is no longer active. Please use the menu below.")
            )
        if incoming.kind is Kind.TEXT and self.knowledge is not None:
            text = incoming.text.strip()[:1000]
            matcher = self.knowledge.matcher()
            if matcher.is_question(text):
                return faq.ask(ctx, self.knowledge, text)[0]
            match = matcher.match(text, ctx.t.locale)
            if match.confident and match.entry is not None:
                return faq.answer(ctx, match.entry)
        return await self._welcome(ctx, first=False)

    async def _resume(self, ctx: Ctx, reply: Reply) -> Reply:
        """After an answer given in the middle of a flow, ask the flow's question again."""
        current = await self._flow_prompt(ctx)
        if current is None:
            return reply
        return replace(current.prefixed(faq.back_to_flow(ctx, reply.text)), chosen=reply.chosen)

    async def _flow_prompt(self, ctx: Ctx) -> Reply | None:
        if ctx.conv.flow == registration.FLOW and ctx.conv.step:
            return await registration.prompt(ctx)
        if ctx.conv.flow == documents.FLOW:
            return await documents.prompt(ctx)
        if ctx.conv.flow == eligibility.FLOW:
            return await eligibility.prompt(ctx)
        return None

    async def _command(self, ctx: Ctx, command: str, payload: str) -> Reply:
        match command:
            case "start":
                self._leave_side_flows(ctx)
                if payload:
                    await self._preselect(ctx, payload)
                if ctx.conv.flow == registration.FLOW:
                    reply = await registration.prompt(ctx)
                    return _prefixed(ctx.t._("Welcome back! Let's continue where you left."), reply)
                return await self._welcome(ctx, first=True)
            case "daftar":
                if ctx.conv.flow == eligibility.FLOW:
                    eligibility.leave(ctx)
                return await registration.start(ctx)
            case "status":
                return await self._status(ctx)
            case "tanya":
                if self.knowledge is None:
                    return await self._help(ctx)
                if payload:
                    reply, answered = faq.ask(ctx, self.knowledge, payload)
                    # an answer resumes the flow; "did you mean …" keeps its suggestion buttons
                    return await self._resume(ctx, reply) if answered else reply
                return faq.menu(ctx)
            case "ceksyarat":
                if ctx.conv.flow == registration.FLOW and ctx.conv.step:
                    return _prefixed(
                        ctx.t._("You are already registering. Let's continue."),
                        await registration.prompt(ctx),
                    )
                return await eligibility.start(ctx)
            case "dokumen":
                if ctx.conv.flow == registration.FLOW and ctx.conv.step:
                    return _prefixed(
                        ctx.t._(
                            "Documents are sent after the registration. Let's finish it first."
                        ),
                        await registration.prompt(ctx),
                    )
                return await documents.start(ctx)
            case "ubah":
                if ctx.conv.flow == registration.FLOW and ctx.conv.step not in (
                    None,
                    registration.Step.CONSENT,
                ):
                    return await registration.go_to_summary(ctx)
                if ctx.conv.application_id is not None:
                    return Reply(
                        text=ctx.t._(
                            "Your registration has been submitted, so it can no longer be "
                            "changed here. To correct something, please contact {contact}.",
                            contact=self.period.contact,
                        )
                    )
                return Reply(text=ctx.t._("There is nothing to change yet. Send /daftar to begin."))
            case "batal":
                if ctx.conv.flow in (eligibility.FLOW, documents.FLOW):
                    self._leave_side_flows(ctx)
                    return Reply(
                        text=ctx.t._("Stopped. Send /start to see the menu."),
                        buttons=[[Button("menu:start", ctx.t.C_("button", "Menu"))]],
                    )
                confirm = await registration.cancel(ctx)
                if confirm is not None:
                    return confirm
                return Reply(
                    text=ctx.t._(
                        "You have no registration in progress, so there is nothing to cancel."
                    )
                )
            case "datasaya":
                return await privacy.my_data(ctx)
            case "hapus":
                return privacy.ask_delete(ctx)
            case "bantuan":
                return await self._help(ctx)
            case "bahasa":
                return Reply(
                    text=ctx.t._("Choose your language:"),
                    buttons=[[Button(f"lang:{code}", name) for code, name in LANGUAGES.items()]],
                )
            case _:
                return _prefixed(
                    ctx.t._("I do not know the command /{command}.", command=command[:32]),
                    await self._help(ctx),
                )

    @staticmethod
    def _leave_side_flows(ctx: Ctx) -> None:
        """Leave the self-check or the document checklist (a registration draft stays)."""
        if ctx.conv.flow == eligibility.FLOW:
            eligibility.leave(ctx)
        elif ctx.conv.flow == documents.FLOW:
            ctx.conv.flow = ctx.conv.step = None
            ctx.conv.data.pop("doc_kind", None)

    async def _preselect(self, ctx: Ctx, payload: str) -> None:
        """A PPS deep link (?start=7471011005) preselects that kelurahan."""
        digits = "".join(ch for ch in payload if ch.isdigit())[:10]
        if len(digits) != 10:
            return
        code = f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"
        region = await ctx.store.region(code)
        if region is None or not code.startswith(self.period.region_code + "."):
            return
        if ctx.conv.application_id is not None:
            return
        answers = ctx.answers
        if answers.get(registration.Step.KELURAHAN.value) != region.code:
            answers.pop(registration.Step.TPS.value, None)  # a TPS of another kelurahan
        answers[registration.Step.KECAMATAN.value] = region.parent_code
        answers[registration.Step.KELURAHAN.value] = region.code
        ctx.conv.data["preset"] = region.code

    async def _welcome(self, ctx: Ctx, *, first: bool) -> Reply:
        parts = [
            ctx.t._(
                "Welcome to the KPPS registration assistant for {period}.\n\n"
                "KPPS (Kelompok Penyelenggara Pemungutan Suara) are the 7 people who run a "
                "polling station (TPS) on polling day, {polling_day}. They are recruited by the "
                "PPS of each kelurahan from residents around the TPS.\n\n"
                "To register I will ask for your NIK, name, date of birth, phone number, "
                "address, the TPS where you want to serve, your education and work, and 8 "
                "short statements. It takes about 10 minutes, and you can stop and continue "
                "later.",
                period=self.period.name,
                polling_day=ctx.date(self.period.polling_day),
            )
        ]
        preset = ctx.conv.data.get("preset")
        if preset:
            names = await ctx.store.region_names([preset])
            parts.append(
                ctx.t._(
                    "You came from the link of Kelurahan {kelurahan}: it is already chosen "
                    "for you.",
                    kelurahan=names.get(preset, preset),
                )
            )
        if ctx.conv.application_id is not None:
            return await self._status(ctx)
        buttons = [
            [Button("menu:daftar", ctx.t.C_("button", "Register now"))],
            [
                Button("menu:ceksyarat", ctx.t.C_("button", "Check requirements")),
                Button("menu:tanya", ctx.t.C_("button", "Ask a question")),
            ],
            [
                Button("menu:status", ctx.t.C_("button", "My status")),
                Button("menu:bantuan", ctx.t.C_("button", "Help")),
            ],
        ]
        if not first:
            parts.insert(0, ctx.t._("Hello! Choose what you want to do:"))
        return Reply(text="\n\n".join(parts), buttons=buttons)

    async def _help(self, ctx: Ctx) -> Reply:
        lines = [ctx.t._("I can help you register as a KPPS member. Commands:")]
        lines += [
            f"/{name} — {description}" for name, description in self.command_menu(ctx.t.locale)
        ]
        lines.append("")
        lines.append(
            ctx.t._(
                "Questions about your data or the selection: {contact}.",
                contact=self.period.contact,
            )
        )
        reply = Reply(text="\n".join(lines))
        if ctx.conv.flow == registration.FLOW and ctx.conv.step:
            return _prefixed(reply.text, await registration.prompt(ctx))
        return reply

    async def _status(self, ctx: Ctx) -> Reply:
        if ctx.conv.application_id is not None:
            application = await ctx.store.get_application(ctx.conv.application_id)
            if application is not None:
                names = await ctx.store.region_names([application.kelurahan_code])
                tps = await ctx.store.tps(application.tps_id) if application.tps_id else None
                text = ctx.t._(
                    "Registration number: {number}\nStatus: {status}\nKelurahan: {kelurahan}\n"
                    "TPS: {tps}\nSubmitted: {submitted}",
                    number=application.reg_number,
                    status=ctx.t._(STATUS_NAMES.get(application.status, application.status)),
                    kelurahan=names.get(application.kelurahan_code, application.kelurahan_code),
                    tps=ctx.t._("TPS {number:03d}", number=tps.number)
                    if tps
                    else ctx.t._("to be decided by the PPS"),
                    submitted=ctx.date(
                        application.submitted_at.astimezone(self.period.zone).date()
                    ),
                )
                parts = [
                    text,
                    await documents.status_line(ctx, application),
                    ctx.t._("What happens next:") + "\n" + registration.stage_lines(ctx),
                ]
                return Reply(text="\n\n".join(parts))
        if ctx.conv.flow == registration.FLOW and ctx.conv.step:
            answered = sum(1 for step in registration.ORDER if step.value in ctx.answers)
            text = ctx.t._(
                "Your registration is not finished yet: {done} of {total} questions answered. "
                "Registration closes on {close}. Let's continue:",
                done=answered,
                total=len(registration.ORDER),
                close=ctx.date(self.period.registration_close),
            )
            return _prefixed(text, await registration.prompt(ctx))
        return Reply(
            text=ctx.t._("You have not registered yet. Send /daftar to register."),
            buttons=[[Button("menu:daftar", ctx.t.C_("button", "Register now"))]],
        )

    async def _set_language(self, ctx: Ctx, code: str) -> Reply:
        if code not in LANGUAGES or code not in self.i18n.locales:
            return Reply(notice=ctx.t._("That language is not available."))
        ctx.conv.locale = code
        ctx.t = self.i18n.get(code)
        text = ctx.t._("Language changed to {language}.", language=LANGUAGES[code])
        if ctx.conv.flow == registration.FLOW and ctx.conv.step:
            reply = await registration.prompt(ctx)
            return _prefixed(text, reply, chosen=LANGUAGES[code])
        return Reply(text=text, chosen=LANGUAGES[code])


def _ready(data: bytes) -> Callable[[], Awaitable[bytes]]:
    async def fetch() -> bytes:
        return data

    return fetch


def _snapshot(conv: ConversationState) -> tuple[object, ...]:
    return (
        conv.locale,
        conv.flow,
        conv.step,
        json.dumps(conv.data, sort_keys=True),
        conv.application_id,
    )


def _prefixed(text: str, reply: Reply, chosen: str | None = None) -> Reply:
    return replace(reply.prefixed(text), chosen=chosen or reply.chosen)
