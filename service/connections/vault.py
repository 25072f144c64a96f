"""Encryption of platform tokens and the secrets of webhook URLs.

Tokens are encrypted with Fernet under a key derived (HKDF-SHA256) from the service's secret,
the one that signs attendee links (`service.attendees.links.link_secret`): a copy of the
database alone does not reveal them. The secret part of a webhook URL is stored as its SHA-256
only; the URL is shown once when made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from service.attendees.links import link_secret

__all__ = [
    "InvalidToken",
    "decrypt",
    "encrypt",
    "hash_hook_secret",
    "hook_secret_matches",
    "new_hook_secret",
]

_INFO = b"hallway registration connection tokens v1"


def _fernet(session: Session) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        link_secret(session)
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(session: Session, value: str) -> str:
    return _fernet(session).encrypt(value.encode()).decode()


def decrypt(session: Session, value: str) -> str:
    """The plain value. Raises `InvalidToken` when the service's secret has changed."""
    return _fernet(session).decrypt(value.encode()).decode()


def new_hook_secret() -> str:
    return secrets.token_urlsafe(24)


def hash_hook_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hook_secret_matches(value: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_hook_secret(value), stored_hash)
