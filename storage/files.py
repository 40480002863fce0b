"""Private store for uploaded document files, addressed by the SHA-256 of their plain content.

A key is the hex SHA-256 of the plain bytes, so the same content is stored once and a name
never comes from user input. ``LocalFileStore`` keeps files under ``<data_dir>/files`` (0700)
as ``ab/cd/<key>`` (0600), with a ``.enc`` suffix when the content is encrypted with
``storage.crypto.Crypto`` (Fernet). A key has at most one file on disk: storing content
encrypted that is already stored in clear replaces the clear copy, and storing it in clear
when an encrypted copy exists keeps the encrypted one (encryption only ever goes up).

Writes are atomic (a 0600 temp file in the target directory, fsync, ``os.replace``); all file
I/O runs in a worker thread (``asyncio.to_thread``). ``get`` checks the content against its
key, so a damaged or swapped file is reported instead of returned.

Deleting unlinks the file; it does not overwrite it (that gives no guarantee on SSDs or
copy-on-write file systems); encrypted files become unreadable with the key anyway.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storage.crypto import Crypto

KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")
ENCRYPTED_SUFFIX = ".enc"
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
    key: str  # sha256 hex of the plain content
    size: int  # size of the plain content in bytes
    encrypted: bool


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

    def __init__(self, root: Path, crypto: Crypto) -> None:
        self._root = Path(root)
        self._crypto = crypto
        self._root_ready = False

    @classmethod
    def in_data_dir(cls, data_dir: Path, crypto: Crypto) -> LocalFileStore:
        return cls(Path(data_dir) / "files", crypto)

    @property
    def root(self) -> Path:
        return self._root

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
        key = content_key(data)
        clear = self.path_for(key, encrypted=False)
        sealed = self.path_for(key, encrypted=True)
        if sealed.exists():
            return StoredFile(key, len(data), encrypted=True)
        if not encrypt and clear.exists():
            return StoredFile(key, len(data), encrypted=False)
        self._ensure_dir(clear.parent)
        if encrypt:
            self._write_atomic(sealed, self._crypto.encrypt(data))
            clear.unlink(missing_ok=True)
        else:
            self._write_atomic(clear, data)
        return StoredFile(key, len(data), encrypted=encrypt)

    def _write_atomic(self, target: Path, payload: bytes) -> None:
        fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)  # 0600
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
        _fsync_dir(target.parent)

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
        if content_key(data) != key:
            raise StoredFileCorrupted(f"stored file {key[:12]}… does not match its key")
        return data

    def _delete(self, key: str) -> None:
        for encrypted in (True, False):
            self.path_for(key, encrypted=encrypted).unlink(missing_ok=True)

    def _exists(self, key: str) -> bool:
        return any(self.path_for(key, encrypted=e).is_file() for e in (True, False))


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
