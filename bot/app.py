"""Wiring: settings → database (key checked, migrated, demo data loaded once) → engine.

At every start (``open_storage``, used by ``build_app`` and every CLI command):

1. The data directory is made 0700 and the SQLite database, ``-wal`` and ``-shm`` files 0600
   (the database file is created 0600 before SQLite opens it; SQLite gives its ``-wal`` and
   ``-shm`` files the database file's permissions).
2. The key (``KPPS_ENCRYPTION_KEY``, else the key file) is checked against the database, before
   migrating: against the key fingerprint stored in ``meta``, or, in a database from before
   fingerprints, by decrypting a sample row. A key that does not match refuses to start
   (``StartRefused``, a translated message). A missing key file is created only when the
   database holds no personal data yet; otherwise start is refused. A key file left by an
   interrupted rotation (``encryption.key.new`` matching the stored fingerprint) is put in
   place.
3. Migrations run; the fingerprint is recorded (first start).

``build_app`` then renames stored files to their keyed names (once) and sweeps orphan files.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from bot.settings import DEMO_DIR, Settings
from bot.tier import delivery_notes

if TYPE_CHECKING:
    from bot.channels.flood import FloodGate
    from bot.channels.telegram import TelegramChannel
    from bot.channels.whatsapp import WhatsAppChannel
    from bot.sender import Deliverer, Sender
from handlers.engine import Engine
from handlers.errors import UserFacingError
from handlers.faq import KnowledgeStore
from handlers.i18n import N_, I18n
from handlers.limits import NikTries
from handlers.period import Period, load_period
from handlers.rules.selection import OfficerPolicy
from storage.crypto import (
    Crypto,
    KeyError_,
    create_key_file,
    generate_key,
    pending_key_path,
    read_key_file,
    replace_key_file,
)
from storage.db import Database, is_sqlite
from storage.files import FileStore, LocalFileStore
from storage.importers import import_tps, import_wilayah
from storage.maintenance import (
    FingerprintMismatch,
    KeyState,
    KeyVerdict,
    RotationResult,
    SweepResult,
    adopt_keyed_file_names,
    read_key_state,
    record_key_fingerprint,
    rotate_key,
    sweep_orphan_files,
)
from storage.migrate import upgrade
from storage.repositories import MetaRepo, Repos

log = logging.getLogger(__name__)

DEMO_WILAYAH = DEMO_DIR / "wilayah-kendari.csv"
DEMO_TPS = DEMO_DIR / "tps-kendari-demo.csv"
DEMO_MARK = "demo_data_loaded"
DIR_MODE = 0o700
FILE_MODE = 0o600
SETTING_SOURCE = "KPPS_ENCRYPTION_KEY"

MSG_KEY_FILE_MISSING = N_(
    "The encryption key file {path} is missing, but the database already holds personal data "
    "encrypted with a key. A new key cannot read that data, so none was created. Put the key "
    "file from your backup back in that place (or set KPPS_ENCRYPTION_KEY to the key) and "
    "start again."
)
MSG_KEY_MISMATCH = N_(
    "The encryption key from {source} is not the key the data in this database was encrypted "
    "with. Start with that key (from your backup); to change the key, use "
    '"kpps-bot key rotate".'
)
MSG_KEY_CANNOT_DECRYPT = N_(
    "The encryption key from {source} cannot decrypt the data in this database. Start with the "
    "key the data was encrypted with (from your backup)."
)
MSG_KEY_INVALID = N_(
    "The encryption key from {source} is not valid: a key is 32 random bytes, base64-encoded "
    '("kpps-bot key generate" makes one).'
)
MSG_ROTATE_NEEDS_NEW_KEY = N_(
    "The key is set with KPPS_ENCRYPTION_KEY, so the new key cannot be written for you: give it "
    "with --new-key (or KPPS_NEW_ENCRYPTION_KEY)."
)
MSG_ROTATE_SAME_KEY = N_("The new key is the same as the current key.")
MSG_WHATSAPP_INCOMPLETE = N_(
    "WhatsApp is not fully configured: {names} must be set as well (the webhook checks every "
    "update with the app secret and answers Meta's verification with the verify token)."
)


class StartRefused(UserFacingError):
    """The bot (or a CLI command) must not start: the message says why and what to do."""

    def __str__(self) -> str:
        return self.msgid.format(**self.params) if self.params else self.msgid


@dataclass
class App:
    settings: Settings
    db: Database
    crypto: Crypto
    i18n: I18n
    period: Period
    engine: Engine
    files: FileStore
    knowledge: KnowledgeStore

    async def close(self) -> None:
        await self.db.dispose()


# -- the data directory -------------------------------------------------------------------------


def _private_dir(path: Path) -> None:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


def _private_file(path: Path) -> None:
    try:
        os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass
    except PermissionError:
        log.warning("cannot make %s private (0600): it belongs to another user", path)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for an in-memory database)."""
    database = make_url(url).database
    if not is_sqlite(url) or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def private_sqlite_files(url: str) -> None:
    """Create the SQLite database file 0600 if it does not exist yet (SQLite then creates its
    -wal and -shm files with the same permissions), and make existing ones 0600."""
    path = sqlite_path(url)
    if path is None:
        return
    if not path.parent.exists():
        _private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for suffix in ("", "-wal", "-shm", "-journal"):
        _private_file(path.with_name(path.name + suffix))


