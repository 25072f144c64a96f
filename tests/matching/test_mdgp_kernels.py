"""The population layer of the MDGP search: the crossover that breeds children."""

from __future__ import annotations

import numpy as np
import pytest

from matching import _mdgp_kernels as kernels

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
