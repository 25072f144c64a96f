"""Who is calling: bearer API keys and the conference they may act on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import SessionDep
from service.errors import Forbidden, NotFound, Unauthorized
from service.keys import service as key_service
from service.models import ApiKey, Conference


@dataclass(frozen=True)
class Caller:
    """The authenticated key behind a request."""

    key: ApiKey

    @property
    def actor(self) -> str:
        return f"key:{self.key.prefix}"

    def can(self, scope: str) -> bool:
        return self.key.is_admin or scope in self.key.scopes


def get_caller(
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Caller:
    """Resolve the ``Authorization: Bearer <key>`` header, or answer 401."""
    if not authorization:
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <key>'.")
    key = key_service.authenticate(session, secret=secret.strip())
    if key is None:
        raise Unauthorized("This API key is not valid (unknown or revoked).")
    return Caller(key=key)


def require_admin(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if not caller.key.is_admin:
        raise Forbidden("This needs an admin key.")
    return caller


def find_conference(session: Session, ref: str) -> Conference | None:
    """Look a conference up by id or by slug."""
    try:
        conference_id = uuid.UUID(ref)
    except ValueError:
        return session.scalar(select(Conference).where(Conference.slug == ref))
    return session.get(Conference, conference_id)


@dataclass(frozen=True)
class ConferenceAccess:
    """A conference the caller may act on, with the caller."""

    conference: Conference
    caller: Caller


def conference_access(*scopes: str) -> Callable[..., ConferenceAccess]:
    """Dependency: the path's conference if the key belongs to it and carries one of ``scopes``.

    A key of another conference gets 404, exactly as if the conference did not exist.
    """

    def dependency(
        conference_id: Annotated[str, Path(description="Conference id (UUID) or slug.")],
        caller: Annotated[Caller, Depends(get_caller)],
        session: SessionDep,
    ) -> ConferenceAccess:
        conference = find_conference(session, conference_id)
        if conference is None or not (
            caller.key.is_admin or caller.key.conference_id == conference.id
        ):
            raise NotFound(f"Conference '{conference_id}' was not found.")
        if not any(caller.can(scope) for scope in scopes):
            wanted = "' or '".join(scopes)
            raise Forbidden(f"This key lacks the '{wanted}' scope.")
        return ConferenceAccess(conference=conference, caller=caller)

    return dependency


ReadAccess = Annotated[ConferenceAccess, Depends(conference_access("read"))]
WriteAccess = Annotated[ConferenceAccess, Depends(conference_access("write"))]
# Registration systems get "ingest" keys; organizers' "write" keys may do the same.
IngestAccess = Annotated[ConferenceAccess, Depends(conference_access("ingest", "write"))]
