"""What the organizer reads before publishing and after a re-plan: the publish summary and the
moves of a re-plan, naming people by name."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.models import PlanStatus
from service.rounds.schemas import CheckOut

Number = int | float


class PersonRef(BaseModel):
    """Someone named in a finding: always the name, with the registration system's id."""

    external_id: str
    name: str = Field(description='The name as registered ("Former attendee" once erased).')


class EditRef(BaseModel):
    """A manual edit of the plan, as the audit log recorded it."""

    op: str = Field(description="move, swap or pin.")
    round: str
    people: list[PersonRef] = Field(description="Who the edit moved or pinned.")
    table: int | None = Field(description="The table a move sent the person to.")
    actor: str = Field(description="The key that made it, as the audit log names it.")
    by: str = Field(description='"you" when the key asking made it, else the key\'s name.')
    at: datetime
    message: str = Field(description='E.g. "moved by you at 17:20".')


class PairOut(BaseModel):
    """Two people at one table who should not be, and what put them there."""

    round: str
    table: int
    people: list[PersonRef]
    company: str | None = Field(
        default=None, description="For co-worker pairs: the affiliation as the first one wrote it."
    )
    edit: EditRef | None = Field(
        default=None, description="The manual edit that seated them together; null: the engine."
    )
    message: str


class FigureOut(BaseModel):
    """One figure of the plan against the engine's own result."""

    figure: str = Field(description="The report's summary key, e.g. coworker_pairs.")
    label: str
    better: Literal["lower", "higher"]
    engine: Number | None = Field(description="As the engine made the plan; null if not kept.")
    now: Number | None = Field(description="The plan as it is now.")
    forced: int = Field(
        default=0,
        description="Counted in the report but forced by the organizer's keep-together rules; "
        "already taken out of engine and now.",
    )
    minimum: Number | None = Field(default=None, description="The unavoidable minimum, if any.")
    worse: bool = Field(description="Manual edits made it worse than the engine's result.")


class WorseOut(BaseModel):
    """A figure manual edits made worse, with the edits and people behind it."""

    figure: str
    label: str
    engine: Number | None
    now: Number | None
    message: str = Field(
        description='E.g. "Co-worker pairs 2 → 4: Ana Ruiz and Ben Ode (Acme) now share table 3 '
        'at Lunch 1, moved by you at 17:20".'
    )
    pairs: list[PairOut] = Field(default_factory=list)
    edits: list[EditRef] = Field(default_factory=list)


class ForcedOut(BaseModel):
    """A problem the organizer's own rule forces; not counted against the plan."""

    problem: Literal["coworker-pair", "party-pair", "repeated-pair"]
    rule_id: uuid.UUID
    note: str
    round: str
    table: int
    people: list[PersonRef]
    message: str


class RoundFill(BaseModel):
    """A round that is empty, not in this plan, under-filled or missing people."""

    round: str
    round_id: uuid.UUID
    kind: str
    status: Literal["empty", "not-planned", "under-filled", "out-of-date"]
    seated: int
    seats: int
    tables: list[int] = Field(
        default_factory=list,
        description="Under-filled tables: fewer than half their seats or one person alone.",
    )
    missing: list[PersonRef] = Field(
        default_factory=list,
        description="Registered (and, for a dinner, opted in) but not seated: they registered or "
        "changed after the plan was made.",
    )
    gone: list[PersonRef] = Field(
        default_factory=list,
        description="Seated but cancelled, marked no-show or erased since the plan was made.",
    )
    message: str


class ProfileGap(BaseModel):
    """Seated people who have not written a profile (nothing to find common ground with)."""

    count: int
    people: list[PersonRef]


class Warning(CheckOut):
    """A finding of the instant checks, for the rounds of this plan."""

    people: list[PersonRef] = Field(default_factory=list)


class SummaryOut(BaseModel):
    """What the organizer confirms when publishing: this plan against the engine's own result."""

    plan_id: uuid.UUID
    name: str = Field(description="The plan's name, for the confirmation.")
    status: PlanStatus
    version: int = Field(
        description='The plan version summarised; publish with If-Match: "<version>" so what is '
        "published is exactly what was shown (412 otherwise)."
    )
    engine_kept: bool = Field(
        description="Whether the engine's own figures are known (kept when the plan was made, or "
        "the plan has not been edited)."
    )
    edits: list[EditRef] = Field(description="Manual edits since the engine made the plan.")
    figures: list[FigureOut]
    worse: list[WorseOut] = Field(description="Figures manual edits made worse, and by whom.")
    forced: list[ForcedOut] = Field(description="Problems forced by the organizer's own rules.")
    rounds: list[RoundFill]
    without_profile: ProfileGap
    warnings: list[Warning] = Field(description="The instant checks, as warnings.")
    messages: list[str] = Field(
        description="Everything above in plain sentences, worst first, for the confirmation."
    )


class MoveOut(BaseModel):
    """One person in one round whose table differs from the plan this one re-planned."""

    round: str
    round_id: uuid.UUID
    attendee: PersonRef
    from_table: int | None = Field(description="Their table before; null: not seated then.")
    to_table: int | None = Field(description="Their table now; null: no longer seated.")
    change: Literal["moved", "seated", "unseated"]
    reason: str = Field(
        description="Not seated any more: cancelled, no-show, needs-details, erased, dinner "
        "(opted out), left. Seated now: late-registration, dinner (opted in), registered-again. "
        "Moved: edit, pin, rule, own-change, cancellation (a seat came free), late-registration "
        "(to make room for one), make-room, improve."
    )
    detail: str = Field(description="The reason in plain words, naming people.")


class FigureDelta(BaseModel):
    """A figure of this plan against the plan it re-planned."""

    figure: str
    label: str
    better: Literal["lower", "higher"]
    before: Number | None
    after: Number | None
    worse: bool
    explanation: str | None = Field(
        description='Why it dropped, e.g. "Kindred share fell from 71 % to 42 %: 12 of the 40 '
        'people with a profile cancelled."'
    )


class MovesOut(BaseModel):
    """Who a re-plan moved, from which table to which, and why."""

    plan_id: uuid.UUID
    based_on_id: uuid.UUID | None = Field(
        description="The plan that was live when this one was made; null: nothing to compare."
    )
    based_on_name: str | None = Field(default=None, description="That plan's name.")
    moved: int = Field(description="Attendee-rounds at another table than before.")
    seated: int = Field(description="Attendee-rounds seated now and not before.")
    unseated: int = Field(description="Attendee-rounds seated before and not now.")
    reasons: dict[str, int] = Field(description="How many entries each reason explains.")
    moves: list[MoveOut]
    figures: list[FigureDelta]
