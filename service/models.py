"""ORM rows. Table names are singular snake_case; keys are UUIDs; timestamps are aware (UTC)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Registration connections keep their rows beside their code; imported here so that every
# table is on the metadata wherever the models are.
from service.connections import models as _connection_models  # noqa: F401
from service.db import Base, TimestampedMixin, one_of, utcnow


class AttendeeStatus(StrEnum):
    """Only registered attendees are seated; the others keep their data but no seat."""

    REGISTERED = "registered"
    CANCELLED = "cancelled"
    NO_SHOW = "no-show"
    NEEDS_DETAILS = "needs-details"


class RoundKind(StrEnum):
    LUNCH = "lunch"
    DINNER = "dinner"


class PlanStatus(StrEnum):
    """queued -> running -> ready (or failed) -> published -> superseded by the next one."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    FAILED = "failed"


class RuleKind(StrEnum):
    KEEP_APART = "keep_apart"
    KEEP_TOGETHER = "keep_together"


MAIL_KINDS = ("invitation", "tables_ready", "table_changed")


class MailMessageStatus(StrEnum):
    """Where one attendee's message is: waiting (or retrying), claimed by a sender, done."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class IdempotencyState(StrEnum):
    """running -> done; a row still running after a while belonged to a process that died."""

    RUNNING = "running"
    DONE = "done"


class Conference(TimestampedMixin, Base):
    __tablename__ = "conference"

    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    location: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[str | None] = mapped_column(String(10), default=None)
    ends_on: Mapped[str | None] = mapped_column(String(10), default=None)

    rounds: Mapped[list[Round]] = relationship(
        back_populates="conference", order_by="Round.starts_at", cascade="all, delete-orphan"
    )


class Attendee(TimestampedMixin, Base):
    __tablename__ = "attendee"
    __table_args__ = (
        UniqueConstraint("conference_id", "external_id", name="uq_attendee_conference_external"),
        Index("ix_attendee_link_token_hash", "link_token_hash"),
        CheckConstraint(one_of("status", AttendeeStatus), name="status"),
    )

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    interests: Mapped[str] = mapped_column(Text, default="")
    hometown: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    solo: Mapped[bool] = mapped_column(Boolean, default=False)
    party: Mapped[str | None] = mapped_column(String(200), default=None)
    dinner: Mapped[bool] = mapped_column(Boolean, default=False)
    first_time: Mapped[bool] = mapped_column(Boolean, default=False)
    dietary: Mapped[str] = mapped_column(String(500), default="")
    accessibility: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default=AttendeeStatus.REGISTERED)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What tablemates may see of this person, by field name (see the attendee page).
    visibility: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    link_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the attendee first opened their page, and first saved their profile there: a time
    # each, nothing else about the visit.
    link_opened_at: Mapped[datetime | None] = mapped_column(default=None)
    profile_written_at: Mapped[datetime | None] = mapped_column(default=None)


class Round(TimestampedMixin, Base):
    __tablename__ = "round"
    __table_args__ = (
        UniqueConstraint("conference_id", "name", name="uq_round_conference_name"),
        CheckConstraint(one_of("kind", RoundKind), name="kind"),
    )

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    location: Mapped[str] = mapped_column(String(200), default="")
    table_size: Mapped[int | None] = mapped_column(Integer, default=None)
    capacities: Mapped[list[int] | None] = mapped_column(JSON, default=None)

    conference: Mapped[Conference] = relationship(back_populates="rounds")


class Plan(TimestampedMixin, Base):
    __tablename__ = "plan"
    __table_args__ = (
        # At most one live plan per conference, whatever two publishes do at once.
        Index(
            "uq_plan_one_published",
            "conference_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
        CheckConstraint(one_of("status", PlanStatus), name="status"),
    )

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.QUEUED, index=True)
    # What the organizer calls the plan ("Plan 3 — 30 Nov 17:20" until they rename it).
    name: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(String(500), default="")
    # Large on a big conference (every seat's why): loaded only where it is read.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None, deferred=True)
    # The review map, made with the plan (never per request): round id -> attendee external id
    # -> [x, y], a PCA of the profile embeddings of the people the round seats.
    review_map: Mapped[dict[str, dict[str, list[float]]] | None] = mapped_column(
        JSON, default=None, deferred=True
    )
    error: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    based_on_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plan.id", ondelete="SET NULL"), default=None
    )
    moved: Mapped[int | None] = mapped_column(Integer, default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)


class PlanTable(TimestampedMixin, Base):
    __tablename__ = "plan_table"
    __table_args__ = (
        UniqueConstraint("plan_id", "round_id", "number", name="uq_plan_table_plan_round_number"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)


class Assignment(TimestampedMixin, Base):
    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("plan_id", "round_id", "attendee_id", name="uq_assignment_seat"),
        Index("ix_assignment_plan_round_table", "plan_id", "round_id", "table_number"),
        Index("ix_assignment_attendee_plan", "attendee_id", "plan_id"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    attendee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    table_number: Mapped[int] = mapped_column(Integer)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    why: Mapped[str] = mapped_column(Text, default="")
    # The tablemate the why line is about (set when the plan is published), so pages can name
    # them as they are today and leave out what they hide.
    mate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("attendee.id", ondelete="SET NULL"), default=None, index=True
    )


class SeatingRule(TimestampedMixin, Base):
    """An organizer's hard rule over two or more attendees: keep them apart or together."""

    __tablename__ = "seating_rule"
    __table_args__ = (CheckConstraint(one_of("kind", RuleKind), name="kind"),)

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")

    members: Mapped[list[SeatingRuleMember]] = relationship(
        order_by="SeatingRuleMember.position", cascade="all, delete-orphan"
    )


