"""Round (meal) resources."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["lunch", "dinner"]


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

    name: str = Field(min_length=1, max_length=100)
    kind: Kind = Field(description="'lunch' seats everyone registered; 'dinner' only opt-ins.")
    starts_at: datetime | None = Field(
        default=None, description="Start time; without a UTC offset it is read in the venue's zone."
    )
    location: str = Field(default="", max_length=200)
    table_size: int | None = Field(
        default=None, ge=2, le=1000, description="Tables as equal as possible (±1)."
    )
    capacities: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="Explicit capacity of every table, in table order.",
    )

    @model_validator(mode="after")
    def _one_table_plan(self) -> Self:
        check_table_plan(self.table_size, self.capacities)
        return self


class RoundPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"location": "Hall C"}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: Kind | None = None
    starts_at: datetime | None = None
    location: str | None = Field(default=None, max_length=200)
    table_size: int | None = Field(default=None, ge=2, le=1000)
    capacities: list[int] | None = Field(default=None, min_length=1, max_length=10_000)


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


def check_table_plan(table_size: int | None, capacities: list[int] | None) -> None:
    """A round has either a table size or a list of capacities, never both or neither."""
    if (table_size is None) == (capacities is None):
        raise ValueError("Give exactly one of 'table_size' or 'capacities'.")
    if capacities is not None and any(c < 2 for c in capacities):
        raise ValueError("Every table capacity must be at least 2.")
