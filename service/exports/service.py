"""Export rows: the published plan (one row per attendee per round) and the mail merge."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.attendees import links
from service.errors import Conflict
from service.models import Assignment, Attendee, AttendeeStatus, Conference, Round
from service.plans import service as plan_service
from service.rounds.order import round_order

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


MAIL_MERGE_COLUMNS = (
    "attendee_id",
    "name",
    "email",
    "link",
    "profile",
    "link_opened",
)


def profile_status(attendee: Attendee) -> str:
    """'written' (by the attendee on their page), 'from registration', or 'blank'."""
    if attendee.profile_written_at is not None:
        return "written"
    return "from registration" if attendee.interests else "blank"


def mail_merge(
    session: Session, *, conference: Conference
) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of the mail-merge file: one row per attendee who is not cancelled.

    Each row has the attendee's private link and profile status and, once a plan is published,
    three columns per meal (table, time, place), named after the meal.
    """
    secret = links.link_secret(session)
    zone = ZoneInfo(conference.timezone)
    plan_ids = plan_service.live_plan_ids(session, conference=conference)
    rounds: list[Round] = []
    seats: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    if plan_ids:
        rounds = list(
            session.scalars(
                select(Round).where(Round.conference_id == conference.id).order_by(*round_order())
            )
        )
        seats = {
            (attendee_id, round_id): table
            for attendee_id, round_id, table in session.execute(
                select(Assignment.attendee_id, Assignment.round_id, Assignment.table_number).where(
                    Assignment.plan_id == plan_ids[0]
                )
            )
        }
    columns = list(MAIL_MERGE_COLUMNS)
    for round_ in rounds:
        columns += [f"{round_.name} table", f"{round_.name} time", f"{round_.name} place"]
    stmt = (
        select(Attendee)
        .where(
            Attendee.conference_id == conference.id,
            Attendee.erased_at.is_(None),
            Attendee.status != AttendeeStatus.CANCELLED,
        )
        .order_by(Attendee.external_id)
    )
    rows: list[dict[str, Any]] = []
    for attendee in session.scalars(stmt):
        row: dict[str, Any] = {
            "attendee_id": attendee.external_id,
            "name": attendee.name,
            "email": attendee.email or "",
            "link": links.link_url(links.token_for(attendee, secret)),
            "profile": profile_status(attendee),
            "link_opened": attendee.link_opened_at is not None,
        }
        for round_ in rounds:
            table = seats.get((attendee.id, round_.id))
            seated = table is not None
            row[f"{round_.name} table"] = table if seated else ""
            row[f"{round_.name} time"] = (
                round_.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                if seated and round_.starts_at
                else ""
            )
            row[f"{round_.name} place"] = round_.location if seated else ""
        rows.append(row)
    return columns, rows
