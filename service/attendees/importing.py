"""Applying an uploaded attendee file: dry runs, all-or-nothing imports, skipping bad rows.

Reading the file (`read_file`) and applying it (`apply_import`) are apart so the web route can
read it in a file worker process (`service.offload`), where neither a large nor a hostile
file holds up anyone else's request, and touch the database only afterwards. What crosses back
from the worker is plain data (`FileRows`): rebuilding 25,000 validated models in the web
process would cost more interpreter time than parsing the file did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from service import offload
from service.attendees import service as attendee_service
from service.attendees.parsing import (
    ImportFileError,
    RowProblem,
    TooManyRows,
    XlsxLimits,
    parse_attendee_file,
)
from service.attendees.schemas import ImportOut, ImportProblem
from service.config import get_settings
from service.errors import Invalid, PayloadTooLarge, Unavailable
from service.models import Conference

# Seconds a client is asked to wait when every file worker is busy.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class FileRows:
    """What an attendee file holds, as plain data.

    Attributes:
        rows: Each valid row: its number as a spreadsheet shows it, and the fields the file
            gave for it (validated; ``external_id`` always among them).
        problems: Problems by row and column, in file order.
        source_format: The export the headers look like.
    """

    rows: list[tuple[int, dict[str, Any]]]
    problems: list[RowProblem]
    source_format: str


def parse_rows(data: bytes, **options: Any) -> FileRows:
    """`parse_attendee_file`, reduced to plain data (what a file worker sends back)."""
    parsed = parse_attendee_file(data, **options)
    rows = [
        (row.row, row.fields.model_dump(include=row.fields.model_fields_set | {"external_id"}))
        for row in parsed.rows
    ]
    return FileRows(rows=rows, problems=parsed.problems, source_format=parsed.source_format)


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
    """Parse an export in this process and apply it (the command line's import).

    Raises:
        PayloadTooLarge: more rows than the configured limit.
        Invalid: the file cannot be read, or (without ``skip_invalid``) some rows are bad;
            the problem lists each by row and column, and nothing is written.
    """
    parsed = read_file(data, filename=filename)
    return apply_import(
        session,
        conference=conference,
        parsed=parsed,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        actor=actor,
    )


def read_file(data: bytes, *, filename: str, in_worker: bool = False) -> FileRows:
    """Parse an uploaded attendee file within the configured limits.

    Args:
        data: The file's bytes.
        filename: Its name as uploaded.
        in_worker: Read it in a file worker process, under ``HALLWAY_FILE_TIMEOUT``.

    Raises:
        PayloadTooLarge: more rows than ``HALLWAY_MAX_IMPORT_ROWS``.
        Invalid: the file cannot be read: damaged, hostile, or too slow to read.
        Unavailable: every file worker is busy, or the worker stopped; try again.
    """
    settings = get_settings()
    options: dict[str, Any] = {
        "filename": filename,
        "max_rows": settings.max_import_rows,
        "xlsx_limits": XlsxLimits(
            max_uncompressed_bytes=settings.xlsx_max_uncompressed_bytes,
            max_shared_strings=settings.xlsx_max_shared_strings,
        ),
    }
    try:
        if in_worker:
            return offload.run(parse_rows, data, timeout=settings.file_timeout, **options)
        return parse_rows(data, **options)
    except TooManyRows as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except ImportFileError as exc:
        raise Invalid(f"The file could not be imported: {exc}") from exc
    except offload.TookTooLong as exc:
        raise Invalid(
            f"The file could not be imported: reading it took longer than "
            f"{settings.file_timeout:g} seconds. Split it into smaller files, or save it as CSV."
        ) from exc
    except MemoryError as exc:
        raise Invalid(
            "The file could not be imported: reading it needs more memory than an attendee "
            "list of its size can."
        ) from exc
    except (offload.Busy, offload.WorkerLost) as exc:
        raise Unavailable(
            f"The file could not be read just now ({exc}); try again in a few seconds.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc


def apply_import(
    session: Session,
    *,
    conference: Conference,
    parsed: FileRows,
    dry_run: bool,
    skip_invalid: bool,
    actor: str,
) -> ImportOut:
    """Apply a parsed file: report what it would do, or do it.

    Only the columns present in the file are written, so re-importing a registration export
    never wipes profiles that attendees wrote themselves.

    Raises:
        Invalid: (without ``skip_invalid``) some rows are bad; the problem lists each by row
            and column, and nothing is written.
    """
    problems = [
        ImportProblem(row=p.row, column=p.column, message=p.message) for p in parsed.problems
    ]
    existing = attendee_service.attendees_by_external_id(
        session,
        conference=conference,
        external_ids=[given["external_id"] for _, given in parsed.rows],
    )
    items: list[tuple[str, dict[str, Any]]] = []
    outcomes = {"created": 0, "updated": 0, "unchanged": 0}
    for number, given in parsed.rows:
        external_id = given["external_id"]
        current = existing.get(external_id)
        if current is None:
            # A new attendee is exactly the parsed row, which the parser validated already.
            outcomes["created"] += 1
            items.append((external_id, given))
            continue
        try:
            merged = attendee_service.merge_fields(current, external_id=external_id, given=given)
        except attendee_service.FieldErrors as exc:
            for error in exc.errors:
                problems.append(
                    ImportProblem(
                        row=number, column=error["pointer"].lstrip("/"), message=error["detail"]
                    )
                )
            continue
        if merged.model_dump(exclude={"external_id"}) == {
            k: getattr(current, k) for k in attendee_service.FIELDS
        }:
            outcomes["unchanged"] += 1
        else:
            outcomes["updated"] += 1
        items.append((external_id, given))

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
