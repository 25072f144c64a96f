"""HTTP route for exporting the published plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from service import offload
from service.auth import ReadAccess
from service.config import get_settings
from service.db import SessionDep
from service.errors import Forbidden, Unavailable
from service.exports import render
from service.exports.service import PLAN_COLUMNS, mail_merge, published_plan_rows

router = APIRouter(prefix="/v1/conferences/{conference_id}", tags=["exports"])

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/export",
    summary="Export the published plan",
    response_class=Response,
    responses={
        200: {
            "description": "One row per attendee per round.",
            "content": {
                "text/csv": {
                    "example": "round,kind,starts_at,place,table,attendee_id,name,affiliation,"
                    "dietary,accessibility\r\nLunch 1,lunch,2027-04-14T12:30:00+02:00,Hall B,1,"
                    "T-1001,Ada Lovelace,AE Ltd,vegetarian,\r\n"
                },
                "application/json": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            },
        },
        409: {"description": "Nothing is published yet."},
        503: {"description": "The file could not be built in time; try again later."},
    },
)
def export_plan(
    access: ReadAccess,
    session: SessionDep,
    format: Annotated[Literal["csv", "json", "xlsx"], Query(description="File format.")] = "csv",
) -> Response:
    """The published plan with round, time, place, table and each attendee's export fields.

    Cells that a spreadsheet would run as a formula are escaped.
    """
    rows = list(published_plan_rows(session, conference=access.conference))
    filename = f"{access.conference.slug}-plan.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "json":
        body = render.render_json(rows, columns=PLAN_COLUMNS)
    else:
        body = _build_file(format, rows)
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


@router.get(
    "/mail-merge",
    summary="Export attendees for a mail merge",
    response_class=Response,
    responses={
        200: {
            "description": "One row per attendee who is not cancelled.",
            "content": {
                "text/csv": {
                    "example": "attendee_id,name,email,link,profile,link_opened,Lunch 1 table,"
                    "Lunch 1 time,Lunch 1 place\r\nT-1001,Ada Lovelace,ada@example.org,"
                    "https://hallway.example/me/…,written,yes,3,2027-04-14 12:30,Hall B\r\n"
                },
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            },
        },
        403: {"description": "The key may not both read and write this conference."},
        503: {"description": "The file could not be built in time; try again later."},
    },
)
def export_mail_merge(
    access: ReadAccess,
    session: SessionDep,
    format: Annotated[Literal["csv", "xlsx"], Query(description="File format.")] = "csv",
) -> Response:
    """Name, e-mail, private link, profile status and, once published, each meal's table.

    For sending the links through a registration system or a mail tool. It holds every
    private link, so it needs a key with both `read` and `write`.
    """
    if not access.caller.can("write"):
        raise Forbidden("The mail merge holds private links: it needs a key with 'write' too.")
    columns, rows = mail_merge(session, conference=access.conference)
    filename = f"{access.conference.slug}-mail-merge.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    body = _build_file(format, rows, columns=columns)
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


def _build_file(
    format: Literal["csv", "xlsx"],
    rows: list[dict[str, object]],
    *,
    columns: Sequence[str] = PLAN_COLUMNS,
) -> bytes:
    """Build a CSV or XLSX in a file worker, so no other request waits while it is written."""
    timeout = get_settings().file_timeout
    try:
        return offload.run(render.render_file, format, rows, columns=columns, timeout=timeout)
    except (offload.TookTooLong, offload.Busy, offload.WorkerLost) as exc:
        raise Unavailable(
            f"The {format.upper()} file could not be built just now ({exc}); try again in a "
            "minute, or export JSON.",
            headers={"Retry-After": "60"},
        ) from exc
