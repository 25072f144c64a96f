"""API keys: made once, shown once, stored only as a SHA-256 hash.

Keys are 32 random bytes, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.errors import Invalid, NotFound
from service.models import ApiKey

SCOPES = ("read", "write", "ingest")
KEY_PREFIX = "hw_"


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``secret`` is the only copy of the key there will ever be."""

    row: ApiKey
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session,
    *,
    conference_id: uuid.UUID | None,
    scopes: Sequence[str] = ("read",),
    name: str = "",
    is_admin: bool = False,
) -> NewKey:
    """Make a key: an admin key (every conference) or one scoped to one conference."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise Invalid(f"Unknown scope(s) {unknown}; choose from {list(SCOPES)}.")
    if not is_admin and conference_id is None:
        raise Invalid("A key that is not an admin key belongs to one conference.")
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        conference_id=conference_id,
        name=name,
        prefix=prefix,
        key_hash=hash_key(secret),
        is_admin=is_admin,
        scopes=list(SCOPES) if is_admin else sorted(set(scopes)),
    )
    session.add(row)
    session.flush()
    return NewKey(row=row, secret=secret)


#: How exactly a key's last use is recorded.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def authenticate(session: Session, *, secret: str) -> ApiKey | None:
    """The live key for this secret, or None."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    # A read must not become a write: at most one "last used" update per key per interval,
    # so a burst of GETs never queues behind the database's single writer.
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row


def list_keys(session: Session, *, conference_id: uuid.UUID) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.conference_id == conference_id).order_by(ApiKey.created_at)
    return list(session.scalars(stmt))


def revoke_key(session: Session, *, conference_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None or row.conference_id != conference_id:
        raise NotFound("No such key in this conference.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row
