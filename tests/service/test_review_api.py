"""The review before publishing and after a re-plan, through the HTTP API.

The publish summary: what manual edits made worse and by whom, what the organizer's own
keep-together rule forces (not counted against the plan), an empty dinner, people without a
profile and the instant checks, all naming people by name. The moves of a re-plan: who moved
from which table to which and why (cancellation, late registration, rule, own change, edit),
as JSON and as CSV, with the figures against the plan it re-planned.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from matching.report import Report, Summary, build_report
from service.config import get_settings
from service.db import session_scope, utcnow
from service.embedding import embed
from service.models import Attendee, Plan, Round
from service.plans import service as plan_service
from service.plans import worker
from service.review import moves as moves_service
from service.review.service import Figures, Person, figures_of

PROBLEM = "application/problem+json"
CREW = [
    ("REG-1", "Ana Ruiz", "Acme Inc.", "pytest fixtures and testing"),
    ("REG-2", "Ben Ode", "ACME", "packaging wheels and pip"),
    ("REG-3", "Cleo Park", "Globex", "django web orm"),
    ("REG-4", "Ivo Tan", "Globex Ltd", "numpy arrays and science"),
    ("REG-5", "Dan Wu", "Initech", "async networking"),
    ("REG-6", "Eve Kim", "Umbrella", "typing and static analysis"),
    ("REG-7", "Fay Lo", "Hooli", "teaching python beginners"),
    ("REG-8", "Gus Ng", "Vandelay", "data pipelines pandas"),
    ("REG-9", "Hal Ma", "Wayne", ""),
]


@pytest.fixture
def hashing(settings_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cheap deterministic encoder instead of the real model."""
    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()


