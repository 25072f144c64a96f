"""webhook secret rotation: the secret a rotation replaced, and until when it still signs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.add_column(sa.Column("previous_secret_encrypted", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.drop_column("previous_secret_until")
        batch.drop_column("previous_secret_encrypted")
