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
    cascade-delete its documents, consents or conversations."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    when = datetime(2026, 11, 23, tzinfo=UTC)

    db = Database(database_url)
    try:
        await upgrade(db, "0002")
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO applications (id, period_code, reg_number, nik_hash, nik_enc, "
                    "data_enc, kelurahan_code, status, flags, channel, chat_id, "
                    "consent_version, submitted_at) VALUES (1, 'p', 'KPPS-1', 'h', :b, :b, "
                    "'74.71.01.1005', 'submitted', '[]', 'console', 'c', 'v', :t)"
                ),
                {"b": b"x", "t": when},
            )
            await session.execute(
                text(
                    "INSERT INTO documents (application_id, kind, file_key, encrypted, mime, "
                    "size, status, uploaded_at) VALUES (1, 'ktp', :k, true, 'image/jpeg', 1, "
                    "'pending', :t)"
                ),
                {"k": "a" * 64, "t": when},
            )
        await upgrade(db)
        async with db.transaction() as session:
            documents = (await session.execute(text("SELECT count(*) FROM documents"))).scalar()
        assert documents == 1
    finally:
        await db.dispose()
