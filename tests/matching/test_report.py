"""The plan report: shape, JSON round trip, explanations and scale."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np
import pytest

from matching.eligibility import table_capacities
from matching.explain import NO_PROFILE
from matching.report import Report, attendee_view, build_report, table_view
from matching.rule_names import RuleName
from matching.types import Attendee, Constraints, Pin, Round, Seating

ROUNDS = [Round(name="Lunch 1", table_size=3), Round(name="Dinner", kind="dinner", table_size=3)]


def _people() -> list[Attendee]:
    def person(id_: str, name: str, interests: str, **kw: Any) -> Attendee:
        return Attendee(id=id_, name=name, interests=interests, dinner=True, **kw)

    return [
        person("a", "Ada Lovelace", "pytest fixtures and packaging wheels", affiliation="ACME",
               solo=True, hometown="London"),
        person("b", "Bob", "packaging with wheels and pytest", affiliation="acme inc",
               hometown="Berlin"),
        person("c", "Cy", "", first_time=True),
        person("d", "Di", "rust compilers", party="p"),
        person("e", "Ed", "rust and wasm", party="p"),
        person("f", "Flo", "gardening", solo=True),
    ]  # fmt: skip


def _embeddings() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.standard_normal((6, 8))


SEATING: Seating = {
    "Lunch 1": [["a", "b", "c"], ["d", "e", "f"]],
    "Dinner": [["a", "d", "c"], ["b", "e", "f"]],
}


def _report_json(**kw: Any) -> dict[str, Any]:
    return build_report(_people(), ROUNDS, SEATING, _embeddings(), **kw).to_dict()


def test_report_round_trips_through_json() -> None:
    report = build_report(_people(), ROUNDS, SEATING, _embeddings())
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert json.loads(text) == report.to_dict()
    assert Report.from_dict(json.loads(text)) == report


def test_json_form_is_the_stored_version_1_shape() -> None:
    data = _report_json(constraints=Constraints(keep_apart=[("a", "b")]))
    assert list(data) == ["version", "summary", "hard", "rounds", "attendees"]
    assert data["version"] == 1
    # Stored reports spell rule names with underscores; the typed form uses RuleName.
    assert [v["rule"] for v in data["hard"]] == ["keep_apart"]
    assert Report.from_dict(data).hard[0].rule is RuleName.KEEP_APART
    first = data["rounds"][0]
    assert "carried" not in first
    assert list(first["tables_detail"][0]) == [
        "table", "members", "size", "capacity", "violations", "common_ground", "diversity",
        "kindred", "hometowns", "hometowns_given", "first_timers", "solo", "topics",
    ]  # fmt: skip
    assert list(data["attendees"]["a"]["Lunch 1"]) == [
        "table", "kindred", "similarity", "is_kindred", "shared_topics", "why",
    ]  # fmt: skip
    carried = dict(data, rounds=[dict(first, carried=True), *data["rounds"][1:]])
    back = Report.from_dict(carried)
    assert back.rounds[0].carried and back.to_dict() == carried


def test_summary_adds_up_the_rounds() -> None:
    report = _report_json()
    summary, rounds = report["summary"], report["rounds"]
    assert summary["attendees"] == 6
    assert summary["rounds"] == 2
    assert summary["hard_violations"] == 0
    # Lunch: a-b are ACME co-workers, d-e a party; dinner: d-e is a party of two, allowed.
    assert [r["violations"]["coworker_pairs"] for r in rounds] == [1, 0]
    assert [r["violations"]["party_pairs"] for r in rounds] == [1, 0]
    assert summary["coworker_pairs"] == 1
    assert summary["party_pairs"] == 1
    assert summary["coworker_pairs_min"] == sum(r["minimum"]["coworker_pairs"] for r in rounds)
    # At dinner a-c and e-f meet again.
    assert [r["violations"]["repeated_pairs"] for r in rounds] == [0, 2]
    assert summary["repeated_pairs"] == 2
    shares = [r["kindred_share"] for r in rounds]
    assert summary["kindred_share_min"] == min(shares)
    lunch_tables = rounds[0]["tables_detail"]
    assert [t["table"] for t in lunch_tables] == [1, 2]
    assert lunch_tables[0]["members"] == ["a", "b", "c"]
    assert lunch_tables[0]["violations"]["coworker_pairs"] == 1
    assert lunch_tables[0]["hometowns"] == 2
    assert lunch_tables[0]["first_timers"] == 1
    assert [t["solo"] for t in lunch_tables] == [1, 1]


def test_table_topics_and_attendee_why() -> None:
    report = _report_json()
    first = report["rounds"][0]["tables_detail"][0]
    assert {"packaging", "pytest"} <= set(first["topics"])
    seat_a = report["attendees"]["a"]["Lunch 1"]
    assert seat_a["table"] == 1
    # c has no profile, so whoever a's closest mate is, the words shared with b are the story
    # only when b is the closest; check the sentence against the reported mate.
    if seat_a["kindred"] == "b":
        assert seat_a["why"].startswith("You and Bob both talk about")
        assert {"packaging", "pytest"} <= set(seat_a["shared_topics"])
    assert report["attendees"]["c"]["Lunch 1"]["why"] == NO_PROFILE


def test_why_names_the_closest_mate_and_shared_words() -> None:
    people = _people()[:3]
    # a and b point the same way, c the other: a's kindred is b.
    x = np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0]])
    report = build_report(people, [ROUNDS[0]], {"Lunch 1": [["a", "b", "c"]]}, x).to_dict()
    seat = report["attendees"]["a"]["Lunch 1"]
    assert seat["kindred"] == "b"
    assert seat["similarity"] == pytest.approx(0.9 / math.hypot(0.9, 0.1), abs=1e-4)
    assert seat["is_kindred"] is True
    assert seat["why"].startswith("You and Bob both talk about ")
    assert "packaging" in seat["why"]
    assert "pytest" in seat["why"]


def test_attendee_and_table_views() -> None:
    report = build_report(_people(), ROUNDS, SEATING, _embeddings())
    view = attendee_view(report, "e")
    assert [r.round for r in view.rounds] == ["Lunch 1", "Dinner"]
    assert view.rounds[0].tablemates == ("d", "f")
    assert view.rounds[1].table == 2
    assert view.rounds[1].topics == table_view(report, "Dinner", 2).topics
    with pytest.raises(KeyError):
        attendee_view(report, "nobody")
    with pytest.raises(KeyError, match="no table 3"):
        table_view(report, "Dinner", 3)


def test_hard_violations_are_listed_with_tables_from_one() -> None:
    constraints = Constraints(pins=[Pin("a", "Lunch 1", 1)])
    report = _report_json(constraints=constraints)
    assert report["summary"]["hard_violations"] == 1
    (entry,) = report["hard"]
    assert entry["rule"] == "pin"
    assert entry["table"] == 2
    assert entry["attendees"] == ["a"]
    assert report["rounds"][0]["hard_violations"] == 1


def test_random_report_for_20000_attendees_is_fast() -> None:
    rng = np.random.default_rng(7)
    words = [f"topic{i}" for i in range(400)]
    n = 20_000
    people = [
        Attendee(
            id=f"a{i}",
            name=f"Person {i}",
            affiliation=f"Org {rng.integers(0, 800)}",
            interests=" ".join(rng.choice(words, size=int(rng.integers(0, 6)))),
            solo=bool(rng.random() < 0.3),
            party=f"p{i // 3}" if rng.random() < 0.2 else None,
            dinner=bool(rng.random() < 0.5),
            first_time=bool(rng.random() < 0.3),
            hometown=f"Town {rng.integers(0, 60)}",
        )
        for i in range(n)
    ]
    x = rng.standard_normal((n, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rounds = [
        Round(name="Lunch 1", table_size=10),
        Round(name="Lunch 2", table_size=10),
        Round(name="Dinner", kind="dinner", table_size=8),
    ]
    seating: Seating = {}
    for rnd in rounds:
        ids = [p.id for p in people if rnd.kind == "lunch" or p.dinner]
        order = rng.permutation(len(ids))
        tables, start = [], 0
        for cap in table_capacities(rnd, len(ids)):
            tables.append([ids[k] for k in order[start : start + cap]])
            start += cap
        seating[rnd.name] = tables

    started = time.perf_counter()
    report = build_report(people, rounds, seating, x).to_dict()
    elapsed = time.perf_counter() - started

    assert elapsed < 20, f"report took {elapsed:.1f} s"
    assert report["summary"]["hard_violations"] == 0
    assert report["summary"]["attendees"] == n
    assert [r["seated"] for r in report["rounds"]][:2] == [n, n]
    # Random seating of random vectors: tables are as mixed as random pairs.
    for rnd in report["rounds"]:
        assert rnd["diversity_ratio"] == pytest.approx(1.0, abs=0.02)
    # A kindred tablemate is in the top decile: with 9 random tablemates about 1 - 0.9**9.
    assert report["rounds"][0]["kindred_share"] == pytest.approx(1 - 0.9**9, abs=0.03)
    assert len(report["attendees"]) == n
    json.dumps(report, allow_nan=False)


def test_counts_add_up_from_tables_to_rounds_to_summary() -> None:
    report = _report_json()
    additive = {
        "coworker_pairs": "coworker_pairs",
        "party_pairs": "party_pairs",
        "repeated_pairs": "repeated_pairs",
        "lone_outsiders": "lone_outsider",
        "first_timer_mix": "first_timer_mix",
        "language_isolated": "language_isolated",
        "no_kindred": "no_kindred",
    }
    for round_key, table_key in additive.items():
        for rnd in report["rounds"]:
            from_tables = sum(t["violations"][table_key] for t in rnd["tables_detail"])
            assert rnd["violations"][round_key] == from_tables, round_key
        from_rounds = sum(r["violations"][round_key] for r in report["rounds"])
        assert report["summary"][round_key] == from_rounds, round_key
