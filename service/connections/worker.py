"""The connections' worker: processes stored deliveries and runs full syncs.

It runs inside every plan worker (`hallway worker`, and the one `hallway serve` starts) on two
threads of its own, one for deliveries and one for syncs, so a long sync never holds up the
webhooks. Any number of workers may share a database:

- A delivery or sync is *claimed* before it is worked on (`service.background.claim_due`):
  only one worker wins it.
- A delivery's attendees are written and the delivery marked done in one transaction, after
  the platform was asked; a worker that dies in between leaves it "processing", and after
  `STALE_AFTER` another worker processes it again. That is safe: processing fetches the
  platform's current state and upserts, so doing it twice ends the same as doing it once.
- A platform timeout, 429 or 5xx is retried with a doubling wait (`next_attempt_at`) up to
  `MAX_ATTEMPTS` tries; other failures (a refused token) fail the delivery at once. Both are
  in the connection's log with the platform's answer.
- A full sync writes a page at a time and counts as it goes; restarted, it begins again from
  the first page (what was written already counts as unchanged).
- Every ``HALLWAY_CONNECTION_SYNC_HOURS`` each connection gets a scheduled full sync.
- Log entries, and deliveries and syncs that are over, are kept `KEEP_HISTORY`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from service.background import Every, Loop, claim_due, doubling, drain, oldest_due
from service.config import get_settings
from service.connections import ingest, platforms, vault
from service.connections import service as connection_service
from service.connections.models import (
    Connection,
    ConnectionDelivery,
    ConnectionLogEntry,
    ConnectionSync,
    DeliveryStatus,
    LogKind,
    Platform,
    SyncKind,
    SyncStatus,
)
from service.db import get_engine, session_scope, utcnow
from service.models import Conference

log = logging.getLogger(__name__)

#: A claim older than this lost its worker.
STALE_AFTER: Final = timedelta(minutes=5)
#: Tries of a delivery or sync whose platform is away (timeouts, 429, 5xx).
MAX_ATTEMPTS: Final = 8
#: Wait before the first retry; doubled each time, at most `MAX_RETRY`.
RETRY_BASE: Final = timedelta(seconds=30)
MAX_RETRY: Final = timedelta(hours=2)
ACTOR_PREFIX: Final = "connection"
#: How long log entries, finished deliveries and finished syncs are kept.
KEEP_HISTORY: Final = timedelta(days=90)
#: Writes of one delivery or sync page that clash with another writer are tried this often.
WRITE_TRIES: Final = 3
WRITE_RETRY_SECONDS: Final = 0.2

Row = TypeVar("Row", ConnectionDelivery, ConnectionSync)
#: Each queue's statuses: waiting for a worker, claimed by one, and given up on.
_STATUSES: Final[dict[type[ConnectionDelivery] | type[ConnectionSync], tuple[str, str, str]]] = {
    ConnectionDelivery: (DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING, DeliveryStatus.FAILED),
    ConnectionSync: (SyncStatus.QUEUED, SyncStatus.RUNNING, SyncStatus.FAILED),
}


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min, … at most 2 h."""
    return doubling(RETRY_BASE, attempts, most=MAX_RETRY)


def _actor(connection: Connection) -> str:
    label = connection.name or f"{connection.platform} {connection.event}"
    return f"{ACTOR_PREFIX}:{label}"[:200]


def _info(session: Session, connection: Connection) -> platforms.ConnectionInfo | None:
    """How to call the connection's platform; None when its token can no longer be read."""
    try:
        token = vault.decrypt(session, connection.token_encrypted)
    except vault.InvalidToken:
        return None
    return platforms.ConnectionInfo(
        platform=connection.platform,
        event=connection.event,
        organizer=connection.organizer,
        base_url=connection.base_url,
        token=token,
    )


def _claim(model: type[Row]) -> uuid.UUID | None:
    """Take the oldest due row of ``model`` (waiting -> working); None when nothing is due."""
    waiting, working, _ = _STATUSES[model]
    now = utcnow()
    with session_scope() as session:
        return claim_due(
            session,
            oldest_due(model, waiting=waiting, now=now),
            model=model,
            waiting=waiting,
            values={
                "status": working,
                "claimed_at": now,
                "attempts": model.attempts + 1,
                "updated_at": now,
            },
        )


def claim_delivery() -> uuid.UUID | None:
    return _claim(ConnectionDelivery)


def claim_sync() -> uuid.UUID | None:
    return _claim(ConnectionSync)


