"""Plan resources: matching runs, their tables, edits and the embedding map."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from matching.report import Summary, TableViolations
from service.models import PlanStatus
from service.review.schemas import MovesOut
from service.rounds.schemas import CheckOut
from service.validation import check_line

# Bounds of what a plan request may ask for; far above any real conference.
MAX_ROUNDS = 1000
MAX_TABLE_NUMBER = 10_000
MAX_WEIGHT = 1_000_000.0
WeightName = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(check_line)]
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]
ExternalId = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_line)]


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a name needs at least one character besides spaces")
    return value


PlanName = Annotated[
    str,
    Field(min_length=1, max_length=200, description="A single line."),
    AfterValidator(check_line),
    AfterValidator(_not_blank),
]


class PlanIn(BaseModel):
    """What to plan and how: a matching run, queued for the worker."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"seed": 7, "time_budget": 20},
                {"replan": True},
                {"round_ids": ["7a1c3a9e-65a4-4b29-9f1e-2f7f6d1b8a10"], "weights": {"kindred": 60}},
            ]
        },
    )

    round_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ROUNDS,
        description="Rounds to plan; all rounds when null. Other rounds keep their published "
        "tables and count as meals already held (new faces every day).",
    )
    seed: int | None = Field(
        default=None, ge=0, le=2**32 - 1, description="Random seed; one is picked when null."
    )
    time_budget: float | None = Field(
        default=None,
        gt=0,
        le=3600,
        allow_inf_nan=False,
        description="Seconds the search may take (30 when null).",
    )
    weights: dict[WeightName, Weight] | None = Field(
        default=None,
        max_length=20,
        description="Soft-rule weights to override (coworker, party, repeat, solo_balance, "
        "lone_outsider, party_without_solo, kindred, language, hometown, first_time, "
        "diversity, moved).",
    )
    replan: bool = Field(
        default=False,
        description="Re-plan the published plan with as few moves as possible (after late "
        "registrations or cancellations); a fresh plan when nothing is published.",
    )


class PlanPatch(BaseModel):
    """What an organizer may change of a plan: its name."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Final"}]})

    name: PlanName


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str = Field(
        description='The organizer\'s name for it ("Plan 3 — 30 Nov 17:20" at first).'
    )
    status: PlanStatus = Field(
        description="queued, running, ready, published, superseded or failed."
    )
    progress: float = Field(description="0 to 1 while the worker runs the plan.")
    message: str
    params: dict[str, Any]
    moved: int | None = Field(description="Attendee-rounds moved by a re-plan.")
    version: int = Field(description="Changes with every edit; send it back as If-Match.")
    error: str | None = Field(description="Why a failed plan failed, in plain words.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    published_at: datetime | None
    summary: Summary | None = Field(description="The report's summary once ready.")


class PlanCreated(PlanOut):
    """A queued plan with what the instant checks found odd but possible."""

    warnings: list[CheckOut] = Field(
        default_factory=list,
        description="Warnings that do not block the plan: an empty dinner, a round so small that "
        "repeated pairs are unavoidable (with the minimum). Also kept in params.warnings.",
    )


class PlanLinks(BaseModel):
    """Where to read what a re-plan changed."""

    moves: str = Field(description="Who this re-plan moved, from which table to which, and why.")
    moves_csv: str = Field(description="The same moves as a spreadsheet (CSV).")


#: What ``GET …/plans/{plan_id}?include=`` may add to the plan.
PlanInclude = Literal["moves"]


class PlanDetail(PlanOut):
    report: dict[str, Any] | None
    links: PlanLinks | None = Field(
        default=None,
        description="Who this plan moves against the plan live when it was made, as JSON and "
        "CSV (a re-plan's moves); null when no plan was live.",
    )
    moves: MovesOut | None = Field(
        default=None,
        description="With ?include=moves: the body of GET …/moves (null without it, and while "
        "the plan has no tables yet).",
    )


class MemberOut(BaseModel):
    external_id: str
    name: str
    affiliation: str
    hometown: str
    solo: bool
    first_time: bool
    pinned: bool
    why: str


#: At most this many tables named in one ``?tables=`` filter, and in one page of tables.
MAX_TABLES_FILTER = 100
MAX_TABLES_PAGE = 500


def table_numbers(value: str | None) -> list[int] | None:
    """The table numbers of a ``?tables=3,7`` filter, sorted, each once (None: no filter).

    Example:
        >>> table_numbers("7, 3,7")
        [3, 7]
    """
    if value is None:
        return None
    if len(value) > MAX_TABLES_FILTER * 8:
        raise ValueError(f"name at most {MAX_TABLES_FILTER} tables")
    parts = [p.strip() for p in value.split(",")]
    if len(parts) > MAX_TABLES_FILTER:
        raise ValueError(f"name at most {MAX_TABLES_FILTER} tables, got {len(parts)}")
    numbers = set()
    for part in parts:
        if not part.isascii() or not part.isdigit() or not 1 <= int(part) <= MAX_TABLE_NUMBER:
            raise ValueError(
                f"table numbers are whole numbers from 1 to {MAX_TABLE_NUMBER} separated by "
                f"commas, got {part[:20]!r}"
            )
        numbers.add(int(part))
    return sorted(numbers)


class TableFigures(BaseModel):
    """One table's figures from the plan's report (the glossary explains each)."""

    size: int = Field(description="People seated at it.")
    capacity: int | None
    violations: TableViolations = Field(description="Soft-rule counts at this table.")
    common_ground: float | None = Field(description="Mean similarity of its people's profiles.")
    diversity: float | None = Field(description="1 minus that similarity, against random.")
    kindred: int = Field(description="People with someone of shared interests at the table.")
    hometowns: int = Field(description="Different home towns among those who gave one.")
    hometowns_given: int
    first_timers: int
    solo: int = Field(description="People who came alone.")


class TableOut(BaseModel):
    table: int
    capacity: int
    topics: list[str]
    figures: TableFigures | None = Field(
        description="The table's figures from the plan report (null while it has none)."
    )
    members: list[MemberOut]


class MoveEdit(BaseModel):
    """Seat one attendee at another table of a round."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["move"]
    round_id: uuid.UUID
    attendee: ExternalId = Field(description="External id of the attendee.")
    table: int = Field(ge=1, le=MAX_TABLE_NUMBER, description="Table number, from 1.")


class SwapEdit(BaseModel):
    """Exchange the tables of two attendees in a round."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["swap"]
    round_id: uuid.UUID
    a: ExternalId
    b: ExternalId


class PinEdit(BaseModel):
    """Pin an attendee to their table (a re-plan keeps them there), or unpin them."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["pin"]
    round_id: uuid.UUID
    attendee: ExternalId
    pinned: bool = True


Edit = Annotated[MoveEdit | SwapEdit | PinEdit, Field(discriminator="op")]


class MapPoint(BaseModel):
    external_id: str
    name: str
    x: float
    y: float
    table: int


class MapOut(BaseModel):
    points: list[MapPoint]
