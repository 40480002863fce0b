"""Start-up checks and maintenance that change stored data with the key.

- ``read_key_state`` / ``KeyState.verdict``: does the key belong to this database? A key
  fingerprint (``Crypto.fingerprint``) is stored in ``meta``; a database from before
  fingerprints is checked by decrypting a sample row. Runs before migrating, on any schema.
- ``record_key_fingerprint``: stores the fingerprint (first start, or after rotation).
- ``adopt_keyed_file_names``: renames stored files from the plain SHA-256 of their content to
  the keyed ``Crypto.file_hash``, once (``meta`` remembers it), updating ``documents``.
- ``sweep_orphan_files``: removes stored files no ``documents`` row references once they are
  older than a grace period (left by a crash between writing a file and committing its row).
- ``rotate_key``: re-encrypts every encrypted column, recomputes every keyed look-up hash and
  re-encrypts/renames the stored files, in one transaction.

These run under one maintenance lock: on SQLite the write lock (every transaction starts with
BEGIN IMMEDIATE), on PostgreSQL a transaction-level advisory lock, so two processes starting
at once do them one after the other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select, text, update

from storage.crypto import Crypto, KeyError_
from storage.db import Database, Session
from storage.files import LocalFileStore, StoredFileCorrupted, StoredFileMissing
from storage.models import (
    Application,
    Conversation,
    Document,
    Identity,
    OutboxMessage,
    PublicResponse,
    WhatsAppContact,
    WhatsAppInbox,
)
from storage.repositories.base import is_postgres
from storage.repositories.meta import MetaRepo
from storage.repositories.people import identity_hash

log = logging.getLogger(__name__)

FINGERPRINT = "key_fingerprint"  # meta key: Crypto.fingerprint() of the data's key
FILE_NAMES = "file_names"  # meta key: how stored files are named
KEYED_FILE_NAMES = "keyed-v1"
MAINTENANCE_LOCK = 0x6B707073  # PostgreSQL advisory lock id ("kpps")
BATCH = 500

# Tables whose rows hold personal data encrypted or hashed with the key, on every schema
# version; and where a sample of encrypted data is found when there is no fingerprint yet.
PERSONAL_TABLES = ("people", "identities", "conversations", "applications", "documents")
SAMPLES = (
    ("identities", "external_enc"),
    ("applications", "nik_enc"),
    ("conversations", "data_enc"),
)


async def _lock(session: Session) -> None:
    """Take the maintenance lock for the rest of the transaction."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MAINTENANCE_LOCK})
    else:
        await session.execute(text("SELECT 1"))  # SQLite: BEGIN IMMEDIATE takes the write lock


# -- the key against the data -------------------------------------------------------------------


class KeyVerdict(Enum):
    MATCHES = "matches"  # the stored fingerprint is this key's
    NEW = "new"  # no personal data yet: the key is (re)recorded
    UNRECORDED = "unrecorded"  # data but no fingerprint yet, and the key decrypts it
    MISMATCH = "mismatch"  # the stored fingerprint is another key's
    CANNOT_DECRYPT = "cannot_decrypt"  # no fingerprint, and the key cannot decrypt the data


@dataclass(frozen=True)
class KeyState:
    """What the database says about its key, read before migrating (any schema version)."""

    fingerprint: str | None
    holds_data: bool  # rows in a table of personal data
    samples: tuple[bytes, ...]  # a few encrypted values

    def verdict(self, crypto: Crypto) -> KeyVerdict:
        if self.fingerprint == crypto.fingerprint():
            return KeyVerdict.MATCHES
        if not self.holds_data:
            return KeyVerdict.NEW
        if self.fingerprint is not None:
            return KeyVerdict.MISMATCH
        try:
            for sample in self.samples:
                crypto.decrypt(sample)
        except KeyError_:
            return KeyVerdict.CANNOT_DECRYPT
        return KeyVerdict.UNRECORDED


async def read_key_state(db: Database) -> KeyState:
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        fingerprint = None
        if "meta" in tables:
            fingerprint = (
                await conn.execute(
                    text("SELECT value FROM meta WHERE key = :key"), {"key": FINGERPRINT}
                )
            ).scalar_one_or_none()
        holds_data = False
        for table in PERSONAL_TABLES:
            if table in tables:
                found = await conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1"))
                holds_data = holds_data or found.first() is not None
        samples: list[bytes] = []
        for table, column in SAMPLES:
            if table in tables:
                value = (
                    await conn.execute(
                        text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL LIMIT 1")
                    )
                ).scalar_one_or_none()
                if value is not None:
                    samples.append(bytes(value))
        await conn.rollback()
    return KeyState(fingerprint, holds_data, tuple(samples))


class FingerprintMismatch(KeyError_):
    """The database holds data encrypted with another key."""


