"""Encryption at rest and keyed hashes for personal data (UU 27/2022).

One master key (32 random bytes, base64) is split with HKDF into an encryption key (Fernet:
AES-128-CBC + HMAC-SHA256) and a look-up key (HMAC-SHA256), so a NIK can be found by its
keyed hash without being stored in clear, and the hash is useless without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32


class KeyError_(ValueError):
    """The master key is missing or malformed."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def load_or_create_key_file(path: Path) -> str:
    """Read the key file, or create it with 0600 permissions if it does not exist."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


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
