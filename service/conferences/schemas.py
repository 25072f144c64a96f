"""Conference resources as the API shows them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.validation import Day, Line

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$"


def _check_timezone(value: str | None) -> str | None:
    if value is not None and value not in available_timezones():
        raise ValueError(f"'{value}' is not an IANA time zone such as 'Europe/Berlin'.")
    return value


class ConferenceIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "slug": "pycon-de-2027",
                    "name": "PyCon DE 2027",
                    "timezone": "Europe/Berlin",
                    "location": "Darmstadt",
                    "starts_on": "2027-04-14",
                    "ends_on": "2027-04-16",
                }
            ]
        },
    )

    slug: str = Field(
        pattern=SLUG_PATTERN, max_length=100, description="Short name used in URLs and the CLI."
    )
    name: Line = Field(min_length=1, max_length=200)
    timezone: Line = Field(default="UTC", max_length=64, description="IANA time zone of the venue.")
    location: Line = Field(default="", max_length=200)
    starts_on: Day | None = None
    ends_on: Day | None = None

    _tz = field_validator("timezone")(_check_timezone)


class ConferencePatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "New"}]})

    name: Line | None = Field(default=None, min_length=1, max_length=200)
    timezone: Line | None = Field(default=None, max_length=64)
    location: Line | None = Field(default=None, max_length=200)
    starts_on: Day | None = None
    ends_on: Day | None = None

    _tz = field_validator("timezone")(_check_timezone)


class ConferenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    timezone: str
    location: str
    starts_on: date | None
    ends_on: date | None
    created_at: datetime
    updated_at: datetime
