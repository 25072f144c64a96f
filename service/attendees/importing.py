"""Applying an uploaded attendee file: dry runs, all-or-nothing imports, skipping bad rows.

Reading the file (`read_file`) and applying it (`apply_import`) are apart so the web route can
read it in a file worker process (`service.offload`), where neither a large nor a hostile
file holds up anyone else's request, and touch the database only afterwards. What crosses back
from the worker is plain data (`FileRows`): rebuilding 25,000 validated models in the web
process would cost more interpreter time than parsing the file did.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import offload
from service.attendees import erased
from service.attendees import service as attendee_service
from service.attendees.mapping import TARGET_LABELS, ImportMapping, missing
from service.attendees.parsing import (
    ColumnPreview,
    FlaggedRow,
    ImportFileError,
    MappingError,
    NoKeyColumn,
    RowProblem,
    SavedMapping,
    TooManyRows,
    XlsxLimits,
    json_pointer_part,
    parse_attendee_file,
)
from service.attendees.schemas import (
    ImportColumn,
    ImportCounts,
    ImportFlagged,
    ImportMappingBody,
    ImportOut,
    ImportProblem,
)
from service.audit import service as audit
from service.config import get_settings
from service.errors import Invalid, NotFound, PayloadTooLarge, Unavailable
from service.models import AttendeeStatus, Conference
from service.models import ImportMapping as SavedMappingRow

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
        row_count: Data rows in the file.
        preview: Each column, its target, how it was recognised, sample values.
        flagged: Placeholder and junk rows and what is done with them.
        columns: Header -> target, for every column (the mapping used).
        placeholders: Placeholder kind -> action used.
        mapping_source: "your mapping", "saved mapping" or "recognised".
    """

    rows: list[tuple[int, dict[str, Any]]]
    problems: list[RowProblem]
    source_format: str
    row_count: int = 0
    preview: list[ColumnPreview] = field(default_factory=list)
    flagged: list[FlaggedRow] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)
    mapping_source: str = "recognised"


def parse_rows(data: bytes, **options: Any) -> FileRows:
    """`parse_attendee_file`, reduced to plain data (what a file worker sends back)."""
    parsed = parse_attendee_file(data, **options)
    rows = [
        (row.row, row.fields.model_dump(include=row.fields.model_fields_set | {"external_id"}))
        for row in parsed.rows
    ]
    return FileRows(
        rows=rows,
        problems=parsed.problems,
        source_format=parsed.source_format,
        row_count=parsed.row_count,
        preview=parsed.preview,
        flagged=parsed.flagged,
        columns=parsed.columns,
        placeholders=parsed.placeholders,
        mapping_source=parsed.mapping_source,
    )


def mapping_from(data: object, *, pointer: str = "/mapping") -> ImportMapping:
    """Validate a mapping given as JSON text or as decoded JSON / TOML.

    Raises:
        Invalid: not JSON, not an object, an unknown target, kind or action; each error's
            pointer names the field, e.g. "/mapping/columns/Are you alone?".
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise Invalid(
                f"The mapping is not JSON: {exc}.",
                errors=[{"pointer": pointer, "detail": str(exc)}],
            ) from exc
    try:
        return ImportMapping.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "pointer": "/".join(
                    [
                        pointer,
                        *(json_pointer_part(str(part)) for part in error["loc"] if part != "[key]"),
                    ]
                ),
                "detail": str(error["msg"]).removeprefix("Value error, "),
            }
            for error in exc.errors(include_url=False)
        ]
        raise Invalid(
            "The mapping is not valid: "
            + "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors[:5]),
            errors=errors,
        ) from exc


def saved_mapping(session: Session, *, conference: Conference) -> SavedMapping | None:
    """The conference's saved mapping, as the parser takes it; None if none was saved."""
    row = _saved_row(session, conference=conference)
    if row is None:
        return None
    mapping = ImportMapping.model_validate(
        {"columns": row.columns, "placeholders": row.placeholders}
    )
    return SavedMapping(headers=tuple(row.headers), mapping=mapping)


