"""Encryption at rest and keyed hashes for personal data (UU 27/2022).

One master key (32 random bytes, base64) is split with HKDF into four keys:

- an encryption key (Fernet: AES-128-CBC + HMAC-SHA256);
- a look-up key (HMAC-SHA256), so a NIK can be found by its keyed hash without being stored
  in clear, and the hash is useless without the key;
- a file-name key: stored files are named by a keyed hash of their content, so a known
  document cannot be recognised in the file store by its plain SHA-256;
- a fingerprint key: the fingerprint (an HMAC of a fixed label) is stored in the database to
  recognise the key its data was encrypted with; it tells nothing about the key itself.

The key file is written atomically with 0600 permissions, and never over an existing one
except by ``replace_key_file`` (key rotation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.fsutil import fsync_dir

KEY_BYTES = 32
KEY_FILE_MODE = 0o600
FINGERPRINT_LABEL = b"kpps-bot key fingerprint"
FINGERPRINT_VERSION = "v1"


class KeyError_(ValueError):
    """The master key is missing or malformed."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def read_key_file(path: Path) -> str | None:
    """The key in the key file, or None if there is no key file."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise KeyError_(f"the key file {path} does not hold a base64 key") from exc


def _staged_key_file(path: Path, key: str) -> Path:
    """``key`` in a new 0600 temp file next to ``path``, flushed to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, KEY_FILE_MODE)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def create_key_file(path: Path, key: str | None = None) -> str:
    """Write a new key file (0600), complete or not at all; if another process created one
    first, its key is returned instead."""
    key = key or generate_key()
    staged = _staged_key_file(path, key)
    try:
        os.link(staged, path)  # fails if the file exists: never overwrites a key
    except FileExistsError:
        existing = read_key_file(path)
        if existing is None:
            raise
        return existing
    finally:
        staged.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return key


def replace_key_file(path: Path, key: str) -> None:
    """Put ``key`` in the key file (0600), atomically: readers see the old or the new key."""
    staged = _staged_key_file(path, key)
    try:
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def pending_key_path(path: Path) -> Path:
    """Where key rotation puts the new key until the database is committed to it."""
    return path.with_name(path.name + ".new")


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class Crypto:
    """Encrypts values and computes keyed look-up hashes from one master key."""

    def __init__(self, master_key: str) -> None:
        try:
            master = base64.urlsafe_b64decode(master_key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise KeyError_("the encryption key is not valid base64") from exc
        if len(master) != KEY_BYTES:
            raise KeyError_(f"the encryption key must be {KEY_BYTES} bytes, base64-encoded")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, b"kpps-bot/encrypt/v1")))
        self._hash_key = _derive(master, b"kpps-bot/lookup/v1")
        self._file_key = _derive(master, b"kpps-bot/files/v1")
        self._fingerprint_key = _derive(master, b"kpps-bot/fingerprint/v1")

    def encrypt(self, value: bytes) -> bytes:
        return self._fernet.encrypt(value)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise KeyError_("data was encrypted with another key") from exc

    def encrypt_json(self, value: Any) -> bytes:
        return self.encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True).encode())

    def decrypt_json(self, token: bytes) -> Any:
        return json.loads(self.decrypt(token))

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def file_hash(self, data: bytes) -> str:
        """The keyed name of a stored file: HMAC-SHA256 of its plain content (64 hex)."""
        return hmac.new(self._file_key, data, hashlib.sha256).hexdigest()

    def fingerprint(self) -> str:
        """Recognises the key without revealing it: ``v1:`` + an HMAC of a fixed label under a
        key derived for this purpose only."""
        digest = hmac.new(self._fingerprint_key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
        return f"{FINGERPRINT_VERSION}:{digest}"

    def same_key(self, other: Crypto) -> bool:
        return hmac.compare_digest(self.fingerprint(), other.fingerprint())
