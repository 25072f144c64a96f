"""Attendee resources as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.attendees.fields import AttendeeFields
from service.validation import Line

EXAMPLE: dict[str, Any] = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "affiliation": "Analytical Engines Ltd",
    "interests": "Numerical computing, teaching Python to newcomers, packaging.",
    "hometown": "London",
    "languages": ["English", "French"],
    "solo": True,
    "dinner": True,
    "first_time": False,
    "dietary": "vegetarian",
}


class AttendeeIn(AttendeeFields):
    """Upsert body: the fields to set. On an update, fields left out keep their value."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    external_id: Line | None = Field(  # type: ignore[assignment]
        default=None, max_length=200, description="Optional here: the path names the attendee."
    )
    name: Line | None = Field(  # type: ignore[assignment]
        default=None, min_length=1, max_length=200, description="Required when creating."
    )


class AttendeePatch(AttendeeIn):
    """Patch body: only the fields given change."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "cancelled"}]})


class AttendeeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
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
    dietary: str
    accessibility: str
    status: str
    extra: dict[str, Any]
    link: str = Field(default="", description="The attendee's private page (keep it private).")
    created_at: datetime
    updated_at: datetime


class AttendeeReceipt(BaseModel):
    """What a key that may not read attendees (an ``ingest`` key) gets back from a write.

    Enough to match the record with the registration system's; never the profile the attendee
    wrote, their e-mail, dietary or accessibility notes, or their private link.
    """

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    external_id: str
    status: str
    created_at: datetime
    updated_at: datetime


class AttendeePage(BaseModel):
    items: list[AttendeeOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end."
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "attendees": [
                        {"external_id": "T-1001", "name": "Ada Lovelace", "affiliation": "AE Ltd"},
                        {"external_id": "T-1002", "name": "Grace Hopper", "status": "cancelled"},
                    ]
                }
            ]
        }
    )

    attendees: list[dict[str, Any]] = Field(
        description="Upserts, each with its external_id (same fields as the PUT body)."
    )


Outcome = Literal["created", "updated", "unchanged", "error"]


class BatchItemResult(BaseModel):
    index: int
    external_id: str | None
    status: Outcome
    errors: list[dict[str, str]] = Field(default_factory=list)


class BatchOut(BaseModel):
    results: list[BatchItemResult]
    counts: dict[str, int]


class ImportProblem(BaseModel):
    row: int = Field(description="Row number as a spreadsheet shows it (header is row 1).")
    column: str | None
    message: str


class ImportOut(BaseModel):
    dry_run: bool
    applied: bool = Field(description="Whether anything was written.")
    source_format: str
    rows: int
    created: int
    updated: int
    unchanged: int
    invalid: int
    problems: list[ImportProblem]