def get_mapping(session: Session, *, conference: Conference) -> ImportMappingBody:
    """The saved mapping as the API shows it.

    Raises:
        NotFound: nothing saved yet (it is saved by the first import, or by a PUT).
    """
    row = _saved_row(session, conference=conference)
    if row is None:
        raise NotFound(
            "No import mapping is saved for this conference yet; an import saves the one it "
            "used, or PUT one."
        )
    return ImportMappingBody(
        headers=row.headers, columns=row.columns, placeholders=row.placeholders
    )


def put_mapping(
    session: Session, *, conference: Conference, body: ImportMappingBody, actor: str
) -> ImportMappingBody:
    """Check and save a mapping for the conference's next upload of the same export.

    Raises:
        Invalid: an unknown target, kind or action, a column not among the headers, or no
            column for the id or the name; nothing is saved.
    """
    mapping = mapping_from(
        {"columns": body.columns, "placeholders": body.placeholders}, pointer="#/body"
    )
    headers = body.headers or list(mapping.columns)
    absent = [header for header in mapping.columns if header not in headers]
    if absent:
        raise Invalid(
            f"The column {absent[0]!r} is not among the headers.",
            errors=[
                {
                    "pointer": f"#/body/columns/{json_pointer_part(absent[0])}",
                    "detail": "not among the headers",
                }
            ],
        )
    problem = missing(mapping.columns.values())
    if problem is not None:
        raise Invalid(
            f"The mapping leaves {problem}.",
            errors=[{"pointer": "#/body/columns", "detail": problem}],
        )
    columns = {header: str(target) for header, target in mapping.columns.items()}
    placeholders = {str(kind): str(action) for kind, action in mapping.placeholders.items()}
    _save(
        session,
        conference=conference,
        headers=headers,
        columns=columns,
        placeholders=placeholders,
        actor=actor,
    )
    return ImportMappingBody(headers=headers, columns=columns, placeholders=placeholders)


def _saved_row(session: Session, *, conference: Conference) -> SavedMappingRow | None:
    return session.scalar(
        select(SavedMappingRow).where(SavedMappingRow.conference_id == conference.id)
    )


def _save(
    session: Session,
    *,
    conference: Conference,
    headers: list[str],
    columns: dict[str, str],
    placeholders: dict[str, str],
    actor: str,
) -> None:
    row = _saved_row(session, conference=conference)
    if row is None:
        row = SavedMappingRow(conference_id=conference.id)
        session.add(row)
    row.headers = headers
    row.columns = columns
    row.placeholders = placeholders
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="import_mapping.saved",
        target_type="conference",
        conference_id=conference.id,
        details={"columns": len(columns)},
    )


def import_file(
    session: Session,
    *,
    conference: Conference,
    data: bytes,
    filename: str,
    dry_run: bool,
    skip_invalid: bool,
    actor: str,
    mapping: ImportMapping | None = None,
) -> ImportOut:
    """Parse an export in this process and apply it (the command line's import).

    Raises:
        PayloadTooLarge: more rows than the configured limit.
        Invalid: the file cannot be read, or (without ``skip_invalid``) some rows are bad;
            the problem lists each by row and column, and nothing is written.
    """
    parsed = read_file(
        data,
        filename=filename,
        mapping=mapping,
        saved=saved_mapping(session, conference=conference),
    )
    return apply_import(
        session,
        conference=conference,
        parsed=parsed,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        actor=actor,
    )


