"""HTTP routes for outbound webhooks: subscriptions, their delivery log and re-sends."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from service.auth import ReadAccess, WriteAccess
from service.db import SessionDep
from service.models import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)
from service.webhooks import sender, signing
from service.webhooks import service as webhook_service
from service.webhooks.schemas import (
    DeliveryCounts,
    DeliveryList,
    DeliveryOut,
    SecretRotation,
    WebhookCreated,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(prefix="/v1/conferences/{conference_id}/webhooks", tags=["webhooks"])


def _out(subscription: WebhookSubscription, counts: dict[str, int]) -> WebhookOut:
    return WebhookOut(
        id=subscription.id,
        url=subscription.url,
        events=list(subscription.events),
        description=subscription.description,
        enabled=subscription.enabled,
        disabled_reason=subscription.disabled_reason,
        disabled_at=subscription.disabled_at,
        previous_secret_until=signing.old_secret_until(subscription),
        deliveries=DeliveryCounts(**counts),
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
    )


def _one(session: Session, subscription: WebhookSubscription) -> WebhookOut:
    counts = webhook_service.counts(session, subscription_ids=[subscription.id])
    return _out(subscription, counts[subscription.id])


def _delivery(delivery: WebhookDelivery, event: WebhookEvent) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        event_id=event.id,
        webhook_id=sender.message_id(event.id),
        event_type=event.type,
        event_timestamp=str(event.payload.get("timestamp", "")),
        status=WebhookDeliveryStatus(delivery.status),  # a CHECK keeps it one of them
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        last_attempt_at=delivery.last_attempt_at,
        next_attempt_at=delivery.next_attempt_at,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        payload=event.payload,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a webhook")
def create_webhook(
    data: WebhookIn, access: WriteAccess, session: SessionDep, response: Response
) -> WebhookCreated:
    """Send these events to this URL from now on; the signing secret is in this answer only."""
    created = webhook_service.create(
        session,
        conference=access.conference,
        url=data.url,
        event_types=data.events,
        description=data.description,
        actor=access.caller.actor,
    )
    response.headers["Location"] = (
        f"/v1/conferences/{access.conference.id}/webhooks/{created.subscription.id}"
    )
    out = _one(session, created.subscription)
    return WebhookCreated(**out.model_dump(), secret=created.secret)


@router.get("", summary="List webhooks")
def list_webhooks(access: ReadAccess, session: SessionDep) -> WebhookList:
    """Every webhook of the conference, oldest first: whether it is enabled (if not, why) and
    how many deliveries are pending, delivered and failed."""
    subscriptions = webhook_service.list_subscriptions(session, conference=access.conference)
    counts = webhook_service.counts(session, subscription_ids=[s.id for s in subscriptions])
    return WebhookList(items=[_out(s, counts[s.id]) for s in subscriptions])


@router.get("/{webhook_id}", summary="Get a webhook")
def get_webhook(webhook_id: uuid.UUID, access: ReadAccess, session: SessionDep) -> WebhookOut:
    """One webhook with its state and delivery counts (never its secret)."""
    subscription = webhook_service.get(session, conference=access.conference, webhook_id=webhook_id)
    return _one(session, subscription)


@router.patch("/{webhook_id}", summary="Change or re-enable a webhook")
def patch_webhook(
    webhook_id: uuid.UUID, data: WebhookPatch, access: WriteAccess, session: SessionDep
) -> WebhookOut:
    """Change its URL, events or description; `{"enabled": true}` turns a disabled webhook
    back on (what is pending goes at once), `false` pauses it."""
    subscription = webhook_service.get(session, conference=access.conference, webhook_id=webhook_id)
    webhook_service.update_subscription(
        session,
        subscription=subscription,
        url=data.url,
        event_types=data.events,
        description=data.description,
        enabled=data.enabled,
        actor=access.caller.actor,
    )
    return _one(session, subscription)


@router.post("/{webhook_id}/secret", summary="Rotate a webhook's signing secret")
def rotate_secret(
    webhook_id: uuid.UUID,
    access: WriteAccess,
    session: SessionDep,
    data: SecretRotation | None = None,
) -> WebhookCreated:
    """A new signing secret, in this answer only; the old one keeps signing too for
    ``keep_old_for_hours`` (24 by default), so the receiver can switch without a gap."""
    subscription = webhook_service.get(session, conference=access.conference, webhook_id=webhook_id)
    rotated = webhook_service.rotate_secret(
        session,
        subscription=subscription,
        keep_old_for=timedelta(hours=(data or SecretRotation()).keep_old_for_hours),
        actor=access.caller.actor,
    )
    out = _one(session, subscription)
    return WebhookCreated(**out.model_dump(), secret=rotated.secret)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a webhook")
def delete_webhook(webhook_id: uuid.UUID, access: WriteAccess, session: SessionDep) -> Response:
    """Stop sending to it and forget its delivery log."""
    subscription = webhook_service.get(session, conference=access.conference, webhook_id=webhook_id)
    webhook_service.delete(session, subscription=subscription, actor=access.caller.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", summary="A webhook's delivery log")
def list_deliveries(
    webhook_id: uuid.UUID,
    access: ReadAccess,
    session: SessionDep,
    status: WebhookDeliveryStatus | None = None,
    event_type: WebhookEventType | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DeliveryList:
    """Newest first: each event sent, its attempts, the receiver's last status code or the
    error, and when the next attempt is due; `next_cursor` gives the older ones."""
    subscription = webhook_service.get(session, conference=access.conference, webhook_id=webhook_id)
    rows, total, next_cursor = webhook_service.list_deliveries(
        session,
        subscription=subscription,
        status=status,
        event_type=event_type,
        limit=limit,
        cursor=cursor,
    )
    return DeliveryList(
        items=[_delivery(d, e) for d, e in rows], total=total, next_cursor=next_cursor
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery again",
)
def resend_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, access: WriteAccess, session: SessionDep
) -> DeliveryOut:
    """Queue it at once on a fresh retry schedule, with the same `webhook-id` (a receiver that
    already took the event sees a repeat). 409 while the webhook is disabled."""
    subscription = webhook_service.get(session, conference=access.conference, webhook_id=webhook_id)
    delivery, event = webhook_service.resend(
        session, subscription=subscription, delivery_id=delivery_id, actor=access.caller.actor
    )
    return _delivery(delivery, event)
