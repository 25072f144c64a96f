"""Plan rows: finding plans, naming them, and the one path that writes a plan's tables and seats."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.report import Report, Summary
from service.errors import NotFound
from service.models import Assignment, Conference, Plan, PlanStatus, PlanTable, Round

log = logging.getLogger(__name__)

#: ``Plan.params`` key: the plan that was live when this one was queued (None: nothing was).
LIVE_PLAN_KEY = "live_plan_id"
#: Plans the worker has yet to finish.
ACTIVE_STATUSES = (PlanStatus.QUEUED, PlanStatus.RUNNING)


def published_plan(session: Session, *, conference: Conference) -> Plan | None:
    """The live plan of a conference, if one is published."""
    stmt = select(Plan).where(
        Plan.conference_id == conference.id, Plan.status == PlanStatus.PUBLISHED
    )
    return session.scalar(stmt)


def live_plan_ids(session: Session, *, conference: Conference) -> list[uuid.UUID]:
    """The id of the conference's published plan (a list: empty when none is)."""
    stmt = select(Plan.id).where(
        Plan.conference_id == conference.id, Plan.status == PlanStatus.PUBLISHED
    )
    return list(session.scalars(stmt))


def get_plan(session: Session, *, conference: Conference, plan_id: uuid.UUID) -> Plan:
    """A plan of the conference.

    Raises:
        NotFound: no such plan in this conference.
    """
    plan = session.get(Plan, plan_id)
    if plan is None or plan.conference_id != conference.id:
        raise NotFound(f"Plan '{plan_id}' was not found in this conference.")
    return plan


def stored_report(plan: Plan) -> Report | None:
    """The plan's report, typed; None until the plan is ready, or for a report in a shape this
    version cannot read (stored by an older one)."""
    if not plan.report:
        return None
    try:
        return Report.from_dict(plan.report)
    except (KeyError, TypeError, ValueError):
        log.warning("plan %s has a report this version cannot read", plan.id)
        return None


def active_plan(session: Session, *, conference: Conference) -> Plan | None:
    """The conference's queued or running plan, if any."""
    stmt = select(Plan).where(Plan.conference_id == conference.id, Plan.status.in_(ACTIVE_STATUSES))
    return session.scalars(stmt).first()


def list_plans(session: Session, *, conference: Conference) -> list[Plan]:
    """Every plan of a conference, newest first."""
    stmt = (
        select(Plan)
        .where(Plan.conference_id == conference.id)
        .order_by(Plan.created_at.desc(), Plan.id)
    )
    return list(session.scalars(stmt))


def default_name(number: int, made: datetime, *, timezone: str) -> str:
    """A readable name for a conference's ``number``-th plan: "Plan 3 — 30 Nov 17:20".

    Example:
        >>> from datetime import UTC
        >>> default_name(3, datetime(2026, 11, 30, 16, 20, tzinfo=UTC), timezone="Europe/Berlin")
        'Plan 3 — 30 Nov 17:20'
    """
    local = made.astimezone(ZoneInfo(timezone))
    return f"Plan {number} — {local.day} {local:%b %H:%M}"


def next_name(session: Session, *, conference: Conference, made: datetime) -> str:
    """The default name of the plan the conference is about to get."""
    count = session.scalar(select(func.count()).where(Plan.conference_id == conference.id)) or 0
    return default_name(count + 1, made, timezone=conference.timezone)


def planned_round_ids(plan: Plan) -> list[uuid.UUID]:
    """The rounds this plan's run seated (the others are carried over from the published plan)."""
    return [uuid.UUID(r) for r in plan.params.get("round_ids", [])]


def built_on(plan: Plan) -> tuple[bool, uuid.UUID | None]:
    """Whether we know which plan was live when ``plan`` was made, and that plan.

    A re-plan is built on the plan it started from; any other run on the plan that was live
    when it was queued (its carried-over rounds and "new faces" history come from it). Plans
    stored by other means (tests, old versions) say nothing.
    """
    if plan.based_on_id is not None:
        return True, plan.based_on_id
    params = plan.params or {}
    if LIVE_PLAN_KEY not in params:
        return False, None
    value = params[LIVE_PLAN_KEY]
    return True, uuid.UUID(str(value)) if value else None


