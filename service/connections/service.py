"""Connections: create, list, rotate the webhook URL, receive deliveries, queue syncs, the log."""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import net
from service.audit import service as audit
from service.config import get_settings
from service.connections import platforms, vault
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
from service.connections.schemas import (
    ConnectionCreated,
    ConnectionIn,
    ConnectionOut,
    ConnectionPatch,
    DeliveryAccepted,
    LogEntryOut,
    LogPage,
    SyncCounts,
    SyncOut,
    SyncQueued,
    WebhookUrlOut,
)
from service.db import utcnow
from service.errors import HookRefused, Invalid, NotFound
from service.models import Conference

log = logging.getLogger(__name__)

PRETIX_DEFAULT_URL: Final = "https://pretix.eu"
#: Largest webhook body stored; platforms send a few hundred bytes (Tito a few kilobytes).
MAX_DELIVERY_BYTES: Final = 256 * 1024
LOG_PAGE_MAX: Final = 500


# --- connections ----------------------------------------------------------------------------


def webhook_url(connection_id: uuid.UUID, secret: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/v1/hooks/{connection_id}/{secret}"


def _sync_out(row: ConnectionSync) -> SyncOut:
    return SyncOut(
        id=row.id,
        connection_id=row.connection_id,
        kind=SyncKind(row.kind),
        status=SyncStatus(row.status),
        counts=SyncCounts.model_validate(row.counts or {}),
        attempts=row.attempts,
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        next_attempt_at=row.next_attempt_at,
    )


def connection_out(session: Session, row: Connection) -> ConnectionOut:
    counts = dict(
        session.execute(
            select(ConnectionDelivery.status, func.count())
            .where(
                ConnectionDelivery.connection_id == row.id,
                ConnectionDelivery.status.in_(
                    (DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING, DeliveryStatus.FAILED)
                ),
            )
            .group_by(ConnectionDelivery.status)
        ).all()
    )
    last_sync = session.scalar(
        select(ConnectionSync)
        .where(ConnectionSync.connection_id == row.id)
        .order_by(ConnectionSync.created_at.desc(), ConnectionSync.id)
        .limit(1)
    )
    return ConnectionOut(
        id=row.id,
        conference_id=row.conference_id,
        platform=Platform(row.platform),
        name=row.name,
        event=row.event,
        organizer=row.organizer,
        base_url=row.base_url,
        created_at=row.created_at,
        last_received_at=row.last_received_at,
        last_synced_at=row.last_synced_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        pending_deliveries=int(counts.get(DeliveryStatus.RECEIVED, 0))
        + int(counts.get(DeliveryStatus.PROCESSING, 0)),
        failed_deliveries=int(counts.get(DeliveryStatus.FAILED, 0)),
        last_sync=_sync_out(last_sync) if last_sync is not None else None,
    )


def add_log(
    session: Session,
    *,
    connection_id: uuid.UUID,
    kind: LogKind,
    message: str,
    delivery_id: uuid.UUID | None = None,
    sync_id: uuid.UUID | None = None,
    changes: Sequence[Mapping[str, Any]] = (),
    platform_answer: str = "",
) -> None:
    session.add(
        ConnectionLogEntry(
            id=uuid.uuid4(),
            created_at=utcnow(),
            connection_id=connection_id,
            kind=kind,
            message=message,
            delivery_id=delivery_id,
            sync_id=sync_id,
            changes=[dict(change) for change in changes],
            platform_answer=platform_answer,
        )
    )


def _changed(
    session: Session,
    *,
    connection: Connection,
    actor: str,
    action: str,
    message: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """An organizer's change: in the connection's log (``message``, if any) and the audit log."""
    if message is not None:
        add_log(session, connection_id=connection.id, kind=LogKind.CONNECTION, message=message)
    audit.record(
        session,
        actor=actor,
        action=f"connection.{action}",
        target_type="connection",
        target_id=str(connection.id),
        conference_id=connection.conference_id,
        details=details,
    )


def create_connection(
    session: Session, *, conference: Conference, data: ConnectionIn, actor: str
) -> ConnectionCreated:
    """Store a connection (token encrypted) and make its webhook URL.

    Raises:
        Invalid: a field the platform needs is missing, or the pretix address is not one the
            service calls.
    """
    problems = data.problems()
    base_url = ""
    if data.platform == Platform.PRETIX and not problems:
        # Checked last: it resolves the host name, which a body with other problems skips.
        base_url = (data.base_url or PRETIX_DEFAULT_URL).rstrip("/")
        try:
            net.check_url(base_url)
        except net.UnsafeURL as exc:
            problems.append(("base_url", str(exc)))
    if problems:
        raise Invalid(
            "The connection is not complete: " + "; ".join(f"{n}: {d}" for n, d in problems),
            errors=[{"pointer": f"#/body/{name}", "detail": detail} for name, detail in problems],
        )
    secret = vault.new_hook_secret()
    row = Connection(
        id=uuid.uuid4(),
        conference_id=conference.id,
        platform=data.platform,
        name=data.name,
        event=data.event,
        organizer=data.organizer,
        base_url=base_url,
        token_encrypted=vault.encrypt(session, data.token),
        signing_secret_encrypted=(
            vault.encrypt(session, data.signing_secret) if data.signing_secret else None
        ),
        hook_secret_hash=vault.hash_hook_secret(secret),
        last_error="",
    )
    session.add(row)
    session.flush()
    _changed(
        session,
        connection=row,
        actor=actor,
        action="created",
        message=f"Connection to {data.platform} event {_event_name(row)} made by {actor}.",
        details={"platform": data.platform, "event": _event_name(row)},
    )
    out = connection_out(session, row)
    return ConnectionCreated(**out.model_dump(), webhook_url=webhook_url(row.id, secret))


def _event_name(row: Connection) -> str:
    return f"{row.organizer}/{row.event}" if row.organizer else row.event


def list_connections(session: Session, *, conference: Conference) -> list[ConnectionOut]:
    rows = session.scalars(
        select(Connection)
        .where(Connection.conference_id == conference.id)
        .order_by(Connection.created_at, Connection.id)
    )
    return [connection_out(session, row) for row in rows]


def get_connection(
    session: Session, *, conference: Conference, connection_id: uuid.UUID
) -> Connection:
    row = session.get(Connection, connection_id)
    if row is None or row.conference_id != conference.id:
        raise NotFound(f"Connection '{connection_id}' was not found in this conference.")
    return row


def delete_connection(session: Session, *, connection: Connection, actor: str) -> None:
    """Forget the connection, its token, its queued deliveries and its log."""
    _changed(
        session,
        connection=connection,
        actor=actor,
        action="deleted",
        message=None,
        details={"platform": connection.platform, "event": _event_name(connection)},
    )
    session.delete(connection)


def update_connection(
    session: Session, *, connection: Connection, data: ConnectionPatch, actor: str
) -> ConnectionOut:
    """Change the label, or store a new token or signing secret (encrypted).

    Raises:
        Invalid: a signing secret for a platform that signs nothing, or a null.
    """
    changes = data.model_dump(exclude_unset=True)
    for name in ("name", "token", "signing_secret"):
        if name in changes and changes[name] is None:
            raise Invalid(
                f"'{name}' cannot be null.",
                errors=[{"pointer": f"#/body/{name}", "detail": "null"}],
            )
    if "signing_secret" in changes and connection.platform != Platform.TITO:
        raise Invalid(
            f"Only Tito connections have a signing secret, not {connection.platform}.",
            errors=[{"pointer": "#/body/signing_secret", "detail": "only for tito"}],
        )
    if "name" in changes:
        connection.name = changes["name"]
    if "token" in changes:
        connection.token_encrypted = vault.encrypt(session, changes["token"])
    if "signing_secret" in changes:
        connection.signing_secret_encrypted = vault.encrypt(session, changes["signing_secret"])
    changed = sorted(changes)
    if changed:
        _changed(
            session,
            connection=connection,
            actor=actor,
            action="updated",
            message=f"Connection changed by {actor}: {', '.join(changed)}.",
            details={"fields": changed},
        )
    return connection_out(session, connection)


def rotate_webhook_url(session: Session, *, connection: Connection, actor: str) -> WebhookUrlOut:
    """A new webhook URL; the old one stops working at once."""
    secret = vault.new_hook_secret()
    connection.hook_secret_hash = vault.hash_hook_secret(secret)
    _changed(
        session,
        connection=connection,
        actor=actor,
        action="webhook_url_rotated",
        message=f"New webhook URL made by {actor}; the old one no longer works.",
    )
    return WebhookUrlOut(webhook_url=webhook_url(connection.id, secret))


# --- the log ---------------------------------------------------------------------------------


def _cursor(entry: ConnectionLogEntry) -> str:
    text = f"{entry.created_at.isoformat()}|{entry.id}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        moment, _, entry_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(moment), uuid.UUID(entry_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            "The cursor is not one this API gave out.",
            errors=[{"pointer": "#/query/before", "detail": "unknown cursor"}],
        ) from None


def list_log(
    session: Session,
    *,
    connection: Connection,
    limit: int,
    before: str | None,
    kind: str | None = None,
) -> LogPage:
    """The connection's log, newest first."""
    stmt = select(ConnectionLogEntry).where(ConnectionLogEntry.connection_id == connection.id)
    if kind:
        stmt = stmt.where(ConnectionLogEntry.kind == kind)
    if before:
        moment, entry_id = _decode_cursor(before)
        stmt = stmt.where(
            (ConnectionLogEntry.created_at < moment)
            | ((ConnectionLogEntry.created_at == moment) & (ConnectionLogEntry.id < entry_id))
        )
    rows = list(
        session.scalars(
            stmt.order_by(ConnectionLogEntry.created_at.desc(), ConnectionLogEntry.id.desc()).limit(
                limit + 1
            )
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return LogPage(
        items=[
            LogEntryOut(
                id=row.id,
                created_at=row.created_at,
                kind=LogKind(row.kind),
                message=row.message,
                delivery_id=row.delivery_id,
                sync_id=row.sync_id,
                changes=row.changes,
                platform_answer=row.platform_answer,
            )
            for row in rows
        ],
        next_cursor=_cursor(rows[-1]) if more and rows else None,
    )


# --- syncs ------------------------------------------------------------------------------------


def queue_sync(
    session: Session, *, connection: Connection, kind: SyncKind = SyncKind.MANUAL, actor: str = ""
) -> SyncQueued:
    """Queue a full sync; one already queued or running is returned instead of a second."""
    waiting = session.scalar(
        select(ConnectionSync)
        .where(
            ConnectionSync.connection_id == connection.id,
            ConnectionSync.status.in_((SyncStatus.QUEUED, SyncStatus.RUNNING)),
        )
        .order_by(ConnectionSync.created_at)
        .limit(1)
    )
    if waiting is not None:
        running = waiting.status == SyncStatus.RUNNING
        return SyncQueued(
            sync_id=waiting.id, status=SyncStatus.RUNNING if running else SyncStatus.QUEUED
        )
    row = ConnectionSync(
        id=uuid.uuid4(),
        connection_id=connection.id,
        kind=kind,
        status=SyncStatus.QUEUED,
        attempts=0,
        counts={},
        error="",
    )
    session.add(row)
    session.flush()
    add_log(
        session,
        connection_id=connection.id,
        kind=LogKind.SYNC,
        sync_id=row.id,
        message=f"Full sync queued ({kind}{f', by {actor}' if actor else ''}).",
    )
    return SyncQueued(sync_id=row.id, status=SyncStatus.QUEUED)


def get_sync(session: Session, *, connection: Connection, sync_id: uuid.UUID) -> SyncOut:
    row = session.get(ConnectionSync, sync_id)
    if row is None or row.connection_id != connection.id:
        raise NotFound(f"Sync '{sync_id}' was not found for this connection.")
    return _sync_out(row)


def list_syncs(session: Session, *, connection: Connection, limit: int = 20) -> list[SyncOut]:
    rows = session.scalars(
        select(ConnectionSync)
        .where(ConnectionSync.connection_id == connection.id)
        .order_by(ConnectionSync.created_at.desc(), ConnectionSync.id)
        .limit(limit)
    )
    return [_sync_out(row) for row in rows]


# --- webhooks in ------------------------------------------------------------------------------


def hook_connection(session: Session, *, connection_id: str, secret: str) -> Connection:
    """The connection a webhook URL names, if its secret is right.

    Raises:
        NotFound: no such connection.
        HookRefused: the URL's secret is not this connection's.
    """
    try:
        key = uuid.UUID(connection_id)
    except ValueError:
        raise NotFound("There is no connection at this address.") from None
    row = session.get(Connection, key)
    if row is None:
        raise NotFound("There is no connection at this address.")
    if not vault.hook_secret_matches(secret, row.hook_secret_hash):
        log.warning("webhook for connection %s refused: wrong URL secret", row.id)
        raise HookRefused("The webhook URL's secret is not right; copy the URL again.")
    return row


def check_signature(
    session: Session, *, connection: Connection, body: bytes, signature: str | None
) -> None:
    """Tito: the body must carry the HMAC of the connection's signing secret.

    Raises:
        HookRefused: no signature, or not the right one.
    """
    if connection.platform != Platform.TITO:
        return
    try:
        secret = vault.decrypt(session, connection.signing_secret_encrypted or "")
    except vault.InvalidToken:
        secret = ""
    if not secret or not platforms.tito_signature_ok(body, signature, secret):
        log.warning("webhook for connection %s refused: bad Tito-Signature", connection.id)
        raise HookRefused("The Tito-Signature header is missing or does not match the body.")


def refuse(session: Session, *, connection: Connection, message: str) -> None:
    """Log a delivery refused for its content (the caller answers with the problem)."""
    add_log(session, connection_id=connection.id, kind=LogKind.REFUSED, message=message)
    connection.last_error = message
    connection.last_error_at = utcnow()


def store_delivery(
    session: Session, *, connection: Connection, body: bytes, headers: Mapping[str, str]
) -> DeliveryAccepted | Invalid:
    """Keep a delivery for the worker; one seen before is answered with its first id.

    A body that is not what the platform sends is logged and nothing else is stored; the
    problem to answer with is returned (not raised), so the caller commits the log entry.
    """
    try:
        parsed = platforms.parse_delivery(connection.platform, body, headers)
    except platforms.Malformed as exc:
        message = f"Delivery refused: {exc}"
        refuse(session, connection=connection, message=message)
        return Invalid(message, errors=[{"pointer": "#/body", "detail": str(exc)}])
    connection.last_received_at = utcnow()
    earlier = _find_delivery(session, connection.id, parsed.dedup_key)
    if earlier is not None:
        return DeliveryAccepted(delivery_id=earlier, duplicate=True)
    row = ConnectionDelivery(
        id=uuid.uuid4(),
        connection_id=connection.id,
        dedup_key=parsed.dedup_key,
        action=parsed.action,
        body=body.decode("utf-8", errors="replace"),
        status=DeliveryStatus.RECEIVED,
        attempts=0,
        error="",
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # The same delivery, stored a moment ago by another request.
        earlier = _find_delivery(session, connection.id, parsed.dedup_key)
        if earlier is None:
            raise
        return DeliveryAccepted(delivery_id=earlier, duplicate=True)
    add_log(
        session,
        connection_id=connection.id,
        kind=LogKind.RECEIVED,
        delivery_id=row.id,
        message=f"Received {parsed.action or 'a delivery'}.",
    )
    return DeliveryAccepted(delivery_id=row.id)


def _find_delivery(session: Session, connection_id: uuid.UUID, key: str) -> uuid.UUID | None:
    return session.scalar(
        select(ConnectionDelivery.id).where(
            ConnectionDelivery.connection_id == connection_id,
            ConnectionDelivery.dedup_key == key,
        )
    )
