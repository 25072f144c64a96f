"""Request and response bodies of registration connections. Tokens go in, never out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.connections.models import LogKind, Platform, SyncKind, SyncStatus
from service.validation import Line

Secret = Line


_EXAMPLE: dict[str, Any] = {
    "platform": "pretix",
    "name": "Ticket shop",
    "organizer": "pyconf",
    "event": "2026",
    "base_url": "https://pretix.eu",
    "token": "pretix-api-token",
}


class ConnectionIn(BaseModel):
    """A connection to one event on a registration platform."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [_EXAMPLE]}
    )

    platform: Platform
    name: Line = Field(default="", max_length=200, description="A label for the dashboard.")
    event: Line = Field(
        min_length=1,
        max_length=200,
        description='pretix: the event slug; Tito: "account-slug/event-slug"; Eventbrite: the '
        "event id.",
    )
    organizer: Line = Field(
        default="", max_length=200, description="pretix only: the organizer slug."
    )
    base_url: Line | None = Field(
        default=None,
        max_length=500,
        description='pretix only: the shop\'s address (default "https://pretix.eu").',
    )
    token: Secret = Field(
        min_length=1, max_length=2000, description="The platform's API token; write-only."
    )
    signing_secret: Secret | None = Field(
        default=None,
        max_length=2000,
        description="Tito only: the webhook's security token; write-only.",
    )

    def problems(self) -> list[tuple[str, str]]:
        """What this platform needs and the body lacks (or must not have): (field, why)."""
        found: list[tuple[str, str]] = []
        if self.platform == Platform.PRETIX:
            if not self.organizer:
                found.append(("organizer", "a pretix connection needs the organizer slug"))
        elif self.organizer:
            found.append(("organizer", f"only pretix connections have one, not {self.platform}"))
        if self.platform != Platform.PRETIX and self.base_url:
            found.append(("base_url", f"only pretix connections have one, not {self.platform}"))
        if self.platform == Platform.TITO:
            account, slash, event = self.event.partition("/")
            if not (account and slash and event) or "/" in event:
                found.append(("event", 'a Tito event is "account-slug/event-slug"'))
            if not self.signing_secret:
                found.append(
                    ("signing_secret", "a Tito connection needs the webhook's security token")
                )
        elif self.signing_secret:
            found.append(("signing_secret", f"only Tito connections have one, not {self.platform}"))
        if self.platform == Platform.EVENTBRITE and not self.event.isdigit():
            found.append(("event", "an Eventbrite event id is a number"))
        return found


class ConnectionPatch(BaseModel):
    """New values for a connection: its label, or a new token or signing secret."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"token": "new-pretix-api-token"}]},
    )

    name: Line | None = Field(default=None, max_length=200)
    token: Secret | None = Field(
        default=None, min_length=1, max_length=2000, description="A new API token; write-only."
    )
    signing_secret: Secret | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Tito only: a new webhook security token; write-only.",
    )


class SyncCounts(BaseModel):
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    ignored: int = Field(default=0, description="Tickets of another event, or skipped rows.")
    invalid: int = Field(default=0, description="Tickets whose data could not be used.")


class SyncOut(BaseModel):
    """A full sync and what it did."""

    id: uuid.UUID
    connection_id: uuid.UUID
    kind: SyncKind
    status: SyncStatus
    counts: SyncCounts
    attempts: int
    error: str = Field(description="Why it failed or is retried, with the platform's answer.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    next_attempt_at: datetime | None


class ConnectionOut(BaseModel):
    """A connection as the API shows it: never its token or secrets."""

    id: uuid.UUID
    conference_id: uuid.UUID
    platform: Platform
    name: str
    event: str
    organizer: str
    base_url: str
    created_at: datetime
    last_received_at: datetime | None = Field(description="When the last webhook arrived.")
    last_synced_at: datetime | None = Field(description="When the last full sync finished.")
    last_error: str = Field(description="The last failure, with the platform's answer.")
    last_error_at: datetime | None
    pending_deliveries: int = Field(description="Webhooks received and not processed yet.")
    failed_deliveries: int = Field(description="Webhooks given up on (see the log).")
    last_sync: SyncOut | None


class ConnectionCreated(ConnectionOut):
    """The new connection with its webhook URL, shown this once."""

    webhook_url: str = Field(
        description="Paste this into the platform; it is shown only now (rotate for a new one)."
    )


class WebhookUrlOut(BaseModel):
    webhook_url: str


class DeliveryAccepted(BaseModel):
    delivery_id: uuid.UUID
    duplicate: bool = Field(
        default=False, description="The same delivery arrived before; it is processed once."
    )


class SyncQueued(BaseModel):
    sync_id: uuid.UUID
    status: Literal[SyncStatus.QUEUED, SyncStatus.RUNNING]


class LogEntryOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    kind: LogKind
    message: str
    delivery_id: uuid.UUID | None
    sync_id: uuid.UUID | None
    changes: list[dict[str, Any]] = Field(
        description="Per attendee: external_id, outcome and the fields that changed."
    )
    platform_answer: str = Field(description="The platform's answer to a failed call.")


class LogPage(BaseModel):
    items: list[LogEntryOut]
    next_cursor: str | None = Field(default=None, description="Pass as `before` for older.")