class SeatingRuleMember(Base):
    __tablename__ = "seating_rule_member"

    rule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("seating_rule.id", ondelete="CASCADE"), primary_key=True
    )
    attendee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class ApiKey(TimestampedMixin, Base):
    __tablename__ = "api_key"

    conference_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    conference_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), default=None, index=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(200), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Setting(Base):
    """Values the service makes for itself once and keeps, such as the link-signing secret."""

    __tablename__ = "setting"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class IdempotencyKey(TimestampedMixin, Base):
    """The first answer to one ``Idempotency-Key`` of one caller, kept 24 hours.

    Only hashes and the answer are kept: the caller (a hash of their Authorization header),
    the key, the method and path, and the body. The answer is encrypted with a key made from
    the caller's own API key and the Idempotency-Key, neither of which is stored, so only a
    repeat of the request can read it (see `service.idempotency`).
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("scope_hash", "key_hash", name="uq_idempotency_key_scope_key"),
        CheckConstraint(one_of("state", IdempotencyState), name="state"),
    )

    scope_hash: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    body_hash: Mapped[str] = mapped_column(String(64))
    # The conference in the path, so erasing one of its attendees can drop its answers.
    conference_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), default=None, index=True
    )
    state: Mapped[str] = mapped_column(String(10), default=IdempotencyState.RUNNING)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    response: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ImportMapping(TimestampedMixin, Base):
    """The column mapping an organizer chose for their attendee export; one per conference.

    Reused for the next upload whose header set is the same (see `service.attendees.mapping`).
    """

    __tablename__ = "import_mapping"

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), unique=True
    )
    # The export's headers as written, in file order: what "the same export" is judged by.
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Header -> target (an attendee field, a name or id part, "extra" or "ignore").
    columns: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Placeholder kind -> what to do with such rows.
    placeholders: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class ErasedRegistration(Base):
    """A registration id an organizer erased: imports and registration systems leave it out.

    Only a keyed digest of the id is kept (`service.attendees.erased`), never the id itself.
    """

    __tablename__ = "erased_registration"

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailTemplate(TimestampedMixin, Base):
    """An organizer's own subject and text for one of the messages (else the built-in one)."""

    __tablename__ = "mail_template"
    __table_args__ = (
        UniqueConstraint("conference_id", "kind", name="uq_mail_template_conference_kind"),
        CheckConstraint(f"kind IN {MAIL_KINDS!r}", name="kind"),
    )

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)


class MailMessage(TimestampedMixin, Base):
    """One message to one attendee: the outbox row that makes every message go out once.

    The row is written before anything is sent and is unique per attendee, message and plan
    (``plan_key`` is the published plan's id for the table messages, "" for the invitation),
    so a send started twice, or restarted after a crash, never mails anyone twice.
    """

    __tablename__ = "mail_message"
    __table_args__ = (
        UniqueConstraint("attendee_id", "kind", "plan_key", name="uq_mail_message_once"),
        Index("ix_mail_message_status_next", "status", "next_attempt_at"),
        CheckConstraint(f"kind IN {MAIL_KINDS!r}", name="kind"),
        CheckConstraint(one_of("status", MailMessageStatus), name="status"),
    )

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    attendee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    plan_key: Mapped[str] = mapped_column(String(36), default="")
    status: Mapped[str] = mapped_column(String(10), default=MailMessageStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # The mail server's last answer (code and text), or why the message could not be built.
    last_answer: Mapped[str] = mapped_column(Text, default="")


class WebhookEventType(StrEnum):
    """What an outbound webhook event reports (``type`` in its body)."""

    PLAN_PUBLISHED = "plan.published"
    PLAN_REPLANNED = "plan.replanned"
    ATTENDEE_CREATED = "attendee.created"
    ATTENDEE_UPDATED = "attendee.updated"
    ATTENDEE_CANCELLED = "attendee.cancelled"
    ATTENDEE_PROFILE_WRITTEN = "attendee.profile_written"


class WebhookDeliveryStatus(StrEnum):
    """pending -> sending -> delivered, or back to pending until the retries run out: failed."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookSubscription(TimestampedMixin, Base):
    """An organizer's receiver of outbound webhooks: a URL and the events it wants.

    The signing secret is stored encrypted (not hashed: every delivery is signed with it).
    """

    __tablename__ = "webhook_subscription"

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    # The secret before the last rotation: deliveries carry its signature too until then.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    previous_secret_until: Mapped[datetime | None] = mapped_column(default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookEvent(TimestampedMixin, Base):
    """One event, written in the transaction of the change it reports (the outbox).

    ``payload`` is the body sent, ``{"type", "timestamp", "data"}``; ``attendee_id`` names the
    person an attendee event is about, so erasing them removes it.
    """

    __tablename__ = "webhook_event"
    __table_args__ = (CheckConstraint(one_of("type", WebhookEventType), name="type"),)

    conference_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    attendee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), default=None, index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # For the unit of work: a new attendee is inserted before the event about them.
    attendee: Mapped[Attendee | None] = relationship()


class WebhookDelivery(TimestampedMixin, Base):
    """One event to one subscription: its attempts, the receiver's last answer, the next try."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id", name="uq_webhook_delivery_once"),
        Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),
        CheckConstraint(one_of("status", WebhookDeliveryStatus), name="status"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=WebhookDeliveryStatus.PENDING)
    # Every try ever, and the tries since the schedule last started (a re-send restarts it).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    series_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    # Why the last try failed (a timeout, a refused address, the receiver's answer), or "".
    last_error: Mapped[str] = mapped_column(Text, default="")

    # For the unit of work: the event is inserted before its deliveries.
    event: Mapped[WebhookEvent] = relationship()
