"""Fetched tickets into attendees, by the file import's rules and the attendees service.

The tickets of one delivery or one page of a sync are laid out as the rows of an export (the
headers of `platforms.Record`) and read by the import's parser with the conference's saved
mapping for the question columns, so question wording, yes/no answers, languages and
"Info Requested" placeholders come out exactly as an uploaded file's would. Each attendee is
then written through `service.attendees.service` (audit log and attendee events included).

Registration fields (name, e-mail, company, status, dietary notes…) follow the platform. The
fields an attendee writes on their own page — interests, home town, languages, solo, dinner,
and what tablemates may see — are never overwritten once they have saved their profile.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.attendees import erased, importing
from service.attendees import service as attendee_service
from service.attendees.mapping import ImportMapping
from service.attendees.parsing import ImportFileError, parse_attendee_file
from service.connections.models import Connection
from service.connections.platforms import Record
from service.models import Attendee, AttendeeStatus, Conference

__all__ = ["COUNTS", "PROFILE_FIELDS", "Outcome", "apply_records"]

#: What the attendee writes on their page; a sync leaves these alone once they did.
PROFILE_FIELDS: Final = ("interests", "hometown", "languages", "solo", "dinner")
COUNTS: Final = ("created", "updated", "cancelled", "unchanged", "ignored", "invalid")
# Headers every record may carry (see `platforms.Record`), in column order; the rest are
# questions.
_FIXED: Final = (
    "id", "name", "email", "company", "status", "Order number", "Buyer name", "Buyer email",
)  # fmt: skip
# A saved mapping never moves the id: the connection decides it.
_IDENTITY_TARGETS: Final = frozenset({"external_id", "order_code", "position_id"})
# Changes listed per log entry; the counts say the rest.
MAX_CHANGES: Final = 200


@dataclass
class Outcome:
    """What applying records did: counts, per-attendee changes, problems in words."""

    counts: Counter[str] = field(default_factory=Counter)
    changes: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.counts.update(other.counts)
        self.changes.extend(other.changes[: max(0, MAX_CHANGES - len(self.changes))])
        self.problems.extend(other.problems[: max(0, MAX_CHANGES - len(self.problems))])

    def summary(self) -> str:
        shown = [f"{self.counts[name]} {name}" for name in COUNTS if self.counts[name]]
        return ", ".join(shown) or "nothing to do"


def _as_csv(records: Sequence[Record]) -> tuple[bytes, list[str]]:
    headers: dict[str, None] = dict.fromkeys(_FIXED)
    for record in records:
        headers.update(dict.fromkeys(record.cells))
    order = list(headers)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(order)
    for record in records:
        writer.writerow([record.cells.get(header, "") for header in order])
    return buffer.getvalue().encode(), order


def _mapping(session: Session, conference: Conference, headers: Iterable[str]) -> ImportMapping:
    saved = importing.saved_mapping(session, conference=conference)
    if saved is None:
        return ImportMapping()
    questions = set(headers) - set(_FIXED)
    return ImportMapping(
        columns={
            header: target
            for header, target in saved.mapping.columns.items()
            if header in questions and target not in _IDENTITY_TARGETS
        },
        placeholders=saved.mapping.placeholders,
    )


def _usable(
    session: Session, records: Iterable[Record], connection: Connection, outcome: Outcome
) -> list[Record]:
    """The records of this connection's event, once each, and none of an erased attendee; the
    others are logged."""
    kept: dict[str, Record] = {}
    for record in records:
        if record.event and record.event != connection.event:
            outcome.counts["ignored"] += 1
            outcome.problems.append(
                f"{record.external_id or 'a ticket'}: belongs to event {record.event!r}, not "
                f"this connection's {connection.event!r}; ignored."
            )
            continue
        if not record.external_id or record.external_id == "-":
            outcome.counts["invalid"] += 1
            outcome.problems.append("a ticket without an id; ignored.")
            continue
        bad = next((h for h, v in record.cells.items() if "\x00" in v or "\x00" in h), None)
        if bad is not None:
            outcome.counts["invalid"] += 1
            outcome.problems.append(f"{record.external_id}: {bad}: holds a NUL character.")
            continue
        kept[record.external_id] = record
    gone = erased.erased_among(
        session, conference_id=connection.conference_id, external_ids=list(kept)
    )
    for external_id in sorted(gone):
        del kept[external_id]
        outcome.counts["ignored"] += 1
        # Without the id: the log would otherwise keep what the erasure took away.
        outcome.problems.append(
            "a ticket of an attendee erased in Hallway; ignored (cancel it on the platform too)."
        )
    return list(kept.values())


def apply_records(
    session: Session,
    *,
    conference: Conference,
    connection: Connection,
    records: Sequence[Record],
    actor: str,
    gone_prefix: str = "",
    skipped: Sequence[str] = (),
) -> Outcome:
    """Upsert ``records`` as attendees; with ``gone_prefix``, cancel that order's missing ones."""
    outcome = Outcome()
    usable = _usable(session, records, connection, outcome)
    if usable:
        _write(session, conference=conference, records=usable, actor=actor, outcome=outcome)
    if gone_prefix:
        keep = {record.external_id for record in usable} | set(skipped)
        _cancel_missing(
            session,
            conference=conference,
            prefix=gone_prefix,
            keep=keep,
            actor=actor,
            outcome=outcome,
        )
    return outcome


