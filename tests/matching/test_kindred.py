"""The kindred threshold: one definition, exact on small conferences, sampled on large ones."""

from __future__ import annotations

import numpy as np
import pytest

from matching import Attendee, Round
from matching.checks import check_plan
from matching.kindred import kindred_threshold
from matching.problem import Problem


def test_kindred_threshold_exact_matches_brute_force() -> None:
    x = np.random.default_rng(1).standard_normal((50, 6))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = [unit[i] @ unit[j] for i in range(50) for j in range(i + 1, 50)]
    assert kindred_threshold(unit) == pytest.approx(float(np.quantile(sims, 0.9)))


def test_kindred_threshold_sampled_agrees_with_exact() -> None:
    x = np.random.default_rng(2).standard_normal((2500, 8))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    exact = kindred_threshold(x, exact_max=3000)
    sampled = kindred_threshold(x, exact_max=0, rng=3)
    assert sampled == pytest.approx(exact, abs=0.01)
    assert kindred_threshold(x, exact_max=0, rng=3) == sampled


def test_checks_and_search_share_one_threshold() -> None:
    # Above the exact size both sample; with the same seed they must agree.
    rng = np.random.default_rng(5)
    n = 3200
    x = rng.standard_normal((n, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    people = [Attendee(id=f"a{i}") for i in range(n)]
    rnd = Round(name="L", table_size=8)
    problem = Problem.build(people, [rnd], x, rng=np.random.default_rng(0))
    ids = [p.id for p in people]
    seating = {"L": [ids[i : i + 8] for i in range(0, n, 8)]}
    assert check_plan(people, [rnd], seating, x).kindred_threshold == pytest.approx(
        problem.threshold, abs=1e-6
    )