def read_file(
    data: bytes,
    *,
    filename: str,
    in_worker: bool = False,
    mapping: ImportMapping | None = None,
    saved: SavedMapping | None = None,
) -> FileRows:
    """Parse an uploaded attendee file within the configured limits.

    Args:
        data: The file's bytes.
        filename: Its name as uploaded.
        in_worker: Read it in a file worker process, under ``HALLWAY_FILE_TIMEOUT``.
        mapping: The caller's column targets and placeholder actions.
        saved: The conference's saved mapping (used for the same export).

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
        "mapping": mapping,
        "saved": saved,
    }
    try:
        if in_worker:
            return offload.run(parse_rows, data, timeout=settings.file_timeout, **options)
        return parse_rows(data, **options)
    except TooManyRows as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except NoKeyColumn as exc:
        raise Invalid(
            f"The file could not be imported: {exc}",
            errors=[{"pointer": "/mapping/columns", "detail": str(exc)}],
            columns=[_column_out(column).model_dump() for column in exc.preview],
            targets=dict(TARGET_LABELS),
        ) from exc
    except MappingError as exc:
        raise Invalid(
            f"The file could not be imported: {exc}",
            errors=[{"pointer": exc.pointer, "detail": str(exc)}],
        ) from exc
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
    gone = erased.erased_among(
        session,
        conference_id=conference.id,
        external_ids=[given["external_id"] for _, given in parsed.rows],
    )
    items: list[tuple[str, dict[str, Any]]] = []
    outcomes = {"created": 0, "updated": 0, "unchanged": 0}
    people: list[Mapping[str, Any]] = []
    left_out: list[int] = []
    for number, given in parsed.rows:
        external_id = given["external_id"]
        current = existing.get(external_id)
        if current is None and external_id in gone:
            left_out.append(number)
            continue
        if current is None:
            # A new attendee is exactly the parsed row, which the parser validated already.
            outcomes["created"] += 1
            items.append((external_id, given))
            people.append(given)
            continue
        if current.status == AttendeeStatus.NEEDS_DETAILS and "status" not in given:
            # The export now carries this ticket's details (the row is not flagged any more).
            given = {**given, "status": AttendeeStatus.REGISTERED}
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
        people.append(merged.model_dump())

    invalid_rows = len({p.row for p in problems})
    result = ImportOut(
        dry_run=dry_run,
        applied=False,
        source_format=parsed.source_format,
        rows=parsed.row_count or len(parsed.rows) + len({p.row for p in parsed.problems}),
        invalid=invalid_rows,
        problems=sorted(problems, key=lambda p: (p.row, p.column or "")),
        problems_by_column=dict(Counter(p.column or "" for p in problems)),
        counts=_counts(people, skipped=sum(f.action == "skip" for f in parsed.flagged)),
        columns=[_column_out(column) for column in parsed.preview],
        flagged=[
            ImportFlagged(
                row=found.row,
                kind=found.kind,
                action=found.action,
                name=found.name,
                external_id=found.external_id,
                note=found.note,
            )
            for found in parsed.flagged
        ],
        mapping=ImportMappingBody(
            headers=list(parsed.columns),
            columns=parsed.columns,
            placeholders=parsed.placeholders,
        ),
        mapping_source=parsed.mapping_source,
        erased=left_out,
        created=outcomes["created"],
        updated=outcomes["updated"],
        unchanged=outcomes["unchanged"],
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
    # A choice the organizer made (or confirmed) is kept for the next upload of this export;
    # headers recognised on their own are kept only while nothing else is saved.
    if parsed.mapping_source != "recognised" or _saved_row(session, conference=conference) is None:
        _save(
            session,
            conference=conference,
            headers=list(parsed.columns),
            columns=parsed.columns,
            placeholders=parsed.placeholders,
            actor=actor,
        )
    result.applied = True
    return result


def _column_out(column: ColumnPreview) -> ImportColumn:
    return ImportColumn(
        header=column.header,
        target=column.target,
        label=TARGET_LABELS[column.target],
        recognised_by=column.recognised_by,
        samples=list(column.samples),
    )


def _counts(people: list[Mapping[str, Any]], *, skipped: int) -> ImportCounts:
    """The figures that matter before an import: who gets seated, alone, at dinner..."""
    seated = [
        p for p in people if p.get("status", AttendeeStatus.REGISTERED) == AttendeeStatus.REGISTERED
    ]
    return ImportCounts(
        seated=len(seated),
        solo=sum(bool(p.get("solo")) for p in seated),
        dinner=sum(bool(p.get("dinner")) for p in seated),
        blank_profiles=sum(not str(p.get("interests") or "").strip() for p in seated),
        cancelled=sum(
            p.get("status") in (AttendeeStatus.CANCELLED, AttendeeStatus.NO_SHOW) for p in people
        ),
        needs_details=sum(p.get("status") == AttendeeStatus.NEEDS_DETAILS for p in people),
        skipped=skipped,
    )
