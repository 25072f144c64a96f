"""Applying an uploaded attendee file: dry runs, all-or-nothing imports, skipping bad rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.attendees import service as attendee_service
from service.attendees.parsing import ImportFileError, TooManyRows, parse_attendee_file
from service.attendees.schemas import ImportOut, ImportProblem
from service.config import get_settings
from service.errors import Invalid, PayloadTooLarge
from service.models import Conference


def import_file(
    session: Session,
    *,
    conference: Conference,
    data: bytes,
    filename: str,
    dry_run: bool,
    skip_invalid: bool,
    actor: str,
) -> ImportOut:
    """Parse an export and apply it.

    Only the columns present in the file are written, so re-importing a registration export
    never wipes profiles that attendees wrote themselves.

    Raises:
        PayloadTooLarge: more rows than the configured limit.
        Invalid: the file cannot be read, or (without ``skip_invalid``) some rows are bad;
            the problem lists each by row and column, and nothing is written.
    """
    try:
        parsed = parse_attendee_file(
            data, filename=filename, max_rows=get_settings().max_import_rows
        )
    except TooManyRows as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except ImportFileError as exc:
        raise Invalid(f"The file could not be imported: {exc}") from exc

    problems = [
        ImportProblem(row=p.row, column=p.column, message=p.message) for p in parsed.problems
    ]
    existing = attendee_service.attendees_by_external_id(
        session, conference=conference, external_ids=[row.fields.external_id for row in parsed.rows]
    )
    items: list[tuple[str, dict[str, Any]]] = []
    outcomes = {"created": 0, "updated": 0, "unchanged": 0}
    for row in parsed.rows:
        given = row.fields.model_dump(include=row.fields.model_fields_set)
        current = existing.get(row.fields.external_id)
        try:
            merged = attendee_service.merge_fields(
                current, external_id=row.fields.external_id, given=given
            )
        except attendee_service.FieldErrors as exc:
            for error in exc.errors:
                problems.append(
                    ImportProblem(
                        row=row.row, column=error["pointer"].lstrip("/"), message=error["detail"]
                    )
                )
            continue
        if current is None:
            outcomes["created"] += 1
        elif merged.model_dump(exclude={"external_id"}) == {
            k: getattr(current, k) for k in attendee_service.FIELDS
        }:
            outcomes["unchanged"] += 1
        else:
            outcomes["updated"] += 1
        items.append((row.fields.external_id, given))

    invalid_rows = len({p.row for p in problems})
    result = ImportOut(
        dry_run=dry_run,
        applied=False,
        source_format=parsed.source_format,
        rows=len(parsed.rows) + len({p.row for p in parsed.problems}),
        invalid=invalid_rows,
        problems=sorted(problems, key=lambda p: (p.row, p.column or "")),
        **outcomes,
    )
    if dry_run:
        return result
    if problems and not skip_invalid:
        raise Invalid(
            f"{invalid_rows} row(s) have problems; nothing was imported. Fix them, or import "
            "the good rows with skip_invalid=true.",
            errors=[
                {
                    "pointer": f"/rows/{p.row}" + (f"/{p.column}" if p.column else ""),
                    "row": p.row,
                    "column": p.column,
                    "detail": p.message,
                }
                for p in result.problems
            ],
        )
    attendee_service.upsert_many(
        session, conference=conference, items=items, actor=actor, action="attendees.imported"
    )
    result.applied = True
    return result
