"""The constraint search for repeat-free seatings: designs found, rules kept, limits honoured."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from matching import Matcher, Weights
from matching.problem import Problem
from matching.search import _exact_kernels as xk
from matching.search.exact import repeat_free
from matching.types import Attendee, Constraints, Pin, Round

_GOLF = Weights(kindred=0.0, diversity=0.0, hometown=0.0, first_time=0.0, language=0.0)


def _problem(
    people: list[Attendee],
    rounds: list[Round],
    *,
    history: list[list[str]] | None = None,
    constraints: Constraints | None = None,
) -> Problem:
    X = np.ones((len(people), 4), dtype=np.float32)
    return Problem.build(
        people,
        rounds,
        X,
        history=history or (),
        constraints=constraints,
        rng=np.random.default_rng(0),
    )


def _golfer(groups: int, size: int, weeks: int) -> Problem:
    people = [Attendee(id=f"g{i}") for i in range(groups * size)]
    return _problem(people, [Round(name=f"W{w}", table_size=size) for w in range(weeks)])


def _start(problem: Problem, seed: int = 0) -> list[np.ndarray]:
    """A random seating with the problem's table sizes (what the round search would hand over)."""
    rng = np.random.default_rng(seed)
    seats = []
    for spec in problem.rounds:
        tables = np.repeat(np.arange(spec.sizes.shape[0]), spec.sizes)
        seats.append(rng.permutation(tables))
    return seats


def _no_fixed(problem: Problem) -> list[np.ndarray]:
    return [np.zeros(spec.members.size, dtype=bool) for spec in problem.rounds]


def _meetings(
    problem: Problem, table_of: list[np.ndarray], *, skip: int = 0
) -> Counter[tuple[str, str]]:
    """Pair meetings over the rounds, leaving out the first ``skip`` rounds."""
    met: Counter[tuple[str, str]] = Counter()
    for spec, tables in zip(problem.rounds[skip:], table_of[skip:], strict=True):
        for t in np.unique(tables):
            people = sorted(problem.ids[i] for i in spec.members[tables == t])
            met.update(itertools.combinations(people, 2))
    return met


def test_kirkman_schoolgirls_are_seated_without_a_repeat() -> None:
    problem = _golfer(5, 3, 7)
    start = _start(problem)
    plan = repeat_free(problem, start, _no_fixed(problem), max_nodes=50_000_000)
    assert plan is not None
    met = _meetings(problem, plan)
    assert max(met.values()) == 1
    assert len(met) == 7 * 5 * 3  # every one of the 105 pairs meets exactly once
    for tables in plan:
        assert np.bincount(tables).tolist() == [3] * 5


def test_thirty_two_golfers_over_nine_days_through_the_whole_engine() -> None:
    people = [Attendee(id=f"g{i}") for i in range(32)]
    rounds = [Round(name=f"Day {d}", table_size=4) for d in range(9)]
    matcher = Matcher(random_state=0, max_iter=100, weights=_GOLF)
    matcher.fit(people, rounds, embeddings=np.ones((32, 4), dtype=np.float32))
    assert matcher.repeats_ == 0
    met: Counter[tuple[str, str]] = Counter()
    for name in matcher.seating_:
        for table in matcher.seating_[name]:
            met.update(itertools.combinations(sorted(table), 2))
    assert len(met) == 9 * 8 * 6 and max(met.values()) == 1


def test_co_workers_parties_keep_apart_and_history_never_share_a_table() -> None:
    people = [Attendee(id=f"p{i}") for i in range(15)]
    people[0:3] = [Attendee(id=f"p{i}", affiliation="Acme GmbH") for i in range(3)]
    people[3:5] = [Attendee(id=f"p{i}", party="friends") for i in range(3, 5)]
    rounds = [Round(name=f"Day {d}", table_size=3) for d in range(5)]
    problem = _problem(
        people,
        rounds,
        history=[["p5", "p6", "p7"]],
        constraints=Constraints(keep_apart=[("p8", "p9")]),
    )
    start = _start(problem, seed=3)
    plan = repeat_free(problem, start, _no_fixed(problem), max_nodes=50_000_000)
    assert plan is not None
    met = _meetings(problem, plan, skip=1)  # the first round is given
    forbidden = [("p0", "p1"), ("p0", "p2"), ("p1", "p2"), ("p3", "p4"), ("p8", "p9")]
    forbidden += [("p5", "p6"), ("p5", "p7"), ("p6", "p7")]
    assert not [pair for pair in forbidden if met[pair]]
    everyone = _meetings(problem, plan)
    assert max(everyone.values()) == 1


