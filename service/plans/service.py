"""Plans: stored seatings of a conference's rounds, and which one is published."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    Text,
    Uuid,
    and_,
    bindparam,
    cast,
    column,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.problem import Weights
from matching.types import Attendee as MAttendee
from matching.types import Constraints, Pin, RoundKind, Seating
from matching.types import Round as MRound
from matching.wording import MATE_GONE, topics_used
from service.audit import service as audit
from service.db import utcnow
from service.embedding import Encoder, embed
from service.errors import AppError, Conflict, Infeasible, Invalid, NotFound, PreconditionFailed
from service.models import Assignment, Attendee, Conference, Plan, PlanTable, Round
from service.plans.schemas import MoveEdit, PinEdit, SwapEdit
from service.rounds import service as round_service
from service.rules import service as rule_service
from service.webhooks import events as webhook_events


def published_plan(session: Session, *, conference: Conference) -> Plan | None:
    """The live plan of a conference, if one is published."""
    stmt = select(Plan).where(Plan.conference_id == conference.id, Plan.status == "published")
    return session.scalar(stmt)


def live_plan_ids(session: Session, *, conference: Conference) -> list[uuid.UUID]:
    """The id of the conference's published plan (a list: empty when none is)."""
    stmt = select(Plan.id).where(Plan.conference_id == conference.id, Plan.status == "published")
    return list(session.scalars(stmt))


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


#: ``Plan.params`` key: the plan that was live when this one was queued (None: nothing was).
LIVE_PLAN_KEY = "live_plan_id"


def _lock_conference(session: Session, *, conference: Conference) -> None:
    """Make this transaction the conference's only writer of plans until it ends.

    A write to the conference row: a row lock on PostgreSQL, the database's write lock on
    SQLite. Whatever is read after it is what the other transactions committed.
    """
    session.execute(
        update(Conference)
        .where(Conference.id == conference.id)
        .values(updated_at=Conference.updated_at)
        .execution_options(synchronize_session=False)
    )


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


