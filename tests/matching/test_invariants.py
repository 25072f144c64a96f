"""Property tests: on any small conference the hard rules hold and a seed fixes the plan."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import Attendee, Constraints, Infeasible, Matcher, Pin, Round


@st.composite
def conferences(draw: st.DrawFn) -> tuple[list[Attendee], list[Round], Constraints, np.ndarray]:
    n = draw(st.integers(4, 40))
    people = [
        Attendee(
            id=f"a{i}",
            affiliation=draw(st.sampled_from(["", "Acme", "Initech", "Globex"])),
            solo=draw(st.booleans()),
            party=draw(st.sampled_from([None, None, "p1", "p2"])),
            dinner=draw(st.booleans()),
            first_time=draw(st.booleans()),
            languages=tuple(draw(st.lists(st.sampled_from(["en", "de", "fr"]), max_size=2))),
        )
        for i in range(n)
    ]
    rounds = [Round(name="L1", table_size=draw(st.integers(2, 8)))]
    if draw(st.booleans()):
        rounds.append(Round(name="L2", table_size=draw(st.integers(2, 8))))
    n_dinner = sum(a.dinner for a in people)
    caps = draw(st.lists(st.integers(1, 8), min_size=1, max_size=6))
    if sum(caps) < n_dinner:
        caps.append(n_dinner - sum(caps))
    rounds.append(Round(name="D", kind="dinner", capacities=tuple(caps)))
    ids = [a.id for a in people]
    pins = [
        Pin(draw(st.sampled_from(ids)), "L1", draw(st.integers(0, 1)))
        for _ in range(draw(st.integers(0, 2)))
    ]
    apart = [
        (draw(st.sampled_from(ids)), draw(st.sampled_from(ids)))
        for _ in range(draw(st.integers(0, 2)))
    ]
    apart = [(a, b) for a, b in apart if a != b]
    together = [draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))]
    seed = draw(st.integers(0, 2**16))
    X = np.random.default_rng(seed).normal(size=(n, 8)).astype(np.float32)
    constraints = Constraints(
        pins=list({p.attendee_id: p for p in pins}.values()),
        keep_apart=apart,
        keep_together=together if draw(st.booleans()) else [],
    )
    return people, rounds, constraints, X


def round_is_feasible(r: Round, people: list[Attendee], constraints: Constraints) -> bool:
    """Whether some seating of this round keeps every hard rule, by search (no engine code).

    Only the people a pin, keep-apart pair or keep-together set names need a table chosen; the
    rest fill the remaining seats, which works whenever each table's claimed seats fit its size.
    """
    seated = [a.id for a in people if r.kind == "lunch" or a.dinner]
    n, here = len(seated), set(seated)
    pins = {p.attendee_id: p.table for p in constraints.pins if p.round_name == r.name}
    if not set(pins) <= here:
        return False
    if r.capacities is not None:
        caps = list(r.capacities)
        if n > sum(caps):
            return False
        kind_of = caps  # tables alike but for their capacity are interchangeable

        def fits(claimed: list[int]) -> bool:
            return all(c <= cap for c, cap in zip(claimed, caps, strict=True))
    else:
        size = r.table_size or 1
        k = -(-n // size)
        base, extra = divmod(n, k) if k else (0, 0)
        caps = [base + (1 if extra else 0)] * k
        kind_of = [0] * k  # which tables hold the extra people is free

        def fits(claimed: list[int]) -> bool:
            return all(c <= base + 1 for c in claimed) and (sum(c > base for c in claimed) <= extra)

    if any(not 0 <= t < len(caps) for t in pins.values()):
        return False
    apart = [(a, b) for a, b in constraints.keep_apart if a in here and b in here]
    together = [g for g in constraints.keep_together if set(g) <= here]
    named = sorted({*pins, *(x for pair in apart for x in pair), *(x for g in together for x in g)})
    pinned_tables = set(pins.values())

    def search(i: int, table: dict[str, int], claimed: list[int]) -> bool:
        if not fits(claimed):
            return False
        if i == len(named):
            return all(table[a] != table[b] for a, b in apart) and all(
                len({table[x] for x in g}) == 1 for g in together
            )
        person = named[i]
        if person in pins:
            options = [pins[person]]
        else:
            used = set(table.values()) | pinned_tables
            fresh = {kind_of[t]: t for t in reversed(range(len(caps))) if t not in used}
            options = sorted(used | set(fresh.values()))
        for t in options:
            claimed[t] += 1
            if search(i + 1, {**table, person: t}, claimed):
                return True
            claimed[t] -= 1
        return False

    return search(0, {}, [0] * len(caps))


@settings(max_examples=60, deadline=None)
@given(conferences(), st.integers(0, 1000))
def test_hard_rules_hold_or_infeasible_is_raised(
    case: tuple[list[Attendee], list[Round], Constraints, np.ndarray], seed: int
) -> None:
    people, rounds, constraints, X = case
    feasible = all(round_is_feasible(r, people, constraints) for r in rounds)
    matcher = Matcher(random_state=seed, max_iter=5, time_budget=None)
    try:
        matcher.fit(people, rounds, embeddings=X, constraints=constraints)
    except Infeasible as error:
        assert not feasible, f"a seating keeping every hard rule exists, yet: {error}"
        assert error.rule in {"capacity", "pins", "keep-apart", "keep-together"}
        return
    assert feasible, "no seating can keep every hard rule, yet the engine returned one"
    for r in rounds:
        tables = matcher.seating_[r.name]
        seated = [a for t in tables for a in t]
        eligible = [a.id for a in people if r.kind == "lunch" or a.dinner]
        assert sorted(seated) == sorted(eligible)
        sizes = [len(t) for t in tables]
        if r.capacities is not None:
            assert all(s <= c for s, c in zip(sizes, r.capacities, strict=True))
        else:
            assert max(sizes, default=0) - min(sizes, default=0) <= 1
            assert all(s <= (r.table_size or 0) for s in sizes)
        where = {a: t for t, ids in enumerate(tables) for a in ids}
        for pin in constraints.pins:
            if pin.round_name == r.name:
                assert where[pin.attendee_id] == pin.table
        for a, b in constraints.keep_apart:
            if a in where and b in where:
                assert where[a] != where[b]
        for group in constraints.keep_together:
            if all(g in where for g in group):
                assert len({where[g] for g in group}) == 1


def test_a_kept_together_pair_gets_the_big_dinner_table() -> None:
    people = [Attendee(id=f"a{i}", dinner=True) for i in range(4)]
    rounds = [
        Round(name="L", table_size=4),
        Round(name="D", kind="dinner", capacities=(1, 1, 1, 3)),
    ]
    constraints = Constraints(keep_together=[["a0", "a1"]])
    assert all(round_is_feasible(r, people, constraints) for r in rounds)
    X = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    matcher = Matcher(random_state=0, max_iter=5, time_budget=None)
    tables = matcher.fit(people, rounds, embeddings=X, constraints=constraints).seating_["D"]
    assert ["a0", "a1"] in [sorted(t) for t in tables]
    assert all(len(t) <= c for t, c in zip(tables, (1, 1, 1, 3), strict=True))


def test_keep_apart_wins_over_spreading_solos() -> None:
    people = [Attendee(id=f"a{i}", solo=i in (1, 2)) for i in range(6)]
    rounds = [Round(name="L", table_size=3)]  # two tables of three: a1 and a2 must share one
    constraints = Constraints(keep_apart=[("a0", "a1"), ("a0", "a2")])
    assert round_is_feasible(rounds[0], people, constraints)
    X = np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32)
    matcher = Matcher(random_state=0, max_iter=5, time_budget=None)
    tables = matcher.fit(people, rounds, embeddings=X, constraints=constraints).seating_["L"]
    where = {a: t for t, ids in enumerate(tables) for a in ids}
    assert where["a0"] != where["a1"] and where["a0"] != where["a2"]


def test_the_feasibility_search_finds_impossible_rounds() -> None:
    people = [Attendee(id=f"a{i}", dinner=i < 3) for i in range(6)]
    dinner = Round(name="D", kind="dinner", capacities=(1, 1, 1))
    lunch = Round(name="L", table_size=3)  # two tables of three
    assert not round_is_feasible(dinner, people, Constraints(keep_together=[["a0", "a1"]]))
    assert round_is_feasible(dinner, people, Constraints(keep_together=[["a0", "a3"]]))
    assert not round_is_feasible(lunch, people, Constraints(pins=[Pin("a0", "L", 2)]))
    three_apart = [("a0", "a1"), ("a1", "a2"), ("a0", "a2")]
    assert not round_is_feasible(lunch, people, Constraints(keep_apart=three_apart))
    assert round_is_feasible(lunch, people, Constraints(keep_apart=three_apart[:2]))
    pins = [Pin("a0", "L", 0), Pin("a1", "L", 1)]
    assert not round_is_feasible(
        lunch, people, Constraints(pins=pins, keep_together=[["a0", "a1"]])
    )


@settings(max_examples=15, deadline=None)
@given(conferences(), st.integers(0, 1000))
def test_a_seed_fixes_the_plan(
    case: tuple[list[Attendee], list[Round], Constraints, np.ndarray], seed: int
) -> None:
    people, rounds, constraints, X = case
    plans = []
    for _ in range(2):
        try:
            m = Matcher(random_state=seed, max_iter=5, time_budget=None)
            plans.append(m.fit(people, rounds, embeddings=X, constraints=constraints).seating_)
        except Infeasible as error:
            plans.append({"error": [[str(error)]]})
    assert plans[0] == plans[1]
