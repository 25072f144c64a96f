"""Encryption of platform tokens and the secrets of webhook URLs.

Tokens are encrypted (`service.encryption`, under a label of their own): a copy of the database
alone does not reveal them. The secret part of a webhook URL is stored as its SHA-256 only; the
URL is shown once when made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from service.encryption import InvalidToken, SecretBox

__all__ = [
    "InvalidToken",
    "decrypt",
    "encrypt",
    "hash_hook_secret",
    "hook_secret_matches",
    "new_hook_secret",
]

_TOKENS = SecretBox(b"hallway registration connection tokens v1")
encrypt = _TOKENS.encrypt
decrypt = _TOKENS.decrypt


def new_hook_secret() -> str:
    return secrets.token_urlsafe(24)


def hash_hook_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hook_secret_matches(value: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_hook_secret(value), stored_hash)
