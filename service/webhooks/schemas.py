"""Webhook subscriptions and deliveries as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.models import WebhookDeliveryStatus, WebhookEventType
from service.validation import Line

_EXAMPLE: dict[str, Any] = {
    "url": "https://app.example.com/hallway/hooks",
    "events": ["plan.published", "plan.replanned", "attendee.cancelled"],
    "description": "Event app",
}


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    url: Line = Field(
        min_length=1,
        max_length=2000,
        description="Where to POST events: https:// on a public address (see the README).",
    )
    events: list[WebhookEventType] = Field(min_length=1, max_length=6, description="What to send.")
    description: Line = Field(default="", max_length=200, description="A note for people.")


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": True}]})

    url: Line | None = Field(default=None, min_length=1, max_length=2000)
    events: list[WebhookEventType] | None = Field(default=None, min_length=1, max_length=6)
    description: Line | None = Field(default=None, max_length=200)
    enabled: bool | None = Field(
        default=None,
        description="true enables a disabled webhook again: deliveries still pending go at once.",
    )


class DeliveryCounts(BaseModel):
    pending: int = 0
    sending: int = 0
    delivered: int = 0
    failed: int = 0


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(description="Why it was disabled, when it was.")
    disabled_at: datetime | None
    previous_secret_until: datetime | None = Field(
        default=None,
        description="After a rotation: until when deliveries are also signed with the old "
        "secret (null: only the current secret signs).",
    )
    deliveries: DeliveryCounts
    created_at: datetime
    updated_at: datetime


class SecretRotation(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"keep_old_for_hours": 24}]}
    )

    keep_old_for_hours: int = Field(
        default=24,
        ge=0,
        le=168,
        description="How long deliveries still carry a signature with the old secret as well "
        "(0: stop at once).",
    )


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The signing secret (whsec_…), shown this once: keep it with the receiver."
    )


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    event_type: str
    event_timestamp: str
    status: WebhookDeliveryStatus
    attempts: int = Field(description="Attempts so far, re-sends included.")
    last_status_code: int | None = Field(description="The receiver's last HTTP status.")
    last_error: str
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any] = Field(description="The body sent.")


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    total: int = Field(description="Deliveries matching the filters, on every page.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null: no more."
    )
