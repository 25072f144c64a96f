"""HTTP routes for conferences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from service.auth import Caller, ReadAccess, WriteAccess, get_caller, require_admin
from service.conferences import service as conference_service
from service.conferences.schemas import ConferenceIn, ConferenceOut, ConferencePatch
from service.db import SessionDep

router = APIRouter(prefix="/v1/conferences", tags=["conferences"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a conference")
def create_conference(
    data: ConferenceIn,
    caller: Annotated[Caller, Depends(require_admin)],
    session: SessionDep,
) -> ConferenceOut:
    """Create a conference (admin key)."""
    conference = conference_service.create_conference(session, data=data, actor=caller.actor)
    return ConferenceOut.model_validate(conference)


@router.get("", summary="List conferences")
def list_conferences(
    caller: Annotated[Caller, Depends(get_caller)],
    session: SessionDep,
) -> list[ConferenceOut]:
    """List the conferences this key can see (all for an admin key, else its own)."""
    rows = conference_service.list_conferences(session)
    visible = [c for c in rows if caller.key.is_admin or c.id == caller.key.conference_id]
    return [ConferenceOut.model_validate(c) for c in visible]


@router.get("/{conference_id}", summary="Get a conference")
def get_conference(access: ReadAccess) -> ConferenceOut:
    """Show one conference, by id or slug."""
    return ConferenceOut.model_validate(access.conference)


@router.patch("/{conference_id}", summary="Update a conference")
def patch_conference(
    patch: ConferencePatch,
    access: WriteAccess,
    session: SessionDep,
) -> ConferenceOut:
    """Change some of a conference's fields."""
    conference = conference_service.update_conference(
        session, conference=access.conference, patch=patch, actor=access.caller.actor
    )
    return ConferenceOut.model_validate(conference)