def prepare_data_dir(settings: Settings) -> None:
    """The data directory 0700; the SQLite files 0600."""
    _private_dir(settings.data_dir)
    private_sqlite_files(settings.resolved_database_url)


# -- the key ----------------------------------------------------------------------------------


def _crypto(key: str, source: str) -> Crypto:
    try:
        return Crypto(key)
    except KeyError_ as exc:
        raise StartRefused(MSG_KEY_INVALID, source=source) from exc


def _key_source(settings: Settings) -> str:
    return SETTING_SOURCE if settings.encryption_key is not None else str(settings.key_file)


def _finish_rotation(key_file: Path, state: KeyState) -> Crypto | None:
    """The key of an interrupted rotation (committed, new key file not yet in place), put in
    place; None if there is none or it is not the database's key."""
    pending = pending_key_path(key_file)
    try:
        key = read_key_file(pending)
        crypto = Crypto(key) if key else None
    except KeyError_:
        return None
    if crypto is None or crypto.fingerprint() != state.fingerprint:
        return None
    os.replace(pending, key_file)
    log.warning("an interrupted key rotation was completed: the new key is now in %s", key_file)
    return crypto


def _key_for(settings: Settings, state: KeyState) -> Crypto:
    """The configured key; a new key file only if the database holds no personal data."""
    if settings.encryption_key is not None:
        return _crypto(settings.encryption_key.get_secret_value(), SETTING_SOURCE)
    path = settings.key_file
    try:
        key = read_key_file(path)
    except KeyError_ as exc:
        raise StartRefused(MSG_KEY_INVALID, source=str(path)) from exc
    if key is None:
        if state.holds_data:
            raise StartRefused(MSG_KEY_FILE_MISSING, path=str(path.resolve()))
        key = create_key_file(path)
        log.info("a new encryption key was created in %s: back it up", path)
    crypto = _crypto(key, str(path))
    if state.verdict(crypto) is KeyVerdict.MISMATCH:
        return _finish_rotation(path, state) or crypto
    return crypto


def _check_key(crypto: Crypto, state: KeyState, source: str) -> KeyVerdict:
    verdict = state.verdict(crypto)
    if verdict is KeyVerdict.MISMATCH:
        raise StartRefused(MSG_KEY_MISMATCH, source=source)
    if verdict is KeyVerdict.CANNOT_DECRYPT:
        raise StartRefused(MSG_KEY_CANNOT_DECRYPT, source=source)
    return verdict


async def _open(settings: Settings, crypto: Crypto | None) -> tuple[Database, Crypto]:
    prepare_data_dir(settings)
    db = Database(settings.resolved_database_url)
    try:
        state = await read_key_state(db)
        if crypto is None:
            crypto = _key_for(settings, state)
        source = _key_source(settings)
        verdict = _check_key(crypto, state, source)
        await upgrade(db, crypto=crypto)
        try:
            replaced = await record_key_fingerprint(db, crypto, replace=verdict is KeyVerdict.NEW)
        except FingerprintMismatch as exc:  # another process recorded another key meanwhile
            raise StartRefused(MSG_KEY_MISMATCH, source=source) from exc
        if replaced and state.fingerprint is not None:
            log.warning("the database holds no personal data yet: its key fingerprint was replaced")
        private_sqlite_files(settings.resolved_database_url)  # -wal, -shm exist by now
    except BaseException:
        await db.dispose()
        raise
    return db, crypto


