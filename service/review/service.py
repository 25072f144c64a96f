"""What the review reads of a plan: its people, seats, rules and manual edits, by name.

The publish summary (`service.review.summary`) and the re-plan moves (`service.review.moves`)
are built from these. Everything is read in a handful of queries per request, whatever the
size of the conference.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import cast, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from matching.affiliation import affiliation_key
from matching.report import Minimum, Report, RoundViolations, Summary
from service.models import (
    ApiKey,
    Assignment,
    Attendee,
    AuditEvent,
    Conference,
    Plan,
    PlanTable,
    Round,
)
from service.review.schemas import EditRef, PersonRef
from service.rules import service as rule_service
from service.rules.schemas import RuleOut

#: The name shown for a seat whose person was erased.
FORMER_ATTENDEE = "Former attendee"

#: The report summary's figures the review compares, with their labels and good direction.
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("hard_violations", "Broken hard rules", "lower"),
    ("coworker_pairs", "Co-worker pairs", "lower"),
    ("party_pairs", "Pairs from one party", "lower"),
    ("repeated_pairs", "Repeated pairs", "lower"),
    ("solo_spread_max", "Solo spread (largest)", "lower"),
    ("lone_outsiders", "Lone outsiders at dinner", "lower"),
    ("party_without_solo", "Dinner groups with a party and no solo attendee", "lower"),
    ("language_isolated", "People sharing no language with their table", "lower"),
    ("first_timer_mix", "Tables of only first-timers or only veterans", "lower"),
    ("no_kindred", "People without someone with shared interests at the table", "lower"),
    ("kindred_share_min", "Kindred share (lowest round)", "higher"),
    ("diversity_ratio_min", "Diversity ratio (lowest round)", "higher"),
)
#: Unavoidable minimum of a figure, where the report gives one.
MINIMA = {
    "coworker_pairs": "coworker_pairs_min",
    "party_pairs": "party_pairs_min",
    "repeated_pairs": "repeated_pairs_min",
    "first_timer_mix": "first_timer_mix_min",
}
#: The per-round figure behind a summary figure: a violation count, or the round's own figure.
ROUND_FIGURES = {
    "coworker_pairs": "coworker_pairs",
    "party_pairs": "party_pairs",
    "repeated_pairs": "repeated_pairs",
    "lone_outsiders": "lone_outsiders",
    "party_without_solo": "party_without_solo",
    "language_isolated": "language_isolated",
    "first_timer_mix": "first_timer_mix",
    "no_kindred": "no_kindred",
    "kindred_share_min": "kindred_share",
    "diversity_ratio_min": "diversity_ratio",
    "solo_spread_max": "solo_spread",
}

#: ``Plan.params`` key holding the engine's own figures (see `engine_figures`).
ENGINE_KEY = "engine"


@dataclass(frozen=True, slots=True)
class Person:
    """An attendee as the review speaks of them."""

    id: uuid.UUID
    external_id: str
    name: str
    affiliation: str
    company: str | None
    party: str | None
    status: str
    has_profile: bool
    dinner: bool
    erased: bool
    created_at: datetime
    updated_at: datetime
    profile_written_at: datetime | None

    def ref(self) -> PersonRef:
        # Read from the database as they are: no validation needed (thousands per answer).
        return PersonRef.model_construct(external_id=self.external_id, name=self.name)


@dataclass(frozen=True, slots=True)
class RoundFigures:
    """One round's figures, as the review compares them."""

    name: str
    violations: RoundViolations
    minimum: Minimum
    solo_spread: int
    kindred_share: float | None
    diversity_ratio: float | None
    carried: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoundFigures:
        """Read a round of a stored report (only the figures; its tables are not needed)."""
        return cls(
            name=str(data["name"]),
            violations=RoundViolations.from_dict(data["violations"]),
            minimum=Minimum.from_dict(data["minimum"]),
            solo_spread=int(data["solo_spread"]),
            kindred_share=data.get("kindred_share"),
            diversity_ratio=data.get("diversity_ratio"),
            carried=bool(data.get("carried", False)),
        )

    def value(self, figure: str) -> float | None:
        """This round's part of a summary figure (see `ROUND_FIGURES`), if it has one."""
        key = ROUND_FIGURES.get(figure)
        if key is None:
            return None
        value = getattr(self.violations, key, None)
        if value is None:
            value = getattr(self, key, None)
        return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True, slots=True)
