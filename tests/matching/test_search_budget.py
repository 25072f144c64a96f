"""The time budget is a cap: a seed gives one plan on any machine unless the cap cuts the search,
and a cut says how far the search got. Repeated pairs have an unavoidable minimum, and the search
stops removing repeats there."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest

from matching import Attendee, Matcher, Round
from matching.checks import meal_repeats, spread_evenly
from matching.feasibility import unavoidable_repeats
from matching.objective import Weights
from matching.problem import Problem
from matching.report import Report, build_report
from matching.search import solve
from matching.search import solver as solver_module
from matching.search.meetings import count_repeats
from matching.search.solver import repeats_floor

ROUNDS = [
    Round(name="Lunch 1", table_size=8),
    Round(name="Lunch 2", table_size=8),
    Round(name="Dinner", kind="dinner", table_size=6),
]
#: Small and tight, so phase two, its constraint search and the polish all run.
GOLF_ROUNDS = [Round(name=f"Day {d}", table_size=4) for d in range(6)]


def _stepping_clock(monkeypatch: pytest.MonkeyPatch, tick: float) -> list[int]:
    """Make ``time.perf_counter`` advance ``tick`` per reading; returns the reading counter."""
    readings = [0]

    def clock() -> float:
        readings[0] += 1
        return 1000.0 + tick * readings[0]

    monkeypatch.setattr(time, "perf_counter", clock)
    return readings


def _fit(
    people: list[Attendee], rounds: list[Round], X: np.ndarray, budget: float | None
) -> Matcher:
    return Matcher(random_state=5, max_iter=30, time_budget=budget).fit(
        people, rounds, embeddings=X
    )


@pytest.mark.parametrize("size", ["conference", "golfers"])
def test_same_seed_same_plan_on_a_fast_and_a_slow_clock_while_the_cap_is_not_reached(
    kit: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    # A slow machine is a clock that moves far per reading. The search used to start its
    # constraint search after a quarter of the budget in seconds and to end phase one's rounds
    # by time shares, so a slower clock changed the plan although the cap was never reached.
    n, rounds = (160, ROUNDS) if size == "conference" else (32, GOLF_ROUNDS)
    people, X = kit.synthetic_attendees(n, seed=4), kit.clustered_embeddings(n, seed=4)
    budget = 1000.0
    readings = _stepping_clock(monkeypatch, 1e-6)
    fast = _fit(people, rounds, X, budget)
    used = readings[0]
    assert not fast.timed_out_ and fast.progress_ == 1.0
    # The slow clock spends 60 % of the cap over the same number of readings: past the quarter
    # and the phase-one shares the old search timed itself by, short of the cap.
    slow_readings = _stepping_clock(monkeypatch, 0.6 * budget / used)
    slow = _fit(people, rounds, X, budget)
    assert 0.25 * budget < slow_readings[0] * 0.6 * budget / used < budget
    assert not slow.timed_out_
    assert slow.seating_ == fast.seating_
    uncapped = _fit(people, rounds, X, None)
    assert uncapped.seating_ == fast.seating_
    assert fast.report_ is not None and fast.report_.search is not None
    assert fast.report_.search.cut_short is False and fast.report_.search.message is None


def test_a_tiny_cap_is_reported_as_cut_short_with_how_far_the_search_got(
    kit: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    people, X = kit.synthetic_attendees(160, seed=4), kit.clustered_embeddings(160, seed=4)
    _stepping_clock(monkeypatch, 0.001)
    m = Matcher(random_state=0, max_iter=10**4, time_budget=0.02).fit(people, ROUNDS, embeddings=X)
    assert m.timed_out_
    assert 0.0 < m.progress_ < 1.0
    assert m.cut_phase_ == "seating each round"
    assert m.report_ is not None and m.report_.search is not None
    search = m.report_.search
    assert search.cut_short and search.progress == pytest.approx(m.progress_, abs=1e-4)
    assert search.message is not None
    assert f"after {int(100 * m.progress_)} % of its planned work" in search.message
    assert "while seating each round" in search.message
    stored = m.report_.to_dict()
    assert stored["search"]["cut_short"] is True
    assert stored["search"]["message"] == search.message
    assert Report.from_dict(stored).search == search


def test_a_cut_in_phase_two_names_phase_two(monkeypatch: pytest.MonkeyPatch) -> None:
    # Twelve people at two tables of six, three times: repeats no plan avoids, and with the
    # minimum hidden phase two searches on; the clock jumps past the cap as phase two starts.
    people = [Attendee(id=f"p{i}") for i in range(12)]
    rounds = [Round(name=f"T{d}", table_size=6) for d in range(3)]
    X = np.random.default_rng(0).normal(size=(12, 8))
    monkeypatch.setattr(solver_module, "repeats_floor", lambda p, tables=None: count_repeats(p, []))
    readings = _stepping_clock(monkeypatch, 1e-6)
    real_joint = solver_module._seat_rounds_together

    def slow_phase_two(*args: object, **kwargs: object) -> float:
        readings[0] += 10**9  # a thousand seconds pass
        return real_joint(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(solver_module, "_seat_rounds_together", slow_phase_two)
    m = Matcher(random_state=0, max_iter=50, time_budget=100.0).fit(people, rounds, embeddings=X)
    assert m.timed_out_
    assert m.cut_phase_ == "removing repeated pairs"
    assert len(rounds) / (len(rounds) + 1) <= m.progress_ < 1.0
    assert m.report_ is not None and m.report_.search is not None
    assert m.report_.search.message is not None
    assert "while removing repeated pairs" in m.report_.search.message


# ---- the unavoidable minimum of repeated pairs ---------------------------------------------


def test_meal_repeats_by_hand() -> None:
    # 10 people of one table over 6 tables of 10: 2, 2, 2, 2, 1, 1 -> 4 pairs; six such tables.
    assert meal_repeats([10] * 6, [10] * 6) == 24
    # 6 people over 2 tables of 6: 3 + 3 -> 3 + 3 pairs.
    assert meal_repeats([6, 6], [6, 6]) == 12
    # Groups no larger than the number of tables force nothing.
    assert meal_repeats([5] * 6, [6] * 5) == 0
    assert spread_evenly(30, [10] * 6) == [5] * 6
    assert spread_evenly(7, [4, 2]) == [4, 2] and spread_evenly(5, [4, 4, 1]) == [2, 2, 1]
    lunch = Round(name="L", table_size=10)
    assert unavoidable_repeats(lunch, 60, lunch, 60, nested=True) == 24


def _problem(
    people: list[Attendee], rounds: list[Round], history: tuple[list[str], ...] = ()
) -> Problem:
    return Problem.build(
        people, rounds, np.eye(len(people)), history=history, rng=np.random.default_rng(0)
    )


def test_repeats_floor_by_hand() -> None:
    people = [Attendee(id=f"p{i}", dinner=i % 2 == 0) for i in range(60)]
    lunches = [Round(name=f"L{d}", table_size=10) for d in range(4)]
    # Every later lunch: 4 pairs at each of 6 tables.
    assert repeats_floor(_problem(people, lunches)) == 3 * 24
    # A dinner of 30 at 5 tables of 6 after a lunch at 6 tables of 10: the 30 spread 5 per
    # lunch table, and 5 people fit 5 tables apart.
    dinner = Round(name="D", kind="dinner", table_size=6)
    assert repeats_floor(_problem(people, [*lunches[:1], dinner])) == 0
    # 12 people, two tables of 6, twice: each table of 6 over 2 tables -> 3 + 3 pairs.
    twelve = people[:12]
    two = [Round(name=f"T{d}", table_size=6) for d in range(2)]
    assert repeats_floor(_problem(twelve, two)) == 12
    # The history counts: 4 people who sat together, then seated 2 by 2 -> 2 pairs again; a
    # pair that met twice in the history is one repeat already.
    four = people[:4]
    history = (["p0", "p1", "p2", "p3"], ["p0", "p1"])
    p = _problem(four, [Round(name="R", table_size=2)], history)
    assert count_repeats(p, []) == 1
    assert repeats_floor(p) == 1 + 2


def test_the_report_gives_the_repeats_minimum_beside_the_count(kit: SimpleNamespace) -> None:
    people = [Attendee(id=f"p{i}") for i in range(12)]
    rounds = [Round(name=f"T{d}", table_size=6) for d in range(3)]
    X = kit.clustered_embeddings(12, seed=1)
    m = Matcher(random_state=0, max_iter=5).fit(people, rounds, embeddings=X)
    assert m.report_ is not None
    minimum = [r.minimum.repeated_pairs for r in m.report_.rounds]
    assert minimum == [0, 12, 12]
    counts = [r.violations.repeated_pairs for r in m.report_.rounds]
    assert all(c >= (low or 0) for c, low in zip(counts, minimum, strict=True))
    assert m.report_.summary.repeated_pairs_min == 24
    stored = m.report_.to_dict()
    assert stored["summary"]["repeated_pairs_min"] == 24
    assert stored["rounds"][1]["minimum"]["repeated_pairs"] == 12
    # A report stored before the minimum existed still reads, with the minimum unknown.
    del stored["summary"]["repeated_pairs_min"]
    for r in stored["rounds"]:
        del r["minimum"]["repeated_pairs"]
    old = Report.from_dict(stored)
    assert old.summary.repeated_pairs_min is None and old.rounds[1].minimum.repeated_pairs is None


def test_the_report_minimum_counts_the_history_and_the_seated_dinner() -> None:
    people = [Attendee(id=f"p{i}", dinner=i < 4) for i in range(8)]
    lunch = Round(name="Lunch", table_size=4)
    dinner = Round(name="Dinner", kind="dinner", table_size=2)
    # The four diners sat at one lunch table: over 2 dinner tables, 2 pairs must meet again.
    seating = {"Lunch": [["p0", "p1", "p2", "p3"], ["p4", "p5", "p6", "p7"]],
               "Dinner": [["p0", "p1"], ["p2", "p3"]]}  # fmt: skip
    report = build_report(people, [lunch, dinner], seating, np.eye(8))
    assert report.round("Dinner").minimum.repeated_pairs == 2
    assert report.round("Dinner").violations.repeated_pairs == 2
    # Spread over both lunch tables, the diners need not meet again.
    spread = {"Lunch": [["p0", "p1", "p4", "p5"], ["p2", "p3", "p6", "p7"]],
              "Dinner": [["p0", "p2"], ["p1", "p3"]]}  # fmt: skip
    report = build_report(people, [lunch, dinner], spread, np.eye(8))
    assert report.round("Dinner").minimum.repeated_pairs == 0
    # A history table of all four diners forces the same 2 pairs.
    history = [["p0", "p1", "p2", "p3"]]
    report = build_report(people, [lunch, dinner], spread, np.eye(8), history=history)
    assert report.round("Dinner").minimum.repeated_pairs == 2
    assert report.round("Lunch").minimum.repeated_pairs == 2


def test_the_search_stops_removing_repeats_at_the_unavoidable_minimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = [Attendee(id=f"p{i}") for i in range(12)]
    rounds = [Round(name=f"T{d}", table_size=6) for d in range(3)]
    X = np.random.default_rng(0).normal(size=(12, 8))
    problem = Problem.build(people, rounds, X, rng=np.random.default_rng(0))

    def run() -> tuple[int, int]:
        plan = solve(problem, weights=Weights(), rng=np.random.default_rng(1), max_iter=50)
        return plan.repeats, plan.iterations

    repeats, work = run()
    assert repeats == repeats_floor(problem) == 24
    # Without the minimum the search spends its whole step bound on repeats no plan avoids.
    original: Callable[[Problem], int] = solver_module.repeats_floor
    monkeypatch.setattr(solver_module, "repeats_floor", lambda p, tables=None: count_repeats(p, []))
    assert original(problem) == 24
    repeats_blind, work_blind = run()
    assert repeats_blind == 24
    assert work_blind >= work + 50 * 200


def test_the_polish_never_seats_more_repeated_pairs_than_phase_two_left(
    kit: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The conference: 60 people at 6 tables of 10 for three lunches, then a dinner.
    people, X = kit.synthetic_attendees(60, seed=4), kit.clustered_embeddings(60, seed=4)
    rounds = [Round(name=f"Lunch {d}", table_size=10) for d in range(3)]
    rounds.append(Round(name="Dinner", kind="dinner", table_size=6))
    seen: list[tuple[int, int]] = []
    real_polish = solver_module._polish

    def spy(problem: Problem, seating: solver_module._Seating, *args: object) -> float:
        before = seating.repeats()
        done = real_polish(problem, seating, *args)  # type: ignore[arg-type]
        seen.append((before, seating.repeats()))
        return done

    monkeypatch.setattr(solver_module, "_polish", spy)
    m = Matcher(random_state=0, max_iter=10, time_budget=None).fit(people, rounds, embeddings=X)
    assert len(seen) == 1
    before, after = seen[0]
    assert after <= before
    assert m.repeats_ == after
    assert m.report_ is not None
    summary = m.report_.summary
    assert summary.repeated_pairs_min is not None
    assert summary.repeated_pairs_min <= summary.repeated_pairs