async def open_storage(settings: Settings) -> tuple[Database, Crypto]:
    """The database, migrated, and its key, checked against the data (see the module doc).
    Raises ``StartRefused`` when the key does not belong to the data."""
    return await _open(settings, None)


async def open_database(settings: Settings, crypto: Crypto) -> Database:
    """``open_storage`` with a key already in hand (checked against the data all the same)."""
    db, _ = await _open(settings, crypto)
    return db


def file_store(settings: Settings, crypto: Crypto) -> LocalFileStore:
    """The bot's file store: files named by their keyed hash."""
    return LocalFileStore.in_data_dir(settings.data_dir, crypto, keyed_names=True)


async def load_demo_data(db: Database, settings: Settings, crypto: Crypto) -> bool:
    """Load the Kota Kendari demo wilayah and TPS once, through the admin importers."""
    async with db.transaction() as session:
        if await MetaRepo(session).get(DEMO_MARK):
            return False
    await import_wilayah(db, DEMO_WILAYAH, edition=settings.wilayah_edition)
    await import_tps(db, DEMO_TPS, edition=settings.wilayah_edition)
    async with db.transaction() as session:
        await MetaRepo(session).set(DEMO_MARK, "1")
    log.info("demo data for Kota Kendari loaded")
    return True


async def delete_application(app: App, reg_number: str) -> bool:
    """Delete an application with its documents (rows, then files no longer referenced), e.g.
    on the applicant's request (UU 27/2022 Pasal 8). False if there is no such application."""
    async with app.db.transaction() as session:
        repos = Repos(session, app.crypto, app.settings.wilayah_edition)
        application_id = await repos.applications.id_by_number(app.period.code, reg_number)
        if application_id is None:
            return False
        orphaned = await repos.applications.delete(application_id)
    for key in orphaned:
        await app.files.delete(key)
    log.info("application %s deleted with %d files", reg_number, len(orphaned))
    return True


async def sweep_files(settings: Settings, db: Database, files: LocalFileStore) -> SweepResult:
    """Remove stored files no document references, older than the grace period."""
    return await sweep_orphan_files(db, files, grace_seconds=settings.orphan_file_grace_seconds)


async def build_app(settings: Settings, *, today: date | None = None) -> App:
    db, crypto = await open_storage(settings)
    try:
        files = file_store(settings, crypto)
        await adopt_keyed_file_names(db, files)
        await sweep_files(settings, db, files)
        if settings.load_demo_data:
            await load_demo_data(db, settings, crypto)
        period = load_period(settings.period_file, today or date.today())
    except BaseException:
        await db.dispose()
        raise
    i18n = I18n.load()
    knowledge = KnowledgeStore(settings.faq_file)
    engine = Engine(
        db,
        crypto,
        i18n,
        period,
        edition=settings.wilayah_edition,
        files=files,
        knowledge=knowledge,
        nik_tries=NikTries(settings.nik_tries_per_hour, settings.nik_tries_per_day),
        policy=OfficerPolicy(
            digest_minutes=settings.officer_digest_minutes,
            order=tuple(k.strip() for k in settings.selection_order.split(",") if k.strip()),
            broadcast_rate=settings.telegram_rate,
        ),
    )
    engine.delivery_notes = delivery_notes(settings)
    return App(settings, db, crypto, i18n, period, engine, files, knowledge)


# -- key rotation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    result: RotationResult
    key_file: Path | None  # where the new key was written; None if KPPS_ENCRYPTION_KEY is used


async def rotate_encryption_key(settings: Settings, new_key: str | None = None) -> Rotation:
    """Re-encrypt all data from the current key to ``new_key`` (a new random key if None and
    the key lives in the key file), then put the new key in the key file. Run it with the bot
    stopped.

    The new key is staged in ``encryption.key.new`` (0600, on disk) before the commit and moved
    over the key file after it, so at no moment is the key of the committed data only in
    memory; if the process dies in between, the next start finishes the move (the staged key
    matches the stored fingerprint). A failed rotation changes nothing; files it wrote are
    unreferenced and removed by the orphan sweep."""
    from_setting = settings.encryption_key is not None
    if from_setting and new_key is None:
        raise StartRefused(MSG_ROTATE_NEEDS_NEW_KEY)
    key = new_key or generate_key()
    new = _crypto(key, "--new-key")
    db, old = await open_storage(settings)
    try:
        if old.same_key(new):
            raise StartRefused(MSG_ROTATE_SAME_KEY)
        files = file_store(settings, old)
        await adopt_keyed_file_names(db, files)
        key_file = None if from_setting else settings.key_file
        stage = install = None
        if key_file is not None:
            pending = pending_key_path(key_file)

            def stage() -> None:
                replace_key_file(pending, key)

            def install() -> None:
                os.replace(pending, key_file)

        result = await rotate_key(
            db, old, new, files.root, before_commit=stage, after_commit=install
        )
    finally:
        await db.dispose()
    return Rotation(result, key_file)


