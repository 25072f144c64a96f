"""Printable table cards: one page per table with its round, time, place, names and topics."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from service.auth import ReadAccess
from service.db import SessionDep
from service.plans import review
from service.plans.deps import ReadablePlan

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

router = APIRouter(prefix="/v1/conferences/{conference_id}/plans", tags=["plans"])


@router.get(
    "/{plan_id}/cards",
    status_code=status.HTTP_200_OK,
    summary="Printable table cards",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "One printed page per table."}},
)
def print_cards(
    plan: ReadablePlan,
    request: Request,
    access: ReadAccess,
    session: SessionDep,
    round_id: Annotated[
        uuid.UUID | None, Query(description="One round; every round of the plan when left out.")
    ] = None,
) -> HTMLResponse:
    """One printable page per table: number, round, time, place, names, common ground."""
    cards = review.table_cards(session, conference=access.conference, plan=plan, round_id=round_id)
    return templates.TemplateResponse(
        request,
        "cards.html",
        {"conference": access.conference, "cards": cards},
        headers={"Cache-Control": "no-store"},
    )
