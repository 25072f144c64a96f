"""Plans through the HTTP API: queue, run (the worker in-process), review, edit, publish; and
the keep-apart and keep-together rules every plan follows."""

from __future__ import annotations

import uuid
from collections import Counter
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


def edit(admin: TestClient, base: str, plan_id: str, body: dict[str, Any], version: Any) -> Any:
    headers = {} if version is None else {"If-Match": f'"{version}"'}
    return admin.post(f"{base}/plans/{plan_id}/edits", json=body, headers=headers)


def test_edits_keep_hard_rules_and_need_the_current_version(
    admin: TestClient, conf: dict[str, Any]
) -> None:
    base, rounds = conf["base"], conf["rounds"]
    plan = run_plan(admin, base)
    pid, version = plan["id"], plan["version"]
    lunch_id = rounds["Lunch 1"]
    lunch = tables_of(admin, base, pid, lunch_id)
    a = lunch[0]["members"][0]["external_id"]
    b = lunch[1]["members"][0]["external_id"]

    missing = edit(admin, base, pid, {"op": "swap", "round_id": lunch_id, "a": a, "b": b}, None)
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith("application/problem+json")
    stale = edit(admin, base, pid, {"op": "swap", "round_id": lunch_id, "a": a, "b": b}, 99)
    assert stale.status_code == 412

    # Every lunch table is full (tables of 6): a move breaks the capacity rule.
    full = edit(
        admin, base, pid, {"op": "move", "round_id": lunch_id, "attendee": a, "table": 2}, version
    )
    assert full.status_code == 422, full.text
    assert full.json()["rule"] == "capacity" and "capacity" in full.json()["detail"]

    swapped = edit(admin, base, pid, {"op": "swap", "round_id": lunch_id, "a": a, "b": b}, version)
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["version"] == version + 1
    assert swapped.headers["etag"] == f'"{version + 1}"'
    seats = where(tables_of(admin, base, pid, lunch_id))
    assert (seats[a], seats[b]) == (2, 1)
    report = admin.get(f"{base}/plans/{pid}").json()["report"]
    detail = next(r for r in report["rounds"] if r["name"] == "Lunch 1")["tables_detail"]
    assert a in detail[1]["members"] and b in detail[0]["members"]
    assert report["attendees"][a]["Lunch 1"]["table"] == 2
    # The old version is now stale.
    again = edit(admin, base, pid, {"op": "swap", "round_id": lunch_id, "a": a, "b": b}, version)
    assert again.status_code == 412
    version += 1

    # Dinner has free seats (12 diners, 14 seats): moving into one is fine.
    dinner_id = rounds["Dinner 1"]
    dinner = tables_of(admin, base, pid, dinner_id)
    free = next(t for t in dinner if len(t["members"]) < t["capacity"])
    donor = next(t for t in dinner if t["table"] != free["table"] and t["members"])
    mover = donor["members"][0]["external_id"]
    moved = edit(
        admin,
        base,
        pid,
        {"op": "move", "round_id": dinner_id, "attendee": mover, "table": free["table"]},
        version,
    )
    assert moved.status_code == 200, moved.text
    version += 1
    assert where(tables_of(admin, base, pid, dinner_id))[mover] == free["table"]

    # A pinned attendee stays put until unpinned.
    pinned = edit(
        admin, base, pid, {"op": "pin", "round_id": dinner_id, "attendee": mover}, version
    )
    assert pinned.status_code == 200
    version += 1
    member = next(
        m
        for t in tables_of(admin, base, pid, dinner_id)
        for m in t["members"]
        if m["external_id"] == mover
    )
    assert member["pinned"] is True
    back = edit(
        admin,
        base,
        pid,
        {"op": "move", "round_id": dinner_id, "attendee": mover, "table": donor["table"]},
        version,
    )
    assert back.status_code == 422 and back.json()["rule"] == "pin"

    nobody = edit(
        admin,
        base,
        pid,
        {"op": "move", "round_id": dinner_id, "attendee": "P001", "table": 1},
        version,
    )
    assert nobody.status_code == 422  # P001 did not opt in to dinner

    assert admin.post(f"{base}/plans/{pid}/publish").status_code == 200
    late = admin.get(f"{base}/plans/{pid}")
    after = edit(
        admin,
        base,
        pid,
        {"op": "pin", "round_id": lunch_id, "attendee": a},
        late.json()["version"],
    )
    assert after.status_code == 409

    from sqlalchemy import select

    from service.db import session_scope
    from service.models import AuditEvent

    with session_scope() as session:
        actions = Counter(session.scalars(select(AuditEvent.action)))
    assert actions["plan.created"] == 1
    assert actions["plan.edited"] == 3
    assert actions["plan.published"] == 1


