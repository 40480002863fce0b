"""A messaging tier: how many different people a bot may start a conversation with (outside
their reply window) in a rolling 24 hours — WhatsApp's messaging limit (250, 2,000, 10,000,
100,000 or unlimited unique people per business portfolio).

By design, not by retrying: the limit is ``limit`` slots, each held by one person for 24 hours
after the last template sent to them. A person who holds a slot is messaged again at no cost.
A new person takes the slot that frees first; when none is free now, the person is *planned*
into that slot (it is theirs from the time it frees) and the sender reschedules the message to
that time, so a broadcast larger than the tier is spread over the days it needs instead of
being tried again and again. A holder whose slot is promised so is counted as new when
messaged again before it frees (conservative). A planned message sent late holds its slot
that much longer (the sender claims due rows within a second or so). The slots are loaded
from the outbox rows sent as templates in the last 24 hours (``Outbox.template_contacts``)
when the sender starts, and kept in memory by the one sender of the bot after that.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.channels.whatsapp import CHANNEL as WHATSAPP
from bot.channels.whatsapp import WINDOW_MARGIN
from bot.settings import Settings
from handlers.context import DeliveryNotes
from handlers.i18n import N_, Translator
from storage.repositories import Repos

WINDOW = timedelta(hours=24)
TIERS = (250, 2_000, 10_000, 100_000)  # Meta's messaging limits below unlimited
FREE = datetime.min.replace(tzinfo=UTC)


class ContactTier:
    def __init__(self, limit: int, window: timedelta = WINDOW) -> None:
        if limit <= 0:
            raise ValueError("a messaging tier is a positive number of people")
        self.limit = limit
        self.window = window
        self.loaded = False
        self._until: dict[int, datetime] = {}  # person → end of the slot they hold
        self._planned: dict[int, datetime] = {}  # person → when their slot becomes theirs
        self._slots: list[tuple[datetime, int]] = []  # (free from, holder or -1), a heap
        self._promised: set[int] = set()  # holders whose slot passes to someone after them

    def load(self, contacts: dict[int, datetime], now: datetime) -> None:
        """The people sent a template in the last 24 hours, with when last."""
        live = {p: at + self.window for p, at in contacts.items() if at + self.window > now}
        # more people than slots (a lower tier, another sender): room frees as the limit's
        # newest contacts still hold theirs
        kept = heapq.nlargest(self.limit, live.items(), key=lambda item: item[1])
        self._until = dict(kept)
        self._planned = {}
        self._promised = set()
        self._slots = [(until, person) for person, until in kept]
        self._slots += [(FREE, -1)] * (self.limit - len(self._slots))
        heapq.heapify(self._slots)
        self.loaded = True

    def admit(self, person: int, now: datetime) -> datetime | None:
        """None: send now (the person holds a slot from now on). Else the time the person's
        slot frees: send then."""
        planned = self._planned.get(person)
        if planned is not None:
            if planned > now:
                return planned
            del self._planned[person]  # their slot from then on
            self._until[person] = max(self._until[person], now + self.window)
            return None
        if person not in self._promised and self._until.get(person, FREE) > now:
            self._until[person] = now + self.window  # holds a slot: no new conversation
            return None
        while True:
            free_from, holder = heapq.heappop(self._slots)
            real = self._until.get(holder)
            if holder >= 0 and real is not None and real > free_from:  # messaged again since
                heapq.heappush(self._slots, (real, holder))
                continue
            break
        if holder >= 0:
            self._promised.add(holder)  # the slot is someone else's after ``free_from``
        self._promised.discard(person)
        start = max(free_from, now)
        self._until[person] = start + self.window
        heapq.heappush(self._slots, (start + self.window, person))
        if free_from <= now:
            return None
        self._planned[person] = free_from
        return free_from


def days_needed(people: int, limit: int | None) -> int:
    """Days a broadcast to ``people`` outside their window takes at a tier (0: none)."""
    if people <= 0:
        return 0
    if limit is None:
        return 1
    return math.ceil(people / limit)


WINDOW_NOTE = N_(
    "WhatsApp: {count} recipients have not written in the last 24 hours and get a template; "
    "at the messaging tier of {tier} people a day that takes about {days} days."
)


def delivery_notes(settings: Settings) -> DeliveryNotes:
    """The channels' word on a broadcast's recipients for a preview in the chat (/siaran):
    WhatsApp's messaging tier, as the command line's preview says it."""

    async def notes(
        repos: Repos, t: Translator, recipients: Sequence[tuple[int, str]]
    ) -> list[str]:
        tier = settings.whatsapp_tier
        on_whatsapp = [person for person, channel in recipients if channel == WHATSAPP]
        if not on_whatsapp or not tier:
            return []
        outside = await repos.whatsapp.outside_window(
            on_whatsapp, datetime.now(UTC) - WINDOW + WINDOW_MARGIN
        )
        if not outside:
            return []
        days = days_needed(outside, tier)
        return [t._(WINDOW_NOTE, count=outside, tier=tier, days=days)]

    return notes
