"""HTTP route for exporting the published plan."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from service.auth import ReadAccess
from service.db import get_session
from service.exports import render
from service.exports.service import PLAN_COLUMNS, published_plan_rows

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
    },
)
def export_plan(
    access: ReadAccess,
    session: Annotated[Session, Depends(get_session, scope="function")],
    format: Annotated[Literal["csv", "json", "xlsx"], Query(description="File format.")] = "csv",
) -> Response:
    """The published plan with round, time, place, table and each attendee's export fields.

    Cells that a spreadsheet would run as a formula are escaped.
    """
    rows = list(published_plan_rows(session, conference=access.conference))
    filename = f"{access.conference.slug}-plan.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        return StreamingResponse(
            render.render_csv(rows, columns=PLAN_COLUMNS),
            media_type=MEDIA_TYPES["csv"],
            headers=headers,
        )
    if format == "json":
        return Response(
            render.render_json(rows, columns=PLAN_COLUMNS),
            media_type=MEDIA_TYPES["json"],
            headers=headers,
        )
    return Response(
        render.render_xlsx(rows, columns=PLAN_COLUMNS),
        media_type=MEDIA_TYPES["xlsx"],
        headers=headers,
    )
