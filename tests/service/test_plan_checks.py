"""Checks before anything runs: a plan that cannot hold is refused at once, odd input warned of.

Before these checks every refused case below was queued (202) and failed only once the worker
had embedded every profile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from service.cli import app
from service.config import get_settings
from service.plans import worker

INFEASIBLE = "https://hallway.dev/problems/infeasible"


@pytest.fixture
def base(admin: TestClient, conference: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> str:
    """A conference of 20 registered attendees, 6 of them opted in to dinner."""
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()
    url = f"/v1/conferences/{conference['id']}"
    crowd = [
        {"external_id": f"P{i:02d}", "name": f"Person {i}", "dinner": i < 6} for i in range(20)
    ]
    response = admin.post(f"{url}/attendees:batch", json={"attendees": crowd})
    assert response.status_code == 200, response.text
    return url


def add_round(admin: TestClient, base: str, body: dict[str, Any]) -> dict[str, Any]:
    response = admin.post(f"{base}/rounds", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def refused(admin: TestClient, base: str, **body: Any) -> dict[str, Any]:
    """POST a plan that must be refused at once; nothing may be queued."""
    response = admin.post(f"{base}/plans", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = dict(response.json())
    assert problem["type"] == INFEASIBLE
    assert admin.get(f"{base}/plans").json() == []
    return problem


def test_too_few_seats_is_refused_before_queueing(admin: TestClient, base: str) -> None:
    add_round(admin, base, {"name": "Lunch 1", "kind": "lunch", "capacities": [8, 8]})
    problem = refused(admin, base)
    assert problem["rule"] == "capacity" and problem["round"] == "Lunch 1"
    assert "16" in problem["detail"] and "20" in problem["detail"]
    assert problem["errors"][0]["rule"] == "capacity"
    assert worker.run_once() is None


def test_a_dinner_counts_its_opt_ins(admin: TestClient, base: str) -> None:
    add_round(admin, base, {"name": "Lunch", "kind": "lunch", "table_size": 10})
    add_round(admin, base, {"name": "Dinner", "kind": "dinner", "capacities": [2, 2]})
    problem = refused(admin, base)
    assert (problem["rule"], problem["round"]) == ("capacity", "Dinner")
    assert "6 people opted in" in problem["detail"]


def test_a_keep_together_rule_larger_than_any_table(admin: TestClient, base: str) -> None:
    together = ["P10", "P11", "P12", "P13"]
    rule = admin.post(f"{base}/rules", json={"kind": "keep_together", "attendees": together})
    assert rule.status_code == 201, rule.text
    saved = add_round(admin, base, {"name": "Lunch", "kind": "lunch", "capacities": [3] * 7})
    assert [w["rule"] for w in saved["warnings"]] == ["keep-together"]
    problem = refused(admin, base)
    assert (problem["rule"], problem["round"]) == ("keep-together", "Lunch")
    assert "Person 10 (P10)" in problem["detail"]
    assert problem["errors"][0]["attendees"] == together


def test_more_people_to_keep_apart_than_tables(admin: TestClient, base: str) -> None:
    apart = ["P01", "P02", "P03"]
    rule = admin.post(f"{base}/rules", json={"kind": "keep_apart", "attendees": apart})
    assert rule.status_code == 201, rule.text
    add_round(admin, base, {"name": "Lunch", "kind": "lunch", "capacities": [10, 10]})
    problem = refused(admin, base)
    assert (problem["rule"], problem["round"]) == ("keep-apart", "Lunch")
    assert "Person 1 (P01)" in problem["detail"] and "2 tables" in problem["detail"]


def test_a_pin_to_a_table_that_no_longer_exists(
    admin: TestClient, base: str, settings_env: str
) -> None:
    lunch = add_round(admin, base, {"name": "Lunch", "kind": "lunch", "table_size": 4})
    created = admin.post(f"{base}/plans", json={"seed": 1, "time_budget": 2})
    assert created.status_code == 202, created.text
    worker.run_once()
    plan = admin.get(f"{base}/plans/{created.json()['id']}").json()
    assert plan["status"] == "ready", plan["error"]
    tables = admin.get(f"{base}/plans/{plan['id']}/rounds/{lunch['id']}/tables").json()
    who = tables[4]["members"][0]["external_id"]  # table 5 of 5
    pinned = admin.post(
        f"{base}/plans/{plan['id']}/edits",
        json={"op": "pin", "round_id": lunch["id"], "attendee": who},
        headers={"If-Match": f'"{plan["version"]}"'},
    )
    assert pinned.status_code == 200, pinned.text
    assert admin.post(f"{base}/plans/{plan['id']}/publish").status_code == 200
    patched = admin.patch(f"{base}/rounds/{lunch['id']}", json={"table_size": 10})
    assert patched.status_code == 200, patched.text

    response = admin.post(f"{base}/plans", json={"replan": True})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == INFEASIBLE
    assert (problem["rule"], problem["round"]) == ("pins", "Lunch")
    assert "table 5" in problem["detail"] and f"({who})" in problem["detail"]
    assert [p["status"] for p in admin.get(f"{base}/plans").json()] == ["published"]


def test_an_empty_dinner_is_a_warning_with_the_202(admin: TestClient, base: str) -> None:
    for i in range(6):
        response = admin.patch(f"{base}/attendees/P{i:02d}", json={"dinner": False})
        assert response.status_code == 200, response.text
    add_round(admin, base, {"name": "Lunch", "kind": "lunch", "table_size": 10})
    saved = add_round(admin, base, {"name": "Dinner", "kind": "dinner", "table_size": 6})
    assert [(w["rule"], w["round"]) for w in saved["warnings"]] == [("empty-dinner", "Dinner")]
    response = admin.post(f"{base}/plans", json={})
    assert response.status_code == 202, response.text
    assert [(w["rule"], w["round"]) for w in response.json()["warnings"]] == [
        ("empty-dinner", "Dinner")
    ]
    stored = admin.get(f"{base}/plans/{response.json()['id']}").json()
    assert stored["params"]["warnings"] == response.json()["warnings"]


def test_unavoidable_repeats_are_warned_with_their_minimum(admin: TestClient, base: str) -> None:
    add_round(admin, base, {"name": "Lunch 1", "kind": "lunch", "table_size": 10})
    add_round(admin, base, {"name": "Lunch 2", "kind": "lunch", "table_size": 10})
    response = admin.post(f"{base}/plans", json={})
    assert response.status_code == 202, response.text
    # Two tables of ten twice: each first table's ten people split 5 + 5 at best, 20 pairs each.
    assert [(w["rule"], w["round"], w["minimum"]) for w in response.json()["warnings"]] == [
        ("repeats", "Lunch 2", 40)
    ]


def test_saving_a_round_too_small_warns_but_saves(admin: TestClient, base: str) -> None:
    saved = add_round(admin, base, {"name": "Lunch", "kind": "lunch", "capacities": [6, 6]})
    assert [(w["rule"], w["round"]) for w in saved["warnings"]] == [("capacity", "Lunch")]
    assert "20 people to seat" in saved["warnings"][0]["detail"]
    patched = admin.patch(f"{base}/rounds/{saved['id']}", json={"capacities": [10, 10]})
    assert patched.status_code == 200 and patched.json()["warnings"] == []
    shrunk = admin.patch(f"{base}/rounds/{saved['id']}", json={"table_size": 20})
    assert shrunk.status_code == 200 and shrunk.json()["warnings"] == []
    narrowed = admin.patch(f"{base}/rounds/{saved['id']}", json={"capacities": [9, 9]})
    assert [w["rule"] for w in narrowed.json()["warnings"]] == ["capacity"]


# --- hallway match ------------------------------------------------------------------------------


class EncoderLoaded(Exception):
    """Raised instead of loading the model: the checks let the run go on."""


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(*args: Any, **kwargs: Any) -> Any:
        raise EncoderLoaded

    monkeypatch.setattr("service.embedding.get_encoder", load)


def attendee_file(path: Path, n: int, *, dinner: bool = True) -> Path:
    header = "id,name,dinner" if dinner else "id,name"
    rows = [f"p{i:02d},Person {i}" + (f",{i % 2 == 0}" if dinner else "") for i in range(n)]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def match(tmp_path: Path, *args: str) -> Result:
    out = tmp_path / "out.csv"
    return CliRunner().invoke(app, ["match", *args, "--out", str(out), "--time-budget", "1"])


def words(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_cli_too_few_seats_stops_before_the_model(tmp_path: Path, no_model: None) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[[round]]\nname = "Opening lunch"\ncapacities = [8, 8]\n')
    result = match(tmp_path, str(attendee_file(tmp_path / "p.csv", 20)), "--plan", str(plan))
    assert result.exit_code == 1 and not isinstance(result.exception, EncoderLoaded)
    message = words(result.stderr)
    assert "cannot plan (capacity)" in message and "'Opening lunch'" in message
    assert "20 people to seat" in message


def test_cli_rules_that_cannot_hold_name_people(tmp_path: Path, no_model: None) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[[round]]\nname = "Lunch"\ncapacities = [5, 5, 5, 5]\n'
        '[[rule]]\nkind = "keep_apart"\nattendees = ["p01", "p02", "p03", "p04", "p05"]\n'
        '[[pin]]\nattendee = "p06"\nround = "Lunch"\ntable = 7\n'
    )
    result = match(tmp_path, str(attendee_file(tmp_path / "p.csv", 20)), "--plan", str(plan))
    assert result.exit_code == 1 and not isinstance(result.exception, EncoderLoaded)
    message = words(result.stderr)
    assert "cannot plan (keep-apart)" in message and "Person 1 (p01)" in message
    assert "cannot plan (pins)" in message and "Person 6 (p06)" in message


def test_cli_warns_of_a_file_without_a_dinner_column(tmp_path: Path, no_model: None) -> None:
    source = attendee_file(tmp_path / "p.csv", 30, dinner=False)
    result = match(tmp_path, str(source), "--lunches", "1", "--dinners", "1")
    assert isinstance(result.exception, EncoderLoaded), result.output  # a warning, not a stop
    assert "no 'dinner' column" in words(result.stderr)


def test_cli_warns_of_unavoidable_repeats_with_the_minimum(tmp_path: Path, no_model: None) -> None:
    source = attendee_file(tmp_path / "p.csv", 60)
    result = match(tmp_path, str(source), "--lunches", "3", "--dinners", "0")
    assert isinstance(result.exception, EncoderLoaded), result.output
    message = words(result.stderr)
    assert "'Lunch 2'" in message and "at least 24 pairs" in message
    assert "'Lunch 3'" in message
