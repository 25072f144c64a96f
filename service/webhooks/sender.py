"""The webhook worker: claims due deliveries, signs them and POSTs them to their receivers.

It runs inside every plan worker (`hallway worker`, and the one `hallway serve` starts) on a
thread of its own, beside the mail queue. A delivery is claimed before it is sent (pending ->
sending, `service.background.claim_due`), so two workers never send one delivery at the same
time, and its outcome is recorded right after.

Every attempt at one event carries the same ``webhook-id``, so a receiver that remembers the ids
it has accepted processes each event exactly once, whatever the retries. A 2xx answer delivers;
anything else (another status, a redirect, no answer within `TIMEOUT` seconds, a refused
address) is tried again after the waits of `SCHEDULE` (Standard Webhooks' schedule: at once,
5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 27 hours in all); while one waits, the
subscription's other due events wait with it, so a receiver that is down gets one attempt per
wait rather than one per queued event. A delivery that fails its
last attempt is failed and its subscription disabled, with the reason in the API and the audit
log; the organizer enables it again with PATCH and re-sends what failed.
A row left "sending" by a worker that died is sent again after `STALE_SENDING` (same id).
Events are kept `KEEP_EVENTS` (30 days) for the log and re-sends, then deleted with their log.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import httpx
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from service import net
from service.audit import service as audit
from service.background import Every, Loop, claim_due, drain
from service.db import session_scope, utcnow
from service.models import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
    WebhookSubscription,
)
from service.webhooks import signing

log = logging.getLogger(__name__)

#: Seconds to wait before each attempt of a series (the first goes at once).
SCHEDULE: Final = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
#: Seconds a receiver has to answer.
TIMEOUT: Final = 10.0
#: A row "sending" for longer than this lost its worker; it is sent again.
STALE_SENDING: Final = timedelta(minutes=2)
#: Events older than this are deleted with their log once nothing of theirs is left to send.
KEEP_EVENTS: Final = timedelta(days=30)
#: How much of a receiver's answer the log keeps.
ANSWER_CHARS: Final = 300
USER_AGENT: Final = "Hallway-Webhooks/1"
ACTOR: Final = "webhooks"

Clock = Callable[[], datetime]


def message_id(event_id: uuid.UUID) -> str:
    """The ``webhook-id`` of an event: the same on every attempt and for every subscription."""
    return f"msg_{event_id.hex}"


def body_of(event: WebhookEvent) -> str:
    return json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Job:
    """What sending one claimed delivery needs, read in the transaction that claimed it."""

    delivery_id: uuid.UUID
    url: str
    body: str
    message_id: str
    # The current secret, then the one it replaced while that is still honoured; empty when
    # the current one cannot be decrypted any more.
    secrets: tuple[str, ...]


def _secrets(session: Session, subscription: WebhookSubscription) -> tuple[str, ...]:
    try:
        current = signing.decrypt(session, subscription.secret_encrypted)
    except signing.InvalidToken:
        return ()
    previous = subscription.previous_secret_encrypted
    if previous is None or signing.old_secret_until(subscription) is None:
        return (current,)
    try:
        return (current, signing.decrypt(session, previous))
    except signing.InvalidToken:
        return (current,)


def _job(session: Session, delivery_id: uuid.UUID) -> Job:
    delivery = session.get_one(WebhookDelivery, delivery_id)
    event = session.get_one(WebhookEvent, delivery.event_id)
    subscription = session.get_one(WebhookSubscription, delivery.subscription_id)
    secrets = _secrets(session, subscription)
    return Job(delivery_id, subscription.url, body_of(event), message_id(event.id), secrets)


def claim_job(*, now: datetime) -> Job | None:
    """Take the next due delivery of an enabled subscription (pending -> sending)."""
    with session_scope() as session:
        delivery_id = claim_due(
            session,
            select(WebhookDelivery.id)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                WebhookSubscription.enabled.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at),
            model=WebhookDelivery,
            waiting=WebhookDeliveryStatus.PENDING,
            values={"status": WebhookDeliveryStatus.SENDING, "claimed_at": now, "updated_at": now},
        )
        return None if delivery_id is None else _job(session, delivery_id)


def claim(*, now: datetime) -> uuid.UUID | None:
    """`claim_job`, for the delivery's id only."""
    job = claim_job(now=now)
    return job.delivery_id if job is not None else None


