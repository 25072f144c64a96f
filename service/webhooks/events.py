"""The outbox: events written in the same transaction as the change they report.

A change and its event commit together or not at all, so a receiver never hears of an attendee
that was rolled back, and never misses one that was saved. Each event is one `WebhookEvent` row
(its body) and one `WebhookDelivery` row per enabled subscription that wants its type; the worker
(`service.webhooks.sender`) sends them. A conference without subscriptions writes nothing.

What an event says about a person is kept small: their id in the registration system, their
name and their status, and which fields changed (names, never values). Never an e-mail
address, notes, the profile, or the private link: a receiver that needs more reads
``GET /v1/conferences/{id}/attendees/{external_id}`` with a key of its own.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Text, cast, delete, select
from sqlalchemy.orm import Session

from service.config import get_settings
from service.db import utcnow
from service.erasure import renamed
from service.models import (
    Assignment,
    Attendee,
    AttendeeStatus,
    Conference,
    Plan,
    PlanTable,
    Round,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)
from service.review.moves import plan_moves

__all__ = [
    "attendee_written",
    "emit",
    "forget_attendee",
    "forget_subscribers",
    "plan_published",
    "profile_written",
]

_CACHE_KEY: Final = "webhook_subscribers"


def _subscribers(session: Session, conference_id: uuid.UUID) -> dict[str, list[uuid.UUID]]:
    """Event type -> enabled subscriptions of the conference that want it.

    Looked up once per session and conference: an import of thousands of attendees asks once.
    """
    cache: dict[uuid.UUID, dict[str, list[uuid.UUID]]] = session.info.setdefault(_CACHE_KEY, {})
    found = cache.get(conference_id)
    if found is None:
        found = defaultdict(list)
        rows = session.execute(
            select(WebhookSubscription.id, WebhookSubscription.events).where(
                WebhookSubscription.conference_id == conference_id,
                WebhookSubscription.enabled.is_(True),
            )
        )
        for subscription_id, events in rows:
            for event_type in events or []:
                found[event_type].append(subscription_id)
        cache[conference_id] = found
    return found


def forget_subscribers(session: Session) -> None:
    """Drop the session's view of the subscriptions (after one is created, changed or deleted)."""
    session.info.pop(_CACHE_KEY, None)


