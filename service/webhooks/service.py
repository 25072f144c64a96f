"""Webhook subscriptions: create, change, delete, list; the delivery log and re-sends."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from service import net
from service.audit import service as audit
from service.db import utcnow
from service.errors import Conflict, Invalid, NotFound
from service.models import (
    Conference,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookSubscription,
)
from service.webhooks import events, signing

__all__ = [
    "Created",
    "counts",
    "create",
    "delete",
    "get",
    "get_delivery",
    "list_deliveries",
    "list_subscriptions",
    "resend",
    "update_subscription",
]

#: Most subscriptions one conference may have.
MAX_SUBSCRIPTIONS = 20


@dataclass(frozen=True)
class Created:
    subscription: WebhookSubscription
    secret: str


def _checked_url(url: str) -> str:
    try:
        net.check_url(url)
    except net.UnsafeURL as exc:
        raise Invalid(str(exc), errors=[{"pointer": "#/body/url", "detail": str(exc)}]) from None
    return url


def _unique(types: Sequence[str]) -> list[str]:
    # Stored as the plain values, whether the types came in as enum members or strings.
    return list(dict.fromkeys(str(t) for t in types))


def _audit(
    session: Session,
    *,
    subscription: WebhookSubscription,
    actor: str,
    action: str,
    details: dict[str, object],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"webhook.{action}",
        target_type="webhook",
        target_id=subscription.id,
        conference_id=subscription.conference_id,
        details=details,
    )


def get(session: Session, *, conference: Conference, webhook_id: uuid.UUID) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, webhook_id)
    if subscription is None or subscription.conference_id != conference.id:
        raise NotFound(f"Webhook '{webhook_id}' was not found in this conference.")
    return subscription


def create(
    session: Session,
    *,
    conference: Conference,
    url: str,
    event_types: Sequence[str],
    description: str,
    actor: str,
) -> Created:
    """Save a subscription; its signing secret is returned this once."""
    existing = session.scalar(
        select(func.count()).where(WebhookSubscription.conference_id == conference.id)
    )
    if (existing or 0) >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"A conference may have at most {MAX_SUBSCRIPTIONS} webhooks.")
    secret = signing.new_secret()
    subscription = WebhookSubscription(
        conference_id=conference.id,
        url=_checked_url(url),
        events=_unique(event_types),
        description=description,
        secret_encrypted=signing.encrypt(session, secret),
        enabled=True,
    )
    session.add(subscription)
    session.flush()
    events.forget_subscribers(session)
    _audit(
        session,
        subscription=subscription,
        actor=actor,
        action="created",
        details={"url": subscription.url, "events": subscription.events},
    )
    return Created(subscription, secret)


def update_subscription(
    session: Session,
    *,
    subscription: WebhookSubscription,
    url: str | None,
    event_types: Sequence[str] | None,
    description: str | None,
    enabled: bool | None,
    actor: str,
) -> WebhookSubscription:
    """Change what was given. Enabling a disabled webhook sends what is pending at once."""
    changed: dict[str, object] = {}
    if url is not None and url != subscription.url:
        subscription.url = _checked_url(url)
        changed["url"] = url
    if event_types is not None and _unique(event_types) != subscription.events:
        subscription.events = _unique(event_types)
        changed["events"] = subscription.events
    if description is not None and description != subscription.description:
        subscription.description = description
        changed["description"] = description
    if enabled is not None and enabled != subscription.enabled:
        subscription.enabled = enabled
        changed["enabled"] = enabled
        now = utcnow()
        if enabled:
            subscription.disabled_reason = None
            subscription.disabled_at = None
            # A fresh schedule for what waited while it was off.
            session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.subscription_id == subscription.id,
                    WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                )
                .values(next_attempt_at=now, series_attempts=0, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        else:
            subscription.disabled_reason = f"Disabled by {actor}."
            subscription.disabled_at = now
    if changed:
        subscription.updated_at = utcnow()
        session.flush()
        events.forget_subscribers(session)
        _audit(session, subscription=subscription, actor=actor, action="updated", details=changed)
    return subscription


def rotate_secret(
    session: Session, *, subscription: WebhookSubscription, keep_old_for: timedelta, actor: str
) -> Created:
    """Give the webhook a new signing secret, returned this once.

    For ``keep_old_for`` every delivery is signed with the old secret as well as the new one,
    so the receiver can switch at its own pace; after that (or at once, for zero) only the new
    secret signs. A secret replaced earlier than that is forgotten.
    """
    secret = signing.new_secret()
    now = utcnow()
    if keep_old_for > timedelta(0):
        subscription.previous_secret_encrypted = subscription.secret_encrypted
        subscription.previous_secret_until = now + keep_old_for
    else:
        subscription.previous_secret_encrypted = None
        subscription.previous_secret_until = None
    subscription.secret_encrypted = signing.encrypt(session, secret)
    subscription.updated_at = now
    session.flush()
    _audit(
        session,
        subscription=subscription,
        actor=actor,
        action="secret_rotated",
        details={"old_secret_until": (now + keep_old_for).isoformat()},
    )
    return Created(subscription, secret)


def delete(session: Session, *, subscription: WebhookSubscription, actor: str) -> None:
    """Delete the subscription and its deliveries (events other subscriptions wait for stay)."""
    _audit(
        session,
        subscription=subscription,
        actor=actor,
        action="deleted",
        details={"url": subscription.url},
    )
    session.delete(subscription)
    session.flush()
    events.forget_subscribers(session)


def list_subscriptions(session: Session, *, conference: Conference) -> list[WebhookSubscription]:
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.conference_id == conference.id)
            .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
        )
    )


def counts(
    session: Session, *, subscription_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Deliveries per subscription and status."""
    found: dict[uuid.UUID, dict[str, int]] = {i: {} for i in subscription_ids}
    if not subscription_ids:
        return found
    rows = session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.subscription_id.in_(subscription_ids))
        .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)
    )
    for subscription_id, status, count in rows:
        found[subscription_id][status] = count
    return found


