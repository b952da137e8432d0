"""Encryption of secrets at rest (OAuth tokens, connector and webhook secrets).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from ENCRYPTION_KEY, or SECRET_KEY when
that is empty. Stored values carry a prefix so a clear value is never mistaken for ciphertext.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

PREFIX = "fernet:"


class SecretUnreadable(Exception):
    """The stored secret was encrypted with another key (SECRET_KEY or ENCRYPTION_KEY changed)."""


@lru_cache(maxsize=4)
def _fernet(material: str) -> Fernet:
    digest = hashlib.sha256(b"hullreach-secrets-v1:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _key_material() -> str:
    return settings.ENCRYPTION_KEY or settings.SECRET_KEY


def secret_encrypt(value: str) -> str:
    if not value:
        return ""
    return PREFIX + _fernet(_key_material()).encrypt(value.encode()).decode()


def secret_decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("stored value is not encrypted")
    try:
        return _fernet(_key_material()).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("stored secret cannot be decrypted with the current key") from exc


def secret_mask(value: str) -> str:
    """What staff see of a secret: enough to tell two apart, never enough to use one."""
    if not value:
        return ""
    if len(value) <= 8:
        return "•" * 8
    return f"{value[:3]}…{value[-2:]} ({len(value)} chars)"
