"""HTTP routes for a conference's API keys (admin only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from service.audit import service as audit
from service.auth import ConferenceAccess, conference_access
from service.db import SessionDep
from service.errors import Forbidden
from service.keys import service as key_service
from service.keys.schemas import KeyIn, KeyOut, NewKeyOut

router = APIRouter(prefix="/v1/conferences/{conference_id}/keys", tags=["keys"])


def _admin_access(
    access: Annotated[ConferenceAccess, Depends(conference_access("read"))],
) -> ConferenceAccess:
    if not access.caller.key.is_admin:
        raise Forbidden("Only an admin key manages a conference's keys.")
    return access


AdminAccess = Annotated[ConferenceAccess, Depends(_admin_access)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a conference key")
def create_key(
    data: KeyIn,
    access: AdminAccess,
    session: SessionDep,
) -> NewKeyOut:
    """Make a key for this conference with the given scopes; the key is shown only once."""
    new = key_service.create_key(
        session, conference_id=access.conference.id, scopes=data.scopes, name=data.name
    )
    audit.record(
        session,
        actor=access.caller.actor,
        action="key.created",
        target_type="api_key",
        target_id=new.row.id,
        conference_id=access.conference.id,
        details={"scopes": new.row.scopes, "prefix": new.row.prefix},
    )
    return NewKeyOut.model_validate(
        {**KeyOut.model_validate(new.row).model_dump(), "key": new.secret}
    )


@router.get("", summary="List conference keys")
def list_keys(access: AdminAccess, session: SessionDep) -> list[KeyOut]:
    """List this conference's keys (never their secrets)."""
    rows = key_service.list_keys(session, conference_id=access.conference.id)
    return [KeyOut.model_validate(row) for row in rows]


@router.delete("/{key_id}", summary="Revoke a conference key")
def revoke_key(
    key_id: uuid.UUID,
    access: AdminAccess,
    session: SessionDep,
) -> KeyOut:
    """Revoke a key; it stops working at once."""
    row = key_service.revoke_key(session, conference_id=access.conference.id, key_id=key_id)
    audit.record(
        session,
        actor=access.caller.actor,
        action="key.revoked",
        target_type="api_key",
        target_id=row.id,
        conference_id=access.conference.id,
    )
    return KeyOut.model_validate(row)