def outbox_sender(
    app: App,
    channel: Deliverer,
    gate: FloodGate,
    name: str,
    account: str,
    *,
    alone: bool = False,
    tier: int | None = None,
) -> Sender:
    """The outbox sender of one bot account (``account``: its token or phone number id, kept
    only as a fingerprint in the lease name), sharing the adapter's flood gate; ``tier``:
    the messaging tier of a channel with a reply window (None: unlimited).

    The rate limit is the bot's, whichever processes send. A sender run alone (``kpps-bot
    sender``, ``alone``) sends at ``KPPS_SENDER_SHARE`` of it; a bot whose own sender does not
    hold the lease (because such a process sends) answers at the rest, and at the whole rate
    again once its sender holds the lease."""
    import hashlib

    from bot.sender import Sender, SenderConfig
    from bot.tier import ContactTier

    fingerprint = hashlib.sha256(account.encode()).hexdigest()[:16]
    config = SenderConfig(channel=name, lease_name=f"{name}:{fingerprint}")
    settings = app.settings
    sender = Sender(
        app.db,
        app.crypto,
        settings.wilayah_edition,
        app.i18n,
        channel,
        gate,
        config,
        tier=ContactTier(tier) if tier else None,
    )
    full, share = gate.rate, settings.sender_share
    if alone:
        gate.set_rate(full * share)
    else:
        sender.on_lease = lambda held: gate.set_rate(full if held else full * (1 - share))
    return sender


def telegram_with_sender(app: App, *, alone: bool = False) -> tuple[TelegramChannel, Sender]:
    """The Telegram adapter and the outbox sender of ``app``, sharing one flood gate."""
    from bot.channels.flood import FloodGate
    from bot.channels.telegram import CHANNEL, TelegramChannel, build_bot

    settings = app.settings
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value()
    gate = FloodGate(settings.telegram_rate, settings.telegram_chat_interval)
    channel = TelegramChannel(app.engine, build_bot(token, settings.telegram_api_base, gate=gate))
    return channel, outbox_sender(app, channel, gate, CHANNEL, token, alone=alone)


def whatsapp_with_sender(app: App, *, alone: bool = False) -> tuple[WhatsAppChannel, Sender]:
    """The WhatsApp adapter (its webhook server not started) and the outbox sender of ``app``,
    sharing one flood gate. Refuses to start without every WhatsApp secret."""
    from bot.channels.flood import FloodGate
    from bot.channels.whatsapp import CHANNEL, GraphClient, WhatsAppChannel

    settings = app.settings
    missing = settings.whatsapp_missing()
    if missing:
        raise StartRefused(MSG_WHATSAPP_INCOMPLETE, names=", ".join(missing))
    assert settings.whatsapp_access_token is not None
    assert settings.whatsapp_app_secret is not None
    assert settings.whatsapp_verify_token is not None
    assert settings.whatsapp_phone_number_id is not None
    client = GraphClient(
        token=settings.whatsapp_access_token.get_secret_value(),
        phone_number_id=settings.whatsapp_phone_number_id,
        api_base=settings.whatsapp_api_base,
        version=settings.whatsapp_api_version,
    )
    gate = FloodGate(
        settings.whatsapp_rate, 0.0, bulk_chat_interval=settings.whatsapp_pair_interval
    )
    channel = WhatsAppChannel(
        app.engine,
        client,
        app_secret=settings.whatsapp_app_secret.get_secret_value(),
        verify_token=settings.whatsapp_verify_token.get_secret_value(),
        gate=gate,
    )
    sender = outbox_sender(
        app,
        channel,
        gate,
        CHANNEL,
        settings.whatsapp_phone_number_id,
        alone=alone,
        tier=settings.whatsapp_tier,
    )
    return channel, sender
