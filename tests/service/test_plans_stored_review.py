"""What a plan keeps so reading it costs nothing heavy: its map, its name; one round order.

The map (a PCA of profile embeddings) is made with the plan and read from it afterwards; a plan
has a readable name the organizer can change; a failed plan says why; rounds appear in one
order in every view, also those without a time.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.attendees import links
from service.config import get_settings
from service.db import session_scope
from service.models import Attendee, Plan
from service.plans import review, worker
from tests.service.test_plans_api import people


@pytest.fixture
def hashing(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


def add_rounds(admin: TestClient, base: str, bodies: list[dict[str, Any]]) -> dict[str, str]:
    ids = {}
    for body in bodies:
        created = admin.post(f"{base}/rounds", json=body)
        assert created.status_code == 201, created.text
        ids[body["name"]] = created.json()["id"]
    return ids


@pytest.fixture
def base(admin: TestClient, conference: dict[str, Any], hashing: None) -> str:
    path = f"/v1/conferences/{conference['id']}"
    assert admin.post(f"{path}/attendees:batch", json={"attendees": people(24)}).status_code == 200
    return path


def run(admin: TestClient, base: str, **body: Any) -> dict[str, Any]:
    created = admin.post(f"{base}/plans", json={"seed": 1, "time_budget": 3, **body})
    assert created.status_code == 202, created.text
    assert worker.run_once() == uuid.UUID(created.json()["id"])
    got = admin.get(f"{base}/plans/{created.json()['id']}")
    assert got.status_code == 200
    return dict(got.json())


def test_the_map_is_made_with_the_plan_and_read_afterwards(
    admin: TestClient, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds = add_rounds(
        admin,
        base,
        [
            {"name": "Lunch 1", "kind": "lunch", "table_size": 6},
            {"name": "Dinner 1", "kind": "dinner", "table_size": 6},
        ],
    )
    plan = run(admin, base)
    assert plan["status"] == "ready", plan["error"]

    def no_heavy_work(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request embedded profiles or ran a PCA")

    monkeypatch.setattr(review, "embed", no_heavy_work)
    monkeypatch.setattr(review, "project", no_heavy_work)
    for name, round_id in rounds.items():
        answer = admin.get(f"{base}/plans/{plan['id']}/map", params={"round_id": round_id})
        assert answer.status_code == 200, answer.text
        points = answer.json()["points"]
        tables = admin.get(f"{base}/plans/{plan['id']}/rounds/{round_id}/tables").json()
        seated = {m["external_id"]: t["table"] for t in tables for m in t["members"]}
        assert {p["external_id"]: p["table"] for p in points} == seated, name
        # A real projection: the points are spread out, not all at the origin.
        assert np.ptp([p["x"] for p in points]) > 0 and np.ptp([p["y"] for p in points]) > 0


def test_a_plan_without_a_stored_map_gets_one_made_once(
    admin: TestClient, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds = add_rounds(admin, base, [{"name": "Lunch 1", "kind": "lunch", "table_size": 6}])
    plan = run(admin, base)
    with session_scope() as session:  # as a plan made before maps were kept
        row = session.get(Plan, uuid.UUID(plan["id"]))
        assert row is not None and row.review_map
        row.review_map = None
    url = f"{base}/plans/{plan['id']}/map"
    first = admin.get(url, params={"round_id": rounds["Lunch 1"]})
    assert first.status_code == 200 and len(first.json()["points"]) == 24

    def no_heavy_work(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the map was made again")

    monkeypatch.setattr(review, "project", no_heavy_work)
    again = admin.get(url, params={"round_id": rounds["Lunch 1"]})
    assert again.status_code == 200 and again.json() == first.json()


def test_plans_have_readable_names_the_organizer_can_change(admin: TestClient, base: str) -> None:
    add_rounds(admin, base, [{"name": "Lunch 1", "kind": "lunch", "table_size": 6}])
    first = run(admin, base)
    second = run(admin, base)
    assert re.fullmatch(r"Plan 1 — \d{1,2} [A-Z][a-z]{2} \d\d:\d\d", first["name"]), first["name"]
    assert second["name"].startswith("Plan 2 — ")

    url = f"{base}/plans/{first['id']}"
    renamed = admin.patch(url, json={"name": "  Final, with the interpreters  "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Final, with the interpreters"
    assert admin.get(url).json()["name"] == "Final, with the interpreters"
    assert admin.get(url).json()["version"] == first["version"]
    listed = {p["id"]: p["name"] for p in admin.get(f"{base}/plans").json()}
    assert listed[first["id"]] == "Final, with the interpreters"

    for bad in ({"name": ""}, {"name": "   "}, {"name": "two\nlines"}, {"status": "published"}):
        refused = admin.patch(url, json=bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert admin.patch(f"{base}/plans/{uuid.uuid4()}", json={"name": "x"}).status_code == 404


def test_a_failed_plan_says_why(admin: TestClient, base: str) -> None:
    rounds = add_rounds(
        admin,
        base,
        [
            {"name": "Lunch 1", "kind": "lunch", "table_size": 6},
            {"name": "Lunch 2", "kind": "lunch", "table_size": 6},
        ],
    )
    created = admin.post(f"{base}/plans", json={"seed": 1, "time_budget": 3})
    assert created.status_code == 202
    assert admin.delete(f"{base}/rounds/{rounds['Lunch 2']}").status_code == 204
    assert worker.run_once() == uuid.UUID(created.json()["id"])
    failed = admin.get(f"{base}/plans/{created.json()['id']}").json()
    assert failed["status"] == "failed"
    assert "deleted" in failed["error"] and failed["error"].startswith("The input cannot")
    listed = next(p for p in admin.get(f"{base}/plans").json() if p["id"] == failed["id"])
    assert listed["error"] == failed["error"]


def test_rounds_without_a_time_are_in_one_order_everywhere(
    admin: TestClient, base: str, conference: dict[str, Any]
) -> None:
    # Created in an order that is neither the names' nor the times': only one rule can hold.
    add_rounds(
        admin,
        base,
        [
            {"name": "Zebra lunch", "kind": "lunch", "table_size": 6},
            {
                "name": "Lunch 1",
                "kind": "lunch",
                "starts_at": "2027-04-14T12:30:00+02:00",
                "table_size": 6,
            },
            {"name": "Apple lunch", "kind": "lunch", "table_size": 6},
        ],
    )
    expected = ["Lunch 1", "Apple lunch", "Zebra lunch"]
    assert [r["name"] for r in admin.get(f"{base}/rounds").json()] == expected
    plan = run(admin, base)
    assert plan["status"] == "ready", plan["error"]
    assert [r["name"] for r in plan["report"]["rounds"]] == expected

    cards = admin.get(f"{base}/plans/{plan['id']}/cards")
    assert cards.status_code == 200
    found = sorted((cards.text.find(f">{name}<"), name) for name in expected)
    assert all(at >= 0 for at, _ in found), found
    assert [name for _, name in found] == expected

    published = admin.post(
        f"{base}/plans/{plan['id']}/publish", headers={"If-Match": f'"{plan["version"]}"'}
    )
    assert published.status_code == 200, published.text
    export = admin.get(f"{base}/export", params={"format": "csv"})
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    column = "round" if "round" in rows[0] else next(iter(rows[0]))
    assert list(dict.fromkeys(r[column] for r in rows)) == expected

    with session_scope() as session:
        person = session.query(Attendee).filter_by(external_id="P001").one()
        token = links.token_for(person, links.link_secret(session))
    page = admin.get(f"/me/{token}")
    assert page.status_code == 200, page.text
    at = [page.text.find(name) for name in expected]
    assert all(a >= 0 for a in at) and at == sorted(at), at


def test_bare_status_values_are_refused_by_the_database(
    admin: TestClient, base: str, conference: dict[str, Any]
) -> None:
    add_rounds(admin, base, [{"name": "Lunch 1", "kind": "lunch", "table_size": 6}])
    plan = run(admin, base)
    for statement in (
        "UPDATE plan SET status = 'done'",
        "UPDATE attendee SET status = 'gone'",
        "UPDATE round SET kind = 'brunch'",
    ):
        with pytest.raises(Exception, match=r"(?i)check"), session_scope() as session:
            session.execute(text(statement))
    assert admin.get(f"{base}/plans/{plan['id']}").json()["status"] == "ready"


def test_erasing_someone_takes_them_off_every_stored_map(admin: TestClient, base: str) -> None:
    rounds = add_rounds(admin, base, [{"name": "Lunch 1", "kind": "lunch", "table_size": 6}])
    plan = run(admin, base)
    published = admin.post(
        f"{base}/plans/{plan['id']}/publish", headers={"If-Match": f'"{plan["version"]}"'}
    )
    assert published.status_code == 200
    with session_scope() as session:
        row = session.get(Plan, uuid.UUID(plan["id"]))
        assert row is not None and "P001" in (row.review_map or {})[rounds["Lunch 1"]]
    assert admin.delete(f"{base}/attendees/P001").status_code == 204
    with session_scope() as session:
        row = session.get(Plan, uuid.UUID(plan["id"]))
        assert row is not None and row.review_map is not None
        assert all("P001" not in points for points in row.review_map.values())
        assert len(row.review_map[rounds["Lunch 1"]]) == 23
    points = admin.get(f"{base}/plans/{plan['id']}/map", params={"round_id": rounds["Lunch 1"]})
    assert points.status_code == 200
    assert all(p["external_id"] != "P001" for p in points.json()["points"])


def test_a_report_stored_by_an_older_version_is_never_a_server_error(
    admin: TestClient, base: str
) -> None:
    rounds = add_rounds(admin, base, [{"name": "Lunch 1", "kind": "lunch", "table_size": 6}])
    plan = run(admin, base)
    with session_scope() as session:
        row = session.get(Plan, uuid.UUID(plan["id"]))
        assert row is not None
        row.report = {"summary": {"attendees": 24}, "attendees": {"P001": {}}}
    url = f"{base}/plans/{plan['id']}"
    assert admin.get(url).status_code == 200
    assert admin.get(f"{base}/plans").status_code == 200
    tables = admin.get(f"{url}/rounds/{rounds['Lunch 1']}/tables")
    assert tables.status_code == 200
    a, b = (t["members"][0]["external_id"] for t in tables.json()[:2])
    edited = admin.post(
        f"{url}/edits",
        json={"op": "swap", "round_id": rounds["Lunch 1"], "a": a, "b": b},
        headers={"If-Match": f'"{plan["version"]}"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["summary"]["attendees"] == 24  # measured afresh, in today's shape
    with session_scope() as session:
        row = session.get(Plan, uuid.UUID(plan["id"]))
        assert row is not None
        row.report = {"summary": {"attendees": 24}, "attendees": {"P001": {}}}
    version = admin.get(url).json()["version"]
    assert admin.post(f"{url}/publish", headers={"If-Match": f'"{version}"'}).status_code == 200
    assert admin.delete(f"{base}/attendees/P001").status_code == 204
    assert "P001" not in str(admin.get(url).json()["report"])


def full_measurement(plan_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan's stored report and a full ``build_report`` of its seating as stored now."""
    from matching.report import build_report
    from service.embedding import embed
    from service.plans import engine

    with session_scope() as session:
        row = session.get(Plan, uuid.UUID(plan_id))
        assert row is not None and row.report is not None
        state = engine.plan_state(session, plan=row)
        full = build_report(
            state.attendees,
            state.m_rounds(),
            state.m_seating(),
            embed(state.attendees),
            history=state.history,
            constraints=state.constraints,
            kindred_threshold=row.report["summary"]["kindred_threshold"],
        ).to_dict()
        return dict(row.report), full


