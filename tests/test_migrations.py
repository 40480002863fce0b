"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base


async def test_migrations_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade(db)
        async with db.engine.connect() as conn:

            def diff(sync_conn: object) -> list[object]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(context, Base.metadata))

            differences = await conn.run_sync(diff)
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert differences == []
        assert {"applications", "conversations", "consents", "regions", "tps"} <= tables
    finally:
        await db.dispose()


async def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade(db)
        await upgrade(db)
    finally:
        await db.dispose()


async def test_upgrading_a_database_with_data_keeps_every_row(database_url: str) -> None:
    """A migration that rebuilds the applications table (SQLite batch mode) must not
    cascade-delete its documents, consents or conversations; 0004 carries the rows over:
    chats become people with hashed identities, application data a typed record, flat
    conversation data one slot per flow, and every application gets its first status."""
    import json
    from datetime import UTC, date, datetime

    from sqlalchemy import text

    from storage.crypto import Crypto, generate_key
    from storage.domain import ApplicationStatus, DocumentStatus
    from storage.repositories import Repos

    crypto = Crypto(generate_key())
    when = datetime(2026, 11, 23, tzinfo=UTC)
    old_application = {
        "name": "Budi Santoso",
        "birth_date": "1990-08-17",
        "sex": "M",
        "phone": "+6281234567890",
        "address": "Jl. Sao-Sao No. 12",
        "rt_rw": "003/002",
        "kecamatan": "74.71.01",
        "kelurahan": "74.71.01.1005",
        "tps": 7,
        "education": "sma",
        "occupation": "wiraswasta",
        "employment": "none",
        "prior_service": "2",
        "smartphone": "yes",
        "decl_loyalty": "yes",
        "decl_party": "left_5y",
        "decl_campaign": "yes",
        "decl_health": "yes",
        "decl_criminal": "yes",
        "decl_dismissal": "yes",
        "decl_marriage": "yes",
        "decl_skills": "yes",
        "consent": {"version": "v1", "at": when.isoformat()},
        "locale": "id",
    }
    draft = {"a": {"nik": "7471011708900002", "name": "Wa Ode"}, "redo": ["name"], "preset": "x"}

    db = Database(database_url)
    try:
        await upgrade(db, "0003")
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO applications (id, period_code, reg_number, nik_hash, nik_enc, "
                    "data_enc, kelurahan_code, status, flags, channel, chat_id, "
                    "consent_version, submitted_at) VALUES (1, 'p', 'KPPS-1', 'h', :nik, :b, "
                    "'74.71.01.1005', 'submitted', '[]', 'telegram', '700001', 'v1', :t)"
                ),
                {
                    "nik": crypto.encrypt(b"7471011708900001"),
                    "b": crypto.encrypt_json(old_application),
                    "t": when,
                },
            )
            await session.execute(
                text(
                    "INSERT INTO documents (application_id, kind, file_key, encrypted, mime, "
                    "size, status, uploaded_at) VALUES (1, 'ktp', :k, true, 'image/jpeg', 1, "
                    "'pending', :t)"
                ),
                {"k": "a" * 64, "t": when},
            )
            for chat, application, data in (
                ("700001", 1, {"doc_kind": "ktp"}),
                ("700002", None, draft),
            ):
                await session.execute(
                    text(
                        "INSERT INTO conversations (channel, chat_id, locale, flow, step, "
                        "data_enc, application_id, version, created_at, updated_at) VALUES "
                        "('telegram', :c, 'id', 'registration', 'name', :d, :a, 3, :t, :t)"
                    ),
                    {"c": chat, "d": crypto.encrypt_json(data), "a": application, "t": when},
                )
                await session.execute(
                    text(
                        "INSERT INTO consents (channel, chat_id, purpose, version, locale, "
                        "granted, recorded_at, application_id) VALUES ('telegram', :c, "
                        "'registration', 'v1', 'id', true, :t, :a)"
                    ),
                    {"c": chat, "t": when, "a": application},
                )
        await upgrade(db, crypto=crypto)
        async with db.transaction() as session:
            documents = (await session.execute(text("SELECT count(*) FROM documents"))).scalar()
            people = (await session.execute(text("SELECT count(*) FROM people"))).scalar()
            rows = []
            for table in ("identities", "conversations", "consents", "applications"):
                rows += (await session.execute(text(f"SELECT * FROM {table}"))).all()
            stored = " ".join(str(row) for row in rows)
            repos = Repos(session, crypto, "kemendagri-2025")
            applicant = await repos.people.resolve("telegram", "700001")
            drafter = await repos.people.resolve("telegram", "700002")
            application = await repos.applications.of_person(applicant.person_id, "p")
            _, conversation = await repos.conversations.open("telegram", "700002")
            documents_of = await repos.documents.of(1)
            history = await repos.applications.history(1)
            consents = await repos.consents.of(drafter.person_id or 0)
            external = await repos.people.external_id(applicant.identity_id or 0)
        assert documents == 1 and people == 2
        assert "700001" not in stored and "700002" not in stored  # no chat id in clear
        assert external == "700001"
        assert application is not None and application.reg_number == "KPPS-1"
        details = application.details
        assert details.name == "Budi Santoso" and details.birth_date == date(1990, 8, 17)
        assert details.kecamatan_code == "74.71.01" and details.prior_service == 2
        assert details.smartphone is True and details.party == "left_5y"
        assert all(details.statements.values()) and len(details.statements) == 7
        assert details.consent is not None and details.consent.version == "v1"
        assert [d.status for d in documents_of] == [DocumentStatus.PENDING]
        assert [(h.from_status, h.to_status) for h in history] == [
            (None, ApplicationStatus.SUBMITTED.value)
        ]
        assert conversation.flow == "registration" and conversation.version == 3
        assert json.loads(json.dumps(conversation.data)) == {
            "registration": {
                "answers": {"nik": "7471011708900002", "name": "Wa Ode"},
                "redo": ["name"],
                "preset": "x",
            }
        }
        assert consents == [("registration", "v1", True)]
    finally:
        await db.dispose()


async def test_carrying_rows_over_needs_the_key(database_url: str) -> None:
    from datetime import UTC, datetime

    import pytest
    from sqlalchemy import text

    db = Database(database_url)
    try:
        await upgrade(db, "0003")
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO consents (channel, chat_id, purpose, version, locale, "
                    "granted, recorded_at) VALUES ('telegram', '1', 'registration', 'v1', "
                    "'id', true, :t)"
                ),
                {"t": datetime(2026, 11, 23, tzinfo=UTC)},
            )
        with pytest.raises(RuntimeError, match="encryption key"):
            await upgrade(db)
    finally:
        await db.dispose()
