"""attendee reach and mail: first visit and profile-written times, mail templates and outbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "kind IN ('invitation', 'tables_ready', 'table_changed')"


def upgrade() -> None:
    with op.batch_alter_table("attendee") as batch:
        batch.add_column(sa.Column("link_opened_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("profile_written_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "mail_template",
        sa.Column("conference_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_mail_template_kind")),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_mail_template_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_template")),
        sa.UniqueConstraint("conference_id", "kind", name="uq_mail_template_conference_kind"),
    )
    op.create_index(
        op.f("ix_mail_template_conference_id"), "mail_template", ["conference_id"], unique=False
    )
    op.create_table(
        "mail_message",
        sa.Column("conference_id", sa.Uuid(), nullable=False),
        sa.Column("attendee_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("plan_key", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_answer", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_mail_message_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')",
            name=op.f("ck_mail_message_status"),
        ),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendee.id"],
            name=op.f("fk_mail_message_attendee_id_attendee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_mail_message_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("attendee_id", "kind", "plan_key", name="uq_mail_message_once"),
    )
    op.create_index(
        op.f("ix_mail_message_attendee_id"), "mail_message", ["attendee_id"], unique=False
    )
    op.create_index(
        op.f("ix_mail_message_conference_id"), "mail_message", ["conference_id"], unique=False
    )
    op.create_index(
        "ix_mail_message_status_next", "mail_message", ["status", "next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_mail_message_status_next", table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_conference_id"), table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_attendee_id"), table_name="mail_message")
    op.drop_table("mail_message")
    op.drop_index(op.f("ix_mail_template_conference_id"), table_name="mail_template")
    op.drop_table("mail_template")
    with op.batch_alter_table("attendee") as batch:
        batch.drop_column("profile_written_at")
        batch.drop_column("link_opened_at")
