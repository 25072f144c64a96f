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


@settings(max_examples=60, deadline=None)
@given(conferences(), st.integers(0, 1000))
def test_hard_rules_hold_or_infeasible_is_raised(
    case: tuple[list[Attendee], list[Round], Constraints, np.ndarray], seed: int
) -> None:
    people, rounds, constraints, X = case
    matcher = Matcher(random_state=seed, max_iter=5, time_budget=None)
    try:
        matcher.fit(people, rounds, embeddings=X, constraints=constraints)
    except Infeasible as error:
        assert error.rule in {"capacity", "pins", "keep-apart", "keep-together"}
        return
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