def export_seats(admin: TestClient, base: str) -> dict[tuple[str, str], int]:
    rows = admin.get(f"{base}/export", params={"format": "json"}).json()
    return {(r["round"], r["attendee_id"]): r["table"] for r in rows}


def test_new_plans_leave_the_published_one_alone(admin: TestClient, conf: dict[str, Any]) -> None:
    base, rounds = conf["base"], conf["rounds"]
    first = run_plan(admin, base, seed=1)
    assert admin.post(f"{base}/plans/{first['id']}/publish").status_code == 200
    live = export_seats(admin, base)

    queued = admin.post(f"{base}/plans", json={"seed": 2, "time_budget": 5})
    assert queued.status_code == 202
    busy = admin.post(f"{base}/plans", json={})
    assert busy.status_code == 409, busy.text
    assert busy.json()["plan_id"] == queued.json()["id"]
    assert worker.run_once() == uuid.UUID(queued.json()["id"])
    second = admin.get(f"{base}/plans/{queued.json()['id']}").json()
    assert second["status"] == "ready"
    assert export_seats(admin, base) == live  # ready is not live

    # A run that cannot work is refused with the reason at once and leaves the live plan alone.
    tiny = admin.post(
        f"{base}/rounds", json={"name": "Dinner 2", "kind": "dinner", "capacities": [2, 2]}
    )
    assert tiny.status_code == 201
    failed = admin.post(f"{base}/plans", json={"time_budget": 5})
    assert failed.status_code == 422
    assert failed.json()["rule"] == "capacity" and failed.json()["round"] == "Dinner 2"
    assert worker.run_once() is None
    assert admin.get(f"{base}/plans/{first['id']}").json()["status"] == "published"
    assert export_seats(admin, base) == live

    assert admin.post(f"{base}/plans/{second['id']}/publish").status_code == 200
    statuses = {p["id"]: p["status"] for p in admin.get(f"{base}/plans").json()}
    assert statuses == {first["id"]: "superseded", second["id"]: "published"}
    lunch = where(tables_of(admin, base, second["id"], rounds["Lunch 1"]))
    assert {k[1]: v for k, v in export_seats(admin, base).items() if k[0] == "Lunch 1"} == lunch


def test_replan_after_late_changes_moves_few(admin: TestClient, conf: dict[str, Any]) -> None:
    base, rounds = conf["base"], conf["rounds"]
    first = run_plan(admin, base)
    pid = first["id"]
    lunch_id = rounds["Lunch 1"]
    pin_who = tables_of(admin, base, pid, lunch_id)[2]["members"][0]["external_id"]
    pinned = edit(
        admin,
        base,
        pid,
        {"op": "pin", "round_id": lunch_id, "attendee": pin_who},
        first["version"],
    )
    assert pinned.status_code == 200
    assert admin.post(f"{base}/plans/{pid}/publish").status_code == 200
    before = {name: where(tables_of(admin, base, pid, rid)) for name, rid in rounds.items()}

    for gone in ("P004", "P011"):
        patched = admin.patch(f"{base}/attendees/{gone}", json={"status": "cancelled"})
        assert patched.status_code == 200, patched.text
    late = people(2, start=24)
    assert admin.post(f"{base}/attendees:batch", json={"attendees": late}).status_code == 200

    again = run_plan(admin, base, replan=True, seed=3)
    assert again["status"] == "ready", again["error"]
    after = {name: where(tables_of(admin, base, again["id"], rid)) for name, rid in rounds.items()}
    for name in rounds:
        assert "P004" not in after[name] and "P011" not in after[name]
    assert {"P024", "P025"} <= set(after["Lunch 1"])
    changed = sum(
        1
        for name in rounds
        for person, table in before[name].items()
        if person in after[name] and after[name][person] != table
    )
    assert again["moved"] == changed
    seats = sum(len(after[name]) for name in rounds)
    assert changed <= seats // 5, (changed, seats)
    assert after["Lunch 1"][pin_who] == before["Lunch 1"][pin_who]
    assert again["summary"]["hard_violations"] == 0
    # The live plan is untouched until the re-plan is published.
    assert export_seats(admin, base)[("Lunch 1", "P004")] == before["Lunch 1"]["P004"]


