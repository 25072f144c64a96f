"""ORM rows of registration connections: the connection, its deliveries, syncs and log."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, TimestampedMixin, one_of, utcnow


class Platform(StrEnum):
    PRETIX = "pretix"
    TITO = "tito"
    EVENTBRITE = "eventbrite"


class DeliveryStatus(StrEnum):
    """received -> processing -> done; failed after the retries (or when refused outright)."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class SyncStatus(StrEnum):
    """queued -> running -> done, or failed; a sync that may be retried goes back to queued."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SyncKind(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"


class LogKind(StrEnum):
    """What a connection's log entry is about."""

    RECEIVED = "received"
    PROCESSED = "processed"
    REFUSED = "refused"
    IGNORED = "ignored"
    ERROR = "error"
    SYNC = "sync"
    CONNECTION = "connection"


class Connection(TimestampedMixin, Base):
    """A conference's link to one event on a registration platform."""

    __tablename__ = "connection"
    __table_args__ = (CheckConstraint(one_of("platform", Platform), name="platform"),)

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    # pretix: event slug; Tito: "account/event"; Eventbrite: the event id.
    event: Mapped[str] = mapped_column(String(200))
    organizer: Mapped[str] = mapped_column(String(200), default="")
    base_url: Mapped[str] = mapped_column(String(500), default="")
    # Fernet tokens (see `service.connections.secrets`); never returned by the API.
    token_encrypted: Mapped[str] = mapped_column(Text)
    signing_secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    # SHA-256 of the secret part of the webhook URL.
    hook_secret_hash: Mapped[str] = mapped_column(String(64))
    last_received_at: Mapped[datetime | None] = mapped_column(default=None)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)


class ConnectionDelivery(TimestampedMixin, Base):
    """One webhook call as received, until the worker has processed it.

    ``dedup_key`` is the platform's delivery id, or the body's SHA-256 when it sends none; it
    is unique per connection, so a delivery sent twice is stored (and processed) once.
    """

    __tablename__ = "connection_delivery"
    __table_args__ = (
        Index("uq_connection_delivery_dedup", "connection_id", "dedup_key", unique=True),
        Index("ix_connection_delivery_status_next", "status", "next_attempt_at"),
        CheckConstraint(one_of("status", DeliveryStatus), name="status"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), index=True
    )
    dedup_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(200), default="")
    # The raw body; emptied once processed (it may hold attendees' names and addresses).
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str] = mapped_column(Text, default="")


class ConnectionSync(TimestampedMixin, Base):
    """A full sync: every attendee of the platform's event, paged through and upserted."""

    __tablename__ = "connection_sync"
    __table_args__ = (
        Index("ix_connection_sync_status_next", "status", "next_attempt_at"),
        CheckConstraint(one_of("status", SyncStatus), name="status"),
        CheckConstraint(one_of("kind", SyncKind), name="kind"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12), default=SyncKind.MANUAL)
    status: Mapped[str] = mapped_column(String(12), default=SyncStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # created / updated / cancelled / unchanged / ignored / invalid
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")


class ConnectionLogEntry(Base):
    """What happened on a connection, for the organizer: never a token or secret."""

    __tablename__ = "connection_log_entry"
    __table_args__ = (
        Index("ix_connection_log_entry_connection_created", "connection_id", "created_at"),
        CheckConstraint(one_of("kind", LogKind), name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(12))
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    sync_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    message: Mapped[str] = mapped_column(Text, default="")
    # Per attendee: {"external_id", "outcome", "fields"}.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The platform's answer to a failed call: status and the start of its body.
    platform_answer: Mapped[str] = mapped_column(Text, default="")
