"""Plans: stored seatings of a conference's rounds, and which one is published."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.db import utcnow
from service.errors import Conflict, NotFound
from service.models import Assignment, Conference, Plan, PlanTable, Round


def published_plan(session: Session, *, conference: Conference) -> Plan | None:
    """The live plan of a conference, if one is published."""
    stmt = select(Plan).where(Plan.conference_id == conference.id, Plan.status == "published")
    return session.scalar(stmt)


def get_plan(session: Session, *, conference: Conference, plan_id: uuid.UUID) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None or plan.conference_id != conference.id:
        raise NotFound(f"Plan '{plan_id}' was not found in this conference.")
    return plan


def store_seating(
    session: Session,
    *,
    plan: Plan,
    seating: Mapping[uuid.UUID, Sequence[Sequence[uuid.UUID]]],
    capacities: Mapping[uuid.UUID, Sequence[int]],
    topics: Mapping[uuid.UUID, Sequence[Sequence[str]]] | None = None,
    why: Mapping[tuple[uuid.UUID, uuid.UUID], str] | None = None,
) -> None:
    """Write a plan's tables and seats: round id -> tables -> attendee ids (table 1 first)."""
    for round_id, tables in seating.items():
        round_topics = (topics or {}).get(round_id, [])
        for index, members in enumerate(tables):
            session.add(
                PlanTable(
                    plan_id=plan.id,
                    round_id=round_id,
                    number=index + 1,
                    capacity=capacities[round_id][index],
                    topics=list(round_topics[index]) if index < len(round_topics) else [],
                )
            )
            for attendee_id in members:
                session.add(
                    Assignment(
                        plan_id=plan.id,
                        round_id=round_id,
                        attendee_id=attendee_id,
                        table_number=index + 1,
                        why=(why or {}).get((round_id, attendee_id), ""),
                    )
                )
    session.flush()


def publish(session: Session, *, conference: Conference, plan: Plan, actor: str) -> Plan:
    """Make ``plan`` the live plan; the previous live plan is superseded in the same transaction."""
    if plan.status != "ready":
        raise Conflict(f"Only a ready plan can be published; this one is {plan.status}.")
    session.execute(
        update(Plan)
        .where(Plan.conference_id == conference.id, Plan.status == "published")
        .values(status="superseded")
    )
    plan.status = "published"
    plan.published_at = utcnow()
    plan.version += 1
    audit.record(
        session,
        actor=actor,
        action="plan.published",
        target_type="plan",
        target_id=plan.id,
        conference_id=conference.id,
    )
    return plan


def seats(session: Session, *, plan: Plan) -> list[tuple[Round, int, uuid.UUID]]:
    """Every seat of a plan as (round, table number, attendee id), in round and table order."""
    stmt = (
        select(Round, Assignment.table_number, Assignment.attendee_id)
        .join(Round, Round.id == Assignment.round_id)
        .where(Assignment.plan_id == plan.id)
        .order_by(Round.starts_at.is_(None), Round.starts_at, Round.name, Assignment.table_number)
    )
    return [(r, t, a) for r, t, a in session.execute(stmt)]


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {"id": str(plan.id), "status": plan.status, "published_at": plan.published_at}
