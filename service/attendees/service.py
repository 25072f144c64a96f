"""Attendee logic and queries: upserts, batches, listing, erasure."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Text, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from service import idempotency
from service.attendees import erased, links
from service.attendees.fields import AttendeeFields
from service.audit import service as audit
from service.connections import erasure as connection_erasure
from service.db import utcnow
from service.erasure import renamed
from service.errors import ErasedAttendee, Invalid, NotFound
from service.models import (
    Assignment,
    Attendee,
    AttendeeStatus,
    AuditEvent,
    Conference,
    MailMessage,
    Plan,
    PlanStatus,
)
from service.plans import erasure as plan_erasure
from service.plans import queue as plan_queue
from service.rules import service as rule_service
from service.validation import control_character
from service.webhooks import events as webhook_events

FIELDS = tuple(name for name in AttendeeFields.model_fields if name != "external_id")
UNPUBLISHED = (PlanStatus.QUEUED, PlanStatus.RUNNING, PlanStatus.READY, PlanStatus.FAILED)


@dataclass(frozen=True)
class UpsertResult:
    attendee: Attendee
    outcome: str  # created, updated or unchanged


class FieldErrors(Exception):
    """Validation errors of one attendee, each as {"pointer", "detail"}."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def validation_errors(exc: ValidationError, *, prefix: str = "#/body") -> list[dict[str, str]]:
    return [
        {"pointer": prefix + "".join(f"/{p}" for p in e["loc"]), "detail": e["msg"]}
        for e in exc.errors()
    ]


def _current(attendee: Attendee) -> dict[str, Any]:
    return {name: getattr(attendee, name) for name in FIELDS}


def find_attendee(session: Session, *, conference: Conference, external_id: str) -> Attendee | None:
    stmt = select(Attendee).where(
        Attendee.conference_id == conference.id,
        Attendee.external_id == external_id,
        Attendee.erased_at.is_(None),
    )
    return session.scalar(stmt)


def attendees_by_external_id(
    session: Session, *, conference: Conference, external_ids: Sequence[str]
) -> dict[str, Attendee]:
    """The conference's live attendees among these ids, looked up a chunk at a time."""
    found: dict[str, Attendee] = {}
    unique = list(dict.fromkeys(external_ids))
    # Chunks keep every query under the databases' bound-parameter limits.
    for start in range(0, len(unique), 1000):
        stmt = select(Attendee).where(
            Attendee.conference_id == conference.id,
            Attendee.external_id.in_(unique[start : start + 1000]),
            Attendee.erased_at.is_(None),
        )
        found.update((a.external_id, a) for a in session.scalars(stmt))
    return found


def get_attendee(session: Session, *, conference: Conference, external_id: str) -> Attendee:
    attendee = find_attendee(session, conference=conference, external_id=external_id)
    if attendee is None:
        raise NotFound(f"Attendee '{external_id}' was not found in this conference.")
    return attendee


def merge_fields(
    existing: Attendee | None, *, external_id: str, given: Mapping[str, Any]
) -> AttendeeFields:
    """Validate the fields given on top of what the attendee already has.

    Raises:
        FieldErrors: with one entry per bad field.
    """
    values = _current(existing) if existing is not None else {}
    values.update({k: v for k, v in given.items() if k != "external_id"})
    values["external_id"] = external_id
    if existing is None and not values.get("name"):
        raise FieldErrors([{"pointer": "/name", "detail": "A new attendee needs a name."}])
    try:
        return AttendeeFields.model_validate(values)
    except ValidationError as exc:
        raise FieldErrors(validation_errors(exc, prefix="")) from exc


