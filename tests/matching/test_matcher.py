"""The Matcher façade: parameters, progress, determinism, the report and re-planning."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

from matching import Attendee, Constraints, Matcher, Pin, Round, Weights

ROUNDS = [
    Round(name="Lunch 1", table_size=8),
    Round(name="Lunch 2", table_size=8),
    Round(name="Dinner", kind="dinner", table_size=6),
]


@pytest.fixture
def conference(kit: SimpleNamespace) -> tuple[list[Attendee], np.ndarray]:
    return kit.synthetic_attendees(160, seed=4), kit.clustered_embeddings(160, seed=4)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"time_budget": 0}, "The 'time_budget' parameter must be a number > 0 or None. Got 0"),
        ({"max_iter": 0}, "The 'max_iter' parameter must be an int >= 1. Got 0"),
        ({"kindred_quantile": 1.5}, "The 'kindred_quantile' parameter must be a float in"),
        ({"random_state": "seven"}, "The 'random_state' parameter must be an int"),
        ({"weights": {"kindred": 1}}, "The 'weights' parameter must be a Weights instance"),
    ],
)
def test_invalid_parameters_are_named(params: dict[str, object], message: str) -> None:
    people = [Attendee(id=str(i)) for i in range(4)]
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Matcher(**params).fit(people, [Round(name="L", table_size=2)], embeddings=np.eye(4))  # type: ignore[arg-type]


def test_negative_weight_is_rejected() -> None:
    with pytest.raises(ValueError, match="The 'kindred' weight must be a finite number >= 0"):
        Weights(kindred=-1.0)


def test_fit_seats_everyone_and_reports(conference: tuple[list[Attendee], np.ndarray]) -> None:
    people, X = conference
    calls: list[tuple[float, str]] = []
    m = Matcher(random_state=0, max_iter=20).fit(
        people, ROUNDS, embeddings=X, progress=lambda f, msg: calls.append((f, msg))
    )
    for r in ROUNDS:
        seated = sorted(a for t in m.seating_[r.name] for a in t)
        assert seated == sorted(a.id for a in people if r.kind == "lunch" or a.dinner)
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    sims = (X @ X.T)[np.triu_indices(len(people), 1)]
    assert m.kindred_threshold_ == pytest.approx(np.quantile(sims, 0.9), abs=1e-5)
    assert m.repeats_ == 0 and m.moved_ == 0 and not m.timed_out_
    assert m.report_ is not None
    assert m.report_.summary.hard_violations == 0
    assert [r.name for r in m.report_.rounds] == [r.name for r in ROUNDS]


def test_same_seed_same_plan(conference: tuple[list[Attendee], np.ndarray]) -> None:
    people, X = conference
    a = Matcher(random_state=3, max_iter=10).fit(people, ROUNDS, embeddings=X).seating_
    b = Matcher(random_state=3, max_iter=10).fit(people, ROUNDS, embeddings=X).seating_
    c = Matcher(random_state=4, max_iter=10).fit(people, ROUNDS, embeddings=X).seating_
    assert a == b
    assert a != c


def test_time_budget_is_honoured(
    conference: tuple[list[Attendee], np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a clock that moves one tick per reading the budget is a number of clock readings, the
    # same on any machine. The search reads the clock after each chunk of work (one sweep), so
    # a search that honours the budget stops within a few readings of its deadline (each round
    # left then gets one chunk); uncut, this search runs well over a hundred chunks.
    people, X = conference
    uncut = Matcher(random_state=0, max_iter=10**6, time_budget=None, report=False)
    uncut.fit(people, ROUNDS, embeddings=X)
    chunk = max(len(people), 5000)  # swap proposals per chunk (rounds._MIN_SWEEP)
    assert uncut.n_iter_ > 100 * chunk
    tick, readings = 0.001, [0]

    def clock() -> float:
        readings[0] += 1
        return 1000.0 + tick * readings[0]

    monkeypatch.setattr(time, "perf_counter", clock)
    budget = 0.04
    m = Matcher(random_state=0, max_iter=10**6, time_budget=budget, report=False)
    m.fit(people, ROUNDS, embeddings=X)
    assert m.timed_out_
    assert readings[0] <= budget / tick + 4 * len(ROUNDS)
    assert m.n_iter_ <= (budget / tick + len(ROUNDS)) * chunk
    for r in ROUNDS:
        seated = [a for t in m.seating_[r.name] for a in t]
        eligible = [p.id for p in people if r.kind != "dinner" or p.dinner]
        assert sorted(seated) == sorted(eligible), r.name
        assert r.table_size is not None
        assert max(len(t) for t in m.seating_[r.name]) <= r.table_size

    readings[0] = 0
    ample = Matcher(random_state=0, max_iter=10**6, time_budget=1000.0, report=False)
    ample.fit(people, ROUNDS, embeddings=X)
    assert not ample.timed_out_
    assert ample.seating_ == uncut.seating_  # an uncut search depends only on the seed


def test_replan_after_cancellations_and_late_registrations_moves_few(
    kit: SimpleNamespace,
) -> None:
    n = 400
    people = kit.synthetic_attendees(n + 20, seed=9)
    X = kit.clustered_embeddings(n + 20, seed=9)
    first = Matcher(random_state=1, max_iter=20).fit(people[:n], ROUNDS, embeddings=X[:n])
    # 5% cancel, 5% register late.
    keep = np.random.default_rng(0).permutation(n)[20:]
    now = sorted(keep.tolist()) + list(range(n, n + 20))
    again = Matcher(random_state=2, max_iter=20).replan(
        first.seating_, [people[i] for i in now], ROUNDS, embeddings=X[now]
    )
    seated_before = sum(
        1
        for r in ROUNDS
        for t in first.seating_[r.name]
        for a in t
        if a in {people[i].id for i in keep}
    )
    assert again.moved_ <= 0.02 * seated_before
    assert again.moved_ == sum(again.moved_by_round_.values())
    before = {
        r.name: {a: t for t, ids in enumerate(first.seating_[r.name]) for a in ids} for r in ROUNDS
    }
    after = {
        r.name: {a: t for t, ids in enumerate(again.seating_[r.name]) for a in ids} for r in ROUNDS
    }
    changed = sum(
        1 for r in ROUNDS for a, t in after[r.name].items() if before[r.name].get(a, t) != t
    )
    assert changed == again.moved_
    for r in ROUNDS:
        sizes = [len(t) for t in again.seating_[r.name]]
        assert max(sizes) - min(sizes) <= 1


def test_replan_honours_a_new_pin_by_moving_only_what_it_forces(
    conference: tuple[list[Attendee], np.ndarray],
) -> None:
    people, X = conference
    first = Matcher(random_state=0, max_iter=10).fit(people, ROUNDS[:1], embeddings=X)
    tables = first.seating_["Lunch 1"]
    mover = tables[0][0]
    pins = Constraints(pins=[Pin(mover, "Lunch 1", 3)])
    again = Matcher(random_state=0, max_iter=10).replan(
        first.seating_, people, ROUNDS[:1], embeddings=X, constraints=pins
    )
    assert mover in again.seating_["Lunch 1"][3]
    # The pinned person moves and one person from table 3 swaps in to keep sizes equal.
    assert 1 <= again.moved_ <= 2


def test_report_false_skips_the_report(conference: tuple[list[Attendee], np.ndarray]) -> None:
    people, X = conference
    m = Matcher(random_state=0, max_iter=5, report=False).fit(people, ROUNDS, embeddings=X)
    assert m.report_ is None
    assert sum(len(t) for t in m.seating_["Lunch 1"]) == len(people)
    with pytest.raises(ValueError, match="'report' parameter must be a bool"):
        Matcher(report="yes").fit(people, ROUNDS, embeddings=X)  # type: ignore[arg-type]