def recover_stale(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Give deliveries and syncs whose worker stopped back to the queue.

    One that has stopped its worker `MAX_ATTEMPTS` times (say, it runs it out of memory) is
    failed instead, so it cannot stop every worker in turn.
    """
    cutoff = utcnow() - stale_after
    recovered = 0
    with session_scope() as session:
        for model, (waiting, working, given_up) in _STATUSES.items():
            stale = (model.status == working, model.claimed_at < cutoff)
            failed = session.execute(
                update(model)
                .where(*stale, model.attempts >= MAX_ATTEMPTS)
                .values(
                    status=given_up,
                    claimed_at=None,
                    updated_at=utcnow(),
                    error=f"Its worker stopped {MAX_ATTEMPTS} times while working on it; "
                    "not tried again.",
                )
                .execution_options(synchronize_session=False)
            )
            queued = session.execute(
                update(model)
                .where(*stale)
                .values(status=waiting, claimed_at=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            recovered += int(getattr(failed, "rowcount", 0) or 0)
            recovered += int(getattr(queued, "rowcount", 0) or 0)
    if recovered:
        log.warning("%d connection deliveries or syncs lost their worker", recovered)
    return recovered


def _mine(
    session: Session, model: type[Row], row_id: uuid.UUID, claimed_at: datetime | None
) -> tuple[Row, Connection] | None:
    """The row and its connection, if this worker's claim on it still holds."""
    row = session.get(model, row_id)
    if row is None or row.status != _STATUSES[model][1] or row.claimed_at != claimed_at:
        return None
    return row, session.get_one(Connection, row.connection_id)


def _failed(
    model: type[Row],
    row_id: uuid.UUID,
    claimed_at: datetime | None,
    error: platforms.PlatformError,
    attempts: int,
    total: ingest.Outcome | None = None,
) -> str:
    """Record a failed try: due again after `retry_delay`, or failed; returns the new status."""
    with session_scope() as session:
        mine = _mine(session, model, row_id, claimed_at)
        if mine is None:
            return "gone"
        row, connection = mine
        now = utcnow()
        if error.retry and attempts < MAX_ATTEMPTS:
            row.status = _STATUSES[model][0]
            row.claimed_at = None
            row.next_attempt_at = now + retry_delay(attempts)
            message = (
                f"{error.message} Try {attempts} of {MAX_ATTEMPTS}; next at "
                f"{row.next_attempt_at:%H:%M:%S} UTC."
            )
        else:
            row.status = _STATUSES[model][2]
            message = error.message + (
                f" Gave up after {attempts} tries." if error.retry else " Not tried again."
            )
        row.error = message
        connection.last_error = message
        connection.last_error_at = now
        if isinstance(row, ConnectionSync):
            if row.status == SyncStatus.FAILED:
                row.finished_at = now
            row.counts = _counts((total or ingest.Outcome()).counts)
            what = "Full sync"
        else:
            if row.status == DeliveryStatus.FAILED:
                # Given up: the body (which may name people) goes; a full sync catches up.
                row.body = ""
            what = row.action or "Delivery"
        connection_service.add_log(
            session,
            connection_id=connection.id,
            kind=LogKind.ERROR,
            delivery_id=row.id if isinstance(row, ConnectionDelivery) else None,
            sync_id=row.id if isinstance(row, ConnectionSync) else None,
            message=f"{what}: {message}",
            platform_answer=error.answer,
        )
        return row.status


def _write_failed() -> platforms.PlatformError:
    return platforms.PlatformError("Writing the attendees failed; tried again.", retry=True)


# --- deliveries ------------------------------------------------------------------------------


def process_delivery(delivery_id: uuid.UUID) -> str:
    """Fetch what a claimed delivery names and upsert it; returns the delivery's new status."""
    with session_scope() as session:
        delivery = session.get(ConnectionDelivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.PROCESSING:
            return "gone"
        connection = session.get_one(Connection, delivery.connection_id)
        claimed_at = delivery.claimed_at
        body, action, attempts = delivery.body.encode(), delivery.action, delivery.attempts
        info = _info(session, connection)
    if info is None:
        return _failed(
            ConnectionDelivery,
            delivery_id,
            claimed_at,
            platforms.PlatformError(
                "The stored token can no longer be read (the service's secret changed): "
                "delete the connection and make it again with the token."
            ),
            attempts,
        )
    try:
        fetched = platforms.fetch_delivery(info, body, action)
    except platforms.PlatformError as exc:
        return _failed(ConnectionDelivery, delivery_id, claimed_at, exc, attempts)
    except platforms.Malformed as exc:
        refused = platforms.PlatformError(f"Delivery refused: {exc}")
        return _failed(ConnectionDelivery, delivery_id, claimed_at, refused, attempts)
    for attempt in range(WRITE_TRIES):
        try:
            return _delivery_done(delivery_id, claimed_at, fetched)
        except (IntegrityError, OperationalError) as exc:
            # Another worker (or this one's sync) created the same attendee at this moment, or
            # the database was away: the transaction is gone whole, so writing again is safe.
            log.warning("delivery %s could not be written (%s); retried", delivery_id, exc)
            time.sleep(WRITE_RETRY_SECONDS * (attempt + 1))
    return _failed(ConnectionDelivery, delivery_id, claimed_at, _write_failed(), attempts)


def _delivery_done(
    delivery_id: uuid.UUID, claimed_at: datetime | None, fetched: platforms.Fetched
) -> str:
    with session_scope() as session:
        mine = _mine(session, ConnectionDelivery, delivery_id, claimed_at)
        if mine is None:
            return "gone"
        delivery, connection = mine
        conference = session.get_one(Conference, connection.conference_id)
        outcome = ingest.apply_records(
            session,
            conference=conference,
            connection=connection,
            records=fetched.records,
            actor=_actor(connection),
            gone_prefix=fetched.gone_prefix,
            skipped=fetched.skipped,
        )
        now = utcnow()
        delivery.status = DeliveryStatus.DONE
        delivery.processed_at = now
        delivery.error = ""
        # The body may name people; what it did is in the log.
        delivery.body = ""
        if connection.platform == Platform.EVENTBRITE and delivery.dedup_key.startswith("sha256:"):
            # Eventbrite's bodies only name a resource: the same body later is a new change.
            delivery.dedup_key = f"{delivery.dedup_key[:120]}#{delivery.id}"
        parts = [f"{delivery.action or 'Delivery'}: {outcome.summary()}."]
        if fetched.note:
            parts.append(fetched.note)
        parts.extend(outcome.problems)
        connection_service.add_log(
            session,
            connection_id=connection.id,
            kind=LogKind.IGNORED
            if not outcome.changes and outcome.counts["ignored"]
            else LogKind.PROCESSED,
            delivery_id=delivery.id,
            message=" ".join(parts),
            changes=outcome.changes,
        )
        return DeliveryStatus.DONE


# --- syncs --------------------------------------------------------------------------------------


def run_sync(sync_id: uuid.UUID, *, should_stop: Callable[[], bool] = lambda: False) -> str:
    """Page through the platform's tickets and upsert them all; returns the sync's status."""
    with session_scope() as session:
        sync = session.get(ConnectionSync, sync_id)
        if sync is None or sync.status != SyncStatus.RUNNING:
            return "gone"
        connection = session.get_one(Connection, sync.connection_id)
        claimed_at = sync.claimed_at
        attempts = sync.attempts
        sync.started_at = utcnow()
        sync.counts = {}
        sync.error = ""
        info = _info(session, connection)
    if info is None:
        return _failed(
            ConnectionSync,
            sync_id,
            claimed_at,
            platforms.PlatformError("The stored token can no longer be read; make it again."),
            attempts,
            ingest.Outcome(),
        )
    total = ingest.Outcome()
    try:
        for page in platforms.full_sync_pages(info):
            if should_stop():
                # Given back whole: the next worker starts it again from the first page.
                _give_back(sync_id, claimed_at)
                return SyncStatus.QUEUED
            written = _write_page(sync_id, claimed_at, page, total)
            if written is None:
                return "gone"
            outcome, claimed_at = written
            total.add(outcome)
    except platforms.PlatformError as exc:
        return _failed(ConnectionSync, sync_id, claimed_at, exc, attempts, total)
    except (IntegrityError, OperationalError) as exc:
        log.warning("sync %s could not write a page (%s); retried", sync_id, exc)
        return _failed(ConnectionSync, sync_id, claimed_at, _write_failed(), attempts, total)
    with session_scope() as session:
        mine = _mine(session, ConnectionSync, sync_id, claimed_at)
        if mine is None:
            return "gone"
        sync, connection = mine
        now = utcnow()
        sync.status = SyncStatus.DONE
        sync.finished_at = now
        sync.counts = _counts(total.counts)
        connection.last_synced_at = now
        connection_service.add_log(
            session,
            connection_id=connection.id,
            kind=LogKind.SYNC,
            sync_id=sync.id,
            message=" ".join([f"Full sync done: {total.summary()}.", *total.problems]),
            changes=total.changes,
        )
    return SyncStatus.DONE


def _counts(counts: Counter[str]) -> dict[str, int]:
    return {name: int(counts[name]) for name in ingest.COUNTS}


def _write_page(
    sync_id: uuid.UUID,
    claimed_at: datetime | None,
    page: list[platforms.Record],
    total: ingest.Outcome,
) -> tuple[ingest.Outcome, datetime] | None:
    """`_sync_page`, written again when a delivery created one of its attendees meanwhile."""
    for attempt in range(WRITE_TRIES - 1):
        try:
            return _sync_page(sync_id, claimed_at, page, total)
        except IntegrityError as exc:
            log.warning("sync %s page clashed with another write (%s); again", sync_id, exc)
            time.sleep(WRITE_RETRY_SECONDS * (attempt + 1))
    return _sync_page(sync_id, claimed_at, page, total)


def _sync_page(
    sync_id: uuid.UUID,
    claimed_at: datetime | None,
    page: list[platforms.Record],
    total: ingest.Outcome,
) -> tuple[ingest.Outcome, datetime] | None:
    """Write one page; returns what it did and the sync's refreshed claim time."""
    with session_scope() as session:
        mine = _mine(session, ConnectionSync, sync_id, claimed_at)
        if mine is None:
            return None
        sync, connection = mine
        conference = session.get_one(Conference, connection.conference_id)
        outcome = ingest.apply_records(
            session,
            conference=conference,
            connection=connection,
            records=page,
            actor=_actor(connection),
        )
        sync.counts = _counts(total.counts + outcome.counts)
        # Each page is a sign of life: the claim stays fresh while the sync runs.
        now = utcnow()
        sync.claimed_at = now
    return outcome, now


def _give_back(sync_id: uuid.UUID, claimed_at: datetime | None) -> None:
    with session_scope() as session:
        mine = _mine(session, ConnectionSync, sync_id, claimed_at)
        if mine is not None:
            sync = mine[0]
            sync.status = SyncStatus.QUEUED
            sync.claimed_at = None
            sync.attempts = max(0, sync.attempts - 1)


def schedule_syncs(*, now: datetime | None = None) -> int:
    """Queue a scheduled full sync for each connection whose last one is old enough."""
    hours = get_settings().connection_sync_hours
    if hours <= 0:
        return 0
    moment = now or utcnow()
    due_before = moment - timedelta(hours=hours)
    queued = 0
    with session_scope() as session:
        stmt = select(Connection).order_by(Connection.created_at)
        if get_engine().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for connection in session.scalars(stmt).all():
            latest = session.scalar(
                select(ConnectionSync)
                .where(ConnectionSync.connection_id == connection.id)
                .order_by(ConnectionSync.created_at.desc())
                .limit(1)
            )
            if latest is not None and latest.status in (SyncStatus.QUEUED, SyncStatus.RUNNING):
                continue
            if (latest.created_at if latest else connection.created_at) > due_before:
                continue
            connection_service.queue_sync(session, connection=connection, kind=SyncKind.SCHEDULED)
            queued += 1
    return queued


# --- the loop -----------------------------------------------------------------------------------


def run_pending(
    *, max_items: int | None = None, should_stop: Callable[[], bool] = lambda: False
) -> int:
    """Process due deliveries until none is due or told to stop; returns how many."""
    return drain(claim_delivery, process_delivery, max_items=max_items, should_stop=should_stop)


def run_syncs(
    *, max_items: int | None = None, should_stop: Callable[[], bool] = lambda: False
) -> int:
    """Run due full syncs until none is due or told to stop; returns how many."""
    return drain(
        claim_sync,
        lambda sync_id: run_sync(sync_id, should_stop=should_stop),
        max_items=max_items,
        should_stop=should_stop,
    )


def prune(*, now: datetime | None = None) -> int:
    """Delete log entries, and deliveries and syncs that are over, older than `KEEP_HISTORY`.

    A delivery or sync still waiting or running stays whatever its age. Returns how many rows
    went.
    """
    cutoff = (now or utcnow()) - KEEP_HISTORY
    removed = 0
    with session_scope() as session:
        for statement in (
            delete(ConnectionLogEntry).where(ConnectionLogEntry.created_at < cutoff),
            delete(ConnectionDelivery).where(
                ConnectionDelivery.created_at < cutoff,
                ConnectionDelivery.status.in_((DeliveryStatus.DONE, DeliveryStatus.FAILED)),
            ),
            delete(ConnectionSync).where(
                ConnectionSync.created_at < cutoff,
                ConnectionSync.status.in_((SyncStatus.DONE, SyncStatus.FAILED)),
            ),
        ):
            result = session.execute(statement.execution_options(synchronize_session=False))
            removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def _housekeeping() -> None:
    recover_stale()
    schedule_syncs()
    prune()


class ConnectionLoop(Loop):
    """Runs deliveries and syncs on two threads beside the plan worker's loop."""

    def __init__(self, *, poll_interval: float = 1.0, housekeeping_every: float = 60.0) -> None:
        # A delivery in hand finishes (its calls are bounded by the platform timeout); a sync
        # is given back at its next page.
        super().__init__(
            {"connection-deliveries": self._deliveries, "connection-syncs": self._syncs},
            poll_interval=poll_interval,
            join_timeout=platforms.TIMEOUT * 2 + 5,
        )
        self._housekeeping = Every(housekeeping_every, _housekeeping)

    def _deliveries(self) -> int:
        return run_pending(should_stop=self.stop.is_set)

    def _syncs(self) -> int:
        self._housekeeping()
        return run_syncs(max_items=1, should_stop=self.stop.is_set)