def add(admin: TestClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = admin.post(url, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def crew(admin: TestClient, conference: dict[str, Any], hashing: None) -> dict[str, Any]:
    """Nine people (two of Acme, two of Globex kept together by a rule, one without a profile),
    two lunches at tables of three and a dinner nobody opted in to."""
    base = f"/v1/conferences/{conference['id']}"
    people = [
        {"external_id": e, "name": n, "affiliation": a, "interests": i, "dinner": False}
        for e, n, a, i in CREW
    ]
    response = admin.post(f"{base}/attendees:batch", json={"attendees": people})
    assert response.status_code == 200, response.text
    rounds = {}
    for body in (
        {"name": "Lunch 1", "kind": "lunch", "starts_at": "2027-04-14T12:30:00+02:00"},
        {"name": "Lunch 2", "kind": "lunch", "starts_at": "2027-04-15T12:30:00+02:00"},
    ):
        rounds[body["name"]] = add(admin, f"{base}/rounds", {**body, "table_size": 3})["id"]
    dinner = {"name": "Dinner 1", "kind": "dinner", "starts_at": "2027-04-14T19:00:00+02:00"}
    rounds["Dinner 1"] = add(admin, f"{base}/rounds", {**dinner, "capacities": [4]})["id"]
    add(
        admin,
        f"{base}/rules",
        {"kind": "keep_together", "attendees": ["REG-3", "REG-4"], "note": "interpreter"},
    )
    return {"base": base, "rounds": rounds, **conference}


def run_plan(admin: TestClient, base: str, **body: Any) -> dict[str, Any]:
    created = admin.post(f"{base}/plans", json={"seed": 1, "time_budget": 2, **body})
    assert created.status_code == 202, created.text
    assert worker.run_once() == uuid.UUID(created.json()["id"])
    plan = admin.get(f"{base}/plans/{created.json()['id']}").json()
    assert plan["status"] == "ready", plan["error"]
    return dict(plan)


def where(admin: TestClient, base: str, plan_id: str, round_id: str) -> dict[str, int]:
    tables = admin.get(f"{base}/plans/{plan_id}/rounds/{round_id}/tables")
    assert tables.status_code == 200, tables.text
    return {m["external_id"]: t["table"] for t in tables.json() for m in t["members"]}


def summary_of(admin: TestClient, base: str, plan_id: str) -> dict[str, Any]:
    response = admin.get(f"{base}/plans/{plan_id}/summary")
    assert response.status_code == 200, response.text
    body = dict(response.json())
    assert response.headers["etag"] == f'"{body["version"]}"'
    return body


def figures(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["figure"]: f for f in summary["figures"]}


def no_bare_ids(messages: list[str]) -> None:
    """Messages name people by name; a registration number alone never stands for someone."""
    for message in messages:
        assert "REG-" not in message, message


# --- the publish summary -----------------------------------------------------------------------


def test_summary_counts_keep_together_coworkers_as_forced_by_the_rule(
    admin: TestClient, crew: dict[str, Any]
) -> None:
    base = crew["base"]
    plan = run_plan(admin, base)
    summary = summary_of(admin, base, plan["id"])
    assert summary["name"] == plan["name"] and summary["name"]
    raw = plan["summary"]

    # Cleo Park and Ivo Tan (Globex) sit together in both lunches because of the rule: two
    # co-worker pairs and, at the second lunch, one repeat the report counts against the plan.
    forced = {(f["problem"], f["round"]) for f in summary["forced"]}
    assert forced == {
        ("coworker-pair", "Lunch 1"),
        ("coworker-pair", "Lunch 2"),
        ("repeated-pair", "Lunch 2"),
    }
    for finding in summary["forced"]:
        assert [p["name"] for p in finding["people"]] == ["Cleo Park", "Ivo Tan"]
        assert "keep-together rule" in finding["message"] and "interpreter" in finding["message"]
        assert "Cleo Park and Ivo Tan" in finding["message"]
    got = figures(summary)
    assert got["coworker_pairs"]["forced"] == 2
    assert got["coworker_pairs"]["now"] == raw["coworker_pairs"] - 2
    assert got["repeated_pairs"]["forced"] == 1
    assert got["repeated_pairs"]["now"] == raw["repeated_pairs"] - 1
    # The figures the database picks out of the stored report are the report's own, and the
    # engine's kept figures are the same before any edit.
    with session_scope() as session:
        row = session.get_one(Plan, uuid.UUID(plan["id"]))
        whole = Figures.of_report(Report.from_dict(row.report or {}))
        picked = figures_of(session, plan_id=row.id, rounds=3)
        assert picked == whole and len(whole.rounds) == 3
        assert Figures.from_dict(row.params["engine"]) == whole
    # Nothing edited: the engine's figures are the plan's, and nothing is worse.
    assert summary["engine_kept"] is True and summary["edits"] == [] and summary["worse"] == []
    assert all(f["engine"] == f["now"] for f in summary["figures"])
    no_bare_ids(summary["messages"])


def test_summary_names_the_empty_dinner_people_without_a_profile_and_the_checks(
    admin: TestClient, crew: dict[str, Any]
) -> None:
    base = crew["base"]
    plan = run_plan(admin, base)
    summary = summary_of(admin, base, plan["id"])
    rounds = {r["round"]: r for r in summary["rounds"]}
    assert rounds["Dinner 1"]["status"] == "empty" and rounds["Dinner 1"]["seated"] == 0
    assert "nobody has opted in" in rounds["Dinner 1"]["message"]
    assert set(rounds) == {"Dinner 1"}  # the lunches seat everyone registered
    assert summary["without_profile"] == {
        "count": 1,
        "people": [{"external_id": "REG-9", "name": "Hal Ma"}],
    }
    assert any("Hal Ma" in m and "no profile" in m for m in summary["messages"])
    assert [w["rule"] for w in summary["warnings"]] == ["empty-dinner"]
    assert summary["warnings"][0]["round"] == "Dinner 1"

    # A late registration and a cancellation make the lunches out of date, by name.
    late = {"name": "Kai Late", "affiliation": "Soylent", "interests": "rust"}
    assert admin.put(f"{base}/attendees/REG-10", json=late).status_code == 201
    assert admin.patch(f"{base}/attendees/REG-8", json={"status": "cancelled"}).status_code == 200
    rounds = {r["round"]: r for r in summary_of(admin, base, plan["id"])["rounds"]}
    lunch = rounds["Lunch 1"]
    assert lunch["status"] == "out-of-date"
    assert lunch["missing"] == [{"external_id": "REG-10", "name": "Kai Late"}]
    assert lunch["gone"] == [{"external_id": "REG-8", "name": "Gus Ng"}]
    assert "Kai Late" in lunch["message"] and "Gus Ng" in lunch["message"]


def test_summary_says_which_edit_made_coworker_pairs_worse_and_by_whom(
    admin: TestClient, crew: dict[str, Any], key_factory: Any
) -> None:
    base, lunch = crew["base"], crew["rounds"]["Lunch 1"]
    plan = run_plan(admin, base)
    engine = figures(summary_of(admin, base, plan["id"]))
    seats = where(admin, base, plan["id"], lunch)
    assert seats["REG-1"] != seats["REG-2"], "the engine seats the two Acme people apart"
    ruled = {"REG-3", "REG-4"}
    mates_of_ana = [p for p, t in seats.items() if t == seats["REG-1"] and p not in ruled]
    mates_of_ana.remove("REG-1")
    if mates_of_ana:
        swap = {"a": "REG-2", "b": mates_of_ana[0]}
    else:
        swap = {
            "a": "REG-1",
            "b": next(
                p for p, t in seats.items() if t == seats["REG-2"] and p not in ruled | {"REG-2"}
            ),
        }
    edited = admin.post(
        f"{base}/plans/{plan['id']}/edits",
        json={"op": "swap", "round_id": lunch, **swap},
        headers={"If-Match": f'"{plan["version"]}"'},
    )
    assert edited.status_code == 200, edited.text
    table = where(admin, base, plan["id"], lunch)["REG-1"]

    summary = summary_of(admin, base, plan["id"])
    assert summary["engine_kept"] is True
    got = figures(summary)
    assert got["coworker_pairs"]["engine"] == engine["coworker_pairs"]["now"]
    assert got["coworker_pairs"]["now"] == engine["coworker_pairs"]["now"] + 1
    assert got["coworker_pairs"]["worse"] is True
    worse = {w["figure"]: w for w in summary["worse"]}["coworker_pairs"]
    before, after = engine["coworker_pairs"]["now"], engine["coworker_pairs"]["now"] + 1
    assert worse["message"].startswith(f"Co-worker pairs {before} → {after}: ")
    assert (
        f"Ana Ruiz and Ben Ode (Acme Inc.) now share table {table} at Lunch 1" in (worse["message"])
    )
    assert "swapped by you at " in worse["message"]
    [pair] = worse["pairs"]
    assert pair["edit"]["by"] == "you" and pair["edit"]["op"] == "swap"
    assert worse["message"] in summary["messages"]
    no_bare_ids(summary["messages"])

    # Someone else reading the summary is told which key made the edit.
    other = key_factory(conference_id=uuid.UUID(crew["id"]), scopes=["read"], name="Pat's laptop")
    seen = admin.get(
        f"{base}/plans/{plan['id']}/summary", headers={"Authorization": f"Bearer {other}"}
    ).json()
    pair = {w["figure"]: w for w in seen["worse"]}["coworker_pairs"]["pairs"][0]
    assert pair["edit"]["by"] != "you" and "swapped by" in pair["message"]


def test_publish_confirms_exactly_the_version_the_summary_showed(
    admin: TestClient, crew: dict[str, Any]
) -> None:
    base, lunch = crew["base"], crew["rounds"]["Lunch 1"]
    plan = run_plan(admin, base)
    shown = summary_of(admin, base, plan["id"])["version"]
    pin = admin.post(
        f"{base}/plans/{plan['id']}/edits",
        json={"op": "pin", "round_id": lunch, "attendee": "REG-5"},
        headers={"If-Match": f'"{shown}"'},
    )
    assert pin.status_code == 200, pin.text
    stale = admin.post(f"{base}/plans/{plan['id']}/publish", headers={"If-Match": f'"{shown}"'})
    assert stale.status_code == 412 and stale.headers["content-type"].startswith(PROBLEM)
    again = summary_of(admin, base, plan["id"])["version"]
    assert again == shown + 1
    done = admin.post(f"{base}/plans/{plan['id']}/publish", headers={"If-Match": f'"{again}"'})
    assert done.status_code == 200, done.text


def test_summary_and_moves_statuses(admin: TestClient, crew: dict[str, Any]) -> None:
    base = crew["base"]
    for path in ("summary", "moves", "moves.csv"):
        missing = admin.get(f"{base}/plans/{uuid.uuid4()}/{path}")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith(PROBLEM)
        bad = admin.get(f"{base}/plans/not-a-plan/{path}")
        assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    queued = admin.post(f"{base}/plans", json={"seed": 1, "time_budget": 1})
    assert queued.status_code == 202
    for path in ("summary", "moves", "moves.csv"):
        early = admin.get(f"{base}/plans/{queued.json()['id']}/{path}")
        assert early.status_code == 409, early.text
        assert early.headers["content-type"].startswith(PROBLEM)
        assert "queued" in early.json()["detail"]
    anonymous = admin.get(
        f"{base}/plans/{queued.json()['id']}/summary", headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401


# --- the moves of a re-plan ----------------------------------------------------------------------

TEAM = [f"{c}{i}" for c in "ABC" for i in range(1, 5)]


@pytest.fixture
def team(admin: TestClient, conference: dict[str, Any], hashing: None) -> dict[str, Any]:
    """Twelve people (A1-C4; A3 and the late N1 work at Initech), a lunch at tables of four."""
    base = f"/v1/conferences/{conference['id']}"
    people = [
        {
            "external_id": e,
            "name": f"Person {e}",
            "affiliation": "Initech" if e == "A3" else f"Firm {e}",
            "interests": f"topic {e} python",
        }
        for e in TEAM
    ]
    response = admin.post(f"{base}/attendees:batch", json={"attendees": people})
    assert response.status_code == 200, response.text
    lunch = add(
        admin,
        f"{base}/rounds",
        {
            "name": "Lunch 1",
            "kind": "lunch",
            "starts_at": "2027-04-14T12:30:00+02:00",
            "table_size": 4,
        },
    )
    return {"base": base, "lunch": lunch["id"], **conference}


def store_plan(
    conference_id: str, tables: list[list[str]], *, based_on: uuid.UUID | None = None
) -> uuid.UUID:
    """A ready plan of "Lunch 1" seated by hand, with the report the engine would give it,
    made now and on top of ``based_on`` (a re-plan of it when given)."""
    with session_scope() as session:
        conference = uuid.UUID(conference_id)
        lunch = session.scalars(select(Round).where(Round.conference_id == conference)).one()
        people = {
            a.external_id: a
            for a in session.scalars(select(Attendee).where(Attendee.conference_id == conference))
        }
        seated = sorted((people[e] for t in tables for e in t), key=lambda a: a.external_id)
        report = build_report(
            [plan_service.matching_attendee(a) for a in seated],
            [plan_service.matching_round(lunch)],
            {"Lunch 1": tables},
            embed(seated),
        )
        plan = Plan(
            conference_id=conference,
            status="ready",
            started_at=utcnow(),
            based_on_id=based_on,
            params={
                "round_ids": [str(lunch.id)],
                "live_plan_id": str(based_on) if based_on else None,
                "replan": based_on is not None,
            },
            report=report if isinstance(report, dict) else report.to_dict(),
        )
        session.add(plan)
        session.flush()
        plan_service.store_seating(
            session,
            plan=plan,
            seating={lunch.id: [[people[e].id for e in t] for t in tables]},
            capacities={lunch.id: [4] * len(tables)},
        )
        return plan.id


def age(plan_id: uuid.UUID) -> None:
    """Make a stored plan's run look a minute older, so every change after it is later."""
    with session_scope() as session:
        earlier = utcnow() - timedelta(minutes=1)
        session.execute(
            update(Plan).where(Plan.id == plan_id).values(started_at=earlier, created_at=earlier)
        )


@pytest.fixture
def replanned(admin: TestClient, team: dict[str, Any]) -> dict[str, Any]:
    """A published plan; then A1 cancels, N1 (Initech) registers late, a rule keeps C1 with B1
    and B4 rewrites their profile. The re-plan moves B2 into A1's seat, C1 to B1, B4 away and
    A4 out of table 1 to make room for N1, who now sits with A3 of Initech."""
    base = team["base"]
    first = store_plan(team["id"], [TEAM[0:4], TEAM[4:8], TEAM[8:12]])
    age(first)
    named = admin.patch(f"{base}/plans/{first}", json={"name": "Before the cancellation"})
    assert named.status_code == 200, named.text
    assert admin.post(f"{base}/plans/{first}/publish").status_code == 200
    assert admin.patch(f"{base}/attendees/A1", json={"status": "cancelled"}).status_code == 200
    late = {"name": "=Nina Late", "affiliation": "Initech GmbH", "interests": "rust"}
    assert admin.put(f"{base}/attendees/N1", json=late).status_code == 201
    add(admin, f"{base}/rules", {"kind": "keep_together", "attendees": ["C1", "B1"]})
    rewrite = {"interests": "something else entirely"}
    assert admin.patch(f"{base}/attendees/B4", json=rewrite).status_code == 200
    second = store_plan(
        team["id"],
        [["B2", "A2", "A3", "N1"], ["C1", "B1", "B3", "A4"], ["B4", "C2", "C3", "C4"]],
        based_on=first,
    )
    return {**team, "first": str(first), "second": str(second)}


def moves_of(admin: TestClient, replanned: dict[str, Any]) -> dict[str, Any]:
    response = admin.get(f"{replanned['base']}/plans/{replanned['second']}/moves")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_moves_say_who_moved_where_and_why(admin: TestClient, replanned: dict[str, Any]) -> None:
    body = moves_of(admin, replanned)
    assert body["based_on_id"] == replanned["first"]
    assert body["based_on_name"] == "Before the cancellation"
    got = {m["attendee"]["external_id"]: m for m in body["moves"]}
    summary = {
        e: (m["change"], m["from_table"], m["to_table"], m["reason"]) for e, m in got.items()
    }
    assert summary == {
        "B2": ("moved", 2, 1, "cancellation"),
        "C1": ("moved", 3, 2, "rule"),
        "B4": ("moved", 2, 3, "own-change"),
        "A4": ("moved", 1, 2, "late-registration"),
        "N1": ("seated", None, 1, "late-registration"),
        "A1": ("unseated", 1, None, "cancelled"),
    }
    assert got["B2"]["detail"] == "A seat came free at table 1: Person A1 cancelled."
    assert got["C1"]["detail"] == "A new rule: keep together with Person B1."
    assert got["B4"]["detail"] == "Person B4 changed their profile."
    assert got["A4"]["detail"] == "To make room at table 1 for =Nina Late, who registered late."
    assert got["N1"]["detail"].startswith("=Nina Late registered late (at ")
    assert got["A1"]["detail"] == "Person A1 cancelled."
    assert (body["moved"], body["seated"], body["unseated"]) == (4, 1, 1)
    assert body["reasons"] == {
        "cancellation": 1,
        "rule": 1,
        "own-change": 1,
        "late-registration": 2,
        "cancelled": 1,
    }
    assert all(m["round"] == "Lunch 1" for m in body["moves"])


def test_moves_explain_a_figure_that_got_worse(
    admin: TestClient, replanned: dict[str, Any]
) -> None:
    deltas = {f["figure"]: f for f in moves_of(admin, replanned)["figures"]}
    coworkers = deltas["coworker_pairs"]
    assert (coworkers["before"], coworkers["after"], coworkers["worse"]) == (0, 1, True)
    assert coworkers["explanation"] == (
        "Co-worker pairs rose from 0 to 1: late registrations: 1 from Initech GmbH."
    )
    assert all(f["explanation"] is None for f in deltas.values() if not f["worse"])


def test_kindred_share_drop_is_explained_by_cancelled_profiles() -> None:
    def person(name: str, *, profile: bool) -> Person:
        now = utcnow()
        return Person(
            id=uuid.uuid4(),
            external_id=name,
            name=name,
            affiliation="",
            company=None,
            party=None,
            status="cancelled",
            has_profile=profile,
            dinner=False,
            erased=False,
            created_at=now,
            updated_at=now,
            profile_written_at=None,
        )

    def figures(kindred_share: float) -> Figures:
        zero = Summary(**{f.name: 0 for f in dataclasses.fields(Summary)})
        return Figures(
            summary=dataclasses.replace(zero, kindred_share_min=kindred_share), rounds=()
        )

    everyone = [person(f"p{i}", profile=i < 40) for i in range(50)]
    left = everyone[:12]
    deltas = moves_service.figure_deltas(
        figures(0.71),
        figures(0.42),
        left=left,
        late=[],
        base_people=everyone,
    )
    kindred = {d.figure: d for d in deltas}["kindred_share_min"]
    assert kindred.worse is True
    assert kindred.explanation == (
        "Kindred share (lowest round) fell from 71 % to 42 %: 12 of the 40 people with a "
        "profile cancelled."
    )


def test_moves_csv_has_names_tables_reasons_and_escapes_formulas(
    admin: TestClient, replanned: dict[str, Any]
) -> None:
    response = admin.get(f"{replanned['base']}/plans/{replanned['second']}/moves.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "moves.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == list(moves_service.CSV_COLUMNS)
    by_id = {r["attendee_id"]: r for r in rows}
    assert len(rows) == 6
    assert by_id["B2"] == {
        "round": "Lunch 1",
        "attendee_id": "B2",
        "name": "Person B2",
        "from_table": "2",
        "to_table": "1",
        "change": "moved",
        "reason": "cancellation",
        "detail": "A seat came free at table 1: Person A1 cancelled.",
    }
    assert by_id["A1"]["to_table"] == "" and by_id["N1"]["from_table"] == ""
    # A name that a spreadsheet would run as a formula is escaped, in every cell it appears.
    assert by_id["N1"]["name"] == "'=Nina Late"
    assert by_id["N1"]["detail"].startswith("'=Nina Late registered late")


def test_moves_of_a_first_plan_are_empty(admin: TestClient, team: dict[str, Any]) -> None:
    plan = store_plan(team["id"], [TEAM[0:4], TEAM[4:8], TEAM[8:12]])
    body = admin.get(f"{team['base']}/plans/{plan}/moves").json()
    assert body["based_on_id"] is None and body["moves"] == [] and body["figures"] == []


def test_moves_after_a_real_replan_name_every_changed_seat(
    admin: TestClient, crew: dict[str, Any]
) -> None:
    base, rounds = crew["base"], crew["rounds"]
    first = run_plan(admin, base)
    assert admin.post(f"{base}/plans/{first['id']}/publish").status_code == 200
    before = {n: where(admin, base, first["id"], r) for n, r in rounds.items() if n != "Dinner 1"}
    before["Dinner 1"] = {}  # nobody had opted in
    assert admin.patch(f"{base}/attendees/REG-8", json={"status": "cancelled"}).status_code == 200
    late = {"name": "Kai Late", "affiliation": "Soylent", "interests": "rust"}
    assert admin.put(f"{base}/attendees/REG-10", json=late).status_code == 201
    for diner in ("REG-5", "REG-6"):
        assert admin.patch(f"{base}/attendees/{diner}", json={"dinner": True}).status_code == 200
    again = run_plan(admin, base, replan=True, seed=2)
    body = admin.get(f"{base}/plans/{again['id']}/moves").json()
    after = {n: where(admin, base, again["id"], rounds[n]) for n in before}
    expected = {
        (n, e, before[n].get(e), after[n].get(e))
        for n in before
        for e in set(before[n]) | set(after[n])
        if before[n].get(e) != after[n].get(e)
    }
    assert {
        (m["round"], m["attendee"]["external_id"], m["from_table"], m["to_table"])
        for m in body["moves"]
    } == expected
    assert body["moved"] == again["moved"]
    reasons = {(m["attendee"]["name"], m["reason"]) for m in body["moves"]}
    assert ("Gus Ng", "cancelled") in reasons and ("Kai Late", "late-registration") in reasons
    # Two people opted in to the dinner nobody had joined: seated there for their own change.
    dinner = [m for m in body["moves"] if m["round"] == "Dinner 1"]
    assert {(m["attendee"]["name"], m["change"], m["reason"]) for m in dinner} == {
        ("Dan Wu", "seated", "dinner"),
        ("Eve Kim", "seated", "dinner"),
    }
    assert {m["detail"] for m in dinner} == {
        "Dan Wu opted in to the dinner.",
        "Eve Kim opted in to the dinner.",
    }


def test_moves_name_the_manual_edit_of_the_replan(
    admin: TestClient, replanned: dict[str, Any]
) -> None:
    base, second = replanned["base"], replanned["second"]
    version = admin.get(f"{base}/plans/{second}").json()["version"]
    swapped = admin.post(
        f"{base}/plans/{second}/edits",
        json={"op": "swap", "round_id": replanned["lunch"], "a": "C2", "b": "A2"},
        headers={"If-Match": f'"{version}"'},
    )
    assert swapped.status_code == 200, swapped.text
    got = {m["attendee"]["external_id"]: m for m in moves_of(admin, replanned)["moves"]}
    assert (got["C2"]["from_table"], got["C2"]["to_table"], got["C2"]["reason"]) == (3, 1, "edit")
    assert (got["A2"]["from_table"], got["A2"]["to_table"], got["A2"]["reason"]) == (1, 3, "edit")
    assert got["C2"]["detail"].startswith("Swapped by you at ")


def test_summary_flags_an_under_filled_table(admin: TestClient, team: dict[str, Any]) -> None:
    plan = store_plan(team["id"], [TEAM[0:4], TEAM[4:8], TEAM[8:11], TEAM[11:12]])
    summary = summary_of(admin, team["base"], str(plan))
    [lunch] = summary["rounds"]
    assert (lunch["round"], lunch["status"], lunch["tables"]) == ("Lunch 1", "under-filled", [4])
    assert lunch["seated"] == 12 and lunch["seats"] == 16
    assert "table 4 has 1 of 4 seats filled" in lunch["message"]
    assert lunch["message"] in summary["messages"]


# --- the moves in the plan itself ----------------------------------------------------------------


def test_a_replan_links_its_moves_and_includes_them_on_request(
    admin: TestClient, replanned: dict[str, Any]
) -> None:
    base, second = replanned["base"], replanned["second"]
    plain = admin.get(f"{base}/plans/{second}")
    assert plain.status_code == 200, plain.text
    links = plain.json()["links"]
    assert links == {
        "moves": f"{base}/plans/{second}/moves",
        "moves_csv": f"{base}/plans/{second}/moves.csv",
    }
    # Computing the moves is not free: they are only in the plan when asked for.
    assert plain.json()["moves"] is None
    assert admin.get(links["moves_csv"]).headers["content-type"].startswith("text/csv")
    included = admin.get(f"{base}/plans/{second}", params={"include": "moves"})
    assert included.status_code == 200, included.text
    moves = admin.get(links["moves"]).json()
    assert included.json()["moves"] == moves == moves_of(admin, replanned)
    assert included.json()["moves"]["moved"] > 0
    assert included.headers["etag"] == plain.headers["etag"]


def test_a_first_plan_has_no_moves_links(admin: TestClient, replanned: dict[str, Any]) -> None:
    base, first = replanned["base"], replanned["first"]
    body = admin.get(f"{base}/plans/{first}", params={"include": "moves"}).json()
    assert body["links"] is None
    assert body["moves"] == admin.get(f"{base}/plans/{first}/moves").json()
    assert body["moves"]["based_on_id"] is None and body["moves"]["moves"] == []


def test_a_replan_still_queued_links_its_moves_but_has_none_yet(
    admin: TestClient, replanned: dict[str, Any]
) -> None:
    base = replanned["base"]
    assert admin.post(f"{base}/plans/{replanned['second']}/publish").status_code == 200
    queued = admin.post(f"{base}/plans", json={"replan": True, "seed": 1})
    assert queued.status_code == 202, queued.text
    plan_id = queued.json()["id"]
    assert admin.get(f"{base}/plans/{plan_id}/moves").status_code == 409
    body = admin.get(f"{base}/plans/{plan_id}", params={"include": "moves"})
    assert body.status_code == 200, body.text
    assert body.json()["status"] == "queued" and body.json()["moves"] is None
    assert body.json()["links"]["moves"] == f"{base}/plans/{plan_id}/moves"


@pytest.mark.parametrize("include", ["map", "MOVES", "moves,map", ""])
def test_an_unknown_include_is_refused_naming_the_parameter(
    admin: TestClient, replanned: dict[str, Any], include: str
) -> None:
    base, second = replanned["base"], replanned["second"]
    response = admin.get(f"{base}/plans/{second}", params={"include": include})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/query/include"]
