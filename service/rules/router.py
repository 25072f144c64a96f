"""HTTP routes for seating rules (keep apart, keep together)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from service.auth import ReadAccess, WriteAccess
from service.db import SessionDep
from service.rules import service as rule_service
from service.rules.schemas import RuleIn, RuleOut

router = APIRouter(prefix="/v1/conferences/{conference_id}/rules", tags=["rules"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a seating rule")
def create_rule(data: RuleIn, access: WriteAccess, session: SessionDep) -> RuleOut:
    """Keep two or more attendees apart, or together, in every plan from now on."""
    return rule_service.create_rule(
        session, conference=access.conference, data=data, actor=access.caller.actor
    )


@router.get("", summary="List seating rules")
def list_rules(access: ReadAccess, session: SessionDep) -> list[RuleOut]:
    """The conference's keep-apart and keep-together rules, oldest first."""
    return rule_service.list_rules(session, conference=access.conference)


@router.delete(
    "/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a seating rule"
)
def delete_rule(rule_id: uuid.UUID, access: WriteAccess, session: SessionDep) -> Response:
    """Drop a rule; plans made from now on no longer follow it."""
    rule_service.delete_rule(
        session, conference=access.conference, rule_id=rule_id, actor=access.caller.actor
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
