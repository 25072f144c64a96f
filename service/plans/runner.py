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

import numpy as np
from sqlalchemy import select, update

from matching import Infeasible, Matcher, Weights
from matching.eligibility import is_eligible, table_capacities
from matching.report import Report
from matching.types import Constraints, Pin, Seating
from matching.types import Round as MRound
from service.db import session_scope, utcnow
from service.embedding import Encoder, embed
from service.models import Attendee, AttendeeStatus, Conference, Plan, PlanStatus, Round
from service.plans import engine, review, storage
from service.plans.queue import DEFAULT_TIME_BUDGET
from service.plans.storage import StoredSeat, StoredTable
from service.review import service as review_service
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
    carried_seats: list[StoredSeat]
    carried_tables: list[StoredTable]
    carried_report: Report | None
    carried_map: dict[str, dict[str, list[float]]]
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


def _load(plan_id: uuid.UUID) -> Job:
    with session_scope() as session:
        plan = session.get(Plan, plan_id)
        if plan is None or plan.status != PlanStatus.RUNNING:
            raise Abandoned(f"plan {plan_id} is not running")
        conference = session.get(Conference, plan.conference_id)
        assert conference is not None
        all_rounds = engine.conference_rounds(session, conference_id=conference.id)
        wanted = set(storage.planned_round_ids(plan))
        rounds = [r for r in all_rounds if r.id in wanted]
        if len(rounds) != len(wanted):
            raise ValueError("A round of this plan was deleted after the plan was queued.")
        attendees = list(
            session.scalars(
                select(Attendee)
                .where(
                    Attendee.conference_id == conference.id,
                    Attendee.status == AttendeeStatus.REGISTERED,
                    Attendee.erased_at.is_(None),
                )
                .order_by(Attendee.external_id)
            )
        )
        published = storage.published_plan(session, conference=conference)
        replan = bool(plan.params.get("replan"))
        stored = engine.StoredSeating()
        if published is not None:
            stored = engine.read_seating(
                session,
                plan_id=published.id,
                seated={r.name for r in rounds},
                rounds={r.name: r.id for r in all_rounds},
                carry=True,
            )
        previous = dict(stored.tables) if published is not None and replan else None
        pins = stored.pins if previous is not None else []
        carried_ids = {t.round_id for t in stored.other_tables}
        carried = [r for r in all_rounds if r.id in carried_ids]
        job = Job(
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
            history=stored.history,
            carried_seats=stored.other_seats,
            carried_tables=stored.other_tables,
            carried_report=storage.stored_report(published) if published is not None else None,
            carried_map={
                key: points
                for key, points in ((published.review_map or {}) if published else {}).items()
                if uuid.UUID(key) in carried_ids
            },
            ids={a.external_id: a.id for a in attendees},
        )
        session.expunge_all()
        return job


def _still_ours(session: Any, plan_id: uuid.UUID, attempt: int) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.id == plan_id).with_for_update())
    if (
        plan is None
        or plan.status != PlanStatus.RUNNING
        or int(plan.params.get("attempts", 0)) != attempt
    ):
        raise Abandoned(f"plan {plan_id} was taken over or removed")
    return plan


def report_progress(plan_id: uuid.UUID, fraction: float, message: str) -> None:
    """Write a running plan's progress and heartbeat in a transaction of its own."""
    with session_scope() as session:
        session.execute(
            update(Plan)
            .where(Plan.id == plan_id, Plan.status == PlanStatus.RUNNING)
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


def _store(
    job: Job,
    matcher: Matcher,
    m_rounds: list[MRound],
    counts: dict[str, int],
    embeddings: np.ndarray,
) -> None:
    if matcher.report_ is None:
        raise ValueError("The engine made no report.")
    report = engine.merge_carried(
        matcher.report_,
        carried=job.carried_report,
        round_order=job.round_order,
        carried_names=[r.name for r in job.carried],
    )
    seating: dict[uuid.UUID, list[list[uuid.UUID]]] = {}
    capacities: dict[uuid.UUID, list[int]] = {}
    topics: dict[uuid.UUID, list[list[str]]] = {}
    why: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
    people = matcher.report_.attendees
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
        entry = matcher.report_.round(row.name)
        by_table = {t.table: list(t.topics) for t in entry.tables_detail}
        topics[row.id] = [by_table.get(i + 1, []) for i in range(len(tables))]
        for table in tables:
            for external_id in table:
                seat = people.get(external_id, {}).get(row.name)
                why[(row.id, job.ids[external_id])] = seat.why if seat is not None else ""
    names = {r.name: r.id for r in job.rounds}
    pinned = frozenset((names[p.round_name], job.ids[p.attendee_id]) for p in job.pins)
    vectors = {a.external_id: embeddings[i] for i, a in enumerate(job.attendees)}
    review_map = {
        **job.carried_map,
        **review.compute_map({r.id: matcher.seating_.get(r.name, []) for r in job.rounds}, vectors),
    }
    with session_scope() as session:
        plan = _still_ours(session, job.plan_id, job.attempt)
        storage.store_seating(
            session,
            plan=plan,
            seating=seating,
            capacities=capacities,
            topics=topics,
            why=why,
            pinned=pinned,
            carried_tables=job.carried_tables,
            carried_seats=job.carried_seats,
        )
        plan.report = report.to_dict()
        # The engine's own figures, so the publish summary can tell what edits changed.
        plan.params = {
            **plan.params,
            review_service.ENGINE_KEY: review_service.engine_figures(report),
        }
        plan.review_map = review_map
        plan.status = PlanStatus.READY
        plan.progress = 1.0
        cut = report.search.message if report.search is not None else None
        # A search cut by the time budget says so, and how far it got.
        plan.message = "Ready for review" if cut is None else f"Ready for review. {cut}"
        plan.finished_at = utcnow()
        plan.heartbeat_at = utcnow()
        plan.based_on_id = job.based_on_id
        plan.moved = int(matcher.moved_) if job.previous is not None else None
        plan.error = None


def fail(plan_id: uuid.UUID, reason: str, *, attempt: int | None = None) -> None:
    """Mark a running plan failed with ``reason`` (unless another worker took it over)."""
    with session_scope() as session:
        plan = session.scalar(select(Plan).where(Plan.id == plan_id).with_for_update())
        if plan is None or plan.status != PlanStatus.RUNNING:
            return
        if attempt is not None and int(plan.params.get("attempts", 0)) != attempt:
            return
        plan.status = PlanStatus.FAILED
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
        m_attendees = [engine.matching_attendee(a) for a in job.attendees]
        m_rounds = [engine.matching_round(r) for r in job.rounds]
        counts = {r.name: sum(1 for a in m_attendees if is_eligible(a, r)) for r in m_rounds}
        report_progress(plan_id, 0.02, f"Embedding {len(job.attendees)} profiles")
        x = embed(job.attendees, encoder=encoder)
        params = job.params
        matcher = Matcher(
            random_state=int(params.get("seed") or 0),
            time_budget=float(params.get("time_budget") or DEFAULT_TIME_BUDGET),
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
        _store(job, matcher, m_rounds, counts, x)
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
