"""HTTP routes for rounds (meals)."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from service.auth import ReadAccess, WriteAccess
from service.db import SessionDep
from service.models import Conference, Round
from service.rounds import service as round_service
from service.rounds.schemas import RoundChecked, RoundIn, RoundOut, RoundPatch


def round_out(row: Round, conference: Conference) -> RoundOut:
    """The round with its start time in the venue's time zone."""
    out = RoundOut.model_validate(row)
    if out.starts_at is not None:
        out.starts_at = out.starts_at.astimezone(ZoneInfo(conference.timezone))
    return out


def checked(session: Session, row: Round, conference: Conference) -> RoundChecked:
    """The round with what the instant checks find for it (never an error)."""
    warnings = round_service.round_warnings(session, conference=conference, row=row)
    return RoundChecked(**round_out(row, conference).model_dump(), warnings=warnings)


router = APIRouter(prefix="/v1/conferences/{conference_id}/rounds", tags=["rounds"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a round")
def create_round(data: RoundIn, access: WriteAccess, session: SessionDep) -> RoundChecked:
    """Add a meal: lunch or dinner, when, where, and its table plan (with check warnings)."""
    row = round_service.create_round(
        session, conference=access.conference, data=data, actor=access.caller.actor
    )
    return checked(session, row, access.conference)


@router.get("", summary="List rounds")
def list_rounds(access: ReadAccess, session: SessionDep) -> list[RoundOut]:
    """The conference's meals in time order."""
    return [
        round_out(r, access.conference)
        for r in round_service.list_rounds(session, conference=access.conference)
    ]


@router.get("/{round_id}", summary="Get a round")
def get_round(round_id: uuid.UUID, access: ReadAccess, session: SessionDep) -> RoundChecked:
    """Show one meal, with what the instant checks find for it now."""
    row = round_service.get_round(session, conference=access.conference, round_id=round_id)
    return checked(session, row, access.conference)


@router.patch("/{round_id}", summary="Update a round")
def patch_round(
    round_id: uuid.UUID, patch: RoundPatch, access: WriteAccess, session: SessionDep
) -> RoundChecked:
    """Change a meal's name, time, place or table plan (with check warnings)."""
    row = round_service.get_round(session, conference=access.conference, round_id=round_id)
    row = round_service.update_round(
        session, conference=access.conference, row=row, patch=patch, actor=access.caller.actor
    )
    return checked(session, row, access.conference)


@router.delete("/{round_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a round")
def delete_round(round_id: uuid.UUID, access: WriteAccess, session: SessionDep) -> Response:
    """Remove a meal that is not part of the published plan."""
    row = round_service.get_round(session, conference=access.conference, round_id=round_id)
    round_service.delete_round(
        session, conference=access.conference, row=row, actor=access.caller.actor
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
