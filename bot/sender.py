"""The outbox sender: one per bot, sending what the bot says on its own.

It holds the bot's lease row (``sender_leases``), so a second sender for the same token waits.
It claims due messages in small batches under a lease, renders each in the recipient's
language, waits for the bot's and the chat's slot in the shared ``FloodGate`` (direct replies
go first), sends, and settles the row in the database right after the platform answered:

- delivered → ``sent`` with the platform's message id (never sent again, also after a
  restart);
- 429 → back in the queue after ``retry_after``, and the whole bot slows (the gate);
- network error or 5xx → back in the queue with exponential backoff, ``failed`` with the
  reason after ``max_attempts``;
- blocked by the user / user deactivated → ``unreachable``, and the person's other queued
  messages on that channel too;
- chat not found and other refusals → ``failed`` at once.

A channel with a reply window (WhatsApp: free-form messages only within 24 hours after the
person last wrote; a ``Windowed`` channel) gets, outside the window, the message's approved
template instead; the platform saying the window closed meanwhile (``OutsideReplyWindow``)
switches the message to its template once. A message with no template is failed outside the
window. A template starts a conversation, so it passes the messaging tier first (``tier``: at
most so many different people in a rolling 24 hours, see ``bot.tier``): beyond it the row is
rescheduled to when its slot frees, not tried and refused.

A sender that crashes leaves its rows ``sending``; their lease expires and they are claimed
again. The one window in which a message can go twice is between the platform's answer and
the commit of ``sent`` (Telegram has no idempotency key to close it).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from bot.channels.common import (
    DeliveryFailed,
    OutsideReplyWindow,
    PermanentFailure,
    RateLimited,
    TransientFailure,
    Unreachable,
)
from bot.channels.flood import FloodGate, bulk
from bot.tier import ContactTier
from handlers.i18n import I18n
from handlers.messages import Option, Reply
from storage.crypto import Crypto
from storage.db import Database
from storage.domain import OutboxItem, OutboxStatus, OutgoingMessage, Recipient
from storage.models import utcnow
from storage.repositories import Repos

log = logging.getLogger(__name__)
NO_TEMPLATE = "outside the 24-hour window, no template"


class Quiet(DeliveryFailed):
    """Not sent: a non-essential message to a person who asked for quiet."""


class TierFull(DeliveryFailed):
    """Not now: the messaging tier has no room for another new person before ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"messaging tier full until {until.isoformat(timespec='minutes')}")
        self.until = until


class Deliverer(Protocol):
    """What the sender needs of a channel adapter: a send that passes the bot's flood gate
    (as bulk inside ``bulk()``) and raises the ``DeliveryFailed`` kinds."""

    async def deliver(self, address: str, reply: Reply) -> str: ...


@runtime_checkable
class Windowed(Protocol):
    """A channel that sends free-form messages only within a window after the person last
    wrote, and approved templates otherwise (WhatsApp)."""

    async def window_open(self, address: str) -> bool: ...

    def template_for(self, message: OutgoingMessage) -> str | None: ...

    async def deliver_template(self, address: str, message: OutgoingMessage) -> str: ...


@dataclass(frozen=True)
class SenderConfig:
    channel: str
    lease_name: str  # one per bot, e.g. "telegram:<token fingerprint>"
    batch: int = 30  # rows claimed at once
    lease: timedelta = timedelta(seconds=60)  # of a claimed row: far more than a batch's wait
    bot_lease: timedelta = timedelta(seconds=20)  # of the bot's sender row, renewed
    max_attempts: int = 6  # network errors and 5xx
    base_backoff: float = 2.0
    idle_poll: float = 0.5  # seconds between looks at an empty outbox


