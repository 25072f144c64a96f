"""The engine adapter: a conference's rows as the matching engine's input, derived in one place.

A run (`service.plans.runner`) reads the published plan this way, an edit (`service.plans.edits`)
reads its own plan this way: the rounds a plan seats are its tables and pins; every other round
of it is history ("new faces every day") and is carried over as it is.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.report import Report
from matching.types import Attendee as MAttendee
from matching.types import Constraints, Pin, Seating
from matching.types import Round as MRound
from matching.types import RoundKind as EngineRoundKind
from service.models import Assignment, Attendee, AttendeeStatus, Plan, PlanTable, Round, RoundKind
from service.plans.storage import StoredSeat, StoredTable, planned_round_ids
from service.rounds.order import round_order
from service.rules import service as rule_service


class AttendeeColumns(Protocol):
    """What the engine reads of an attendee: a row, or the columns of one (`ENGINE_COLUMNS`)."""

    external_id: str
    name: str
    email: str | None
    affiliation: str
    interests: str
    hometown: str
    languages: list[str]
    solo: bool
    party: str | None
    dinner: bool
    first_time: bool


def matching_attendee(row: AttendeeColumns, *, dinner: bool | None = None) -> MAttendee:
    """The attendee as the engine sees them; ``dinner`` overrides the row's opt-in."""
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
    kind: EngineRoundKind = "dinner" if row.kind == RoundKind.DINNER else "lunch"
    if row.table_size is not None:
        return MRound(name=row.name, kind=kind, table_size=row.table_size)
    caps = capacities if capacities is not None else (row.capacities or [])
    return MRound(name=row.name, kind=kind, capacities=tuple(caps))


def conference_rounds(session: Session, *, conference_id: uuid.UUID) -> list[Round]:
    """The conference's rounds in the one round order."""
    stmt = select(Round).where(Round.conference_id == conference_id).order_by(*round_order())
    return list(session.scalars(stmt))


#: The attendee columns the engine reads (no private notes, no e-mail beyond what it gets).
ENGINE_COLUMNS = (
    Attendee.external_id,
    Attendee.name,
    Attendee.email,
    Attendee.affiliation,
    Attendee.interests,
    Attendee.hometown,
    Attendee.languages,
    Attendee.solo,
    Attendee.party,
    Attendee.dinner,
    Attendee.first_time,
)


@dataclass
class StoredSeating:
    """A stored plan's seats, split the way the engine takes them."""

    #: Seated rounds: round name -> tables (table 1 first) -> external ids, in id order.
    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    #: Seated rounds: round name -> each table's capacity.
    capacities: dict[str, list[int]] = field(default_factory=dict)
    #: Pinned seats of the seated rounds.
    pins: list[Pin] = field(default_factory=list)
    #: Tables of the other rounds, as external ids: meals already held.
    history: list[list[str]] = field(default_factory=list)
    #: The other rounds' tables and seats, to copy into a plan as they are (with ``carry``).
    other_tables: list[StoredTable] = field(default_factory=list)
    other_seats: list[StoredSeat] = field(default_factory=list)


def read_seating(
    session: Session,
    *,
    plan_id: uuid.UUID,
    seated: Collection[str],
    rounds: Mapping[str, uuid.UUID],
    carry: bool = False,
) -> StoredSeating:
    """Split a stored plan into the rounds named in ``seated`` and the others (history).

    ``rounds`` maps the names of the conference's rounds to their ids; seats of other rounds
    are left out. With ``carry`` the other rounds' tables and seats are kept as rows to copy.
    """
    result = StoredSeating()
    names = {round_id: name for name, round_id in rounds.items()}
    for name, number, capacity, topics in session.execute(
        select(Round.name, PlanTable.number, PlanTable.capacity, PlanTable.topics)
        .join(Round, Round.id == PlanTable.round_id)
        .where(PlanTable.plan_id == plan_id, Round.name.in_(list(rounds)))
        .order_by(PlanTable.number)
    ):
        if name in seated:
            result.capacities.setdefault(name, []).append(capacity)
            result.tables.setdefault(name, []).append([])
        elif carry:
            result.other_tables.append(
                StoredTable(
                    round_id=rounds[name], number=number, capacity=capacity, topics=topics or []
                )
            )
    columns: list[Any] = [
        Round.name,
        Assignment.table_number,
        Assignment.pinned,
        Attendee.external_id,
    ]
    if carry:
        columns += [Assignment.attendee_id, Assignment.why]
    history: dict[tuple[str, int], list[str]] = {}
    for row in session.execute(
        select(*columns)
        .join(Round, Round.id == Assignment.round_id)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(Assignment.plan_id == plan_id, Round.id.in_(list(names)))
        .order_by(Assignment.table_number, Attendee.external_id)
    ):
        name, number, pinned, external_id = row[:4]
        if name in seated:
            result.tables[name][number - 1].append(external_id)
            if pinned:
                result.pins.append(Pin(attendee_id=external_id, round_name=name, table=number - 1))
            continue
        history.setdefault((name, number), []).append(external_id)
        if carry:
            result.other_seats.append(
                StoredSeat(
                    round_id=rounds[name],
                    table=number,
                    attendee_id=row[4],
                    pinned=pinned,
                    why=row[5],
                )
            )
    result.history = list(history.values())
    return result


