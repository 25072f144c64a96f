"""The ``hallway`` command line against a real database file."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
runner = CliRunner()


def test_keys_import_export_flow(settings_env: str, tmp_path: Path) -> None:
    from sqlalchemy import select

    from service.db import session_scope
    from service.keys import service as key_service
    from service.models import Attendee, Conference, Plan, Round
    from service.plans import service as plan_service

    created = runner.invoke(app, ["keys", "create", "--admin"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("hw_")
    with session_scope() as session:
        key = key_service.authenticate(session, secret=secret)
        assert key is not None and key.is_admin
        session.add(Conference(slug="cli-conf", name="CLI Conf"))

    dry = runner.invoke(
        app, ["import", str(FIXTURES / "hallway.csv"), "--conference", "cli-conf", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "would import" in dry.stdout
    real = runner.invoke(
        app, ["import", str(FIXTURES / "hallway.csv"), "--conference", "cli-conf", "--skip-invalid"]
    )
    assert real.exit_code == 0, real.output
    with session_scope() as session:
        count = len(list(session.scalars(select(Attendee))))
    assert count > 0 and f"imported {count} new" in real.stdout

    bad = runner.invoke(
        app, ["import", str(FIXTURES / "bad_values.csv"), "--conference", "cli-conf"]
    )
    assert bad.exit_code == 1
    assert "row 2" in bad.stderr

    not_yet = runner.invoke(app, ["export", "--conference", "cli-conf"])
    assert not_yet.exit_code == 1 and "No plan has been published" in not_yet.stderr

    with session_scope() as session:
        conf = session.scalar(select(Conference).where(Conference.slug == "cli-conf"))
        assert conf is not None
        lunch = Round(conference_id=conf.id, name="Lunch 1", kind="lunch", table_size=count)
        session.add(lunch)
        plan = Plan(conference_id=conf.id, status="ready")
        session.add(plan)
        session.flush()
        people = [a.id for a in session.scalars(select(Attendee))]
        plan_service.store_seating(
            session, plan=plan, seating={lunch.id: [people]}, capacities={lunch.id: [count]}
        )
        plan_service.publish(session, conference=conf, plan=plan, actor="test")

    exported = runner.invoke(app, ["export", "--conference", "cli-conf", "--format", "csv"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff"))))
    assert len(rows) == count and {r["round"] for r in rows} == {"Lunch 1"}
    out = tmp_path / "plan.xlsx"
    as_xlsx = runner.invoke(
        app, ["export", "--conference", "cli-conf", "--format", "xlsx", "--out", str(out)]
    )
    assert as_xlsx.exit_code == 0 and out.stat().st_size > 0


def test_conference_key_and_errors(settings_env: str) -> None:
    from service.db import session_scope
    from service.models import Conference

    with session_scope() as session:
        session.add(Conference(id=uuid.uuid4(), slug="keyed", name="Keyed"))
    ok = runner.invoke(app, ["keys", "create", "--conference", "keyed", "--scope", "ingest"])
    assert ok.exit_code == 0 and ok.stdout.strip().startswith("hw_")
    assert runner.invoke(app, ["keys", "create"]).exit_code == 1
    missing = runner.invoke(app, ["keys", "create", "--conference", "nope"])
    assert missing.exit_code == 1 and "no conference" in missing.stderr
    bad_scope = runner.invoke(app, ["keys", "create", "--conference", "keyed", "--scope", "root"])
    assert bad_scope.exit_code == 1 and "Unknown scope" in bad_scope.stderr
