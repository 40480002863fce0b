"""Private store for uploaded document files, addressed by a hash of their plain content.

A key is 64 hex characters computed from the plain bytes, so the same content is stored once
and a name never comes from user input. With ``keyed_names=True`` (what the bot uses) the key
is an HMAC of the content under a key derived from the master key (``Crypto.file_hash``): a
known document cannot be recognised on disk or in the documents table by its plain SHA-256.
Without it the key is the plain SHA-256 (``content_key``): the layout of stores written before
keyed names, which ``storage.maintenance.adopt_keyed_file_names`` renames once at start.

``LocalFileStore`` keeps files under ``<data_dir>/files`` (0700) as ``ab/cd/<key>`` (0600),
with a ``.enc`` suffix when the content is encrypted with ``storage.crypto.Crypto`` (Fernet).
A key has at most one file on disk: storing content encrypted that is already stored in clear
replaces the clear copy, and storing it in clear when an encrypted copy exists keeps the
encrypted one (encryption only ever goes up). Storing content that is already stored touches
the file (its modification time becomes now), so the orphan sweep's grace period protects it
until the upload that stored it again is committed.

Writes are atomic (a 0600 temp file ``.tmp-*`` in the target directory, fsync,
``os.replace``); all file I/O runs in a worker thread (``asyncio.to_thread``). ``get`` checks
the content against its key, so a damaged or swapped file is reported instead of returned.

``scan`` lists what the store holds (files and leftover temp files, with their modification
times) and ``remove_stale`` deletes one of them unless it was touched since: the orphan sweep
(``storage.maintenance.sweep_orphan_files``) is built on them. Files the store did not write
(other names) are never listed, so never removed.

Deleting unlinks the file; it does not overwrite it (that gives no guarantee on SSDs or
copy-on-write file systems); encrypted files become unreadable with the key anyway.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storage.crypto import Crypto
from storage.fsutil import fsync_dir

KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")
ENCRYPTED_SUFFIX = ".enc"
TEMP_PREFIX = ".tmp-"
FILE_NAME = re.compile(r"^(?P<key>[0-9a-f]{64})(?P<enc>\.enc)?$")
DIR_MODE = 0o700
FILE_MODE = 0o600


class FileStoreError(Exception):
    """Base class of the file store errors."""


class InvalidKey(FileStoreError, ValueError):
    """The key is not a lowercase hex SHA-256 (64 characters)."""


class StoredFileMissing(FileStoreError, FileNotFoundError):
    """No file is stored under the key."""


class StoredFileCorrupted(FileStoreError):
    """The stored content does not match its key (damaged, or swapped on disk)."""


@dataclass(frozen=True)
class StoredFile:
    key: str  # keyed hash (or, without keyed names, sha256) hex of the plain content
    size: int  # size of the plain content in bytes
    encrypted: bool


@dataclass(frozen=True)
class StoreEntry:
    """A file on disk in the store: a stored file (``key`` set) or a leftover temp file."""

    path: Path
    key: str | None
    modified: float  # st_mtime


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def validate_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise InvalidKey("a file key is 64 lowercase hex characters")
    return key


class FileStore(Protocol):
    async def put(self, data: bytes, *, encrypt: bool) -> StoredFile: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...


class LocalFileStore(FileStore):
    """Files in a private directory on the local disk."""

    def __init__(self, root: Path, crypto: Crypto, *, keyed_names: bool = True) -> None:
        self._root = Path(root)
        self._crypto = crypto
        self._keyed_names = keyed_names
        self._root_ready = False

    @classmethod
    def in_data_dir(
        cls, data_dir: Path, crypto: Crypto, *, keyed_names: bool = True
    ) -> LocalFileStore:
        return cls(Path(data_dir) / "files", crypto, keyed_names=keyed_names)

    @property
    def root(self) -> Path:
        return self._root

    @property
    def keyed_names(self) -> bool:
        return self._keyed_names

    def with_plain_names(self) -> LocalFileStore:
        """The same directory and key, with the plain SHA-256 names of older stores."""
        return LocalFileStore(self._root, self._crypto, keyed_names=False)

    def key_of(self, data: bytes) -> str:
        """The key ``data`` is stored under in this store."""
        return self._crypto.file_hash(data) if self._keyed_names else content_key(data)

    # -- the protocol -----------------------------------------------------------------------

    async def put(self, data: bytes, *, encrypt: bool) -> StoredFile:
        return await asyncio.to_thread(self._put, bytes(data), encrypt)

    async def get(self, key: str) -> bytes:
        validate_key(key)
        return await asyncio.to_thread(self._get, key)

    async def delete(self, key: str) -> None:
        validate_key(key)
        await asyncio.to_thread(self._delete, key)

    async def exists(self, key: str) -> bool:
        validate_key(key)
        return await asyncio.to_thread(self._exists, key)

    # -- maintenance ------------------------------------------------------------------------

    def stored_encrypted(self, key: str) -> bool:
        """Whether the file of ``key`` is stored encrypted (blocking; a stat)."""
        return self.path_for(key, encrypted=True).is_file()

    async def scan(self) -> list[StoreEntry]:
        """Every stored file and leftover temp file, with its modification time."""
        return await asyncio.to_thread(self._scan)

    def remove_stale(self, entry: StoreEntry, *, older_than: float) -> bool:
        """Unlink ``entry`` unless it was modified (stored again) at or after ``older_than``
        (a time.time() value); blocking, for a caller that holds the database lock. True if
        it was removed."""
        try:
            if entry.path.stat().st_mtime >= older_than:
                return False
            entry.path.unlink()
        except FileNotFoundError:
            return False
        return True

    # -- paths ------------------------------------------------------------------------------

    def path_for(self, key: str, *, encrypted: bool) -> Path:
        """Where the file of ``key`` lives (``ab/cd/<key>[.enc]`` under the root)."""
        validate_key(key)
        name = key + (ENCRYPTED_SUFFIX if encrypted else "")
        return self._root / key[0:2] / key[2:4] / name

    def _ensure_dir(self, path: Path) -> None:
        """Create ``path`` (and parents up to the root) as 0700 directories."""
        if not self._root_ready:
            self._root.mkdir(parents=True, exist_ok=True)
            os.chmod(self._root, DIR_MODE)
            self._root_ready = True
        current = self._root
        for part in path.relative_to(self._root).parts:
            current = current / part
            try:
                current.mkdir(mode=DIR_MODE)
            except FileExistsError:
                continue
            os.chmod(current, DIR_MODE)  # the umask may have removed bits; never adds any

    # -- blocking implementations (run in a worker thread) ----------------------------------

    def _put(self, data: bytes, encrypt: bool) -> StoredFile:
        key = self.key_of(data)
        clear = self.path_for(key, encrypted=False)
        sealed = self.path_for(key, encrypted=True)
        if _touch(sealed):
            return StoredFile(key, len(data), encrypted=True)
        if not encrypt and _touch(clear):
            return StoredFile(key, len(data), encrypted=False)
        self._ensure_dir(clear.parent)
        if encrypt:
            self._write_atomic(sealed, self._crypto.encrypt(data))
            clear.unlink(missing_ok=True)
        else:
            self._write_atomic(clear, data)
        return StoredFile(key, len(data), encrypted=encrypt)

    def _write_atomic(self, target: Path, payload: bytes) -> None:
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)  # 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, FILE_MODE)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)

    def _get(self, key: str) -> bytes:
        sealed = self.path_for(key, encrypted=True)
        clear = self.path_for(key, encrypted=False)
        try:
            data = self._crypto.decrypt(sealed.read_bytes())
        except FileNotFoundError:
            try:
                data = clear.read_bytes()
            except FileNotFoundError:
                raise StoredFileMissing(f"no stored file {key[:12]}…") from None
        if not hmac.compare_digest(self.key_of(data), key):
            raise StoredFileCorrupted(f"stored file {key[:12]}… does not match its key")
        return data

    def _delete(self, key: str) -> None:
        for encrypted in (True, False):
            self.path_for(key, encrypted=encrypted).unlink(missing_ok=True)

    def _exists(self, key: str) -> bool:
        return any(self.path_for(key, encrypted=e).is_file() for e in (True, False))

    def _scan(self) -> list[StoreEntry]:
        found: list[StoreEntry] = []
        if not self._root.is_dir():
            return found
        for first in _subdirectories(self._root):
            for second in _subdirectories(first):
                for item in os.scandir(second):
                    if not item.is_file(follow_symlinks=False):
                        continue
                    match = FILE_NAME.fullmatch(item.name)
                    key = match["key"] if match else None
                    if key is not None and (key[0:2], key[2:4]) != (first.name, second.name):
                        continue  # not where the store puts it: not ours
                    if key is None and not item.name.startswith(TEMP_PREFIX):
                        continue
                    try:
                        modified = item.stat(follow_symlinks=False).st_mtime
                    except FileNotFoundError:
                        continue
                    found.append(StoreEntry(Path(item.path), key, modified))
        return found


def _subdirectories(directory: Path) -> list[Path]:
    """The ``ab`` / ``cd`` level directories the store creates (two hex characters)."""
    return sorted(
        Path(item.path)
        for item in os.scandir(directory)
        if item.is_dir(follow_symlinks=False) and re.fullmatch(r"[0-9a-f]{2}", item.name)
    )


def _touch(path: Path) -> bool:
    """Set the file's modification time to now; False if there is no such file."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True
