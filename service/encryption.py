"""Secrets the service must read back (platform tokens, webhook signing secrets), encrypted.

Each is encrypted with Fernet under a key derived (HKDF-SHA256) from the service's secret, the
one that signs attendee links (`service.attendees.links.link_secret`), with a label of its own
per use: a copy of the database alone reveals none of them, and what one use encrypted does
not decrypt as another's.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from service.attendees.links import link_secret

__all__ = ["InvalidToken", "SecretBox"]


class SecretBox:
    """Encrypts and decrypts the secrets of one use, named by ``label``.

    >>> tokens = SecretBox(b"hallway registration connection tokens v1")
    """

    def __init__(self, label: bytes) -> None:
        self.label = label

    def _fernet(self, session: Session) -> Fernet:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self.label).derive(
            link_secret(session)
        )
        return Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, session: Session, value: str) -> str:
        return self._fernet(session).encrypt(value.encode()).decode()

    def decrypt(self, session: Session, stored: str) -> str:
        """The plain value. Raises `InvalidToken` when the service's secret has changed since."""
        return self._fernet(session).decrypt(stored.encode()).decode()