class Figures:
    """A plan's figures without its tables and people: the summary and each round's.

    Its JSON form is a part of the report's (``summary`` and, per round, ``name``,
    ``violations``, ``minimum``, ``solo_spread``, ``kindred_share``, ``diversity_ratio``), so
    `from_dict` reads a stored report as well as the engine's figures kept beside it.
    """

    summary: Summary
    rounds: tuple[RoundFigures, ...]

    def value(self, figure: str) -> float | int | None:
        value = getattr(self.summary, figure, None)
        return value if isinstance(value, int | float) else None

    def by_round(self, figure: str) -> dict[str, float]:
        """Round name -> the round's part of ``figure``, for the rounds this plan planned."""
        out = {}
        for entry in self.rounds:
            value = entry.value(figure)
            if value is not None and not entry.carried:
                out[entry.name] = value
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_dict(),
            "rounds": [
                {
                    "name": r.name,
                    "violations": r.violations.to_dict(),
                    "minimum": r.minimum.to_dict(),
                    "solo_spread": r.solo_spread,
                    "kindred_share": r.kindred_share,
                    "diversity_ratio": r.diversity_ratio,
                    **({"carried": True} if r.carried else {}),
                }
                for r in self.rounds
            ],
        }

    @classmethod
    def of_report(cls, report: Report) -> Figures:
        return cls(
            summary=report.summary,
            rounds=tuple(
                RoundFigures(
                    name=r.name,
                    violations=r.violations,
                    minimum=r.minimum,
                    solo_spread=r.solo_spread,
                    kindred_share=r.kindred_share,
                    diversity_ratio=r.diversity_ratio,
                    carried=r.carried,
                )
                for r in report.rounds
            ),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Figures | None:
        """Read a stored report or engine figures; None when there is nothing (or no summary)."""
        if not data or not isinstance(data.get("summary"), Mapping):
            return None
        try:
            return cls(
                summary=Summary.from_dict(data["summary"]),
                rounds=tuple(RoundFigures.from_dict(r) for r in data.get("rounds") or []),
            )
        except (KeyError, TypeError, ValueError):
            return None  # a report stored by an older version: no figures to compare


#: What `Figures` reads of each round of a report.
ROUND_FIELDS = (
    "name",
    "violations",
    "minimum",
    "solo_spread",
    "kindred_share",
    "diversity_ratio",
    "carried",
)


def figures_of(session: Session, *, plan_id: uuid.UUID, rounds: int) -> Figures | None:
    """A stored plan's figures, reading only them out of its report.

    The database picks the summary and each round's figures out of the JSON: the tables and
    every seat's why line, most of a report's size, never reach Python.

    Args:
        rounds: How many rounds the report may hold (the conference's rounds).
    """
    paths = [("summary",)] + [("rounds", i, key) for i in range(rounds) for key in ROUND_FIELDS]
    report: Any = Plan.report
    if session.get_bind().dialect.name == "postgresql":
        # A json column is parsed again by every path; parse it once, as jsonb.
        report = cast(Plan.report, JSONB)
    doc = (
        select(report.label("doc")).where(Plan.id == plan_id).cte("doc").prefix_with("MATERIALIZED")
    )
    row = session.execute(select(*(doc.c.doc[path] for path in paths))).one_or_none()
    if row is None:
        return None
    summary, *values = row
    entries = [
        dict(zip(ROUND_FIELDS, values[i : i + len(ROUND_FIELDS)], strict=True))
        for i in range(0, len(values), len(ROUND_FIELDS))
    ]
    return Figures.from_dict(
        {"summary": summary, "rounds": [e for e in entries if e["name"] is not None]}
    )


def engine_figures(report: Report | Mapping[str, Any] | None) -> dict[str, Any]:
    """The engine's own figures of a run's report, to keep in ``Plan.params["engine"]``.

    About a kilobyte (no tables, no people), stored when a run's result is stored, so the
    publish summary can tell what manual edits changed afterwards.
    """
    figures = Figures.of_report(report) if isinstance(report, Report) else Figures.from_dict(report)
    return figures.to_dict() if figures is not None else {}


def people(session: Session, *, conference: Conference) -> dict[str, Person]:
    """Every attendee of the conference (cancelled and erased too), by external id."""
    rows = session.execute(
        select(
            Attendee.id,
            Attendee.external_id,
            Attendee.name,
            Attendee.affiliation,
            Attendee.email,
            Attendee.party,
            Attendee.status,
            Attendee.interests,
            Attendee.dinner,
            Attendee.erased_at,
            Attendee.created_at,
            Attendee.updated_at,
            Attendee.profile_written_at,
        ).where(Attendee.conference_id == conference.id)
    )
    out: dict[str, Person] = {}
    for row in rows:
        erased = row.erased_at is not None
        out[row.external_id] = Person(
            id=row.id,
            external_id=row.external_id,
            name=FORMER_ATTENDEE if erased else (row.name or row.external_id),
            affiliation=row.affiliation or "",
            company=None if erased else affiliation_key(row.affiliation or "", row.email or ""),
            party=(row.party or "").strip() or None,
            status=row.status,
            has_profile=bool((row.interests or "").strip()),
            dinner=bool(row.dinner),
            erased=erased,
            created_at=row.created_at,
            updated_at=row.updated_at,
            profile_written_at=row.profile_written_at,
        )
    return out


@dataclass(frozen=True, slots=True)
class Seats:
    """A plan's seats: round id -> external id -> table number, and the pinned seats."""

    tables: dict[uuid.UUID, dict[str, int]]
    pinned: set[tuple[uuid.UUID, str]]

    def at(self, round_id: uuid.UUID) -> dict[int, list[str]]:
        """Table number -> external ids of one round."""
        out: dict[int, list[str]] = {}
        for external_id, table in self.tables.get(round_id, {}).items():
            out.setdefault(table, []).append(external_id)
        return out


def seats(session: Session, *, plan_id: uuid.UUID) -> Seats:
    """Every seat of a plan, one query per round.

    Seats are keyed by external id and read round by round, so no row id is converted per seat
    (16,000 seats otherwise cost a third of a second in UUID parsing alone).
    """
    tables: dict[uuid.UUID, dict[str, int]] = {}
    pinned: set[tuple[uuid.UUID, str]] = set()
    round_ids = session.scalars(
        select(PlanTable.round_id).where(PlanTable.plan_id == plan_id).distinct()
    ).all()
    for round_id in round_ids:
        here = tables.setdefault(round_id, {})
        for external_id, table, is_pinned in session.execute(
            select(Attendee.external_id, Assignment.table_number, Assignment.pinned)
            .join(Attendee, Attendee.id == Assignment.attendee_id)
            .where(Assignment.plan_id == plan_id, Assignment.round_id == round_id)
        ):
            here[external_id] = table
            if is_pinned:
                pinned.add((round_id, external_id))
    return Seats(tables=tables, pinned=pinned)


def rounds(session: Session, *, conference: Conference) -> list[Round]:
    """The conference's rounds in the order they are held."""
    from service.rounds import service as round_service

    return round_service.list_rounds(session, conference=conference)


def rules(session: Session, *, conference: Conference) -> list[RuleOut]:
    return rule_service.list_rules(session, conference=conference)


def local_time(moment: datetime, conference: Conference) -> str:
    """``17:20`` in the conference's time zone."""
    try:
        zone = ZoneInfo(conference.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(zone).strftime("%H:%M")


def names(refs: Iterable[PersonRef]) -> str:
    """``Ana Ruiz``, ``Ana Ruiz and Ben Ode``, ``Ana Ruiz, Ben Ode and Cleo Park``."""
    listed = [r.name for r in refs]
    if len(listed) <= 1:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"


def plural(n: int, noun: str, many: str | None = None) -> str:
    return f"{n} {noun if n == 1 else (many or noun + 's')}"


def key_names(session: Session, *, actors: Iterable[str]) -> dict[str, str]:
    """Audit actors (``key:<prefix>``) -> the key's name, where a key of that prefix exists."""
    prefixes = {a.removeprefix("key:") for a in actors if a.startswith("key:")}
    if not prefixes:
        return {}
    rows = session.execute(select(ApiKey.prefix, ApiKey.name).where(ApiKey.prefix.in_(prefixes)))
    return {f"key:{prefix}": name for prefix, name in rows if name}


def plan_edits(
    session: Session,
    *,
    conference: Conference,
    plan: Plan,
    by_external: Mapping[str, Person],
    viewer: str,
) -> list[EditRef]:
    """The manual edits of ``plan`` (moves, swaps, pins), oldest first."""
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.conference_id == conference.id,
                AuditEvent.action == "plan.edited",
                AuditEvent.target_id == str(plan.id),
            )
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )
    labels = key_names(session, actors={e.actor for e in events})
    out = []
    for event in events:
        details = event.details or {}
        op = str(details.get("op", ""))
        ids = [details.get(k) for k in ("attendee", "a", "b") if details.get(k)]
        refs = [
            by_external[i].ref()
            if i in by_external
            else PersonRef(external_id=i, name=FORMER_ATTENDEE)
            for i in map(str, ids)
        ]
        by = "you" if event.actor == viewer else labels.get(event.actor, event.actor)
        verb = {"move": "moved", "swap": "swapped", "pin": "pinned"}.get(op, op or "edited")
        if op == "pin" and details.get("pinned") is False:
            verb = "unpinned"
        table = details.get("table") if op == "move" else None
        out.append(
            EditRef(
                op=op,
                round=str(details.get("round", "")),
                people=refs,
                table=int(table) if isinstance(table, int) else None,
                actor=event.actor,
                by=by,
                at=event.created_at,
                message=f"{verb} by {by} at {local_time(event.created_at, conference)}",
            )
        )
    return out


def last_edit_of(edits: Iterable[EditRef], *, round_name: str, external_id: str) -> EditRef | None:
    """The latest move or swap of ``external_id`` in a round (pins do not move anyone)."""
    found = None
    for edit in edits:
        if (
            edit.op in ("move", "swap")
            and edit.round == round_name
            and any(p.external_id == external_id for p in edit.people)
        ):
            found = edit
    return found
