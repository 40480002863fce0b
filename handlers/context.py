"""What a flow step sees while handling one incoming message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.dates import format_date

from handlers.i18n import Translator
from handlers.messages import Incoming
from handlers.period import Period
from storage.files import FileStore
from storage.repositories import ConversationState, Store


@dataclass
class Ctx:
    store: Store
    conv: ConversationState
    t: Translator
    period: Period
    now: datetime
    incoming: Incoming
    files: FileStore | None = None
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Set by the engine: a text that may be a question typed in the middle of a flow gets
    # its answer, ending with a note that the flow goes on (None when it is not a question
    # the bot can answer confidently). The caller puts it before the flow's question.
    question_hook: Callable[[str], str | None] | None = None

    def answer_question(self, text: str) -> str | None:
        return self.question_hook(text) if self.question_hook and text else None

    @property
    def answers(self) -> dict[str, Any]:
        return self.conv.data.setdefault("a", {})

    @property
    def today(self) -> date:
        return self.period.local_today(self.now)

    def date(self, value: date) -> str:
        """A date in the user's language, e.g. 17 Agustus 1990."""
        return format_date(value, format="long", locale=self.t.locale)
