"""seating rules: keep-apart and keep-together sets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seating_rule",
        sa.Column("conference_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_seating_rule_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seating_rule")),
    )
    op.create_index(
        op.f("ix_seating_rule_conference_id"), "seating_rule", ["conference_id"], unique=False
    )
    op.create_table(
        "seating_rule_member",
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("attendee_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendee.id"],
            name=op.f("fk_seating_rule_member_attendee_id_attendee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["seating_rule.id"],
            name=op.f("fk_seating_rule_member_rule_id_seating_rule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "attendee_id", name=op.f("pk_seating_rule_member")),
    )
    op.create_index(
        op.f("ix_seating_rule_member_attendee_id"),
        "seating_rule_member",
        ["attendee_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_seating_rule_member_attendee_id"), table_name="seating_rule_member")
    op.drop_table("seating_rule_member")
    op.drop_index(op.f("ix_seating_rule_conference_id"), table_name="seating_rule")
    op.drop_table("seating_rule")
