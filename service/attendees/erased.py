"""Registration ids of erased attendees, so that nothing brings their data back.

An erased attendee is usually still registered on the registration platform, and still in the
organizer's export: the next sync, webhook, batch or import would create them again under the
same id. Each erasure keeps a digest of the id (HMAC-SHA256 under a key derived from the
service's secret, so the table holds no id and a guessed id cannot be checked against a copy of
it); every writer asks :func:`erased_among` before creating anyone. A person who wants to come
back registers again, under a new id.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.attendees.links import link_secret
from service.models import ErasedRegistration

_LABEL = b"hallway erased registration ids v1"
_BATCH = 500  # ids per query: well under every database's bound-parameter limit


def _key(session: Session) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(
        link_secret(session)
    )


def _digest(key: bytes, conference_id: uuid.UUID, external_id: str) -> str:
    message = conference_id.bytes + external_id.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def remember(session: Session, *, conference_id: uuid.UUID, external_id: str) -> None:
    """Keep ``external_id`` of this conference out of every later write."""
    digest = _digest(_key(session), conference_id, external_id)
    if session.get(ErasedRegistration, (conference_id, digest)) is not None:
        return
    try:
        with session.begin_nested():  # an erasure of the same id at the same moment wins
            session.add(ErasedRegistration(conference_id=conference_id, digest=digest))
    except IntegrityError:
        pass


def erased_among(
    session: Session, *, conference_id: uuid.UUID, external_ids: Iterable[str]
) -> set[str]:
    """Which of ``external_ids`` belonged to attendees erased from this conference."""
    key = _key(session)
    by_digest = {_digest(key, conference_id, e): e for e in set(external_ids)}
    found: set[str] = set()
    digests = list(by_digest)
    for start in range(0, len(digests), _BATCH):
        chunk = digests[start : start + _BATCH]
        found.update(
            by_digest[d]
            for d in session.scalars(
                select(ErasedRegistration.digest).where(
                    ErasedRegistration.conference_id == conference_id,
                    ErasedRegistration.digest.in_(chunk),
                )
            )
        )
    return found


def refusal(external_id: str) -> str:
    """What a writer says when it leaves an erased id out."""
    return (
        f"'{external_id}' belonged to an attendee erased from this conference; their data "
        "is not taken in again. If they registered again, use their new registration id."
    )