@dataclass(frozen=True)
class StoredSeat:
    """A seat as a plan keeps it (``table`` from 1)."""

    round_id: uuid.UUID
    table: int
    attendee_id: uuid.UUID
    pinned: bool = False
    why: str = ""


@dataclass(frozen=True)
class StoredTable:
    round_id: uuid.UUID
    number: int
    capacity: int
    topics: Sequence[str] = ()


def store_seating(
    session: Session,
    *,
    plan: Plan,
    seating: Mapping[uuid.UUID, Sequence[Sequence[uuid.UUID]]],
    capacities: Mapping[uuid.UUID, Sequence[int]],
    topics: Mapping[uuid.UUID, Sequence[Sequence[str]]] | None = None,
    why: Mapping[tuple[uuid.UUID, uuid.UUID], str] | None = None,
    pinned: frozenset[tuple[uuid.UUID, uuid.UUID]] = frozenset(),
    carried_tables: Sequence[StoredTable] = (),
    carried_seats: Sequence[StoredSeat] = (),
) -> None:
    """Write a plan's tables and seats: the only place seats are written.

    ``seating`` is round id -> tables -> attendee ids (table 1 first); ``pinned`` holds the
    (round id, attendee id) seats to keep pinned; ``carried_*`` are tables and seats copied
    as they are from the published plan (rounds a run left alone).
    """
    tables = [*carried_tables]
    seats = [*carried_seats]
    for round_id, round_tables in seating.items():
        round_topics = (topics or {}).get(round_id, [])
        for index, members in enumerate(round_tables):
            tables.append(
                StoredTable(
                    round_id=round_id,
                    number=index + 1,
                    capacity=capacities[round_id][index],
                    topics=round_topics[index] if index < len(round_topics) else (),
                )
            )
            seats.extend(
                StoredSeat(
                    round_id=round_id,
                    table=index + 1,
                    attendee_id=attendee_id,
                    pinned=(round_id, attendee_id) in pinned,
                    why=(why or {}).get((round_id, attendee_id), ""),
                )
                for attendee_id in members
            )
    session.add_all(
        PlanTable(
            plan_id=plan.id,
            round_id=t.round_id,
            number=t.number,
            capacity=t.capacity,
            topics=list(t.topics),
        )
        for t in tables
    )
    session.add_all(
        Assignment(
            plan_id=plan.id,
            round_id=s.round_id,
            attendee_id=s.attendee_id,
            table_number=s.table,
            pinned=s.pinned,
            why=s.why,
        )
        for s in seats
    )
    session.flush()


def plan_round(
    session: Session, *, conference: Conference, plan: Plan, round_id: uuid.UUID
) -> Round:
    """A round of the conference that this plan seats.

    Raises:
        NotFound: the round is unknown or not part of the plan.
    """
    row = session.get(Round, round_id)
    if row is None or row.conference_id != conference.id:
        raise NotFound(f"Round '{round_id}' was not found in this conference.")
    seated = session.scalar(
        select(PlanTable.id)
        .where(PlanTable.plan_id == plan.id, PlanTable.round_id == round_id)
        .limit(1)
    )
    if seated is None:
        raise NotFound(f"Plan '{plan.id}' has no tables for round '{row.name}'.")
    return row


def rename_plan(session: Session, *, plan: Plan, name: str) -> Plan:
    """Give a plan the name the organizer chose (any status; the seats stay as they are)."""
    plan.name = name
    session.flush()
    return plan


def stored_summary(plan: Plan) -> Summary | None:
    """The report's summary alone (reading the whole report costs more on big plans)."""
    summary = (plan.report or {}).get("summary")
    try:
        return Summary.from_dict(summary) if summary else None
    except (KeyError, TypeError, ValueError):
        return None
