"""Round logic and queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.feasibility import Feasibility, Finding, check_feasibility
from matching.types import Attendee as MAttendee
from matching.types import Pin
from service.audit import service as audit
from service.errors import Conflict, Invalid, NotFound, reject_nulls
from service.models import (
    Assignment,
    Attendee,
    AttendeeStatus,
    Conference,
    Plan,
    PlanStatus,
    Round,
)
from service.plans.engine import matching_round
from service.rounds.order import round_order
from service.rounds.schemas import CheckOut, RoundIn, RoundPatch, check_table_plan
from service.rules import service as rule_service


def _localise(starts_at: datetime | None, conference: Conference) -> datetime | None:
    if starts_at is not None and starts_at.tzinfo is None:
        return starts_at.replace(tzinfo=ZoneInfo(conference.timezone))
    return starts_at


def _check_unique_name(
    session: Session, *, conference: Conference, name: str, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(Round.id).where(Round.conference_id == conference.id, Round.name == name)
    existing = session.scalar(stmt)
    if existing is not None and existing != exclude:
        raise Conflict(f"This conference already has a round named '{name}'.")


def check_rounds(
    session: Session, *, conference: Conference, rounds: Sequence[Round], pins: Sequence[Pin] = ()
) -> Feasibility:
    """The instant checks of ``rounds`` (in the order they are held) against the attendees
    registered now and the conference's rules: counts only, nothing is embedded.
    """
    people = [
        MAttendee(id=external_id, name=name or "", dinner=bool(dinner))
        for external_id, name, dinner in session.execute(
            select(Attendee.external_id, Attendee.name, Attendee.dinner)
            .where(
                Attendee.conference_id == conference.id,
                Attendee.status == AttendeeStatus.REGISTERED,
                Attendee.erased_at.is_(None),
            )
            .order_by(Attendee.external_id)
        )
    ]
    constraints = rule_service.constraints(session, conference_id=conference.id, pins=list(pins))
    return check_feasibility(people, [matching_round(r) for r in rounds], constraints)


def check_out(finding: Finding) -> CheckOut:
    return CheckOut(
        rule=finding.rule,
        round=finding.round,
        detail=finding.message,
        attendees=list(finding.attendees),
        minimum=finding.minimum,
    )


def round_warnings(session: Session, *, conference: Conference, row: Round) -> list[CheckOut]:
    """What the checks find for ``row`` among all the conference's rounds, all as warnings.

    A round is saved whatever they find (people may still register or cancel); starting a
    plan refuses what cannot hold then.
    """
    session.flush()
    result = check_rounds(
        session, conference=conference, rounds=list_rounds(session, conference=conference)
    )
    return [check_out(f) for f in [*result.errors, *result.warnings] if f.round == row.name]


def list_rounds(session: Session, *, conference: Conference) -> list[Round]:
    """The conference's rounds in the one round order (`service.rounds.order`)."""
    stmt = select(Round).where(Round.conference_id == conference.id).order_by(*round_order())
    return list(session.scalars(stmt))


def get_round(session: Session, *, conference: Conference, round_id: uuid.UUID) -> Round:
    row = session.get(Round, round_id)
    if row is None or row.conference_id != conference.id:
        raise NotFound(f"Round '{round_id}' was not found in this conference.")
    return row


def create_round(session: Session, *, conference: Conference, data: RoundIn, actor: str) -> Round:
    _check_unique_name(session, conference=conference, name=data.name)
    values = data.model_dump()
    values["starts_at"] = _localise(data.starts_at, conference)
    row = Round(conference_id=conference.id, **values)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.created",
        target_type="round",
        target_id=row.id,
        conference_id=conference.id,
        details={"name": row.name, "kind": row.kind},
    )
    return row


def update_round(
    session: Session, *, conference: Conference, row: Round, patch: RoundPatch, actor: str
) -> Round:
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        _check_unique_name(session, conference=conference, name=changes["name"], exclude=row.id)
    reject_nulls(changes, ("name", "kind", "location"))
    # Switching between a table size and explicit capacities clears the other one.
    if changes.get("table_size") is not None:
        changes.setdefault("capacities", None)
    if changes.get("capacities") is not None:
        changes.setdefault("table_size", None)
    table_size = changes.get("table_size", row.table_size)
    capacities = changes.get("capacities", row.capacities)
    try:
        check_table_plan(table_size, capacities)
    except ValueError as exc:
        raise Invalid(str(exc), errors=[{"pointer": "#/body", "detail": str(exc)}]) from exc
    if "starts_at" in changes:
        changes["starts_at"] = _localise(changes["starts_at"], conference)
    for key, value in changes.items():
        setattr(row, key, value)
    audit.record(
        session,
        actor=actor,
        action="round.updated",
        target_type="round",
        target_id=row.id,
        conference_id=conference.id,
        details={"fields": sorted(changes)},
    )
    return row


def delete_round(session: Session, *, conference: Conference, row: Round, actor: str) -> None:
    published = session.scalar(
        select(Assignment.id)
        .join(Plan, Plan.id == Assignment.plan_id)
        .where(Assignment.round_id == row.id, Plan.status == PlanStatus.PUBLISHED)
        .limit(1)
    )
    if published is not None:
        raise Conflict(
            f"Round '{row.name}' is part of the published plan; publish a plan without it first."
        )
    audit.record(
        session,
        actor=actor,
        action="round.deleted",
        target_type="round",
        target_id=row.id,
        conference_id=conference.id,
        details={"name": row.name},
    )
    session.delete(row)