def test_map_points_follow_the_tables(admin: TestClient, conf: dict[str, Any]) -> None:
    base, rounds = conf["base"], conf["rounds"]
    plan = run_plan(admin, base)
    response = admin.get(f"{base}/plans/{plan['id']}/map", params={"round_id": rounds["Lunch 1"]})
    assert response.status_code == 200, response.text
    points = response.json()["points"]
    seats = where(tables_of(admin, base, plan["id"], rounds["Lunch 1"]))
    assert {p["external_id"]: p["table"] for p in points} == seats
    xs = [p["x"] for p in points]
    assert max(xs) > min(xs) and all(isinstance(p["y"], float) for p in points)
    unknown = admin.get(f"{base}/plans/{plan['id']}/map", params={"round_id": str(uuid.uuid4())})
    assert unknown.status_code == 404


def test_another_conferences_key_sees_nothing(
    admin: TestClient, conf: dict[str, Any], key_factory: Any
) -> None:
    base, rounds = conf["base"], conf["rounds"]
    plan = run_plan(admin, base)
    other = admin.post("/v1/conferences", json={"slug": "other-conf", "name": "Other"}).json()
    key = key_factory(conference_id=uuid.UUID(other["id"]), scopes=["read", "write"])
    headers = {"Authorization": f"Bearer {key}", "If-Match": f'"{plan["version"]}"'}
    pid, rid = plan["id"], rounds["Lunch 1"]
    calls = [
        ("POST", f"{base}/plans", {}),
        ("GET", f"{base}/plans", None),
        ("GET", f"{base}/plans/{pid}", None),
        ("GET", f"{base}/plans/{pid}/rounds/{rid}/tables", None),
        ("POST", f"{base}/plans/{pid}/edits", {"op": "pin", "round_id": rid, "attendee": "P000"}),
        ("POST", f"{base}/plans/{pid}/publish", None),
        ("GET", f"{base}/plans/{pid}/map?round_id={rid}", None),
    ]
    for method, url, body in calls:
        response = admin.request(method, url, json=body, headers=headers)
        assert response.status_code == 404, (method, url, response.text)
    assert admin.get(f"{base}/plans/{pid}").json()["status"] == "ready"


