"""The file store with keyed names, and the orphan sweep (issue "Hardening", point 3): a crash
between writing an upload's file and committing its row leaves a file nothing references; it
is removed at start (and by `kpps-bot files sweep`) once older than the grace period."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import App, build_app, sweep_files
from bot.cli import cli
from bot.settings import get_settings
from storage.crypto import Crypto, generate_key, read_key_file
from storage.files import LocalFileStore, StoredFileCorrupted, StoredFileMissing
from storage.maintenance import sweep_orphan_files
from storage.models import Document
from tests.dialog import ConsoleChat, Person, fill_registration

runner = CliRunner()
HOUR = 3600
CONTENT = b"KTP-el 7471014107990001 WA ODE SITI " * 100


@pytest.fixture
def crypto() -> Crypto:
    return Crypto(generate_key())


@pytest.fixture
def store(tmp_path: Path, crypto: Crypto) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files", crypto, keyed_names=True)


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def age(path: Path, seconds: float) -> None:
    """Make the file look ``seconds`` old."""
    then = time.time() - seconds
    os.utime(path, (then, then))


# -- keyed names ------------------------------------------------------------------------------


@pytest.mark.parametrize("encrypt", [False, True])
async def test_keyed_names(store: LocalFileStore, crypto: Crypto, encrypt: bool) -> None:
    stored = await store.put(CONTENT, encrypt=encrypt)
    assert stored.key == crypto.file_hash(CONTENT) == store.key_of(CONTENT)
    assert stored.key != hashlib.sha256(CONTENT).hexdigest()
    [path] = files_under(store.root)
    assert path == store.path_for(stored.key, encrypted=encrypt)
    assert await store.get(stored.key) == CONTENT
    assert (await store.put(CONTENT, encrypt=encrypt)) == stored  # stored once


async def test_another_key_names_the_same_content_differently(
    store: LocalFileStore, tmp_path: Path
) -> None:
    stored = await store.put(CONTENT, encrypt=True)
    stranger = LocalFileStore(tmp_path / "files", Crypto(generate_key()), keyed_names=True)
    assert stranger.key_of(CONTENT) != stored.key
    with pytest.raises(StoredFileMissing):
        await stranger.get(stranger.key_of(CONTENT))


async def test_a_swapped_file_is_reported_with_keyed_names(store: LocalFileStore) -> None:
    stored = await store.put(CONTENT, encrypt=False)
    store.path_for(stored.key, encrypted=False).write_bytes(b"other content")
    with pytest.raises(StoredFileCorrupted):
        await store.get(stored.key)


async def test_storing_again_touches_the_file(store: LocalFileStore) -> None:
    """So the sweep's grace period protects content that an upload stores again."""
    for encrypt in (True, False):
        stored = await store.put(CONTENT, encrypt=encrypt)
        path = store.path_for(stored.key, encrypted=True)
        age(path, 2 * HOUR)
        await store.put(CONTENT, encrypt=encrypt)
        assert time.time() - path.stat().st_mtime < 60


async def test_scan_lists_only_what_the_store_wrote(store: LocalFileStore) -> None:
    stored = await store.put(CONTENT, encrypt=True)
    directory = store.path_for(stored.key, encrypted=True).parent
    temp = directory / ".tmp-abc123"
    temp.write_bytes(b"half written")
    foreign = directory / "notes.txt"
    foreign.write_bytes(b"not ours")
    misplaced = store.root / "00" / "00" / ("f" * 64)
    misplaced.parent.mkdir(parents=True)
    misplaced.write_bytes(b"not where the store puts it")
    (store.root / "README").write_text("not ours either")
    entries = {entry.path: entry.key for entry in await store.scan()}
    assert entries == {store.path_for(stored.key, encrypted=True): stored.key, temp: None}


async def test_scan_of_a_store_never_written(store: LocalFileStore) -> None:
    assert await store.scan() == []


# -- the sweep --------------------------------------------------------------------------------


def photo(path: Path, seed: int = 1) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (seed * 30 % 255, 100, 50)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


async def referenced_file(app: App, tmp_path: Path) -> Path:
    """An applicant's uploaded KTP: the file a documents row references."""
    chat = ConsoleChat(app)
    await fill_registration(chat, Person())
    await chat.press("KTP")
    await chat.say(str(photo(tmp_path / "ktp.jpg")))
    async with app.db.transaction() as session:
        key = (await session.execute(select(Document.file_key))).scalar_one()
    return store_of(app).path_for(key, encrypted=True)


def store_of(app: App) -> LocalFileStore:
    assert isinstance(app.files, LocalFileStore)
    return app.files


