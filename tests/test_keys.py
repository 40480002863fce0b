"""The key is checked against the data (issue "Hardening", point 5): a key fingerprint in the
database, no new key file over existing data, and key rotation end to end."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import delete, select, text
from typer.testing import CliRunner

from bot.app import (
    MSG_KEY_CANNOT_DECRYPT,
    MSG_KEY_FILE_MISSING,
    MSG_KEY_INVALID,
    MSG_KEY_MISMATCH,
    MSG_ROTATE_NEEDS_NEW_KEY,
    MSG_ROTATE_SAME_KEY,
    App,
    StartRefused,
    build_app,
    file_store,
    open_storage,
    rotate_encryption_key,
)
from bot.cli import cli
from bot.settings import Settings, get_settings
from handlers.flows.registration.table import NIK_TAKEN
from storage.crypto import Crypto, generate_key, pending_key_path, replace_key_file
from storage.maintenance import FINGERPRINT, read_key_state, rotate_key, sweep_orphan_files
from storage.models import Application, Document, Identity, Meta
from storage.repositories.people import identity_hash
from tests.dialog import ConsoleChat, Person, fill_registration

runner = CliRunner()


def photo(path: Path) -> Path:
    buffer = io.BytesIO()
    image = Image.new("RGB", (1600, 1000), (10, 120, 200))
    for x in range(0, 1600, 50):
        image.putpixel((x, x % 1000), (x % 255, 20, 30))
    image.save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


async def register_with_document(app: App, tmp_path: Path, chat_id: str = "warga-1") -> str:
    """An applicant who registered and sent their KTP; returns the registration reply."""
    chat = ConsoleChat(app, chat_id)
    out = await fill_registration(chat, Person())
    assert "KPPS-7471-000001" in out
    await chat.press("KTP")
    await chat.say(str(photo(tmp_path / "ktp.jpg")))
    return out


async def document_key(app: App) -> str:
    async with app.db.transaction() as session:
        return (await session.execute(select(Document.file_key))).scalar_one()


def stored_files(app_or_dir: App | Path) -> list[Path]:
    data_dir = app_or_dir.settings.data_dir if isinstance(app_or_dir, App) else app_or_dir
    root = data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def refusal(settings: Settings) -> StartRefused:
    with pytest.raises(StartRefused) as caught:
        app = await build_app(settings)
        await app.close()
    return caught.value


# -- the fingerprint ------------------------------------------------------------------------------


def test_the_fingerprint_recognises_the_key_without_revealing_it() -> None:
    key = generate_key()
    crypto = Crypto(key)
    fingerprint = crypto.fingerprint()
    assert fingerprint == Crypto(key).fingerprint()
    assert fingerprint != Crypto(generate_key()).fingerprint()
    assert fingerprint.startswith("v1:") and len(fingerprint) == 3 + 64
    assert key not in fingerprint and key.rstrip("=") not in fingerprint
    # not one of the other derived values either
    assert fingerprint[3:] != crypto.lookup_hash("kpps-bot key fingerprint")
    assert fingerprint[3:] != crypto.file_hash(b"kpps-bot key fingerprint")


async def test_the_fingerprint_is_written_at_first_start(settings_factory: Any) -> None:
    settings = settings_factory()
    app = await build_app(settings)
    try:
        async with app.db.transaction() as session:
            stored = (await session.get(Meta, FINGERPRINT)).value  # type: ignore[union-attr]
        assert stored == app.crypto.fingerprint()
        assert settings.encryption_key.get_secret_value() not in stored
    finally:
        await app.close()


async def test_another_key_is_refused_at_start(settings_factory: Any, tmp_path: Path) -> None:
    app = await build_app(settings_factory())
    await register_with_document(app, tmp_path)
    await app.close()
    error = await refusal(settings_factory(encryption_key=generate_key()))
    assert error.msgid == MSG_KEY_MISMATCH
    assert error.params == {"source": "KPPS_ENCRYPTION_KEY"}
    assert "kpps-bot key rotate" in str(error)


async def test_a_malformed_key_is_refused_with_a_message(settings_factory: Any) -> None:
    error = await refusal(settings_factory(encryption_key="not a key"))
    assert error.msgid == MSG_KEY_INVALID and error.params == {"source": "KPPS_ENCRYPTION_KEY"}


async def test_a_database_without_fingerprint_is_checked_by_decrypting(
    settings_factory: Any, tmp_path: Path
) -> None:
    """A database from before fingerprints: the right key is accepted (and recorded), a wrong
    key cannot decrypt the sample rows and is refused."""
    settings = settings_factory()
    app = await build_app(settings)
    await register_with_document(app, tmp_path)
    async with app.db.transaction() as session:
        await session.execute(delete(Meta).where(Meta.key == FINGERPRINT))
    await app.close()

    error = await refusal(settings_factory(encryption_key=generate_key()))
    assert error.msgid == MSG_KEY_CANNOT_DECRYPT

    app = await build_app(settings)
    try:
        async with app.db.transaction() as session:
            assert (await session.get(Meta, FINGERPRINT)) is not None
        out = await ConsoleChat(app).say("/status")
        assert "KPPS-7471-000001" in out
    finally:
        await app.close()


async def test_a_new_key_is_accepted_while_there_is_no_personal_data(
    settings_factory: Any,
) -> None:
    """Nothing to protect yet (demo data only): a new key replaces the recorded one."""
    app = await build_app(settings_factory())
    await app.close()
    other = generate_key()
    app = await build_app(settings_factory(encryption_key=other))
    try:
        async with app.db.transaction() as session:
            stored = (await session.get(Meta, FINGERPRINT)).value  # type: ignore[union-attr]
        assert stored == Crypto(other).fingerprint()
    finally:
        await app.close()


def test_key_generate_prints_a_new_key() -> None:
    first = runner.invoke(cli, ["key", "generate"])
    second = runner.invoke(cli, ["key", "generate"])
    assert first.exit_code == second.exit_code == 0
    keys = {first.output.strip(), second.output.strip()}
    assert len(keys) == 2 and all(Crypto(key) for key in keys)


# -- the key file -----------------------------------------------------------------------------


async def test_a_missing_key_file_over_existing_data_stops_the_start(
    settings_factory: Any, tmp_path: Path
) -> None:
    settings = settings_factory(encryption_key=None)
    app = await build_app(settings)
    await register_with_document(app, tmp_path)
    await app.close()
    settings.key_file.unlink()

    error = await refusal(settings)
    assert error.msgid == MSG_KEY_FILE_MISSING
    assert error.params == {"path": str(settings.key_file.resolve())}
    assert not settings.key_file.exists()  # no new key was made
    assert "backup" in str(error) and "KPPS_ENCRYPTION_KEY" in str(error)
    state = await _key_state(settings)
    assert state.holds_data and state.fingerprint is not None


async def _key_state(settings: Settings) -> Any:
    from storage.db import Database

    db = Database(settings.resolved_database_url)
    try:
        return await read_key_state(db)
    finally:
        await db.dispose()


async def test_restoring_the_key_file_restores_the_data(
    settings_factory: Any, tmp_path: Path
) -> None:
    settings = settings_factory(encryption_key=None)
    app = await build_app(settings)
    await register_with_document(app, tmp_path)
    await app.close()
    backup = settings.key_file.read_text()
    settings.key_file.unlink()
    await refusal(settings)
    settings.key_file.write_text(backup)
    app = await build_app(settings)
    try:
        out = await ConsoleChat(app).say("/status")
        assert "KPPS-7471-000001" in out
    finally:
        await app.close()


def test_the_cli_explains_a_missing_key_file(tmp_path: Path, env: dict[str, str]) -> None:
    settings = get_settings()

    async def prepare() -> None:
        app = await build_app(settings)
        await register_with_document(app, tmp_path)
        await app.close()

    asyncio.run(prepare())
    settings.key_file.unlink()
    result = runner.invoke(cli, ["chat"], input="/status\n")
    assert result.exit_code == 1
    assert str(settings.key_file.resolve()) in result.output.replace("\n", "")
    assert "Traceback" not in result.output
    assert not settings.key_file.exists()


# -- rotation ---------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The CLI's settings from the environment: key file in the data directory."""
    values = {
        "KPPS_DATA_DIR": str(tmp_path / "data"),
        "KPPS_DATABASE_URL": database_url,
        "KPPS_LOAD_DEMO_DATA": "true",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    for name in ("KPPS_ENCRYPTION_KEY", "KPPS_NEW_ENCRYPTION_KEY", "KPPS_TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return values


async def _raw(app: App) -> dict[str, Any]:
    async with app.db.transaction() as session:
        application = (await session.execute(select(Application))).scalar_one()
        identities = (await session.execute(select(Identity))).scalars().all()
        conversations = (
            await session.execute(text("SELECT data_enc FROM conversations ORDER BY id"))
        ).all()
        return {
            "nik_hash": application.nik_hash,
            "nik_enc": application.nik_enc,
            "data_enc": application.data_enc,
            "flags_enc": application.flags_enc,
            "identities": [(i.external_hash, i.external_enc) for i in identities],
            "conversations": [row[0] for row in conversations],
        }


def test_key_rotation_end_to_end(env: dict[str, str], tmp_path: Path) -> None:
    """Register and upload, rotate with `kpps-bot key rotate`, restart with the new key:
    /status and /datasaya work, the same NIK is still a duplicate, the file opens; the old key
    is refused at start."""
    settings = get_settings()
    person = Person()
    seen: dict[str, Any] = {}

    async def before() -> None:
        app = await build_app(settings)
        try:
            await register_with_document(app, tmp_path)
            chat = ConsoleChat(app)
            seen["status"] = await chat.say("/status")
            seen["key"] = await document_key(app)
            seen["content"] = await app.files.get(seen["key"])
            seen["raw"] = await _raw(app)
            seen["files"] = stored_files(app)
        finally:
            await app.close()

    asyncio.run(before())
    old_key = settings.key_file.read_text().strip()
    assert len(seen["files"]) == 1

    result = runner.invoke(cli, ["key", "rotate", "--yes"])
    assert result.exit_code == 0, result.output
    assert "1 files" in result.output or "1 berkas" in result.output, result.output
    assert str(settings.key_file) in result.output.replace("\n", "")
    new_key = settings.key_file.read_text().strip()
    assert new_key != old_key and Crypto(new_key)
    assert not pending_key_path(settings.key_file).exists()
    assert oct(settings.key_file.stat().st_mode & 0o777) == "0o600"

    async def after() -> None:
        app = await build_app(settings)
        try:
            new = Crypto(new_key)
            assert app.crypto.same_key(new)
            chat = ConsoleChat(app)
            out = await chat.say("/status")
            assert "KPPS-7471-000001" in out and "Korumba" in out and "TPS 002" in out
            out = await chat.say("/datasaya")
            assert person.name in out and "7471********0001" in out and "KTP-el" in out
            # the same NIK from another chat is still refused as a duplicate
            other = ConsoleChat(app, "warga-2")
            t = app.i18n.get("id")
            await other.say("/daftar")
            await other.press(t.C_("button", "I agree"))
            out = await other.say(person.nik)
            assert t._(NIK_TAKEN, contact=app.period.contact)[:40] in out
            # the document's file opens, under a new name, and the old file is gone
            key = await document_key(app)
            assert key != seen["key"] and key == new.file_hash(seen["content"])
            assert await app.files.get(key) == seen["content"]
            files = stored_files(app)
            assert len(files) == 1 and files[0] not in seen["files"]
            assert files[0].name == key + ".enc"
            # every encrypted column and keyed hash was rewritten
            raw = await _raw(app)
            old = seen["raw"]
            assert raw["nik_hash"] == new.lookup_hash(person.nik) != old["nik_hash"]
            for column in ("nik_enc", "data_enc", "flags_enc"):
                assert raw[column] != old[column]
                new.decrypt(raw[column])
            assert raw["identities"][0][0] == identity_hash(new, "console", "warga-1")
            pairs = zip(raw["conversations"], old["conversations"], strict=False)
            assert all(a != b for a, b in pairs if b is not None)
        finally:
            await app.close()

    asyncio.run(after())

    async def with_old_key() -> StartRefused:
        return await refusal(settings.model_copy(update={"encryption_key": SecretStr(old_key)}))

    error = asyncio.run(with_old_key())
    assert error.msgid == MSG_KEY_MISMATCH

    replace_key_file(settings.key_file, old_key)  # an old key file put back
    result = runner.invoke(cli, ["chat"], input="/status\n")
    assert result.exit_code == 1 and "kpps-bot key rotate" in result.output


async def test_rotating_a_key_set_in_the_environment(settings_factory: Any, tmp_path: Path) -> None:
    settings = settings_factory()
    app = await build_app(settings)
    await register_with_document(app, tmp_path)
    await app.close()
    with pytest.raises(StartRefused) as caught:
        await rotate_encryption_key(settings)
    assert caught.value.msgid == MSG_ROTATE_NEEDS_NEW_KEY
    with pytest.raises(StartRefused) as caught:
        await rotate_encryption_key(settings, settings.encryption_key.get_secret_value())
    assert caught.value.msgid == MSG_ROTATE_SAME_KEY
    with pytest.raises(StartRefused) as caught:
        await rotate_encryption_key(settings, "short")
    assert caught.value.msgid == MSG_KEY_INVALID

    new_key = generate_key()
    rotation = await rotate_encryption_key(settings, new_key)
    assert rotation.key_file is None and not settings.key_file.exists()
    assert (rotation.result.files, rotation.result.unreadable) == (1, 0)
    assert rotation.result.rows >= 3  # the application, the identity, the conversation
    assert (await refusal(settings)).msgid == MSG_KEY_MISMATCH
    app = await build_app(settings_factory(encryption_key=new_key))
    try:
        assert "KPPS-7471-000001" in await ConsoleChat(app).say("/status")
    finally:
        await app.close()


async def test_an_interrupted_rotation_is_finished_at_start(
    settings_factory: Any, tmp_path: Path
) -> None:
    """Committed, but the process died before the new key file was put in place: the staged
    key matches the database's fingerprint, so the next start puts it in place."""
    settings = settings_factory(encryption_key=None)
    app = await build_app(settings)
    await register_with_document(app, tmp_path)
    content = await app.files.get(await document_key(app))
    old = app.crypto
    await app.close()
    new_key = generate_key()
    pending = pending_key_path(settings.key_file)
    db, _ = await open_storage(settings)
    try:
        await rotate_key(
            db,
            old,
            Crypto(new_key),
            settings.data_dir / "files",
            before_commit=lambda: replace_key_file(pending, new_key),
        )  # no after_commit: the "crash"
    finally:
        await db.dispose()
    assert pending.exists()
    app = await build_app(settings)
    try:
        assert settings.key_file.read_text().strip() == new_key and not pending.exists()
        assert await app.files.get(await document_key(app)) == content
    finally:
        await app.close()


async def test_a_failed_rotation_changes_nothing(settings_factory: Any, tmp_path: Path) -> None:
    """Fails before the commit: the data stays under the old key; the files it wrote are
    unreferenced and the orphan sweep removes them."""
    settings = settings_factory()
    app = await build_app(settings)
    await register_with_document(app, tmp_path)
    key = await document_key(app)
    content = await app.files.get(key)
    old = app.crypto
    await app.close()

    def crash() -> None:
        raise RuntimeError("disk full")

    db, _ = await open_storage(settings)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            await rotate_key(
                db, old, Crypto(generate_key()), settings.data_dir / "files", before_commit=crash
            )
        assert len(stored_files(settings.data_dir)) == 2  # the old file and the new one
        swept = await sweep_orphan_files(
            db, file_store(settings, old), grace_seconds=3600, now=2**40
        )
        assert swept.removed == 1
    finally:
        await db.dispose()
    app = await build_app(settings)
    try:
        assert await document_key(app) == key and await app.files.get(key) == content
        assert "KPPS-7471-000001" in await ConsoleChat(app).say("/status")
    finally:
        await app.close()


async def test_rotation_re_encrypts_the_outbox_and_the_public_responses(
    settings_factory: Any, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from storage.crypto import Crypto
    from storage.models import OutboxMessage, PublicResponse
    from tests.officers_helpers import add_applicant, repos

    settings = settings_factory()
    app = await build_app(settings)
    await register_with_document(app, tmp_path)  # queues a reminder (an outbox row)
    applicant = await add_applicant(app, "Siti Aminah", serial=7)
    async with app.db.transaction() as session:
        await repos(app, session).decisions.add_response(
            applicant, "tanggapan warga", by=None, now=datetime.now(UTC)
        )
    await app.close()
    new_key = generate_key()
    await rotate_encryption_key(settings, new_key)
    new = Crypto(new_key)
    app = await build_app(settings_factory(encryption_key=new_key))
    try:
        async with app.db.transaction() as session:
            payloads = (await session.execute(select(OutboxMessage.payload_enc))).scalars().all()
            texts = (await session.execute(select(PublicResponse.text_enc))).scalars().all()
        assert payloads and all("msgid" in new.decrypt_json(p) for p in payloads)
        assert [new.decrypt(t).decode() for t in texts] == ["tanggapan warga"]
    finally:
        await app.close()
