"""Migration 0010 (plan statuses, names, stored map) keeps every row, both ways."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import Connection, create_engine, text

from service import migrations

NOW = "2026-11-30 10:00:00.000000"


def _insert(conn: Connection, table: str, **values: object) -> None:
    columns = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)


def test_upgrade_and_downgrade_keep_seats_rules_and_plans(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "0009")
    engine = create_engine(url)
    ids = {name: uuid.uuid4().hex for name in ("conf", "a", "b", "round", "plan", "rule")}
    stamps = {"created_at": NOW, "updated_at": NOW}
    with engine.begin() as conn:
        _insert(
            conn,
            "conference",
            id=ids["conf"],
            slug="c",
            name="C",
            timezone="Europe/Berlin",
            location="",
            **stamps,
        )
        for person in ("a", "b"):
            _insert(
                conn,
                "attendee",
                id=ids[person],
                conference_id=ids["conf"],
                external_id=person,
                name=person,
                affiliation="",
                interests="",
                hometown="",
                languages="[]",
                solo=0,
                dinner=0,
                first_time=0,
                dietary="",
                accessibility="",
                status="registered",
                extra="{}",
                visibility="{}",
                link_version=1,
                **stamps,
            )
        _insert(
            conn,
            "round",
            id=ids["round"],
            conference_id=ids["conf"],
            name="Lunch",
            kind="lunch",
            location="",
            table_size=2,
            **stamps,
        )
        _insert(
            conn,
            "plan",
            id=ids["plan"],
            conference_id=ids["conf"],
            status="published",
            params="{}",
            progress=1.0,
            message="",
            version=1,
            **stamps,
        )
        _insert(
            conn,
            "plan_table",
            id=uuid.uuid4().hex,
            plan_id=ids["plan"],
            round_id=ids["round"],
            number=1,
            capacity=2,
            topics="[]",
            **stamps,
        )
        for person in ("a", "b"):
            _insert(
                conn,
                "assignment",
                id=uuid.uuid4().hex,
                plan_id=ids["plan"],
                round_id=ids["round"],
                attendee_id=ids[person],
                table_number=1,
                pinned=0,
                why="",
                **stamps,
            )
        _insert(
            conn,
            "seating_rule",
            id=ids["rule"],
            conference_id=ids["conf"],
            kind="keep_apart",
            note="",
            **stamps,
        )
        for position, person in enumerate(("a", "b")):
            _insert(
                conn,
                "seating_rule_member",
                rule_id=ids["rule"],
                attendee_id=ids[person],
                position=position,
            )

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("assignment", "plan_table", "seating_rule_member", "plan")
            }

    before = counts()
    assert before == {"assignment": 2, "plan_table": 1, "seating_rule_member": 2, "plan": 1}
    migrations.upgrade(url)
    assert counts() == before
    with engine.connect() as conn:
        name = conn.execute(text("SELECT name FROM plan")).scalar_one()
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    assert name == "Plan 1 — 30 Nov 11:00"  # 10:00 UTC in Berlin
    migrations.downgrade(url, "0009")
    assert counts() == before
    engine.dispose()
