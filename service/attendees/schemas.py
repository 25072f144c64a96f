"""Attendee resources as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.attendees.fields import AttendeeFields
from service.attendees.mapping import ACTIONS_BY_KIND, TARGET_LABELS
from service.models import AttendeeStatus
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
    status: AttendeeStatus
    extra: dict[str, Any]
    link: str = Field(default="", description="The attendee's private page (keep it private).")
    link_opened_at: datetime | None = Field(
        default=None, description="When the attendee first opened their page (null: not yet)."
    )
    profile_written_at: datetime | None = Field(
        default=None, description="When the attendee first saved their profile on their page."
    )
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
    status: AttendeeStatus
    created_at: datetime
    updated_at: datetime


class AttendeePage(BaseModel):
    items: list[AttendeeOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end."
    )
    total: int = Field(default=0, description="How many attendees match the search and filters.")


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


class ImportColumn(BaseModel):
    header: str = Field(description="The column's header as the file writes it.")
    target: str = Field(description="What it fills (see GET …/import-mapping for the list).")
    label: str = Field(description="The target in words: 'home town', 'kept as extra answer'…")
    recognised_by: str = Field(
        description="exact header, known export, question wording, saved mapping, your "
        "mapping, empty header, or not recognised"
    )
    samples: list[str] = Field(description="Up to 3 different values from the first rows.")


class ImportFlagged(BaseModel):
    row: int = Field(description="Row number as a spreadsheet shows it.")
    kind: str = Field(description="info_requested, email_as_name, test_entry or duplicate_person")
    action: str = Field(
        description="What was (or would be) done: buyer_name, needs_details, skip or import."
    )
    name: str = Field(description="The name as the file gives it.")
    external_id: str
    note: str = ""


class ImportCounts(BaseModel):
    """What the attendees written by this import look like once it is applied."""

    seated: int = Field(description="Registered: they will get a seat.")
    solo: int = Field(description="Registered and came alone.")
    dinner: int = Field(description="Registered and opted in to dinners.")
    blank_profiles: int = Field(description="Registered with no interests written yet.")
    cancelled: int = Field(description="Cancelled or no-show.")
    needs_details: int = Field(description="Placeholders waiting for a real name.")
    skipped: int = Field(description="Flagged rows left out by their action.")


class ImportMappingBody(BaseModel):
    """A saved import mapping: the export's headers, each column's target, placeholder actions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "headers": [
                        "Attendee #",
                        "First Name",
                        "Last Name",
                        "Are you attending alone?",
                    ],
                    "columns": {
                        "Attendee #": "external_id",
                        "First Name": "first_name",
                        "Last Name": "last_name",
                        "Are you attending alone?": "solo",
                    },
                    "placeholders": {"info_requested": "buyer_name", "test_entry": "skip"},
                }
            ]
        }
    )

    headers: list[str] = Field(
        default_factory=list,
        max_length=1000,
        description="The export's headers; the mapping is reused for a file with the same "
        "header set. Defaults to the columns named.",
    )
    columns: dict[str, str] = Field(description="Header -> target.")
    placeholders: dict[str, str] = Field(
        default_factory=dict, description="Placeholder kind -> action."
    )


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
    erased: list[int] = Field(
        default_factory=list,
        description="Rows (numbered as in the file) of people erased from this conference: "
        "left out, so that their data does not come back.",
    )
    problems_by_column: dict[str, int] = Field(
        default_factory=dict, description="How many problems each column has ('' for whole rows)."
    )
    counts: ImportCounts | None = None
    columns: list[ImportColumn] = Field(
        default_factory=list, description="The mapping preview: every column of the file."
    )
    flagged: list[ImportFlagged] = Field(
        default_factory=list, description="Placeholder and junk rows, and what is done with each."
    )
    mapping: ImportMappingBody | None = Field(
        default=None, description="The mapping used; send it back (changed) as `mapping`."
    )
    mapping_source: str = Field(
        default="recognised", description="your mapping, saved mapping, or recognised"
    )
    targets: dict[str, str] = Field(
        default_factory=lambda: dict(TARGET_LABELS),
        description="Every target a column can have, with its label.",
    )
    placeholder_actions: dict[str, list[str]] = Field(
        default_factory=lambda: {kind: list(actions) for kind, actions in ACTIONS_BY_KIND.items()},
        description="The actions each placeholder kind can have.",
    )
