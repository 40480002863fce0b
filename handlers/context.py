"""What a flow sees while handling one incoming message: the actor, the conversation, the
repositories of this unit of work, and a few services of the engine (the current flow, its
question asked again, the FAQ for a question typed mid-flow)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from babel.dates import format_date

from handlers.errors import UserFacingError
from handlers.faq import KnowledgeStore
from handlers.i18n import I18n, Translator
from handlers.limits import NikTries
from handlers.messages import Incoming, Option, Reply
from handlers.period import Period
from handlers.rules.selection import OfficerPolicy
from storage.domain import Actor, ApplicationInfo, ConversationState, Role
from storage.files import FileStore
from storage.repositories import Repos

_UNSET: Any = object()


class FlowView(Protocol):
    """What a flow shows of itself to another flow (``handlers.flows.base.Flow``)."""

    @property
    def name(self) -> str: ...
    @property
    def holds(self) -> bool: ...

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply: ...
    async def cancel(self, ctx: Ctx) -> Reply: ...
    async def prompt(self, ctx: Ctx) -> Reply | None: ...
    def leave(self, ctx: Ctx) -> None: ...


class CommandView(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...


class FlowsView(Protocol):
    """What flows see of the registry (``handlers.flows.base.Registry``)."""

    @property
    def home(self) -> FlowView: ...
    def get(self, name: str | None) -> FlowView | None: ...
    def commands(self, role: Role) -> Sequence[CommandView]: ...


class DeliveryNotes(Protocol):
    async def __call__(
        self, repos: Repos, t: Translator, recipients: Sequence[tuple[int, str]]
    ) -> list[str]: ...


@dataclass
class Ctx:
    repos: Repos
    actor: Actor
    conv: ConversationState
    t: Translator
    i18n: I18n
    period: Period
    now: datetime
    incoming: Incoming
    flows: FlowsView
    files: FileStore | None = None
    knowledge: KnowledgeStore | None = None
    nik_tries: NikTries = field(default_factory=NikTries)
    policy: OfficerPolicy = field(default_factory=OfficerPolicy)
    # What the channels say about sending to these (person, channel) recipients, beyond the
    # rate (a platform's daily limits), as sentences for a broadcast's preview. Set by the
    # bot's wiring: handlers know no channel.
    delivery_notes: DeliveryNotes | None = None
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # The option of the last question that was pressed or typed (None for other input).
    choice: Option | None = None
    # Set by the engine: a text that may be a question typed in the middle of a flow gets
    # its answer, ending with a note that the flow goes on (None when it is not a question
    # the bot can answer confidently). The caller puts it before the flow's question.
    question_hook: Callable[[str], str | None] | None = None
    _application: Any = field(default=_UNSET, repr=False)

    def answer_question(self, text: str) -> str | None:
        return self.question_hook(text) if self.question_hook and text else None

    @property
    def flow(self) -> FlowView | None:
        """The current flow (None at the menu)."""
        return self.flows.get(self.conv.flow)

    def slot(self, flow: str) -> dict[str, Any]:
        """The state a flow keeps between messages (encrypted at rest)."""
        return self.conv.data.setdefault(flow, {})

    def enter(self, flow: FlowView) -> None:
        """Make ``flow`` the current flow, leaving the one before."""
        current = self.flow
        if current is not None and current is not flow:
            current.leave(self)
        self.conv.flow = flow.name

    async def resume(self, *parts: str, chosen: str | None = None) -> Reply | None:
        """The current flow's question with ``parts`` before it (None outside a flow)."""
        current = self.flow
        prompt = await current.prompt(self) if current is not None else None
        if prompt is None:
            return None
        reply = prompt.prefixed(*parts)
        reply.chosen = chosen or reply.chosen
        return reply

    async def person_id(self) -> int:
        """The actor's stored person (stored now if it was not yet)."""
        self.actor = await self.repos.people.ensure(self.actor)
        self.conv.identity_id = self.actor.identity_id
        assert self.actor.person_id is not None
        return self.actor.person_id

    async def application(self) -> ApplicationInfo | None:
        """The actor's application in this recruitment period (read once per message)."""
        if self._application is _UNSET:
            self._application = await self.repos.applications.of_person(
                self.actor.person_id, self.period.code
            )
        application: ApplicationInfo | None = self._application
        return application

    def forget_application(self) -> None:
        self._application = None

    def set_application(self, application: ApplicationInfo) -> None:
        self._application = application

    def error(self, error: UserFacingError) -> str:
        """A user-facing error in the user's language: the one place they are translated."""
        return self.t._(error.msgid, **error.params)

    @property
    def today(self) -> date:
        return self.period.local_today(self.now)

    def date(self, value: date) -> str:
        """A date in the user's language, e.g. 17 Agustus 1990."""
        return format_date(value, format="long", locale=self.t.locale)
