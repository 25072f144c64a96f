"""seat lookup: one index finds a person's seats in one plan

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The attendee page asks "my seats in the live plan"; with (attendee_id) alone the
    # database preferred scanning every seat of the plan.
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_attendee_id")
        batch_op.create_index("ix_assignment_attendee_plan", ["attendee_id", "plan_id"])


def downgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_attendee_plan")
        batch_op.create_index("ix_assignment_attendee_id", ["attendee_id"], unique=False)