def requeue_stale(*, now: datetime) -> int:
    """Give back rows left "sending" by a worker that died; they go again with the same id."""
    with session_scope() as session:
        result = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.status == WebhookDeliveryStatus.SENDING,
                WebhookDelivery.claimed_at < now - STALE_SENDING,
            )
            .values(
                status=WebhookDeliveryStatus.PENDING,
                next_attempt_at=now,
                claimed_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def prune(*, now: datetime) -> int:
    """Delete events older than `KEEP_EVENTS` (and their log) that have nothing left to send."""
    waiting = exists().where(
        WebhookDelivery.event_id == WebhookEvent.id,
        WebhookDelivery.status.in_((WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.SENDING)),
    )
    with session_scope() as session:
        result = session.execute(
            delete(WebhookEvent)
            .where(WebhookEvent.created_at < now - KEEP_EVENTS, ~waiting)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str


def _attempt(url: str, headers: dict[str, str], body: bytes) -> Outcome:
    try:
        response = net.send(
            "POST",
            url,
            headers=headers,
            content=body,
            timeout=TIMEOUT,
            max_redirects=0,
            max_response_bytes=ANSWER_CHARS,
        )
    except net.UnsafeURL as exc:
        return Outcome(False, None, f"Not sent: {exc}")
    except httpx.TimeoutException:
        return Outcome(False, None, f"No answer within {TIMEOUT:.0f} s.")
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"Could not reach the receiver: {exc or type(exc).__name__}")
    except Exception as exc:  # whatever it was, the delivery is recorded, never left "sending"
        log.exception("webhook delivery to %s failed unexpectedly", url)
        return Outcome(False, None, f"Not sent: {type(exc).__name__}")
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code, "")
    answer = response.content.decode("utf-8", "replace").strip()
    where = response.headers.get("location")
    error = f"The receiver answered {response.status_code}"
    if 300 <= response.status_code < 400:
        error += f" (a redirect to {where!r}, which is not followed)" if where else " (redirect)"
    error += f": {answer}" if answer else "."
    return Outcome(False, response.status_code, error[:1000])


def send_one(delivery_id: uuid.UUID, *, now: datetime) -> str:
    """Send one claimed delivery and record its outcome; return its new status."""
    with session_scope() as session:
        job = _job(session, delivery_id)
    return send(job, now=now)


def send(job: Job, *, now: datetime) -> str:
    """Sign and POST a claimed delivery, then record the outcome; return its new status."""
    if not job.secrets:
        outcome = Outcome(
            False,
            None,
            "Not sent: the signing secret cannot be read (the service's secret key changed). "
            "Delete this webhook and create it again.",
        )
    else:
        # The real time, not the worker's clock: receivers refuse stale timestamps.
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signing.headers(
                secrets=job.secrets, message_id=job.message_id, timestamp=utcnow(), body=job.body
            ),
        }
        outcome = _attempt(job.url, headers, job.body.encode())
    return finish(job.delivery_id, outcome, now=now)


def finish(delivery_id: uuid.UUID, outcome: Outcome, *, now: datetime) -> str:
    """Record one attempt: delivered, due again after the next wait, or failed for good.

    Returns "gone" when the webhook (or the event, by erasure) was deleted meanwhile.
    """
    with session_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return "gone"
        delivery.attempts += 1
        delivery.series_attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        delivery.claimed_at = None
        delivery.updated_at = now
        if outcome.delivered:
            delivery.status = WebhookDeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            return WebhookDeliveryStatus.DELIVERED
        if delivery.series_attempts < len(SCHEDULE):
            delivery.status = WebhookDeliveryStatus.PENDING
            retry_at = now + timedelta(seconds=SCHEDULE[delivery.series_attempts])
            delivery.next_attempt_at = retry_at
            # The receiver is down: its other events wait with this one (their own schedules
            # untouched), so a dead receiver costs one attempt per wait, not one per event.
            session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.subscription_id == delivery.subscription_id,
                    WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                    WebhookDelivery.id != delivery.id,
                    WebhookDelivery.next_attempt_at < retry_at,
                )
                .values(next_attempt_at=retry_at)
                .execution_options(synchronize_session=False)
            )
            return WebhookDeliveryStatus.PENDING
        delivery.status = WebhookDeliveryStatus.FAILED
        delivery.next_attempt_at = None
        subscription = session.get_one(WebhookSubscription, delivery.subscription_id)
        if subscription.enabled:
            event = session.get_one(WebhookEvent, delivery.event_id)
            subscription.enabled = False
            subscription.disabled_at = now
            subscription.disabled_reason = (
                f"Disabled after {delivery.series_attempts} failed attempts over "
                f"{sum(SCHEDULE) / 3600:.0f} hours to deliver event {message_id(event.id)} "
                f"({event.type}). Last error: {outcome.error}"
            )[:2000]
            audit.record(
                session,
                actor=ACTOR,
                action="webhook.disabled",
                target_type="webhook",
                target_id=subscription.id,
                conference_id=subscription.conference_id,
                details={"url": subscription.url, "reason": subscription.disabled_reason},
            )
            log.warning("webhook %s disabled: %s", subscription.id, outcome.error)
        return WebhookDeliveryStatus.FAILED


def run_pending(
    *,
    clock: Clock = utcnow,
    max_deliveries: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Send due deliveries until none is due or told to stop; return how many were tried."""
    requeue_stale(now=clock())
    return drain(
        lambda: claim_job(now=clock()),
        lambda job: send(job, now=clock()),
        max_items=max_deliveries,
        should_stop=should_stop,
    )


class WebhookLoop(Loop):
    """Runs the webhook queue on a thread beside the plan worker's loop."""

    def __init__(self, *, poll_interval: float = 1.0) -> None:
        # The delivery in hand is finished first (bounded by its timeout).
        super().__init__(
            {"webhook-queue": self._step}, poll_interval=poll_interval, join_timeout=TIMEOUT + 5
        )
        self._prune = Every(3600, lambda: prune(now=utcnow()))

    def _step(self) -> int:
        self._prune()
        return run_pending(should_stop=self.stop.is_set)
