"""The plan lookup, once for every route that names a plan in its path.

Routes that take a body look the plan up themselves (`storage.get_plan`) instead: FastAPI runs
dependencies before it validates the body, and a bad body must be a 422 whether or not the plan
exists, as it always was.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from service.auth import ReadAccess, WriteAccess
from service.db import SessionDep
from service.models import Plan
from service.plans import storage

PlanId = Annotated[uuid.UUID, Path(description="The plan's id.")]


def readable_plan(plan_id: PlanId, access: ReadAccess, session: SessionDep) -> Plan:
    """The path's plan, for a key that may read the conference (else 404)."""
    return storage.get_plan(session, conference=access.conference, plan_id=plan_id)


def writable_plan(plan_id: PlanId, access: WriteAccess, session: SessionDep) -> Plan:
    """The path's plan, for a key that may change the conference (else 404)."""
    return storage.get_plan(session, conference=access.conference, plan_id=plan_id)


ReadablePlan = Annotated[Plan, Depends(readable_plan)]
WritablePlan = Annotated[Plan, Depends(writable_plan)]