async def test_the_sweep_removes_only_old_unreferenced_files(app: App, tmp_path: Path) -> None:
    store = store_of(app)
    referenced = await referenced_file(app, tmp_path)
    age(referenced, 2 * HOUR)  # old, but in use
    orphan = store.path_for((await store.put(b"crashed upload", encrypt=True)).key, encrypted=True)
    age(orphan, 2 * HOUR)
    fresh = store.path_for((await store.put(b"upload in flight", encrypt=True)).key, encrypted=True)
    temp = orphan.parent / ".tmp-crashed"
    temp.write_bytes(b"half written")
    age(temp, 2 * HOUR)
    foreign = orphan.parent / "keep-me.txt"
    foreign.write_bytes(b"not the store's")
    age(foreign, 2 * HOUR)

    result = await sweep_files(app.settings, app.db, store)
    assert result.removed == 2 and result.kept == 2
    assert files_under(store.root) == sorted([referenced, fresh, foreign])
    assert "KTP-el" in await ConsoleChat(app).say("/datasaya")  # the document still opens


async def test_the_sweep_runs_at_start(settings_factory: Any, tmp_path: Path) -> None:
    settings = settings_factory()
    app = await build_app(settings)
    referenced = await referenced_file(app, tmp_path)
    store = store_of(app)
    orphan = store.path_for((await store.put(b"crashed upload", encrypt=True)).key, encrypted=True)
    age(orphan, 2 * HOUR)
    age(referenced, 2 * HOUR)
    await app.close()
    app = await build_app(settings)
    try:
        assert files_under(store.root) == [referenced]
    finally:
        await app.close()


async def test_the_grace_period_is_a_setting(settings_factory: Any) -> None:
    settings = settings_factory(orphan_file_grace_seconds=600)
    app = await build_app(settings)
    try:
        store = store_of(app)
        ten = store.path_for((await store.put(b"eleven minutes", encrypt=True)).key, encrypted=True)
        five = store.path_for((await store.put(b"five minutes", encrypt=True)).key, encrypted=True)
        age(ten, 660)
        age(five, 300)
        assert (await sweep_files(settings, app.db, store)).removed == 1
        assert files_under(store.root) == [five]
    finally:
        await app.close()
    with pytest.raises(ValueError):
        settings_factory(orphan_file_grace_seconds=0)


async def test_a_file_stored_again_during_the_sweep_is_kept(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process uploads content whose old orphan copy the sweep has just listed: its
    put touches the file, and the sweep checks the time again before removing it."""
    store = store_of(app)
    stored = await store.put(b"sent twice", encrypt=True)
    age(store.path_for(stored.key, encrypted=True), 2 * HOUR)
    listed = await store.scan()

    async def scan_then_upload() -> list[Any]:
        await store.put(b"sent twice", encrypt=True)  # the other process, after the scan
        return listed

    monkeypatch.setattr(store, "scan", scan_then_upload)
    result = await sweep_orphan_files(app.db, store, grace_seconds=HOUR)
    assert result.removed == 0 and await store.exists(stored.key)


async def test_two_processes_the_start_of_one_keeps_the_uploads_of_the_other(
    settings_factory: Any, tmp_path: Path
) -> None:
    """Process A is handling uploads (files written, rows not committed yet) while process B
    starts and sweeps: A's new file and A's file stored again are both recent, so B keeps
    them; a committed document's file is referenced, so B keeps it whatever its age."""
    settings = settings_factory()
    first = await build_app(settings)
    try:
        referenced = await referenced_file(first, tmp_path)
        age(referenced, 2 * HOUR)
        store = store_of(first)
        in_flight = await store.put(b"upload in flight in A", encrypt=True)
        again = await store.put(b"orphaned earlier, sent again", encrypt=True)
        age(store.path_for(again.key, encrypted=True), 2 * HOUR)
        await store.put(b"orphaned earlier, sent again", encrypt=True)  # A stores it again
        second = await build_app(settings)
        await second.close()
        for key in (in_flight.key, again.key):
            assert await store.exists(key)
        assert referenced.exists()
    finally:
        await first.close()


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "KPPS_DATA_DIR": str(tmp_path / "data"),
        "KPPS_DATABASE_URL": database_url,
        "KPPS_LOAD_DEMO_DATA": "false",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KPPS_ENCRYPTION_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return values


def test_files_sweep_command(env: dict[str, str]) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    settings = get_settings()
    key = read_key_file(settings.key_file)
    assert key is not None
    store = LocalFileStore.in_data_dir(settings.data_dir, Crypto(key), keyed_names=True)
    old = asyncio.run(store.put(b"crashed upload", encrypt=True))
    recent = asyncio.run(store.put(b"a recent one", encrypt=True))
    age(store.path_for(old.key, encrypted=True), 2 * HOUR)
    age(store.path_for(recent.key, encrypted=True), 20 * 60)

    result = runner.invoke(cli, ["files", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output and "60" in result.output
    assert [p.name for p in files_under(store.root)] == [recent.key + ".enc"]

    result = runner.invoke(cli, ["files", "sweep", "--grace", "600"])
    assert result.exit_code == 0, result.output
    assert files_under(store.root) == []
    assert runner.invoke(cli, ["files", "sweep", "--grace", "5"]).exit_code == 2
