"""registration connections: pretix, Tito and Eventbrite connections, deliveries and their log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _connection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["connection_id"],
        ["connection.id"],
        name=op.f(f"fk_{table}_connection_id_connection"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "connection",
        sa.Column("conference_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.Column("organizer", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("signing_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("hook_secret_hash", sa.String(length=64), nullable=False),
        sa.Column("last_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "platform IN ('pretix', 'tito', 'eventbrite')", name=op.f("ck_connection_platform")
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_connection_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection")),
    )
    op.create_index(
        op.f("ix_connection_conference_id"), "connection", ["conference_id"], unique=False
    )
    op.create_table(
        "connection_delivery",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('received', 'processing', 'done', 'failed')",
            name=op.f("ck_connection_delivery_status"),
        ),
        _connection_fk("connection_delivery"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_delivery")),
    )
    op.create_index(
        op.f("ix_connection_delivery_connection_id"),
        "connection_delivery",
        ["connection_id"],
        unique=False,
    )
    op.create_index(
        "uq_connection_delivery_dedup",
        "connection_delivery",
        ["connection_id", "dedup_key"],
        unique=True,
    )
    op.create_index(
        "ix_connection_delivery_status_next",
        "connection_delivery",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "connection_sync",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_connection_sync_status"),
        ),
        sa.CheckConstraint("kind IN ('manual', 'scheduled')", name=op.f("ck_connection_sync_kind")),
        _connection_fk("connection_sync"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_sync")),
    )
    op.create_index(
        op.f("ix_connection_sync_connection_id"),
        "connection_sync",
        ["connection_id"],
        unique=False,
    )
    op.create_index(
        "ix_connection_sync_status_next",
        "connection_sync",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "connection_log_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=True),
        sa.Column("sync_id", sa.Uuid(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("platform_answer", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('received', 'processed', 'refused', 'ignored', 'error', 'sync', "
            "'connection')",
            name=op.f("ck_connection_log_entry_kind"),
        ),
        _connection_fk("connection_log_entry"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_log_entry")),
    )
    op.create_index(
        "ix_connection_log_entry_connection_created",
        "connection_log_entry",
        ["connection_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_connection_log_entry_connection_created", table_name="connection_log_entry")
    op.drop_table("connection_log_entry")
    op.drop_index("ix_connection_sync_status_next", table_name="connection_sync")
    op.drop_index(op.f("ix_connection_sync_connection_id"), table_name="connection_sync")
    op.drop_table("connection_sync")
    op.drop_index("ix_connection_delivery_status_next", table_name="connection_delivery")
    op.drop_index("uq_connection_delivery_dedup", table_name="connection_delivery")
    op.drop_index(op.f("ix_connection_delivery_connection_id"), table_name="connection_delivery")
    op.drop_table("connection_delivery")
    op.drop_index(op.f("ix_connection_conference_id"), table_name="connection")
    op.drop_table("connection")
