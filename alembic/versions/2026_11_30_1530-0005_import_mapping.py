"""import mapping: the column mapping an organizer chose, saved per conference

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_mapping",
        sa.Column("conference_id", sa.Uuid(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("placeholders", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_import_mapping_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mapping")),
        sa.UniqueConstraint("conference_id", name=op.f("uq_import_mapping_conference_id")),
    )


def downgrade() -> None:
    op.drop_table("import_mapping")