def publish(
    session: Session,
    *,
    conference: Conference,
    plan: Plan,
    actor: str,
    expected_version: int | None = None,
) -> Plan:
    """Make ``plan`` the live plan; the previous live plan is superseded in the same transaction.

    Publishes of a conference take turns, and every check is made again once it is this one's
    turn, so of two publishes at once one wins and the other gets its reason.

    Raises:
        PreconditionFailed: ``expected_version`` is not the plan's version.
        Conflict: the plan is not ready, or the plan live now is not the one it was built on
            (publishing it would undo the other publish unseen).
    """
    _lock_conference(session, conference=conference)
    session.refresh(plan, ["status", "version", "based_on_id", "params"])
    if expected_version is not None and expected_version != plan.version:
        raise PreconditionFailed(
            f"The plan changed (version {plan.version}, you sent {expected_version}); reload it "
            "first.",
            headers={"ETag": f'"{plan.version}"'},
        )
    if plan.status != "ready":
        raise Conflict(f"Only a ready plan can be published; this one is {plan.status}.")
    live = live_plan_ids(session, conference=conference)
    known, base = built_on(plan)
    if known and list(live) != ([base] if base is not None else []):
        now_live = live[0] if live else None
        made_on = f"plan '{base}'" if base is not None else "no published plan"
        raise Conflict(
            f"Plan '{plan.id}' was built on {made_on}, but plan '{now_live}' has been "
            "published since; publishing this one would undo it. Start a re-plan "
            '({"replan": true}) from the live plan instead.',
            live_plan_id=str(now_live) if now_live is not None else None,
            based_on_id=str(base) if base is not None else None,
        )
    now = utcnow()
    if live:
        session.execute(
            update(Plan)
            .where(Plan.id.in_(live), Plan.status == "published")
            .values(status="superseded", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    try:
        made_live = session.execute(
            update(Plan)
            .where(Plan.id == plan.id, Plan.status == "ready", Plan.version == plan.version)
            .values(status="published", published_at=now, version=Plan.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError as exc:  # the one-live-plan index: another publish got there first
        raise Conflict("Another plan of this conference was published at the same time.") from exc
    if getattr(made_live, "rowcount", 1) != 1:
        raise Conflict("The plan changed while it was being published; reload it.")
    session.refresh(plan, ["status", "version", "published_at", "updated_at"])
    for row in list(session.identity_map.values()):
        if isinstance(row, Plan) and row.id in live:
            session.expire(row)
    link_mates(session, plan=plan)
    webhook_events.plan_published(session, conference=conference, plan=plan)
    audit.record(
        session,
        actor=actor,
        action="plan.published",
        target_type="plan",
        target_id=plan.id,
        conference_id=conference.id,
    )
    return plan


def link_mates(session: Session, *, plan: Plan) -> None:
    """Note on every seat which tablemate its why line is about, as the plan's report says.

    Pages then name that tablemate as they are called today, leave out the words of a
    tablemate who hides their profile, and drop the line when the tablemate is gone. The
    seats' keys go to the database as one JSON document joined on the seat's unique index:
    one statement for a 20,000-person plan, whatever the planner knows of the tables.
    """
    people: dict[str, Any] = (plan.report or {}).get("attendees") or {}
    if not people:
        return
    postgresql = session.get_bind().dialect.name == "postgresql"

    def key(value: uuid.UUID) -> str:
        return str(value) if postgresql else value.hex  # as each database stores a UUID

    ids = {
        external_id: key(attendee_id)
        for external_id, attendee_id in session.execute(
            select(Attendee.external_id, Attendee.id).where(
                Attendee.conference_id == plan.conference_id, Attendee.erased_at.is_(None)
            )
        )
    }
    rounds = {
        name: key(round_id)
        for name, round_id in session.execute(
            select(Round.name, Round.id).where(Round.conference_id == plan.conference_id)
        )
    }
    triples = [
        {"round": rounds[round_name], "reader": ids[person], "mate": ids[seat["kindred"]]}
        for person, seats_of in people.items()
        if person in ids and isinstance(seats_of, dict)
        for round_name, seat in seats_of.items()
        if round_name in rounds and isinstance(seat, dict) and seat.get("kindred") in ids
    ]
    if not triples:
        return
    keys = ("round", "reader", "mate")
    if postgresql:
        rows = (
            func.json_to_recordset(cast(bindparam("mates", triples, type_=JSON), JSON))
            .table_valued(*(column(name, Uuid) for name in keys))
            .render_derived(with_types=True)
        )
        source = select(*(rows.c[name] for name in keys))
    else:
        each = func.json_each(json.dumps(triples)).table_valued("value")
        source = select(
            *(func.json_extract(each.c.value, f"$.{name}").label(name) for name in keys)
        )
    # Materialized, so the database reads the document once and finds each seat by its index.
    given = source.cte("mates").prefix_with("MATERIALIZED")
    session.execute(
        update(Assignment)
        .values(mate_id=given.c.mate)
        .where(
            Assignment.plan_id == plan.id,
            Assignment.round_id == given.c.round,
            Assignment.attendee_id == given.c.reader,
        )
        .execution_options(synchronize_session=False)
    )


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


# --- matching runs ---------------------------------------------------------------------------

ACTIVE_STATUSES = ("queued", "running")
DEFAULT_TIME_BUDGET = 30.0


class PreconditionRequired(AppError):
    status, slug, title = 428, "precondition-required", "If-Match required"


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


def ordered_rounds(session: Session, *, conference: Conference) -> list[Round]:
    stmt = (
        select(Round)
        .where(Round.conference_id == conference.id)
        .order_by(Round.starts_at.is_(None), Round.starts_at, Round.name)
    )
    return list(session.scalars(stmt))


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
    rounds = ordered_rounds(session, conference=conference)
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
    plan = Plan(
        conference_id=conference.id,
        status="queued",
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
            Attendee.status == "registered",
            Attendee.erased_at.is_(None),
        )
    )
    return [
        Pin(attendee_id=external_id, round_name=names[round_id], table=number - 1)
        for round_id, number, external_id in rows
    ]


def planned_round_ids(plan: Plan) -> list[uuid.UUID]:
    """The rounds this plan's run seated (the others are carried over from the published plan)."""
    return [uuid.UUID(r) for r in plan.params.get("round_ids", [])]


# --- matching objects from rows ----------------------------------------------------------------


def matching_attendee(row: Attendee, *, dinner: bool | None = None) -> MAttendee:
    return MAttendee(
        id=row.external_id,
        name=row.name,
        email=row.email or "",
        affiliation=row.affiliation or "",
        interests=row.interests or "",
        hometown=row.hometown or "",
        languages=tuple(row.languages or ()),
        solo=bool(row.solo),
        party=row.party or None,
        dinner=bool(row.dinner) if dinner is None else dinner,
        first_time=bool(row.first_time),
    )


def matching_round(row: Round, *, capacities: Sequence[int] | None = None) -> MRound:
    """The round as the engine sees it; ``capacities`` override those of the row (a plan's)."""
    kind: RoundKind = "dinner" if row.kind == "dinner" else "lunch"
    if row.table_size is not None:
        return MRound(name=row.name, kind=kind, table_size=row.table_size)
    caps = capacities if capacities is not None else (row.capacities or [])
    return MRound(name=row.name, kind=kind, capacities=tuple(caps))


@dataclasses.dataclass
class PlanState:
    """A stored plan as the engine sees it, for checking edits and rebuilding the report."""

    rounds: list[Round]
    attendees: list[Attendee]
    by_external: dict[str, Attendee]
    seating: dict[uuid.UUID, list[list[Attendee]]]
    capacities: dict[uuid.UUID, list[int]]
    history: list[list[str]]
    #: This plan's pins plus the conference's keep-apart and keep-together rules.
    constraints: Constraints

    def m_rounds(self) -> list[MRound]:
        return [matching_round(r, capacities=self.capacities[r.id]) for r in self.rounds]

    def m_attendees(self) -> list[MAttendee]:
        diners = {
            a.id for r in self.rounds if r.kind == "dinner" for t in self.seating[r.id] for a in t
        }
        has_dinner = any(r.kind == "dinner" for r in self.rounds)
        return [
            matching_attendee(a, dinner=(a.id in diners) if has_dinner else None)
            for a in self.attendees
        ]

    def m_seating(self) -> Seating:
        return {
            r.name: [[a.external_id for a in t] for t in self.seating[r.id]] for r in self.rounds
        }


def plan_state(session: Session, *, plan: Plan) -> PlanState:
    """Load the planned rounds of ``plan`` with their seats, pins and the carried-over history."""
    planned = set(planned_round_ids(plan))
    tables = session.scalars(
        select(PlanTable)
        .where(PlanTable.plan_id == plan.id)
        .order_by(PlanTable.round_id, PlanTable.number)
    ).all()
    capacities: dict[uuid.UUID, list[int]] = {}
    for t in tables:
        capacities.setdefault(t.round_id, []).append(t.capacity)
    rows = session.execute(
        select(Assignment, Attendee)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(Assignment.plan_id == plan.id)
        .order_by(Assignment.table_number, Attendee.external_id)
    ).all()
    seating: dict[uuid.UUID, list[list[Attendee]]] = {
        rid: [[] for _ in caps] for rid, caps in capacities.items()
    }
    history_tables: dict[tuple[uuid.UUID, int], list[str]] = {}
    pins: list[Pin] = []
    people: dict[uuid.UUID, Attendee] = {}
    round_rows = {
        r.id: r for r in session.scalars(select(Round).where(Round.id.in_(list(capacities))))
    }
    for seat, person in rows:
        if seat.round_id in planned:
            seating[seat.round_id][seat.table_number - 1].append(person)
            people[person.id] = person
            if seat.pinned:
                pins.append(
                    Pin(
                        attendee_id=person.external_id,
                        round_name=round_rows[seat.round_id].name,
                        table=seat.table_number - 1,
                    )
                )
        else:
            history_tables.setdefault((seat.round_id, seat.table_number), []).append(
                person.external_id
            )
    rounds = sorted(
        (round_rows[r] for r in planned if r in round_rows),
        key=lambda r: (r.starts_at is None, r.starts_at or utcnow(), r.name),
    )
    attendees = sorted(people.values(), key=lambda a: a.external_id)
    return PlanState(
        rounds=rounds,
        attendees=attendees,
        by_external={a.external_id: a for a in attendees},
        seating={r.id: seating[r.id] for r in rounds},
        capacities={r.id: capacities[r.id] for r in rounds},
        history=list(history_tables.values()),
        constraints=rule_service.constraints(session, conference_id=plan.conference_id, pins=pins),
    )


def merge_carried(
    report: dict[str, Any],
    *,
    carried: dict[str, Any] | None,
    round_order: Sequence[str],
    carried_names: Sequence[str],
) -> dict[str, Any]:
    """Add the published report's sections of carried-over rounds to a run's report."""
    names = set(carried_names)
    if not carried or not names:
        return report
    extra = [dict(r, carried=True) for r in carried.get("rounds", []) if r.get("name") in names]
    order = {name: i for i, name in enumerate(round_order)}
    merged = sorted(
        [*report.get("rounds", []), *extra], key=lambda r: order.get(r.get("name"), len(order))
    )
    people = {k: dict(v) for k, v in report.get("attendees", {}).items()}
    for person, seats_of in carried.get("attendees", {}).items():
        for name, seat in seats_of.items():
            if name in names:
                people.setdefault(person, {})[name] = seat
    return {**report, "rounds": merged, "attendees": people}


# --- review ----------------------------------------------------------------------------------


def _report_round(plan: Plan, name: str) -> dict[str, Any] | None:
    for entry in (plan.report or {}).get("rounds", []):
        if entry.get("name") == name:
            found: dict[str, Any] = entry
            return found
    return None


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


def plan_tables(session: Session, *, plan: Plan, round_: Round) -> list[dict[str, Any]]:
    """The tables of one round of a plan with their members and report figures."""
    tables = session.scalars(
        select(PlanTable)
        .where(PlanTable.plan_id == plan.id, PlanTable.round_id == round_.id)
        .order_by(PlanTable.number)
    ).all()
    members: dict[int, list[dict[str, Any]]] = {t.number: [] for t in tables}
    rows = session.execute(
        select(Assignment, Attendee)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(Assignment.plan_id == plan.id, Assignment.round_id == round_.id)
        .order_by(Assignment.table_number, Attendee.name, Attendee.external_id)
    )
    for seat, person in rows:
        members.setdefault(seat.table_number, []).append(
            {
                "external_id": person.external_id,
                "name": person.name,
                "affiliation": person.affiliation,
                "hometown": person.hometown,
                "solo": person.solo,
                "first_time": person.first_time,
                "pinned": seat.pinned,
                "why": seat.why,
            }
        )
    detail = (_report_round(plan, round_.name) or {}).get("tables_detail", [])
    figures = {
        d["table"]: {k: v for k, v in d.items() if k not in ("table", "members", "topics")}
        for d in detail
    }
    return [
        {
            "table": t.number,
            "capacity": t.capacity,
            "topics": list(t.topics or []),
            "figures": figures.get(t.number, {}),
            "members": members.get(t.number, []),
        }
        for t in tables
    ]


def plan_map(
    session: Session, *, plan: Plan, round_: Round, encoder: Encoder | None = None
) -> list[dict[str, Any]]:
    """The round's attendees in two dimensions (PCA of their profile embeddings)."""
    from sklearn.decomposition import PCA

    rows = session.execute(
        select(Assignment.table_number, Attendee)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(Assignment.plan_id == plan.id, Assignment.round_id == round_.id)
        .order_by(Assignment.table_number, Attendee.external_id)
    ).all()
    people = [person for _, person in rows]
    xy = np.zeros((len(people), 2))
    if len(people) >= 2:
        x = embed(people, encoder=encoder)
        n_components = min(2, x.shape[0], x.shape[1])
        reduced = PCA(n_components=n_components, random_state=0).fit_transform(x)
        xy[:, :n_components] = reduced
    return [
        {
            "external_id": person.external_id,
            "name": person.name,
            "x": round(float(xy[i, 0]), 5),
            "y": round(float(xy[i, 1]), 5),
            "table": table,
        }
        for i, (table, person) in enumerate(rows)
    ]


# --- edits -----------------------------------------------------------------------------------


def _hard_violations(state: PlanState, round_: Round, tables: list[list[str]]) -> list[Any]:
    from matching.rules import check_hard

    m_round = matching_round(round_, capacities=state.capacities[round_.id])
    return check_hard(
        state.m_attendees(),
        [m_round],
        {round_.name: tables},
        constraints=state.constraints,
    )


def rebuild_report(
    session: Session, *, plan: Plan, state: PlanState, encoder: Encoder | None = None
) -> dict[str, Any]:
    """Measure the plan again after an edit (carried-over rounds keep their section)."""
    from matching.report import build_report

    old = plan.report or {}
    threshold = (old.get("summary") or {}).get("kindred_threshold")
    fresh = build_report(
        state.m_attendees(),
        state.m_rounds(),
        state.m_seating(),
        embed(state.attendees, encoder=encoder),
        history=state.history,
        constraints=state.constraints,
        kindred_threshold=threshold,
    )
    carried = [r for r in old.get("rounds", []) if r.get("carried")]
    order = [r.get("name") for r in old.get("rounds", [])]
    return merge_carried(
        fresh.to_dict(),
        carried=old,
        round_order=[n for n in order if n] or [r.name for r in state.rounds],
        carried_names=[r["name"] for r in carried],
    )


def refresh_explanations(
    session: Session, *, plan: Plan, round_: Round, report: dict[str, Any]
) -> None:
    """Write a round's table topics and each seat's "why" from the report."""
    entry = next((r for r in report.get("rounds", []) if r.get("name") == round_.name), None)
    if entry is None:
        return
    topics = {d["table"]: list(d.get("topics", [])) for d in entry.get("tables_detail", [])}
    for table in session.scalars(
        select(PlanTable).where(PlanTable.plan_id == plan.id, PlanTable.round_id == round_.id)
    ):
        table.topics = topics.get(table.number, [])
    people = report.get("attendees", {})
    rows = session.execute(
        select(Assignment, Attendee.external_id)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(Assignment.plan_id == plan.id, Assignment.round_id == round_.id)
    )
    for seat, external_id in rows:
        seat.why = (people.get(external_id, {}).get(round_.name) or {}).get("why", "") or ""


def edit_plan(
    session: Session,
    *,
    conference: Conference,
    plan: Plan,
    edit: MoveEdit | SwapEdit | PinEdit,
    expected_version: int | None,
    actor: str,
    encoder: Encoder | None = None,
) -> Plan:
    """Move, swap or pin attendees in a ready plan, keeping every hard rule.

    Raises:
        PreconditionRequired: no version was sent (If-Match).
        Conflict: the plan is not ready (only ready plans are edited).
        PreconditionFailed: the version sent is not the plan's current one.
        Invalid: the edit would break a hard rule (the problem names it) or names nobody.
    """
    if expected_version is None:
        raise PreconditionRequired(
            f'Send the plan\'s version as If-Match: "{plan.version}" (from its ETag) so edits '
            "never overwrite each other."
        )
    if plan.status != "ready":
        raise Conflict(f"Only a ready plan can be edited; this one is {plan.status}.")
    if expected_version != plan.version:
        raise PreconditionFailed(
            f"The plan changed (version {plan.version}, you sent {expected_version}); reload it "
            "and edit again.",
            headers={"ETag": f'"{plan.version}"'},
        )
    round_ = plan_round(session, conference=conference, plan=plan, round_id=edit.round_id)
    state = plan_state(session, plan=plan)
    if round_.id not in state.seating:
        raise Conflict(
            f"Round '{round_.name}' is carried over from the published plan; re-plan it to "
            "change its tables."
        )
    seats_of = {
        seat.attendee_id: seat
        for seat in session.scalars(
            select(Assignment).where(
                Assignment.plan_id == plan.id, Assignment.round_id == round_.id
            )
        )
    }

    def seat_of(external_id: str) -> Assignment:
        person = state.by_external.get(external_id)
        seat = seats_of.get(person.id) if person is not None else None
        if seat is None:
            raise Invalid(
                f"Attendee '{external_id}' has no seat in round '{round_.name}' of this plan.",
                rule="unseated",
            )
        return seat

    tables = [[a.external_id for a in t] for t in state.seating[round_.id]]
    details: dict[str, Any] = {"op": edit.op, "round": round_.name}
    if isinstance(edit, PinEdit):
        seat = seat_of(edit.attendee)
        seat.pinned = edit.pinned
        details.update(attendee=edit.attendee, pinned=edit.pinned, table=seat.table_number)
    else:
        if isinstance(edit, MoveEdit):
            moves = [(edit.attendee, seat_of(edit.attendee), edit.table)]
            if not 1 <= edit.table <= len(tables):
                raise Invalid(
                    f"Round '{round_.name}' has tables 1 to {len(tables)}; there is no table "
                    f"{edit.table}.",
                    rule="table",
                )
            details.update(attendee=edit.attendee, table=edit.table)
        else:
            sa, sb = seat_of(edit.a), seat_of(edit.b)
            if sa.table_number == sb.table_number:
                raise Invalid(
                    f"'{edit.a}' and '{edit.b}' already sit at table {sa.table_number}.",
                    rule="swap",
                )
            moves = [(edit.a, sa, sb.table_number), (edit.b, sb, sa.table_number)]
            details.update(a=edit.a, b=edit.b)
        for external_id, seat, _ in moves:
            if seat.pinned:
                raise Invalid(
                    f"'{external_id}' is pinned to table {seat.table_number} in round "
                    f"'{round_.name}'; unpin them first.",
                    rule="pin",
                )
        before = {(v.rule, v.message) for v in _hard_violations(state, round_, tables)}
        for external_id, seat, target in moves:
            tables[seat.table_number - 1].remove(external_id)
            tables[target - 1].append(external_id)
        broken = [
            v for v in _hard_violations(state, round_, tables) if (v.rule, v.message) not in before
        ]
        if broken:
            raise Invalid(
                f"This edit breaks the {broken[0].rule} rule: {broken[0].message}",
                rule=broken[0].rule,
                errors=[{"rule": v.rule, "detail": v.message} for v in broken],
            )
        for _, seat, target in moves:
            seat.table_number = target
        session.flush()
        session.expire_all()
        state = plan_state(session, plan=plan)
        plan.report = rebuild_report(session, plan=plan, state=state, encoder=encoder)
        refresh_explanations(session, plan=plan, round_=round_, report=plan.report)
    bumped = session.execute(
        update(Plan)
        .where(Plan.id == plan.id, Plan.version == expected_version)
        .values(version=Plan.version + 1, updated_at=utcnow())
    )
    if getattr(bumped, "rowcount", 1) != 1:
        raise PreconditionFailed("The plan changed while this edit was made; reload it.")
    audit.record(
        session,
        actor=actor,
        action="plan.edited",
        target_type="plan",
        target_id=plan.id,
        conference_id=conference.id,
        details=details,
    )
    session.flush()
    session.refresh(plan)
    return plan


# --- erasure ---------------------------------------------------------------------------------

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
        .where(Plan.conference_id == conference.id, Plan.status == "running")
        .values(status="queued", progress=0.0, message=ERASED_WHILE_RUNNING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def forget_attendee(
    session: Session, *, conference: Conference, attendee: Attendee, erased_ref: str
) -> None:
    """Take a person about to be erased out of every plan's words.

    Their own why lines are emptied; their tablemates' lines about them say only that their
    closest match is no longer coming; table topics keep only words the other members use;
    every stored report loses their entry and names their seats ``erased_ref``. Seats
    themselves are left to the caller.
    """
    external_id = attendee.external_id
    mentions = or_(
        cast(Plan.report, Text).contains(json.dumps(external_id), autoescape=True),
        Plan.error.contains(repr(external_id), autoescape=True),
        Plan.id.in_(
            select(Assignment.plan_id).where(
                or_(Assignment.attendee_id == attendee.id, Assignment.mate_id == attendee.id)
            )
        ),
    )
    names = {
        r.id: r.name
        for r in session.scalars(select(Round).where(Round.conference_id == conference.id))
    }
    said = re.compile(rf"(?<!\w){re.escape(attendee.name)}(?!\w)") if attendee.name else None
    for plan in session.scalars(
        select(Plan).where(Plan.conference_id == conference.id, mentions)
    ).all():
        report: dict[str, Any] = plan.report or {}
        people: dict[str, Any] = report.get("attendees") or {}
        tables = {
            (round_id, number)
            for round_id, number in session.execute(
                select(Assignment.round_id, Assignment.table_number).where(
                    Assignment.plan_id == plan.id, Assignment.attendee_id == attendee.id
                )
            )
        }
        at_tables = [
            and_(Assignment.round_id == r, Assignment.table_number == n) for r, n in tables
        ]
        profiles: dict[tuple[uuid.UUID, int], list[str]] = {key: [] for key in tables}
        for seat, person in session.execute(
            select(Assignment, Attendee)
            .join(Attendee, Attendee.id == Assignment.attendee_id)
            .where(
                Assignment.plan_id == plan.id,
                or_(Assignment.mate_id == attendee.id, *at_tables),
            )
        ):
            if person.id == attendee.id:
                seat.why, seat.mate_id = "", None
                continue
            profiles.setdefault((seat.round_id, seat.table_number), []).append(person.interests)
            entry = (people.get(person.external_id) or {}).get(names.get(seat.round_id, "")) or {}
            if (
                seat.mate_id == attendee.id
                or (isinstance(entry, dict) and entry.get("kindred") == external_id)
                or (said is not None and said.search(seat.why or ""))
            ):
                seat.why, seat.mate_id = MATE_GONE, None
        if at_tables:
            for table in session.scalars(
                select(PlanTable).where(
                    PlanTable.plan_id == plan.id,
                    or_(*(and_(PlanTable.round_id == r, PlanTable.number == n) for r, n in tables)),
                )
            ):
                table.topics = _topics_without(
                    table.topics, profiles.get((table.round_id, table.number), [])
                )
        if report:
            plan.report = _report_without(
                session,
                conference=conference,
                report=report,
                external_id=external_id,
                erased_ref=erased_ref,
            )
        if plan.error:
            plan.error = _without_id(plan.error, external_id, erased_ref)


def _topics_without(topics: Sequence[str] | None, profiles: Sequence[str]) -> list[str]:
    return topics_used(list(topics or []), profiles)


def _without_id(text: str, external_id: str, erased_ref: str) -> str:
    """``text`` with the quoted id (as messages quote it) replaced by ``erased_ref``."""
    for quote in (repr, json.dumps):
        text = text.replace(quote(external_id), quote(erased_ref))
    return text


def _report_without(
    session: Session,
    *,
    conference: Conference,
    report: dict[str, Any],
    external_id: str,
    erased_ref: str,
) -> dict[str, Any]:
    """A copy of a stored report with nothing left of one person (see ``forget_attendee``)."""
    people: dict[str, Any] = {}
    for person, seats_of in (report.get("attendees") or {}).items():
        if person == external_id:
            continue
        if not isinstance(seats_of, dict):
            people[person] = seats_of
            continue
        people[person] = {
            name: (
                {**seat, "kindred": None, "shared_topics": [], "why": MATE_GONE}
                if isinstance(seat, dict) and seat.get("kindred") == external_id
                else seat
            )
            for name, seat in seats_of.items()
        }
    shared_tables = [
        d
        for entry in report.get("rounds") or []
        for d in entry.get("tables_detail") or []
        if external_id in (d.get("members") or [])
    ]
    others = {m for d in shared_tables for m in d.get("members") or []} - {external_id}
    interests: dict[str, str] = {}
    if others:
        interests = dict(
            session.execute(
                select(Attendee.external_id, Attendee.interests).where(
                    Attendee.conference_id == conference.id,
                    Attendee.external_id.in_(sorted(others)),
                )
            ).all()
        )

    def table_without(detail: dict[str, Any]) -> dict[str, Any]:
        members = detail.get("members") or []
        if external_id not in members:
            return detail
        texts = [interests.get(m, "") for m in members if m != external_id]
        return {
            **detail,
            "members": [erased_ref if m == external_id else m for m in members],
            "topics": _topics_without(detail.get("topics"), texts),
        }

    rounds = [
        {**entry, "tables_detail": [table_without(d) for d in entry.get("tables_detail") or []]}
        for entry in report.get("rounds") or []
    ]
    hard = [
        {
            **v,
            "attendees": [erased_ref if a == external_id else a for a in v.get("attendees") or []],
            "message": _without_id(str(v.get("message", "")), external_id, erased_ref),
        }
        for v in report.get("hard") or []
    ]
    return {**report, "attendees": people, "rounds": rounds, "hard": hard}
