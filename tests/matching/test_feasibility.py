"""The instant checks: each error is one the engine would raise later, each warning is odd input."""

from __future__ import annotations

import time

import numpy as np
import pytest

from matching import (
    Attendee,
    Constraints,
    Infeasible,
    Matcher,
    Pin,
    Round,
    check_feasibility,
)
from matching.feasibility import unavoidable_repeats


def people(n: int, *, diners: int = 0) -> list[Attendee]:
    return [Attendee(id=f"a{i}", name=f"Person {i}", dinner=i < diners) for i in range(n)]


def engine_refuses(
    attendees: list[Attendee], rounds: list[Round], constraints: Constraints
) -> bool:
    x = np.random.default_rng(0).normal(size=(len(attendees), 8)).astype(np.float32)
    try:
        Matcher(random_state=0, max_iter=2, time_budget=None).fit(
            attendees, rounds, embeddings=x, constraints=constraints
        )
    except Infeasible:
        return True
    return False


def test_seats_fewer_than_people_is_a_capacity_error_naming_the_round() -> None:
    attendees, rounds = people(140), [Round(name="Lunch 1", capacities=(8,) * 17)]
    result = check_feasibility(attendees, rounds)
    assert [(f.rule, f.round) for f in result.errors] == [("capacity", "Lunch 1")]
    assert "136" in result.errors[0].message and "140" in result.errors[0].message
    assert engine_refuses(attendees, rounds, Constraints())


def test_a_dinner_counts_only_those_who_opted_in() -> None:
    rounds = [Round(name="Dinner", kind="dinner", capacities=(6, 6))]
    assert check_feasibility(people(40, diners=12), rounds).ok
    result = check_feasibility(people(40, diners=13), rounds)
    assert [(f.rule, f.round) for f in result.errors] == [("capacity", "Dinner")]
    assert "opted in" in result.errors[0].message


def test_a_keep_together_set_larger_than_any_table_names_its_people() -> None:
    attendees = people(20)
    rounds = [Round(name="Lunch", table_size=4)]
    rule = Constraints(keep_together=[["a0", "a1", "a2", "a3", "a4"]])
    result = check_feasibility(attendees, rounds, rule)
    assert [(f.rule, f.round) for f in result.errors] == [("keep-together", "Lunch")]
    assert "Person 0 (a0)" in result.errors[0].message
    assert engine_refuses(attendees, rounds, rule)


def test_more_people_to_keep_apart_than_tables() -> None:
    attendees = people(9)
    rounds = [Round(name="Lunch", table_size=5)]  # two tables
    trio = ["a0", "a4", "a7"]
    rule = Constraints(keep_apart=[(a, b) for i, a in enumerate(trio) for b in trio[i + 1 :]])
    result = check_feasibility(attendees, rounds, rule)
    assert [(f.rule, f.round) for f in result.errors] == [("keep-apart", "Lunch")]
    assert result.errors[0].attendees == ("a0", "a4", "a7")
    assert engine_refuses(attendees, rounds, rule)


def test_a_pin_to_a_table_that_does_not_exist() -> None:
    attendees = people(12)
    rounds = [Round(name="Lunch", table_size=6)]
    rule = Constraints(pins=[Pin("a3", "Lunch", 2)])  # tables 0 and 1 only
    result = check_feasibility(attendees, rounds, rule)
    assert [(f.rule, f.round, f.attendees) for f in result.errors] == [("pins", "Lunch", ("a3",))]
    assert "table 3" in result.errors[0].message
    assert engine_refuses(attendees, rounds, rule)


def test_kept_apart_people_pinned_to_one_table() -> None:
    rule = Constraints(
        pins=[Pin("a0", "Lunch", 0), Pin("a1", "Lunch", 0)], keep_apart=[("a0", "a1")]
    )
    result = check_feasibility(people(8), [Round(name="Lunch", table_size=4)], rule)
    assert [f.rule for f in result.errors] == ["keep-apart"]


def test_an_empty_dinner_is_a_warning_not_an_error() -> None:
    result = check_feasibility(people(10), [Round(name="Dinner", kind="dinner", table_size=6)])
    assert result.ok
    assert [(f.rule, f.round) for f in result.warnings] == [("empty-dinner", "Dinner")]


def test_a_missing_dinner_column_is_a_warning() -> None:
    rounds = [Round(name="Lunch", table_size=6), Round(name="Dinner", kind="dinner", table_size=6)]
    result = check_feasibility(people(10), rounds, dinner_given=False)
    assert [f.rule for f in result.warnings] == ["dinner-column"]
    given = check_feasibility(people(10, diners=6), rounds)
    assert "dinner-column" not in [f.rule for f in given.warnings]


def test_sixty_people_at_six_tables_repeat_at_least_four_pairs_per_table() -> None:
    rounds = [Round(name=f"Lunch {i}", table_size=10) for i in (1, 2, 3)]
    result = check_feasibility(people(60), rounds)
    assert result.ok
    assert [(f.rule, f.round, f.minimum) for f in result.warnings] == [
        ("repeats", "Lunch 2", 24),
        ("repeats", "Lunch 3", 24),
    ]


def test_no_repeat_warning_when_the_rounds_are_large_enough() -> None:
    rounds = [Round(name=f"Lunch {i}", table_size=10) for i in (1, 2, 3)]
    assert check_feasibility(people(2000), rounds).warnings == []


@pytest.mark.parametrize(("n", "size"), [(8, 4), (12, 4), (6, 3), (10, 5)])
def test_the_repeat_minimum_is_never_above_what_the_engine_reaches(n: int, size: int) -> None:
    attendees = people(n)
    rounds = [Round(name="L1", table_size=size), Round(name="L2", table_size=size)]
    low = unavoidable_repeats(rounds[0], n, rounds[1], n, nested=True)
    x = np.random.default_rng(1).normal(size=(n, 8)).astype(np.float32)
    seating = (
        Matcher(random_state=0, max_iter=20, time_budget=None)
        .fit(attendees, rounds, embeddings=x)
        .seating_
    )
    met = {frozenset((a, b)) for t in seating["L1"] for a in t for b in t if a < b}
    again = sum(frozenset((a, b)) in met for t in seating["L2"] for a in t for b in t if a < b)
    assert 0 < low <= again


def test_two_thousand_people_are_checked_in_milliseconds() -> None:
    attendees = people(2000, diners=700)
    rounds = [Round(name=f"Lunch {i}", table_size=10) for i in (1, 2, 3)]
    rounds.append(Round(name="Dinner", kind="dinner", table_size=6))
    rule = Constraints(
        keep_apart=[(f"a{i}", f"a{i + 1}") for i in range(0, 400, 2)],
        keep_together=[[f"a{i}", f"a{i + 1}"] for i in range(1000, 1400, 2)],
        pins=[Pin(f"a{i}", "Lunch 1", i % 200) for i in range(1500, 1600)],
    )
    start = time.perf_counter()
    result = check_feasibility(attendees, rounds, rule)
    elapsed = time.perf_counter() - start
    assert result.ok and result.warnings == []
    assert elapsed < 0.5, f"{elapsed:.3f} s"
