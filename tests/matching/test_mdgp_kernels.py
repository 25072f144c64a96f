"""The population layer of the MDGP search: crossover and the references it is measured against."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.mdgplib import References, reference_values
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


def test_reference_values_read_the_published_and_the_local_ims_columns(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "| instance | n | groups | size bounds | reference (IMS) |\n"
        "|---|---|---|---|---|\n"
        "| Geo_n120_ds_01 | 120 | 10 | 8..16 | 111895.14 |\n"
        "| RanInt_n120_ss_01 | 120 | 10 | 12..12 | 47909.00 |\n"
        "\n"
        "| instance | n | groups | size bounds | IMS run 1 | IMS seed 1 | IMS seed 2 | IMS here "
        "| IMS here, best of 3 |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| Geo_n120_ds_01 | 120 | 10 | 8..16 | 111895.14 | 111884.51 | 111874.75 "
        "| **111884.51** | 111895.14 |\n"
    )
    found = reference_values(readme)
    assert found["Geo_n120_ds_01"] == References(111895.14, 111884.51, 111895.14)
    missing = found["RanInt_n120_ss_01"]
    assert missing.published == 47909.0 and np.isnan(missing.here) and np.isnan(missing.best_of_3)