def test_uneven_tables_and_a_smaller_dinner_keep_their_sizes() -> None:
    people = [Attendee(id=f"p{i}", dinner=i < 12) for i in range(14)]
    rounds = [
        Round(name="Lunch 1", capacities=(4, 4, 3, 3)),
        Round(name="Lunch 2", capacities=(4, 4, 3, 3)),
        Round(name="Dinner", kind="dinner", table_size=3),
        Round(name="Lunch 3", capacities=(4, 4, 3, 3)),
    ]
    problem = _problem(people, rounds)
    start = _start(problem, seed=1)
    plan = repeat_free(problem, start, _no_fixed(problem), max_nodes=50_000_000)
    assert plan is not None
    assert max(_meetings(problem, plan).values()) == 1
    for spec, tables, before in zip(problem.rounds, plan, start, strict=True):
        assert tables.shape == spec.members.shape
        assert sorted(np.bincount(tables).tolist()) == sorted(np.bincount(before).tolist())


def test_a_conference_without_a_repeat_free_seating_is_answered_none() -> None:
    # Four people at two tables of two: only three rounds can be all new pairs.
    problem = _golfer(2, 2, 4)
    assert repeat_free(problem, _start(problem), _no_fixed(problem), max_nodes=10**6) is None


def test_the_node_budget_is_honoured() -> None:
    # 32 golfers over ten days has a solution, but not within a few thousand tried values.
    problem = _golfer(8, 4, 10)
    assert repeat_free(problem, _start(problem), _no_fixed(problem), max_nodes=5_000) is None


def test_out_of_scope_conferences_are_left_to_local_search() -> None:
    people = [Attendee(id=f"g{i}") for i in range(15)]
    rounds = [Round(name=f"W{w}", table_size=3) for w in range(4)]
    pinned = _problem(people, rounds, constraints=Constraints(pins=[Pin("g0", "W2", 1)]))
    fixed = [spec.fixed_table >= 0 for spec in pinned.rounds]
    assert repeat_free(pinned, _start(pinned), fixed, max_nodes=10**7) is None
    # Six co-workers at five tables: one co-worker pair is unavoidable in every round.
    crowd = [Attendee(id=f"g{i}", affiliation="Acme" if i < 6 else "") for i in range(15)]
    crowded = _problem(crowd, rounds)
    assert repeat_free(crowded, _start(crowded), _no_fixed(crowded), max_nodes=10**7) is None


def test_exchanging_whole_schedules_adds_common_ground_and_no_repeat() -> None:
    problem = _golfer(5, 3, 4)  # four days: 60 of the 105 pairs meet, so who meets whom matters
    plan = repeat_free(problem, _start(problem), _no_fixed(problem), max_nodes=50_000_000)
    assert plan is not None
    seats = np.vstack(plan).astype(np.int64)  # everyone is seated in every round
    rng = np.random.default_rng(4)
    kin = np.zeros((15, 15), dtype=bool)
    for a, b in rng.choice(15, size=(12, 2)):
        kin[a, b] = kin[b, a] = a != b
    forbid = np.zeros((15, 15), dtype=bool)
    forbid[0, 1] = forbid[1, 0] = True
    key = np.zeros(15, dtype=np.int64)
    key[14] = -1  # fixed somewhere: never exchanged

    def with_kindred(s: np.ndarray) -> int:
        same = s[:, :, None] == s[:, None, :]
        return int((same & kin[None]).any(axis=2).sum())

    before, fixed_row = with_kindred(seats), seats[:, 14].copy()
    swaps = xk.relabel(seats, kin, forbid, key, 0, 20)
    assert swaps > 0 and with_kindred(seats) > before
    np.testing.assert_array_equal(seats[:, 14], fixed_row)
    after = [seats[r] for r in range(4)]
    assert max(_meetings(problem, after).values()) == 1
    assert not (seats[:, 0] == seats[:, 1]).any()  # the forbidden pair never shares a table
