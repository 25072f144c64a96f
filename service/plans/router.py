"""HTTP routes for plans: queue a matching run, review its tables, edit, publish, map."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response, status

from service.auth import ReadAccess, WriteAccess
from service.db import SessionDep
from service.errors import Invalid, PreconditionFailed
from service.models import Plan
from service.plans import edits, publishing, queue, review, storage
from service.plans.deps import PlanId, ReadablePlan, WritablePlan
from service.plans.schemas import (
    MAX_TABLE_NUMBER,
    MAX_TABLES_FILTER,
    MAX_TABLES_PAGE,
    Edit,
    MapOut,
    MapPoint,
    PlanCreated,
    PlanDetail,
    PlanIn,
    PlanInclude,
    PlanLinks,
    PlanOut,
    PlanPatch,
    TableOut,
    table_numbers,
)
from service.review import moves as moves_service
from service.review.summary import SEATED_STATUSES

router = APIRouter(prefix="/v1/conferences/{conference_id}/plans", tags=["plans"])


def _fields(plan: Plan) -> dict[str, Any]:
    names = [n for n in PlanOut.model_fields if n != "summary"]
    return {**{n: getattr(plan, n) for n in names}, "summary": storage.stored_summary(plan)}


def plan_out(plan: Plan) -> PlanOut:
    return PlanOut.model_validate(_fields(plan))


def plan_detail(plan: Plan) -> PlanDetail:
    links = None
    _, base_id = storage.built_on(plan)
    if base_id is not None:  # what GET …/moves compares with: the plan live when it was made
        url = f"/v1/conferences/{plan.conference_id}/plans/{plan.id}"
        links = PlanLinks(moves=f"{url}/moves", moves_csv=f"{url}/moves.csv")
    return PlanDetail.model_validate({**_fields(plan), "report": plan.report, "links": links})


def etag(plan: Plan) -> str:
    return f'"{plan.version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version in an If-Match header (``"3"``, ``W/"3"`` or ``3``); None when absent."""
    if value is None or not value.strip():
        return None
    tag = value.split(",")[0].strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError as exc:
        raise PreconditionFailed(f"If-Match {value!r} is not a version of this plan.") from exc


@router.post("", status_code=status.HTTP_202_ACCEPTED, summary="Start a matching run")
def create_plan(
    access: WriteAccess,
    session: SessionDep,
    response: Response,
    data: Annotated[
        PlanIn | None,
        Body(
            openapi_examples={
                "all rounds": {
                    "summary": "Plan every round",
                    "value": {"seed": 7, "time_budget": 60},
                },
                "re-plan": {
                    "summary": "Re-plan the published plan after late changes",
                    "value": {"replan": True},
                },
            }
        ),
    ] = None,
) -> PlanCreated:
    """Queue a plan for the worker after instant checks; poll it until ready (or failed).

    Seats, rules and pins that cannot hold for the people registered now answer 422 (type
    infeasible, naming the rule and round) before anything is queued; odd but possible input
    comes back as ``warnings``.
    """
    data = data or PlanIn()
    plan = queue.create_plan(
        session,
        conference=access.conference,
        round_ids=data.round_ids,
        seed=data.seed,
        time_budget=data.time_budget,
        weights=data.weights,
        replan=data.replan,
        actor=access.caller.actor,
    )
    response.headers["Location"] = f"/v1/conferences/{access.conference.id}/plans/{plan.id}"
    response.headers["ETag"] = etag(plan)
    return PlanCreated(**plan_out(plan).model_dump(), warnings=plan.params.get("warnings", []))


@router.get("", status_code=status.HTTP_200_OK, summary="List plans")
def list_plans(access: ReadAccess, session: SessionDep) -> list[PlanOut]:
    """Every plan of the conference, newest first."""
    return [plan_out(p) for p in storage.list_plans(session, conference=access.conference)]


@router.get("/{plan_id}", status_code=status.HTTP_200_OK, summary="Get a plan")
def get_plan(
    plan: ReadablePlan,
    access: ReadAccess,
    session: SessionDep,
    response: Response,
    include: Annotated[
        PlanInclude | None,
        Query(description="`moves`: add who a re-plan moved and why (as GET …/moves)."),
    ] = None,
) -> PlanDetail:
    """One plan with its full report (a failed plan: its reason in ``error``); ETag: version.

    A re-plan links its moves (``links``); ``?include=moves`` adds them to the answer.
    """
    response.headers["ETag"] = etag(plan)
    detail = plan_detail(plan)
    if include == "moves" and plan.status in SEATED_STATUSES:
        detail.moves = moves_service.plan_moves(
            session, conference=access.conference, plan=plan, viewer=access.caller.actor
        )
    return detail


@router.patch("/{plan_id}", status_code=status.HTTP_200_OK, summary="Rename a plan")
def patch_plan(
    plan_id: PlanId, data: PlanPatch, access: WriteAccess, session: SessionDep, response: Response
) -> PlanOut:
    """Give the plan a name of the organizer's choosing; nothing else about it changes."""
    plan = storage.get_plan(session, conference=access.conference, plan_id=plan_id)
    plan = storage.rename_plan(session, plan=plan, name=data.name)
    response.headers["ETag"] = etag(plan)
    return plan_out(plan)


