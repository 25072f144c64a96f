"""Plans through the HTTP API: queue, run (the worker in-process), review, edit, publish."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import get_settings
from service.plans import worker

TOPICS = [
    "pytest testing fixtures",
    "packaging wheels pip",
    "django web orm",
    "numpy arrays science",
    "async asyncio networking",
    "typing mypy static analysis",
    "teaching python beginners",
    "data pipelines pandas",
]
COMPANIES = ["Acme GmbH", "Initech Inc", "Globex Ltd", "Umbrella", "", ""]


def people(n: int, *, start: int = 0) -> list[dict[str, Any]]:
    """A varied, deterministic crowd: companies, solos, diners, first-timers, a few parties."""
    out = []
    for i in range(start, start + n):
        out.append(
            {
                "external_id": f"P{i:03d}",
                "name": f"Person {i}",
                "email": f"person{i}@mail{i % 5}.example.org",
                "affiliation": COMPANIES[i % len(COMPANIES)],
                "interests": f"{TOPICS[i % len(TOPICS)]} {TOPICS[(i * 3 + 1) % len(TOPICS)]}",
                "hometown": f"Town {i % 7}",
                "solo": i % 4 == 0,
                "party": f"team-{i % 3}" if i % 9 == 1 else None,
                "dinner": i % 2 == 0,
                "first_time": i % 3 == 0,
                "dietary": "vegan" if i % 5 == 0 else "",
                "accessibility": "step-free" if i % 11 == 0 else "",
            }
        )
    return out


@pytest.fixture
def hashing(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cheap deterministic encoder instead of the real model."""
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


@pytest.fixture
def conf(admin: TestClient, conference: dict[str, Any], hashing: None) -> dict[str, Any]:
    """A conference with 24 attendees, two lunches (tables of 6) and a dinner (5 + 5 + 4)."""
    base = f"/v1/conferences/{conference['id']}"
    response = admin.post(f"{base}/attendees:batch", json={"attendees": people(24)})
    assert response.status_code == 200, response.text
    rounds = {}
    for body in (
        {
            "name": "Lunch 1",
            "kind": "lunch",
            "starts_at": "2027-04-14T12:30:00+02:00",
            "table_size": 6,
        },
        {
            "name": "Dinner 1",
            "kind": "dinner",
            "starts_at": "2027-04-14T19:00:00+02:00",
            "capacities": [5, 5, 4],
        },
        {
            "name": "Lunch 2",
            "kind": "lunch",
            "starts_at": "2027-04-15T12:30:00+02:00",
            "table_size": 6,
        },
    ):
        created = admin.post(f"{base}/rounds", json=body)
        assert created.status_code == 201, created.text
        rounds[body["name"]] = created.json()["id"]
    return {"base": base, "rounds": rounds, **conference}


def run_plan(admin: TestClient, base: str, **body: Any) -> dict[str, Any]:
    """POST a plan, let the worker run it in-process, and return the finished plan."""
    body.setdefault("seed", 1)
    body.setdefault("time_budget", 5)
    created = admin.post(f"{base}/plans", json=body)
    assert created.status_code == 202, created.text
    plan = created.json()
    assert plan["status"] == "queued" and plan["progress"] == 0
    assert worker.run_once() == uuid.UUID(plan["id"])
    got = admin.get(f"{base}/plans/{plan['id']}")
    assert got.status_code == 200
    assert got.headers["etag"] == f'"{got.json()["version"]}"'
    return dict(got.json())


def tables_of(admin: TestClient, base: str, plan_id: str, round_id: str) -> list[dict[str, Any]]:
    response = admin.get(f"{base}/plans/{plan_id}/rounds/{round_id}/tables")
    assert response.status_code == 200, response.text
    return list(response.json())


def where(tables: list[dict[str, Any]]) -> dict[str, int]:
    return {m["external_id"]: t["table"] for t in tables for m in t["members"]}


def test_plan_lifecycle(admin: TestClient, conf: dict[str, Any]) -> None:
    base, rounds = conf["base"], conf["rounds"]
    plan = run_plan(admin, base)
    assert plan["status"] == "ready", plan["error"]
    assert plan["progress"] == 1 and plan["error"] is None and plan["moved"] is None
    assert plan["started_at"] and plan["finished_at"]
    assert plan["summary"]["attendees"] == 24 and plan["summary"]["hard_violations"] == 0
    assert {r["name"] for r in plan["report"]["rounds"]} == set(rounds)

    lunch = tables_of(admin, base, plan["id"], rounds["Lunch 1"])
    assert [t["table"] for t in lunch] == [1, 2, 3, 4]
    assert sorted(len(t["members"]) for t in lunch) == [6, 6, 6, 6]
    assert all(t["capacity"] == 6 for t in lunch)
    assert all(t["topics"] and "common_ground" in t["figures"] for t in lunch)
    seated = [m for t in lunch for m in t["members"]]
    assert len({m["external_id"] for m in seated}) == 24
    assert all(m["why"] for m in seated)
    assert set(seated[0]) == {
        "external_id",
        "name",
        "affiliation",
        "hometown",
        "solo",
        "first_time",
        "pinned",
        "why",
    }
    dinner = tables_of(admin, base, plan["id"], rounds["Dinner 1"])
    assert [t["capacity"] for t in dinner] == [5, 5, 4]
    diners = {m["external_id"] for t in dinner for m in t["members"]}
    assert diners == {p["external_id"] for p in people(24) if p["dinner"]}

    # Nothing is published yet: the export says so.
    assert admin.get(f"{base}/export").status_code == 409
    published = admin.post(f"{base}/plans/{plan['id']}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published" and published.json()["published_at"]
    export = admin.get(f"{base}/export", params={"format": "json"})
    assert export.status_code == 200
    rows = export.json()
    assert len(rows) == 24 + 24 + len(diners)
    lunch_seats = where(lunch)
    assert all(r["table"] == lunch_seats[r["attendee_id"]] for r in rows if r["round"] == "Lunch 1")

    listed = admin.get(f"{base}/plans").json()
    assert [p["id"] for p in listed] == [plan["id"]]
    assert listed[0]["summary"] == plan["summary"] and "report" not in listed[0]
