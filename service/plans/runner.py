"""Run one claimed plan: load its input, embed profiles, solve, and store the seating.

The database is touched in short transactions only (input, progress, result), so the web
process keeps reading and writing while the engine works. A failure marks the plan failed with
a readable reason; the published plan is never touched.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from matching import Infeasible, Matcher, Weights
from matching.rules import table_capacities
from matching.types import Constraints, Pin, Seating
from matching.types import Round as MRound
from service.db import session_scope, utcnow
from service.embedding import Encoder, embed
from service.models import Assignment, Attendee, Conference, Plan, PlanTable, Round
from service.plans import service as plan_service
from service.rules import service as rule_service

log = logging.getLogger(__name__)

#: Progress is written at most this often (seconds); the heartbeat thread covers quiet spells.
PROGRESS_INTERVAL = 0.5


class Abandoned(Exception):
    """The plan is no longer ours to finish (recovered by another worker, or deleted)."""


@dataclass
class Job:
    """Everything a run needs, read in one transaction."""

    plan_id: uuid.UUID
    attempt: int
    params: dict[str, Any]
    attendees: list[Attendee]
    rounds: list[Round]
    carried: list[Round]
    round_order: list[str]
    previous: Seating | None
    based_on_id: uuid.UUID | None
    pins: list[Pin]
    #: ``pins`` plus the conference's keep-apart and keep-together rules.
    constraints: Constraints
    history: list[list[str]]
    carried_seats: list[tuple[uuid.UUID, int, uuid.UUID, bool, str]]
    carried_tables: list[tuple[uuid.UUID, int, int, list[str]]]
    carried_report: dict[str, Any] | None
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


def _load(plan_id: uuid.UUID) -> Job:
    with session_scope() as session:
        plan = session.get(Plan, plan_id)
        if plan is None or plan.status != "running":
            raise Abandoned(f"plan {plan_id} is not running")
        conference = session.get(Conference, plan.conference_id)
        assert conference is not None
        all_rounds = plan_service.ordered_rounds(session, conference=conference)
        wanted = set(plan_service.planned_round_ids(plan))
        rounds = [r for r in all_rounds if r.id in wanted]
        if len(rounds) != len(wanted):
            raise ValueError("A round of this plan was deleted after the plan was queued.")
        attendees = list(
            session.scalars(
                select(Attendee)
                .where(
                    Attendee.conference_id == conference.id,
                    Attendee.status == "registered",
                    Attendee.erased_at.is_(None),
                )
                .order_by(Attendee.external_id)
            )
        )
        published = plan_service.published_plan(session, conference=conference)
        previous: Seating | None = None
        pins: list[Pin] = []
        history: dict[tuple[uuid.UUID, int], list[str]] = {}
        carried_seats: list[tuple[uuid.UUID, int, uuid.UUID, bool, str]] = []
        carried_tables: list[tuple[uuid.UUID, int, int, list[str]]] = []
        carried_ids: set[uuid.UUID] = set()
        if published is not None:
            names = {r.id: r.name for r in all_rounds}
            replan = bool(plan.params.get("replan"))
            seated = session.execute(
                select(Assignment, Attendee.external_id)
                .join(Attendee, Attendee.id == Assignment.attendee_id)
                .where(Assignment.plan_id == published.id)
                .order_by(Assignment.table_number, Attendee.external_id)
            ).all()
            if replan:
                previous = {}
                for t in session.scalars(
                    select(PlanTable)
                    .where(PlanTable.plan_id == published.id, PlanTable.round_id.in_(wanted))
                    .order_by(PlanTable.number)
                ):
                    previous.setdefault(names[t.round_id], []).append([])
            for seat, external_id in seated:
                if seat.round_id in wanted:
                    if previous is not None:
                        tables = previous[names[seat.round_id]]
                        tables[seat.table_number - 1].append(external_id)
                        if seat.pinned:
                            pins.append(
                                Pin(
                                    attendee_id=external_id,
                                    round_name=names[seat.round_id],
                                    table=seat.table_number - 1,
                                )
                            )
                elif seat.round_id in names:
                    history.setdefault((seat.round_id, seat.table_number), []).append(external_id)
                    carried_ids.add(seat.round_id)
                    carried_seats.append(
                        (seat.round_id, seat.table_number, seat.attendee_id, seat.pinned, seat.why)
                    )
            for t in session.scalars(
                select(PlanTable).where(
                    PlanTable.plan_id == published.id, PlanTable.round_id.in_(carried_ids)
                )
            ):
                carried_tables.append((t.round_id, t.number, t.capacity, list(t.topics or [])))
        carried = [r for r in all_rounds if r.id in carried_ids]
        session.expunge_all()
        return Job(
            plan_id=plan.id,
            attempt=int(plan.params.get("attempts", 0)),
            params=dict(plan.params),
            attendees=attendees,
            rounds=rounds,
            carried=carried,
            round_order=[r.name for r in all_rounds if r.id in wanted or r.id in carried_ids],
            previous=previous,
            based_on_id=published.id if previous is not None and published else None,
            pins=pins,
            constraints=rule_service.constraints(session, conference_id=conference.id, pins=pins),
            history=list(history.values()),
            carried_seats=carried_seats,
            carried_tables=carried_tables,
            carried_report=published.report if published is not None else None,
            ids={a.external_id: a.id for a in attendees},
        )


def _still_ours(session: Any, plan_id: uuid.UUID, attempt: int) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.id == plan_id).with_for_update())
    if plan is None or plan.status != "running" or int(plan.params.get("attempts", 0)) != attempt:
        raise Abandoned(f"plan {plan_id} was taken over or removed")
    return plan


def report_progress(plan_id: uuid.UUID, fraction: float, message: str) -> None:
    """Write a running plan's progress and heartbeat in a transaction of its own."""
    with session_scope() as session:
        session.execute(
            update(Plan)
            .where(Plan.id == plan_id, Plan.status == "running")
            .values(
                progress=max(0.0, min(1.0, float(fraction))),
                message=message[:500],
                heartbeat_at=utcnow(),
            )
        )


