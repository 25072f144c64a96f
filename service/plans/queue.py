"""The plan queue: a matching run is checked at once, then queued for a worker."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.objective import Weights
from matching.types import Pin
from service.audit import service as audit
from service.db import utcnow
from service.errors import Conflict, Infeasible, Invalid
from service.models import (
    Assignment,
    Attendee,
    AttendeeStatus,
    Conference,
    Plan,
    PlanStatus,
    Round,
)
from service.plans.engine import conference_rounds
from service.plans.storage import (
    ACTIVE_STATUSES,
    LIVE_PLAN_KEY,
    active_plan,
    live_plan_ids,
    next_name,
)
from service.rounds import service as round_service

#: Seconds a run may search when the request names no budget.
DEFAULT_TIME_BUDGET = 30.0


def create_plan(
    session: Session,
    *,
    conference: Conference,
    round_ids: Sequence[uuid.UUID] | None,
    seed: int | None,
    time_budget: float | None,
    weights: Mapping[str, float] | None,
    replan: bool,
    actor: str,
) -> Plan:
    """Queue a matching run for the worker.

    Raises:
        Conflict: the conference already has a queued or running plan.
        Invalid: unknown rounds, no rounds at all, or unknown weights.
        Infeasible: the instant checks (`matching.feasibility`) find a round whose seats or
            rules cannot hold for the people registered now; nothing is queued.
    """
    # Serialise plan creation per conference (PostgreSQL; SQLite serialises writers anyway).
    session.execute(select(Conference.id).where(Conference.id == conference.id).with_for_update())
    running = active_plan(session, conference=conference)
    if running is not None:
        raise Conflict(
            f"Plan '{running.id}' is {running.status}; wait for it to finish before starting "
            "another.",
            plan_id=str(running.id),
        )
    rounds = conference_rounds(session, conference_id=conference.id)
    if not rounds:
        raise Invalid("The conference has no rounds yet; add a lunch or dinner first.")
    known = {r.id for r in rounds}
    if round_ids is not None:
        unknown = [str(r) for r in round_ids if r not in known]
        if unknown:
            raise Invalid(
                f"Unknown round(s) in this conference: {', '.join(unknown)}.",
                errors=[
                    {"pointer": "#/body/round_ids", "detail": f"unknown round {u}"} for u in unknown
                ],
            )
        wanted = set(round_ids)
        rounds = [r for r in rounds if r.id in wanted]
    if weights:
        try:
            Weights(**weights)
        except (TypeError, ValueError) as exc:
            names = ", ".join(f.name for f in dataclasses.fields(Weights))
            raise Invalid(
                f"Invalid weights: {exc}. Known weights: {names}.",
                errors=[{"pointer": "#/body/weights", "detail": str(exc)}],
            ) from exc
    live = live_plan_ids(session, conference=conference)
    checks = round_service.check_rounds(
        session,
        conference=conference,
        rounds=rounds,
        pins=_published_pins(session, plan_id=live[0], rounds=rounds) if replan and live else (),
    )
    if checks.errors:
        first = checks.errors[0]
        raise Infeasible(
            first.message,
            errors=[round_service.check_out(f).model_dump() for f in checks.errors],
            rule=first.rule,
            round=first.round,
        )
    now = utcnow()
    plan = Plan(
        conference_id=conference.id,
        name=next_name(session, conference=conference, made=now),
        created_at=now,
        status=PlanStatus.QUEUED,
        message="Waiting for a worker",
        params={
            LIVE_PLAN_KEY: str(live[0]) if live else None,
            "round_ids": [str(r.id) for r in rounds],
            "seed": seed if seed is not None else secrets.randbelow(2**31),
            "time_budget": time_budget if time_budget is not None else DEFAULT_TIME_BUDGET,
            "weights": dict(weights or {}),
            "replan": replan,
            "attempts": 0,
            "warnings": [round_service.check_out(f).model_dump() for f in checks.warnings],
        },
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="plan.created",
        target_type="plan",
        target_id=plan.id,
        conference_id=conference.id,
        details={"rounds": len(rounds), "replan": replan},
    )
    return plan


def _published_pins(session: Session, *, plan_id: uuid.UUID, rounds: Sequence[Round]) -> list[Pin]:
    """The pinned seats of the live plan in ``rounds``: a re-plan keeps them."""
    names = {r.id: r.name for r in rounds}
    rows = session.execute(
        select(Assignment.round_id, Assignment.table_number, Attendee.external_id)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(
            Assignment.plan_id == plan_id,
            Assignment.pinned.is_(True),
            Assignment.round_id.in_(list(names)),
            Attendee.status == AttendeeStatus.REGISTERED,
            Attendee.erased_at.is_(None),
        )
    )
    return [
        Pin(attendee_id=external_id, round_name=names[round_id], table=number - 1)
        for round_id, number, external_id in rows
    ]


ERASED_WHILE_RUNNING = "Queued again: an attendee was erased while it ran"


def restart_runs(session: Session, *, conference: Conference) -> None:
    """Send the conference's running plans back to the queue: they may hold an erased profile.

    The interrupted run finds its plan no longer running and stores nothing; the next run
    reads the attendees as they are now. Queued plans are locked until the caller commits, so
    no worker starts one from the profile about to be erased.
    """
    session.execute(
        select(Plan.id)
        .where(Plan.conference_id == conference.id, Plan.status.in_(ACTIVE_STATUSES))
        .with_for_update()
    )
    session.execute(
        update(Plan)
        .where(Plan.conference_id == conference.id, Plan.status == PlanStatus.RUNNING)
        .values(
            status=PlanStatus.QUEUED,
            progress=0.0,
            message=ERASED_WHILE_RUNNING,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
