"""The transactional outbox and the sender lease (issue 11, point 1), on SQLite and
PostgreSQL (KPPS_TEST_DATABASE_URL): idempotent enqueueing, claims under a lease, a crashed
sender's rows retried, a taken-over lease that cannot overwrite the outcome, concurrent claims
that never share a row, and nothing left behind by a rolled-back change or a deleted person."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.app import App
from storage.domain import Actor, OutboxStatus, OutgoingMessage
from storage.models import OutboxMessage
from storage.repositories import Repos

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def repos(app: App, session: Any) -> Repos:
    return Repos(session, app.crypto, app.settings.wilayah_edition)


async def person(app: App, chat_id: str = "5001") -> int:
    async with app.db.transaction() as session:
        actor = await repos(app, session).people.ensure(Actor("telegram", chat_id))
    assert actor.person_id is not None
    return actor.person_id


async def enqueue(app: App, person_id: int, key: str, **kwargs: Any) -> bool:
    message = kwargs.pop("message", OutgoingMessage("Your result: {result}", {"result": "x"}))
    async with app.db.transaction() as session:
        return await repos(app, session).outbox.enqueue(
            person_id=person_id,
            channel="telegram",
            kind=kwargs.pop("kind", "result"),
            message=message,
            key=key,
            now=kwargs.pop("now", NOW),
            **kwargs,
        )


async def claim(app: App, owner: str, now: datetime = NOW, limit: int = 10) -> list[Any]:
    async with app.db.transaction() as session:
        return await repos(app, session).outbox.claim(
            owner, now, limit=limit, lease=LEASE, channel="telegram"
        )


async def rows(app: App) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def test_the_same_key_is_one_message(app: App) -> None:
    who = await person(app)
    assert await enqueue(app, who, "result:1")
    assert not await enqueue(app, who, "result:1")
    assert len(await rows(app)) == 1


async def test_claims_follow_priority_and_time_and_are_leased(app: App) -> None:
    who = await person(app)
    await enqueue(app, who, "bulk", kind="broadcast", priority=9)
    await enqueue(app, who, "urgent", kind="result", priority=1)
    await enqueue(app, who, "later", kind="reminder", not_before=NOW + timedelta(hours=1))
    first = await claim(app, "sender-a")
    assert [item.kind for item in first] == ["result", "broadcast"]
    assert all(item.attempts == 1 and item.lease_owner == "sender-a" for item in first)
    assert first[0].message == OutgoingMessage("Your result: {result}", {"result": "x"})
    assert await claim(app, "sender-b") == []  # leased, and the reminder is not due
    async with app.db.transaction() as session:
        for item in first:
            assert await repos(app, session).outbox.sent(
                item.id, "sender-a", platform_id=str(item.id), at=NOW
            )
    later = await claim(app, "sender-b", NOW + timedelta(hours=1))
    assert [item.kind for item in later] == ["reminder"]


async def test_a_crashed_senders_rows_are_retried_and_its_late_outcome_ignored(
    app: App,
) -> None:
    who = await person(app)
    await enqueue(app, who, "result:7")
    (item,) = await claim(app, "crashed")
    (again,) = await claim(app, "restarted", NOW + LEASE + timedelta(seconds=1))
    assert again.id == item.id and again.attempts == 2
    async with app.db.transaction() as session:
        box = repos(app, session).outbox
        assert not await box.sent(item.id, "crashed", platform_id="11", at=NOW)
        assert await box.sent(again.id, "restarted", platform_id="12", at=NOW)
    (row,) = await rows(app)
    assert row.status == OutboxStatus.SENT and row.platform_message_id == "12"
    assert await claim(app, "anyone", NOW + timedelta(days=1)) == []  # never sent twice


async def test_retry_give_up_and_unreachable(app: App) -> None:
    who = await person(app)
    for key in ("a", "b", "c"):
        await enqueue(app, who, key)
    a, b, c = await claim(app, "s")
    async with app.db.transaction() as session:
        box = repos(app, session).outbox
        assert await box.retry(a.id, "s", not_before=NOW + timedelta(seconds=5), error="429")
        assert await box.give_up(b.id, "s", error="Bad Request: chat not found")
        assert await box.give_up(
            c.id, "s", error="Forbidden: bot was blocked", status=OutboxStatus.UNREACHABLE
        )
    assert await claim(app, "s", NOW + timedelta(seconds=4)) == []
    (retried,) = await claim(app, "s", NOW + timedelta(seconds=5))
    assert retried.id == a.id and retried.attempts == 2
    by_id = {row.id: row for row in await rows(app)}
    assert by_id[b.id].status == "failed" and "chat not found" in (by_id[b.id].last_error or "")
    assert by_id[c.id].status == "unreachable"


async def test_an_unreachable_person_gets_nothing_more_and_cancel_is_per_kind(app: App) -> None:
    who = await person(app)
    await enqueue(app, who, "r1", kind="reminder")
    await enqueue(app, who, "b1", kind="broadcast")
    await enqueue(app, who, "x1", kind="result")
    async with app.db.transaction() as session:
        box = repos(app, session).outbox
        assert await box.cancel(who, ["reminder"]) == 1
        assert await box.unreachable(who, "telegram", error="Forbidden: user is deactivated") == 2
        counts = await box.counts()
    assert counts == {"cancelled": 1, "unreachable": 2}
    assert await claim(app, "s") == []


async def test_a_rolled_back_change_leaves_no_message(app: App) -> None:
    who = await person(app)

    class Undone(Exception):
        pass

    try:
        async with app.db.transaction() as session:
            await repos(app, session).outbox.enqueue(
                person_id=who,
                channel="telegram",
                kind="result",
                message=OutgoingMessage("x"),
                key="undone",
                now=NOW,
            )
            raise Undone
    except Undone:
        pass
    assert await rows(app) == []


async def test_parameters_are_encrypted_and_a_deleted_person_takes_their_messages(
    app: App,
) -> None:
    who = await person(app)
    await enqueue(app, who, "k", message=OutgoingMessage("Hello {name}", {"name": "Wa Ode Sitti"}))
    (row,) = await rows(app)
    assert b"Wa Ode" not in row.payload_enc
    async with app.db.transaction() as session:
        await repos(app, session).people.delete(who)
    assert await rows(app) == []


async def test_concurrent_claims_never_share_a_row(app: App) -> None:
    who = await person(app)
    for number in range(40):
        await enqueue(app, who, f"m{number}")

    async def claim_in_run(owner: str) -> list[int]:
        async def work(session: Any) -> list[int]:
            items = await repos(app, session).outbox.claim(
                owner, NOW, limit=25, lease=LEASE, channel="telegram"
            )
            return [item.id for item in items]

        return await app.db.run(work)

    a, b = await asyncio.gather(claim_in_run("a"), claim_in_run("b"))
    assert set(a).isdisjoint(b) and len(a) + len(b) == 40
    owners = {row.lease_owner for row in await rows(app)}
    assert owners == {"a", "b"}


async def test_the_address_is_the_persons_chat_on_that_channel(app: App) -> None:
    who = await person(app, "987654")
    async with app.db.transaction() as session:
        people = repos(app, session).people
        recipient = await people.recipient(who, "telegram")
        assert recipient is not None and recipient.address == "987654"
        assert not recipient.quiet and not recipient.unreachable
        assert await people.recipient(who, "whatsapp") is None


async def test_one_sender_per_bot(app: App) -> None:
    async def acquire(owner: str, now: datetime) -> bool:
        async with app.db.transaction() as session:
            return await repos(app, session).sender_leases.acquire(
                "telegram:abc", owner, now, timedelta(seconds=20)
            )

    assert await acquire("first", NOW)
    assert not await acquire("second", NOW + timedelta(seconds=5))
    assert await acquire("first", NOW + timedelta(seconds=10))  # renewed
    assert not await acquire("second", NOW + timedelta(seconds=25))
    assert await acquire("second", NOW + timedelta(seconds=31))  # the first stopped renewing
    assert not await acquire("first", NOW + timedelta(seconds=32))
    async with app.db.transaction() as session:
        await repos(app, session).sender_leases.release(
            "telegram:abc", "second", NOW + timedelta(seconds=33)
        )
    assert await acquire("first", NOW + timedelta(seconds=34))


async def test_a_failure_the_platform_reports_later_counts_as_failed(app: App) -> None:
    who = await person(app)
    for key in ("broadcast:b:1", "broadcast:b:2"):
        await enqueue(app, who, key)
    items = await claim(app, "s1")
    async with app.db.transaction() as session:
        outbox = repos(app, session).outbox
        for n, item in enumerate(items):
            await outbox.sent(item.id, "s1", platform_id=f"wamid.{n}", at=NOW)
        assert await outbox.platform_status("telegram", "wamid.0", "read") == who
        failed = await outbox.platform_status(
            "telegram", "wamid.1", "failed", error="131000 Something went wrong"
        )
        assert failed == who
        assert await outbox.platform_status("telegram", "wamid.0", "delivered") is None  # back
        outcomes = await outbox.outcomes("broadcast:b:")
    assert sorted((status, error) for _, _, status, error in outcomes) == [
        ("failed", "131000 Something went wrong"),
        ("sent", None),
    ]
