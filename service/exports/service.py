"""Export rows: the published plan, one row per attendee per round."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import Conflict
from service.models import Assignment, Attendee, Conference, Round
from service.plans import service as plan_service

PLAN_COLUMNS = (
    "round",
    "kind",
    "starts_at",
    "place",
    "table",
    "attendee_id",
    "name",
    "affiliation",
    "dietary",
    "accessibility",
)


def published_plan_rows(session: Session, *, conference: Conference) -> Iterator[dict[str, Any]]:
    """Rows of the published plan in meal, table and name order.

    Raises:
        Conflict: nothing has been published yet.
    """
    plan = plan_service.published_plan(session, conference=conference)
    if plan is None:
        raise Conflict("No plan has been published yet; publish one to export it.")
    zone = ZoneInfo(conference.timezone)
    stmt = (
        select(Round, Assignment.table_number, Attendee)
        .join(Round, Round.id == Assignment.round_id)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(Assignment.plan_id == plan.id)
        .order_by(
            Round.starts_at.is_(None),
            Round.starts_at,
            Round.name,
            Assignment.table_number,
            Attendee.name,
        )
    )
    for round_, table, attendee in session.execute(stmt).yield_per(1000):
        yield {
            "round": round_.name,
            "kind": round_.kind,
            "starts_at": round_.starts_at.astimezone(zone).isoformat() if round_.starts_at else "",
            "place": round_.location,
            "table": table,
            "attendee_id": attendee.external_id,
            "name": attendee.name,
            "affiliation": attendee.affiliation,
            "dietary": attendee.dietary,
            "accessibility": attendee.accessibility,
        }
