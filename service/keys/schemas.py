"""API key resources. The secret appears once, in the answer to its creation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.validation import Line

Scope = Literal["read", "write", "ingest"]


class KeyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "pretix sync", "scopes": ["ingest"]}]},
    )

    name: Line = Field(default="", max_length=200, description="What the key is for.")
    scopes: list[Scope] = Field(default=["read"], min_length=1, max_length=3)


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it.")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself. It is shown only this once.")