def _write(
    session: Session,
    *,
    conference: Conference,
    records: list[Record],
    actor: str,
    outcome: Outcome,
) -> None:
    data, headers = _as_csv(records)
    by_row = {number: record.external_id for number, record in enumerate(records, start=2)}
    try:
        parsed = parse_attendee_file(
            data, filename="connection.csv", mapping=_mapping(session, conference, headers)
        )
    except ImportFileError as exc:
        outcome.counts["invalid"] += len(records)
        outcome.problems.append(f"the platform's answer could not be read: {exc}")
        return
    for problem in parsed.problems:
        where = by_row.get(problem.row, f"row {problem.row}")
        column = f" ({problem.column})" if problem.column else ""
        outcome.problems.append(f"{where}{column}: {problem.message}")
    outcome.counts["invalid"] += len(parsed.rejected_rows)
    for flagged in parsed.flagged:
        where = by_row.get(flagged.row, flagged.external_id)
        if flagged.action == "skip":
            outcome.counts["ignored"] += 1
        outcome.problems.append(
            # Not the name itself: the log outlives an erasure of the person.
            f"{where}: looks like a {flagged.kind.replace('_', ' ')}; "
            f"{flagged.action.replace('_', ' ')}" + (f" ({flagged.note})" if flagged.note else "")
        )
    existing = attendee_service.attendees_by_external_id(
        session, conference=conference, external_ids=[row.fields.external_id for row in parsed.rows]
    )
    for row in parsed.rows:
        fields = row.fields
        given = fields.model_dump(include=fields.model_fields_set | {"external_id"})
        current = existing.get(fields.external_id)
        if current is not None:
            if current.profile_written_at is not None:
                for name in PROFILE_FIELDS:
                    given.pop(name, None)
            if (
                current.status == AttendeeStatus.NO_SHOW
                and given.get("status") == AttendeeStatus.REGISTERED
            ):
                # The organizer's own mark; the platform knows nothing of it.
                given.pop("status")
        _upsert(
            session,
            conference=conference,
            current=current,
            given=given,
            actor=actor,
            outcome=outcome,
        )


def _upsert(
    session: Session,
    *,
    conference: Conference,
    current: Attendee | None,
    given: dict[str, Any],
    actor: str,
    outcome: Outcome,
) -> None:
    external_id = str(given["external_id"])
    try:
        merged = attendee_service.merge_fields(current, external_id=external_id, given=given)
    except attendee_service.FieldErrors as exc:
        outcome.counts["invalid"] += 1
        for error in exc.errors:
            outcome.problems.append(
                f"{external_id} ({error['pointer'].lstrip('/')}): {error['detail']}"
            )
        return
    before = {name: getattr(current, name) for name in attendee_service.FIELDS} if current else {}
    result = attendee_service.apply_fields(
        session, conference=conference, existing=current, fields=merged, actor=actor
    )
    changed = sorted(
        name for name in attendee_service.FIELDS if before.get(name) != getattr(merged, name)
    )
    kind = result.outcome
    if kind == "updated" and "status" in changed and merged.status == AttendeeStatus.CANCELLED:
        kind = "cancelled"
    outcome.counts[kind] += 1
    if kind != "unchanged" and len(outcome.changes) < MAX_CHANGES:
        outcome.changes.append(
            {"external_id": external_id, "outcome": kind, "fields": changed if current else []}
        )


def _cancel_missing(
    session: Session,
    *,
    conference: Conference,
    prefix: str,
    keep: set[str],
    actor: str,
    outcome: Outcome,
) -> None:
    stmt = select(Attendee).where(
        Attendee.conference_id == conference.id,
        Attendee.external_id.startswith(prefix, autoescape=True),
        Attendee.erased_at.is_(None),
        Attendee.status != AttendeeStatus.CANCELLED,
    )
    for attendee in session.scalars(stmt).all():
        if attendee.external_id in keep:
            continue
        _upsert(
            session,
            conference=conference,
            current=attendee,
            given={"external_id": attendee.external_id, "status": AttendeeStatus.CANCELLED},
            actor=actor,
            outcome=outcome,
        )
