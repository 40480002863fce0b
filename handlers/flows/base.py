"""What a flow is, and the registry the engine routes by.

A flow declares its name, the commands and the button namespace it owns, who may use it, and
answers start (a command), a button of its namespace, a message while it is the current flow,
its current question (prompt), leave and cancel. The engine asks the registry; it knows no
flow by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from handlers.context import Ctx
from handlers.i18n import N_
from handlers.messages import Option, Reply
from storage.domain import Role

EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # a msgid
    rank: int = 100  # position in the command menu and in /bantuan
    menu: bool = True  # listed there at all


class Flow:
    name: ClassVar[str]
    namespace: ClassVar[str]  # its buttons are "<namespace>:…"
    commands: ClassVar[tuple[Command, ...]] = ()
    roles: ClassVar[frozenset[Role]] = EVERYONE
    # A flow that holds a draft keeps its place when another flow is asked for: the other
    # flow says so and the draft's question follows (a registration is not abandoned by
    # /ceksyarat). Other flows are simply left.
    holds: ClassVar[bool] = False
    takes_files: ClassVar[bool] = False  # files sent outside any flow come here

    async def command(self, ctx: Ctx, name: str, payload: str) -> Reply:
        raise NotImplementedError

    async def button(self, ctx: Ctx, value: str) -> Reply:
        """A button of this flow's namespace (``value`` is the id after the namespace)."""
        if ctx.conv.flow == self.name:
            return await self.handle(ctx)
        return stale(ctx)

    async def handle(self, ctx: Ctx) -> Reply:
        """Any message while this is the current flow."""
        raise NotImplementedError

    async def prompt(self, ctx: Ctx) -> Reply | None:
        """The current question, asked again (after a side answer, a language change…)."""
        return None

    def leave(self, ctx: Ctx) -> None:
        """Stop being the current flow; this flow's state is dropped."""
        if ctx.conv.flow == self.name:
            ctx.conv.flow = ctx.conv.step = None
        ctx.conv.data.pop(self.name, None)

    async def cancel(self, ctx: Ctx) -> Reply:
        """/batal while this is the current flow."""
        self.leave(ctx)
        return Reply(
            text=ctx.t._("Stopped. Send /start to see the menu."),
            options=[Option("/start", ctx.t.C_("button", "Menu"))],
        )

    def side_answer(self, ctx: Ctx, text: str) -> str | None:
        """An answer to ``text`` typed in the middle of another flow (which then goes on),
        or None. Only a flow that answers questions overrides this."""
        return None

    async def at_menu(self, ctx: Ctx, text: str) -> Reply | None:
        """Typed text this flow recognises wherever it is typed, except in the middle of a
        draft (a flow that ``holds``): an officer's registration number, "hadir" after a
        schedule. None otherwise. Asked before the current flow, for allowed roles only;
        cheap checks first, since it is asked for every such text."""
        return None

    def allowed(self, role: Role) -> bool:
        return role in self.roles


class Home(Flow):
    """The first flow of the registry: what answers outside every flow."""

    async def idle(self, ctx: Ctx) -> Reply:
        """A message that no flow holds (text at the menu)."""
        raise NotImplementedError

    async def unknown_command(self, ctx: Ctx, name: str) -> Reply:
        """A command nobody owns, or one this actor may not use (no hint that it exists)."""
        raise NotImplementedError

    def menu(self, ctx: Ctx) -> list[Option]:
        """The options of the menu: what typed input is matched to before anything is
        stored about the chat."""
        raise NotImplementedError


def stale(ctx: Ctx) -> Reply:
    return Reply(notice=ctx.t._("That button is no longer active. Please use the menu below."))


STALE_BUTTON = N_("That button belongs to an earlier question.")


class Registry:
    """The flows of the bot, in menu order; checks that nothing is owned twice."""

    def __init__(self, flows: Iterable[Flow]) -> None:
        self.flows = list(flows)
        if not self.flows or not isinstance(self.flows[0], Home):
            raise ValueError("the first flow must be the home flow")
        self.home: Home = self.flows[0]
        self._by_name: dict[str, Flow] = {}
        self._by_command: dict[str, tuple[Flow, Command]] = {}
        self._by_namespace: dict[str, Flow] = {}
        for flow in self.flows:
            for index, key in ((self._by_name, flow.name), (self._by_namespace, flow.namespace)):
                if key in index:
                    raise ValueError(f"{key!r} is owned by two flows")
                index[key] = flow
            for command in flow.commands:
                if command.name in self._by_command:
                    raise ValueError(f"/{command.name} is owned by two flows")
                self._by_command[command.name] = (flow, command)
        takers = [flow for flow in self.flows if flow.takes_files]
        self.file_taker = takers[0] if takers else None
        self.answerers = [f for f in self.flows if type(f).side_answer is not Flow.side_answer]
        self.menu_takers = [f for f in self.flows if type(f).at_menu is not Flow.at_menu]

    def side_answer(self, ctx: Ctx, text: str) -> str | None:
        for flow in self.answerers:
            answer = flow.side_answer(ctx, text)
            if answer is not None:
                return answer
        return None

    def get(self, name: str | None) -> Flow | None:
        return self._by_name.get(name) if name else None

    def for_command(self, name: str, role: Role) -> Flow | None:
        found = self._by_command.get(name)
        return found[0] if found and found[0].allowed(role) else None

    def for_button(self, button_id: str, role: Role) -> tuple[Flow, str] | None:
        namespace, _, value = button_id.partition(":")
        flow = self._by_namespace.get(namespace)
        return (flow, value) if flow and flow.allowed(role) else None

    def commands(self, role: Role) -> list[Command]:
        """The commands this role may use, for menus and help, in flow order."""
        listed = [
            command
            for flow in self.flows
            if flow.allowed(role)
            for command in flow.commands
            if command.menu
        ]
        return sorted(listed, key=lambda command: command.rank)