class Sender:
    def __init__(
        self,
        db: Database,
        crypto: Crypto,
        edition: str,
        i18n: I18n,
        channel: Deliverer,
        gate: FloodGate,
        config: SenderConfig,
        *,
        now: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        tier: ContactTier | None = None,
    ) -> None:
        self.db = db
        self.crypto = crypto
        self.edition = edition
        self.i18n = i18n
        self.channel = channel
        self.gate = gate
        self.config = config
        self.now = now
        self.tier = tier  # the messaging tier of a windowed channel (None: unlimited)
        self._tier_loading = asyncio.Lock()
        self.owner = owner or f"sender-{uuid.uuid4().hex[:12]}"
        self._stop = asyncio.Event()
        self._progress = asyncio.Event()  # a message in flight ended: room to claim more
        self._pending = 0  # claimed messages not settled yet
        self._queues: dict[int, deque[OutboxItem]] = {}
        self._chains: dict[int, asyncio.Task[None]] = {}
        self._claimed: set[int] = set()  # ids in flight here
        self.delivered = 0
        # Told whether this sender holds the bot's lease, when that changes (a process whose
        # sender does not send, because another process does, leaves that one room).
        self.on_lease: Callable[[bool], None] | None = None
        self._held: bool | None = None

    async def _run(self, work: Callable[[Repos], Awaitable[Any]]) -> Any:
        async def unit(session: Any) -> Any:
            return await work(Repos(session, self.crypto, self.edition))

        return await self.db.run(unit)

    async def hold_lease(self) -> bool:
        """Take or renew this bot's sender lease."""
        config, owner, now = self.config, self.owner, self.now()
        return bool(
            await self._run(
                lambda repos: repos.sender_leases.acquire(
                    config.lease_name, owner, now, config.bot_lease
                )
            )
        )

    def _lease_is(self, held: bool) -> None:
        if held is not self._held:
            self._held = held
            if self.on_lease is not None:
                self.on_lease(held)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Send until ``stop()``: hold the bot's lease, keep up to ``batch`` claimed messages
        in flight (each person's in order, one after the other), settle each as it ends.
        Cancelled (killed), it stops at once and leaves its claims to expire; stopped, it
        finishes the messages it claimed and releases the bot's lease."""
        renewed = -1e9
        loop = asyncio.get_running_loop()
        try:
            while not self._stop.is_set():
                if loop.time() - renewed > self.config.bot_lease.total_seconds() / 3:
                    if not await self.hold_lease():
                        self._lease_is(False)
                        await self._pause(self.config.bot_lease.total_seconds() / 2)
                        continue
                    self._lease_is(True)
                    renewed = loop.time()
                room = self.config.batch - self._pending
                claimed = await self._claim(room) if room > 0 else 0
                if claimed == 0:
                    self._progress.clear()
                    await self._pause(self.config.idle_poll, self._progress)
            await asyncio.gather(*self._chains.values())
        finally:
            for task in self._chains.values():
                task.cancel()
        await self._run(
            lambda repos: repos.sender_leases.release(
                self.config.lease_name, self.owner, self.now()
            )
        )

    async def _pause(self, seconds: float, event: asyncio.Event | None = None) -> None:
        """Sleep ``seconds``, or less when stopped (or when ``event`` is set)."""
        waits = [asyncio.ensure_future(self._stop.wait())]
        if event is not None:
            waits.append(asyncio.ensure_future(event.wait()))
        await asyncio.wait(waits, timeout=seconds, return_when="FIRST_COMPLETED")
        for waiting in waits:
            waiting.cancel()

    async def _claim(self, limit: int) -> int:
        config, owner, now = self.config, self.owner, self.now()
        items: list[OutboxItem] = await self._run(
            lambda repos: repos.outbox.claim(
                owner, now, limit=limit, lease=config.lease, channel=config.channel
            )
        )
        for item in items:
            if item.id in self._claimed:  # its lease ran out while it waited here: keep one
                continue
            self._claimed.add(item.id)
            self._pending += 1
            queue = self._queues.setdefault(item.person_id, deque())
            queue.append(item)
            if item.person_id not in self._chains:
                self._chains[item.person_id] = asyncio.create_task(self._drain(item.person_id))
        return len(items)

    async def _drain(self, person_id: int) -> None:
        queue = self._queues[person_id]
        try:
            while queue:
                item = queue.popleft()
                try:
                    await self._send(item)
                except Exception:  # a database error: the claim expires and is retried
                    log.exception("outbox %s could not be settled", item.id)
                finally:
                    self._claimed.discard(item.id)
                    self._pending -= 1
                    self._progress.set()
        finally:
            del self._chains[person_id]
            del self._queues[person_id]

    async def _prepare(self, item: OutboxItem) -> tuple[Recipient | None, Reply]:
        recipient: Recipient | None = await self._run(
            lambda repos: repos.people.recipient(item.person_id, item.channel)
        )
        t = self.i18n.get(recipient.locale if recipient else None)
        message = item.message
        reply = Reply(
            text=t._(message.msgid, **message.params),
            options=[Option(key, t.C_("button", label)) for key, label in message.options],
        )
        return recipient, reply

    async def _send(self, item: OutboxItem) -> None:
        recipient, reply = await self._prepare(item)
        if recipient is None:
            await self._settle(item, PermanentFailure("no identity on this channel"))
            return
        if recipient.unreachable:
            await self._settle(item, Unreachable("unreachable since an earlier message"))
            return
        if recipient.quiet and not item.essential:
            await self._settle(item, Quiet("the person asked for no reminders (/berhenti)"))
            return
        windowed = self.channel if isinstance(self.channel, Windowed) else None
        template: str | None = None
        try:
            if windowed is not None and not await windowed.window_open(recipient.address):
                template, platform_id = await self._template(windowed, item, recipient)
            else:
                try:
                    with bulk():  # the adapter's send path waits for the gate, behind replies
                        platform_id = await self.channel.deliver(recipient.address, reply)
                except OutsideReplyWindow:
                    if windowed is None:
                        raise
                    # the window closed between the check and the send: once as a template
                    template, platform_id = await self._template(windowed, item, recipient)
        except DeliveryFailed as failure:
            await self._settle(item, failure)
            return
        self.delivered += 1
        at = self.now()
        await self._run(
            lambda repos: repos.outbox.sent(
                item.id, self.owner, platform_id=platform_id, at=at, template=template
            )
        )

    async def _template(
        self, channel: Windowed, item: OutboxItem, recipient: Recipient
    ) -> tuple[str, str]:
        """Send ``item`` as its template, within the tier; (template name, platform id)."""
        name = channel.template_for(item.message)
        if name is None:
            raise PermanentFailure(NO_TEMPLATE)
        if self.tier is not None:
            async with self._tier_loading:  # every chain waits for the one load
                if not self.tier.loaded:
                    since, kind = self.now() - self.tier.window, self.config.channel
                    contacts = await self._run(
                        lambda repos: repos.outbox.template_contacts(kind, since)
                    )
                    self.tier.load(contacts, self.now())
            until = self.tier.admit(item.person_id, self.now())
            if until is not None:
                raise TierFull(until)
        with bulk():
            return name, await channel.deliver_template(recipient.address, item.message)

    async def _settle(self, item: OutboxItem, failure: DeliveryFailed) -> None:
        now, owner, reason = self.now(), self.owner, failure.reason

        async def settle(repos: Repos) -> None:
            box = repos.outbox
            if isinstance(failure, TierFull):
                await box.retry(item.id, owner, not_before=failure.until, error=reason)
            elif isinstance(failure, RateLimited):
                self.gate.penalise(failure.retry_after)
                later = now + timedelta(seconds=failure.retry_after)
                await box.retry(item.id, owner, not_before=later, error=reason)
            elif isinstance(failure, TransientFailure) and item.attempts < self.config.max_attempts:
                delay = self.config.base_backoff * 2 ** (item.attempts - 1)
                await box.retry(
                    item.id, owner, not_before=now + timedelta(seconds=delay), error=reason
                )
            elif isinstance(failure, Unreachable):
                await box.give_up(item.id, owner, error=reason, status=OutboxStatus.UNREACHABLE)
                await box.unreachable(item.person_id, item.channel, error=reason)
                await repos.people.mark_unreachable(item.person_id, item.channel, now)
            elif isinstance(failure, Quiet):
                await box.give_up(item.id, owner, error=reason, status=OutboxStatus.CANCELLED)
            else:
                await box.give_up(item.id, owner, error=reason)

        log.info("outbox %s: %s (%s)", item.id, type(failure).__name__, reason[:80])
        await self._run(settle)
