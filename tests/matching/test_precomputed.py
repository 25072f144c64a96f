"""Tests of the maximally diverse grouping solver (precomputed mode) and the MDGPLIB loader."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.mdgplib import SAMPLES, find_data
from matching.precomputed import DiversityGrouping, load_mdgplib

SAMPLE_MDGPLIB = SAMPLES


def find_mdgplib(start: Path, environ: Mapping[str, str]) -> Path:
    """The benchmark's MDGPLIB data (see `benchmarks.mdgplib.find_data`), else the two tiny
    instances committed beside these tests (generated in the same file format)."""
    return find_data(start, environ) or SAMPLE_MDGPLIB


MDGPLIB = find_mdgplib(Path(__file__).resolve().parent, os.environ)


def random_matrix(n: int, seed: int, low: float = 0.0, high: float = 100.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.uniform(low, high, (n, n)), 1)
    return upper + upper.T


def within_group_sum(D: np.ndarray, labels: np.ndarray) -> float:
    same = labels[:, None] == labels[None, :]
    return float(np.triu(D * same, 1).sum())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"time_limit": -1}, "The 'time_limit' parameter must be a float > 0. Got -1 instead."),
        ({"time_limit": "3"}, "The 'time_limit' parameter must be a float > 0."),
        ({"max_iter": 0}, "The 'max_iter' parameter must be an int >= 1 or None. Got 0"),
        ({"max_iter": 2.5}, "The 'max_iter' parameter must be an int >= 1 or None."),
        ({"random_state": "seed"}, "The 'random_state' parameter must be an int"),
    ],
)
def test_rejects_bad_parameters(params: dict[str, object], message: str) -> None:
    grouping = DiversityGrouping(**params)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        grouping.fit(random_matrix(4, 0), sizes=[2, 2])


@pytest.mark.parametrize(
    ("D", "bounds", "message"),
    [
        (np.zeros((3, 4)), {"sizes": [1, 2]}, "square matrix"),
        (np.zeros(4), {"sizes": [2, 2]}, "square matrix"),
        (np.array([[0, 1], [2, 0]]), {"sizes": [1, 1]}, r"symmetric\. D\[0, 1\] = 1\.0"),
        (np.array([[0, np.nan], [np.nan, 0]]), {"sizes": [1, 1]}, "finite"),
        (np.array([[0, "a"], ["a", 0]]), {"sizes": [1, 1]}, "matrix of numbers"),
        (random_matrix(4, 0), {"lower": [3, 1], "upper": [2, 3]}, "Group 0 has lower bound 3"),
        (random_matrix(4, 0), {"lower": [3, 2], "upper": [4, 4]}, "lower bounds sum to 5"),
        (random_matrix(4, 0), {"sizes": [1, 2]}, "upper bounds sum to 3"),
        (random_matrix(4, 0), {"lower": [1, 1], "upper": [3, 3, 3]}, "one entry per group"),
        (random_matrix(4, 0), {"sizes": [2, 2], "lower": [2, 2]}, "not both"),
        (random_matrix(4, 0), {"lower": [2, 2]}, "both 'lower' and 'upper'"),
        (random_matrix(4, 0), {"sizes": [-1, 5]}, "ints >= 0"),
        (random_matrix(4, 0), {"sizes": [1.5, 2.5]}, "whole numbers"),
        (random_matrix(4, 0), {"sizes": []}, "non-empty 1-D"),
    ],
)
def test_rejects_bad_input(D: np.ndarray, bounds: dict[str, list[float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DiversityGrouping(max_iter=10).fit(D, **bounds)


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 14))
    m = draw(st.integers(1, 5))
    lower = np.array(draw(st.lists(st.integers(0, 4), min_size=m, max_size=m)))
    upper = lower + np.array(draw(st.lists(st.integers(0, 6), min_size=m, max_size=m)))
    # Make the bounds feasible for n by moving the item count inside them.
    n = min(max(n, int(lower.sum())), int(upper.sum())) or 1
    if upper.sum() < n:
        upper[0] += n - upper.sum()
    signed = draw(st.booleans())
    D = random_matrix(n, draw(st.integers(0, 2**16)), -50.0 if signed else 0.0, 100.0)
    return D, lower, upper


@settings(max_examples=60, deadline=None)
@given(problem=problems(), seed=st.integers(0, 2**16))
def test_output_is_a_feasible_grouping_with_its_true_objective(
    problem: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int
) -> None:
    D, lower, upper = problem
    grouping = DiversityGrouping(random_state=seed, max_iter=30).fit(D, lower=lower, upper=upper)

    labels = grouping.labels_
    assert labels.shape == (len(D),)
    assert labels.min() >= 0 and labels.max() < len(lower)
    counts = np.bincount(labels, minlength=len(lower))
    assert np.all(counts >= lower) and np.all(counts <= upper)
    assert grouping.objective_ == pytest.approx(within_group_sum(D, labels), rel=1e-9, abs=1e-9)
    assert grouping.n_iter_ <= 30


def brute_force_optimum(D: np.ndarray, lower: list[int], upper: list[int]) -> float:
    best = -np.inf
    for labels in itertools.product(range(len(lower)), repeat=len(D)):
        counts = np.bincount(labels, minlength=len(lower))
        if np.all(counts >= lower) and np.all(counts <= upper):
            best = max(best, within_group_sum(D, np.array(labels)))
    return best


@pytest.mark.parametrize(
    ("lower", "upper", "low"),
    [([4, 4], [4, 4], 0.0), ([2, 1], [6, 7], 0.0), ([1, 3], [7, 5], -100.0)],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_finds_the_brute_force_optimum_on_eight_items(
    lower: list[int], upper: list[int], low: float, seed: int
) -> None:
    D = random_matrix(8, seed, low=low)
    grouping = DiversityGrouping(random_state=seed, max_iter=500).fit(D, lower=lower, upper=upper)
    assert grouping.objective_ == pytest.approx(brute_force_optimum(D, lower, upper), rel=1e-12)


def test_beats_random_groupings_on_a_larger_instance() -> None:
    D = random_matrix(60, 3)
    sizes = [15, 15, 15, 15]
    grouping = DiversityGrouping(random_state=0, max_iter=2000).fit(D, sizes=sizes)
    rng = np.random.default_rng(0)
    random_values = [
        within_group_sum(D, rng.permutation(np.repeat(np.arange(4), 15))) for _ in range(200)
    ]
    assert grouping.objective_ > max(random_values)


def test_same_seed_and_max_iter_give_the_same_grouping() -> None:
    D = random_matrix(40, 4)
    bounds = {"lower": [5, 8, 6, 4], "upper": [12, 10, 14, 9]}
    first = DiversityGrouping(time_limit=60.0, random_state=7, max_iter=400).fit(D, **bounds)
    second = DiversityGrouping(time_limit=60.0, random_state=7, max_iter=400).fit(D, **bounds)
    assert first.n_iter_ == second.n_iter_ == 400
    np.testing.assert_array_equal(first.labels_, second.labels_)
    assert first.objective_ == second.objective_


def test_history_is_the_best_objective_over_time() -> None:
    D = random_matrix(30, 5)
    grouping = DiversityGrouping(random_state=0, max_iter=1000).fit(D, sizes=[10, 10, 10])
    seconds, values = grouping.history_.T
    assert np.all(np.diff(seconds) >= 0) and np.all(np.diff(values) > 0)
    assert values[-1] == pytest.approx(grouping.objective_, rel=1e-9)


def test_stops_at_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock that moves one tick per reading makes the stop exact on a loaded machine: the
    # search must read the clock past its deadline (not stop early) and then stop within a few
    # readings (not run on), long before its iteration cap.
    D = random_matrix(80, 6)
    DiversityGrouping(time_limit=0.01, max_iter=10).fit(D, sizes=[40, 40])  # compile once
    tick, readings = 0.001, [0]

    def clock() -> float:
        readings[0] += 1
        return 1000.0 + tick * readings[0]

    monkeypatch.setattr(time, "perf_counter", clock)
    iterations = []
    for limit in (0.05, 0.1):
        readings[0] = 0
        grouping = DiversityGrouping(time_limit=limit, random_state=0, max_iter=200_000)
        grouping.fit(D, sizes=[20, 20, 20, 20])
        assert limit / tick <= readings[0] <= limit / tick + 5
        assert grouping.history_[-1, 0] <= limit + 5 * tick
        assert 0 < grouping.n_iter_ < 200_000
        iterations.append(grouping.n_iter_)
    assert iterations[1] > 1.5 * iterations[0]  # twice the time, about twice the work


def test_stops_at_max_iter_before_the_time_limit() -> None:
    D = random_matrix(40, 6)
    grouping = DiversityGrouping(time_limit=600.0, random_state=0, max_iter=300)
    assert grouping.fit(D, sizes=[10, 10, 10, 10]).n_iter_ == 300


def test_accepts_a_generator_and_ignores_the_diagonal() -> None:
    D = random_matrix(10, 8)
    with_diagonal = D + np.eye(10) * 1e6
    rng = np.random.default_rng(3)
    grouping = DiversityGrouping(random_state=rng, max_iter=200).fit(with_diagonal, sizes=[5, 5])
    assert grouping.objective_ == pytest.approx(within_group_sum(D, grouping.labels_))


def test_mdgplib_is_found_from_any_depth(tmp_path: Path) -> None:
    data = tmp_path / "team" / "shared" / "benchmarks" / "mdgplib"
    data.mkdir(parents=True)
    checkout = tmp_path / "team" / "worktrees" / "feature" / "main" / "tests" / "matching"
    checkout.mkdir(parents=True)
    assert find_mdgplib(checkout, {}) == data
    assert find_mdgplib(checkout, {"HALLWAY_MDGPLIB_DIR": "/elsewhere"}) == Path("/elsewhere")
    alone = tmp_path / "alone" / "main" / "tests" / "matching"
    alone.mkdir(parents=True)
    found = find_mdgplib(alone, {"HALLWAY_MDGPLIB_DIR": ""})
    assert found == SAMPLE_MDGPLIB or found.parts[-3:] == ("shared", "benchmarks", "mdgplib")
    assert sorted(p.name for p in SAMPLE_MDGPLIB.glob("*.txt")) == [
        "Sample_n12_ds_01.txt",
        "Sample_n12_ss_01.txt",
    ]


@pytest.mark.parametrize("kind", ["ss", "ds"])
def test_loads_mdgplib_instances(kind: str) -> None:
    paths = sorted(MDGPLIB.glob(f"*_{kind}_*.txt"))
    assert paths, f"no '{kind}' instance in {MDGPLIB} (HALLWAY_MDGPLIB_DIR)"
    path = paths[0]
    D, lower, upper = load_mdgplib(path)

    with open(path) as handle:
        header = handle.readline().split()
        i, j, d = handle.readline().split()
    n = int(header[0])
    assert D.shape == (n, n) and len(lower) == len(upper) == int(header[1])
    np.testing.assert_array_equal(D, D.T)
    np.testing.assert_array_equal(np.diag(D), 0.0)
    assert D[int(i), int(j)] == float(d)
    assert np.count_nonzero(np.triu(D, 1)) > 0.99 * n * (n - 1) / 2
    assert lower.tolist() == [int(x) for x in header[3::2]]
    assert upper.tolist() == [int(x) for x in header[4::2]]
    assert (lower == upper).all() == (header[2] == "ss")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 1 xs 3 3\n0 1 1\n0 2 1\n1 2 1\n", "line 1"),
        ("3 2 ss 2 2\n0 1 1\n0 2 1\n1 2 1\n", "2 groups need 4 size bounds"),
        ("3 1 ss 3 3\n0 1 1\n0 2 1\n", "3 items need 3 lines"),
        ("3 1 ss 3 3\n0 1 1\n0 2 1\n2 1 1\n", "line 4: expected 0 <= i < j < 3"),
    ],
)
def test_loader_rejects_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_mdgplib(path)