def apply_fields(
    session: Session,
    *,
    conference: Conference,
    existing: Attendee | None,
    fields: AttendeeFields,
    actor: str,
    record_audit: bool = True,
    emit_event: bool = True,
) -> UpsertResult:
    """Write validated fields: create the attendee or update it if anything changed.

    Bulk writers pass ``record_audit=False`` and log one event for the whole batch. Every
    write queues its outbound webhook event (`service.webhooks.events`) in this transaction,
    unless ``emit_event=False`` (the attendee page sends its own).
    """
    values = fields.model_dump(exclude={"external_id"})
    if existing is None:
        # Defaults set here rather than at flush: no flush per attendee in a large import.
        now = utcnow()
        attendee = Attendee(
            id=uuid.uuid4(),
            conference_id=conference.id,
            external_id=fields.external_id,
            link_version=1,
            created_at=now,
            updated_at=now,
            **values,
        )
        links.issue_link(session, attendee)
        session.add(attendee)
        if record_audit:
            audit.record(
                session,
                actor=actor,
                action="attendee.created",
                target_type="attendee",
                target_id=fields.external_id,
                conference_id=conference.id,
            )
        if emit_event:
            webhook_events.attendee_written(
                session, conference=conference, attendee=attendee, outcome="created"
            )
        return UpsertResult(attendee, "created")
    changed = sorted(k for k, v in values.items() if getattr(existing, k) != v)
    if not changed:
        return UpsertResult(existing, "unchanged")
    previous_status = existing.status
    for key in changed:
        setattr(existing, key, values[key])
    if emit_event:
        webhook_events.attendee_written(
            session,
            conference=conference,
            attendee=existing,
            outcome="updated",
            changed=changed,
            previous_status=previous_status,
        )
    if record_audit:
        audit.record(
            session,
            actor=actor,
            action="attendee.updated",
            target_type="attendee",
            target_id=existing.external_id,
            conference_id=conference.id,
            details={"fields": changed},
        )
    return UpsertResult(existing, "updated")


def upsert_attendee(
    session: Session,
    *,
    conference: Conference,
    external_id: str,
    given: Mapping[str, Any],
    actor: str,
    must_exist: bool = False,
) -> UpsertResult:
    """Create or update one attendee from the fields given (PUT and PATCH)."""
    if given.get("external_id") not in (None, external_id):
        raise Invalid(
            "The body's external_id differs from the one in the path.",
            errors=[{"pointer": "#/body/external_id", "detail": "must match the path"}],
        )
    existing = find_attendee(session, conference=conference, external_id=external_id)
    if existing is None and must_exist:
        raise NotFound(f"Attendee '{external_id}' was not found in this conference.")
    if existing is None and erased.erased_among(
        session, conference_id=conference.id, external_ids=[external_id]
    ):
        raise ErasedAttendee(erased.refusal(external_id))
    try:
        fields = merge_fields(existing, external_id=external_id, given=given)
    except FieldErrors as exc:
        errors = [{**e, "pointer": "#/body" + e["pointer"]} for e in exc.errors]
        raise Invalid(f"Attendee '{external_id}' is not valid.", errors=errors) from exc
    return apply_fields(
        session, conference=conference, existing=existing, fields=fields, actor=actor
    )


def upsert_many(
    session: Session,
    *,
    conference: Conference,
    items: Iterable[tuple[str, Mapping[str, Any]]],
    actor: str,
    action: str = "attendees.batch",
) -> list[UpsertResult]:
    """Write many already-checked upserts, looking existing attendees up in one query.

    Raises:
        FieldErrors: if an item does not validate (callers check items first).
    """
    pending = list(items)
    existing = attendees_by_external_id(
        session, conference=conference, external_ids=[external_id for external_id, _ in pending]
    )
    results = []
    for external_id, given in pending:
        current = existing.get(external_id)
        fields = merge_fields(current, external_id=external_id, given=given)
        result = apply_fields(
            session,
            conference=conference,
            existing=current,
            fields=fields,
            actor=actor,
            record_audit=False,
        )
        existing[external_id] = result.attendee
        results.append(result)
    counts = {o: sum(r.outcome == o for r in results) for o in ("created", "updated", "unchanged")}
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="attendee",
        conference_id=conference.id,
        details=counts,
    )
    return results


