"""seat mate and one live plan: who a why line is about; at most one published plan

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLISHED = sa.text("status = 'published'")


def upgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mate_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_assignment_mate_id_attendee"),
            "attendee",
            ["mate_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(op.f("ix_assignment_mate_id"), ["mate_id"], unique=False)

    # Two publishes at once could leave two live plans; keep each conference's newest.
    plan = sa.table(
        "plan",
        sa.column("id", sa.Uuid()),
        sa.column("conference_id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("published_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(plan.c.id, plan.c.conference_id)
        .where(plan.c.status == "published")
        .order_by(
            plan.c.conference_id,
            plan.c.published_at.desc(),
            plan.c.created_at.desc(),
            plan.c.id.desc(),
        )
    ).all()
    seen: set[object] = set()
    for plan_id, conference_id in rows:
        if conference_id in seen:
            bind.execute(sa.update(plan).where(plan.c.id == plan_id).values(status="superseded"))
        seen.add(conference_id)
    op.create_index(
        "uq_plan_one_published",
        "plan",
        ["conference_id"],
        unique=True,
        sqlite_where=PUBLISHED,
        postgresql_where=PUBLISHED,
    )


def downgrade() -> None:
    op.drop_index(
        "uq_plan_one_published",
        table_name="plan",
        sqlite_where=PUBLISHED,
        postgresql_where=PUBLISHED,
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_assignment_mate_id"))
        batch_op.drop_constraint(op.f("fk_assignment_mate_id_attendee"), type_="foreignkey")
        batch_op.drop_column("mate_id")
