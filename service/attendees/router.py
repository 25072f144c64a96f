"""HTTP routes for attendees: upserts, batches, listing, import, erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, Response, UploadFile, status
from sqlalchemy.orm import Session

from service.attendees import erased, importing, links
from service.attendees import service as attendee_service
from service.attendees.fields import external_id_problem
from service.attendees.schemas import (
    AttendeeIn,
    AttendeeOut,
    AttendeePage,
    AttendeePatch,
    AttendeeReceipt,
    BatchIn,
    BatchItemResult,
    BatchOut,
    ImportMappingBody,
    ImportOut,
)
from service.auth import Caller, IngestAccess, ReadAccess, WriteAccess
from service.config import get_settings
from service.db import SessionDep
from service.errors import PayloadTooLarge
from service.models import Attendee, AttendeeStatus
from service.validation import Line

router = APIRouter(prefix="/v1/conferences/{conference_id}/attendees", tags=["attendees"])


def attendee_out(
    session: Session, attendee: Attendee, *, caller: Caller
) -> AttendeeOut | AttendeeReceipt:
    """The attendee as ``caller`` may read them: all of it, or a receipt for ingest keys."""
    if not caller.can("read"):
        return AttendeeReceipt.model_validate(attendee)
    token = links.token_for(attendee, links.link_secret(session))
    out = AttendeeOut.model_validate(attendee)
    out.link = links.link_url(token)
    return out


@router.post(":batch", summary="Upsert many attendees")
def batch_upsert(
    access: IngestAccess, session: SessionDep, data: Annotated[BatchIn, Body()]
) -> BatchOut:
    """Upsert up to the batch limit (1,000 by default) in one call; one result per item.

    Items are checked one by one: a bad item is reported with its reason and the rest are
    written.
    """
    limit = get_settings().max_batch_items
    if len(data.attendees) > limit:
        raise PayloadTooLarge(
            f"A batch holds at most {limit} attendees; got {len(data.attendees)}."
        )
    results: list[BatchItemResult | None] = [None] * len(data.attendees)
    good: list[tuple[int, str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    gone = erased.erased_among(
        session,
        conference_id=access.conference.id,
        external_ids=[str(i["external_id"]) for i in data.attendees if i.get("external_id")],
    )
    for index, item in enumerate(data.attendees):
        external_id = item.get("external_id")
        ref = str(external_id) if external_id not in (None, "") else None
        errors: list[dict[str, str]] = []
        if ref is None:
            errors.append({"pointer": "/external_id", "detail": "Each item needs an external_id."})
        elif ref in seen:
            errors.append({"pointer": "/external_id", "detail": f"Same id as item {seen[ref]}."})
        elif (problem := external_id_problem(ref)) is not None:
            errors.append({"pointer": "/external_id", "detail": problem})
        else:
            existing = attendee_service.find_attendee(
                session, conference=access.conference, external_id=ref
            )
            try:
                attendee_service.merge_fields(existing, external_id=ref, given=item)
            except attendee_service.FieldErrors as exc:
                errors = exc.errors
            if existing is None and ref in gone:
                errors = [{"pointer": "/external_id", "detail": erased.refusal(ref)}]
        if errors or ref is None:
            results[index] = BatchItemResult(
                index=index, external_id=ref, status="error", errors=errors
            )
            continue
        seen[ref] = index
        good.append((index, ref, item))
    written = attendee_service.upsert_many(
        session,
        conference=access.conference,
        items=[(ref, item) for _, ref, item in good],
        actor=access.caller.actor,
    )
    for (index, ref, _), result in zip(good, written, strict=True):
        results[index] = BatchItemResult(index=index, external_id=ref, status=result.outcome)  # type: ignore[arg-type]
    final = [r for r in results if r is not None]
    counts = {
        s: sum(r.status == s for r in final) for s in ("created", "updated", "unchanged", "error")
    }
    return BatchOut(results=final, counts=counts)


@router.post("/import", summary="Import an attendee file (CSV or XLSX)")
def import_attendees(
    access: IngestAccess,
    session: SessionDep,
    file: Annotated[
        UploadFile,
        File(description="CSV or XLSX export (Eventbrite, pretix, Tito, or plain columns)."),
    ],
    dry_run: Annotated[bool, Query(description="Only report what would happen.")] = False,
    skip_invalid: Annotated[
        bool, Query(description="Import the good rows even if some are bad.")
    ] = False,
    mapping: Annotated[
        str | None,
        Form(
            description='JSON: {"columns": {header: target}, "placeholders": {kind: action}}. '
            "Columns not named keep the saved mapping (same export) or what their header says.",
            max_length=200_000,
        ),
    ] = None,
) -> ImportOut:
    """Upload an export; the answer previews each column's target, the counts and the flagged
    rows, and lists every problem by row and column.

    An import with problems writes nothing unless `skip_invalid=true`. The mapping used is
    saved for the next upload of the same export.
    """
    chosen = importing.mapping_from(mapping) if mapping else None
    saved = importing.saved_mapping(session, conference=access.conference)
    # The request body as a whole is capped by service.limits before this runs.
    limit = get_settings().max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The upload is larger than the limit of {limit:,} bytes.")
    # Reading the file takes seconds in a worker process: end the key lookup's transaction
    # first, so no pooled connection waits idle on it meanwhile.
    session.commit()
    parsed = importing.read_file(
        data, filename=file.filename or "upload", in_worker=True, mapping=chosen, saved=saved
    )
    return importing.apply_import(
        session,
        conference=access.conference,
        parsed=parsed,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        actor=access.caller.actor,
    )


@router.get("/import-mapping", summary="Get the saved import mapping")
def get_import_mapping(access: ReadAccess, session: SessionDep) -> ImportMappingBody:
    """The column mapping reused for the next upload of the same export (404 before any)."""
    return importing.get_mapping(session, conference=access.conference)


@router.put("/import-mapping", summary="Save the import mapping")
def put_import_mapping(
    access: WriteAccess, session: SessionDep, data: ImportMappingBody
) -> ImportMappingBody:
    """Save each column's target and the placeholder actions for this export's next upload.

    Unknown targets, kinds or actions, or a mapping with no id or name column, are a 422
    naming the field; nothing is saved.
    """
    return importing.put_mapping(
        session, conference=access.conference, body=data, actor=access.caller.actor
    )


@router.get("", summary="List attendees")
def list_attendees(
    access: ReadAccess,
    session: SessionDep,
    cursor: Annotated[
        str | None, Query(description="From the previous page's next_cursor.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    status_: Annotated[
        AttendeeStatus | None,
        Query(alias="status"),
    ] = None,
    solo: bool | None = None,
    dinner: bool | None = None,
    q: Annotated[
        Line | None,
        Query(
            max_length=200,
            description="A piece of the name, e-mail, affiliation or id (any case).",
        ),
    ] = None,
    has_profile: Annotated[
        bool | None, Query(description="Whether the interests are filled in.")
    ] = None,
    link_opened: Annotated[
        bool | None, Query(description="Whether the attendee has opened their page.")
    ] = None,
    profile_written: Annotated[
        bool | None, Query(description="Whether the attendee saved their profile on their page.")
    ] = None,
) -> AttendeePage:
    """Attendees in external-id order, a page at a time, with a search and optional filters."""
    rows, next_cursor, total = attendee_service.list_attendees(
        session,
        conference=access.conference,
        limit=limit,
        cursor=cursor,
        status=status_,
        solo=solo,
        dinner=dinner,
        q=q.strip() if q else None,
        has_profile=has_profile,
        link_opened=link_opened,
        profile_written=profile_written,
    )
    items = [attendee_out(session, a, caller=access.caller) for a in rows]
    return AttendeePage.model_validate({"items": items, "next_cursor": next_cursor, "total": total})


@router.put(
    "/{external_id}",
    summary="Create or update an attendee",
    responses={200: {"description": "Updated"}, 201: {"description": "Created"}},
)
def put_attendee(
    external_id: str,
    data: AttendeeIn,
    access: IngestAccess,
    session: SessionDep,
    response: Response,
) -> AttendeeOut | AttendeeReceipt:
    """Idempotent upsert by the registration system's id: 201 when created, 200 otherwise.

    Fields left out keep their current value, so a registration system that does not know the
    attendee's own profile never wipes it. A key without the `read` scope gets a receipt.
    """
    result = attendee_service.upsert_attendee(
        session,
        conference=access.conference,
        external_id=external_id,
        given=data.model_dump(exclude_unset=True),
        actor=access.caller.actor,
    )
    response.status_code = (
        status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK
    )
    return attendee_out(session, result.attendee, caller=access.caller)


@router.patch("/{external_id}", summary="Update some of an attendee's fields")
def patch_attendee(
    external_id: str, data: AttendeePatch, access: IngestAccess, session: SessionDep
) -> AttendeeOut | AttendeeReceipt:
    """Change only the fields given; cancelling is `{"status": "cancelled"}`.

    A key without the `read` scope gets a receipt.
    """
    result = attendee_service.upsert_attendee(
        session,
        conference=access.conference,
        external_id=external_id,
        given=data.model_dump(exclude_unset=True),
        actor=access.caller.actor,
        must_exist=True,
    )
    return attendee_out(session, result.attendee, caller=access.caller)


@router.get("/{external_id}", summary="Get an attendee")
def get_attendee(
    external_id: str, access: ReadAccess, session: SessionDep
) -> AttendeeOut | AttendeeReceipt:
    """One attendee, with their private link."""
    attendee = attendee_service.get_attendee(
        session, conference=access.conference, external_id=external_id
    )
    return attendee_out(session, attendee, caller=access.caller)


@router.delete(
    "/{external_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Erase an attendee"
)
def delete_attendee(external_id: str, access: WriteAccess, session: SessionDep) -> Response:
    """Erase the person's data and their unpublished seats (to cancel, PATCH the status)."""
    attendee = attendee_service.get_attendee(
        session, conference=access.conference, external_id=external_id
    )
    attendee_service.erase_attendee(
        session, conference=access.conference, attendee=attendee, actor=access.caller.actor
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{external_id}/link:revoke", summary="Revoke an attendee's private link")
def revoke_link(
    external_id: str, access: WriteAccess, session: SessionDep
) -> AttendeeOut | AttendeeReceipt:
    """Make the old link stop working and issue a new one (shown to keys that may read)."""
    attendee = attendee_service.get_attendee(
        session, conference=access.conference, external_id=external_id
    )
    attendee_service.revoke_link(session, attendee=attendee)
    return attendee_out(session, attendee, caller=access.caller)
