"""Kernels of the MDGP search: the tabu step's neighbourhood scan and the crossover."""

from __future__ import annotations

import numpy as np
import pytest

from matching import _mdgp_kernels as kernels
from matching.precomputed import DiversityGrouping

LOWER = np.array([6, 7, 8, 5, 6], dtype=np.int64)
UPPER = np.array([10, 12, 9, 11, 8], dtype=np.int64)


def random_matrix(n: int, seed: int) -> np.ndarray:
    points = np.random.default_rng(seed).random((n, 3))
    return np.linalg.norm(points[:, None] - points[None], axis=-1)


def random_grouping(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random assignment of n items whose group sizes lie within LOWER..UPPER."""
    sizes = LOWER.copy()
    while sizes.sum() < n:
        room = np.flatnonzero(sizes < UPPER)
        sizes[rng.choice(room)] += 1
    return rng.permutation(np.repeat(np.arange(len(sizes)), sizes)).astype(np.int64)


@pytest.mark.parametrize("seed", range(20))
def test_crossover_child_keeps_every_group_within_its_own_bounds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    D = random_matrix(40, seed)
    kernels.seed(seed)
    child = kernels._crossover(D, random_grouping(40, rng), random_grouping(40, rng), LOWER, UPPER)
    sizes = np.bincount(child, minlength=len(LOWER))
    assert child.min() >= 0 and len(sizes) == len(LOWER)
    assert np.all(sizes >= LOWER) and np.all(sizes <= UPPER), sizes.tolist()


def test_crossover_of_a_grouping_with_itself_is_that_grouping() -> None:
    rng = np.random.default_rng(1)
    D = random_matrix(40, 1)
    parent = random_grouping(40, rng)
    kernels.seed(1)
    np.testing.assert_array_equal(kernels._crossover(D, parent, parent, LOWER, UPPER), parent)


def test_crossover_child_inherits_groups_from_both_parents() -> None:
    rng = np.random.default_rng(2)
    D = random_matrix(40, 2)
    first, second = random_grouping(40, rng), random_grouping(40, rng)
    kernels.seed(2)
    child = kernels._crossover(D, first, second, LOWER, UPPER)

    def shared_pairs(a: np.ndarray, b: np.ndarray) -> int:
        same_a = a[:, None] == a[None, :]
        same_b = b[:, None] == b[None, :]
        return int(np.triu(same_a & same_b, 1).sum())

    # Random parents share few pairs; a child built from their groups keeps many of each.
    baseline = shared_pairs(first, second)
    assert shared_pairs(child, first) > 2 * baseline
    assert shared_pairs(child, second) > 2 * baseline


def best_neighbour_by_brute_force(
    D: np.ndarray, labels: np.ndarray, tabu: np.ndarray | None = None
) -> float:
    """The best objective change of any feasible one-item move or two-item swap.

    With ``tabu`` (item x group), a move into a group marked for the item, or a swap where
    either item would go to a group marked for it, counts only when it improves (aspiration).
    """

    def value(assignment: np.ndarray) -> float:
        same = assignment[:, None] == assignment[None, :]
        return float(np.triu(D * same, 1).sum())

    base = value(labels)
    sizes = np.bincount(labels, minlength=len(LOWER))
    best = -np.inf

    def allowed(change: float, *marks: bool) -> bool:
        return not any(marks) or change > 1e-9

    for i in range(len(labels)):
        a = labels[i]
        for g in range(len(LOWER)):
            if g != a and sizes[a] > LOWER[a] and sizes[g] < UPPER[g]:
                moved = labels.copy()
                moved[i] = g
                change = value(moved) - base
                if allowed(change, tabu is not None and bool(tabu[i, g])):
                    best = max(best, change)
        for j in range(i + 1, len(labels)):
            b = labels[j]
            if a != b:
                swapped = labels.copy()
                swapped[i], swapped[j] = b, a
                change = value(swapped) - base
                marks = (bool(tabu[i, b]), bool(tabu[j, a])) if tabu is not None else ()
                if allowed(change, *marks):
                    best = max(best, change)
    return best


MATRICES = {
    # Uniform values: the swap bound prunes almost every row.
    "uniform": lambda rng: rng.random((40, 40)) * 100,
    "integers": lambda rng: rng.integers(0, 4, (40, 40)).astype(float),
    # Points in a cube: many swaps score alike and the full scan does the work.
    "points": lambda rng: np.linalg.norm(
        rng.random((40, 3))[:, None] - rng.random((40, 3))[None], axis=-1
    ),
    "signed": lambda rng: rng.normal(size=(40, 40)),
}


def symmetric(kind: str, rng: np.random.Generator) -> np.ndarray:
    D = MATRICES[kind](rng)
    return np.triu(D, 1) + np.triu(D, 1).T


def one_tabu_step(
    D: np.ndarray, labels: np.ndarray, tabu: np.ndarray, seed: int
) -> tuple[float, np.ndarray]:
    """One step of the tabu search from ``labels``: the objective change and the new labels.

    The step counts itself as iteration 1: a ``tabu`` entry above 1 marks a tabu move.
    """
    m = len(LOWER)
    lab = labels.copy()
    before = kernels.objective(D, lab)
    low = np.where(np.eye(len(D), dtype=bool), np.inf, D).min(axis=1)
    size = np.bincount(lab, minlength=m).astype(np.int64)
    kernels.seed(seed)
    cur, _, _, _ = kernels._tabu_search(
        D, low, kernels.gain_matrix(D, lab, m), lab, size, LOWER, UPPER, before, tabu, 0, 10,
        1, 2, 1e-9, lab.copy(), 1, np.inf,
    )  # fmt: skip
    assert kernels.objective(D, lab) == pytest.approx(cur, abs=1e-9)
    return cur - before, lab


@pytest.mark.parametrize("kind", sorted(MATRICES))
@pytest.mark.parametrize("seed", range(5))
def test_a_tabu_step_takes_the_best_neighbour(kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    D = symmetric(kind, rng)
    labels = random_grouping(40, rng)
    for step in range(3):
        expected = best_neighbour_by_brute_force(D, labels)
        change, labels = one_tabu_step(D, labels, np.zeros((40, len(LOWER)), dtype=np.int64), seed)
        assert change == pytest.approx(expected, abs=1e-9), step


@pytest.mark.parametrize("kind", sorted(MATRICES))
@pytest.mark.parametrize("seed", range(8))
def test_a_tabu_step_skips_tabu_neighbours_unless_they_improve(kind: str, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    D = symmetric(kind, rng)
    # At a local optimum no neighbour improves, so no tabu one may be taken.
    labels = (
        DiversityGrouping(random_state=seed, max_iter=500).fit(D, lower=LOWER, upper=UPPER).labels_
    )
    assert best_neighbour_by_brute_force(D, labels) <= 1e-9
    marked = rng.random((40, len(LOWER))) < 0.4
    expected = best_neighbour_by_brute_force(D, labels, marked)
    change, _ = one_tabu_step(D, labels, np.where(marked, 100, 0).astype(np.int64), seed)
    assert change == pytest.approx(expected, abs=1e-9)
