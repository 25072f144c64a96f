"""The audit log: who changed what, and when."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | uuid.UUID | None = None,
    conference_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log (flushed with the caller's transaction)."""
    event = AuditEvent(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        conference_id=conference_id,
        details=details or {},
    )
    session.add(event)
    return event


def list_events(
    session: Session, *, conference_id: uuid.UUID, limit: int = 100
) -> list[AuditEvent]:
    """The newest events of a conference first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.conference_id == conference_id)
        .order_by(AuditEvent.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