def swap_somebody(
    admin: TestClient, url: str, round_id: str, version: int
) -> tuple[list[dict[str, Any]], int]:
    """Swap someone at table 1 with the first person at table 2 (the first swap the rules
    allow); return the round's tables before it and the plan's new version."""
    tables = admin.get(f"{url}/rounds/{round_id}/tables").json()
    b = tables[1]["members"][0]["external_id"]
    for a in tables[0]["members"]:
        swapped = admin.post(
            f"{url}/edits",
            json={"op": "swap", "round_id": round_id, "a": a["external_id"], "b": b},
            headers={"If-Match": f'"{version}"'},
        )
        if swapped.status_code == 200:
            return tables, int(swapped.json()["version"])
    raise AssertionError(swapped.text)


def test_an_edit_keeps_the_report_exactly_as_a_full_measurement_would(
    admin: TestClient, base: str
) -> None:
    rounds = add_rounds(
        admin,
        base,
        [
            {"name": "Lunch 1", "kind": "lunch", "table_size": 6},
            {"name": "Lunch 2", "kind": "lunch", "table_size": 6},
        ],
    )
    plan = run(admin, base)
    url = f"{base}/plans/{plan['id']}"
    search = full_measurement(plan["id"])[0].get("search")
    version = plan["version"]
    # The second edit, in the other round, reuses the text model the first one fitted.
    for name, number in (("Lunch 1", 0), ("Lunch 2", 1)):
        before, version = swap_somebody(admin, url, rounds[name], version)
        untouched = {m["external_id"]: m["why"] for t in before[2:] for m in t["members"]}
        stored, full = full_measurement(plan["id"])
        for mine, theirs in zip(stored["rounds"], full["rounds"], strict=True):
            for key in mine:
                assert mine[key] == theirs[key], (key, mine[key], theirs[key])
        # How the search ended belongs to the run, not to a measurement of the seating.
        assert stored.pop("search", None) == search
        assert stored == full
        after = admin.get(f"{url}/rounds/{rounds[name]}/tables").json()
        lines = {m["external_id"]: m["why"] for t in after for m in t["members"]}
        assert all(lines[p] == why for p, why in untouched.items())
        for t in after[:2]:
            for m in t["members"]:
                assert m["why"] == full["attendees"][m["external_id"]][name]["why"]
            assert t["topics"] == next(
                d["topics"]
                for d in full["rounds"][number]["tables_detail"]
                if d["table"] == t["table"]
            )