def _progress(plan_id: uuid.UUID, start: float, span: float) -> Any:
    last = [0.0]

    def callback(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL and fraction < 1.0:
            return
        last[0] = now
        report_progress(plan_id, start + span * fraction, message)

    return callback


def _store(job: Job, matcher: Matcher, m_rounds: list[MRound], counts: dict[str, int]) -> None:
    engine_report = matcher.report_.to_dict() if matcher.report_ is not None else {}
    report = plan_service.merge_carried(
        engine_report,
        carried=job.carried_report,
        round_order=job.round_order,
        carried_names=[r.name for r in job.carried],
    )
    seating: dict[uuid.UUID, list[list[uuid.UUID]]] = {}
    capacities: dict[uuid.UUID, list[int]] = {}
    topics: dict[uuid.UUID, list[list[str]]] = {}
    why: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
    people: dict[str, Any] = engine_report.get("attendees", {})
    details = {r["name"]: r for r in engine_report.get("rounds", [])}
    for row, m_round in zip(job.rounds, m_rounds, strict=True):
        tables = matcher.seating_.get(row.name, [])
        seating[row.id] = [[job.ids[a] for a in table] for table in tables]
        if row.table_size is not None:
            capacities[row.id] = [row.table_size] * len(tables)
        else:
            caps = table_capacities(m_round, counts[row.name])
            capacities[row.id] = [
                caps[i] if i < len(caps) else len(t) for i, t in enumerate(tables)
            ]
        by_table = {
            d["table"]: d.get("topics", [])
            for d in details.get(row.name, {}).get("tables_detail", [])
        }
        topics[row.id] = [list(by_table.get(i + 1, [])) for i in range(len(tables))]
        for table in tables:
            for external_id in table:
                seat = people.get(external_id, {}).get(row.name) or {}
                why[(row.id, job.ids[external_id])] = seat.get("why", "") or ""
    pinned = {(p.round_name, p.attendee_id) for p in job.pins}
    reverse = {i: e for e, i in job.ids.items()}
    with session_scope() as session:
        plan = _still_ours(session, job.plan_id, job.attempt)
        plan_service.store_seating(
            session, plan=plan, seating=seating, capacities=capacities, topics=topics, why=why
        )
        if pinned:
            names = {r.id: r.name for r in job.rounds}
            for seat in session.scalars(select(Assignment).where(Assignment.plan_id == plan.id)):
                if (names.get(seat.round_id), reverse.get(seat.attendee_id)) in pinned:
                    seat.pinned = True
        for round_id, number, capacity, table_topics in job.carried_tables:
            session.add(
                PlanTable(
                    plan_id=plan.id,
                    round_id=round_id,
                    number=number,
                    capacity=capacity,
                    topics=table_topics,
                )
            )
        for round_id, number, attendee_id, is_pinned, seat_why in job.carried_seats:
            session.add(
                Assignment(
                    plan_id=plan.id,
                    round_id=round_id,
                    attendee_id=attendee_id,
                    table_number=number,
                    pinned=is_pinned,
                    why=seat_why,
                )
            )
        plan.report = report
        plan.status = "ready"
        plan.progress = 1.0
        plan.message = "Ready for review"
        plan.finished_at = utcnow()
        plan.heartbeat_at = utcnow()
        plan.based_on_id = job.based_on_id
        plan.moved = int(matcher.moved_) if job.previous is not None else None
        plan.error = None


def fail(plan_id: uuid.UUID, reason: str, *, attempt: int | None = None) -> None:
    """Mark a running plan failed with ``reason`` (unless another worker took it over)."""
    with session_scope() as session:
        plan = session.scalar(select(Plan).where(Plan.id == plan_id).with_for_update())
        if plan is None or plan.status != "running":
            return
        if attempt is not None and int(plan.params.get("attempts", 0)) != attempt:
            return
        plan.status = "failed"
        plan.error = reason
        plan.message = "Failed"
        plan.finished_at = utcnow()


def run_plan(plan_id: uuid.UUID, *, encoder: Encoder | None = None) -> None:
    """Run a plan the caller has claimed (status running) to ready or failed."""
    attempt: int | None = None
    try:
        report_progress(plan_id, 0.0, "Loading attendees")
        job = _load(plan_id)
        attempt = job.attempt
        m_attendees = [plan_service.matching_attendee(a) for a in job.attendees]
        m_rounds = [plan_service.matching_round(r) for r in job.rounds]
        counts = {
            r.name: sum(1 for a in m_attendees if r.kind == "lunch" or a.dinner) for r in m_rounds
        }
        report_progress(plan_id, 0.02, f"Embedding {len(job.attendees)} profiles")
        x = embed(job.attendees, encoder=encoder)
        params = job.params
        matcher = Matcher(
            random_state=int(params.get("seed") or 0),
            time_budget=float(params.get("time_budget") or plan_service.DEFAULT_TIME_BUDGET),
            weights=Weights(**(params.get("weights") or {})),
        )
        constraints = job.constraints
        progress = _progress(plan_id, 0.1, 0.85)
        if job.previous is not None:
            matcher.replan(
                job.previous,
                m_attendees,
                m_rounds,
                embeddings=x,
                history=job.history,
                constraints=constraints,
                progress=progress,
            )
        else:
            matcher.fit(
                m_attendees,
                m_rounds,
                embeddings=x,
                history=job.history,
                constraints=constraints,
                progress=progress,
            )
        report_progress(plan_id, 0.97, "Saving tables")
        _store(job, matcher, m_rounds, counts)
    except Abandoned as exc:
        log.warning("plan %s abandoned: %s", plan_id, exc)
    except Infeasible as exc:
        fail(plan_id, f"The rules cannot all be met ({exc.rule}): {exc}", attempt=attempt)
    except ValueError as exc:
        fail(plan_id, f"The input cannot be planned: {exc}", attempt=attempt)
    except Exception as exc:
        log.exception("plan %s failed", plan_id)
        fail(
            plan_id, f"Internal error while planning ({type(exc).__name__}): {exc}", attempt=attempt
        )
