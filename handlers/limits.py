"""Limits that protect people's data from being probed through the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.errors import InvalidAnswer
from handlers.i18n import N_
from storage.repositories import Counters

TOO_MANY_NIKS = N_(
    "You have tried several different NIKs in a short time. To protect everyone's data, "
    "please wait a while before trying another NIK. If you need help, please contact "
    "{contact}."
)


@dataclass(frozen=True)
class NikTries:
    """How many different NIKs one chat (and one person, across channels) may try at the NIK
    step per hour and per day: otherwise the step answers "already registered" for any NIK
    typed, an oracle of who applied. The NIKs tried are not stored, only counted."""

    per_hour: int = 5
    per_day: int = 10

    async def check(
        self, counters: Counters, owners: list[str], now: datetime, *, contact: str
    ) -> None:
        """Count one try for each owner (e.g. "p<person id>": all of a person's chats);
        InvalidAnswer when any of them is over a limit. The first try of a new window drops
        the owner's counters of the windows that have passed."""
        hour, day = now.strftime("%Y%m%d%H"), now.strftime("%Y%m%d")
        over = False
        for owner in owners:
            for window, bucket, limit in (("h", hour, self.per_hour), ("d", day, self.per_day)):
                prefix = f"nik-tries:{owner}:{window}"
                count = await counters.hit(prefix + bucket)
                if count == 1:
                    await counters.drop_before(prefix, prefix + bucket)
                over |= count > limit
        if over:
            raise InvalidAnswer(TOO_MANY_NIKS, contact=contact)
