"""plan statuses as constrained values; review map and report stored with the plan

Plan statuses, attendee statuses, round kinds and rule kinds get CHECK constraints; a plan gets
a name the organizer can edit (existing plans are named "Plan 3 — 30 Nov 17:20": their number
in the conference and when they were made, in the venue's zone) and its review map (round id ->
attendee -> [x, y]), made once with the plan. The report was already stored with the plan.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 17:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the values at this revision (a later change of the code must not change it).
CHECKS = {
    ("plan", "status"): ("queued", "running", "ready", "published", "superseded", "failed"),
    ("attendee", "status"): ("registered", "cancelled", "no-show", "needs-details"),
    ("round", "kind"): ("lunch", "dinner"),
    ("seating_rule", "kind"): ("keep_apart", "keep_together"),
}


def _condition(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _name_plans() -> None:
    plan = sa.table(
        "plan",
        sa.column("id", sa.Uuid()),
        sa.column("conference_id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    conference = sa.table("conference", sa.column("id", sa.Uuid()), sa.column("timezone"))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(plan.c.id, plan.c.conference_id, plan.c.created_at, conference.c.timezone)
        .join(conference, conference.c.id == plan.c.conference_id)
        .order_by(plan.c.conference_id, plan.c.created_at, plan.c.id)
    ).all()
    counts: dict[object, int] = {}
    for plan_id, conference_id, created_at, zone in rows:
        counts[conference_id] = number = counts.get(conference_id, 0) + 1
        made: datetime = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
        local = made.astimezone(ZoneInfo(zone or "UTC"))
        name = f"Plan {number} — {local.day} {local:%b %H:%M}"
        bind.execute(sa.update(plan).where(plan.c.id == plan_id).values(name=name))


def upgrade() -> None:
    with op.batch_alter_table("plan") as batch:
        batch.add_column(
            sa.Column("name", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("review_map", sa.JSON(), nullable=True))
    _name_plans()
    for (table, column), values in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(op.f(f"ck_{table}_{column}"), _condition(column, values))


def downgrade() -> None:
    for table, column in reversed(list(CHECKS)):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("review_map")
        batch.drop_column("name")
