"""Rule checks on small handcrafted seatings whose answers are worked out by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.checks import (
    RoundCheck,
    check_hard,
    check_plan,
    mean_pairwise_similarity,
    unavoidable_pairs,
)
from matching.eligibility import eligible, table_capacities
from matching.types import Attendee, Constraints, Pin, Round, Seating

LUNCH = Round(name="Lunch", kind="lunch", table_size=4)


def _one_round(
    people: list[Attendee],
    tables: list[list[str]],
    rnd: Round = LUNCH,
    *,
    embeddings: np.ndarray | None = None,
    threshold: float | None = 0.5,
) -> RoundCheck:
    x = embeddings if embeddings is not None else np.eye(len(people))
    check = check_plan(people, [rnd], {rnd.name: tables}, x, kindred_threshold=threshold)
    return check.rounds[0]


# --- eligibility and capacities -----------------------------------------------------------


def test_dinner_seats_only_those_who_opted_in() -> None:
    people = [Attendee(id="a", dinner=True), Attendee(id="b"), Attendee(id="c", dinner=True)]
    dinner = Round(name="Dinner", kind="dinner", table_size=4)
    assert [a.id for a in eligible(people, dinner)] == ["a", "c"]
    assert [a.id for a in eligible(people, LUNCH)] == ["a", "b", "c"]


@pytest.mark.parametrize("size", range(2, 13))
def test_table_size_gives_ceil_tables_of_near_equal_size(size: int) -> None:
    for n in range(1, 120):
        caps = table_capacities(Round(name="L", table_size=size), n)
        assert len(caps) == math.ceil(n / size)
        assert sum(caps) == n
        assert max(caps) - min(caps) <= 1
        assert max(caps) <= size


def test_table_capacities_worked_example_and_explicit_list() -> None:
    assert table_capacities(Round(name="L", table_size=10), 25) == [9, 8, 8]
    assert table_capacities(Round(name="L", table_size=10), 0) == []
    assert table_capacities(Round(name="D", capacities=(6, 8)), 14) == [6, 8]


@pytest.mark.parametrize(
    ("rnd", "n", "message"),
    [
        (Round(name="D", capacities=(6, 8)), 15, "has 14 seats but 15"),
        (
            Round(name="L", table_size=1),
            5,
            "'table_size' parameter of round 'L' must be an int >= 2",
        ),
        (Round(name="L"), 5, "exactly one of"),
        (Round(name="L", table_size=4, capacities=(4,)), 4, "exactly one of"),
        (Round(name="D", capacities=(6, 0)), 4, "ints >= 1"),
    ],
)
def test_table_capacities_rejects_bad_plans(rnd: Round, n: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        table_capacities(rnd, n)


# --- unavoidable minimum ------------------------------------------------------------------


def _brute_force_min_pairs(group: int, caps: list[int]) -> int:
    best = None
    for counts in itertools.product(*(range(c + 1) for c in caps)):
        if sum(counts) == group:
            pairs = sum(k * (k - 1) // 2 for k in counts)
            best = pairs if best is None else min(best, pairs)
    assert best is not None
    return best


def test_company_of_25_over_10_tables() -> None:
    q, r = divmod(25, 10)  # 5 tables get 3 colleagues, 5 tables get 2
    expected = r * math.comb(q + 1, 2) + (10 - r) * math.comb(q, 2)
    assert expected == 5 * 3 + 5 * 1
    assert unavoidable_pairs(25, [10] * 10) == expected


@pytest.mark.parametrize(
    "caps", [[3, 3, 3], [1, 1, 5], [2, 4, 1, 3], [5, 1], [1, 1, 1, 1], [4, 4, 2]]
)
def test_unavoidable_pairs_matches_brute_force(caps: list[int]) -> None:
    for group in range(sum(caps) + 1):
        assert unavoidable_pairs(group, caps) == _brute_force_min_pairs(group, caps)


def test_unavoidable_pairs_rejects_group_larger_than_seats() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        unavoidable_pairs(7, [3, 3])


# --- hard rules ---------------------------------------------------------------------------


def _rules(people: list[Attendee], rounds: list[Round], seating: Seating) -> list[str]:
    return sorted(v.rule for v in check_hard(people, rounds, seating))


def test_valid_plan_has_no_hard_violations() -> None:
    people = [Attendee(id=c, dinner=c in "abc") for c in "abcdef"]
    rounds = [Round(name="L", table_size=3), Round(name="D", kind="dinner", capacities=(2, 2))]
    seating = {"L": [["a", "b", "c"], ["d", "e", "f"]], "D": [["a", "b"], ["c"]]}
    assert check_hard(people, rounds, seating) == []


def test_seated_once_eligible_and_known() -> None:
    people = [Attendee(id=c) for c in "abcd"] + [Attendee(id="e", dinner=True)]
    dinner = Round(name="D", kind="dinner", table_size=4)
    lunch = Round(name="L", table_size=5)
    seating = {"L": [["a", "b", "c", "a", "zz"]], "D": [["e", "d"]], "X": [["a"]]}
    violations = check_hard(people, [lunch, dinner], seating)
    found = {(v.rule, v.round, v.attendees) for v in violations}
    assert ("seated-twice", "L", ("a",)) in found
    assert ("unknown-attendee", "L", ("zz",)) in found
    assert ("unseated", "L", ("d",)) in found
    assert ("unseated", "L", ("e",)) in found
    assert ("ineligible", "D", ("d",)) in found
    assert ("unknown-round", "X", ()) in found
    assert len(violations) == 6


def test_capacity_count_and_spread() -> None:
    people = [Attendee(id=str(i)) for i in range(9)]
    ids = [p.id for p in people]
    explicit = Round(name="E", capacities=(4, 4))
    assert _rules(people, [explicit], {"E": [ids[:5], ids[5:]]}) == ["capacity"]
    assert _rules(people, [explicit], {"E": [ids[:4], ids[4:8], ids[8:]]}) == ["capacity"]
    sized = Round(name="S", table_size=4)  # 9 people -> 3 tables of 3
    assert _rules(people, [sized], {"S": [ids[:3], ids[3:6], ids[6:]]}) == []
    assert _rules(people, [sized], {"S": [ids[:4], ids[4:8], ids[8:]]}) == ["size-spread"]
    assert _rules(people, [sized], {"S": [ids[:2], ids[2:4], ids[4:6], ids[6:8], ids[8:]]}) == [
        "table-count"
    ]
    assert _rules(people, [sized], {"S": [ids[:5], ids[5:]]}) == ["capacity", "table-count"]


def test_pins_keep_apart_and_keep_together() -> None:
    people = [Attendee(id=c) for c in "abcdef"] + [Attendee(id="g", dinner=True)]
    rnd = Round(name="L", table_size=4)
    constraints = Constraints(
        pins=[
            Pin("a", "L", 0),
            Pin("b", "L", 0),
            Pin("a", "Other", 1),
            Pin("c", "D", 0),  # c is not eligible for dinner: the pin does not apply
        ],
        keep_apart=[("a", "c"), ("d", "e")],
        keep_together=[("e", "f"), ("a", "c")],
    )
    seating = {"L": [["a", "c", "e", "g"], ["b", "d", "f"]]}
    violations = check_hard(people, [rnd], seating, constraints=constraints)
    found = sorted((v.rule, v.attendees) for v in violations)
    assert found == [("keep-apart", ("a", "c")), ("keep-together", ("e", "f")), ("pin", ("b",))]


# --- co-workers and parties ---------------------------------------------------------------


def test_three_from_acme_make_three_pairs() -> None:
    people = [
        Attendee(id="a", affiliation="ACME Inc."),
        Attendee(id="b", affiliation="acme"),
        Attendee(id="c", email="c@acme.com"),
        Attendee(id="d", email="d@gmail.com"),
        Attendee(id="e", email="e@gmail.com"),  # free mail: not co-workers of d
        Attendee(id="f"),
        Attendee(id="g"),  # neither gave anything: not co-workers of f
        Attendee(id="h", affiliation="Initech"),
    ]
    check = _one_round(people, [["a", "b", "c", "d"], ["e", "f", "g", "h"]])
    assert [t.coworker_pairs for t in check.tables] == [math.comb(3, 2), 0]
    assert check.coworker_pairs == 3
    # Three colleagues over two tables: at best 2 + 1, which is one pair.
    assert check.coworker_pairs_min == 1


def test_coworker_minimum_is_the_even_spread() -> None:
    people = [Attendee(id=f"a{i}", affiliation="ACME") for i in range(25)]
    people += [Attendee(id=f"o{i}", affiliation=f"Org {i}") for i in range(75)]
    ids = [p.id for p in people]
    tables = [ids[i::10] for i in range(10)]  # round-robin: acme spread 3,3,3,3,3,2,2,2,2,2
    check = _one_round(people, tables, Round(name="Lunch", table_size=10))
    assert check.coworker_pairs_min == 5 * math.comb(3, 2) + 5 * math.comb(2, 2)
    assert check.coworker_pairs == check.coworker_pairs_min
    packed = [ids[:10], ids[10:20], ids[20:30]] + [ids[i : i + 10] for i in range(30, 100, 10)]
    worse = _one_round(people, packed, Round(name="Lunch", table_size=10))
    assert worse.coworker_pairs == 2 * math.comb(10, 2) + math.comb(5, 2)


def test_party_pairs_at_lunch_and_the_dinner_party_of_two() -> None:
    people = [
        Attendee(id="a", party="duo", dinner=True),
        Attendee(id="b", party="duo", dinner=True),
        Attendee(id="c", party="trio", dinner=True),
        Attendee(id="d", party="trio", dinner=True),
        Attendee(id="e", party="trio", dinner=True),
        Attendee(id="f", dinner=True),
    ]
    tables = [["a", "b", "c"], ["d", "e", "f"]]
    lunch = _one_round(people, tables, Round(name="Lunch", table_size=3))
    assert [t.party_pairs for t in lunch.tables] == [1, 1]
    # duo over 2 tables: 0; trio over 2 tables: 2 + 1 -> 1 pair.
    assert lunch.party_pairs_min == 1
    dinner = _one_round(people, tables, Round(name="Dinner", kind="dinner", table_size=3))
    assert [t.party_pairs for t in dinner.tables] == [0, 1]
    assert dinner.party_pairs_min == 1


def test_party_size_counts_only_eligible_members() -> None:
    # Three came together but only two go to dinner: at dinner they are a party of two.
    people = [
        Attendee(id="a", party="trio", dinner=True),
        Attendee(id="b", party="trio", dinner=True),
        Attendee(id="c", party="trio"),
        Attendee(id="d", dinner=True),
    ]
    dinner = _one_round(people, [["a", "b", "d"]], Round(name="D", kind="dinner", table_size=3))
    assert dinner.party_pairs == 0


# --- repeated pairs -----------------------------------------------------------------------


def test_repeated_pairs_count_history_and_earlier_rounds() -> None:
    people = [Attendee(id=c) for c in "abcdef"]
    rounds = [Round(name="L1", table_size=3), Round(name="L2", table_size=3)]
    seating = {
        "L1": [["a", "b", "c"], ["d", "e", "f"]],  # a-b met in history
        "L2": [["a", "b", "d"], ["c", "e", "f"]],  # a-b a third time, e-f a second time
    }
    history = [["a", "b", "x"], ["x", "y"]]  # x and y are no longer registered
    check = check_plan(people, rounds, seating, np.eye(6), history=history)
    first, second = check.rounds
    assert [t.repeated_pairs for t in first.tables] == [1, 0]
    assert [t.repeated_pairs for t in second.tables] == [1, 1]
    assert first.repeated_pairs + second.repeated_pairs == 3


# --- solo attendees -----------------------------------------------------------------------


def test_solo_spread_flags_tables_outside_floor_and_ceil() -> None:
    people = [Attendee(id=f"s{i}", solo=True) for i in range(4)]
    people += [Attendee(id=f"n{i}") for i in range(8)]
    tables = [["s0", "s1", "s2", "n0"], ["n1", "n2", "n3", "n4"], ["s3", "n5", "n6", "n7"]]
    check = _one_round(people, tables)
    assert [t.solo for t in check.tables] == [3, 0, 1]
    assert check.solo_spread == 3
    # Mean 4/3: counts must be 1 or 2, so the tables with 3 and 0 are flagged.
    assert [t.solo_outside for t in check.tables] == [True, True, False]
    even = _one_round(
        people, [["s0", "s1", "n0", "n1"], ["s2", "n2", "n3", "n4"], ["s3", "n5", "n6", "n7"]]
    )
    assert even.solo_spread == 1
    assert even.solo_spread_tables == 0


def test_lone_outsider_at_dinner() -> None:
    dinner = Round(name="D", kind="dinner", table_size=4)
    people = [Attendee(id=f"p{i}", party="team", dinner=True) for i in range(3)]
    people += [Attendee(id="s", solo=True, dinner=True), Attendee(id="t", solo=True, dinner=True)]
    people += [Attendee(id=f"q{i}", party="pair", dinner=True) for i in range(2)]
    lone = _one_round(people, [["p0", "p1", "p2", "s"], ["t", "q0", "q1"]], dinner)
    assert [t.lone_outsider for t in lone.tables] == [True, True]
    assert lone.lone_outsiders == 2
    mixed = _one_round(people, [["p0", "p1", "s", "t"], ["p2", "q0", "q1"]], dinner)
    assert mixed.lone_outsiders == 0
    at_lunch = _one_round(people, [["p0", "p1", "p2", "s"], ["t", "q0", "q1"]], LUNCH)
    assert at_lunch.lone_outsiders == 0


def test_party_without_solo_while_another_table_has_two() -> None:
    dinner = Round(name="D", kind="dinner", table_size=3)
    people = [
        Attendee(id="x1", party="x", dinner=True),
        Attendee(id="x2", party="x", dinner=True),
        Attendee(id="y", dinner=True),
        Attendee(id="s1", solo=True, dinner=True),
        Attendee(id="s2", solo=True, dinner=True),
        Attendee(id="z", dinner=True),
    ]
    check = _one_round(people, [["x1", "x2", "y"], ["s1", "s2", "z"]], dinner)
    assert [t.party_without_solo for t in check.tables] == [True, False]
    assert check.party_without_solo == 1
    fixed = _one_round(people, [["x1", "x2", "s1"], ["y", "s2", "z"]], dinner)
    assert fixed.party_without_solo == 0


# --- kindred, diversity and mixes ---------------------------------------------------------


def test_kindred_share_and_closest_mate() -> None:
    x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    people = [Attendee(id=c) for c in "abcdef"]
    check = _one_round(people, [["a", "b", "c"], ["d", "e", "f"]], embeddings=x, threshold=0.9)
    # a-b are near parallel; c's best is b (cos ~0.11); d, e, f are orthogonal or opposite.
    assert check.kindred_share == pytest.approx(2 / 6)
    assert [t.kindred for t in check.tables] == [2, 0]
    assert check.seat_mate.tolist() == [1, 0, 1, 4, 3, 4]


def test_diversity_from_vector_sums_equals_pairwise() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((30, 5))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    people = [Attendee(id=str(i)) for i in range(30)]
    order = rng.permutation(30)
    tables = [[str(i) for i in order[k : k + 5]] for k in range(0, 30, 5)]
    check = _one_round(people, tables, Round(name="L", table_size=5), embeddings=x)

    within = []
    for t, members in zip(check.tables, tables, strict=True):
        idx = [int(m) for m in members]
        dists = [1 - unit[i] @ unit[j] for i, j in itertools.combinations(idx, 2)]
        assert t.diversity == pytest.approx(np.mean(dists))
        within.extend(dists)
    random = np.mean([1 - unit[i] @ unit[j] for i, j in itertools.combinations(range(30), 2)])
    assert check.within_distance == pytest.approx(np.mean(within))
    assert check.random_distance == pytest.approx(random)
    assert check.diversity_ratio == pytest.approx(np.mean(within) / random)
    assert mean_pairwise_similarity(x) == pytest.approx(1 - random)


def test_hometowns_first_timers_and_languages() -> None:
    people = [
        Attendee(id="a", hometown="Berlin", first_time=True, languages=("German",)),
        Attendee(id="b", hometown=" berlin ", first_time=True, languages=("german", "English")),
        Attendee(id="c", hometown="Paris", first_time=True, languages=("French",)),
        Attendee(id="d", hometown="", languages=("Italian",)),
        Attendee(id="e", hometown="Lyon"),
        Attendee(id="f", hometown="Lyon", languages=("Spanish",)),
    ]
    check = _one_round(people, [["a", "b", "c"], ["d", "e", "f"]], Round(name="L", table_size=3))
    first, second = check.tables
    assert (first.hometowns, first.hometowns_given) == (2, 3)
    assert (second.hometowns, second.hometowns_given) == (1, 2)
    assert (first.first_timers, second.first_timers) == (3, 0)
    # Round has both first-timers and veterans: both tables lack a mix; 2 tables with 3 and 3
    # could both be mixed, so the minimum is zero.
    assert check.first_timer_mix == 2
    assert check.first_timer_mix_min == 0
    # c speaks only French at a German table; d and f share nothing; e gave no language.
    assert (first.language_isolated, second.language_isolated) == (1, 2)


@settings(max_examples=60, deadline=None)
@given(
    companies=st.lists(st.integers(0, 3), min_size=2, max_size=40),
    size=st.integers(2, 6),
    dinner=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_minima_never_exceed_what_any_seating_achieves(
    companies: list[int], size: int, dinner: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    people = [
        Attendee(
            id=str(i),
            affiliation=f"Org {c}",
            party=f"p{c}" if c < 2 else None,
            dinner=True,
            solo=bool(rng.random() < 0.3),
        )
        for i, c in enumerate(companies)
    ]
    rnd = Round(name="R", kind="dinner" if dinner else "lunch", table_size=size)
    order = rng.permutation(len(people)).tolist()
    tables, start = [], 0
    for cap in table_capacities(rnd, len(people)):
        tables.append([str(i) for i in order[start : start + cap]])
        start += cap
    check = _one_round(people, tables, rnd, embeddings=rng.standard_normal((len(people), 3)))
    assert check_hard(people, [rnd], {"R": tables}) == []
    assert check.coworker_pairs >= check.coworker_pairs_min
    assert check.party_pairs >= check.party_pairs_min
    assert check.first_timer_mix >= check.first_timer_mix_min
    assert check.seated == len(people)
    assert check.kindred_share is not None and 0.0 <= check.kindred_share <= 1.0
    assert (check.solo_spread > 1) == (check.solo_spread_tables > 0)
