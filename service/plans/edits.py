"""Edits of a ready plan: move, swap or pin people, keeping every hard rule.

An edit rewrites only what it changed: the moved seats, then the touched tables' topics and
why lines and the report's figures (every round measured again: a move changes the repeats of
later rounds). Nothing is embedded beyond reading cached vectors, and the map stays as it is
(people move between tables, not on the map). The text model that names topics is fitted once
per set of profiles and kept in the process, so edits after the first one only name topics.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matching.checks import HardViolation, check_hard
from matching.explain import CommonGround
from matching.report import Report, Summary, build_report, common_ground
from matching.types import Attendee as MAttendee
from service.audit import service as audit
from service.db import utcnow
from service.embedding import Encoder, embed
from service.errors import Conflict, Invalid, PreconditionFailed, PreconditionRequired
from service.models import Assignment, Attendee, Conference, Plan, PlanStatus, PlanTable, Round
from service.plans.engine import PlanState, matching_round, plan_state
from service.plans.schemas import MoveEdit, PinEdit, SwapEdit
from service.plans.storage import plan_round, planned_round_ids


@dataclass(frozen=True)
class _Seat:
    id: uuid.UUID
    table: int
    pinned: bool


def _seats(session: Session, *, plan: Plan, round_: Round) -> dict[str, _Seat]:
    """The round's seats in the plan, by the seated person's external id."""
    rows = session.execute(
        select(Attendee.external_id, Assignment.id, Assignment.table_number, Assignment.pinned)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(Assignment.plan_id == plan.id, Assignment.round_id == round_.id)
    )
    return {
        external_id: _Seat(seat_id, table, pinned) for external_id, seat_id, table, pinned in rows
    }


def _hard_violations(
    state: PlanState, round_: Round, tables: Sequence[Sequence[str]]
) -> list[HardViolation]:
    m_round = matching_round(round_, capacities=state.capacities[round_.id])
    return check_hard(
        state.attendees,
        [m_round],
        {round_.name: [list(t) for t in tables]},
        constraints=state.constraints,
    )


#: Fitted text models by profile fingerprint, most recently used last. A handful covers the
#: plans being edited at once; each holds a conference's TF-IDF matrix (a few MB).
_GROUNDS: OrderedDict[str, CommonGround] = OrderedDict()
_GROUNDS_KEPT = 4
_grounds_lock = threading.Lock()


def _fingerprint(attendees: Sequence[MAttendee]) -> str:
    """A digest of everything the text model is fitted on: each name and profile, in order."""
    digest = hashlib.blake2b(digest_size=20)
    for person in attendees:
        for text in (person.name, person.interests):
            data = text.encode()
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
    return digest.hexdigest()


def fitted_ground(attendees: Sequence[MAttendee]) -> CommonGround:
    """The text model :func:`~matching.report.build_report` would fit on ``attendees``.

    Kept per process by a fingerprint of the names and profiles it reads, so a changed profile
    (or someone added, erased or reordered) fits a new one and an unchanged plan never refits.
    """
    key = _fingerprint(attendees)
    with _grounds_lock:
        ground = _GROUNDS.get(key)
        if ground is not None:
            _GROUNDS.move_to_end(key)
            return ground
    ground = common_ground(attendees)  # outside the lock: a second edit may fit in parallel
    with _grounds_lock:
        _GROUNDS[key] = ground
        while len(_GROUNDS) > _GROUNDS_KEPT:
            _GROUNDS.popitem(last=False)
    return ground


def forget_fitted() -> None:
    """Drop every text model :func:`fitted_ground` keeps (a process that never fitted one)."""
    with _grounds_lock:
        _GROUNDS.clear()


def _to_explain(
    stored: Mapping[str, Any], seating: Mapping[str, Sequence[Sequence[str]]]
) -> dict[str, set[int]]:
    """Tables (numbers from 1) whose stored topics or why lines are not those of their people
    today: the tables an edit touched, and any a stored report lacks or has other people at."""
    rounds = {
        entry.get("name"): entry
        for entry in stored.get("rounds", [])
        if isinstance(entry, dict) and not entry.get("carried")
    }
    people = stored.get("attendees", {})

    def current(known: dict[str, Any] | None, members: Sequence[str], name: str) -> bool:
        if known is None or "topics" not in known:
            return False
        was = known.get("members")
        if was != members and sorted(was or []) != sorted(members):
            return False
        return all(name in people.get(person, {}) for person in members)

    wanted: dict[str, set[int]] = {}
    for name, tables in seating.items():
        detail = rounds.get(name, {}).get("tables_detail", [])
        by_number = {t.get("table"): t for t in detail if isinstance(t, dict)}
        for number, members in enumerate(tables, start=1):
            if not current(by_number.get(number), members, name):
                wanted.setdefault(name, set()).add(number)
    return wanted


def remeasure(
    state: PlanState,
    *,
    stored: dict[str, Any] | None,
    round_: Round,
    touched: Sequence[int],
    encoder: Encoder | None,
) -> tuple[Report, dict[str, Any]]:
    """Measure the plan again after an edit of tables ``touched`` (numbers from 1) of ``round_``.

    Returns the fresh report and the stored JSON to keep. Its figures (summary, hard rules,
    every round the run seated; a move changes the repeats of later rounds too) are measured
    afresh; topics and why lines are named only for the ``touched`` tables (and any table the
    stored report has no current explanation of): nobody else's table changed, so nobody else's
    why line or topics can. The returned report explains only those tables. Carried-over rounds
    keep their section.
    """
    try:
        summary = Summary.from_dict(stored["summary"]) if stored else None
    except (KeyError, TypeError, ValueError):  # stored by an older version: measure afresh
        stored, summary = None, None
    seating = state.m_seating()
    explain: dict[str, set[int]] | None = None
    if stored:
        explain = _to_explain(stored, seating)
        explain.setdefault(round_.name, set()).update(touched)
    fresh = build_report(
        state.attendees,
        state.m_rounds(),
        seating,
        embed(state.attendees, encoder=encoder),
        history=state.history,
        constraints=state.constraints,
        kindred_threshold=summary.kindred_threshold if summary else None,
        ground=fitted_ground(state.attendees),
        explain=explain,
    )
    if not stored or explain is None:
        return fresh, fresh.to_dict()
    kept = {  # the stored topics of every table not named again (all checked in _to_explain)
        entry.get("name"): {t.get("table"): t.get("topics") for t in entry.get("tables_detail", [])}
        for entry in stored.get("rounds", [])
        if isinstance(entry, dict) and not entry.get("carried")
    }
    measured: dict[str, dict[str, Any]] = {}
    for entry in fresh.rounds:
        data = entry.to_dict()
        named = explain.get(entry.name, set())
        for table in data["tables_detail"]:
            if table["table"] not in named:
                table["topics"] = kept[entry.name][table["table"]]
        measured[entry.name] = data
    rounds = [
        measured[entry["name"]]
        if entry.get("name") in measured and not entry.get("carried")
        else entry
        for entry in stored.get("rounds", [])
    ]
    people = dict(stored.get("attendees", {}))
    for person, seats in fresh.attendees.items():
        if seats:
            people[person] = {
                **people.get(person, {}),
                **{name: seat.to_dict() for name, seat in seats.items()},
            }
    patched = {
        **stored,
        "summary": fresh.summary.to_dict(),
        "hard": [v.to_dict() for v in fresh.hard],
        "rounds": rounds,
        "attendees": people,
    }
    return fresh, patched


def _explain_tables(
    session: Session, *, plan: Plan, round_: Round, tables: Sequence[int], report: Report
) -> None:
    """Write the topics and why lines of ``tables`` (numbers from 1) of a round, as measured."""
    entry = report.round(round_.name)
    for number in tables:
        session.execute(
            update(PlanTable)
            .where(
                PlanTable.plan_id == plan.id,
                PlanTable.round_id == round_.id,
                PlanTable.number == number,
            )
            .values(topics=list(entry.table(number).topics))
        )
    rows = session.execute(
        select(Assignment.id, Attendee.external_id)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(
            Assignment.plan_id == plan.id,
            Assignment.round_id == round_.id,
            Assignment.table_number.in_(list(tables)),
        )
    ).all()
    lines = []
    for seat_id, external_id in rows:
        seat = report.attendees.get(external_id, {}).get(round_.name)
        lines.append({"id": seat_id, "why": seat.why if seat is not None else ""})
    if lines:
        session.execute(update(Assignment), lines)  # one statement, by primary key


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
        Conflict: the plan is not ready (only ready plans are edited), or the round is carried
            over from the published plan.
        PreconditionFailed: the version sent is not the plan's current one.
        Invalid: the edit would break a hard rule (the problem names it) or names nobody.
    """
    if expected_version is None:
        raise PreconditionRequired(
            f'Send the plan\'s version as If-Match: "{plan.version}" (from its ETag) so edits '
            "never overwrite each other."
        )
    if plan.status != PlanStatus.READY:
        raise Conflict(f"Only a ready plan can be edited; this one is {plan.status}.")
    if expected_version != plan.version:
        raise PreconditionFailed(
            f"The plan changed (version {plan.version}, you sent {expected_version}); reload it "
            "and edit again.",
            headers={"ETag": f'"{plan.version}"'},
        )
    round_ = plan_round(session, conference=conference, plan=plan, round_id=edit.round_id)
    if round_.id not in planned_round_ids(plan):
        raise Conflict(
            f"Round '{round_.name}' is carried over from the published plan; re-plan it to "
            "change its tables."
        )
    seats = _seats(session, plan=plan, round_=round_)

    def seat_of(external_id: str) -> _Seat:
        seat = seats.get(external_id)
        if seat is None:
            raise Invalid(
                f"Attendee '{external_id}' has no seat in round '{round_.name}' of this plan.",
                rule="unseated",
            )
        return seat

    details: dict[str, Any] = {"op": edit.op, "round": round_.name}
    if isinstance(edit, PinEdit):
        seat = seat_of(edit.attendee)
        session.execute(
            update(Assignment).where(Assignment.id == seat.id).values(pinned=edit.pinned)
        )
        details.update(attendee=edit.attendee, pinned=edit.pinned, table=seat.table)
    else:
        if isinstance(edit, MoveEdit):
            moves = [(edit.attendee, seat_of(edit.attendee), edit.table)]
            count = session.scalar(
                select(func.count()).where(
                    PlanTable.plan_id == plan.id, PlanTable.round_id == round_.id
                )
            )
            if not 1 <= edit.table <= (count or 0):
                raise Invalid(
                    f"Round '{round_.name}' has tables 1 to {count}; there is no table "
                    f"{edit.table}.",
                    rule="table",
                )
            details.update(attendee=edit.attendee, table=edit.table)
        else:
            sa, sb = seat_of(edit.a), seat_of(edit.b)
            if sa.table == sb.table:
                raise Invalid(
                    f"'{edit.a}' and '{edit.b}' already sit at table {sa.table}.", rule="swap"
                )
            moves = [(edit.a, sa, sb.table), (edit.b, sb, sa.table)]
            details.update(a=edit.a, b=edit.b)
        for external_id, seat, _ in moves:
            if seat.pinned:
                raise Invalid(
                    f"'{external_id}' is pinned to table {seat.table} in round "
                    f"'{round_.name}'; unpin them first.",
                    rule="pin",
                )
        state = plan_state(session, plan=plan)
        tables = state.seating[round_.id]
        before = {(v.rule, v.message) for v in _hard_violations(state, round_, tables)}
        for external_id, seat, target in moves:
            tables[seat.table - 1].remove(external_id)
            tables[target - 1].append(external_id)
            tables[target - 1].sort()  # as a table is read back: by external id
        broken = [
            v for v in _hard_violations(state, round_, tables) if (v.rule, v.message) not in before
        ]
        if broken:
            raise Invalid(
                f"This edit breaks the {broken[0].rule} rule: {broken[0].message}",
                rule=str(broken[0].rule),
                errors=[{"rule": str(v.rule), "detail": v.message} for v in broken],
            )
        session.execute(
            update(Assignment), [{"id": seat.id, "table_number": t} for _, seat, t in moves]
        )
        touched = sorted({seat.table for _, seat, _ in moves} | {t for _, _, t in moves})
        report, plan.report = remeasure(
            state,
            stored=plan.report,
            round_=round_,
            touched=touched,
            encoder=encoder,
        )
        _explain_tables(session, plan=plan, round_=round_, tables=touched, report=report)
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
    session.refresh(plan, ["version", "updated_at"])
    return plan
