"""Review views of a plan: a round's tables with their figures, and the map of its people.

The map is made once, when the plan is made (`compute_map` from the run's embeddings), and
read from the plan afterwards: a request never embeds profiles or runs a PCA. Edits move
people between tables, not on the map, so they leave it as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.report import TableReport, TableViolations
from service.embedding import Encoder, embed
from service.models import Assignment, Attendee, Conference, Plan, PlanTable, Round
from service.plans.schemas import TableFigures
from service.rounds import service as round_service

#: round id (as text) -> attendee external id -> [x, y]
ReviewMap = dict[str, dict[str, list[float]]]
_TABLE_KEYS = ("table", "members", "topics")


def project(vectors: np.ndarray) -> np.ndarray:
    """Two coordinates per row: the first two principal components (zeros below two rows)."""
    from sklearn.decomposition import PCA

    xy = np.zeros((len(vectors), 2))
    if len(vectors) >= 2:
        n_components = min(2, vectors.shape[0], vectors.shape[1])
        xy[:, :n_components] = PCA(n_components=n_components, random_state=0).fit_transform(vectors)
    return xy


def compute_map(
    seating: Mapping[uuid.UUID, Sequence[Sequence[str]]],
    embeddings: Mapping[str, np.ndarray],
) -> ReviewMap:
    """The map of each round: its seated people (round id -> tables -> external ids) placed
    by a PCA of their profile embeddings (external id -> vector)."""
    result: ReviewMap = {}
    for round_id, tables in seating.items():
        people = [p for table in tables for p in table if p in embeddings]
        if not people:
            result[str(round_id)] = {}
            continue
        xy = project(np.stack([embeddings[p] for p in people]))
        result[str(round_id)] = {
            p: [round(float(xy[i, 0]), 5), round(float(xy[i, 1]), 5)] for i, p in enumerate(people)
        }
    return result


@dataclass(frozen=True)
class Point:
    external_id: str
    name: str
    x: float
    y: float
    table: int


def plan_map(
    session: Session, *, plan: Plan, round_: Round, encoder: Encoder | None = None
) -> list[Point]:
    """The round's people in two dimensions, each with their table.

    Read from the plan. A plan stored without a map (made before maps were kept, or seated by
    hand) gets its map made on the first request and kept.
    """
    rows = session.execute(
        select(Assignment.table_number, Attendee.external_id, Attendee.name)
        .join(Attendee, Attendee.id == Assignment.attendee_id)
        .where(Assignment.plan_id == plan.id, Assignment.round_id == round_.id)
        .order_by(Assignment.table_number, Attendee.external_id)
    ).all()
    stored = (plan.review_map or {}).get(str(round_.id))
    if stored is None:
        people = list(
            session.scalars(
                select(Attendee)
                .join(Assignment, Assignment.attendee_id == Attendee.id)
                .where(Assignment.plan_id == plan.id, Assignment.round_id == round_.id)
            )
        )
        vectors = embed(people, encoder=encoder)
        stored = compute_map(
            {round_.id: [[p.external_id for p in people]]},
            {p.external_id: vectors[i] for i, p in enumerate(people)},
        )[str(round_.id)]
        plan.review_map = {**(plan.review_map or {}), str(round_.id): stored}
    origin = [0.0, 0.0]
    return [
        Point(
            external_id=external_id,
            name=name,
            x=stored.get(external_id, origin)[0],
            y=stored.get(external_id, origin)[1],
            table=table,
        )
        for table, external_id, name in rows
    ]


#: The report figures of a table shown beside its members: every field of the report's table
#: but its number, members and topics (the review reads those from the plan's own rows).
FIGURE_KEYS = tuple(f.name for f in fields(TableReport) if f.name not in _TABLE_KEYS)
_VIOLATION_KEYS = tuple(f.name for f in fields(TableViolations))


def _round_entry(plan: Plan, round_: Round) -> Mapping[str, Any] | None:
    """The round's part of the stored report, as stored: nothing else of the report is read."""
    rounds = (plan.report or {}).get("rounds")
    if not isinstance(rounds, list):
        return None
    return next((r for r in rounds if isinstance(r, dict) and r.get("name") == round_.name), None)


def _table_figures(entry: Mapping[str, Any] | None, number: int) -> TableFigures | None:
    """One table's figures from the round's stored report (None when the report has none or is
    in a shape this version cannot read)."""
    if entry is None:
        return None
    detail = entry.get("tables_detail")
    if not isinstance(detail, list):
        return None
    # Tables are stored in order, numbered from 1; look further only when they are not.
    row = detail[number - 1] if 0 < number <= len(detail) else None
    if not isinstance(row, dict) or row.get("table") != number:
        row = next((d for d in detail if isinstance(d, dict) and d.get("table") == number), None)
    if row is None:
        return None
    try:
        figures = {key: row[key] for key in FIGURE_KEYS}
        figures["violations"] = {key: row["violations"][key] for key in _VIOLATION_KEYS}
        return TableFigures.model_validate(figures)
    except (KeyError, TypeError, ValidationError):
        return None


