"""The conversation engine: one transaction per incoming message, state in the database.

``Engine.handle`` claims the delivery (a redelivered update is dropped), resolves the actor
(person, role, scope) and loads the chat's state under a lock, turns typed text that names a
shown option into that option, routes by the flow registry (commands, button namespaces, the
current flow), saves the state and commits — all or nothing. A conflicting concurrent write is
retried; any other error is logged with a short id and the user gets a polite message
carrying that id. The engine knows no flow by name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from handlers import choices
from handlers.context import Ctx, DeliveryNotes
from handlers.errors import UserFacingError
from handlers.faq import KnowledgeStore
from handlers.flows import FLOWS
from handlers.flows.base import Flow, Registry, stale
from handlers.i18n import I18n
from handlers.limits import NikTries
from handlers.messages import Expect, Incoming, Kind, Option, Reply
from handlers.period import Period
from handlers.rules import uploads
from handlers.rules.selection import OfficerPolicy
from storage.crypto import Crypto
from storage.db import Database, Session
from storage.domain import ConversationState, Role
from storage.files import FileStore
from storage.repositories import ConcurrencyConflict, Repos

log = logging.getLogger(__name__)

RETRIES = 5
MAX_TYPED = 1000  # longer text is not matched against options (the flow explains the limit)


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
        flows: Iterable[Flow] | None = None,
        nik_tries: NikTries | None = None,
        policy: OfficerPolicy | None = None,
        delivery_notes: DeliveryNotes | None = None,
    ) -> None:
        self.db = db
        self.crypto = crypto
        self.i18n = i18n
        self.period = period
        self.edition = edition
        self.files = files
        self.knowledge = knowledge
        self.clock = clock
        self.registry = Registry(FLOWS if flows is None else flows)
        self.nik_tries = nik_tries or NikTries()
        self.policy = policy or OfficerPolicy()
        self.delivery_notes = delivery_notes
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def command_menu(
        self, locale: str | None = None, role: Role = Role.APPLICANT
    ) -> list[tuple[str, str]]:
        """(command, description) pairs for a platform's command menu, for one role."""
        t = self.i18n.get(locale)
        return [(c.name, t._(c.description)) for c in self.registry.commands(role)]

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
        """Download and prepare attachments before the transaction, so neither a slow download
        nor decoding a photo or making an album into a PDF holds the database (on SQLite: every
        other chat). ``handlers.rules.uploads.receive`` prepares them off the event loop, one
        photo at a time; files over the largest accepted size or the channel's limit, and the
        parts of an album over the album limit, are not downloaded. Inside the transaction the
        flow only checks the prepared result against what it asked for, and explains a limit."""
        if not incoming.attachments:
            return incoming
        limits = [spec.max_mb * 1024 * 1024 for spec in self.period.documents]
        prepared = await uploads.receive(incoming.attachments, limits=limits)
        return replace(incoming, attachments=prepared)

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
        if not incoming.private:  # nothing is read or stored about a group chat
            return Reply(
                text=self.i18n.get(None)._(
                    "I only handle registrations in a private chat, to protect your data. "
                    "Please send me a direct message."
                )
            )
        return await self.db.run(
            lambda session: self._unit_of_work(session, incoming, after_commit)
        )

    async def _unit_of_work(
        self,
        session: Session,
        incoming: Incoming,
        after_commit: list[Callable[[], Awaitable[None]]],
    ) -> Reply | None:
        repos = Repos(session, self.crypto, self.edition)
        if incoming.update_id is not None and not await repos.deliveries.claim(
            incoming.channel, incoming.update_id
        ):
            log.info("duplicate delivery dropped")
            return None
        actor, conv = await repos.conversations.open(incoming.channel, incoming.chat_id)
        ctx = Ctx(
            repos=repos,
            actor=actor,
            conv=conv,
            t=self.i18n.get(conv.locale),
            i18n=self.i18n,
            period=self.period,
            now=self.clock(),
            incoming=incoming,
            flows=self.registry,
            files=self.files,
            knowledge=self.knowledge,
            nik_tries=self.nik_tries,
            policy=self.policy,
            delivery_notes=self.delivery_notes,
            after_commit=after_commit,
        )
        ctx.question_hook = lambda text: self.registry.side_answer(ctx, text)
        before = _snapshot(conv)
        reply = await self._route(ctx)
        if reply.text:  # a new message: its options are what typed input is matched to
            conv.choices = _remember(reply)
        if not conv.deleted and _snapshot(conv) != before:
            await ctx.person_id()  # the chat's person is stored with its first state
            await repos.conversations.save(conv)
        return reply

    async def _route(self, ctx: Ctx) -> Reply:
        incoming = ctx.incoming
        if incoming.kind is Kind.TEXT:
            incoming = ctx.incoming = self._typed_choice(ctx, incoming)
        try:
            return await self._dispatch(ctx, incoming)
        except UserFacingError as error:  # translated in one place, the question follows
            return await ctx.resume(ctx.error(error)) or Reply(text=ctx.error(error))

    async def _dispatch(self, ctx: Ctx, incoming: Incoming) -> Reply:
        role = ctx.actor.role
        if incoming.kind is Kind.COMMAND:
            return await self.command(ctx, incoming.command, incoming.payload)
        if incoming.kind is Kind.PAGE:
            return await self._page(ctx, incoming)
        if incoming.kind is Kind.BUTTON:
            ctx.choice = ctx.choice or _offered(ctx.conv).get(incoming.button_id)
            if incoming.button_id.startswith("/"):
                name, _, payload = incoming.button_id[1:].partition(" ")
                return await self.command(ctx, name, payload)
            found = self.registry.for_button(incoming.button_id, role)
            if found is None:
                return stale(ctx)
            flow, value = found
            return await flow.button(ctx, value)
        current = self.registry.get(ctx.conv.flow)
        if incoming.attachments and current is None and self.registry.file_taker:
            return await self.registry.file_taker.handle(ctx)
        if incoming.kind is Kind.TEXT and incoming.text and (current is None or not current.holds):
            for flow in self.registry.menu_takers:  # not in the middle of a draft
                if flow.allowed(role) and (reply := await flow.at_menu(ctx, incoming.text)):
                    return reply
        if current is not None:
            return await current.handle(ctx)
        return await self.registry.home.idle(ctx)

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        """A command, also from a menu button; one the actor may not use is unknown."""
        flow = self.registry.for_command(name, ctx.actor.role)
        if flow is None:
            return await self.registry.home.unknown_command(ctx, name)
        return await flow.command(ctx, name, payload)

    async def _page(self, ctx: Ctx, incoming: Incoming) -> Reply:
        """Another page of the current question's list (the channel lays it out)."""
        reply = await ctx.resume()
        if reply is None or reply.signature() != incoming.button_id:
            return stale(ctx)
        reply.page = max(1, incoming.page)
        reply.replace = True
        return reply

    def _typed_choice(self, ctx: Ctx, incoming: Incoming) -> Incoming:
        """Typed text that names a shown option becomes that option, on every channel."""
        if len(incoming.text) > MAX_TYPED:
            return incoming
        stored = ctx.conv.choices
        if stored is None and ctx.conv.flow is None:  # nothing stored yet: the menu
            stored = _remember(Reply(options=self.registry.home.menu(ctx)))
        if not stored:
            return incoming
        options = [Option(o[0], o[1], means=o[2]) for o in stored.get("o", [])]
        option = choices.match(ctx.t, incoming.text, options, Expect(stored.get("x", "choice")))
        if option is None:
            return incoming
        ctx.choice = option
        return replace(incoming, kind=Kind.BUTTON, button_id=option.id)


def _remember(reply: Reply) -> dict[str, object] | None:
    if not reply.options:
        return None
    return {"x": reply.expects.value, "o": [[o.id, o.label, o.means] for o in reply.options]}


def _offered(conv: ConversationState) -> dict[str, Option]:
    return {o[0]: Option(o[0], o[1], means=o[2]) for o in (conv.choices or {}).get("o", [])}


def _snapshot(conv: ConversationState) -> tuple[object, ...]:
    return (
        conv.locale,
        conv.flow,
        conv.step,
        json.dumps(conv.data, sort_keys=True),
        json.dumps(conv.choices, sort_keys=True),
    )
