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

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.affiliation import affiliation_key
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
    "first_timer_mix": "first_timer_mix_min",
}
#: Per-round report keys of the summary's figures (violations.<key> or the round's own key).
ROUND_KEYS = {
    "coworker_pairs": "coworker_pairs",
    "party_pairs": "party_pairs",
    "repeated_pairs": "repeated_pairs",
    "lone_outsiders": "lone_outsiders",
    "party_without_solo": "party_without_solo",
    "language_isolated": "language_isolated",
    "first_timer_mix": "first_timer_mix",
    "no_kindred": "no_kindred",
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
        return PersonRef(external_id=self.external_id, name=self.name)


def engine_figures(report: Mapping[str, Any] | None) -> dict[str, Any]:
    """The figures of a report worth keeping as the engine's own result (no members, ~1 KB).

    Stored in ``Plan.params["engine"]`` when a run's result is stored, so the publish summary
    can tell what manual edits changed after.
    """
    report = report or {}
    keep = ("violations", "minimum", "kindred_share", "diversity_ratio", "solo_spread")
    return {
        "summary": dict(report.get("summary") or {}),
        "rounds": [
            {"name": r.get("name"), **{k: r.get(k) for k in keep}}
            for r in report.get("rounds") or []
            if isinstance(r, Mapping)
        ],
    }


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
