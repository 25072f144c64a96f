"""Reporting again after an edit: figures exact, topics and why lines only where asked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from matching.report import build_report, common_ground
from matching.types import Attendee, Round, Seating

WORDS = [
    "rust", "wasm", "pytest", "packaging", "django", "kubernetes", "terraform", "duckdb",
    "polars", "gardening", "chess", "bouldering", "pytorch", "compilers", "typing", "asyncio",
]  # fmt: skip
ROUNDS = [
    Round(name="Lunch 1", table_size=6),
    Round(name="Lunch 2", table_size=6),
    Round(name="Dinner", kind="dinner", table_size=6),
]


def _conference(n: int = 60, seed: int = 3) -> tuple[list[Attendee], Seating, np.ndarray]:
    rng = np.random.default_rng(seed)
    people = [
        Attendee(
            id=f"p{i:03d}",
            name=f"Person {i}",
            interests=" and ".join(rng.choice(WORDS, size=3, replace=False)) if i % 7 else "",
            dinner=True,
        )
        for i in range(n)
    ]
    ids = [p.id for p in people]
    seating: Seating = {}
    for r in ROUNDS:
        order = rng.permutation(ids).tolist()
        seating[r.name] = [sorted(order[k : k + 6]) for k in range(0, n, 6)]
    return people, seating, rng.standard_normal((n, 16))


def _without_topics(round_: dict[str, Any]) -> dict[str, Any]:
    return {
        **round_,
        "tables_detail": [{**t, "topics": None} for t in round_["tables_detail"]],
    }


def test_only_the_tables_asked_for_are_explained_and_every_figure_stays_exact() -> None:
    people, seating, vectors = _conference()
    full = build_report(people, ROUNDS, seating, vectors).to_dict()
    part = build_report(people, ROUNDS, seating, vectors, explain={"Lunch 2": [2, 5]}).to_dict()

    assert part["summary"] == full["summary"]
    assert part["hard"] == full["hard"]
    assert [_without_topics(r) for r in part["rounds"]] == [
        _without_topics(r) for r in full["rounds"]
    ]
    for mine, whole in zip(part["rounds"], full["rounds"], strict=True):
        for table, reference in zip(mine["tables_detail"], whole["tables_detail"], strict=True):
            asked = mine["name"] == "Lunch 2" and table["table"] in (2, 5)
            assert table["topics"] == (reference["topics"] if asked else [])
    assert any(t["topics"] for t in full["rounds"][1]["tables_detail"][1:5:3])
    at_asked = {p for n in (2, 5) for p in seating["Lunch 2"][n - 1]}
    for person, seats in part["attendees"].items():
        if person in at_asked:
            assert seats == {"Lunch 2": full["attendees"][person]["Lunch 2"]}
        else:
            assert seats == {}


def test_explaining_every_table_by_number_is_the_full_report() -> None:
    people, seating, vectors = _conference()
    everything = {name: range(1, len(tables) + 1) for name, tables in seating.items()}
    assert (
        build_report(people, ROUNDS, seating, vectors, explain=everything).to_dict()
        == build_report(people, ROUNDS, seating, vectors).to_dict()
    )


def test_a_kept_ground_is_used_as_given() -> None:
    people, seating, vectors = _conference()
    ground = common_ground(people)
    full = build_report(people, ROUNDS, seating, vectors).to_dict()
    assert build_report(people, ROUNDS, seating, vectors, ground=ground).to_dict() == full
    # A ground fitted on other profiles names other topics: it is not fitted again inside.
    others, _, _ = _conference(seed=11)
    stale = build_report(people, ROUNDS, seating, vectors, ground=common_ground(others))
    assert stale.to_dict()["rounds"] != full["rounds"]


def test_a_ground_of_other_attendees_or_an_unknown_table_is_refused() -> None:
    people, seating, vectors = _conference()
    with pytest.raises(ValueError, match="'ground' parameter must be fitted on the 60 attendees"):
        build_report(people, ROUNDS, seating, vectors, ground=common_ground(people[:-1]))
    with pytest.raises(ValueError, match="round 'Brunch'"):
        build_report(people, ROUNDS, seating, vectors, explain={"Brunch": [1]})
    with pytest.raises(ValueError, match=r"from 1 to 10 for round 'Dinner'\. Got 0 instead"):
        build_report(people, ROUNDS, seating, vectors, explain={"Dinner": [0]})
    with pytest.raises(ValueError, match="Got 11 instead"):
        build_report(people, ROUNDS, seating, vectors, explain={"Dinner": [1, 11]})


def test_a_writers_own_name_is_no_topic() -> None:
    people = [
        Attendee(id="a", name="Hannah Berg", interests="Hannah Berg builds Rust compilers"),
        Attendee(id="b", name="Hannah Berg", interests="Hannah Berg talks about Rust compilers"),
        Attendee(id="c", name="Cy", interests="gardening"),
        Attendee(id="d", name="Di", interests="chess"),
    ]
    report = build_report(
        people,
        [Round(name="Lunch", table_size=2)],
        {"Lunch": [["a", "b"], ["c", "d"]]},
        np.eye(4),
    )
    assert report.attendees["a"]["Lunch"].shared_topics == ("Rust compilers",)
    assert all("hannah" not in t.casefold() for t in report.round("Lunch").table(1).topics)
