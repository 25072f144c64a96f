"""An erased attendee's registration id leaves the connection log (see `erase_attendee`)."""

from __future__ import annotations

import json
import re
import uuid

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session

from service.connections.models import Connection, ConnectionLogEntry


def forget_attendee(
    session: Session, *, conference_id: uuid.UUID, external_id: str, erased_ref: str
) -> None:
    """Name the person ``erased_ref`` in every log entry of the conference's connections."""
    # The id as a whole word of a message: "A-1" is not a piece of "A-10".
    alone = re.compile(rf"(?<![\w-]){re.escape(external_id)}(?![\w-])")
    entries = session.scalars(
        select(ConnectionLogEntry)
        .join(Connection, Connection.id == ConnectionLogEntry.connection_id)
        .where(
            Connection.conference_id == conference_id,
            or_(
                ConnectionLogEntry.message.contains(external_id, autoescape=True),
                cast(ConnectionLogEntry.changes, Text).contains(
                    json.dumps(external_id), autoescape=True
                ),
            ),
        )
    )
    for entry in entries:
        entry.message = alone.sub(erased_ref, entry.message)
        entry.changes = [
            {**change, "external_id": erased_ref}
            if change.get("external_id") == external_id
            else change
            for change in entry.changes
        ]