@router.get(
    "/{plan_id}/rounds/{round_id}/tables",
    status_code=status.HTTP_200_OK,
    summary="Review a round's tables",
    responses={
        200: {
            "headers": {
                "X-Total-Count": {
                    "description": "How many tables matched the filter, before paging.",
                    "schema": {"type": "integer"},
                }
            }
        }
    },
)
def round_tables(
    plan: ReadablePlan,
    round_id: uuid.UUID,
    access: ReadAccess,
    session: SessionDep,
    response: Response,
    tables: Annotated[
        str | None,
        Query(
            description="Only these tables: numbers from 1, separated by commas (at most "
            f"{MAX_TABLES_FILTER}); numbers the round does not have are left out.",
            openapi_examples={
                "two tables": {"summary": "The tables an edit touched", "value": "3,7"},
            },
        ),
    ] = None,
    page: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_TABLE_NUMBER,
            description="The page of tables to return, from 1 (with limit).",
            openapi_examples={"second page": {"summary": "Tables 21-40", "value": 2}},
        ),
    ] = 1,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_TABLES_PAGE,
            description="Tables per page; every table (that matches ``tables``) when absent.",
            openapi_examples={"a page of 20": {"summary": "20 tables a page", "value": 20}},
        ),
    ] = None,
) -> list[TableOut]:
    """Tables of a round with their members, topics and report figures, in table order.

    All of them, or only the ``tables`` named, or one ``page`` of ``limit`` tables; the
    ``X-Total-Count`` header says how many tables matched before paging.
    """
    try:
        numbers = table_numbers(tables)
    except ValueError as exc:
        detail = f"tables: {exc}."
        raise Invalid(detail, errors=[{"pointer": "#/query/tables", "detail": str(exc)}]) from None
    round_ = storage.plan_round(session, conference=access.conference, plan=plan, round_id=round_id)
    found = review.plan_tables(
        session, plan=plan, round_=round_, numbers=numbers, page=page, limit=limit
    )
    response.headers["X-Total-Count"] = str(found.total)
    return [TableOut.model_validate(t) for t in found.tables]


@router.post("/{plan_id}/edits", status_code=status.HTTP_200_OK, summary="Edit a plan")
def edit_plan(
    plan_id: PlanId,
    edit: Annotated[
        Edit,
        Body(
            openapi_examples={
                "move": {
                    "summary": "Move someone to table 3",
                    "value": {
                        "op": "move",
                        "round_id": "<round id>",
                        "attendee": "T-1001",
                        "table": 3,
                    },
                },
                "swap": {
                    "summary": "Swap two people",
                    "value": {"op": "swap", "round_id": "<round id>", "a": "T-1001", "b": "T-2002"},
                },
                "pin": {
                    "summary": "Pin someone to their table",
                    "value": {
                        "op": "pin",
                        "round_id": "<round id>",
                        "attendee": "T-1001",
                        "pinned": True,
                    },
                },
            }
        ),
    ],
    access: WriteAccess,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> PlanOut:
    """Move, swap or pin attendees; needs If-Match and keeps every hard rule."""
    plan = storage.get_plan(session, conference=access.conference, plan_id=plan_id)
    plan = edits.edit_plan(
        session,
        conference=access.conference,
        plan=plan,
        edit=edit,
        expected_version=parse_if_match(if_match),
        actor=access.caller.actor,
    )
    response.headers["ETag"] = etag(plan)
    return plan_out(plan)


@router.post("/{plan_id}/publish", status_code=status.HTTP_200_OK, summary="Publish a plan")
def publish_plan(
    plan: WritablePlan,
    access: WriteAccess,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> PlanOut:
    """Make a ready plan the live one; the previously published plan is superseded.

    409 when the plan is not ready, or when the live plan is no longer the one it was built on
    (another plan was published since it was started): re-plan from the live plan instead.
    """
    plan = publishing.publish(
        session,
        conference=access.conference,
        plan=plan,
        actor=access.caller.actor,
        expected_version=parse_if_match(if_match),
    )
    session.flush()
    response.headers["ETag"] = etag(plan)
    return plan_out(plan)


@router.get("/{plan_id}/map", status_code=status.HTTP_200_OK, summary="Map a round's attendees")
def plan_map(
    plan: ReadablePlan,
    access: ReadAccess,
    session: SessionDep,
    round_id: Annotated[uuid.UUID, Query(description="The round to map.")],
) -> MapOut:
    """Attendees as 2-D points (PCA of their profiles, made with the plan) coloured by table."""
    round_ = storage.plan_round(session, conference=access.conference, plan=plan, round_id=round_id)
    points = review.plan_map(session, plan=plan, round_=round_)
    return MapOut(points=[MapPoint.model_validate(p, from_attributes=True) for p in points])
