"""The schema comes only from Alembic, and every migration can be undone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from service import migrations
from service.db import Base


def _fresh_url(tmp_path: Path) -> str:
    # On PostgreSQL the shared test database is already migrated; exercise the cycle on a
    # file of its own so the run does not disturb other tests.
    return f"sqlite:///{tmp_path / 'empty.db'}"


def test_upgrade_then_downgrade_on_empty_database(tmp_path: Path) -> None:
    url = _fresh_url(tmp_path)
    migrations.upgrade(url)
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    migrations.downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(url)
    assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_models_match_migrations(database_url: str) -> None:
    """Autogenerate finds nothing to add: the migrations describe the models exactly."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_postgres_cycle_when_configured() -> None:
    url = os.environ.get("HALLWAY_TEST_DATABASE_URL")
    if not url:
        pytest.skip("HALLWAY_TEST_DATABASE_URL is not set")
    # The suite's database is migrated to head; downgrade/upgrade it in place.
    migrations.downgrade(url, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(url)
    assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    engine.dispose()
