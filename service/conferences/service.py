"""Conference logic and queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.conferences.schemas import ConferenceIn, ConferencePatch
from service.errors import Conflict, Invalid, reject_nulls
from service.models import Conference


def _dates(values: dict[str, Any]) -> dict[str, Any]:
    for key in ("starts_on", "ends_on"):
        if values.get(key) is not None:
            values[key] = values[key].isoformat()
    return values


def _check_dates(conference: Conference) -> None:
    if conference.starts_on and conference.ends_on and conference.ends_on < conference.starts_on:
        raise Invalid(
            "The conference ends before it starts.",
            errors=[{"pointer": "#/body/ends_on", "detail": "must not be before starts_on"}],
        )


def create_conference(session: Session, *, data: ConferenceIn, actor: str) -> Conference:
    if session.scalar(select(Conference.id).where(Conference.slug == data.slug)) is not None:
        raise Conflict(f"A conference with slug '{data.slug}' already exists.")
    conference = Conference(**_dates(data.model_dump()))
    _check_dates(conference)
    session.add(conference)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="conference.created",
        target_type="conference",
        target_id=conference.id,
        conference_id=conference.id,
        details={"slug": conference.slug},
    )
    return conference


def update_conference(
    session: Session, *, conference: Conference, patch: ConferencePatch, actor: str
) -> Conference:
    changes = _dates(patch.model_dump(exclude_unset=True))
    reject_nulls(changes, ("name", "timezone", "location"))
    for key, value in changes.items():
        setattr(conference, key, value)
    _check_dates(conference)
    audit.record(
        session,
        actor=actor,
        action="conference.updated",
        target_type="conference",
        target_id=conference.id,
        conference_id=conference.id,
        details={"fields": sorted(changes)},
    )
    return conference


def list_conferences(session: Session) -> list[Conference]:
    return list(session.scalars(select(Conference).order_by(Conference.created_at)))
