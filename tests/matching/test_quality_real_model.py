"""The engine's quality targets on a generated 2,000-attendee conference with the real model.

Every figure is recomputed here from the seating and the embeddings alone, then compared with
the targets of the matching issue and with the engine's own report.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
import pytest

from matching import Matcher, Round
from matching.affiliation import affiliation_key
from matching.checks import unavoidable_pairs
from matching.datasets import make_conference

ROUNDS = [Round(name=f"Lunch {i}", table_size=10) for i in (1, 2, 3)] + [
    Round(name="Dinner 1", kind="dinner", table_size=6)
]


@pytest.fixture(scope="module")
def planned(real_encoder: Any) -> tuple[list[Any], np.ndarray, Matcher]:
    people = make_conference(2000, random_state=11)
    X = real_encoder.encode([p.interests for p in people])
    matcher = Matcher(random_state=3, time_budget=120).fit(people, ROUNDS, embeddings=X)
    return people, X, matcher


@pytest.mark.slow
def test_quality_targets_with_the_real_model(
    planned: tuple[list[Any], np.ndarray, Matcher],
) -> None:
    people, X, matcher = planned
    index = {p.id: i for i, p in enumerate(people)}
    by_id = {p.id: p for p in people}
    sims = X @ X.T
    upper = sims[np.triu_indices(len(people), 1)]
    threshold = float(np.quantile(upper, 0.9))
    company = {p.id: affiliation_key(p.affiliation, p.email) for p in people}

    met: Counter[frozenset[str]] = Counter()
    for rnd in ROUNDS:
        tables = matcher.seating_[rnd.name]
        eligible = [p.id for p in people if rnd.kind == "lunch" or p.dinner]
        assert sorted(itertools.chain.from_iterable(tables)) == sorted(eligible)
        assert max(map(len, tables)) - min(map(len, tables)) <= 1

        solos = [sum(by_id[a].solo for a in t) for t in tables]
        assert max(solos) - min(solos) <= 1, rnd.name

        coworkers = sum(
            1
            for t in tables
            for a, b in itertools.combinations(t, 2)
            if company[a] and company[a] == company[b]
        )
        sizes = Counter(company[a] for a in eligible if company[a])
        capacities = [len(t) for t in tables]
        assert coworkers == sum(unavoidable_pairs(s, capacities) for s in sizes.values()), rnd.name

        for t in tables:
            met.update(frozenset(pair) for pair in itertools.combinations(t, 2))

        if rnd.kind == "lunch":
            kindred = sum(
                1
                for t in tables
                for a in t
                if max(sims[index[a], index[b]] for b in t if b != a) >= threshold
            )
            share = kindred / len(eligible)
            assert share >= 0.95, (rnd.name, share)

        within = [
            1 - sims[index[a], index[b]] for t in tables for a, b in itertools.combinations(t, 2)
        ]
        rows = [index[a] for a in eligible]
        sub = sims[np.ix_(rows, rows)]
        random_pair = float(np.mean(1 - sub[np.triu_indices(len(rows), 1)]))
        ratio = float(np.mean(within)) / random_pair
        assert ratio >= 0.95, (rnd.name, ratio)
        assert matcher.report_ is not None
        assert matcher.report_.round(rnd.name).diversity_ratio == pytest.approx(ratio, abs=2e-3)

        if rnd.kind == "dinner":
            for t in tables:
                parties = Counter(by_id[a].party for a in t if by_id[a].party)
                outsiders = [
                    a for a in t if by_id[a].party is None or parties[by_id[a].party] < len(t) - 1
                ]
                if parties and max(parties.values()) == len(t) - 1 and len(outsiders) == 1:
                    assert not by_id[outsiders[0]].solo, "a solo attendee is the lone outsider"

    assert max(met.values()) == 1, "two people share a table twice"
    assert matcher.report_ is not None
    summary = matcher.report_.summary
    assert summary.hard_violations == 0 and summary.repeated_pairs == 0
    assert summary.kindred_threshold == pytest.approx(threshold, abs=5e-3)