def test_an_edit_after_profiles_changed_explains_with_the_new_profiles(
    admin: TestClient, base: str
) -> None:
    rounds = add_rounds(admin, base, [{"name": "Lunch 1", "kind": "lunch", "table_size": 6}])
    plan = run(admin, base)
    url = f"{base}/plans/{plan['id']}"
    # A first edit: the text model of today's profiles is fitted and kept.
    tables, version = swap_somebody(admin, url, rounds["Lunch 1"], plan["version"])
    for person in [m["external_id"] for t in tables[:2] for m in t["members"]]:
        patched = admin.patch(
            f"{base}/attendees/{person}", json={"interests": "zymurgy and home brewing"}
        )
        assert patched.status_code == 200, patched.text
    swap_somebody(admin, url, rounds["Lunch 1"], version)
    stored, full = full_measurement(plan["id"])
    assert stored["summary"] == full["summary"]
    measured = {t["table"]: t for t in full["rounds"][0]["tables_detail"]}
    for table in stored["rounds"][0]["tables_detail"][:2]:
        assert "zymurgy" in table["topics"]
        assert table["topics"] == measured[table["table"]]["topics"]
        for person in table["members"]:
            mine = stored["attendees"][person]["Lunch 1"]
            assert mine == full["attendees"][person]["Lunch 1"]
            assert "zymurgy" in mine["shared_topics"]