def list_attendees(
    session: Session,
    *,
    conference: Conference,
    limit: int,
    cursor: str | None = None,
    status: str | None = None,
    solo: bool | None = None,
    dinner: bool | None = None,
    q: str | None = None,
    has_profile: bool | None = None,
    link_opened: bool | None = None,
    profile_written: bool | None = None,
) -> tuple[list[Attendee], str | None, int]:
    """One page of attendees ordered by external id, the next page's cursor, and how many match.

    ``q`` finds a case-insensitive piece of the name, e-mail, affiliation or external id.
    """
    stmt = select(Attendee).where(
        Attendee.conference_id == conference.id, Attendee.erased_at.is_(None)
    )
    if q:
        needle = q.lower()
        stmt = stmt.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        Attendee.name,
                        Attendee.email,
                        Attendee.affiliation,
                        Attendee.external_id,
                    )
                )
            )
        )
    if status is not None:
        stmt = stmt.where(Attendee.status == status)
    if solo is not None:
        stmt = stmt.where(Attendee.solo == solo)
    if dinner is not None:
        stmt = stmt.where(Attendee.dinner == dinner)
    if has_profile is not None:
        stmt = stmt.where((Attendee.interests != "") if has_profile else (Attendee.interests == ""))
    for column, wanted in (
        (Attendee.link_opened_at, link_opened),
        (Attendee.profile_written_at, profile_written),
    ):
        if wanted is not None:
            stmt = stmt.where(column.is_not(None) if wanted else column.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if cursor:
        stmt = stmt.where(Attendee.external_id > decode_cursor(cursor))
    rows = list(session.scalars(stmt.order_by(Attendee.external_id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].external_id) if len(rows) > limit else None
    return rows[:limit], next_cursor, total


_CURSOR_TAG = "after:"


def encode_cursor(external_id: str) -> str:
    raw = (_CURSOR_TAG + external_id).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    problem = Invalid(
        "The cursor is not one this API gave out.",
        errors=[{"pointer": "#/query/cursor", "detail": "invalid cursor"}],
    )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise problem from exc
    # Ids never hold control characters, so a cursor that does was not made here.
    if not text.startswith(_CURSOR_TAG) or control_character(text, multiline=False):
        raise problem
    return text[len(_CURSOR_TAG) :]


def erase_attendee(
    session: Session, *, conference: Conference, attendee: Attendee, actor: str
) -> None:
    """Erase a person's data.

    Their seats in plans that are not published are removed. Seats in a published plan stay
    as an anonymous seat, so tablemates' plans and the "new faces" history do not shift under
    them; nothing about the person remains: not in a tablemate's why line, a table's topics or
    any stored report, nor under their id in the audit log. A run in progress starts again
    without them.
    """
    erased_ref = f"erased-{attendee.id}"
    # First, so no run starts from (or finishes with) the profile being erased.
    plan_queue.restart_runs(session, conference=conference)
    plan_erasure.forget_attendee(
        session, conference=conference, attendee=attendee, erased_ref=erased_ref
    )
    unpublished = select(Plan.id).where(
        Plan.conference_id == conference.id, Plan.status.in_(UNPUBLISHED)
    )
    session.execute(
        delete(Assignment).where(
            Assignment.attendee_id == attendee.id, Assignment.plan_id.in_(unpublished)
        )
    )
    rule_service.forget_attendee(session, attendee=attendee)
    # Their outbox and its log: a mail server's answer often quotes the address.
    session.execute(delete(MailMessage).where(MailMessage.attendee_id == attendee.id))
    # Kept answers to Idempotency-Keys may quote them; a replay must not bring them back.
    idempotency.forget_conference(session, conference_id=conference.id)
    # Queued webhook events about them go; plan events name them erased_ref.
    webhook_events.forget_attendee(
        session, conference_id=conference.id, attendee=attendee, erased_ref=erased_ref
    )
    _forget_in_audit_log(session, conference=conference, attendee=attendee, erased_ref=erased_ref)
    connection_erasure.forget_attendee(
        session,
        conference_id=conference.id,
        external_id=attendee.external_id,
        erased_ref=erased_ref,
    )
    # The platform and the organizer's export still hold them: no sync or import brings
    # them back under this id.
    erased.remember(session, conference_id=conference.id, external_id=attendee.external_id)
    audit.record(
        session,
        actor=actor,
        action="attendee.erased",
        target_type="attendee",
        target_id=erased_ref,
        conference_id=conference.id,
    )
    attendee.external_id = erased_ref
    attendee.name = "Former attendee"
    attendee.email = None
    for key in ("affiliation", "interests", "hometown", "dietary", "accessibility"):
        setattr(attendee, key, "")
    attendee.languages = []
    attendee.party = None
    attendee.extra = {}
    attendee.visibility = {}
    attendee.status = AttendeeStatus.CANCELLED
    attendee.link_token_hash = None
    attendee.erased_at = utcnow()


def _forget_in_audit_log(
    session: Session, *, conference: Conference, attendee: Attendee, erased_ref: str
) -> None:
    """Name the person ``erased_ref`` in the events about them or by them: who did what stays."""
    external_id = attendee.external_id
    page_actor = f"attendee:{external_id}"
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.conference_id == conference.id,
            or_(
                AuditEvent.target_id == external_id,
                AuditEvent.actor == page_actor,
                cast(AuditEvent.details, Text).contains(json.dumps(external_id), autoescape=True),
            ),
        )
    )

    for event in events:
        if event.target_id == external_id:
            event.target_id = erased_ref
        if event.actor == page_actor:
            event.actor = f"attendee:{erased_ref}"
        event.details = renamed(event.details or {}, old=external_id, new=erased_ref)


def revoke_link(session: Session, *, attendee: Attendee) -> str:
    """Invalidate the attendee's link and return the new token."""
    attendee.link_version += 1
    return links.issue_link(session, attendee)
