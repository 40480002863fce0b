"""What a flow step sees while handling one incoming message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date

from handlers.i18n import Translator
from handlers.messages import Incoming
from handlers.period import Period
from storage.repositories import ConversationState, Store


@dataclass
class Ctx:
    store: Store
    conv: ConversationState
    t: Translator
    period: Period
    now: datetime
    incoming: Incoming

    @property
    def answers(self) -> dict[str, Any]:
        return self.conv.data.setdefault("a", {})

    @property
    def today(self) -> date:
        return self.period.local_today(self.now)

    def date(self, value: date) -> str:
        """A date in the user's language, e.g. 17 Agustus 1990."""
        return format_date(value, format="long", locale=self.t.locale)