def engine_attendees(
    session: Session, *, conference_id: uuid.UUID, external_ids: Collection[str] | None = None
) -> list[MAttendee]:
    """The conference's registered attendees as the engine sees them, by external id.

    With ``external_ids``, those attendees whatever their status (the people a plan seats).
    """
    stmt = select(*ENGINE_COLUMNS).where(
        Attendee.conference_id == conference_id, Attendee.erased_at.is_(None)
    )
    if external_ids is None:
        stmt = stmt.where(Attendee.status == AttendeeStatus.REGISTERED)
    people = [
        matching_attendee(cast(AttendeeColumns, row))
        for row in session.execute(stmt.order_by(Attendee.external_id))
    ]
    if external_ids is None:
        return people
    wanted = set(external_ids)
    return [p for p in people if p.id in wanted]


@dataclass
class PlanState:
    """A stored plan as the engine sees it, for checking edits and measuring them again."""

    rounds: list[Round]
    #: The people the plan seats, by external id; the plan's diners are its dinner guests.
    attendees: list[MAttendee]
    #: Round id -> tables -> external ids.
    seating: dict[uuid.UUID, list[list[str]]]
    capacities: dict[uuid.UUID, list[int]]
    history: list[list[str]]
    #: This plan's pins plus the conference's keep-apart and keep-together rules.
    constraints: Constraints

    def m_rounds(self) -> list[MRound]:
        return [matching_round(r, capacities=self.capacities[r.id]) for r in self.rounds]

    def m_seating(self) -> Seating:
        return {r.name: [list(t) for t in self.seating[r.id]] for r in self.rounds}


def plan_state(session: Session, *, plan: Plan) -> PlanState:
    """Load the planned rounds of ``plan`` with their seats, pins and the other rounds' history."""
    every = conference_rounds(session, conference_id=plan.conference_id)
    planned = set(planned_round_ids(plan))
    stored = read_seating(
        session,
        plan_id=plan.id,
        seated={r.name for r in every if r.id in planned},
        rounds={r.name: r.id for r in every},
    )
    rounds = [r for r in every if r.name in stored.tables]
    seated = {p for r in rounds for t in stored.tables[r.name] for p in t}
    dinners = [r for r in rounds if r.kind == RoundKind.DINNER]
    diners = {p for r in dinners for t in stored.tables[r.name] for p in t}
    people = engine_attendees(session, conference_id=plan.conference_id, external_ids=seated)
    if dinners:
        # Opt-ins may have changed since: the plan's diners are the people it seats at dinner.
        people = [dataclasses.replace(p, dinner=p.id in diners) for p in people]
    return PlanState(
        rounds=rounds,
        attendees=people,
        seating={r.id: stored.tables[r.name] for r in rounds},
        capacities={r.id: stored.capacities[r.name] for r in rounds},
        history=stored.history,
        constraints=rule_service.constraints(
            session, conference_id=plan.conference_id, pins=stored.pins
        ),
    )


def merge_carried(
    report: Report,
    *,
    carried: Report | None,
    round_order: Sequence[str],
    carried_names: Sequence[str],
) -> Report:
    """Add the published report's sections of carried-over rounds to a run's report."""
    names = set(carried_names)
    if carried is None or not names:
        return report
    extra = [dataclasses.replace(r, carried=True) for r in carried.rounds if r.name in names]
    order = {name: i for i, name in enumerate(round_order)}
    merged = sorted([*report.rounds, *extra], key=lambda r: order.get(r.name, len(order)))
    people = {person: dict(seats) for person, seats in report.attendees.items()}
    for person, seats_of in carried.attendees.items():
        for name, seat in seats_of.items():
            if name in names:
                people.setdefault(person, {})[name] = seat
    return dataclasses.replace(report, rounds=tuple(merged), attendees=people)
