"""Plans: stored seatings of a conference's rounds, and which one is published."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.problem import Weights
from matching.types import Attendee as MAttendee
from matching.types import Constraints, Pin, RoundKind, Seating
from matching.types import Round as MRound
from service.audit import service as audit
from service.db import utcnow
from service.embedding import Encoder, embed
from service.errors import AppError, Conflict, Invalid, NotFound, PreconditionFailed
from service.models import Assignment, Attendee, Conference, Plan, PlanTable, Round
from service.plans.schemas import MoveEdit, PinEdit, SwapEdit
from service.rules import service as rule_service


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
    plan = Plan(
        conference_id=conference.id,
        status="queued",
        message="Waiting for a worker",
        params={
            "round_ids": [str(r.id) for r in rounds],
            "seed": seed if seed is not None else secrets.randbelow(2**31),
            "time_budget": time_budget if time_budget is not None else DEFAULT_TIME_BUDGET,
            "weights": dict(weights or {}),
            "replan": replan,
            "attempts": 0,
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
        fresh,
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
                f"This edit breaks the {broken[0].rule.replace('_', '-')} rule: "
                f"{broken[0].message}",
                rule=broken[0].rule.replace("_", "-"),
                errors=[{"rule": v.rule.replace("_", "-"), "detail": v.message} for v in broken],
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
