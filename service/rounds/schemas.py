"""Round (meal) resources."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.validation import Line, Moment

Kind = Literal["lunch", "dinner"]
# The most seats at one table and tables in one round; a banquet hall holds far fewer.
MAX_TABLE_SEATS = 1000
MAX_TABLES = 10_000
Capacity = Annotated[int, Field(ge=2, le=MAX_TABLE_SEATS)]


class RoundIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Lunch 1",
                    "kind": "lunch",
                    "starts_at": "2027-04-14T12:30:00+02:00",
                    "location": "Hall B",
                    "table_size": 10,
                },
                {
                    "name": "Dinner 1",
                    "kind": "dinner",
                    "starts_at": "2027-04-14T19:00:00+02:00",
                    "location": "Ratskeller",
                    "capacities": [6, 6, 6, 8, 8],
                },
            ]
        },
    )

    name: Line = Field(min_length=1, max_length=100)
    kind: Kind = Field(description="'lunch' seats everyone registered; 'dinner' only opt-ins.")
    starts_at: Moment | None = Field(
        default=None, description="Start time; without a UTC offset it is read in the venue's zone."
    )
    location: Line = Field(default="", max_length=200)
    table_size: int | None = Field(
        default=None, ge=2, le=MAX_TABLE_SEATS, description="Tables as equal as possible (±1)."
    )
    capacities: list[Capacity] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TABLES,
        description="Explicit capacity of every table (2 to 1,000 seats), in table order.",
    )

    @model_validator(mode="after")
    def _one_table_plan(self) -> Self:
        check_table_plan(self.table_size, self.capacities)
        return self


class RoundPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"location": "Hall C"}]}
    )

    name: Line | None = Field(default=None, min_length=1, max_length=100)
    kind: Kind | None = None
    starts_at: Moment | None = None
    location: Line | None = Field(default=None, max_length=200)
    table_size: int | None = Field(default=None, ge=2, le=MAX_TABLE_SEATS)
    capacities: list[Capacity] | None = Field(default=None, min_length=1, max_length=MAX_TABLES)


class RoundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: str
    starts_at: datetime | None
    location: str
    table_size: int | None
    capacities: list[int] | None
    created_at: datetime
    updated_at: datetime


class CheckOut(BaseModel):
    """One finding of the instant checks (see `matching.feasibility`)."""

    rule: str = Field(
        description="capacity, keep-together, keep-apart or pins (cannot hold); empty-dinner or "
        "repeats (odd but possible)."
    )
    round: str | None = Field(description="The round's name; null when no single round.")
    detail: str = Field(description="The finding in plain words, naming people by name.")
    attendees: list[str] = Field(description="External ids of the people concerned.")
    minimum: int | None = Field(
        default=None, description="For repeats: the fewest repeated pairs any seating has."
    )


class RoundChecked(RoundOut):
    """A round as saved (or read), with what the instant checks find for it.

    Saving never fails on these: people may still register or cancel, and starting a plan
    refuses what cannot hold at that moment.
    """

    warnings: list[CheckOut] = Field(
        default_factory=list,
        description="What the checks against the people registered now found for this round: "
        "too few seats, a rule its tables cannot hold, an empty dinner, unavoidable repeats.",
    )


def check_table_plan(table_size: int | None, capacities: list[int] | None) -> None:
    """A round has either a table size or a list of capacities, never both or neither."""
    if (table_size is None) == (capacities is None):
        raise ValueError("Give exactly one of 'table_size' or 'capacities'.")
    if capacities is not None and any(c < 2 for c in capacities):
        raise ValueError("Every table capacity must be at least 2.")