# --- seating rules (keep apart, keep together) ---------------------------------------------
def test_rules_are_created_listed_checked_and_deleted(
    admin: TestClient, conf: dict[str, Any]
) -> None:
    base = conf["base"]
    made = admin.post(
        f"{base}/rules",
        json={"kind": "keep_together", "attendees": ["P001", "P002"], "note": "interpreter"},
    )
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["kind"] == "keep_together" and rule["attendees"] == ["P001", "P002"]
    assert admin.get(f"{base}/rules").json() == [rule]

    unknown = admin.post(f"{base}/rules", json={"kind": "keep_apart", "attendees": ["P003", "X"]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/body/attendees/1"
    twice = admin.post(
        f"{base}/rules", json={"kind": "keep_apart", "attendees": ["P003", "P004", "P003"]}
    )
    assert twice.status_code == 422, twice.text
    assert twice.headers["content-type"].startswith("application/problem+json")
    assert twice.json()["errors"] == [{"pointer": "#/body/attendees/2", "detail": "named twice"}]
    alone = admin.post(f"{base}/rules", json={"kind": "keep_apart", "attendees": ["P003"]})
    assert alone.status_code == 422
    contradiction = admin.post(
        f"{base}/rules", json={"kind": "keep_apart", "attendees": ["P002", "P005", "P001"]}
    )
    assert contradiction.status_code == 409
    assert "P002" in contradiction.json()["detail"] and rule["id"] in contradiction.json()["detail"]

    gone = admin.delete(f"{base}/rules/{rule['id']}")
    assert gone.status_code == 204
    assert admin.get(f"{base}/rules").json() == []
    assert admin.delete(f"{base}/rules/{rule['id']}").status_code == 404


def test_rules_no_round_can_hold_are_refused(admin: TestClient, conf: dict[str, Any]) -> None:
    base = conf["base"]  # lunches at tables of 6 (24 people: 4 tables), dinner at 5 + 5 + 4

    def post(kind: str, numbers: range | list[int]) -> Any:
        people = [f"P{i:03d}" for i in numbers]
        return admin.post(f"{base}/rules", json={"kind": kind, "attendees": people})

    crowd = post("keep_together", range(7))
    assert crowd.status_code == 409
    assert "Lunch 1" in crowd.json()["detail"] and "at most 6" in crowd.json()["detail"]
    # Six fit a lunch table; not all of them dine, so the dinner does not bind them.
    assert post("keep_together", range(6)).status_code == 201
    diners = post("keep_together", range(8, 20, 2))  # six diners: dinner tables seat 5
    assert diners.status_code == 409 and "Dinner 1" in diners.json()["detail"]
    apart = post("keep_apart", [20, 22, 14, 16])  # four diners, three dinner tables
    assert apart.status_code == 409
    assert "Dinner 1" in apart.json()["detail"] and "3 tables" in apart.json()["detail"]
    assert post("keep_apart", [9, 11, 13, 15]).status_code == 201  # four lunch tables, no diners
    assert len(admin.get(f"{base}/rules").json()) == 2


def test_a_read_key_cannot_make_rules(
    client: TestClient, conf: dict[str, Any], key_factory: Any
) -> None:
    key = key_factory(conference_id=uuid.UUID(conf["id"]), scopes=["read"])
    response = client.post(
        f"{conf['base']}/rules",
        json={"kind": "keep_apart", "attendees": ["P001", "P002"]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 403


def test_plans_follow_the_rules_and_edits_cannot_break_them(
    admin: TestClient, conf: dict[str, Any]
) -> None:
    base, rounds = conf["base"], conf["rounds"]
    together = ["P004", "P010", "P016"]  # seated in every round, dinner included
    apart = ["P002", "P006", "P014"]
    for kind, people in (("keep_together", together), ("keep_apart", apart)):
        made = admin.post(f"{base}/rules", json={"kind": kind, "attendees": people})
        assert made.status_code == 201, made.text
    plan = run_plan(admin, base)
    assert plan["status"] == "ready", plan["error"]
    for name, round_id in rounds.items():
        seats = where(tables_of(admin, base, plan["id"], round_id))
        if all(p in seats for p in together):
            assert len({seats[p] for p in together}) == 1, name
        present = [seats[p] for p in apart if p in seats]
        assert len(set(present)) == len(present), name

    lunch_id = rounds["Lunch 1"]
    seats = where(tables_of(admin, base, plan["id"], lunch_id))
    mate = next(p for p, t in seats.items() if t == seats["P006"] and p not in apart + together)
    broken = edit(
        admin,
        base,
        plan["id"],
        {"op": "swap", "round_id": lunch_id, "a": "P002", "b": mate},
        plan["version"],
    )
    assert broken.status_code == 422, broken.text
    assert broken.json()["rule"] == "keep-apart"


def test_erasing_an_attendee_takes_them_out_of_rules(
    admin: TestClient, conf: dict[str, Any]
) -> None:
    base = conf["base"]
    pair = admin.post(f"{base}/rules", json={"kind": "keep_apart", "attendees": ["P001", "P002"]})
    trio = admin.post(
        f"{base}/rules", json={"kind": "keep_together", "attendees": ["P001", "P003", "P005"]}
    )
    assert pair.status_code == trio.status_code == 201
    assert admin.delete(f"{base}/attendees/P001").status_code == 204
    left = admin.get(f"{base}/rules").json()
    assert [r["attendees"] for r in left] == [["P003", "P005"]]
