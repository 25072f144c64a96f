"""Round logic and queries."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.errors import Conflict, Invalid, NotFound, reject_nulls
from service.models import Assignment, Conference, Plan, Round
from service.rounds.schemas import RoundIn, RoundPatch, check_table_plan


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


def list_rounds(session: Session, *, conference: Conference) -> list[Round]:
    stmt = (
        select(Round)
        .where(Round.conference_id == conference.id)
        .order_by(Round.starts_at.is_(None), Round.starts_at, Round.created_at)
    )
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
        .where(Assignment.round_id == row.id, Plan.status == "published")
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
