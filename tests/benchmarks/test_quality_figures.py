"""The quality benchmark's own figures: blank profiles score as sharing nothing, dinner counts."""

from __future__ import annotations

import numpy as np

from benchmarks.quality import measure, scoring_vectors
from matching.types import Attendee, Round

ROUNDS = [Round(name="Lunch 1", table_size=2), Round(name="Dinner", kind="dinner", table_size=2)]


def _people() -> list[Attendee]:
    texts = ["Django and databases", "Postgres internals", "", "n/a"]
    return [
        Attendee(id=f"p{i}", interests=text, dinner=i < 4, affiliation=f"C{i}")
        for i, text in enumerate(texts)
    ]


def test_blank_and_placeholder_profiles_score_as_close_to_nobody() -> None:
    people = _people()
    same = np.tile(np.asarray([[1.0, 0.0, 0.0]], dtype=np.float32), (4, 1))
    x = scoring_vectors(people, same)
    assert np.allclose(x[:2] @ x[:2].T, 1.0)
    assert not x[2:].any()


def test_dinner_kindred_share_is_measured_apart_from_the_lunches() -> None:
    people = _people()
    x = scoring_vectors(
        people,
        np.asarray([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]], dtype=np.float32),
    )
    seating = {"Lunch 1": [["p0", "p1"], ["p2", "p3"]], "Dinner": [["p0", "p2"], ["p1", "p3"]]}
    figures = measure(people, ROUNDS, seating, x, threshold=0.5)
    assert figures.kindred == [0.5]  # the two who wrote the same topic sit together
    assert figures.kindred_able == [1.0]  # and the blank pair could have nobody
    assert figures.dinner_kindred == [0.0]
    assert figures.dinner_kindred_able == [0.0]