async def record_key_fingerprint(db: Database, crypto: Crypto, *, replace: bool = False) -> bool:
    """Store the key's fingerprint if none is stored (or, with ``replace``, if another is).
    True if it was written; raises ``FingerprintMismatch`` if another key's is stored."""
    fingerprint = crypto.fingerprint()
    async with db.transaction() as session:
        await _lock(session)
        meta = MetaRepo(session)
        stored = await meta.get(FINGERPRINT)
        if stored == fingerprint:
            return False
        if stored is not None and not replace:
            raise FingerprintMismatch("the database was encrypted with another key")
        await meta.set(FINGERPRINT, fingerprint)
        return True


# -- file names ---------------------------------------------------------------------------------


async def _document_files(session: Session) -> dict[str, bool]:
    """Every file key the documents table references, and whether any of them is encrypted."""
    keys: dict[str, bool] = {}
    for file_key, encrypted in (
        await session.execute(select(Document.file_key, Document.encrypted))
    ).all():
        keys[file_key] = keys.get(file_key, False) or bool(encrypted)
    return keys


async def adopt_keyed_file_names(db: Database, store: LocalFileStore) -> int:
    """Rename the stored files from the plain SHA-256 of their content to their keyed name,
    once, and point the documents at the new names: new files are written before the commit,
    the old ones removed after it (a crash leaves unreferenced files: the sweep removes
    them). Returns the number of files renamed; files that are missing or damaged keep their
    key (they could not be read before either) and are logged."""
    if not store.keyed_names:
        raise ValueError("the store does not use keyed names")
    legacy = store.with_plain_names()
    renamed: list[str] = []
    unreadable = 0
    async with db.transaction() as session:
        await _lock(session)
        meta = MetaRepo(session)
        if await meta.get(FILE_NAMES) == KEYED_FILE_NAMES:
            return 0
        for old_key, encrypt in (await _document_files(session)).items():
            try:
                data = await legacy.get(old_key)
            except (StoredFileMissing, StoredFileCorrupted, KeyError_):
                if not await _readable(store, old_key):
                    unreadable += 1
                continue
            sealed = encrypt or legacy.stored_encrypted(old_key)  # encryption never goes down
            stored = await store.put(data, encrypt=sealed)
            await session.execute(
                update(Document).where(Document.file_key == old_key).values(file_key=stored.key)
            )
            renamed.append(old_key)
        await meta.set(FILE_NAMES, KEYED_FILE_NAMES)
    for old_key in renamed:
        await legacy.delete(old_key)
    if renamed or unreadable:
        log.info("files renamed to keyed names: %d, unreadable: %d", len(renamed), unreadable)
    return len(renamed)


async def _readable(store: LocalFileStore, key: str) -> bool:
    try:
        await store.get(key)
    except (StoredFileMissing, StoredFileCorrupted, KeyError_):
        return False
    return True


# -- orphan files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    removed: int  # unreferenced and older than the grace period
    kept: int  # referenced by a document, or newer than the grace period


async def sweep_orphan_files(
    db: Database, store: LocalFileStore, *, grace_seconds: float, now: float | None = None
) -> SweepResult:
    """Remove stored files (and leftover temp files) that no documents row references and
    that were last written more than ``grace_seconds`` ago.

    An upload writes its file inside its unit of work, before the row is committed; the grace
    period keeps such a file while its transaction is running, in this or another process
    (storing content that is already stored touches the file, so that is covered too). The
    references are read and the files removed under the maintenance lock; on PostgreSQL the
    documents table is also locked against writes (SHARE) meanwhile, on SQLite the write lock
    already excludes every other unit of work. Each file is checked again just before it is
    removed, so a file stored again since the scan is kept."""
    entries = await store.scan()
    cutoff = (time.time() if now is None else now) - grace_seconds
    stale = [entry for entry in entries if entry.modified < cutoff]
    if not stale:
        return SweepResult(0, len(entries))
    removed = 0
    async with db.transaction() as session:
        await _lock(session)
        if is_postgres(session):
            await session.execute(text("LOCK TABLE documents IN SHARE MODE"))
        keys = sorted({entry.key for entry in stale if entry.key is not None})
        referenced: set[str] = set()
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            found = await session.execute(
                select(Document.file_key).where(Document.file_key.in_(chunk))
            )
            referenced.update(found.scalars())
        for entry in stale:
            if entry.key is not None and entry.key in referenced:
                continue
            if await asyncio.to_thread(store.remove_stale, entry, older_than=cutoff):
                removed += 1
    if removed:
        log.info("orphan file sweep: %d unreferenced files removed", removed)
    return SweepResult(removed, len(entries) - removed)


# -- key rotation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationResult:
    rows: int  # rows whose encrypted columns or keyed hashes were rewritten
    files: int  # stored files re-encrypted and renamed
    unreadable: int  # document files missing or damaged (their rows keep the old key)


