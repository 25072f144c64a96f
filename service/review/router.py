"""HTTP routes of the review: the publish summary and the moves of a re-plan (JSON and CSV)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from service.auth import ReadAccess
from service.db import SessionDep
from service.exports import render
from service.plans.deps import ReadablePlan
from service.review import moves as moves_service
from service.review import summary as summary_service
from service.review.schemas import MovesOut, SummaryOut

router = APIRouter(prefix="/v1/conferences/{conference_id}/plans/{plan_id}", tags=["plans"])


@router.get(
    "/summary",
    status_code=status.HTTP_200_OK,
    summary="Summarise a plan before publishing",
    responses={409: {"description": "The plan has no tables yet (queued, running, failed)."}},
)
def publish_summary(
    plan: ReadablePlan, access: ReadAccess, session: SessionDep, response: Response
) -> SummaryOut:
    """This plan against the engine's own result: what edits made worse and who made them.

    Also what the organizer's keep-together rules force, empty or under-filled rounds, people
    without a profile and the instant checks. Publish with ``If-Match: "<version>"``.
    """
    summary = summary_service.publish_summary(
        session, conference=access.conference, plan=plan, viewer=access.caller.actor
    )
    response.headers["ETag"] = f'"{summary.version}"'
    return summary


@router.get(
    "/moves",
    status_code=status.HTTP_200_OK,
    summary="Who a re-plan moved, and why",
    responses={409: {"description": "The plan has no tables yet (queued, running, failed)."}},
)
def plan_moves(plan: ReadablePlan, access: ReadAccess, session: SessionDep) -> MovesOut:
    """Each person whose table changed from the plan live when this one was made, per round.

    With the reason (a cancellation freed a seat, a late registration, a rule, a pin, the
    person's own change, a manual edit, or the engine making room or improving a table) and the
    figures against that plan, explained when one dropped.
    """
    return moves_service.plan_moves(
        session, conference=access.conference, plan=plan, viewer=access.caller.actor
    )


@router.get(
    "/moves.csv",
    status_code=status.HTTP_200_OK,
    summary="Who a re-plan moved, as CSV",
    response_class=Response,
    responses={
        200: {
            "description": "One row per person and round whose table changed.",
            "content": {
                "text/csv": {
                    "example": "round,attendee_id,name,from_table,to_table,change,reason,detail"
                    "\r\nLunch 1,T-1001,Ada Lovelace,3,5,moved,cancellation,A seat came free at "
                    "table 5: Bob Byte cancelled.\r\n"
                }
            },
        },
        409: {"description": "The plan has no tables yet (queued, running, failed)."},
    },
)
def plan_moves_csv(plan: ReadablePlan, access: ReadAccess, session: SessionDep) -> Response:
    """The moves as a spreadsheet; cells a spreadsheet would run as a formula are escaped."""
    result = moves_service.plan_moves(
        session, conference=access.conference, plan=plan, viewer=access.caller.actor
    )
    body = b"".join(
        render.render_csv(moves_service.csv_rows(result), columns=moves_service.CSV_COLUMNS)
    )
    filename = f"{access.conference.slug}-moves.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