@dataclass(frozen=True)
class TablesPage:
    """Some tables of a round: ``total`` matched the filter, ``tables`` is the page asked for."""

    total: int
    tables: list[dict[str, Any]]


def plan_tables(
    session: Session,
    *,
    plan: Plan,
    round_: Round,
    numbers: Collection[int] | None = None,
    page: int = 1,
    limit: int | None = None,
) -> TablesPage:
    """Tables of one round of a plan with their members and report figures, in table order.

    ``numbers`` keeps only those tables (unknown numbers are left out); ``page`` and ``limit``
    then cut the result into pages of ``limit`` tables (all of them when ``limit`` is None).
    Two queries: the tables, then the members of the tables on the page.
    """
    stmt = select(PlanTable.number, PlanTable.capacity, PlanTable.topics).where(
        PlanTable.plan_id == plan.id, PlanTable.round_id == round_.id
    )
    if numbers is not None:
        stmt = stmt.where(PlanTable.number.in_(sorted(set(numbers))))
    matched = session.execute(stmt.order_by(PlanTable.number)).all()
    shown = matched if limit is None else matched[(page - 1) * limit : page * limit]
    members: dict[int, list[dict[str, Any]]] = {row.number: [] for row in shown}
    if shown:
        seats = (
            select(
                Assignment.table_number,
                Assignment.pinned,
                Assignment.why,
                Attendee.external_id,
                Attendee.name,
                Attendee.affiliation,
                Attendee.hometown,
                Attendee.solo,
                Attendee.first_time,
            )
            .join(Attendee, Attendee.id == Assignment.attendee_id)
            .where(Assignment.plan_id == plan.id, Assignment.round_id == round_.id)
            .order_by(Assignment.table_number, Attendee.name, Attendee.external_id)
        )
        if len(shown) < len(matched) or numbers is not None:
            seats = seats.where(Assignment.table_number.in_(list(members)))
        for (
            number,
            pinned,
            why,
            external_id,
            name,
            affiliation,
            hometown,
            solo,
            first,
        ) in session.execute(seats):
            members.setdefault(number, []).append(
                {
                    "external_id": external_id,
                    "name": name,
                    "affiliation": affiliation,
                    "hometown": hometown,
                    "solo": solo,
                    "first_time": first,
                    "pinned": pinned,
                    "why": why,
                }
            )
    entry = _round_entry(plan, round_)
    return TablesPage(
        total=len(matched),
        tables=[
            {
                "table": row.number,
                "capacity": row.capacity,
                "topics": list(row.topics or []),
                "figures": _table_figures(entry, row.number),
                "members": members[row.number],
            }
            for row in shown
        ],
    )


# --- printed table cards ----------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """What one printed table card shows; nothing private (no e-mail, dietary or access notes)."""

    round_name: str
    kind: str
    starts_at: str
    location: str
    table: int
    capacity: int
    names: list[str]
    topics: list[str]


def _when(starts_at: datetime | None, conference: Conference) -> str:
    if starts_at is None:
        return ""
    local = starts_at.astimezone(ZoneInfo(conference.timezone))
    return local.strftime("%a %d %b %Y, %H:%M")


def table_cards(
    session: Session, *, conference: Conference, plan: Plan, round_id: uuid.UUID | None
) -> list[Card]:
    """Cards for every table of one round of a plan (or of every round), in round and table
    order."""
    if round_id is not None:
        rounds = [round_service.get_round(session, conference=conference, round_id=round_id)]
    else:
        rounds = round_service.list_rounds(session, conference=conference)
    cards: list[Card] = []
    for rnd in rounds:
        names: dict[int, list[str]] = {}
        seats = session.execute(
            select(Assignment.table_number, Attendee.name)
            .join(Attendee, Attendee.id == Assignment.attendee_id)
            .where(Assignment.plan_id == plan.id, Assignment.round_id == rnd.id)
            .order_by(Assignment.table_number, Attendee.name)
        )
        for number, name in seats:
            names.setdefault(number, []).append(name)
        tables = session.scalars(
            select(PlanTable)
            .where(PlanTable.plan_id == plan.id, PlanTable.round_id == rnd.id)
            .order_by(PlanTable.number)
        )
        cards.extend(
            Card(
                round_name=rnd.name,
                kind=rnd.kind,
                starts_at=_when(rnd.starts_at, conference),
                location=rnd.location,
                table=table.number,
                capacity=table.capacity,
                names=names.get(table.number, []),
                topics=list(table.topics),
            )
            for table in tables
        )
    return cards
