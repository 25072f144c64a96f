"""Publishing: one plan of a conference goes live and the one before it is superseded."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import JSON, Uuid, bindparam, cast, column, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.db import utcnow
from service.errors import Conflict, PreconditionFailed
from service.models import Assignment, Attendee, Conference, Plan, PlanStatus, Round
from service.plans.storage import built_on, live_plan_ids, stored_report
from service.webhooks import events as webhook_events


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
    if plan.status != PlanStatus.READY:
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
            .where(Plan.id.in_(live), Plan.status == PlanStatus.PUBLISHED)
            .values(status=PlanStatus.SUPERSEDED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    try:
        made_live = session.execute(
            update(Plan)
            .where(
                Plan.id == plan.id, Plan.status == PlanStatus.READY, Plan.version == plan.version
            )
            .values(
                status=PlanStatus.PUBLISHED,
                published_at=now,
                version=Plan.version + 1,
                updated_at=now,
            )
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
    report = stored_report(plan)
    if report is None or not report.attendees:
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
        {"round": rounds[round_name], "reader": ids[person], "mate": ids[seat.kindred]}
        for person, seats_of in report.attendees.items()
        if person in ids
        for round_name, seat in seats_of.items()
        if round_name in rounds and seat.kindred is not None and seat.kindred in ids
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