def emit(
    session: Session,
    *,
    conference_id: uuid.UUID,
    type: WebhookEventType,
    data: dict[str, Any],
    attendee: Attendee | None = None,
    occurred_at: datetime | None = None,
) -> WebhookEvent | None:
    """Write one event and a delivery for each subscription that wants it (None: nobody does).

    Raises:
        ValueError: ``type`` is not a `WebhookEventType`.
    """
    type = WebhookEventType(type)
    subscribers = _subscribers(session, conference_id).get(type, [])
    if not subscribers:
        return None
    now = utcnow()
    when = occurred_at or now
    event = WebhookEvent(
        id=uuid.uuid4(),
        conference_id=conference_id,
        type=type.value,
        attendee=attendee,
        payload={
            "type": type.value,
            "timestamp": when.isoformat().replace("+00:00", "Z"),
            "data": data,
        },
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    for subscription_id in subscribers:
        session.add(
            WebhookDelivery(
                id=uuid.uuid4(),
                event=event,
                subscription_id=subscription_id,
                status=WebhookDeliveryStatus.PENDING,
                attempts=0,
                series_attempts=0,
                next_attempt_at=now,
                last_error="",
                created_at=now,
                updated_at=now,
            )
        )
    return event


def _conference(conference: Conference) -> dict[str, str]:
    return {"id": str(conference.id), "slug": conference.slug}


def _person(attendee: Attendee) -> dict[str, Any]:
    return {"external_id": attendee.external_id, "name": attendee.name, "status": attendee.status}


def attendee_written(
    session: Session,
    *,
    conference: Conference,
    attendee: Attendee,
    outcome: str,
    changed: Sequence[str] = (),
    previous_status: str | None = None,
) -> None:
    """``attendee.created``, ``attendee.cancelled`` (status became cancelled) or ``.updated``."""
    if outcome == "created":
        kind = WebhookEventType.ATTENDEE_CREATED
    elif outcome == "updated":
        cancelled = AttendeeStatus.CANCELLED
        became_cancelled = attendee.status == cancelled and previous_status != cancelled
        kind = (
            WebhookEventType.ATTENDEE_CANCELLED
            if became_cancelled
            else WebhookEventType.ATTENDEE_UPDATED
        )
    else:
        return
    data: dict[str, Any] = {"conference": _conference(conference), "attendee": _person(attendee)}
    if outcome == "updated":
        data["changed"] = sorted(changed)
    emit(session, conference_id=conference.id, type=kind, data=data, attendee=attendee)


def profile_written(
    session: Session,
    *,
    conference: Conference,
    attendee: Attendee,
    changed: Sequence[str],
    first: bool,
) -> None:
    """``attendee.profile_written``: the attendee saved their own page (which fields, not what)."""
    emit(
        session,
        conference_id=conference.id,
        type=WebhookEventType.ATTENDEE_PROFILE_WRITTEN,
        data={
            "conference": _conference(conference),
            "attendee": _person(attendee),
            "changed": sorted(changed),
            "first": first,
        },
        attendee=attendee,
    )


def _seats(session: Session, plan_id: uuid.UUID) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    rows = session.execute(
        select(Assignment.round_id, Assignment.attendee_id, Assignment.table_number).where(
            Assignment.plan_id == plan_id
        )
    )
    return {(round_id, attendee_id): table for round_id, attendee_id, table in rows}


def plan_published(session: Session, *, conference: Conference, plan: Plan) -> None:
    """``plan.published`` for every publish; ``plan.replanned`` too when it re-plans another.

    The published event names the rounds with their table and seat counts, and where to read
    the seating (the export); the re-planned one says who moved, per round, from which table to
    which (``null``: not seated there before, or no longer) and the reason code, as
    `service.review.moves.plan_moves` finds them.
    """
    wanted = _subscribers(session, conference.id)
    if not wanted.get(WebhookEventType.PLAN_PUBLISHED) and not wanted.get(
        WebhookEventType.PLAN_REPLANNED
    ):
        return
    seats = _seats(session, plan.id)
    tables: dict[uuid.UUID, int] = defaultdict(int)
    for round_id in session.scalars(select(PlanTable.round_id).where(PlanTable.plan_id == plan.id)):
        tables[round_id] += 1
    seated: dict[uuid.UUID, int] = defaultdict(int)
    for round_id, _attendee in seats:
        seated[round_id] += 1
    rounds = list(
        session.scalars(
            select(Round)
            .where(Round.conference_id == conference.id)
            .order_by(Round.starts_at, Round.name)
        )
    )
    plan_data = {
        "id": str(plan.id),
        "published_at": (plan.published_at or utcnow()).isoformat(),
        "based_on_id": str(plan.based_on_id) if plan.based_on_id else None,
    }
    base_url = get_settings().base_url.rstrip("/")
    emit(
        session,
        conference_id=conference.id,
        type=WebhookEventType.PLAN_PUBLISHED,
        data={
            "conference": _conference(conference),
            "plan": plan_data,
            "rounds": [
                {
                    "id": str(r.id),
                    "name": r.name,
                    "kind": r.kind,
                    "starts_at": r.starts_at.isoformat() if r.starts_at else None,
                    "location": r.location,
                    "tables": tables[r.id],
                    "seated": seated[r.id],
                }
                for r in rounds
                if r.id in tables
            ],
            "export": f"{base_url}/v1/conferences/{conference.id}/export?format=json",
        },
    )
    if plan.based_on_id is None or not wanted.get(WebhookEventType.PLAN_REPLANNED):
        return
    # The viewer only words the reasons' details, which the event leaves out (they name people).
    found = plan_moves(session, conference=conference, plan=plan, viewer="")
    moves: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for move in found.moves:
        moves[move.round_id].append(
            {
                "attendee": move.attendee.external_id,
                "from": move.from_table,
                "to": move.to_table,
                "reason": move.reason,
            }
        )
    emit(
        session,
        conference_id=conference.id,
        type=WebhookEventType.PLAN_REPLANNED,
        data={
            "conference": _conference(conference),
            "plan": plan_data,
            "moved": len({move.attendee.external_id for move in found.moves}),
            "rounds": [
                {"id": str(r.id), "name": r.name, "moves": moves[r.id]}
                for r in rounds
                if r.id in moves
            ],
        },
    )


def forget_attendee(
    session: Session, *, conference_id: uuid.UUID, attendee: Attendee, erased_ref: str
) -> None:
    """Erasure: drop the events about the person; name them ``erased_ref`` in plan events.

    Call before the attendee row is blanked (their external id is read here).
    """
    session.execute(delete(WebhookEvent).where(WebhookEvent.attendee_id == attendee.id))
    external_id = attendee.external_id
    events = session.scalars(
        select(WebhookEvent).where(
            WebhookEvent.conference_id == conference_id,
            cast(WebhookEvent.payload, Text).contains(json.dumps(external_id), autoescape=True),
        )
    )

    touched = []
    for event in events:
        event.payload = renamed(event.payload, old=external_id, new=erased_ref)
        touched.append(event.id)
    if touched:
        # A receiver's answer may quote the body it was sent.
        for delivery in session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_id.in_(touched))
        ):
            if external_id in delivery.last_error or attendee.name in delivery.last_error:
                delivery.last_error = "(cleared: it quoted an erased attendee)"
