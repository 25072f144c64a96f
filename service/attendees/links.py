"""Private attendee links: unguessable, revocable, and never stored in the clear.

The token is an HMAC of the attendee's id and link version under a server secret, so the
organizer API can show the link again without the database holding it; the database holds only
its SHA-256 to find the attendee. Revoking bumps the version, which changes the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.config import get_settings
from service.models import Attendee, Setting

_SECRET_SETTING = "link_secret"


def link_secret(session: Session) -> bytes:
    """The signing secret: from the settings, else made once and kept in the database."""
    configured = get_settings().secret_key
    if configured:
        return configured.encode()
    # Kept on the session: an import issues thousands of links in one transaction.
    cached = session.info.get(_SECRET_SETTING)
    if cached is not None:
        return bytes(cached)
    row = session.get(Setting, _SECRET_SETTING)
    if row is None:
        try:
            with session.begin_nested():
                row = Setting(name=_SECRET_SETTING, value=secrets.token_hex(32))
                session.add(row)
        except IntegrityError:
            # Another process made it first (the first link ever, issued twice at once).
            row = session.scalars(select(Setting).where(Setting.name == _SECRET_SETTING)).one()
    secret = row.value.encode()
    session.info[_SECRET_SETTING] = secret
    return secret


def token_for(attendee: Attendee, secret: bytes) -> str:
    digest = hmac.new(secret, f"{attendee.id}:{attendee.link_version}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")[:32]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, attendee: Attendee) -> str:
    """Store the lookup hash of the attendee's current token and return the token."""
    token = token_for(attendee, link_secret(session))
    attendee.link_token_hash = hash_token(token)
    return token


def link_url(token: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/me/{token}"
