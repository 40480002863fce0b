"""Sending within a platform's rate limits, by design rather than by retrying.

One ``FloodGate`` per bot, shared by the direct replies and the outbox sender. Every message
waits for two slots: the bot's (evenly spaced at ``rate`` per second: no bursts for a
sliding-window limit to punish) and its chat's (``chat_interval`` seconds after the chat's
previous message). Direct replies are *urgent*: while one of them could take the next slot,
bulk messages wait. A 429 from the platform slows the whole bot: no slot is handed out before
its ``retry_after`` has passed, so waiting requests do not all retry at the same moment.
``bulk_chat_interval`` spaces the bulk messages to one chat further (WhatsApp's pair rate:
about one message every 6 seconds to the same person); a direct reply is not held by it.

Which kind of message a send is travels in a context variable (``bulk()``), so adapters keep
one send path.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_BULK: ContextVar[bool] = ContextVar("kpps_bulk_send", default=False)


@contextmanager
def bulk() -> Iterator[None]:
    """Sends inside this block are bulk (outbox) messages: they yield to direct replies and
    are not retried inside the request (the sender reschedules them)."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def is_bulk() -> bool:
    return _BULK.get()


class FloodGate:
    def __init__(
        self,
        rate: float,
        chat_interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        bulk_chat_interval: float = 0.0,
    ) -> None:
        if rate <= 0 or chat_interval < 0 or bulk_chat_interval < 0:
            raise ValueError("rate must be positive and the intervals not negative")
        self.spacing = 1.0 / rate
        self.chat_interval = chat_interval
        self.bulk_chat_interval = bulk_chat_interval
        self._bulk_next: dict[str, float] = {}  # when each chat may get its next bulk message
        self.clock = clock
        self.sleep = sleep
        self._next_slot = 0.0  # when the bot may send its next message
        self._chat_next: dict[str, float] = {}  # when each chat may get its next message
        self._urgent: dict[str, int] = {}  # chats with a direct reply waiting, and how many
        self.penalties = 0  # 429s reported

    @property
    def rate(self) -> float:
        return 1.0 / self.spacing

    def set_rate(self, rate: float) -> None:
        """Send at ``rate`` per second from now on (a share of the bot's limit)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.spacing = 1.0 / rate

    def _wait(self, chat: str, urgent: bool, now: float) -> float:
        """Seconds until this send may go (0: take the slots now)."""
        at = max(self._next_slot, self._chat_next.get(chat, 0.0), now)
        if not urgent:
            at = max(at, self._bulk_next.get(chat, 0.0))
        if not urgent and any(self._chat_next.get(c, 0.0) <= at for c in self._urgent):
            return max(at - now, self.spacing)  # a reply could take this slot: let it
        return at - now

    async def acquire(self, chat: str, *, urgent: bool | None = None) -> None:
        """Wait for the bot's and the chat's next slot, and take them."""
        urgent = not is_bulk() if urgent is None else urgent
        if urgent:
            self._urgent[chat] = self._urgent.get(chat, 0) + 1
        try:
            while True:
                now = self.clock()
                wait = self._wait(chat, urgent, now)
                if wait <= 0:
                    self._next_slot = max(self._next_slot, now) + self.spacing
                    self._chat_next[chat] = now + self.chat_interval
                    if not urgent and self.bulk_chat_interval:
                        self._bulk_next[chat] = now + self.bulk_chat_interval
                    self._forget_old(now)
                    return
                await self.sleep(wait)
        finally:
            if urgent:
                left = self._urgent[chat] - 1
                if left:
                    self._urgent[chat] = left
                else:
                    del self._urgent[chat]

    def penalise(self, retry_after: float, chat: str | None = None) -> None:
        """The platform said 429: no slot (of the chat, or of the bot) for ``retry_after``."""
        self.penalties += 1
        until = self.clock() + max(retry_after, 0.0)
        if chat is None:
            self._next_slot = max(self._next_slot, until)
        else:
            self._chat_next[chat] = max(self._chat_next.get(chat, 0.0), until)

    def _forget_old(self, now: float) -> None:
        if len(self._chat_next) > 50_000:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        if len(self._bulk_next) > 50_000:
            self._bulk_next = {c: t for c, t in self._bulk_next.items() if t > now}
