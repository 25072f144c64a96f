"""Printable table cards: one page per table with its round, time, place, names and topics."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth import ReadAccess
from service.db import get_session
from service.models import Assignment, Attendee, Conference, PlanTable
from service.plans import service as plan_service
from service.rounds import service as round_service

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

router = APIRouter(prefix="/v1/conferences/{conference_id}/plans", tags=["plans"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Card:
    """What one printed table card shows; nothing private (no e-mail, dietary or access notes)."""

    round_name: str
    kind: str
    starts_at: str
    location: str
    table: int
    capacity: int
    names: list[str]
    topics: list[str]


def _when(starts_at: datetime | None, conference: Conference) -> str:
    if starts_at is None:
        return ""
    local = starts_at.astimezone(ZoneInfo(conference.timezone))
    return local.strftime("%a %d %b %Y, %H:%M")


def table_cards(
    session: Session, *, conference: Conference, plan_id: uuid.UUID, round_id: uuid.UUID | None
) -> list[Card]:
    """Cards for every table of one round of a plan (or of every round), in time and table order."""
    plan = plan_service.get_plan(session, conference=conference, plan_id=plan_id)
    if round_id is not None:
        rounds = [round_service.get_round(session, conference=conference, round_id=round_id)]
    else:
        rounds = round_service.list_rounds(session, conference=conference)
    cards: list[Card] = []
    for rnd in rounds:
        names: dict[int, list[str]] = {}
        seats = session.execute(
            select(Assignment.table_number, Attendee.name)
            .join(Attendee, Attendee.id == Assignment.attendee_id)
            .where(Assignment.plan_id == plan.id, Assignment.round_id == rnd.id)
            .order_by(Assignment.table_number, Attendee.name)
        )
        for number, name in seats:
            names.setdefault(number, []).append(name)
        tables = session.scalars(
            select(PlanTable)
            .where(PlanTable.plan_id == plan.id, PlanTable.round_id == rnd.id)
            .order_by(PlanTable.number)
        )
        cards.extend(
            Card(
                round_name=rnd.name,
                kind=rnd.kind,
                starts_at=_when(rnd.starts_at, conference),
                location=rnd.location,
                table=table.number,
                capacity=table.capacity,
                names=names.get(table.number, []),
                topics=list(table.topics),
            )
            for table in tables
        )
    return cards


@router.get(
    "/{plan_id}/cards",
    status_code=status.HTTP_200_OK,
    summary="Printable table cards",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "One printed page per table."}},
)
def print_cards(
    plan_id: uuid.UUID,
    request: Request,
    access: ReadAccess,
    session: SessionDep,
    round_id: Annotated[
        uuid.UUID | None, Query(description="One round; every round of the plan when left out.")
    ] = None,
) -> HTMLResponse:
    """One printable page per table: number, round, time, place, names, common ground."""
    cards = table_cards(session, conference=access.conference, plan_id=plan_id, round_id=round_id)
    return templates.TemplateResponse(
        request,
        "cards.html",
        {"conference": access.conference, "cards": cards},
        headers={"Cache-Control": "no-store"},
    )
