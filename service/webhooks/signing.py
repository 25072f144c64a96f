"""Signing secrets of outbound webhooks: made, kept encrypted, and used to sign each delivery.

A secret cannot be stored as a hash like an API key: every delivery is signed with it. It is
encrypted with Fernet under a key derived (HKDF-SHA256, with a label of its own) from the
service's secret, the one that signs attendee links (`service.attendees.links.link_secret`), so
a copy of the database alone does not reveal it.

Signatures follow the Standard Webhooks specification (the ``standardwebhooks`` package):
``webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">``.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from service.attendees.links import link_secret

__all__ = ["InvalidToken", "decrypt", "encrypt", "headers", "new_secret"]

_INFO = b"hallway outbound webhook signing secrets v1"
PREFIX = "whsec_"


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64, as receivers expect."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _fernet(session: Session) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        link_secret(session)
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(session: Session, secret: str) -> str:
    return _fernet(session).encrypt(secret.encode()).decode()


def decrypt(session: Session, stored: str) -> str:
    """The secret itself. Raises `InvalidToken` when the service's secret has changed since."""
    return _fernet(session).decrypt(stored.encode()).decode()


def headers(*, secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    signature = Webhook(secret).sign(message_id, timestamp, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
