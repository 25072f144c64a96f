"""Seating rule resources: which attendees (by their external ids) and how."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.validation import Text, check_line

RuleKind = Literal["keep_apart", "keep_together"]
ExternalId = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_line)]


class RuleIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "keep_together", "attendees": ["A-17", "A-18"], "note": "interpreter"},
                {"kind": "keep_apart", "attendees": ["A-3", "A-9"]},
            ]
        },
    )

    kind: RuleKind = Field(
        description="keep_apart: no two of them ever share a table; keep_together: they always "
        "sit at one table (in every round they are all seated in)."
    )
    attendees: list[ExternalId] = Field(
        min_length=2, max_length=50, description="External ids of two or more attendees."
    )
    note: Text = Field(default="", max_length=500, description="Why, for the organizers.")


class RuleOut(BaseModel):
    id: uuid.UUID
    kind: RuleKind
    attendees: list[str]
    note: str
    created_at: datetime
