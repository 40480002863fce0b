"""Data at rest (issue "Hardening", point 6): private SQLite files and data directory, the
eligibility flags encrypted (migration 0005), stored files named by a keyed hash."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from PIL import Image
from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.engine import Connection

from bot.app import App, build_app, sqlite_path
from storage.crypto import Crypto, generate_key
from storage.db import Database, is_sqlite
from storage.maintenance import FILE_NAMES, KEYED_FILE_NAMES
from storage.migrate import alembic_config, upgrade
from storage.models import Application, Document, Meta
from storage.repositories import Repos
from tests.dialog import ConsoleChat, Person, fill_registration, person_aged


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # what made the files 0644
    try:
        yield
    finally:
        os.umask(previous)


def photo(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (200, 120, 10)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


async def register_with_document(app: App, tmp_path: Path) -> None:
    chat = ConsoleChat(app)
    await fill_registration(chat, Person())
    await chat.press("KTP")
    await chat.say(str(photo(tmp_path / "ktp.jpg")))


def stored_files(app: App) -> list[Path]:
    root = app.settings.data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# -- permissions ------------------------------------------------------------------------------


@pytest.mark.usefixtures("usual_umask")
async def test_the_data_directory_and_the_sqlite_files_are_private(
    settings_factory: Any, tmp_path: Path
) -> None:
    settings = settings_factory(encryption_key=None)
    app = await build_app(settings)
    try:
        await register_with_document(app, tmp_path)
        assert mode(settings.data_dir) == 0o700
        assert mode(settings.key_file) == 0o600
        assert mode(settings.data_dir / "files") == 0o700
        assert all(mode(path) == 0o600 for path in stored_files(app))
        database = sqlite_path(settings.resolved_database_url)
        if database is not None:  # on PostgreSQL, the directory and files above
            names = [database.name + suffix for suffix in ("", "-wal", "-shm")]
            files = [database.with_name(name) for name in names]
            assert all(path.exists() for path in files)  # WAL mode, connections open
            assert {p.name: mode(p) for p in files} == dict.fromkeys(names, 0o600)
    finally:
        await app.close()


@pytest.mark.usefixtures("usual_umask")
async def test_an_existing_installation_is_made_private_at_start(
    settings_factory: Any, database_url: str
) -> None:
    if not is_sqlite(database_url):
        pytest.skip("SQLite files")
    settings = settings_factory()
    app = await build_app(settings)
    database = sqlite_path(settings.resolved_database_url)
    assert database is not None
    await app.close()
    os.chmod(settings.data_dir, 0o755)
    os.chmod(database, 0o644)
    leftover = database.with_name(database.name + "-wal")
    leftover.touch()
    os.chmod(leftover, 0o644)
    app = await build_app(settings)
    try:
        assert mode(settings.data_dir) == 0o700 and mode(database) == 0o600
        assert mode(database.with_name(database.name + "-wal")) == 0o600
        assert mode(database.with_name(database.name + "-shm")) == 0o600
    finally:
        await app.close()


async def test_a_database_outside_the_data_directory_is_private_too(
    settings_factory: Any, tmp_path: Path, usual_umask: None
) -> None:
    database = tmp_path / "elsewhere" / "kpps.sqlite3"
    app = await build_app(settings_factory(database_url=f"sqlite+aiosqlite:///{database}"))
    try:
        assert mode(database.parent) == 0o700 and mode(database) == 0o600
    finally:
        await app.close()


# -- the flags --------------------------------------------------------------------------------


async def test_the_flags_are_stored_encrypted(app: App) -> None:
    await fill_registration(ConsoleChat(app), person_aged(app, 60))
    async with app.db.transaction() as session:
        columns = await session.run_sync(
            lambda sync: {c["name"] for c in inspect(sync.connection()).get_columns("applications")}
        )
        raw = (await session.execute(text("SELECT * FROM applications"))).all()
        application_id = (await session.execute(select(Application.id))).scalar_one()
        info = await Repos(session, app.crypto, "x").applications.get(application_id)
    assert "flags" not in columns and "flags_enc" in columns
    assert "age_over_preferred_max" not in str(raw)
    assert info is not None and "age_over_preferred_max" in info.flags


async def _rows_at_0004(db: Database, crypto: Crypto, flags: list[str]) -> None:
    when = datetime(2026, 11, 23, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(
            text("INSERT INTO people (id, role, created_at) VALUES (1, 'applicant', :t)"),
            {"t": when},
        )
        await session.execute(
            text(
                "INSERT INTO applications (id, period_code, reg_number, nik_hash, nik_enc, "
                "data_enc, kelurahan_code, status, flags, person_id, channel, consent_version, "
                "submitted_at) VALUES (1, 'p', 'KPPS-1', 'h', :nik, :d, '74.71.01.1005', "
                "'submitted', :f, 1, 'telegram', 'v1', :t)"
            ),
            {
                "nik": crypto.encrypt(b"7471011708900001"),
                "d": crypto.encrypt_json({"name": "Budi"}),
                "f": f'["{flags[0]}"]' if flags else "[]",
                "t": when,
            },
        )
        await session.execute(
            text(
                "INSERT INTO documents (application_id, kind, file_key, encrypted, mime, size, "
                "status, uploaded_at) VALUES (1, 'ktp', :k, true, 'image/jpeg', 1, 'pending', :t)"
            ),
            {"k": "a" * 64, "t": when},
        )
        await session.execute(
            text(
                "INSERT INTO status_changes (application_id, at, to_status) "
                "VALUES (1, :t, 'submitted')"
            ),
            {"t": when},
        )


async def test_migration_0005_carries_the_flags_over_encrypted(database_url: str) -> None:
    crypto = Crypto(generate_key())
    db = Database(database_url)
    try:
        await upgrade(db, "0004")
        await _rows_at_0004(db, crypto, ["former_party_member"])
        await upgrade(db, crypto=crypto)
        async with db.transaction() as session:
            flags_enc = (await session.execute(select(Application.flags_enc))).scalar_one()
            documents = (await session.execute(text("SELECT count(*) FROM documents"))).scalar()
            history = (await session.execute(text("SELECT count(*) FROM status_changes"))).scalar()
            raw = (await session.execute(text("SELECT * FROM applications"))).all()
        assert crypto.decrypt_json(flags_enc) == ["former_party_member"]
        assert "former_party_member" not in str(raw)
        assert documents == 1 and history == 1  # the table rebuild deleted nothing
    finally:
        await db.dispose()


async def test_migration_0005_needs_the_key_for_existing_rows(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade(db, "0004")
        await _rows_at_0004(db, Crypto(generate_key()), [])
        with pytest.raises(RuntimeError, match="encryption key"):
            await upgrade(db)
    finally:
        await db.dispose()


async def test_migration_0005_can_be_undone(database_url: str) -> None:
    crypto = Crypto(generate_key())
    db = Database(database_url)
    try:
        await upgrade(db, "0004")
        await _rows_at_0004(db, crypto, ["asn"])
        await upgrade(db, crypto=crypto)
        config = alembic_config(database_url)

        def down(connection: Connection) -> None:
            config.attributes["connection"] = connection
            config.attributes["crypto"] = crypto
            command.downgrade(config, "0004")

        async with db.engine.connect() as connection:  # as storage.migrate.upgrade does
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                raw = await connection.get_raw_connection()
                await raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            async with connection.begin():
                await connection.run_sync(down)
            if sqlite:
                await raw.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
        async with db.transaction() as session:
            flags = (await session.execute(text("SELECT flags FROM applications"))).scalar_one()
            documents = (await session.execute(text("SELECT count(*) FROM documents"))).scalar()
        assert (flags if isinstance(flags, list) else json.loads(flags)) == ["asn"]
        assert documents == 1
    finally:
        await db.dispose()


# -- keyed file names -------------------------------------------------------------------------


async def test_stored_files_are_named_by_a_keyed_hash(app: App, tmp_path: Path) -> None:
    await register_with_document(app, tmp_path)
    async with app.db.transaction() as session:
        key = (await session.execute(select(Document.file_key))).scalar_one()
    content = await app.files.get(key)
    assert key == app.crypto.file_hash(content) != hashlib.sha256(content).hexdigest()
    [path] = stored_files(app)
    assert path.name == key + ".enc"
    assert hashlib.sha256(content).hexdigest() not in str(path)


async def test_files_of_an_older_store_get_keyed_names_at_start(
    settings_factory: Any, tmp_path: Path
) -> None:
    """A store from before keyed names: files named by the plain SHA-256, no marker in meta.
    The next start renames them (new file before the commit, old one after) and updates the
    documents table."""
    settings = settings_factory()
    app = await build_app(settings)
    await register_with_document(app, tmp_path)
    async with app.db.transaction() as session:
        key = (await session.execute(select(Document.file_key))).scalar_one()
    content = await app.files.get(key)
    legacy = app.files.with_plain_names()  # type: ignore[attr-defined]
    old = await legacy.put(content, encrypt=True)
    assert old.key == hashlib.sha256(content).hexdigest()
    await app.files.delete(key)
    async with app.db.transaction() as session:
        # a row that asked for no encryption: the sealed copy stays sealed under its new name
        await session.execute(update(Document).values(file_key=old.key, encrypted=False))
        await session.execute(delete(Meta).where(Meta.key == FILE_NAMES))
    await app.close()

    app = await build_app(settings)
    try:
        async with app.db.transaction() as session:
            renamed = (await session.execute(select(Document.file_key))).scalar_one()
            marker = await session.get(Meta, FILE_NAMES)
        assert renamed == key == app.crypto.file_hash(content)
        assert marker is not None and marker.value == KEYED_FILE_NAMES
        assert [p.name for p in stored_files(app)] == [key + ".enc"]
        assert await app.files.get(renamed) == content
    finally:
        await app.close()