def test_an_edit_explains_again_what_the_stored_report_lacks(admin: TestClient, base: str) -> None:
    rounds = add_rounds(
        admin,
        base,
        [
            {"name": "Lunch 1", "kind": "lunch", "table_size": 6},
            {"name": "Lunch 2", "kind": "lunch", "table_size": 6},
        ],
    )
    plan = run(admin, base)
    with session_scope() as session:
        row = session.get(Plan, uuid.UUID(plan["id"]))
        assert row is not None and row.report is not None
        report = dict(row.report)
        lunch_2 = dict(report["rounds"][1])
        third = {k: v for k, v in lunch_2["tables_detail"][2].items() if k != "topics"}
        lunch_2["tables_detail"] = [*lunch_2["tables_detail"][:2], third]
        lunch_2["tables_detail"] += report["rounds"][1]["tables_detail"][3:]
        someone = lunch_2["tables_detail"][0]["members"][0]
        report["rounds"] = [report["rounds"][0], lunch_2]
        report["attendees"] = {
            **report["attendees"],
            someone: {"Lunch 1": report["attendees"][someone]["Lunch 1"]},
        }
        row.report = report
    swap_somebody(admin, f"{base}/plans/{plan['id']}", rounds["Lunch 1"], plan["version"])
    stored, full = full_measurement(plan["id"])
    stored.pop("search", None)
    assert stored == full
