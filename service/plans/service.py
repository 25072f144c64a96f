"""Plans, as the rest of the service calls them: ``from service.plans import service``.

The work lives in one module per job:

- `storage`: finding and naming plans; the one path that writes tables and seats.
- `queue`: instant checks and queueing a run (`worker` claims it, `runner` runs it).
- `engine`: rows as the matching engine's input (a plan's seating, pins and history).
- `publishing`: one plan goes live, the one before it is superseded.
- `review`: a round's tables and the stored map.
- `edits`: moves, swaps and pins of a ready plan.
- `erasure`: a person taken out of every plan's words.
"""

from __future__ import annotations

from service.plans.edits import edit_plan
from service.plans.engine import matching_attendee, matching_round, merge_carried, plan_state
from service.plans.erasure import forget_attendee
from service.plans.publishing import link_mates, publish
from service.plans.queue import DEFAULT_TIME_BUDGET, ERASED_WHILE_RUNNING, create_plan, restart_runs
from service.plans.review import plan_map, plan_tables
from service.plans.storage import (
    ACTIVE_STATUSES,
    LIVE_PLAN_KEY,
    active_plan,
    built_on,
    get_plan,
    list_plans,
    live_plan_ids,
    plan_round,
    planned_round_ids,
    published_plan,
    rename_plan,
    store_seating,
    stored_report,
)

__all__ = [
    "ACTIVE_STATUSES",
    "DEFAULT_TIME_BUDGET",
    "ERASED_WHILE_RUNNING",
    "LIVE_PLAN_KEY",
    "active_plan",
    "built_on",
    "create_plan",
    "edit_plan",
    "forget_attendee",
    "get_plan",
    "link_mates",
    "list_plans",
    "live_plan_ids",
    "matching_attendee",
    "matching_round",
    "merge_carried",
    "plan_map",
    "plan_round",
    "plan_state",
    "plan_tables",
    "planned_round_ids",
    "publish",
    "published_plan",
    "rename_plan",
    "restart_runs",
    "store_seating",
    "stored_report",
]