async def _batches(
    session: Session, columns: Sequence[Any], id_column: Any, *where: Any
) -> AsyncIterator[list[Any]]:
    """All rows of ``columns`` (the first is the id), BATCH at a time in id order."""
    last = 0
    while True:
        rows = (
            await session.execute(
                select(*columns).where(id_column > last, *where).order_by(id_column).limit(BATCH)
            )
        ).all()
        if not rows:
            return
        yield list(rows)
        last = rows[-1][0]


async def rotate_key(
    db: Database,
    old: Crypto,
    new: Crypto,
    files_root: Path,
    *,
    before_commit: Callable[[], None] | None = None,
    after_commit: Callable[[], None] | None = None,
) -> RotationResult:
    """Re-encrypt everything from ``old`` to ``new`` in one transaction: conversations.data_enc,
    applications.nik_enc/data_enc/flags_enc and the NIK hash, identities.external_enc and
    their hash, the WhatsApp inbox bodies and numbers, the outbox payloads, the public's
    responses, the stored files (re-encrypted under a
    new keyed name, written before the commit), and the key fingerprint. ``before_commit``
    runs last inside the transaction (to stage the new key file), ``after_commit`` right
    after the commit (to put it in place); then the old files are removed. If anything
    fails, nothing is committed; the new files written so far are left to the orphan sweep
    (not removed here: when the commit itself fails it may still have happened, and then
    they are the data). Unused officer invites stop working (only a keyed hash of their
    code is stored): make new ones. Run it with the bot
    stopped."""
    if old.same_key(new):
        raise ValueError("the new key is the same as the old key")
    old_store = LocalFileStore(files_root, old, keyed_names=True)
    new_store = LocalFileStore(files_root, new, keyed_names=True)
    replaced: list[str] = []
    unreadable = 0
    rows = 0

    def again(token: bytes) -> bytes:
        return new.encrypt(old.decrypt(token))

    async with db.transaction() as session:
        await _lock(session)
        meta = MetaRepo(session)
        stored = await meta.get(FINGERPRINT)
        if stored is not None and stored != old.fingerprint():
            raise FingerprintMismatch("the database was encrypted with another key")
        async for batch in _batches(
            session,
            (Conversation.id, Conversation.data_enc),
            Conversation.id,
            Conversation.data_enc.is_not(None),
        ):
            for row_id, data_enc in batch:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == row_id)
                    .values(data_enc=again(data_enc))
                )
                rows += 1
        async for batch in _batches(
            session,
            (
                Application.id,
                Application.nik_enc,
                Application.data_enc,
                Application.flags_enc,
            ),
            Application.id,
        ):
            for row_id, nik_enc, data_enc, flags_enc in batch:
                nik = old.decrypt(nik_enc)
                await session.execute(
                    update(Application)
                    .where(Application.id == row_id)
                    .values(
                        nik_hash=new.lookup_hash(nik.decode()),
                        nik_enc=new.encrypt(nik),
                        data_enc=again(data_enc),
                        flags_enc=again(flags_enc),
                    )
                )
                rows += 1
        async for batch in _batches(
            session, (Identity.id, Identity.channel, Identity.external_enc), Identity.id
        ):
            for row_id, channel, external_enc in batch:
                external = old.decrypt(external_enc)
                await session.execute(
                    update(Identity)
                    .where(Identity.id == row_id)
                    .values(
                        external_hash=identity_hash(new, channel, external.decode()),
                        external_enc=new.encrypt(external),
                    )
                )
                rows += 1
        for model, key_column, column in (
            (WhatsAppInbox, WhatsAppInbox.id, WhatsAppInbox.body_enc),
            (WhatsAppContact, WhatsAppContact.identity_id, WhatsAppContact.number_enc),
            (OutboxMessage, OutboxMessage.id, OutboxMessage.payload_enc),
            (PublicResponse, PublicResponse.id, PublicResponse.text_enc),
        ):
            async for batch in _batches(session, (key_column, column), key_column):
                for row_key, token in batch:
                    await session.execute(
                        update(model)
                        .where(key_column == row_key)
                        .values({column.key: again(token)})
                    )
                    rows += 1
        for old_key, encrypt in (await _document_files(session)).items():
            try:
                data = await old_store.get(old_key)
            except (StoredFileMissing, StoredFileCorrupted, KeyError_):
                unreadable += 1
                continue
            sealed = encrypt or old_store.stored_encrypted(old_key)
            file = await new_store.put(data, encrypt=sealed)
            await session.execute(
                update(Document).where(Document.file_key == old_key).values(file_key=file.key)
            )
            replaced.append(old_key)
        await meta.set(FINGERPRINT, new.fingerprint())
        await meta.set(FILE_NAMES, KEYED_FILE_NAMES)
        if before_commit is not None:
            await asyncio.to_thread(before_commit)
    if after_commit is not None:
        after_commit()
    for old_key in replaced:
        await old_store.delete(old_key)
    log.info(
        "key rotated: %d rows, %d files re-encrypted, %d unreadable files",
        rows,
        len(replaced),
        unreadable,
    )
    return RotationResult(rows, len(replaced), unreadable)