def _encode_cursor(delivery: WebhookDelivery) -> str:
    raw = json.dumps([delivery.created_at.isoformat(), str(delivery.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, delivery_id = json.loads(raw)
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(delivery_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            "The cursor is not one this API gave out.",
            errors=[{"pointer": "#/query/cursor", "detail": "invalid cursor"}],
        ) from None


def list_deliveries(
    session: Session,
    *,
    subscription: WebhookSubscription,
    status: str | None,
    event_type: str | None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[tuple[WebhookDelivery, WebhookEvent]], int, str | None]:
    """The newest deliveries first (with their events), how many match in all, and the cursor
    of the next (older) page, if there is one."""
    conditions = [WebhookDelivery.subscription_id == subscription.id]
    if status is not None:
        conditions.append(WebhookDelivery.status == status)
    if event_type is not None:
        conditions.append(WebhookEvent.type == event_type)
    total = session.scalar(
        select(func.count())
        .select_from(WebhookDelivery)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(*conditions)
    )
    if cursor is not None:
        after, after_id = _decode_cursor(cursor)
        conditions.append(
            or_(
                WebhookDelivery.created_at < after,
                and_(WebhookDelivery.created_at == after, WebhookDelivery.id < after_id),
            )
        )
    base = select(WebhookDelivery, WebhookEvent).join(
        WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id
    )
    rows = [
        (delivery, event)
        for delivery, event in session.execute(
            base.where(*conditions)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit + 1)
        )
    ]
    next_cursor = _encode_cursor(rows[limit - 1][0]) if len(rows) > limit else None
    return rows[:limit], int(total or 0), next_cursor


def get_delivery(
    session: Session, *, subscription: WebhookSubscription, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, WebhookEvent]:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise NotFound(f"Delivery '{delivery_id}' was not found for this webhook.")
    return delivery, session.get_one(WebhookEvent, delivery.event_id)


def resend(
    session: Session, *, subscription: WebhookSubscription, delivery_id: uuid.UUID, actor: str
) -> tuple[WebhookDelivery, WebhookEvent]:
    """Send a delivery again at once, on a fresh schedule, with the same ``webhook-id``.

    Raises:
        Conflict: the webhook is disabled, or the delivery is being sent right now.
    """
    delivery, event = get_delivery(session, subscription=subscription, delivery_id=delivery_id)
    if not subscription.enabled:
        raise Conflict(
            'This webhook is disabled: enable it first (PATCH {"enabled": true}), then re-send.'
        )
    now = utcnow()
    moved = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            WebhookDelivery.status != WebhookDeliveryStatus.SENDING,
        )
        .values(
            status=WebhookDeliveryStatus.PENDING,
            series_attempts=0,
            next_attempt_at=now,
            claimed_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise Conflict("This delivery is being sent right now; look again in a few seconds.")
    session.refresh(delivery)
    _audit(
        session,
        subscription=subscription,
        actor=actor,
        action="resent",
        details={"delivery": str(delivery.id), "event": event.type},
    )
    return delivery, event
